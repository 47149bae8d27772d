"""Region codes: 12-digit statistical division codes (统计用区划代码).

The first 6 digits name a district (区县), the next 3 a town (乡镇街道), the
last 3 a village or community (村社区). The directory stores regions by the
code of their own level: 6, 9 or 12 digits.
"""

from __future__ import annotations

from .enums import Tier

LEVEL_LENGTHS: dict[Tier, int] = {Tier.DISTRICT: 6, Tier.TOWN: 9, Tier.VILLAGE: 12}
"""How many digits name a region at each level."""


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
