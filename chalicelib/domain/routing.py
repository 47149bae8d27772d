"""Routing policy (分级分流): which tier, org and mediator take a case (§6).

The policies are data tables; `choose_route` walks up the tiers from a
starting tier and picks the first org that can take the case and has an
active mediator. Orgs and mediators come from injected callables so that an
adapter can query lazily, one tier and one org at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from .enums import Category, MediationType, RiskLevel, Tier
from .regions import ancestors_and_self

TIER_BY_RISK: dict[RiskLevel, Tier] = {
    RiskLevel.BLUE: Tier.VILLAGE,
    RiskLevel.YELLOW: Tier.VILLAGE,
    RiskLevel.ORANGE: Tier.TOWN,
    RiskLevel.RED: Tier.TOWN,
}

PARTY_COUNT_TIER_OVERRIDES: tuple[tuple[int, Tier], ...] = ((10, Tier.DISTRICT),)
"""(minimum party_count, lowest tier such a case starts at)."""

_RANK = {tier: rank for rank, tier in enumerate(Tier)}  # village=0 … district=2


@dataclass(frozen=True)
class OrgCandidate:
    org_id: str
    name: str
    region_code: str
    tier: Tier
    mediation_type: MediationType
    categories: tuple[str, ...]
    """Category values the org handles; empty means all."""
    head_phone: str | None


@dataclass(frozen=True)
class MediatorCandidate:
    mediator_id: str
    org_id: str
    specialties: tuple[str, ...]
    active: bool
    open_cases: int
    """Cases `dispatched` or `accepted` to this mediator."""


@dataclass(frozen=True)
class RouteDecision:
    tier: Tier
    org: OrgCandidate
    mediator: MediatorCandidate
    reason: str
    tiers_tried: tuple[Tier, ...]
    related_case_id: str | None = None
    """The open case of the same party whose org and mediator took this one (首接负责)."""


@dataclass(frozen=True)
class Unroutable:
    tiers_tried: tuple[Tier, ...]
    reason: str


def initial_tier(risk_level: RiskLevel, party_count: int, floor: Tier | None = None) -> Tier:
    """The highest of the risk's tier, any party-count override and the floor an escalation set."""
    tiers = [TIER_BY_RISK[RiskLevel(risk_level)]] + ([floor] if floor is not None else [])
    tiers += [tier for threshold, tier in PARTY_COUNT_TIER_OVERRIDES if party_count >= threshold]
    return max(tiers, key=_RANK.__getitem__)


def is_below(tier: Tier, other: Tier) -> bool:
    """Whether `tier` is lower than `other` (village < town < district)."""
    return _RANK[Tier(tier)] < _RANK[Tier(other)]


def escalation_tier(current: Tier) -> Tier | None:
    """The tier an escalated case goes to; None at `district`."""
    return Tier(current).up()


def candidate_scopes(region_code: str, tier: Tier) -> list[str]:
    """Keys `"{prefix}#{tier}"` of the orgs that may cover a place, most specific first."""
    return [f"{prefix}#{Tier(tier).value}" for prefix in reversed(ancestors_and_self(region_code))]


def related_route(category: Category | str, start_tier: Tier, related_case_id: str, org: OrgCandidate | None,
                  mediator: MediatorCandidate | None,
                  excluded_org_ids: frozenset[str] = frozenset()) -> RouteDecision | None:
    """首接负责: a case sharing a party with an open case goes to that case's org and mediator,
    when the org handles its category and is not below the tier it starts at (§12); None when
    it does not (or the org declined it, or the mediator is no longer active there)."""
    category = Category(category).value
    if org is None or mediator is None or org.org_id in excluded_org_ids:
        return None
    if not mediator.active or mediator.org_id != org.org_id:
        return None
    if (org.categories and not _names(org, category)) or is_below(org.tier, start_tier):
        return None
    reason = (f"related case {related_case_id} shares a party: to its {org.tier.value} org {org.org_id} and "
              f"mediator {mediator.mediator_id} (首接负责)")
    return RouteDecision(org.tier, org, mediator, reason, (org.tier,), related_case_id)


def _names(org: OrgCandidate, category: str) -> bool:
    return category in org.categories


def _matches(org: OrgCandidate, region_code: str, tier: Tier, category: str) -> bool:
    return (
        org.tier == tier
        and region_code.startswith(org.region_code)
        and (not org.categories or _names(org, category))
    )


def _preference(org: OrgCandidate, category: str) -> tuple[int, int, str]:
    """Named category before catch-all, then the more specific region, then id."""
    return (0 if _names(org, category) else 1, -len(org.region_code), org.org_id)


def _pick_mediator(mediators: Iterable[MediatorCandidate], category: str) -> MediatorCandidate | None:
    """Active only: a specialty match first, then fewest open cases, then id."""
    active = [m for m in mediators if m.active]
    return min(active, key=lambda m: (category not in m.specialties, m.open_cases, m.mediator_id), default=None)


def choose_route(
    region_code: str,
    category: Category | str,
    start_tier: Tier,
    orgs_by_tier: Callable[[Tier], Iterable[OrgCandidate]],
    mediators_of: Callable[[str], Iterable[MediatorCandidate]],
    excluded_org_ids: frozenset[str] = frozenset(),
) -> RouteDecision | Unroutable:
    """Route a case from `start_tier` upwards; see the module docstring."""
    category = Category(category).value
    tried: list[Tier] = []
    skipped: list[str] = []
    tier: Tier | None = Tier(start_tier)
    while tier is not None:
        tried.append(tier)
        orgs = [o for o in orgs_by_tier(tier) if _matches(o, region_code, tier, category)]
        for org in sorted(orgs, key=lambda o: _preference(o, category)):
            if org.org_id in excluded_org_ids:
                skipped.append(f"{org.org_id} excluded")
                continue
            mediator = _pick_mediator(mediators_of(org.org_id), category)
            if mediator is None:
                skipped.append(f"{org.org_id} has no active mediator")
                continue
            reason = _reason(tier, org, mediator, region_code, category, tried, skipped)
            return RouteDecision(tier, org, mediator, reason, tuple(tried))
        tier = tier.up()
    tiers = "/".join(t.value for t in tried)
    detail = f" ({'; '.join(skipped)})" if skipped else ""
    reason = f"no {tiers} org with an active mediator takes {category} for {region_code}{detail}"
    return Unroutable(tuple(tried), reason)


def _reason(
    tier: Tier,
    org: OrgCandidate,
    mediator: MediatorCandidate,
    region_code: str,
    category: str,
    tried: list[Tier],
    skipped: list[str],
) -> str:
    scope = f"names {category}" if _names(org, category) else f"handles all categories incl. {category}"
    parts = [f"{tier.value} org {org.org_id} ({org.region_code}) {scope} for {region_code}"]
    if len(tried) > 1:
        parts.append("no taker at " + "/".join(t.value for t in tried[:-1]))
    if skipped:
        parts.append("skipped " + ", ".join(skipped))
    specialty = "matches specialty" if category in mediator.specialties else "no specialty match"
    parts.append(f"mediator {mediator.mediator_id} {specialty}, {mediator.open_cases} open cases")
    return "; ".join(parts)
