"""StatsService (§8, 红黑榜): figures and ranking from the statistics rows the case writes keep."""

from __future__ import annotations

import pytest

from chalicelib.domain.enums import CaseStatus
from chalicelib.services.commands import StatsQuery
from chalicelib.services.errors import Forbidden, Unprocessable
from tests.support import DISTRICT, OTHER_TOWN, VILLAGE
from tests.unit.services.builders import MEDIATOR, OTHER_SUPERVISOR, SUPERVISOR, parse


def query(region: str = DISTRICT, first: str = "2026-11-23", last: str = "2026-11-23") -> StatsQuery:
    return parse(StatsQuery, {"region": region, "from": first, "to": last})


@pytest.fixture
def stats(centre):
    """Two cases received on MONDAY in the village: R-1 resolved, R-2 dispatched."""
    centre.case_at(CaseStatus.RESOLVED, "R-1")
    centre.case_at(CaseStatus.DISPATCHED, "R-2")
    return centre.services.stats


@pytest.mark.parametrize(("scope", "total"), [
    (query(), 2), (query(VILLAGE), 2), (query(OTHER_TOWN), 0),
    (query(first="2026-11-24", last="2026-11-30"), 0), (query(first="2026-11-01", last="2026-11-30"), 2)])
def test_figures_count_the_cases_of_the_region_received_in_the_range(stats, scope, total):
    assert stats.figures(scope, SUPERVISOR)["total"] == total


def test_figures_follow_the_cases_as_they_change(stats):
    figures = stats.figures(query(), SUPERVISOR)
    assert {status: n for status, n in figures["by_status"].items() if n} == {"resolved": 1, "dispatched": 1}
    assert (figures["success_rate"], figures["resolved_below_district_share"], figures["by_tier"]["village"]) == (
        1.0, 1.0, 2)


def test_the_ranking_names_the_orgs_and_mediators_below_the_minimum_volume(stats):
    ranking = stats.ranking(query(), SUPERVISOR)
    assert [(e["org_id"], e["name"], e["concluded"]) for e in ranking["orgs"]["below_minimum"]] == [
        ("V-CN", "城南社区人民调解委员会", 1)]
    assert [(e["mediator_id"], e["name"]) for e in ranking["mediators"]["below_minimum"]] == [("M-CN-1", "王调解")]
    assert ranking["orgs"]["ranked"] == []


@pytest.mark.parametrize(("scope", "principal", "error"), [
    (query(first="2026-11-24"), SUPERVISOR, Unprocessable),
    (query(), OTHER_SUPERVISOR, Forbidden),
    (query(), MEDIATOR, Forbidden),
])
@pytest.mark.parametrize("read", ["figures", "ranking"])
def test_a_reversed_range_or_a_region_outside_the_jurisdiction_is_refused(stats, scope, principal, error, read):
    with pytest.raises(error):
        getattr(stats, read)(scope, principal)


def test_the_monthly_analysis_reads_the_rows_the_case_writes_keep(centre):
    from chalicelib.services.commands import AnalysisQuery

    centre.case_at(CaseStatus.RESOLVED, "R-1")
    red = centre.case_at(CaseStatus.ACCEPTED, "R-2", risk_indicators=["threat_of_violence"])
    report = centre.services.analysis.analysis(parse(AnalysisQuery, {"region": DISTRICT, "month": "2026-11"}),
                                               SUPERVISOR)
    assert report["total"] == 2 and report["by_category"]["neighbor"]["count"] == 2
    assert report["open_red"] == [red.case_id]
    assert report["on_time_by_org"] == {"V-CN": 1.0} and report["org_names"]["V-CN"] == "城南社区人民调解委员会"
    with pytest.raises(Forbidden):
        centre.services.analysis.analysis(parse(AnalysisQuery, {"region": DISTRICT}), OTHER_SUPERVISOR)


def test_the_ranking_counts_the_cases_each_org_assisted_and_gives_it_none_of_their_performance(centre):
    concluded = centre.case_at(CaseStatus.ACCEPTED, "R-1")
    for org_id in ("T-SL", "D-WJ"):
        centre.act(concluded.case_id, "add_participant", org_id=org_id)
    centre.act(concluded.case_id, "resolve")
    centre.act(centre.case_at(CaseStatus.DISPATCHED, "R-2").case_id, "add_participant", org_id="T-SL")  # open
    for scope in (query(), query(first="2026-11-01", last="2026-11-30"), query(VILLAGE)):
        orgs = centre.services.stats.ranking(scope, SUPERVISOR)["orgs"]
        assert [(e["org_id"], e["assisted"], e["concluded"], e["resolved"]) for e in orgs["below_minimum"]] == [
            ("V-CN", 0, 1, 1), ("D-WJ", 1, 0, 0), ("T-SL", 2, 0, 0)], scope  # the lead keeps the performance
        assert orgs["baseline"]["success_rate"] == 1.0
    mediators = centre.services.stats.ranking(query(), SUPERVISOR)["mediators"]["below_minimum"]
    assert [(e["mediator_id"], e["concluded"]) for e in mediators] == [("M-CN-1", 1)]
    assert "assisted" not in mediators[0]
    assert centre.services.stats.ranking(query(OTHER_TOWN), SUPERVISOR)["orgs"]["below_minimum"] == []


def test_the_monthly_analysis_counts_the_sponsored_and_jointly_mediated_cases_of_the_month(centre):
    from chalicelib.services.commands import AnalysisQuery

    red = centre.case_at(CaseStatus.ACCEPTED, "R-1", risk_indicators=["threat_of_violence"])
    centre.act(red.case_id, "add_participant", org_id="V-CN")  # a red case goes to the town: T-SL leads
    centre.act(red.case_id, "sponsor")
    centre.act(centre.case_at(CaseStatus.ACCEPTED, "R-2").case_id, "add_participant", org_id="D-WJ")
    centre.case_at(CaseStatus.ACCEPTED, "R-3")
    report = centre.services.analysis.analysis(parse(AnalysisQuery, {"region": DISTRICT, "month": "2026-11"}),
                                               SUPERVISOR)
    assert report["totals"]["count"] == 3
    assert report["sponsored"] == {"count": 1, "previous_month": 0, "same_month_last_year": 0}
    assert report["joint_mediation"] == {"count": 2, "previous_month": 0, "same_month_last_year": 0}
    figures = centre.services.stats.figures(query(), SUPERVISOR)
    assert not {"sponsored", "joint_mediation", "assisted"} & set(figures)  # §8 fixes its figures
