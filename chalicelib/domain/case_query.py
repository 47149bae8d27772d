"""Which cases a list request covers: the services fill it from the caller's view, a store answers it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CaseQuery:
    """Which cases a list request covers; the services layer fills it from the caller's view."""

    partner_id: str | None = None
    org_id: str | None = None
    assisted_by: str | None = None
    """With `org_id`: the cases this org assists in (联合调解) are in the list too."""
    district_code: str | None = None
    region_prefix: str | None = None
    status: str | None = None
    category: str | None = None
    risk_level: str | None = None
    overdue: bool | None = None
