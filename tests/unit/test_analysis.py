"""The monthly analysis (研判报告): rises, hotspots and comparisons from month rows (table-driven)."""

from __future__ import annotations

import pytest

from chalicelib.domain.analysis import (
    AnalysisInputs,
    MonthRows,
    analysis,
    hotspots,
    last_whole_month,
    month_days,
    rising_cells,
    shift_month,
)

TOWN = "320509102"
NEIGHBOR = "category_neighbor"


@pytest.mark.parametrize(("count", "before", "rising"), [
    (5, 0, True),    # a month before with none counts as a rise
    (4, 0, False),   # fewer than 5 cases is never a rise
    (6, 4, True),    # exactly 50 % more
    (5, 4, False),   # 25 % more
    (9, 6, True),
    (9, 7, False),
])
def test_a_cell_rises_with_at_least_five_cases_and_half_as_many_again(count, before, rising):
    cells = rising_cells({TOWN: {NEIGHBOR: count}}, {TOWN: {NEIGHBOR: before}} if before else {})
    assert cells == ([{"category": "neighbor", "town": TOWN, "count": count, "previous_month": before}]
                     if rising else [])


@pytest.mark.parametrize(("count", "hot"), [(2, False), (3, True), (7, True)])
def test_a_village_is_a_hotspot_with_three_cases_of_one_category(count, hot):
    found = hotspots({"320509102001": {NEIGHBOR: count, "category_medical": 1}})
    assert found == ([{"village": "320509102001", "category": "neighbor", "count": count}] if hot else [])


@pytest.mark.parametrize(("month", "shift", "expected"), [
    ("2026-11", -1, "2026-10"), ("2026-01", -1, "2025-12"), ("2026-11", -12, "2025-11"), ("2026-12", 1, "2027-01")])
def test_months_shift_across_years(month, shift, expected):
    assert shift_month(month, shift) == expected


def test_month_days_and_the_default_month():
    import datetime as dt

    assert month_days("2028-02") == (dt.date(2028, 2, 1), dt.date(2028, 2, 29))
    assert last_whole_month(dt.date(2027, 1, 3)) == "2026-12"


def test_each_breakdown_compares_the_month_with_the_month_before_and_a_year_before():
    inputs = AnalysisInputs(
        region="320509", month="2026-11",
        current=MonthRows({"total": 7, NEIGHBOR: 6, "repeat_party": 2, "supervision_letters": 3,
                           "referral_litigation": 1}, towns={TOWN: {"total": 7, NEIGHBOR: 6}}),
        previous=MonthRows({"total": 3, NEIGHBOR: 2}, towns={TOWN: {"total": 3, NEIGHBOR: 2}}),
        last_year=MonthRows({"total": 1, NEIGHBOR: 1}, towns={"320509103": {"total": 1}}),
        daily={"2026-11-02": {"total": 4}}, org_months={"V-CN": {"concluded": 4, "concluded_on_time": 3,
                                                                  "visits": 2, "visits_ok": 1}},
        open_by_org={"V-CN": {"open": 3, "overdue_open": 2}, "T-SL": {"open": 1}}, open_red=["HW2"])
    report = analysis(inputs)
    assert report["totals"] == {"count": 7, "previous_month": 3, "same_month_last_year": 1}
    assert report["by_category"]["neighbor"] == {"count": 6, "previous_month": 2, "same_month_last_year": 1}
    assert report["by_town"] == {TOWN: {"count": 7, "previous_month": 3, "same_month_last_year": 0},
                                 "320509103": {"count": 0, "previous_month": 0, "same_month_last_year": 1}}
    assert report["rising"] == [{"category": "neighbor", "town": TOWN, "count": 6, "previous_month": 2}]
    assert (report["repeat_parties"], report["supervision_letters"]) == (2, 3)
    assert report["referrals"]["litigation"] == 1 and report["referrals"]["petition"] == 0
    assert report["overdue_by_org"] == {"V-CN": 2}  # an org holding nothing overdue is left out
    assert report["on_time_by_org"] == {"V-CN": 0.75} and report["satisfaction_by_org"] == {"V-CN": 0.5}
    assert len(report["daily_intake"]) == 30 and report["daily_intake"]["2026-11-02"] == 4
    assert report["open_red"] == ["HW2"]


def test_a_village_region_is_its_own_town_cell_and_hotspot():
    inputs = AnalysisInputs(region="320509102001", month="2026-11",
                            current=MonthRows({"total": 5, NEIGHBOR: 5}), previous=MonthRows(),
                            last_year=MonthRows(), daily={}, org_months={}, open_by_org={}, open_red=[])
    report = analysis(inputs)
    assert report["by_town"] == {TOWN: {"count": 5, "previous_month": 0, "same_month_last_year": 0}}
    assert report["rising"][0]["town"] == TOWN and report["hotspots"][0]["village"] == "320509102001"


def hard_cases_inputs() -> AnalysisInputs:
    """A month with sponsored (领导包案) and jointly mediated (联合调解) cases, against two earlier ones."""
    return AnalysisInputs(
        region="320509", month="2026-11", current=MonthRows({"total": 9, "sponsored": 2, "joint_mediation": 3}),
        previous=MonthRows({"total": 4, "joint_mediation": 1}), last_year=MonthRows({"total": 2, "sponsored": 1}),
        daily={}, org_months={}, open_by_org={}, open_red=[])


@pytest.mark.parametrize(("figure", "expected"), [
    ("totals", {"count": 9, "previous_month": 4, "same_month_last_year": 2}),
    ("sponsored", {"count": 2, "previous_month": 0, "same_month_last_year": 1}),
    ("joint_mediation", {"count": 3, "previous_month": 1, "same_month_last_year": 0}),
])
def test_sponsored_and_jointly_mediated_cases_are_compared_as_the_total_is(figure, expected):
    assert analysis(hard_cases_inputs())[figure] == expected


def test_the_workbook_shows_the_sponsored_and_jointly_mediated_cases_in_its_overview():
    import io

    from openpyxl import load_workbook

    from chalicelib.adapters.analysis_workbook import analysis_workbook

    book = load_workbook(io.BytesIO(analysis_workbook(analysis(hard_cases_inputs()))))
    overview = list(book["概览"].iter_rows(values_only=True))
    assert overview[2][:4] == ("指标", "本月", "上月", "去年同月")
    assert [row[:4] for row in overview[3:6]] == [("受理总数", 9, 4, 2), ("领导包案", 2, 0, 1), ("联合调解", 3, 1, 0)]
