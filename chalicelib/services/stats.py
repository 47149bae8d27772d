"""Statistics (§8) and the mediator and org ranking (红黑榜), from the aggregate rows.

`GET /v1/stats` reads one aggregate row per day of the range; the ranking one
row per org or mediator and whole month of the range (and per day for the
partial months at its ends), plus their names: never the cases. See
`domain.stats` for how each figure is defined and kept.
"""

from __future__ import annotations

from collections import defaultdict

from ..domain.access import Principal
from ..domain.stats import ENTRY_COUNTERS, MIN_CONCLUDED, PRIOR_WEIGHT, RANK_KINDS, add_up, figures, rank
from .commands import StatsQuery
from .errors import Forbidden, Unprocessable


def check_range(query: StatsQuery, principal: Principal) -> None:
    """A range of days under a region prefix the caller may read: 422 for a reversed range, 403
    outside the caller's jurisdiction (admins everywhere)."""
    if query.date_from > query.date_to:
        raise Unprocessable.field("from", "must not be after to")
    if not principal.covers_region(query.region):
        raise Forbidden("region is outside your jurisdiction")


class StatsService:
    def __init__(self, stats, names):
        self._stats = stats
        self._names = names
        """(kind "org" | "mediator", ids) → {id: name}."""

    @staticmethod
    def _scope(query: StatsQuery) -> dict:
        return {"region": query.region, "from": query.date_from.isoformat(), "to": query.date_to.isoformat()}

    def figures(self, query: StatsQuery, principal: Principal) -> dict:
        check_range(query, principal)
        rows = self._stats.region_rows(query.region, query.date_from, query.date_to)
        return {**self._scope(query), **figures(add_up(rows))}

    def ranking(self, query: StatsQuery, principal: Principal) -> dict:
        check_range(query, principal)
        result = {**self._scope(query), "min_concluded": MIN_CONCLUDED, "prior_weight": PRIOR_WEIGHT}
        for kind in RANK_KINDS:
            per_subject: dict[str, list[dict]] = defaultdict(list)
            for subject, counters in self._stats.rank_rows(kind, query.region, query.date_from, query.date_to):
                per_subject[subject].append(counters)
            table = rank({subject: add_up(rows) for subject, rows in per_subject.items()}, ENTRY_COUNTERS[kind])
            names = self._names(kind, sorted(per_subject))
            result[f"{kind}s"] = {
                "baseline": table["baseline"],
                "ranked": [_entry(kind, e, names) for e in table["ranked"]],
                "below_minimum": [_entry(kind, e, names) for e in table["below_minimum"]],
            }
        return result


def _entry(kind: str, entry: dict, names: dict[str, str]) -> dict:
    """`rank`, `<kind>_id`, `name`, `score` first, then the rates and counts."""
    entry = dict(entry)
    subject = entry.pop("id")
    head = {"rank": entry.pop("rank")} if "rank" in entry else {}
    head.update({f"{kind}_id": subject, "name": names.get(subject)})
    if "score" in entry:
        head["score"] = entry.pop("score")
    return {**head, **entry}
