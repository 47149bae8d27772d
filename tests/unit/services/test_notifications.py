"""Notifier (短信通知): the records it plans, what it enqueues, each SMS sent at most once, failed
sends retried, and quiet hours (22:00–08:00 Asia/Shanghai) kept for all but red cases."""

from __future__ import annotations

import dataclasses
import datetime as dt
from types import SimpleNamespace

import pytest

from chalicelib.adapters.clock import to_storage
from chalicelib.domain.enums import CaseStatus, RiskLevel
from chalicelib.domain.notices import CLAIMABLE, Notice, NoticeKind
from chalicelib.services.notifications import CLAIM_LEASE, RETRY_AFTER_FAILURE, STRAGGLER_GRACE, SendFailed
from tests.unit.services.builders import MONDAY, SHANGHAI

NIGHT = dt.datetime(2026, 11, 23, 23, 0, tzinfo=SHANGHAI)
"""In quiet hours; they end at 08:00 the next morning."""
NEXT_MORNING = dt.datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI)


@pytest.fixture
def record(store, dispatched):
    [note] = store.notifications(dispatched.case_id)
    return note


def stored(store, note) -> dict:
    return store.notification(note["case_id"], note["sk"])


def released_and_sent(notifier, publisher, now) -> int:
    """Release what is due at `now` onto the notify queue, then deliver the messages it put
    there, as the notify function would: how many SMS went out."""
    before = len(publisher.messages)
    notifier.release(now)
    sent = 0
    for role, body, _ in publisher.messages[before:]:
        if role == "notify":
            try:
                sent += notifier.deliver_message(body) == "sent"
            except SendFailed:
                pass
    return sent


@pytest.mark.parametrize(("phone", "risk", "moment", "status", "release_at"), [
    ("13900000201", RiskLevel.BLUE, MONDAY, "pending", MONDAY + STRAGGLER_GRACE),
    ("051263001234", RiskLevel.BLUE, MONDAY, "suppressed", None),  # a landline takes no SMS
    (None, RiskLevel.BLUE, MONDAY, "suppressed", None),
    ("13900000201", RiskLevel.YELLOW, NIGHT, "deferred", NEXT_MORNING),
    ("13900000201", RiskLevel.RED, NIGHT, "pending", NIGHT + STRAGGLER_GRACE),
])
def test_a_planned_record_is_pending_suppressed_or_deferred(notifier, dispatched, phone, risk, moment, status,
                                                            release_at):
    mediator = SimpleNamespace(phone=phone)
    org = SimpleNamespace(name="城南社区人民调解委员会", head_phone=None)
    case = dataclasses.replace(dispatched, risk_level=risk)
    [planned] = notifier.plan(case, [Notice(NoticeKind.REMINDER, "V-CN", "M-CN-1", due=MONDAY)], moment,
                              lambda org_id: org, lambda mediator_id: mediator)
    assert (planned["to"], planned["status"], planned["kind"]) == (phone, status, "reminder")
    assert planned["release_at"] == (to_storage(release_at) if release_at else None)
    assert planned["keeps_quiet_hours"] is (risk is not RiskLevel.RED)
    assert dispatched.case_id in planned["text"] and "11-23 10:00" in planned["text"]
    assert planned["template"] == "reminder" and dict(planned["params"])["case_id"] == dispatched.case_id


def test_enqueue_asks_the_sender_for_the_pending_records_only(notifier, dispatched, publisher):
    pending = {"case_id": dispatched.case_id, "sk": "NTF#1", "status": "pending"}
    notifier.enqueue([pending, {**pending, "sk": "NTF#2", "status": "suppressed"},
                      {**pending, "sk": "NTF#3", "status": "deferred"}])
    assert publisher.bodies("notify")[-1:] == [{"case_id": dispatched.case_id, "sk": "NTF#1"}]


def test_an_enqueue_the_queue_refuses_leaves_the_records_to_the_sweep(notifier, publisher):
    publisher.fail("notify")
    notifier.enqueue([{"case_id": "HW1", "sk": "NTF#1", "status": "pending"}])
    assert publisher.messages == []


def test_a_record_is_sent_once_however_often_it_is_delivered(notifier, record, store, sms, clock):
    clock.advance(seconds=5)
    assert notifier.deliver(record["case_id"], record["sk"]) == "sent"
    assert notifier.deliver(record["case_id"], record["sk"]) == "sent"
    assert sms.sent == [("13900000201", record["text"])]
    assert (stored(store, record)["status"], stored(store, record)["sent_at"]) == ("sent", to_storage(clock()))
    assert list(store.notifications_to_release(clock() + dt.timedelta(days=1))) == []


def test_a_record_another_sender_holds_is_left_alone(notifier, record, store, sms, clock):
    assert store.claim_notification(record["case_id"], record["sk"], CLAIMABLE, clock(), clock() + CLAIM_LEASE)
    assert notifier.deliver(record["case_id"], record["sk"]) == "sending"
    assert notifier.deliver(record["case_id"], "NTF#missing") == "missing"
    assert sms.sent == []


def test_a_sender_that_died_after_its_claim_is_taken_over_once_its_lease_is_over(notifier, record, store, sms,
                                                                                   clock, publisher):
    """Claimed, then the sender's function timed out before it settled: nothing is lost."""
    assert store.claim_notification(record["case_id"], record["sk"], CLAIMABLE, clock(), clock() + CLAIM_LEASE)
    clock.advance(seconds=CLAIM_LEASE.total_seconds() - 1)
    assert notifier.release(clock()) == 0 and notifier.deliver(record["case_id"], record["sk"]) == "sending"
    clock.advance(seconds=1)
    assert released_and_sent(notifier, publisher, clock()) == 1
    assert sms.sent == [("13900000201", record["text"])] and stored(store, record)["status"] == "sent"
    assert notifier.release(clock() + dt.timedelta(days=1)) == 0  # settled: off the release index


