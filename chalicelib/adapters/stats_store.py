"""Reads of the statistics aggregates (DailyStatsModel). Writes happen in the case store,
in the transaction of the case change they count."""

from __future__ import annotations

import datetime as dt
from typing import Iterator

from ..domain.stats import COUNTERS, MONTH_SUFFIX, rank_row, region_row, split_range
from .models import DailyStatsModel, MediatorModel, OrgModel, RankStatsModel

UPPER = "\uffff"


def _counters(row) -> dict[str, int]:
    return {name: int(value) for name in COUNTERS if (value := getattr(row, name, None))}


class StatsStore:
    def region_rows(self, region: str, first: dt.date, last: dt.date) -> Iterator[dict[str, int]]:
        """One row per day with cases of `region` (a 6, 9 or 12 digit prefix) in [first, last]."""
        low, high = region_row(region, first.isoformat()), region_row(region, last.isoformat())
        for row in DailyStatsModel.query(region[:6], DailyStatsModel.bucket.between(low, high)):
            yield _counters(row)

    def rank_rows(self, kind: str, region: str, first: dt.date,
                  last: dt.date) -> Iterator[tuple[str, dict[str, int]]]:
        """(org or mediator id, counters) of the rows covering [first, last]: per subject and
        month for its whole months, per subject and day for the days at its ends."""
        spans, months = split_range(first, last)
        bounds = [(kind, a.isoformat(), b.isoformat()) for a, b in spans]
        if months is not None:
            bounds.append((kind + MONTH_SUFFIX, *months))
        for row_kind, low, high in bounds:
            condition = RankStatsModel.bucket.between(rank_row(row_kind, region, low, ""),
                                                      rank_row(row_kind, region, high, UPPER))
            for row in RankStatsModel.query(region[:6], condition):
                yield row.subject_id, _counters(row)

    @staticmethod
    def names(kind: str, ids: list[str]) -> dict[str, str]:
        """Names of the orgs or mediators ranked: batched reads of the directory (100 keys a call)."""
        model = {"org": OrgModel, "mediator": MediatorModel}[kind]
        key = "org_id" if kind == "org" else "mediator_id"
        return {getattr(item, key): item.name for item in model.batch_get(ids)} if ids else {}
