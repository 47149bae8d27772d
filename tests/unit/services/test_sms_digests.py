"""A sweep's notices to one number go as one digest SMS (汇总短信); the sender keeps the frequency
limits per number and kind (频次限制), holding back what exceeds them to a later slot, never a red
case's; each record keeps the receipt of the SMS it went in."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.enums import CaseStatus
from chalicelib.domain.notices import Notice, NoticeKind
from chalicelib.services.notifications import MAX_QUEUE_DELAY, recipient_key
from tests.unit.services.builders import MONDAY

HOUR = dt.timedelta(hours=1)
NEXT_MORNING = MONDAY + 22 * HOUR
"""08:00 the next day: the reminders (due at 22:00, halfway to the 24 h to accept) go once quiet hours end."""
MEDIATOR_PHONE = "13900000201"  # M-CN-1's


@pytest.fixture
def one_mediator(centre):
    """The demo centre: V-CN has M-CN-1 alone, so every case of the village goes to it."""
    assert [m.mediator_id for m in centre.services.directory_store.mediators_of("V-CN")] == ["M-CN-1"]
    return centre


def dispatched_cases(centre, count: int, mediator: str = "M-CN-1", **overrides) -> list:
    cases = [centre.case_at(CaseStatus.DISPATCHED, f"D-{n}", **overrides) for n in range(count)]
    assert {case.mediator_id for case in cases} == {mediator}
    return cases


def deliver_new(centre, since: int) -> int:
    """Deliver the notify messages published after the first `since`; the count published."""
    publisher = centre.services.publisher
    bodies = [body for role, body, _ in publisher.messages[since:] if role == "notify"]
    for body in bodies:
        centre.services.notifier.deliver_message(body)
    return len(publisher.messages)


def reminders(store, cases) -> list[dict]:
    return [r for case in cases for r in store.notifications(case.case_id) if r["kind"] == "reminder"]


def test_a_sweep_that_finds_ten_due_cases_of_one_mediator_sends_one_sms(one_mediator, container, store, sms, clock):
    cases = dispatched_cases(one_mediator, 10)
    one_mediator.deliver_sms()  # the ten dispatch SMS: the first goes, the rest wait for their slots
    before, sent_before = len(container.publisher.messages), len(sms.sent)
    clock.set(NEXT_MORNING)
    result = container.supervision.run(as_of=NEXT_MORNING)  # past halfway to the 24 h to accept: reminders
    assert result.actions >= 10
    published = container.publisher.messages[before:]
    [digest_message] = [body for role, body, _ in published if role == "notify" and "notifications" in body]
    assert len(digest_message["notifications"]) == 10
    deliver_new(one_mediator, before)
    new = sms.messages[sent_before:]
    reminder_sms = [m for m in new if m.template.startswith("reminder")]
    assert [(m.phone, m.template) for m in reminder_sms] == [(MEDIATOR_PHONE, "reminder_digest")]
    assert reminder_sms[0].text.startswith("【和为贵】您有10件案件即将到期，最早一件HW")
    records = reminders(store, cases)
    assert len(records) == 10 and {r["status"] for r in records} == {"sent"}
    assert {r["message_id"] for r in records} == {f"sms-{sent_before + 1 + new.index(reminder_sms[0])}"}
    assert {(r["sent_as"]["template"], r["sent_as"]["count"]) for r in records} == {("reminder_digest", 10)}
    assert all(case.case_id in r["text"] for case, r in zip(cases, records))  # each record keeps its own text


def test_the_digest_names_the_case_due_first(one_mediator, container, store, sms, clock):
    cases = dispatched_cases(one_mediator, 2)
    clock.advance(HOUR)
    later = one_mediator.case_at(CaseStatus.DISPATCHED, "D-late")  # due an hour after the others
    clock.set(NEXT_MORNING + HOUR)
    before = len(container.publisher.messages)
    container.supervision.run(as_of=NEXT_MORNING + HOUR)
    deliver_new(one_mediator, before)
    [digest] = [m for m in sms.messages if m.template == "reminder_digest"]
    params = dict(digest.params)
    assert (params["count"], params["due"]) == ("3", "11-24 10:00")  # the later one is due at 11:00
    assert params["case_id"] in {case.case_id for case in cases}
    assert later.accept_due_at == cases[0].accept_due_at + HOUR


def test_sms_to_one_number_of_one_kind_are_held_to_one_a_minute(one_mediator, container, store, sms, publisher,
                                                                 clock):
    cases = dispatched_cases(one_mediator, 3)
    one_mediator.deliver_sms()
    statuses = [store.notifications(case.case_id)[0]["status"] for case in cases]
    assert statuses == ["sent", "deferred", "deferred"] and len(sms.sent) == 1
    held = [store.notifications(case.case_id)[0] for case in cases[1:]]
    assert [r["slot_at"] for r in held] == ["2026-11-23T02:01:00.000000+00:00", "2026-11-23T02:02:00.000000+00:00"]
    delayed = [(body, delay) for role, body, delay in publisher.messages if role == "notify" and delay]
    assert [delay for _, delay in delayed] == [61, 121]  # each back on the queue for its slot
    clock.advance(seconds=60)
    container.notifier.deliver_message(delayed[0][0])
    container.notifier.deliver_message(delayed[1][0])  # early: waits on, back on the queue for its slot
    assert [store.notifications(c.case_id)[0]["status"] for c in cases] == ["sent", "sent", "deferred"]
    assert publisher.messages[-1] == ("notify", delayed[1][0], 61)
    clock.advance(seconds=60)
    container.notifier.deliver_message(delayed[1][0])
    assert len(sms.sent) == 3 and len({m.text for m in sms.messages}) == 3


def test_a_held_sms_whose_queue_message_is_lost_goes_by_the_release_index(one_mediator, container, store, sms,
                                                                          clock):
    cases = dispatched_cases(one_mediator, 2)
    one_mediator.deliver_sms()
    assert store.notifications(cases[1].case_id)[0]["status"] == "deferred"
    clock.advance(seconds=61)
    before = len(container.publisher.messages)
    container.supervision.run()  # the release index: its slot has come
    deliver_new(one_mediator, before)
    assert store.notifications(cases[1].case_id)[0]["status"] == "sent" and len(sms.sent) == 2


def test_an_hour_of_five_then_a_slot_an_hour_after_the_first(one_mediator, container, store, sms, clock):
    cases = dispatched_cases(one_mediator, 6)
    for n in range(6):
        one_mediator.deliver_sms()
        clock.advance(seconds=60)
    records = [store.notifications(case.case_id)[0] for case in cases]
    assert [r["status"] for r in records] == ["sent"] * 5 + ["deferred"]
    assert records[5]["slot_at"] == "2026-11-23T03:00:00.000000+00:00"  # an hour after the first
    wait = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.timezone.utc) - clock()
    assert wait > MAX_QUEUE_DELAY  # beyond SQS's delay: the release index brings it back
    clock.set(dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.timezone.utc))
    before = len(container.publisher.messages)
    container.supervision.run()
    deliver_new(one_mediator, before)
    assert store.notifications(cases[5].case_id)[0]["status"] == "sent" and len(sms.sent) == 6


def test_held_digestible_sms_wait_together_and_go_as_one_digest(one_mediator, container, store, sms, clock):
    cases = dispatched_cases(one_mediator, 1)
    notifier = container.notifier
    plan = lambda n: notifier.plan(store.get(cases[0].case_id), [  # noqa: E731
        Notice(
            NoticeKind.REMINDER, "V-CN", "M-CN-1", due=MONDAY + n * HOUR)], clock(), container.directory_store.org,
        container.directory_store.mediator)
    records = [plan(n)[0] for n in range(4)]
    for r in records:
        assert store.add_notification(r)
    for r in records:
        notifier.deliver(r["case_id"], r["sk"])
    stored = [store.notification(r["case_id"], r["sk"]) for r in records]
    assert [s["status"] for s in stored] == ["sent", "deferred", "deferred", "deferred"]
    assert len({s["slot_at"] for s in stored[1:]}) == 1  # one slot for all three
    clock.advance(seconds=60)
    notifier.deliver(records[1]["case_id"], records[1]["sk"])  # the slot's own message comes back
    stored = [store.notification(r["case_id"], r["sk"]) for r in records]
    assert [s["status"] for s in stored] == ["sent"] * 4
    assert sms.messages[-1].template == "reminder_digest" and dict(sms.messages[-1].params)["count"] == "3"


def test_a_red_cases_sms_is_never_held_nor_combined(one_mediator, container, store, sms, clock):
    cases = dispatched_cases(one_mediator, 3, mediator="M-SL-1", risk_indicators=["threat_of_violence"])
    one_mediator.deliver_sms()
    assert {r["status"] for case in cases for r in store.notifications(case.case_id)} == {"sent"}
    before = len(container.publisher.messages)
    container.supervision.run(as_of=MONDAY + 3 * HOUR)  # red: a reminder halfway through 4 h... per case
    bodies = [body for role, body, _ in container.publisher.messages[before:] if role == "notify"]
    assert bodies and all("notifications" not in body for body in bodies)


def test_the_ledger_holds_no_phone_number(one_mediator, container, sms):
    dispatched_cases(one_mediator, 2)
    one_mediator.deliver_sms()
    ledgers = container.send_ledgers.entries
    assert ledgers and all(MEDIATOR_PHONE not in recipient for recipient, _ in ledgers)
    key = recipient_key(container.settings.secret_key, MEDIATOR_PHONE)
    assert (key, "dispatch") in ledgers and len(ledgers[key, "dispatch"].ledger.slots) == 2


def test_a_ledger_written_by_another_sender_meanwhile_is_read_again(one_mediator, container, store, sms):
    cases = dispatched_cases(one_mediator, 1)
    ledgers = container.send_ledgers
    real_write, calls = ledgers.write, []

    def racing_write(recipient, kind, read, ledger, keep_until):
        calls.append(kind)
        if len(calls) == 1:  # another sender wrote first: this write's revision is stale
            real_write(recipient, kind, read, ledger, keep_until)
        return real_write(recipient, kind, read, ledger, keep_until)

    ledgers.write = racing_write
    one_mediator.deliver_sms()
    assert len(calls) == 2  # read again, decided again: held, since the other took the minute
    assert store.notifications(cases[0].case_id)[0]["status"] == "deferred" and sms.sent == []