def test_a_sweep_run_as_of_a_later_moment_takes_over_no_live_claim(notifier, record, store, sms, clock, publisher):
    assert store.claim_notification(record["case_id"], record["sk"], CLAIMABLE, clock(), clock() + CLAIM_LEASE)
    assert released_and_sent(notifier, publisher, clock() + dt.timedelta(days=1)) == 0  # the lease runs on the clock
    assert sms.sent == [] and stored(store, record)["status"] == "sending"


def test_a_sender_whose_lease_was_taken_over_does_not_overwrite_the_new_holders_outcome(notifier, record, store,
                                                                                     sms, clock, publisher):
    first_until = clock() + CLAIM_LEASE
    assert store.claim_notification(record["case_id"], record["sk"], CLAIMABLE, clock(), first_until)
    clock.advance(seconds=CLAIM_LEASE.total_seconds())
    assert released_and_sent(notifier, publisher, clock()) == 1  # taken over and sent
    assert not store.settle_notification(record["case_id"], record["sk"], "failed", None, first_until,
                                         retry_at=clock())  # the first sender wakes up late
    assert stored(store, record)["status"] == "sent" and notifier.release(clock() + dt.timedelta(days=1)) == 0
    assert len(sms.sent) == 1


def test_a_failed_send_is_marked_with_its_code_and_retried_by_release(notifier, record, store, sms, clock,
                                                                      publisher):
    sms.failing = "isv.BUSINESS_LIMIT_CONTROL"
    with pytest.raises(SendFailed):
        notifier.deliver(record["case_id"], record["sk"])
    failed = stored(store, record)
    assert (failed["status"], failed["error_code"], failed["provider"]) == ("failed", "isv.BUSINESS_LIMIT_CONTROL",
                                                                            "fake")
    sms.failing = False
    assert released_and_sent(notifier, publisher, MONDAY + RETRY_AFTER_FAILURE - dt.timedelta(seconds=1)) == 0
    clock.set(MONDAY + RETRY_AFTER_FAILURE)
    assert released_and_sent(notifier, publisher, MONDAY + RETRY_AFTER_FAILURE) == 1
    sent = stored(store, record)
    assert (sent["status"], sent["error_code"], sent["message_id"]) == ("sent", None, "sms-1") and len(sms.sent) == 1


def test_an_unreachable_provider_is_a_failure_named_by_its_error(notifier, record, store, sms):
    sms.failing = True
    with pytest.raises(SendFailed):
        notifier.deliver(record["case_id"], record["sk"])
    assert stored(store, record)["error_code"] == "SmsUnreachable"


def test_a_release_that_fails_again_moves_on_and_retries_later(notifier, record, store, sms, clock, publisher):
    sms.failing = True
    clock.advance(STRAGGLER_GRACE)
    assert released_and_sent(notifier, publisher, clock()) == 0
    assert [r["sk"] for r in store.notifications_to_release(clock() + RETRY_AFTER_FAILURE)] == [record["sk"]]


def test_a_straggler_is_sent_by_release_after_its_grace(notifier, record, sms, publisher):
    assert notifier.release(MONDAY + STRAGGLER_GRACE / 2) == 0
    assert released_and_sent(notifier, publisher, MONDAY + STRAGGLER_GRACE) == 1
    assert sms.sent == [("13900000201", record["text"])]


@pytest.fixture
def at_night(centre, clock, request):
    """A case of the given risk dispatched at 21:59: its SMS falls due for release in quiet hours."""
    clock.set(dt.datetime(2026, 11, 23, 21, 59, tzinfo=SHANGHAI))
    return centre.case_at(CaseStatus.DISPATCHED, **request.param)


@pytest.mark.parametrize(("at_night", "sent_at_ten", "sent_by_eight"), [
    ({}, 0, 1), ({"risk_indicators": ["threat_of_violence"]}, 2, 2)], indirect=["at_night"])
def test_in_quiet_hours_release_sends_only_red_cases_sms_the_rest_at_eight(
        notifier, store, sms, at_night, sent_at_ten, sent_by_eight, publisher, clock):
    ten = dt.datetime(2026, 11, 23, 22, 0, tzinfo=SHANGHAI)
    clock.set(ten)
    assert released_and_sent(notifier, publisher, ten) == sent_at_ten
    assert released_and_sent(notifier, publisher, ten + dt.timedelta(hours=1)) == 0
    clock.set(NEXT_MORNING)
    assert released_and_sent(notifier, publisher, NEXT_MORNING) == sent_by_eight - sent_at_ten
    assert {n["status"] for n in store.notifications(at_night.case_id)} == {"sent"}


def test_a_deferred_record_waits_for_eight(centre, notifier, clock, store, sms, publisher):
    clock.set(NIGHT)
    case = centre.case_at(CaseStatus.DISPATCHED)
    [note] = store.notifications(case.case_id)
    assert note["status"] == "deferred" and centre.services.publisher.bodies("notify") == []
    assert released_and_sent(notifier, publisher, NEXT_MORNING - dt.timedelta(minutes=1)) == 0
    clock.set(NEXT_MORNING)
    assert released_and_sent(notifier, publisher, NEXT_MORNING) == 1 and sms.sent[0][0] == "13900000201"
