"""The mediation agreement (调解协议) as a resolved case records it.

人民调解法 §29 fixes what a people's mediation agreement states: the parties'
basic facts, the main facts of the dispute and the matters in dispute, the
contents agreed, and how and by when they are performed. `resolve` records
them on the case as one dict (`Case.agreement`):

- `summary`, `performance_due` (ISO date): always, as since v1;
- `facts` (纠纷主要事实、争议事项), `terms` (协议内容, one string a term),
  `performance_method` (履行方式), `performance_place` (履行地点): each only
  when given;
- `effective_on` (生效日期, ISO date): always; the day of `resolve` in
  Asia/Shanghai unless given, and then from `EFFECTIVE_ON_MAX_AGE_DAYS` days
  before that day to that day (an agreement signed at the table a few weeks
  before it is entered).

The agreement document (人民调解协议书) needs `facts` and `terms`; what is
missing of them is `missing_fields`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

MAX_FACTS_CHARS = 5000
MAX_TERMS = 50
MAX_TERM_CHARS = 1000
MAX_PERFORMANCE_METHOD_CHARS = 500
MAX_PERFORMANCE_PLACE_CHARS = 200
MAX_AGREEMENT_CHARS = 12_000
"""The agreement's free text in all (summary, facts, terms, way and place): the case item holds it
with the rest of the case under DynamoDB's 400 KB an item, JSON-escaped at up to 6 bytes a Chinese
character; a few pages of 协议书 are far less."""
EFFECTIVE_ON_MAX_AGE_DAYS = 60
"""How many days before the day of `resolve` an agreement's `effective_on` may be."""

TEXT_FIELDS = ("summary", "facts", "performance_method", "performance_place")
"""The agreement's free-text fields (`terms` is a list of free texts besides them)."""
DOCUMENT_FIELDS = ("facts", "terms")
"""What the agreement document cannot be written without (§14: 422 naming each one missing)."""


def effective_on_problem(effective_on: dt.date, today: dt.date) -> str | None:
    """Why `effective_on` is refused on `today` (the day of `resolve`), or None."""
    if effective_on > today:
        return "must not be after today"
    if effective_on < today - dt.timedelta(days=EFFECTIVE_ON_MAX_AGE_DAYS):
        return f"must be within {EFFECTIVE_ON_MAX_AGE_DAYS} days before today"
    return None


def agreement_record(summary: str, performance_due: dt.date, effective_on: dt.date, *, facts: str | None = None,
                     terms: Sequence[str] = (), performance_method: str | None = None,
                     performance_place: str | None = None) -> dict[str, Any]:
    """The agreement as the case stores it: the optional fields only when given."""
    record: dict[str, Any] = {"summary": summary, "performance_due": performance_due.isoformat()}
    optional = {"facts": facts, "terms": list(terms) or None, "performance_method": performance_method,
                "performance_place": performance_place}
    record.update({key: value for key, value in optional.items() if value is not None})
    record["effective_on"] = effective_on.isoformat()
    return record


def missing_fields(agreement: dict[str, Any]) -> list[str]:
    """The fields the agreement document needs that the agreement lacks, as `agreement.facts`."""
    return [f"agreement.{name}" for name in DOCUMENT_FIELDS if not agreement.get(name)]
