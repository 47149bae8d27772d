"""Risk grading (风险等级) of a dispute: the contract's §6 rules as a table.

Each rule names a level and a predicate over the facts of the case; the
case's level is the most severe level any rule fires for. Rules are data,
so a centre can tune thresholds without touching the grading code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from .enums import RiskIndicator, RiskLevel


@dataclass(frozen=True)
class RiskFacts:
    """What grading looks at."""

    indicators: frozenset[RiskIndicator]
    party_count: int
    amount_cny: float | None
    repeat_party: bool
    """A party (same phone or ID number) has another case in the last 365 days."""


@dataclass(frozen=True)
class RiskRule:
    level: RiskLevel
    reason: str
    applies: Callable[[RiskFacts], bool]


def _indicator(indicator: RiskIndicator) -> RiskRule:
    return RiskRule(RISK_LEVEL_OF_INDICATOR[indicator], indicator.value, lambda f: indicator in f.indicators)


RISK_LEVEL_OF_INDICATOR: dict[RiskIndicator, RiskLevel] = {
    RiskIndicator.THREAT_OF_VIOLENCE: RiskLevel.RED,
    RiskIndicator.SUICIDE_RISK: RiskLevel.RED,
    RiskIndicator.DOMESTIC_VIOLENCE: RiskLevel.ORANGE,
    RiskIndicator.GROUP_DISPUTE: RiskLevel.ORANGE,
    RiskIndicator.REPEATED_PETITION: RiskLevel.ORANGE,
    RiskIndicator.VULNERABLE_PARTY: RiskLevel.YELLOW,
    RiskIndicator.LONG_STANDING: RiskLevel.YELLOW,
}

PARTY_COUNT_THRESHOLDS: tuple[tuple[int, RiskLevel], ...] = ((10, RiskLevel.RED), (5, RiskLevel.ORANGE))
AMOUNT_THRESHOLD_CNY: tuple[float, RiskLevel] = (50_000, RiskLevel.YELLOW)
REPEAT_PARTY_LEVEL = RiskLevel.YELLOW
REPEAT_PARTY_WINDOW_DAYS = 365

RISK_RULES: tuple[RiskRule, ...] = (
    *(_indicator(indicator) for indicator in RISK_LEVEL_OF_INDICATOR),
    *(
        RiskRule(level, f"party_count>={threshold}", lambda f, t=threshold: f.party_count >= t)
        for threshold, level in PARTY_COUNT_THRESHOLDS
    ),
    RiskRule(
        AMOUNT_THRESHOLD_CNY[1],
        f"amount_cny>={AMOUNT_THRESHOLD_CNY[0]:.0f}",
        lambda f: f.amount_cny is not None and f.amount_cny >= AMOUNT_THRESHOLD_CNY[0],
    ),
    RiskRule(REPEAT_PARTY_LEVEL, "repeat_party_within_365_days", lambda f: f.repeat_party),
)

_SEVERITY = {level: rank for rank, level in enumerate(RiskLevel)}  # red=0 … blue=3


@dataclass(frozen=True)
class RiskAssessment:
    level: RiskLevel
    reasons: tuple[str, ...]
    """The rules that fired at the chosen level."""


def grade(facts: RiskFacts, rules: Iterable[RiskRule] = RISK_RULES) -> RiskAssessment:
    """The most severe level any rule fires for; `blue` when none does."""
    fired = [rule for rule in rules if rule.applies(facts)]
    if not fired:
        return RiskAssessment(RiskLevel.BLUE, ())
    level = min((rule.level for rule in fired), key=_SEVERITY.__getitem__)
    return RiskAssessment(level, tuple(rule.reason for rule in fired if rule.level == level))


def most_severe(*levels: RiskLevel) -> RiskLevel:
    """The most severe of `levels` (a regrade never lowers a case's level)."""
    return min(levels, key=_SEVERITY.__getitem__)
