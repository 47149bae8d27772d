"""Reading cases: one case, lists within the caller's view, timeline, notifications."""

from __future__ import annotations

from ..domain.errors import InvalidCursor
from ..domain.access import Principal, can_view_case
from ..domain.case import Case, Event
from ..domain.case_query import CaseQuery
from ..domain.enums import Role
from ..domain.regions import district_of
from .commands import CaseFilters
from .errors import Forbidden, NotFound, Unprocessable
from .ports import CaseStore


class CaseQueries:
    def __init__(self, cases: CaseStore):
        self._cases = cases

    def case(self, case_id: str, principal: Principal) -> Case:
        """The case, if it is in the caller's view; otherwise 404 (existence is not leaked)."""
        case = self._cases.get(case_id) if len(case_id) <= 64 else None
        if case is None or not can_view_case(
            principal, partner_id=case.partner_id, region_code=case.region_code,
            org_id=case.org_id, mediator_id=case.mediator_id,
        ):
            raise NotFound(f"no case {case_id}")
        return case

    def timeline(self, case_id: str, principal: Principal) -> list[Event]:
        self.case(case_id, principal)
        return self._cases.events(case_id)

    def supervision_letters(self, case_id: str, principal: Principal) -> list[dict]:
        """督办函 issued on the case, oldest first."""
        self.case(case_id, principal)
        return self._cases.supervision_letters(case_id)

    def notifications(self, case_id: str, principal: Principal) -> list[dict]:
        self.case(case_id, principal)
        return self._cases.notifications(case_id)

    def list(self, filters: CaseFilters, principal: Principal) -> tuple[list[Case], str | None]:
        common = dict(
            region_prefix=filters.region, status=filters.status, category=filters.category and filters.category.value,
            risk_level=filters.risk_level, overdue=filters.overdue,
        )
        if principal.role is Role.PARTNER:
            query = CaseQuery(partner_id=principal.partner_id, **common)
        elif principal.role is Role.MEDIATOR:
            if not principal.org_id:
                raise Forbidden("your token names no org")
            query = CaseQuery(org_id=principal.org_id, **common)
        else:
            region = filters.region
            if principal.role is Role.SUPERVISOR:
                if region is None:
                    region = principal.jurisdiction
                elif not principal.covers_region(region):
                    raise Forbidden("region is outside your jurisdiction")
            common["region_prefix"] = region
            query = CaseQuery(district_code=district_of(region) if region else None, **common)
        try:
            return self._cases.list(query, filters.limit, filters.cursor)
        except InvalidCursor as exc:
            raise Unprocessable.field("cursor", str(exc)) from exc
