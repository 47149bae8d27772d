"""The supervisor dashboard (一屏观全域): levels, lateness, the trend, the region tree, titles."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.access import Principal
from chalicelib.domain.dashboard import TREND_DAYS, hours_late, level_of, region_tree, shown_title, tile_counts, \
    trend, trend_days
from chalicelib.domain.directory import Region
from chalicelib.domain.enums import Role
from tests.unit.test_stats import case

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
DUE = dt.datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
CREATED = dt.datetime(2026, 1, 1, tzinfo=SHANGHAI)


@pytest.mark.parametrize(("code", "level"), [("320509", "district"), ("320509102", "town"),
                                             ("320509102001", "village")])
def test_the_level_of_a_code_is_its_length(code, level):
    assert level_of(code) == level


@pytest.mark.parametrize(("now", "hours"), [
    (DUE - dt.timedelta(hours=3), 0),  # not late yet
    (DUE, 0),
    (DUE + dt.timedelta(minutes=59, seconds=59), 0),
    (DUE + dt.timedelta(hours=1), 1),
    (DUE + dt.timedelta(hours=25, minutes=30), 25),  # whole hours, rounded down
    (DUE.astimezone(dt.timezone.utc) + dt.timedelta(days=3), 72),  # whatever the offset it is given in
])
def test_lateness_is_in_whole_hours(now, hours):
    assert hours_late(DUE, now) == hours


def test_the_trend_is_fourteen_days_oldest_first_ending_today_with_zeros():
    today = dt.date(2026, 12, 1)
    assert trend_days(today) == (dt.date(2026, 11, 18), today)
    days = trend(today, {"2026-11-18": 2, "2026-12-01": 3, "2026-11-17": 9, "2026-12-02": 9})
    assert len(days) == TREND_DAYS == 14
    assert days[0] == {"day": "2026-11-18", "intake": 2} and days[-1] == {"day": "2026-12-01", "intake": 3}
    assert [d["day"] for d in days] == sorted(d["day"] for d in days)
    assert sum(d["intake"] for d in days) == 5  # the days outside the window are not in it
    across_a_year = trend(dt.date(2027, 1, 3), {})
    assert across_a_year[0]["day"] == "2026-12-21" and {d["intake"] for d in across_a_year} == {0}


def region(code: str, name: str) -> Region:
    parent = {6: None, 9: code[:6], 12: code[:9]}[len(code)]
    return Region(code=code, name=name, parent_code=parent, created_at=CREATED)


def test_the_tree_lists_every_region_parents_first_with_zeros_where_nothing_is_open():
    regions = [region("320509102001", "城南社区"), region("320509", "吴江区"), region("320509103", "同里镇"),
               region("320509102", "松陵街道")]
    rows = {"320509": {"open": 3, "open_red": 1, "overdue_open": 2}, "320509102": {"open": 2, "overdue_open": 1},
            "320509102001": {"open": 0}}
    tree = region_tree(regions, rows)
    assert [r["code"] for r in tree] == ["320509", "320509102", "320509102001", "320509103"]
    assert tree[0] == {"code": "320509", "name": "吴江区", "parent": None, "level": "district", "open": 3,
                       "overdue": 2, "red": 1}
    assert tree[1] == {"code": "320509102", "name": "松陵街道", "parent": "320509", "level": "town", "open": 2,
                       "overdue": 1, "red": 0}
    assert tree[2]["level"] == "village" and tree[2]["parent"] == "320509102"
    assert (tree[2]["open"], tree[3]["open"], tree[3]["red"]) == (0, 0, 0)  # a zeroed row, no row
    assert tile_counts(None) == {"open": 0, "overdue": 0, "red": 0}


SUPERVISOR = Principal(Role.SUPERVISOR, "supervisor:320509", jurisdiction="320509")
ADMIN = Principal(Role.ADMIN, "admin")
TITLE = "孩子家长13812345678反映"


@pytest.mark.parametrize(("sensitive", "principal", "title"), [
    (False, ADMIN, TITLE),
    (False, SUPERVISOR, TITLE),
    (True, SUPERVISOR, TITLE),  # a covering supervisor reads a sensitive case in full
    (True, ADMIN, "孩子家长138****5678反映"),  # an admin does not: its numbers masked, as in the case view
])
def test_a_title_is_shown_as_the_case_views_show_it(sensitive, principal, title):
    assert shown_title(case(title=TITLE, sensitive=sensitive), principal) == title
