"""bench/load.py and bench/intake_bodies.py: the percentiles, the error and duplicate counts, a
partner's thread against a fake server, and bodies the service accepts."""

from __future__ import annotations

import json
import random

import pytest

from bench.intake_bodies import VILLAGES, intake_body
from bench.load import NO_ANSWER, Outcome, PartnerRun, duplicate_report, latency_report, percentile
from chalicelib.services.commands import NewCase


def test_percentile_is_the_nearest_rank():
    values = list(range(100, 0, -1))  # 1..100, unsorted
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99), percentile(values, 100)) \
        == (50, 95, 99, 100)
    assert percentile([7.0], 99) == 7.0
    assert percentile([1, 2, 3, 4], 50) == 2 and percentile([1, 2, 3, 4], 51) == 3
    assert percentile([10, 20], 1) == 10


@pytest.mark.parametrize("values, p", [([], 50), ([1], 0), ([1], 101)])
def test_percentile_refuses_no_values_and_a_p_out_of_range(values, p):
    with pytest.raises(ValueError):
        percentile(values, p)


def test_latency_report_counts_every_unexpected_status_as_an_error_by_kind():
    outcomes = [Outcome("intake", 201, 10), Outcome("intake", 500, 30), Outcome("intake", 409, 20),
                Outcome("retry", 200, 5), Outcome("retry", 201, 6), Outcome("read", 200, 1),
                Outcome("read", NO_ANSWER, 1000)]
    report = latency_report(outcomes, seconds=2)
    assert report["requests"] == 7 and report["throughput_rps"] == 3.5
    assert report["errors"] == 4
    assert report["errors_by_status"] == {"intake 409": 1, "intake 500": 1, "read 0": 1, "retry 201": 1}
    assert report["latency_ms"]["intake"] == {"requests": 3, "p50": 20, "p95": 30, "p99": 30, "max": 30}


def test_duplicate_report_is_clean_when_each_ref_is_held_once_by_the_case_its_201_named():
    report = duplicate_report({"A": "c1", "B": "c2", "C": None}, {"A": ["c1"], "B": ["c2"], "C": []},
                              [("A", "c1"), ("A", "c1"), ("B", "c2")])
    assert (report["duplicates"], report["missing"], report["retries_checked"]) == (0, 0, 3)


def test_duplicate_report_counts_a_ref_held_twice_and_a_retry_answered_with_another_case():
    report = duplicate_report({"A": "c1", "B": "c2", "C": None}, {"A": ["c1", "c9"], "B": ["c2"], "C": ["c3", "c4"]},
                              [("B", "c7"), ("B", "c2")])
    assert report["refs_held_by_several_cases"] == 2  # an intake without a 201 still must not make two
    assert report["retry_mismatches"] == 1
    assert report["duplicates"] == 3 and report["missing"] == 0
    assert set(report["examples"]) == {"A", "C"}


def test_duplicate_report_counts_a_case_missing_or_another_than_the_201_named():
    report = duplicate_report({"A": "c1", "B": "c2"}, {"A": [], "B": ["c5"]}, [])
    assert (report["duplicates"], report["missing"]) == (0, 2)


class FakeServer:
    """Partner intake as the contract says (201 new, 200 the same case on a replay), or, with
    `duplicating`, a broken one that files a new case on every request."""

    def __init__(self, duplicating: bool = False):
        self.duplicating = duplicating
        self.cases: dict[str, list[str]] = {}
        self.requests: list[tuple[str, str]] = []

    def request(self, method, path, raw=None, **_):
        self.requests.append((method, path))
        if method == "GET":
            return 200, {}, {"case_id": path.rsplit("/", 1)[1]}
        ref = json.loads(raw)["external_ref"]
        held = self.cases.setdefault(ref, [])
        if held and not self.duplicating:
            return 200, {}, {"case_id": held[0]}
        held.append(f"case-{sum(map(len, self.cases.values()))}")
        return (200 if len(held) > 1 else 201), {}, {"case_id": held[-1]}


def run_steps(server: FakeServer, steps: int) -> PartnerRun:
    run = PartnerRun(3, server, random.Random(5))
    for sequence in range(steps):
        run.step(sequence)
    return run


def test_a_partner_run_files_retries_and_reads_and_finds_no_duplicate_on_a_correct_server():
    server = FakeServer()
    run = run_steps(server, 60)
    kinds = {outcome.kind for outcome in run.outcomes}
    assert kinds == {"intake", "retry", "read"} and not any(outcome.error for outcome in run.outcomes)
    assert run.outcomes[0].kind == "intake"  # nothing to retry or read before a first intake
    assert all(ref.startswith("LOAD-03-") for ref in run.first_answers)
    report = duplicate_report(run.first_answers, server.cases, run.retries)
    assert report["duplicates"] == 0 and report["missing"] == 0 and report["retries_checked"] > 0


def test_a_partner_run_shows_the_duplicates_of_a_server_that_files_retries_again():
    server = FakeServer(duplicating=True)
    run = run_steps(server, 60)
    report = duplicate_report(run.first_answers, server.cases, run.retries)
    assert report["retry_mismatches"] == len(run.retries) > 0
    assert report["refs_held_by_several_cases"] > 0


def test_a_request_without_an_answer_is_an_error_of_status_0():
    class Refusing:
        def request(self, *args, **kwargs):
            raise ConnectionResetError(104, "Connection reset by peer")

    run = PartnerRun(0, Refusing(), random.Random(1))
    run.step(0)
    assert run.outcomes[0].status == NO_ANSWER and run.outcomes[0].error
    assert run.first_answers == {"LOAD-00-000000": None} and "ConnectionResetError" in run.failures[0]


def test_the_bodies_are_valid_intakes_in_the_demo_villages_with_valid_phones_and_some_id_numbers():
    rng = random.Random(18)
    commands = [NewCase.model_validate_json(json.dumps(intake_body(rng, f"R-{i}"), ensure_ascii=False))
                for i in range(300)]
    assert {command.region_code for command in commands} == set(VILLAGES) and len(VILLAGES) == 6
    assert len({command.category for command in commands}) >= 8 and any(c.category is None for c in commands)
    parties = [party for command in commands for party in command.parties]
    assert all(party.phone is None or len(party.phone) == 11 for party in parties)
    with_id = sum(1 for command in commands if command.parties[0].id_number)
    assert 50 < with_id < 150
    assert intake_body(random.Random(1), "X") == intake_body(random.Random(1), "X")
