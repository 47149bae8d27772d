"""Region codes: 12-digit statistical division codes (统计用区划代码).

The first 6 digits name a district (区县), the next 3 a town (乡镇街道), the
last 3 a village or community (村社区). The directory stores regions by the
code of their own level: 6, 9 or 12 digits.
"""

from __future__ import annotations

from .enums import Tier

LEVEL_LENGTHS: dict[Tier, int] = {Tier.DISTRICT: 6, Tier.TOWN: 9, Tier.VILLAGE: 12}
"""How many digits name a region at each level."""

_TIER_OF_LENGTH = {length: tier for tier, length in LEVEL_LENGTHS.items()}


def level_of(code: str) -> Tier | None:
    """The level a code names, or None for a code of another shape."""
    if not code.isdigit() or not code.isascii():
        return None
    return _TIER_OF_LENGTH.get(len(code))


def parent_of(code: str) -> str | None:
    """The code of the enclosing region, None for a district."""
    lengths = sorted(LEVEL_LENGTHS.values())
    index = lengths.index(len(code))
    return code[: lengths[index - 1]] if index else None


def ancestors_and_self(code: str) -> list[str]:
    """Every prefix of a code that names a region, shortest first."""
    return [code[:length] for length in sorted(LEVEL_LENGTHS.values()) if length <= len(code)]


def district_of(code: str) -> str:
    return code[: LEVEL_LENGTHS[Tier.DISTRICT]]


def is_prefix_code(code: str) -> bool:
    """True for a code usable as a region filter or a jurisdiction (6, 9 or 12 digits)."""
    return level_of(code) is not None


def in_jurisdiction(region_code: str, jurisdiction: str) -> bool:
    return region_code.startswith(jurisdiction)
