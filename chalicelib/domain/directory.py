"""The directory (机构名录) as the services see it: regions, orgs, mediators, partner systems.

Entries are values: a change makes a new one (the store's `update_*` return it).
How they are kept, and the index keys that go with them, is the store's business
(`adapters.directory_store`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .enums import Category, MediationType, Tier


@dataclass(frozen=True, kw_only=True)
class Region:
    """区划: a district (6 digits), town (9) or village (12); the parent is the code less its last 3."""

    code: str
    name: str
    parent_code: str | None = None
    """None for a district."""
    created_at: dt.datetime


@dataclass(frozen=True, kw_only=True)
class Org:
    """调解组织: an org of one region, at one tier, of one mediation type."""

    org_id: str
    name: str
    region_code: str
    tier: Tier
    mediation_type: MediationType
    head_phone: str | None = None
    """Who hears of the org's red-risk cases and rectifications."""
    categories: tuple[Category, ...] = ()
    """The categories the org handles, sorted by value; empty means all."""
    created_at: dt.datetime


@dataclass(frozen=True, kw_only=True)
class Mediator:
    """调解员: a mediator of one org."""

    mediator_id: str
    name: str
    phone: str
    org_id: str
    specialties: tuple[Category, ...] = ()
    """Sorted by value."""
    active: bool = True
    """Only active mediators are dispatched cases."""
    open_cases: int = 0
    """Cases `dispatched` or `accepted` to this mediator, kept by the case store."""
    created_at: dt.datetime
    updated_at: dt.datetime | None = None
    """When an admin last changed the mediator; None until then."""


@dataclass(frozen=True, kw_only=True)
class Partner:
    """合作系统: a partner system that files cases and hears back on `callback_url`.

    Its secret is derived from `key_id` whenever it is needed, never kept."""

    partner_id: str
    name: str
    callback_url: str | None = None
    key_id: str
    enabled: bool = True
    """A disabled partner's requests are refused."""
    created_at: dt.datetime
