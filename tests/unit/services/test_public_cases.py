"""PublicCases (一案一码查询、当事人评价, §14): the party's lookup and evaluation with the case code
and the last four digits of a party's phone; the per-code, per-day guard; equal work for a wrong
code and wrong digits."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.enums import CaseStatus
from chalicelib.domain.public_code import check_character
from chalicelib.services.errors import Conflict, NotFound, TooManyRequests
from chalicelib.services.public_cases import NOT_FOUND, SelfEvaluationInput
from tests.unit.services.builders import MONDAY, SHANGHAI, parse

DIGITS = "5678"
"""The last four digits of the applicant's phone in the builders' cases (13812345678)."""
GOOD = {"attitude": "satisfied", "process": "basically_satisfied", "effect": "satisfied"}
BAD = {"attitude": "satisfied", "process": "satisfied", "effect": "dissatisfied"}


@pytest.fixture
def public(container):
    return container.public_cases


@pytest.fixture
def tries(container):
    return container.try_counter


def evaluation(digits: str = DIGITS, satisfaction: dict | None = None, **more) -> SelfEvaluationInput:
    return parse(SelfEvaluationInput, {"phone_last4": digits, "satisfaction": satisfaction or GOOD, **more})


def other_code(code: str) -> str:
    """A well-formed code, check character right, that no case has."""
    body = "".join(reversed(code[:8]))
    body = body if body != code[:8] else "23456789"
    return f"{body}-{check_character(body)}"


# ------------------------------------------------------------------ lookup


def test_a_party_reads_the_progress_and_a_right_try_is_taken_back(centre, public, tries, clock):
    case = centre.case_at(CaseStatus.ACCEPTED)
    clock.advance(hours=5)
    seen = public.progress(case.public_code, DIGITS)
    assert (seen.status, seen.org_name, seen.extended, seen.suspended) == (
        CaseStatus.ACCEPTED, "城南社区人民调解委员会", False, False)
    assert [(s.stage, s.hours) for s in seen.stages] == [("received", 0.0), ("dispatched", 0.0), ("accepted", 5.0)]
    assert seen.resolve_due_on == case.resolve_due_at.astimezone(SHANGHAI).date()
    assert tries.counts == {(case.public_code, MONDAY.date()): 0}  # counted, then taken back
    assert tries.calls == ["wrong_tries", "count_wrong_try", "take_back_try"]


def test_the_code_is_read_as_a_party_may_type_it(centre, public):
    case = centre.case_at(CaseStatus.DISPATCHED)
    assert public.progress(f"  {case.public_code.lower()} ", DIGITS).status is CaseStatus.DISPATCHED


def test_the_digits_of_any_partys_phone_open_the_case(centre, public):
    case = centre.case_at(CaseStatus.RECEIVED, parties=[{"role": "applicant", "name": "张三"},
                                                        {"role": "respondent", "name": "李四", "phone": "13987654321"}])
    assert public.progress(case.public_code, "4321").status is CaseStatus.RECEIVED
    assert public.progress(case.public_code, "4321").org_name is None  # not routed: no org yet


WRONG_TRIES = {
    "unknown code": lambda code: (other_code(code), DIGITS),
    "bad check character": lambda code: (code[:-1] + ("2" if code[-1] != "2" else "3"), DIGITS),
    "malformed code": lambda code: ("NOT-A-CODE", DIGITS),
    "wrong digits": lambda code: (code, "0000"),
    "another party's first digits": lambda code: (code, "1381"),
}


@pytest.mark.parametrize("wrong", WRONG_TRIES.values(), ids=WRONG_TRIES.keys())
def test_a_wrong_code_and_wrong_digits_get_the_same_404_after_the_same_work(centre, public, tries, store, wrong):
    case = centre.case_at(CaseStatus.RESOLVED)
    code, digits = wrong(case.public_code)
    with pytest.raises(NotFound) as caught:
        public.progress(code, digits)
    assert (caught.value.status, caught.value.title, caught.value.detail) == (404, "Not found", NOT_FOUND)
    assert tries.calls == ["wrong_tries", "count_wrong_try"] and store.code_reads == 1
    assert tries.counts == {(code.strip().upper(), MONDAY.date()): 1}


@pytest.mark.parametrize("junk", [
    lambda code: code + "-XXXXXX",  # 17 characters
    lambda code: "㍿" * 5,  # 5 as sent, 20 once normalised (NFKC)
    lambda code: "",
    lambda code: "   ",
    lambda code: code[:4] + "\n" + code[4:],
    lambda code: code[:4] + "\ud800",  # a lone surrogate: no key DynamoDB would take
], ids=["too long", "too long normalised", "empty", "blank", "a control character", "a lone surrogate"])
def test_what_is_no_code_at_all_is_404_with_nothing_read_or_counted(centre, public, tries, store, junk):
    case = centre.case_at(CaseStatus.RESOLVED)
    with pytest.raises(NotFound) as caught:
        public.progress(junk(case.public_code), DIGITS)
    assert caught.value.detail == NOT_FOUND
    assert tries.calls == [] and tries.counts == {} and store.code_reads == 0


def test_a_code_typed_in_full_width_forms_opens_the_case(centre, public):
    case = centre.case_at(CaseStatus.RESOLVED)
    full_width = "".join(chr(ord(char) + 0xFEE0) for char in case.public_code)  # ７ＫＱ４Ｍ２ＸＰ－Ｒ
    assert public.progress(full_width, DIGITS).status is CaseStatus.RESOLVED


def test_the_sixth_wrong_try_of_a_day_is_429_and_so_is_every_try_until_the_day_ends(centre, public, tries, clock):
    case = centre.case_at(CaseStatus.RESOLVED)
    clock.set(dt.datetime(2026, 11, 23, 23, 0, tzinfo=SHANGHAI))
    for _ in range(5):
        with pytest.raises(NotFound):
            public.progress(case.public_code, "0000")
    with pytest.raises(TooManyRequests) as sixth:
        public.progress(case.public_code, "0000")
    assert (sixth.value.status, sixth.value.retry_after, sixth.value.headers) == (429, 3600, {"Retry-After": "3600"})
    clock.set(dt.datetime(2026, 11, 23, 23, 59, 30, tzinfo=SHANGHAI))
    with pytest.raises(TooManyRequests) as right:
        public.progress(case.public_code, DIGITS)  # the right digits too
    assert right.value.retry_after == 30
    with pytest.raises(TooManyRequests):
        public.evaluate(case.public_code, evaluation())
    clock.set(dt.datetime(2026, 11, 24, 0, 0, tzinfo=SHANGHAI))  # a new day in Shanghai
    assert public.progress(case.public_code, DIGITS).status is CaseStatus.RESOLVED
    assert tries.expiry[case.public_code, dt.date(2026, 11, 24)] == dt.datetime(2026, 11, 26, tzinfo=SHANGHAI)


def store_reads_after(centre, call) -> int:
    """Case-code look-ups the store made during `call`."""
    before = centre.store.code_reads
    call()
    return centre.store.code_reads - before


def test_a_blocked_code_is_refused_before_its_case_is_read(centre, public, tries):
    case = centre.case_at(CaseStatus.RESOLVED)
    tries.counts[case.public_code, MONDAY.date()] = 5
    tries.calls.clear()

    def blocked():
        with pytest.raises(TooManyRequests):
            public.progress(case.public_code, DIGITS)

    assert store_reads_after(centre, blocked) == 0 and tries.calls == ["wrong_tries"]


def test_tries_made_at_once_check_no_more_digits_than_the_day_allows(centre, public, tries):
    """Two tries read a count of 4; the other one is counted first: this one, counted sixth, is
    refused without its digits being checked, right as they are."""
    case = centre.case_at(CaseStatus.RESOLVED)
    key = (case.public_code, MONDAY.date())
    tries.counts[key] = 4
    count = tries.count_wrong_try

    def concurrent_first(code, day, expires_at):
        count(code, day, expires_at)  # the other try's count lands first
        return count(code, day, expires_at)

    tries.count_wrong_try = concurrent_first

    def refused():
        with pytest.raises(TooManyRequests):
            public.progress(case.public_code, DIGITS)

    assert store_reads_after(centre, refused) == 0  # refused unchecked
    assert tries.counts[key] == 5  # and taken back: only the other try counts (right tries must not lock the code)


def test_a_code_sent_percent_encoded_opens_the_case(centre, public):
    from urllib.parse import quote

    case = centre.case_at(CaseStatus.RESOLVED)
    full_width = "".join(chr(ord(char) + 0xFEE0) for char in case.public_code)
    assert public.progress(quote(full_width), DIGITS).status is CaseStatus.RESOLVED
    assert public.progress(quote(f" {case.public_code.lower()}"), DIGITS).status is CaseStatus.RESOLVED


def test_wrong_tries_on_one_code_leave_another_codes_alone(centre, public):
    first = centre.case_at(CaseStatus.RESOLVED, "R-1")
    second = centre.case_at(CaseStatus.RESOLVED, "R-2")
    for _ in range(6):
        with pytest.raises((NotFound, TooManyRequests)):
            public.progress(first.public_code, "0000")
    assert public.progress(second.public_code, DIGITS).status is CaseStatus.RESOLVED


# -------------------------------------------------------------- evaluation


def test_the_party_evaluates_a_resolved_case_once(centre, public, store, publisher):
    case = centre.case_at(CaseStatus.RESOLVED)
    evaluated = public.evaluate(case.public_code, evaluation(comment="调解员很耐心"))
    stored = store.get(case.case_id)
    assert stored.self_evaluation == {"at": "2026-11-23T10:00:00+08:00", "satisfaction": GOOD, "comment": "调解员很耐心"}
    assert evaluated.version == stored.version and stored.rectification_required is False
    [event] = [e for e in store.events(case.case_id) if e.type == "self_evaluation"]
    assert event.actor == "party" and "调解员很耐心" not in str(event.detail)
    assert not [n for n in store.notifications(case.case_id) if n["kind"] == "rectification"]
    with pytest.raises(Conflict, match="already recorded"):
        public.evaluate(case.public_code, evaluation(satisfaction=BAD))
    assert store.get(case.case_id).self_evaluation["satisfaction"] == GOOD


@pytest.mark.parametrize("status", [CaseStatus.RECEIVED, CaseStatus.DISPATCHED, CaseStatus.ACCEPTED,
                                    CaseStatus.WITHDRAWN])
def test_before_the_case_concludes_an_evaluation_is_409_and_changes_nothing(centre, public, status):
    case = centre.case_at(status)
    with centre.refuses(Conflict):
        public.evaluate(case.public_code, evaluation())


@pytest.mark.parametrize("status", [CaseStatus.UNRESOLVED, CaseStatus.CLOSED])
def test_an_unresolved_or_closed_case_takes_an_evaluation(centre, public, store, status):
    case = centre.case_at(status)
    public.evaluate(case.public_code, evaluation(comment=""))  # an empty comment box: no comment
    assert store.get(case.case_id).self_evaluation["comment"] is None


def test_a_dissatisfied_evaluation_raises_rectification_with_the_org_heads_sms(centre, public, store, publisher):
    case = centre.case_at(CaseStatus.UNRESOLVED)
    assert public.evaluate(case.public_code, evaluation(satisfaction=BAD)).rectification_required is True
    [sms] = [n for n in store.notifications(case.case_id) if n["kind"] == "rectification"]
    assert (sms["to"], sms["status"]) == ("13900000101", "pending")  # the village org's head
    assert {"case_id": case.case_id, "sk": sms["sk"]} in publisher.bodies("notify")
    stats = {row: counters for (_, row), counters in store.stats_rows().items() if row == "320509#2026-11-23"}
    assert (stats["320509#2026-11-23"]["visits"], stats["320509#2026-11-23"].get("visits_ok", 0)) == (1, 0)


def test_wrong_digits_on_an_evaluation_are_a_wrong_try(centre, public, tries):
    case = centre.case_at(CaseStatus.RESOLVED)
    with centre.refuses(NotFound):
        public.evaluate(case.public_code, evaluation(digits="0000"))
    assert tries.counts[case.public_code, MONDAY.date()] == 1


def test_a_concurrent_write_makes_the_evaluation_read_the_case_again(centre, public, store):
    case = centre.case_at(CaseStatus.RESOLVED)
    store.interleave(lambda: centre.act(case.case_id, "note", text="已电话回访当事人"))
    public.evaluate(case.public_code, evaluation())
    types = centre.event_types(case.case_id)
    assert types.count("note") == 1 and types.count("self_evaluation") == 1
    assert store.get(case.case_id).self_evaluation is not None


def test_two_evaluations_at_once_record_one(centre, public, store):
    case = centre.case_at(CaseStatus.RESOLVED)
    store.interleave(lambda: public.evaluate(case.public_code, evaluation(satisfaction=BAD)))
    with pytest.raises(Conflict, match="already recorded"):
        public.evaluate(case.public_code, evaluation())
    assert store.get(case.case_id).self_evaluation["satisfaction"] == BAD
    assert centre.event_types(case.case_id).count("self_evaluation") == 1
