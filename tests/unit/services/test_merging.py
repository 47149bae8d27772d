"""CaseMerger.merge (并案, §12) on the fakes, with the duplicates found at intake and the related-case
routing (首接负责) that lead to it: what each case becomes, who is told, who may merge, what is
refused (changing nothing), the statistics, and merges racing other writes."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.api.views import case_view, timeline_view
from chalicelib.domain.enums import CaseStatus as S
from chalicelib.services.action_registry import MergeCase
from chalicelib.services.commands import StatsQuery
from chalicelib.services.errors import Conflict, Forbidden, NotFound, Unprocessable
from tests.unit.services.builders import (
    ADMIN, COLLEAGUE, MEDIATOR, OTHER_MEDIATOR, OTHER_SUPERVISOR, PARTNER, SUPERVISOR, parse)

OTHER_PHONE = "13700000001"


def unrelated(**overrides):
    """A case of another dispute in the same village and category, with other parties."""
    return {"title": "邻居装修噪音扰民", "description": "邻居装修每天早上七点开始施工，多次沟通无果",
            "parties": [{"role": "applicant", "name": "赵六", "phone": OTHER_PHONE}], **overrides}


def merge(centre, source_id: str, into: str, principal=ADMIN, **changes):
    command = parse(MergeCase, {"into": into, "reason": "同一纠纷多渠道反映", **changes})
    return centre.services.merger.merge(source_id, command, principal)


# ------------------------------------------------------------ detection

def test_a_second_report_of_one_dispute_is_a_possible_duplicate_and_a_related_case(centre, store):
    first = centre.case_at(S.DISPATCHED, "R-1")
    second = centre.file("R-2", channel="police_110")
    assert [(d.case_id, d.reasons) for d in second.possible_duplicates] == [
        (first.case_id, ("same_phone", "same_id_number", "same_place_and_category", "similar_text"))]
    assert second.related_case_id == first.case_id
    [suspected] = [e for e in store.events(second.case_id) if e.type == "duplicate_suspected"]
    assert suspected.detail["candidates"][0]["case_id"] == first.case_id


def test_an_unrelated_or_finished_case_is_no_duplicate(centre, store):
    closed = centre.case_at(S.WITHDRAWN, "R-1")
    other = centre.case_at(S.DISPATCHED, "R-2", **unrelated())
    third = centre.file("R-3", parties=[{"role": "applicant", "name": "孙七", "phone": "13600000009"}])
    assert third.possible_duplicates == [] and closed.case_id and other.case_id
    assert "duplicate_suspected" not in centre.event_types(third.case_id)


def test_partners_never_see_the_other_case(centre, store):
    first = centre.case_at(S.DISPATCHED, "R-1")
    second = centre.file("R-2")
    centre.services.routing.route(second.case_id)
    view = case_view(store.get(second.case_id), PARTNER)
    timeline = timeline_view(store.events(second.case_id), PARTNER)
    assert "possible_duplicates" not in view and first.case_id not in repr((view, timeline))
    assert "duplicate_suspected" not in [e["type"] for e in timeline]
    staff = timeline_view(store.events(second.case_id), ADMIN)
    assert first.case_id in repr(staff)


# ------------------------------------------------- related-case routing

def test_a_case_of_the_same_party_goes_to_the_org_and_mediator_of_the_open_one(centre, store):
    first = centre.case_at(S.ACCEPTED, "R-1")
    second = centre.case_at(S.DISPATCHED, "R-2", **unrelated(
        parties=[{"role": "applicant", "name": "张三", "phone": "13812345678"}]))
    assert (second.org_id, second.mediator_id) == (first.org_id, first.mediator_id)
    [routed] = [e for e in store.events(second.case_id) if e.type == "routed"]
    assert routed.detail["related_case_id"] == first.case_id and first.case_id in routed.detail["reason"]


def test_a_related_case_below_the_new_ones_tier_is_no_reason(centre, store):
    first = centre.case_at(S.DISPATCHED, "R-1")  # blue: village
    second = centre.case_at(S.DISPATCHED, "R-2", risk_indicators=["group_dispute"])  # orange: town
    assert (first.org_id, second.org_id) == ("V-CN", "T-SL")
    [routed] = [e for e in store.events(second.case_id) if e.type == "routed"]
    assert "related_case_id" not in routed.detail


# ---------------------------------------------------------------- merge

@pytest.fixture
def pair(centre):
    """R-1 accepted by M-CN-1, and R-2 of the same applicant (phone), dispatched to M-CN-1 too."""
    target = centre.case_at(S.ACCEPTED, "R-1")
    source = centre.case_at(S.DISPATCHED, "R-2", parties=[
        {"role": "applicant", "name": "张三", "phone": "13812345678"},
        {"role": "respondent", "name": "李四", "phone": "13700000002"}],
        risk_indicators=["vulnerable_party"])
    return source, target


def test_a_merge_writes_both_cases_and_tells_the_source_partner(centre, store, publisher, pair):
    source, target = pair
    assert centre.open_cases("M-CN-1") == 2
    merged = merge(centre, source.case_id, target.case_id)
    stored_target = store.get(target.case_id)
    assert (merged.status, merged.merged_into) == (S.MERGED, target.case_id)
    assert [s.case_id for s in stored_target.merged_sources] == [source.case_id]
    assert [p.name for p in stored_target.parties] == ["张三", "李四", "李四"]  # same phone once; another 李四
    assert (stored_target.risk_indicators, stored_target.risk_level) == (["vulnerable_party"], "yellow")
    assert centre.open_cases("M-CN-1") == 1
    assert publisher.bodies("callbacks")[-1]["payload"] == {
        "event": "case.status_changed", "case_id": source.case_id, "external_ref": "R-2", "status": "merged",
        "at": "2026-11-23T10:00:00+08:00"}
    assert centre.event_types(source.case_id)[-1] == "merged"
    assert centre.event_types(target.case_id)[-1] == "merged_in"


def test_the_merged_source_leaves_every_sweep(centre, container, store, pair):
    source, target = pair
    merge(centre, source.case_id, target.case_id)
    container.supervision.run(as_of=dt.datetime(2027, 3, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    assert "supervision" not in centre.event_types(source.case_id)
    assert "supervision" in centre.event_types(target.case_id)


def test_the_target_ending_tells_every_source_partner_and_the_partner_reads_the_outcome(
        centre, store, publisher, pair):
    source, target = pair
    merge(centre, source.case_id, target.case_id)
    queries = centre.services.queries
    assert queries.outcome_statuses([store.get(source.case_id)], PARTNER) == {source.case_id: None}
    centre.act(target.case_id, "fail", MEDIATOR)
    outcomes = [b["payload"] for b in publisher.bodies("callbacks") if b["payload"]["event"] == "case.merged_outcome"]
    assert outcomes == [{"event": "case.merged_outcome", "case_id": source.case_id, "external_ref": "R-2",
                         "status": "unresolved", "at": "2026-11-23T10:00:00+08:00"}]
    stored = store.get(source.case_id)
    statuses = queries.outcome_statuses([stored], PARTNER)
    assert statuses == {source.case_id: "unresolved"} and queries.outcome_statuses([stored], ADMIN) == {}
    view = case_view(stored, PARTNER, statuses[source.case_id])
    assert (view["status"], view["outcome_status"]) == ("merged", "unresolved")
    assert target.case_id not in repr(view) and target.case_id not in repr(
        timeline_view(store.events(source.case_id), PARTNER))
    centre.act(target.case_id, "close", MEDIATOR)
    assert [b["payload"]["status"] for b in publisher.bodies("callbacks")
            if b["payload"]["event"] == "case.merged_outcome"] == ["unresolved", "closed"]


def test_the_target_timeline_shows_the_source_notes_to_staff(centre, pair):
    source, target = pair
    centre.act(source.case_id, "note", MEDIATOR, text="110出警记录已调取")
    merge(centre, source.case_id, target.case_id)
    timeline = centre.services.queries.timeline(target.case_id, ADMIN)
    [note] = [e for e in timeline if e.type == "note" and e.detail.get("from_case") == source.case_id]
    assert note.detail["text"] == "110出警记录已调取"
    partner = timeline_view(centre.services.queries.timeline(target.case_id, PARTNER), PARTNER)
    assert source.case_id not in repr(partner) and "110出警记录已调取" not in repr(partner)


@pytest.mark.parametrize(("source_status", "into", "principal", "changes", "error"), [
    (S.DISPATCHED, "self", ADMIN, {}, Unprocessable),
    (S.DISPATCHED, "HW20261123NOSUCHID", ADMIN, {}, NotFound),
    (S.DISPATCHED, "target", PARTNER, {}, Forbidden),
    (S.DISPATCHED, "target", OTHER_SUPERVISOR, {}, NotFound),
    (S.DISPATCHED, "target", OTHER_MEDIATOR, {}, NotFound),
    (S.RESOLVED, "target", ADMIN, {}, Conflict),
    (S.DISPATCHED, "target", ADMIN, {"expected_version": 1}, Conflict),
])
def test_a_refused_merge_changes_nothing(centre, source_status, into, principal, changes, error):
    target = centre.case_at(S.ACCEPTED, "R-1")
    source = centre.case_at(source_status, "R-2")
    into = {"self": source.case_id, "target": target.case_id}.get(into, into)
    with centre.refuses(error):
        merge(centre, source.case_id, into, principal, **changes)


@pytest.mark.parametrize("target_status", [S.CLOSED, S.WITHDRAWN])
def test_a_finished_or_merged_target_is_refused(centre, target_status):
    target = centre.case_at(target_status, "R-1")
    source = centre.case_at(S.DISPATCHED, "R-2")
    with centre.refuses(Conflict):
        merge(centre, source.case_id, target.case_id)
    third, fourth, fifth = (centre.case_at(S.DISPATCHED, ref) for ref in ("R-3", "R-4", "R-5"))
    merge(centre, third.case_id, source.case_id)
    with centre.refuses(Conflict):  # into a merged case
        merge(centre, fourth.case_id, third.case_id)
    with centre.refuses(Conflict):  # a chain: R-2 took R-3
        merge(centre, source.case_id, fifth.case_id)


def test_staff_who_see_both_may_merge(centre, pair):
    source, target = pair
    assert merge(centre, source.case_id, target.case_id, COLLEAGUE).status is S.MERGED


def test_merged_cases_leave_the_total_and_the_rates(centre, container, pair):
    source, target = pair
    merge(centre, source.case_id, target.case_id, SUPERVISOR)
    figures = container.stats.figures(parse(StatsQuery, {"region": "320509", "from": "2026-11-23",
                                                          "to": "2026-11-23"}), ADMIN)
    assert (figures["total"], figures["merged"], figures["by_status"]["merged"]) == (1, 1, 1)
    assert sum(figures["by_status"].values()) == figures["total"] + figures["merged"]
    assert sum(figures["by_category"].values()) == figures["total"]


# ------------------------------------------------------------ concurrency

def test_two_cases_merged_into_each_other_at_once_leave_one_merged(centre, store, pair):
    source, target = pair
    store.interleave(lambda: merge(centre, target.case_id, source.case_id))
    with pytest.raises(Conflict):
        merge(centre, source.case_id, target.case_id)
    statuses = {store.get(source.case_id).status, store.get(target.case_id).status}
    assert statuses == {S.MERGED, S.DISPATCHED}
    assert store.get(source.case_id).merged_sources[0].case_id == target.case_id


def test_a_merge_racing_an_accept_of_the_source_applies_to_the_accepted_case(centre, store, pair):
    source, target = pair
    store.interleave(lambda: centre.act(source.case_id, "accept", MEDIATOR))
    merge(centre, source.case_id, target.case_id)
    assert store.get(source.case_id).status is S.MERGED and centre.open_cases("M-CN-1") == 1
    assert centre.event_types(source.case_id)[-2:] == ["accepted", "merged"]


def test_an_accept_after_the_merge_is_refused(centre, store, pair):
    source, target = pair
    merge(centre, source.case_id, target.case_id)
    with centre.refuses(Conflict):
        centre.act(source.case_id, "accept", MEDIATOR)
    assert centre.open_cases("M-CN-1") == 1


def test_a_later_case_of_a_party_the_target_took_finds_the_target(centre, store, pair):
    source, target = pair  # the source's 李四 (13700000002) is new to the target
    merge(centre, source.case_id, target.case_id)
    later = centre.file("R-3", **unrelated(parties=[{"role": "applicant", "name": "李四", "phone": "13700000002"}]))
    assert [(d.case_id, d.reasons) for d in later.possible_duplicates] == [(target.case_id, ("same_phone",))]
    assert later.related_case_id == target.case_id


def test_the_sources_unsent_sms_are_suppressed_and_never_sent(centre, container, store, clock, pair):
    source, target = pair
    pending = [r for r in store.notifications(source.case_id) if r["status"] in ("pending", "deferred")]
    assert pending  # the dispatch SMS, not yet sent
    merge(centre, source.case_id, target.case_id)
    container.supervision.run(as_of=clock() + dt.timedelta(hours=1))
    centre.deliver_sms()
    assert [r["status"] for r in store.notifications(source.case_id)] == ["suppressed"] * len(
        store.notifications(source.case_id))
    assert all(source.case_id not in text for _phone, text in centre.services.sms_sender.sent)


def test_a_merge_racing_a_send_of_the_sources_sms_reads_again(centre, store, clock, pair):
    source, target = pair
    centre.deliver_sms()  # the target's dispatch SMS; the source's, to the same mediator, held a minute (1 a minute)
    assert [r["status"] for r in store.notifications(source.case_id)] == ["deferred"]
    clock.advance(seconds=60)
    store.interleave(lambda: centre.deliver_sms())  # the dispatch SMS goes out just before the merge's write
    merge(centre, source.case_id, target.case_id)
    assert [r["status"] for r in store.notifications(source.case_id)] == ["sent"]
    assert store.get(source.case_id).status is S.MERGED


def test_the_target_transferred_tells_every_source_partner_where_the_dispute_ended(centre, store, publisher, pair):
    source, target = pair
    merge(centre, source.case_id, target.case_id)
    centre.act(target.case_id, "transfer", MEDIATOR)
    assert [b["payload"]["status"] for b in publisher.bodies("callbacks")
            if b["payload"]["event"] == "case.merged_outcome"] == ["transferred"]
    assert centre.services.queries.outcome_statuses([store.get(source.case_id)], PARTNER) == {
        source.case_id: "transferred"}
