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


def test_a_case_filed_before_case_codes_is_given_one_once(centre, store):
    from chalicelib.domain.public_code import is_valid
    from chalicelib.domain.public_lookup import claim_matches

    legacy = centre.case_at(CaseStatus.RESOLVED, "R-3")
    kept = store._cases[legacy.case_id]
    store.codes.pop(kept.public_code)
    kept.public_code = None  # as stored before codes existed
    result = centre.services.recount.run()
    assert (result.examined, result.coded, result.recounted) == (1, 1, 0)
    upgraded = store.get(legacy.case_id)
    assert is_valid(upgraded.public_code) and store.codes[upgraded.public_code] == legacy.case_id
    phone = next(p.phone for p in upgraded.parties if p.phone)
    assert claim_matches(store.code_claim(upgraded.public_code).tail_digests, upgraded.public_code, phone[-4:])
    assert centre.event_types(legacy.case_id)[-1] == "public_code_given"
    assert centre.services.recount.run().coded == 0  # once


def test_a_case_recorded_before_hard_cases_were_counted_is_recounted_to_the_rows_it_counts_in_now(centre, store):
    """A case that an org assists and a leader is in charge of, recorded as before `assisted`,
    `sponsored` and `joint_mediation` existed (and the rows without them): one recount brings
    the rows to exactly what the cases contribute."""
    from chalicelib.domain.regions import district_of
    from chalicelib.domain.stats import HARD_CASE_COUNTERS, deltas, record_rows

    hard = centre.case_at(CaseStatus.ACCEPTED, "R-1", risk_indicators=["threat_of_violence"])  # T-SL leads
    for org_id in ("V-CN", "D-WJ"):
        centre.act(hard.case_id, "add_participant", org_id=org_id)
    centre.act(hard.case_id, "sponsor")
    centre.case_at(CaseStatus.DISPATCHED, "R-2")
    rows = store.stats_rows()
    assert any("assisted" in counters for counters in rows.values())
    kept = store._cases[hard.case_id]
    old = {key: value for key, value in kept.stats_recorded.items() if key != "assisting"}
    old["counts"] = {name: n for name, n in old["counts"].items() if name not in HARD_CASE_COUNTERS}
    for row, counters in deltas(record_rows(kept, kept.stats_recorded), record_rows(kept, old)).items():
        for name, delta in counters.items():  # the rows as the earlier version kept them
            store._stats[district_of(kept.region_code), row][name] += delta
    kept.stats_recorded = old
    assert not any("assisted" in counters for counters in store.stats_rows().values())
    result = centre.services.recount.run()
    assert (result.examined, result.recounted) == (2, 1)
    assert store.stats_rows() == rows
    assert centre.services.recount.run().recounted == 0
