"""The monthly analysis (研判报告, §13) against moto: figures on a known data set, checked by
hand and against a recount from the cases, read from aggregates only; the workbook's charts."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections import Counter

import pytest
from openpyxl import load_workbook

from chalicelib import wiring
from chalicelib.api.http import XLSX
from chalicelib.adapters.case_mapping import case_from_model
from chalicelib.adapters.models import CaseModel
from chalicelib.domain.enums import OPEN_STATUSES
from tests.integration.conftest import staff_token
from tests.integration.test_stats_api import (
    GOOD, act, assist, clock, counters_from_cases, counters_stored, file, resolve, sponsor, stats)
from tests.support import OTHER_TOWN, OTHER_VILLAGE, TOWN, VILLAGE, assert_problem

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(year: int, month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(year, month, day, hour, 0, tzinfo=SHANGHAI)


def analysis(caller, region: str, month: str = "2026-11", accept: str = "*/*", **query):
    return caller.call("GET", "/v1/reports/analysis", query={"region": region, "month": month, **query},
                       headers={"Accept": accept})


@pytest.fixture
def data_set(admin, directory) -> dict:
    """November 2026 against October 2026 and November 2025, in two towns."""
    clock(at(2025, 11, 10))
    file(admin, "AN-Y1")  # a neighbour case a year before
    clock(at(2026, 10, 12))
    file(admin, "AN-O1", phone="13900000001")  # the month before: one neighbour case
    for n in (1, 2):
        file(admin, f"AN-OL{n}", category="labor_wages", region_code=OTHER_VILLAGE)
    cases: dict[str, str] = {}
    for n in range(1, 6):  # five neighbour cases in one village: a rise, and a hotspot
        clock(at(2026, 11, n + 1))
        phone = "13900000001" if n == 1 else None  # the party of October's case again: a repeat party
        cases[f"N{n}"] = file(admin, f"AN-N{n}", phone=phone)
    clock(at(2026, 11, 9))
    cases["L1"] = file(admin, "AN-L1", category="labor_wages", region_code=OTHER_VILLAGE)
    cases["R1"] = file(admin, "AN-R1", risk_indicators=["threat_of_violence"])
    act(admin, cases["N1"], "accept")
    resolve(admin, cases["N1"])
    act(admin, cases["N1"], "visit", GOOD)
    act(admin, cases["L1"], "accept")
    act(admin, cases["L1"], "fail", {"referral": "arbitration", "reason": "对方拒绝调解"})
    wiring.current().supervision.run(as_of=at(2026, 11, 20))  # N2…N5 and R1 were never accepted: letters, escalation
    clock(at(2026, 11, 20, 10))
    return cases


def recount(region: str, month: str) -> dict:
    """The figures that need the cases, recounted from them (test only: a Scan)."""
    cases = [case_from_model(m) for m in CaseModel.scan()]
    mine = [c for c in cases if c.region_code.startswith(region)]
    return {
        "letters": sum(c.letter_months.count(month) for c in mine),
        "overdue": dict(Counter(c.org_id for c in mine if c.status in OPEN_STATUSES and c.overdue)),
        "open_red": {c.case_id for c in mine if c.status in OPEN_STATUSES and c.risk_level.value == "red"},
    }


def test_the_figures_of_a_known_month(admin, data_set, monkeypatch):
    result = analysis(admin, "320509")
    assert result.status == 200, result
    report = result.json
    assert (report["region"], report["month"], report["previous_month"], report["same_month_last_year"]) == (
        "320509", "2026-11", "2026-10", "2025-11")
    assert report["total"] == 7
    assert report["totals"] == {"count": 7, "previous_month": 3, "same_month_last_year": 1}
    assert report["by_category"]["neighbor"] == {"count": 6, "previous_month": 1, "same_month_last_year": 1}
    assert report["by_category"]["labor_wages"] == {"count": 1, "previous_month": 2, "same_month_last_year": 0}
    assert report["by_channel"]["hotline_12345"]["count"] == 7
    assert report["by_town"] == {TOWN: {"count": 6, "previous_month": 1, "same_month_last_year": 1},
                                 OTHER_TOWN: {"count": 1, "previous_month": 2, "same_month_last_year": 0}}
    assert report["by_risk_level"]["red"]["count"] == 1
    assert report["rising"] == [{"category": "neighbor", "town": TOWN, "count": 6, "previous_month": 1}]
    assert report["hotspots"] == [{"village": VILLAGE, "category": "neighbor", "count": 6}]
    assert report["repeat_parties"] == 1
    assert report["referrals"]["arbitration"] == 1 and sum(report["referrals"].values()) == 1
    assert list(report["satisfaction_by_org"].values()) == [1.0]
    assert sum(report["daily_intake"].values()) == 7 and report["daily_intake"]["2026-11-09"] == 2
    expected = recount("320509", "2026-11")
    assert expected["letters"] > 0 and report["supervision_letters"] == expected["letters"]
    assert report["overdue_by_org"] == expected["overdue"]
    assert set(report["open_red"]) == expected["open_red"] == {data_set["R1"]}
    assert set(report["org_names"]) >= set(report["overdue_by_org"]) | set(report["satisfaction_by_org"])

    # a town sees its own cells and villages; a village its own
    report = analysis(admin, TOWN).json
    assert report["total"] == 6 and report["by_town"] == {
        TOWN: {"count": 6, "previous_month": 1, "same_month_last_year": 1}}
    assert report["rising"] == [{"category": "neighbor", "town": TOWN, "count": 6, "previous_month": 1}]
    assert [h["village"] for h in report["hotspots"]] == [VILLAGE]
    other = analysis(admin, OTHER_VILLAGE).json
    assert other["total"] == 1 and other["hotspots"] == [] and other["rising"] == []
    assert other["referrals"]["arbitration"] == 1 and other["open_red"] == []

    # the month defaults to the last whole month
    result = admin.call("GET", "/v1/reports/analysis", query={"region": "320509"})
    assert result.json["month"] == "2026-10" and result.json["total"] == 3

    # and every figure comes from aggregates: no read of the cases but the open-red index
    def no_case_reads(*args, **kwargs):
        raise AssertionError("the analysis read the cases")

    queried = []
    original = CaseModel.query.__func__

    def index_only(cls, *args, index_name=None, **kwargs):
        queried.append(index_name)
        assert index_name == "by_open_red", "the analysis queried the cases"
        return original(cls, *args, index_name=index_name, **kwargs)

    for name in ("scan", "batch_get", "get"):
        monkeypatch.setattr(CaseModel, name, no_case_reads)
    monkeypatch.setattr(CaseModel, "query", classmethod(index_only))
    assert analysis(admin, "320509").status == 200
    assert queried == ["by_open_red"]  # the sparse index of open red cases, once


def test_the_workbook_has_chinese_charts_of_categories_daily_intake_and_on_time_rates(admin, data_set):
    assert_problem(analysis(admin, "320509", format="xlsx", accept="text/html"), 406)  # a file needs Accept
    result = analysis(admin, "320509", format="xlsx", accept=XLSX)
    assert result.status == 200, result
    assert result.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert result.headers["content-disposition"].startswith("attachment;")
    book = load_workbook(io.BytesIO(result.raw))
    assert book.sheetnames[:4] == ["概览", "纠纷类别", "每日受理", "按组织"]
    categories = list(book["纠纷类别"].iter_rows(values_only=True))
    assert categories[0] == ("纠纷类别", "去年同月", "上月", "本月") and ("邻里", 1, 1, 6) in categories
    daily = list(book["每日受理"].iter_rows(values_only=True))
    assert len(daily) == 1 + 30 and ("11-09", 2) in daily
    with zipfile.ZipFile(io.BytesIO(result.raw)) as archive:
        charts = sorted(name for name in archive.namelist() if name.startswith("xl/charts/chart"))
        xml = {name: archive.read(name).decode() for name in charts}
    assert len(charts) == 3
    kinds = sorted(re.search(r"<(?:c:)?(barChart|lineChart)>", text).group(1) for text in xml.values())
    assert kinds == ["barChart", "barChart", "lineChart"]
    for text in xml.values():
        assert 'typeface="Microsoft YaHei"' in text and "<a:ea " in text  # the East Asian font slot is set
        assert re.search(r'<(?:c:)?delete val="0"\s*/>', text)  # axes shown
        assert re.search(r"<(?:c:)?cat><(?:c:)?strRef>", text)  # labels are text
    titles = " ".join(xml.values())
    assert "纠纷类别" in titles and "每日受理量" in titles and "按时办结率" in titles


def test_sponsored_and_jointly_mediated_cases_through_the_actions(admin, data_set):
    """领导包案 by a district supervisor and 联合调解 by an admin on the red case: the analysis and
    its workbook count them, the §8 figures do not, and the rows stay the cases' sum."""
    red = data_set["R1"]
    lead = admin.call("GET", f"/v1/cases/{red}").json["org_id"]
    sponsor(staff_token(admin, role="supervisor", jurisdiction="320509", org_id="D-WJ"), red)
    assist(admin, red, next(org for org in ("V-CN", "T-SL", "D-WJ") if org != lead))
    report = analysis(admin, "320509").json
    assert report["sponsored"] == report["joint_mediation"] == {
        "count": 1, "previous_month": 0, "same_month_last_year": 0}
    assert analysis(admin, OTHER_VILLAGE).json["sponsored"]["count"] == 0
    figures = stats(admin, "320509", "2026-11-01", "2026-11-30").json
    assert not {"sponsored", "joint_mediation", "assisted"} & set(figures)
    assert counters_stored() == counters_from_cases()
    book = load_workbook(io.BytesIO(analysis(admin, "320509", format="xlsx", accept=XLSX).raw))
    overview = [row[:4] for row in book["概览"].iter_rows(values_only=True)]
    assert ("受理总数", 7, 3, 1) in overview and ("领导包案", 1, 0, 0) in overview and ("联合调解", 1, 0, 0) in overview


def test_permissions_and_bad_queries(admin, directory):
    other = staff_token(admin, role="supervisor", jurisdiction=OTHER_TOWN, org_id="D-WJ")
    assert_problem(analysis(other, TOWN), 403)
    town = staff_token(admin, role="supervisor", jurisdiction=TOWN, org_id="T-SL")
    assert analysis(town, TOWN).status == 200
    assert_problem(analysis(town, "320509"), 403)
    mediator = staff_token(admin, role="mediator", mediator_id="M-CN-1")
    assert_problem(analysis(mediator, TOWN), 403)
    for query in ({"month": "2026-13"}, {"month": "26-11"}, {"month": "1999-12"}, {"format": "pdf"},
                  {"month": "٢٠٢٦-١١"}):  # digits of another script
        assert_problem(analysis(admin, "320509", **query), 422)
    assert_problem(admin.call("GET", "/v1/reports/analysis", query={"region": "3205"}), 422)
