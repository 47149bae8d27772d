"""Minors (未成年人, PIPL §28): the age rule on ID numbers and the `sensitive` flag of a case."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from chalicelib.domain.case import Party, has_minor_party
from chalicelib.domain.identity import age_on, birth_date_of, id_number_check_char, is_minor_under_14
from tests.unit.test_case import ACTOR, LATER, make_case
from chalicelib.domain.enums import CaseStatus as S


def id_number(birth: str, region: str = "320584", sequence: str = "123") -> str:
    """A valid 18-digit ID number (GB 11643 check digit) of someone born on `birth` (YYYYMMDD)."""
    first17 = region + birth + sequence
    return first17 + id_number_check_char(first17)


@pytest.mark.parametrize(("birth", "day", "minor"), [
    ("20121122", dt.date(2026, 11, 21), True),  # the day before the 14th birthday: 13
    ("20121122", dt.date(2026, 11, 22), False),  # the 14th birthday itself: 14
    ("20121122", dt.date(2026, 11, 23), False),
    ("20200101", dt.date(2026, 11, 22), True),  # a child of 6
    ("19900101", dt.date(2026, 11, 22), False),  # an adult
    ("20120229", dt.date(2026, 2, 28), True),  # born on a leap day: still 13 on 28 February of a common year
    ("20120229", dt.date(2026, 3, 1), False),  # 14 from 1 March
    ("20120229", dt.date(2024, 2, 29), True),  # 12 on a leap day
    ("20120229", dt.date(2028, 2, 28), False),  # 15 by then
    ("20260101", dt.date(2026, 11, 22), True),  # a baby
])
def test_the_age_rule_counts_full_years_on_the_day(birth, day, minor):
    assert is_minor_under_14(id_number(birth), day) is minor


@pytest.mark.parametrize("number", [
    None, "", "32058412112212",  # missing or short
    "320584121122123",  # a 15-digit old-style number: no century, not read as a minor
    "32058420121322123X",  # month 13: not a date
    "3205842012112A1234",  # not digits
])
def test_numbers_that_show_no_birth_date_are_not_minors(number):
    assert birth_date_of(number) is None
    assert not is_minor_under_14(number, dt.date(2026, 11, 22))


def test_age_on_is_full_years():
    assert age_on(dt.date(2000, 6, 15), dt.date(2026, 6, 14)) == 25
    assert age_on(dt.date(2000, 6, 15), dt.date(2026, 6, 15)) == 26


def test_the_day_of_receipt_is_the_asia_shanghai_day():
    child = [Party("applicant", "小明", id_number=id_number("20121122"))]
    # 2026-11-21 16:30 UTC is 2026-11-22 00:30 in Shanghai: the 14th birthday there
    assert not has_minor_party(child, dt.datetime(2026, 11, 21, 16, 30, tzinfo=dt.timezone.utc))
    assert has_minor_party(child, dt.datetime(2026, 11, 21, 15, 30, tzinfo=dt.timezone.utc))


def test_a_case_with_a_child_under_14_is_sensitive_and_one_with_adults_only_is_not():
    case = make_case(S.RECEIVED, parties=[Party("applicant", "张三", id_number=id_number("19900101")),
                                          Party("respondent", "小明", id_number=id_number("20150101"))])
    case.mark_sensitivity()
    assert case.sensitive
    adults = make_case(S.RECEIVED, parties=[Party("applicant", "张三", id_number=id_number("19900101"))])
    adults.mark_sensitivity()
    assert not adults.sensitive


def test_a_merge_that_adds_a_minor_makes_the_target_sensitive_and_says_so():
    target = make_case(S.RECEIVED, parties=[Party("applicant", "张三", "13812345678")])
    source = dataclasses.replace(make_case(S.RECEIVED), case_id="HW20261122TEST0002", external_ref="R-2",
                                 parties=[Party("applicant", "小明", id_number=id_number("20150101"))])
    assert not target.sensitive
    _, absorbed = source.merge_into(target, "同一纠纷", LATER, ACTOR)
    assert target.sensitive
    assert absorbed.events[0].detail["sensitive"] is True


def test_a_merge_of_adults_leaves_the_target_not_sensitive():
    target = make_case(S.RECEIVED, parties=[Party("applicant", "张三", "13812345678")])
    source = dataclasses.replace(make_case(S.RECEIVED), case_id="HW20261122TEST0002", external_ref="R-2",
                                 parties=[Party("applicant", "李四", id_number=id_number("19800101"))])
    _, absorbed = source.merge_into(target, "同一纠纷", LATER, ACTOR)
    assert not target.sensitive
    assert "sensitive" not in absorbed.events[0].detail
