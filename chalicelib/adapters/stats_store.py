"""Reads of the statistics aggregates (DailyStatsModel). Writes happen in the case store,
in the transaction of the case change they count."""

from __future__ import annotations

import datetime as dt
from typing import Iterator

from ..domain.stats import (
    COUNTERS,
    LEVEL_OF_PREFIX,
    MONTH_KIND,
    MONTH_SUFFIX,
    ORG_OPEN_KIND,
    REGION_OPEN_KIND,
    month_row,
    org_day_row,
    report_facts,
    rank_row,
    region_row,
    split_range,
)
from .models import DailyStatsModel, MediatorModel, OrgModel, RankStatsModel

UPPER = "\uffff"


def _counters(row) -> dict[str, int]:
    return {name: int(value) for name in COUNTERS if (value := getattr(row, name, None))}


class StatsStore:
    def region_rows(self, region: str, first: dt.date, last: dt.date) -> Iterator[dict[str, int]]:
        """One row per day with cases of `region` (a 6, 9 or 12 digit prefix) in [first, last]."""
        return (counters for _, counters in self.daily_rows(region, first, last))

    def daily_rows(self, region: str, first: dt.date, last: dt.date) -> Iterator[tuple[str, dict[str, int]]]:
        """(day, counters) of the days with cases of `region` in [first, last]."""
        low, high = region_row(region, first.isoformat()), region_row(region, last.isoformat())
        for row in DailyStatsModel.query(region[:6], DailyStatsModel.bucket.between(low, high)):
            yield row.day, _counters(row)

    def month_rows(self, region: str, month: str, level: int) -> dict[str, dict[str, int]]:
        """Prefix → counters of `month` for `region` itself (`level` = its length) or for its
        towns (9) or villages (12): one query, one item per prefix with cases."""
        if level == len(region):
            condition = DailyStatsModel.bucket == month_row(month, region)
        else:
            condition = DailyStatsModel.bucket.startswith(f"{MONTH_KIND}#{month}#{LEVEL_OF_PREFIX[level]}#{region}")
        return {row.region_code: _counters(row) for row in DailyStatsModel.query(region[:6], condition)}

    def open_rows(self, region: str) -> dict[str, dict[str, int]]:
        """Org id → what it holds open now of `region`'s cases (one item per org holding any)."""
        condition = DailyStatsModel.bucket.startswith(f"{ORG_OPEN_KIND}#{region}#")
        return {row.subject_id: _counters(row) for row in DailyStatsModel.query(region[:6], condition)}

    def region_open_rows(self, region: str) -> dict[str, dict[str, int]]:
        """Region prefix → what is open now of its cases, for `region` and each of its descendants
        with anything open: one Query (`open#<region>` begins the key of each), one item per region."""
        condition = DailyStatsModel.bucket.startswith(f"{REGION_OPEN_KIND}#{region}")
        return {row.region_code: _counters(row) for row in DailyStatsModel.query(region[:6], condition)}

    def org_facts(self, org_id: str, region_code: str, first: dt.date, last: dt.date) -> dict[str, int]:
        """排查报告 facts: of the cases the org holds received in [first, last], how many, how many
        open and red now, and open and overdue now. One query of at most a row per day."""
        condition = DailyStatsModel.bucket.between(org_day_row(org_id, first.isoformat()),
                                                   org_day_row(org_id, last.isoformat()))
        return report_facts(_counters(row) for row in DailyStatsModel.query(region_code[:6], condition))

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
