"""Risk grading (风险等级, §6): each rule, the thresholds at their boundary, the most severe wins."""

from __future__ import annotations

import pytest

from chalicelib.domain.enums import RiskIndicator as I
from chalicelib.domain.enums import RiskLevel
from chalicelib.domain.risk import RiskFacts, grade


def facts(*indicators: I, party_count: int = 2, amount_cny: float | None = None, repeat: bool = False) -> RiskFacts:
    return RiskFacts(frozenset(indicators), party_count, amount_cny, repeat)


def test_nothing_is_blue():
    assessment = grade(facts())
    assert assessment.level is RiskLevel.BLUE and assessment.reasons == ()


@pytest.mark.parametrize(
    ("indicator", "level"),
    [
        (I.THREAT_OF_VIOLENCE, RiskLevel.RED),
        (I.SUICIDE_RISK, RiskLevel.RED),
        (I.DOMESTIC_VIOLENCE, RiskLevel.ORANGE),
        (I.GROUP_DISPUTE, RiskLevel.ORANGE),
        (I.REPEATED_PETITION, RiskLevel.ORANGE),
        (I.VULNERABLE_PARTY, RiskLevel.YELLOW),
        (I.LONG_STANDING, RiskLevel.YELLOW),
    ],
)
def test_each_indicator(indicator, level):
    assessment = grade(facts(indicator))
    assert assessment.level is level
    assert assessment.reasons == (indicator.value,)


def test_every_indicator_has_a_rule():
    assert all(grade(facts(indicator)).level is not RiskLevel.BLUE for indicator in I)


@pytest.mark.parametrize(
    ("party_count", "level"),
    [(1, RiskLevel.BLUE), (4, RiskLevel.BLUE), (5, RiskLevel.ORANGE), (9, RiskLevel.ORANGE),
     (10, RiskLevel.RED), (500, RiskLevel.RED)],
)
def test_party_count_thresholds(party_count, level):
    assert grade(facts(party_count=party_count)).level is level


@pytest.mark.parametrize(
    ("amount", "level"),
    [(None, RiskLevel.BLUE), (0, RiskLevel.BLUE), (49_999, RiskLevel.BLUE), (49_999.99, RiskLevel.BLUE),
     (50_000, RiskLevel.YELLOW), (1_000_000, RiskLevel.YELLOW)],
)
def test_amount_threshold(amount, level):
    assert grade(facts(amount_cny=amount)).level is level


def test_a_repeated_party_is_yellow():
    assessment = grade(facts(repeat=True))
    assert assessment.level is RiskLevel.YELLOW
    assert assessment.reasons == ("repeat_party_within_365_days",)


@pytest.mark.parametrize(
    ("case", "level"),
    [
        (facts(I.VULNERABLE_PARTY, I.SUICIDE_RISK), RiskLevel.RED),
        (facts(I.LONG_STANDING, party_count=5), RiskLevel.ORANGE),
        (facts(I.DOMESTIC_VIOLENCE, party_count=10), RiskLevel.RED),
        (facts(amount_cny=50_000, repeat=True, party_count=4), RiskLevel.YELLOW),
        (facts(*I), RiskLevel.RED),
    ],
)
def test_the_most_severe_level_wins(case, level):
    assert grade(case).level is level


def test_reasons_are_the_rules_fired_at_the_chosen_level_only():
    assessment = grade(facts(I.THREAT_OF_VIOLENCE, I.DOMESTIC_VIOLENCE, party_count=12, amount_cny=60_000))
    assert assessment.level is RiskLevel.RED
    assert set(assessment.reasons) == {"threat_of_violence", "party_count>=10"}
