"""Routing policy (分级分流): each §6 rule."""

from __future__ import annotations

from typing import Iterable

import pytest

from chalicelib.domain.enums import Category, MediationType, RiskLevel, Tier
from chalicelib.domain.routing import (
    MediatorCandidate,
    OrgCandidate,
    RouteDecision,
    Unroutable,
    candidate_scopes,
    choose_route,
    escalation_tier,
    initial_tier,
    related_route,
)

PLACE = "320509102001"


def org(org_id: str, region: str, tier: Tier, *categories: str) -> OrgCandidate:
    return OrgCandidate(org_id, f"{org_id} 调委会", region, tier, MediationType.PEOPLE, categories, "13800000000")


def med(mediator_id: str, org_id: str, *specialties: str, active: bool = True, open_cases: int = 0) -> MediatorCandidate:
    return MediatorCandidate(mediator_id, org_id, specialties, active, open_cases)


class Directory:
    """Fake adapter that records which tiers and orgs were asked for."""

    def __init__(self, orgs: Iterable[OrgCandidate], mediators: Iterable[MediatorCandidate]) -> None:
        self.orgs = list(orgs)
        self.mediators = list(mediators)
        self.tier_calls: list[Tier] = []
        self.org_calls: list[str] = []

    def orgs_by_tier(self, tier: Tier) -> list[OrgCandidate]:
        self.tier_calls.append(tier)
        return [o for o in self.orgs if o.tier == tier]

    def mediators_of(self, org_id: str) -> list[MediatorCandidate]:
        self.org_calls.append(org_id)
        return [m for m in self.mediators if m.org_id == org_id]

    def route(
        self,
        category: Category = Category.NEIGHBOR,
        start: Tier = Tier.VILLAGE,
        excluded: frozenset[str] = frozenset(),
        region: str = PLACE,
    ) -> RouteDecision | Unroutable:
        return choose_route(region, category, start, self.orgs_by_tier, self.mediators_of, excluded)


def decided(result: RouteDecision | Unroutable) -> RouteDecision:
    assert isinstance(result, RouteDecision), result
    return result


@pytest.mark.parametrize(
    ("risk", "parties", "tier"),
    [
        (RiskLevel.BLUE, 2, Tier.VILLAGE),
        (RiskLevel.YELLOW, 2, Tier.VILLAGE),
        (RiskLevel.ORANGE, 5, Tier.TOWN),
        (RiskLevel.RED, 1, Tier.TOWN),
        (RiskLevel.RED, 9, Tier.TOWN),
        (RiskLevel.RED, 10, Tier.DISTRICT),
        (RiskLevel.BLUE, 12, Tier.DISTRICT),
    ],
)
def test_initial_tier_by_risk_and_party_count(risk: RiskLevel, parties: int, tier: Tier) -> None:
    assert initial_tier(risk, parties) is tier


def test_initial_tier_accepts_wire_value() -> None:
    assert initial_tier("orange", 2) is Tier.TOWN  # type: ignore[arg-type]


def test_escalation_tier() -> None:
    assert escalation_tier(Tier.VILLAGE) is Tier.TOWN
    assert escalation_tier(Tier.TOWN) is Tier.DISTRICT
    assert escalation_tier(Tier.DISTRICT) is None


def test_candidate_scopes_most_specific_first() -> None:
    assert candidate_scopes(PLACE, Tier.VILLAGE) == ["320509102001#village", "320509102#village", "320509#village"]
    assert candidate_scopes("320509102", Tier.TOWN) == ["320509102#town", "320509#town"]


def test_routes_at_start_tier_with_reason() -> None:
    d = Directory([org("V1", PLACE, Tier.VILLAGE, "neighbor")], [med("M3", "V1", "neighbor", open_cases=2)])
    result = decided(d.route())
    assert (result.tier, result.org.org_id, result.mediator.mediator_id) == (Tier.VILLAGE, "V1", "M3")
    assert result.tiers_tried == (Tier.VILLAGE,)
    assert result.reason == (
        "village org V1 (320509102001) names neighbor for 320509102001; mediator M3 matches specialty, 2 open cases"
    )


def test_named_category_beats_catch_all_even_if_less_specific() -> None:
    d = Directory(
        [org("A-ALL", PLACE, Tier.VILLAGE), org("Z-NAMED", "320509102", Tier.VILLAGE, "neighbor", "medical")],
        [med("M1", "A-ALL"), med("M2", "Z-NAMED")],
    )
    assert decided(d.route()).org.org_id == "Z-NAMED"


