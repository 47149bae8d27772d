"""Which cases a list request covers: the services fill it from the caller's view, a store answers it."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from .errors import InvalidCursor


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

    def passes_filters(self, case) -> bool:
        """Whether a case passes the list filters given (region prefix, status, category, risk
        level, overdue), as the store's filter conditions test them; whose view the case is in
        (partner, org, district) is judged apart."""
        return ((self.region_prefix is None or case.region_code.startswith(self.region_prefix))
                and (self.status is None or case.status.value == self.status)
                and (self.category is None or case.category.value == self.category)
                and (self.risk_level is None or case.risk_level.value == self.risk_level)
                and (self.overdue is None or case.overdue is self.overdue))


LOOKUP_LIMIT = 200
"""Cases a lookup (`external_ref=`, `party_phone=`) reads at most, newest first: an external
ref names at most one case per owner, and a phone the cases of one person."""


def lookup_cursor(case_id: str) -> str:
    """The cursor of a lookup's next page: the id of the last case shown (opaque, URL-safe)."""
    return base64.urlsafe_b64encode(json.dumps({"after": case_id}).encode()).decode().rstrip("=")


def lookup_after(cursor: str) -> str:
    """The case id a lookup cursor resumes after; InvalidCursor for anything else."""
    try:
        value = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidCursor("cursor is not valid") from exc
    if not isinstance(value, dict) or set(value) != {"after"} or not isinstance(value["after"], str):
        raise InvalidCursor("cursor does not belong to this list")
    return value["after"]
