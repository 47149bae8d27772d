"""The statistics rows a case write adjusts, in the case's own transaction."""

from __future__ import annotations

from typing import Any

from pynamodb.transactions import TransactWrite

from ..domain.case import Case
from ..domain.regions import district_of
from ..domain.stats import describe_row, is_rank_row, stats_changes
from .case_mapping import case_to_model
from .models import CaseModel, DailyStatsModel, RankStatsModel


def model_and_stats(case: Case) -> tuple[CaseModel, dict[str, Any], dict[str, dict[str, int]]]:
    """The case's model recording what it contributes to the statistics rows now, that record,
    and what to add to each row."""
    record, changes = stats_changes(case)
    model = case_to_model(case)
    model.stats_recorded = record
    return model, record, changes


def update_stats(transaction: TransactWrite, *changed: tuple[Case, dict[str, dict[str, int]]]) -> None:
    """Add to the statistics rows, in the cases' transaction, the difference between what each
    case contributes now and what they already count (`ADD` on top-level counters). Two cases
    written together (a merge) touching one row add their differences up first: a transaction
    holds one operation per item."""
    rows: dict[tuple[str, str], dict[str, int]] = {}
    for case, changes in changed:
        district = district_of(case.region_code)  # the partition of every row a case counts in
        for row, counters in changes.items():
            total = rows.setdefault((district, row), {})
            for name, delta in counters.items():
                total[name] = total.get(name, 0) + delta
    for (district, row), counters in sorted(rows.items()):
        counters = {name: delta for name, delta in counters.items() if delta}
        if not counters:
            continue
        described = describe_row(row)
        model = RankStatsModel if is_rank_row(row) else DailyStatsModel
        actions = [getattr(model, name).set(value) for name, value in described.items()]
        actions += [getattr(model, name).add(delta) for name, delta in sorted(counters.items())]
        transaction.update(model(district, row), actions=actions)