def test_catch_all_org_takes_unnamed_category() -> None:
    d = Directory(
        [org("V-MED", PLACE, Tier.VILLAGE, "medical"), org("V-ALL", PLACE, Tier.VILLAGE)],
        [med("M1", "V-MED"), med("M2", "V-ALL")],
    )
    result = decided(d.route(Category.LABOR_WAGES))
    assert result.org.org_id == "V-ALL"
    assert "handles all categories incl. labor_wages" in result.reason


def test_among_equals_more_specific_region_then_id() -> None:
    d = Directory(
        [org("B", "320509", Tier.TOWN), org("C", "320509102", Tier.TOWN), org("A", "320509102", Tier.TOWN)],
        [med("M1", "A"), med("M2", "B"), med("M3", "C")],
    )
    assert decided(d.route(start=Tier.TOWN)).org.org_id == "A"


def test_org_must_cover_place_and_tier() -> None:
    d = Directory(
        [
            org("OTHER-TOWN", "320509103", Tier.VILLAGE),  # another town's village org
            org("OTHER-VILLAGE", "320509102002", Tier.VILLAGE),  # sibling village
            org("TOWN-ORG", PLACE, Tier.TOWN),
        ],
        [med("M1", "OTHER-TOWN"), med("M2", "OTHER-VILLAGE"), med("M3", "TOWN-ORG")],
    )
    # A loose adapter returning every org for every tier: choose_route still filters.
    d.orgs_by_tier = lambda tier: (d.tier_calls.append(tier), d.orgs)[1]  # type: ignore[method-assign]
    result = decided(d.route())
    assert (result.tier, result.org.org_id) == (Tier.TOWN, "TOWN-ORG")
    assert result.tiers_tried == (Tier.VILLAGE, Tier.TOWN)
    assert d.org_calls == ["TOWN-ORG"]


def test_no_org_at_tier_goes_one_up_and_stops_there() -> None:
    d = Directory(
        [org("V-MED", PLACE, Tier.VILLAGE, "medical"), org("T1", "320509102", Tier.TOWN, "neighbor")],
        [med("M1", "V-MED"), med("M2", "T1")],
    )
    result = decided(d.route())
    assert (result.tier, result.org.org_id) == (Tier.TOWN, "T1")
    assert result.tiers_tried == (Tier.VILLAGE, Tier.TOWN)
    assert d.tier_calls == [Tier.VILLAGE, Tier.TOWN]  # district never queried
    assert d.org_calls == ["T1"]
    assert "no taker at village" in result.reason


def test_orgs_by_tier_not_called_above_matching_tier() -> None:
    d = Directory([org("T1", "320509102", Tier.TOWN)], [med("M1", "T1")])
    assert decided(d.route(start=Tier.TOWN)).tier is Tier.TOWN
    assert d.tier_calls == [Tier.TOWN]


def test_excluded_orgs_are_skipped() -> None:
    d = Directory(
        [org("V1", PLACE, Tier.VILLAGE, "neighbor"), org("V2", PLACE, Tier.VILLAGE)],
        [med("M1", "V1"), med("M2", "V2")],
    )
    result = decided(d.route(excluded=frozenset({"V1"})))
    assert result.org.org_id == "V2"
    assert d.org_calls == ["V2"]  # mediators of an excluded org are never fetched
    assert "skipped V1 excluded" in result.reason


def test_all_excluded_at_tier_goes_up() -> None:
    d = Directory(
        [org("V1", PLACE, Tier.VILLAGE), org("T1", "320509102", Tier.TOWN)],
        [med("M1", "V1"), med("M2", "T1")],
    )
    result = decided(d.route(excluded=frozenset({"V1"})))
    assert (result.tier, result.org.org_id) == (Tier.TOWN, "T1")


def test_org_without_active_mediator_is_skipped_lazily() -> None:
    d = Directory(
        [
            org("V1", PLACE, Tier.VILLAGE, "neighbor"),
            org("V2", PLACE, Tier.VILLAGE, "neighbor"),
            org("V3", PLACE, Tier.VILLAGE, "neighbor"),
        ],
        [med("M1", "V1", active=False), med("M2", "V2"), med("M3", "V3")],
    )
    result = decided(d.route())
    assert (result.org.org_id, result.mediator.mediator_id) == ("V2", "M2")
    assert d.org_calls == ["V1", "V2"]  # stops at the first org with an active mediator
    assert "V1 has no active mediator" in result.reason


