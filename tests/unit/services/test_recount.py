"""StatsRecount: cases recorded before the current record version join the new rows, once."""

from __future__ import annotations

from chalicelib.domain.enums import CaseStatus
from chalicelib.domain.stats import stats_record


def test_only_out_of_date_records_are_written_and_a_second_run_writes_nothing(centre, store):
    old = centre.case_at(CaseStatus.DISPATCHED, "R-1")
    current = centre.case_at(CaseStatus.DISPATCHED, "R-2")
    kept = store._cases[old.case_id]
    kept.stats_recorded = {"counts": kept.stats_recorded["counts"]}  # as an earlier version recorded it
    version = store.get(current.case_id).version
    result = centre.services.recount.run()
    assert (result.examined, result.recounted, result.next_cursor) == (2, 1, None)
    assert store.get(old.case_id).stats_recorded == stats_record(store.get(old.case_id))
    assert store.get(current.case_id).version == version  # up to date: not written
    assert centre.services.recount.run().recounted == 0
