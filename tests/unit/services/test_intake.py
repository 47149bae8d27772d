"""IntakeService.file_case (受理): what a filed case stores and asks for, replays, conflicts and refusals."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.enums import CaseStatus, Category, CategorySource, Channel, RiskLevel
from chalicelib.services.errors import Conflict, Forbidden, Unprocessable
from chalicelib.services.intake import STAFF_OWNER, party_pseudonyms
from chalicelib.domain.access import Principal, can_view_case, case_ties
from chalicelib.domain.enums import Role
from chalicelib.services.commands import NewCase
from tests.support import OTHER_TOWN, OTHER_VILLAGE, TOWN, VILLAGE, new_case_body
from tests.unit.services.builders import ADMIN, MONDAY, OTHER_SUPERVISOR, PARTNER, PARTNER_ID, SUPERVISOR, new_case, parse


@pytest.fixture
def file_case(centre):
    return centre.services.intake.file_case


def test_a_filed_case_is_stored_at_version_1_with_its_claim_and_is_sent_to_routing(file_case, store, publisher):
    result = file_case(new_case("R-1"), PARTNER)
    assert result.created
    case = store.get(result.case.case_id)
    assert case == result.case
    assert (case.version, case.status, case.owner, case.partner_id, case.received_at) == (
        1, CaseStatus.RECEIVED, PARTNER_ID, PARTNER_ID, MONDAY)
    assert case.case_id.startswith("HW20261123")
    assert [(e.type, e.actor) for e in store.events(case.case_id)] == [
        ("received", f"partner:{PARTNER_ID}"), ("triaged", "system")]
    assert store.get_claim(PARTNER_ID, "R-1") == (case.case_id, case.request_hash)
    assert publisher.messages == [
        ("routing", {"case_id": case.case_id, "reason": "intake", "requested_at": "2026-11-23T10:00:00+08:00"}, 0)]


@pytest.mark.parametrize(("principal", "channel", "owner", "expected"), [
    (PARTNER, None, PARTNER_ID, Channel.PARTNER_API),
    (PARTNER, "hotline_12345", PARTNER_ID, Channel.HOTLINE_12345),
    (ADMIN, None, STAFF_OWNER, Channel.WALK_IN),
    (SUPERVISOR, "grid_patrol", f"{STAFF_OWNER}:{SUPERVISOR.jurisdiction}", Channel.GRID_PATROL),
])
def test_owner_and_channel_follow_the_caller(file_case, principal, channel, owner, expected):
    case = file_case(new_case("R-1", channel=channel), principal).case
    assert (case.owner, case.channel, case.partner_id) == (owner, expected, principal.partner_id)


def test_a_case_without_a_category_is_triaged_from_its_text(file_case, store):
    case = file_case(new_case("R-1", category=None), PARTNER).case
    assert (case.category, case.category_source) == (Category.NEIGHBOR, CategorySource.AUTO)
    triaged = store.events(case.case_id)[1].detail
    assert triaged["category_source"] == "auto" and "漏水" in triaged["matched_keywords"]


@pytest.mark.parametrize(("overrides", "level", "reasons"), [
    ({}, RiskLevel.BLUE, []),
    ({"risk_indicators": ["threat_of_violence"]}, RiskLevel.RED, ["threat_of_violence"]),
    ({"party_count": 5}, RiskLevel.ORANGE, ["party_count>=5"]),
    ({"amount_cny": 60_000}, RiskLevel.YELLOW, ["amount_cny>=50000"]),
])
def test_the_risk_is_graded_at_intake(file_case, store, overrides, level, reasons):
    case = file_case(new_case("R-1", **overrides), PARTNER).case
    assert case.risk_level is level
    assert store.events(case.case_id)[1].detail["risk_reasons"] == reasons


@pytest.mark.parametrize(("days_later", "level"), [(1, RiskLevel.YELLOW), (365, RiskLevel.YELLOW),
                                                   (366, RiskLevel.BLUE)])
def test_a_party_seen_within_a_year_makes_the_next_case_yellow(file_case, clock, days_later, level):
    file_case(new_case("R-1"), PARTNER)
    clock.advance(days=days_later)
    assert file_case(new_case("R-2"), PARTNER).case.risk_level is level


def test_a_replay_returns_the_stored_case_and_changes_nothing(centre, file_case):
    first = file_case(new_case("R-1"), PARTNER)
    before = centre.state()
    again = file_case(new_case("R-1"), PARTNER)
    assert (again.created, again.case) == (False, first.case)
    assert centre.state() == before


def test_the_same_reference_of_another_owner_is_another_case(file_case):
    ours, staff = file_case(new_case("R-1"), PARTNER), file_case(new_case("R-1"), ADMIN)
    assert staff.created and staff.case.case_id != ours.case.case_id


def test_the_same_reference_with_other_content_is_a_conflict(centre, file_case):
    first = file_case(new_case("R-1"), PARTNER).case
    with centre.refuses(Conflict) as refused:
        file_case(new_case("R-1", title="另一起纠纷"), PARTNER)
    assert refused.value.extra == {"case_id": first.case_id}


@pytest.mark.parametrize(("same_content", "outcome"), [(True, "replay"), (False, Conflict)])
def test_a_twin_that_wins_the_claim_meanwhile_makes_this_request_a_replay_or_a_conflict(
        centre, file_case, store, same_content, outcome):
    twins = []
    store.interleave(lambda: twins.append(file_case(new_case("R-1"), PARTNER).case))
    command = new_case("R-1") if same_content else new_case("R-1", title="另一起纠纷")
    if outcome == "replay":
        result = file_case(command, PARTNER)
        assert (result.created, result.case) == (False, twins[0])
    else:
        with pytest.raises(outcome):
            file_case(command, PARTNER)
    assert store.get_claim(PARTNER_ID, "R-1")[0] == twins[0].case_id
    assert len(centre.services.publisher.bodies("routing")) == 1


def test_a_lost_routing_message_does_not_lose_the_case(file_case, store, publisher):
    publisher.fail("routing")
    result = file_case(new_case("R-1"), PARTNER)
    assert result.created and store.get(result.case.case_id) is not None
    assert publisher.messages == []


def test_a_supervisor_files_only_within_the_jurisdiction(centre, file_case):
    with centre.refuses(Forbidden):
        file_case(new_case("R-1"), OTHER_SUPERVISOR)


def test_a_region_missing_from_the_directory_is_unprocessable(centre, file_case):
    with centre.refuses(Unprocessable) as refused:
        file_case(new_case("R-1", region_code="320509102999"), PARTNER)
    assert [e["field"] for e in refused.value.errors] == ["region_code"]


def test_the_parties_are_remembered_by_keyed_pseudonyms_of_their_numbers(centre, file_case, store):
    case = file_case(new_case("R-1"), PARTNER).case
    pseudonyms = party_pseudonyms(centre.services.settings.secret_key, case.parties)
    assert len(pseudonyms) == 2 and not any("13812345678" in p for p in pseudonyms)  # phone and ID number
    assert store.party_cases(pseudonyms[:1], MONDAY)[pseudonyms[0]] == [case.case_id]
    assert not any(store.party_cases(pseudonyms, MONDAY + dt.timedelta(seconds=1)).values())


# ------------------------------------------------------------ the replay key claimed with the case


def pending_replay(guard, key: str):
    from chalicelib.services.auth import PendingReplay
    from chalicelib.services.ports import ReplayClaim

    return PendingReplay(guard, ReplayClaim(key, MONDAY + dt.timedelta(minutes=10)), "replayed")


def test_a_new_case_claims_its_replay_key_in_its_own_write(file_case, store, guard):
    replay = pending_replay(guard, "nonce:K:first")
    assert file_case(new_case("R-1"), PARTNER, replay).created
    assert "nonce:K:first" in store.replay_keys and "nonce:K:first" in guard.seen  # one namespace
    replay.settle()  # nothing left to claim: no second write, no refusal


def test_a_replayed_key_files_nothing(file_case, store, guard):
    guard.claim("nonce:K:used", MONDAY)
    with pytest.raises(Exception, match="replayed") as refused:
        file_case(new_case("R-1"), PARTNER, pending_replay(guard, "nonce:K:used"))
    assert refused.value.status == 401
    assert store.get_claim(PARTNER_ID, "R-1") is None


def test_a_retry_claims_its_own_key_before_the_case_is_shown(file_case, guard):
    first = file_case(new_case("R-1"), PARTNER, pending_replay(guard, "nonce:K:1"))
    retry = file_case(new_case("R-1"), PARTNER, pending_replay(guard, "nonce:K:2"))
    assert (retry.created, retry.case.case_id) == (False, first.case.case_id)
    assert "nonce:K:2" in guard.seen
    with pytest.raises(Exception, match="replayed"):
        file_case(new_case("R-1"), PARTNER, pending_replay(guard, "nonce:K:2"))


def test_a_conflicting_reuse_claims_its_key_too(file_case, guard):
    file_case(new_case("R-1"), PARTNER)
    with pytest.raises(Conflict):
        file_case(new_case("R-1", title="另一件事"), PARTNER, pending_replay(guard, "nonce:K:3"))
    assert "nonce:K:3" in guard.seen


FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@pytest.mark.parametrize("typed_full_width", ["phone", "id_number"])
def test_a_party_typed_in_full_width_digits_is_the_same_party(file_case, typed_full_width):
    """全角 digits are read as ASCII before the party keys are made: the applicant of R-1 typed
    the second time with a full-width phone or ID number is a repeated party, with the same keys."""
    first = file_case(new_case("R-1"), PARTNER).case
    body = new_case_body("R-2")
    applicant = body["parties"][0]
    applicant[typed_full_width] = applicant[typed_full_width].translate(FULL_WIDTH)
    second = file_case(parse(NewCase, body), PARTNER).case
    assert (first.repeat_party, second.repeat_party) == (False, True)
    assert second.parties[0] == first.parties[0]
    assert party_pseudonyms(b"k", second.parties) == party_pseudonyms(b"k", first.parties)


# ------------------------------------------------------------ whose keys staff references are


TOWN_SUPERVISOR = Principal(Role.SUPERVISOR, f"supervisor:{TOWN}", jurisdiction=TOWN)
TOWN_COLLEAGUE = Principal(Role.SUPERVISOR, "zhang.wei", jurisdiction=TOWN)
"""Another supervisor of the same town (an identity provider's subject)."""
OTHER_TOWN_SUPERVISOR = Principal(Role.SUPERVISOR, f"supervisor:{OTHER_TOWN}", jurisdiction=OTHER_TOWN)
FILERS = {"admin": ADMIN, "district": SUPERVISOR, "town": TOWN_SUPERVISOR, "town-colleague": TOWN_COLLEAGUE,
          "other-town": OTHER_TOWN_SUPERVISOR}


def village_of(principal: Principal) -> str:
    return OTHER_VILLAGE if principal is OTHER_TOWN_SUPERVISOR else VILLAGE


def test_another_towns_supervisor_reusing_a_reference_files_its_own_case_and_learns_nothing(file_case):
    """Reported: a supervisor reusing another jurisdiction's `external_ref` got 409 with that
    jurisdiction's case id. The supervisor of 320509103 now files its own case under the reference."""
    theirs = file_case(new_case("R-1"), TOWN_SUPERVISOR).case
    ours = file_case(new_case("R-1", region_code=OTHER_VILLAGE, title="另一起纠纷"), OTHER_TOWN_SUPERVISOR)
    assert ours.created and ours.case.case_id != theirs.case_id
    assert (theirs.owner, ours.case.owner) == (f"staff:{TOWN}", f"staff:{OTHER_TOWN}")


def test_supervisors_of_one_jurisdiction_share_its_keys(centre, file_case):
    first = file_case(new_case("R-1"), TOWN_SUPERVISOR).case
    assert file_case(new_case("R-1"), TOWN_COLLEAGUE).case.case_id == first.case_id  # a replay, 200
    with centre.refuses(Conflict) as refused:
        file_case(new_case("R-1", title="另一起纠纷"), TOWN_COLLEAGUE)
    assert refused.value.extra == {"case_id": first.case_id}


@pytest.mark.parametrize("second", FILERS)
@pytest.mark.parametrize("first", FILERS)
@pytest.mark.parametrize("same_content", [True, False], ids=["retry", "reuse"])
def test_no_staff_filing_is_answered_with_a_case_outside_the_callers_view(file_case, first, second, same_content):
    """Whoever filed a reference first, whoever sends it next: a new case, or (replay or 409) the
    id of a case the second caller sees."""
    earlier = file_case(new_case("R-1", region_code=village_of(FILERS[first])), FILERS[first]).case
    command = new_case("R-1", region_code=village_of(FILERS[second]), **({} if same_content else {"title": "另一起"}))
    try:
        result = file_case(command, FILERS[second])
    except Conflict as conflict:
        shown = conflict.extra["case_id"]
    else:
        if result.created:
            return
        shown = result.case.case_id
    assert shown == earlier.case_id
    assert can_view_case(FILERS[second], partner_id=None, **case_ties(earlier))