def test_mediator_specialty_first() -> None:
    d = Directory(
        [org("V1", PLACE, Tier.VILLAGE)],
        [med("A", "V1", open_cases=0), med("B", "V1", "medical", "neighbor", open_cases=5)],
    )
    result = decided(d.route())
    assert result.mediator.mediator_id == "B"
    assert result.reason.endswith("mediator B matches specialty, 5 open cases")


def test_mediator_fewest_open_cases_then_id() -> None:
    d = Directory(
        [org("V1", PLACE, Tier.VILLAGE)],
        [med("C", "V1", open_cases=1), med("B", "V1", open_cases=3), med("A", "V1", open_cases=1)],
    )
    result = decided(d.route())
    assert result.mediator.mediator_id == "A"
    assert result.reason.endswith("mediator A no specialty match, 1 open cases")


def test_inactive_specialist_is_never_chosen() -> None:
    d = Directory(
        [org("V1", PLACE, Tier.VILLAGE)],
        [med("A", "V1", "neighbor", active=False), med("B", "V1", open_cases=9)],
    )
    assert decided(d.route()).mediator.mediator_id == "B"


def test_unroutable_when_nothing_matches_at_any_tier() -> None:
    d = Directory(
        [org("V1", PLACE, Tier.VILLAGE, "medical"), org("D1", "320509", Tier.DISTRICT)],
        [med("M1", "V1"), med("M2", "D1", active=False)],
    )
    result = d.route()
    assert isinstance(result, Unroutable)
    assert result.tiers_tried == (Tier.VILLAGE, Tier.TOWN, Tier.DISTRICT)
    assert d.tier_calls == [Tier.VILLAGE, Tier.TOWN, Tier.DISTRICT]
    assert result.reason == (
        "no village/town/district org with an active mediator takes neighbor for 320509102001 "
        "(D1 has no active mediator)"
    )


def test_unroutable_from_district_tries_district_only() -> None:
    d = Directory([], [])
    result = d.route(start=Tier.DISTRICT)
    assert isinstance(result, Unroutable)
    assert result.tiers_tried == (Tier.DISTRICT,)


def test_category_as_wire_string() -> None:
    d = Directory([org("V1", PLACE, Tier.VILLAGE, "neighbor")], [med("M1", "V1")])
    assert decided(d.route("neighbor")).org.org_id == "V1"  # type: ignore[arg-type]


# 首接负责: (org of the related case, its mediator, the new case's category and start tier, excluded, taken)
RELATED = [
    (org("V", PLACE[:9], Tier.VILLAGE), med("M", "V"), "neighbor", Tier.VILLAGE, (), True),
    (org("V", PLACE[:9], Tier.VILLAGE, "neighbor"), med("M", "V"), "neighbor", Tier.VILLAGE, (), True),
    (org("T", PLACE[:6], Tier.TOWN), med("M", "T"), "neighbor", Tier.VILLAGE, (), True),  # above is fine
    (org("V", PLACE[:9], Tier.VILLAGE, "labor_wages"), med("M", "V"), "neighbor", Tier.VILLAGE, (), False),
    (org("V", PLACE[:9], Tier.VILLAGE), med("M", "V"), "neighbor", Tier.TOWN, (), False),  # below the new case's tier
    (org("V", PLACE[:9], Tier.VILLAGE), med("M", "V"), "neighbor", Tier.VILLAGE, ("V",), False),  # it declined
    (org("V", PLACE[:9], Tier.VILLAGE), med("M", "V", active=False), "neighbor", Tier.VILLAGE, (), False),
    (org("V", PLACE[:9], Tier.VILLAGE), med("M", "OTHER"), "neighbor", Tier.VILLAGE, (), False),  # moved org
    (None, med("M", "V"), "neighbor", Tier.VILLAGE, (), False),  # the org is gone
]


@pytest.mark.parametrize(("related_org", "mediator", "category", "start", "excluded", "taken"), RELATED)
def test_a_related_case_takes_its_org_and_mediator_when_the_rules_allow(related_org, mediator, category, start,
                                                                        excluded, taken):
    decision = related_route(category, start, "HW20261123RELATED1", related_org, mediator, frozenset(excluded))
    assert (decision is not None) is taken
    if taken:
        assert (decision.org, decision.mediator, decision.tier, decision.related_case_id) == (
            related_org, mediator, related_org.tier, "HW20261123RELATED1")
        assert "HW20261123RELATED1" in decision.reason and "首接负责" in decision.reason
