"""The statistics rows a case write adjusts, in the case's own transaction."""

from __future__ import annotations

from typing import Any

from pynamodb.transactions import TransactWrite

from ..domain.case import Case
from ..domain.regions import district_of
from ..domain.stats import describe_row, stats_changes
from .case_mapping import case_to_model
from .models import CaseModel, DailyStatsModel, RankStatsModel


def model_and_stats(case: Case) -> tuple[CaseModel, dict[str, Any], dict[str, dict[str, int]]]:
    """The case's model recording what it contributes to the statistics rows now, that record,
    and what to add to each row."""
    record, changes = stats_changes(case)
    model = case_to_model(case)
    model.stats_recorded = record
    return model, record, changes


def update_stats(transaction: TransactWrite, case: Case, changes: dict[str, dict[str, int]]) -> None:
    """Add to the statistics rows, in the case's transaction, the difference between what the
    case contributes now and what they already count (`ADD` on top-level counters)."""
    district = district_of(case.region_code)  # the partition of every row a case counts in
    for row, counters in changes.items():
        described = describe_row(row)
        model = RankStatsModel if "kind" in described else DailyStatsModel
        actions = [getattr(model, name).set(value) for name, value in described.items()]
        actions += [getattr(model, name).add(delta) for name, delta in counters.items()]
        transaction.update(model(district, row), actions=actions)
