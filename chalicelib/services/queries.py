"""Reading cases: one case, lists within the caller's view, timeline, notifications."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from ..domain.errors import InvalidCursor
from ..domain.access import Principal, can_view_case, case_ties
from ..domain.case import Case, Event
from ..domain.case_query import LOOKUP_LIMIT, CaseQuery, lookup_after, lookup_cursor
from ..domain.enums import Role
from ..domain.regions import district_of
from .commands import CaseFilters
from .errors import Forbidden, NotFound, Unprocessable
from .ports import CaseStore


MOVED_EVENTS = frozenset({"note"})
"""What of a merged case's timeline its target's timeline shows (the notes move with the dispute)."""


class CaseQueries:
    def __init__(self, cases: CaseStore, phone_key: Callable[[str], str] | None = None):
        self._cases = cases
        self._phone_key = phone_key
        """A normalised phone's party key, as intake writes it (`intake.phone_pseudonym`)."""

    def case(self, case_id: str, principal: Principal) -> Case:
        """The case, if it is in the caller's view; otherwise 404 (existence is not leaked)."""
        case = self._cases.get(case_id) if len(case_id) <= 64 else None
        if case is None or not can_view_case(principal, partner_id=case.partner_id, **case_ties(case)):
            raise NotFound(f"no case {case_id}")
        return case

    def timeline(self, case_id: str, principal: Principal) -> list[Event]:
        """The case's events, oldest first (`case_and_timeline`)."""
        return self.case_and_timeline(case_id, principal)[1]

    def case_and_timeline(self, case_id: str, principal: Principal) -> tuple[Case, list[Event]]:
        """The case and its events, oldest first; a merge target's include the notes of the cases
        merged into it (their `detail.from_case` names each one's case), for staff only."""
        case = self.case(case_id, principal)
        events = self._cases.events(case_id)
        if principal.is_staff:
            for source in case.merged_sources:
                events += [replace(event, detail={**event.detail, "from_case": source.case_id})
                           for event in self._cases.events(source.case_id) if event.type in MOVED_EVENTS]
            events.sort(key=lambda event: event.at)
        return case, events

    def outcome_statuses(self, cases: list[Case], principal: Principal) -> dict[str, str | None]:
        """For a partner's merged cases: the status of the case each was merged into, or None
        while that one is open (§12 `outcome_status`); one batched read for them all."""
        merged = {case.case_id: case.merged_into for case in cases if case.merged_into}
        if principal.is_staff or not merged:
            return {}
        targets = {target.case_id: target for target in self._cases.cases(set(merged.values()))}
        return {case_id: (targets[into].status.value if into in targets and not targets[into].is_open else None)
                for case_id, into in merged.items()}

    def supervision_letters(self, case_id: str, principal: Principal) -> list[dict]:
        """督办函 issued on the case, oldest first."""
        self.case(case_id, principal)
        return self._cases.supervision_letters(case_id)

    def notifications(self, case_id: str, principal: Principal) -> list[dict]:
        return self.case_and_notifications(case_id, principal)[1]

    def case_and_notifications(self, case_id: str, principal: Principal) -> tuple[Case, list[dict]]:
        case = self.case(case_id, principal)
        return case, self._cases.notifications(case_id)

    def list(self, filters: CaseFilters, principal: Principal) -> tuple[list[Case], str | None]:
        if filters.party_phone is not None and principal.role is Role.PARTNER:
            raise Forbidden("party_phone is a staff lookup: a partner finds its cases by external_ref")
        if filters.external_ref is not None or filters.party_phone is not None:
            return self._lookup(filters, principal)
        common = _filter_fields(filters)
        if principal.role is Role.PARTNER:
            query = CaseQuery(partner_id=principal.partner_id, **common)
        elif principal.role is Role.MEDIATOR:
            if not principal.org_id:
                raise Forbidden("your token names no org")
            query = CaseQuery(org_id=principal.org_id, assisted_by=principal.org_id, **common)
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

    def _lookup(self, filters: CaseFilters, principal: Principal) -> tuple[list[Case], str | None]:
        """`external_ref=` / `party_phone=` (§1a): the cases under the key (one Query of its index
        or party rows, then one BatchGet), those in the caller's view that pass the other filters,
        newest first, a page at a time. With both keys given, the cases both find."""
        if principal.role is Role.MEDIATOR and not principal.org_id:
            raise Forbidden("your token names no org")
        if principal.role is Role.SUPERVISOR and filters.region and not principal.covers_region(filters.region):
            raise Forbidden("region is outside your jurisdiction")
        after = None
        if filters.cursor is not None:
            try:
                after = lookup_after(filters.cursor)
            except InvalidCursor as exc:
                raise Unprocessable.field("cursor", str(exc)) from exc
        found: list[str] | None = None
        if filters.external_ref is not None:
            found = self._cases.case_ids_by_external_ref(filters.external_ref, LOOKUP_LIMIT)
        if filters.party_phone is not None:
            by_phone = self._cases.case_ids_by_party(self._phone_key(filters.party_phone), LOOKUP_LIMIT)
            if found is None:
                found = by_phone
            else:
                on_phone = set(by_phone)
                found = [case_id for case_id in found if case_id in on_phone]
        wanted = CaseQuery(**_filter_fields(filters))
        cases = sorted((case for case in self._cases.cases(found or [])
                        if can_view_case(principal, partner_id=case.partner_id, **case_ties(case))
                        and wanted.passes_filters(case)),
                       key=lambda case: (case.received_at, case.case_id), reverse=True)
        if after is not None:
            ids = [case.case_id for case in cases]
            if after not in ids:
                raise Unprocessable.field("cursor", "cursor does not belong to this list")
            cases = cases[ids.index(after) + 1:]
        page = cases[:filters.limit]
        return page, (lookup_cursor(page[-1].case_id) if len(cases) > filters.limit else None)


def _filter_fields(filters: CaseFilters) -> dict:
    """The list filters of a request, as `CaseQuery` holds them."""
    return dict(region_prefix=filters.region, status=filters.status,
                category=filters.category and filters.category.value, risk_level=filters.risk_level,
                overdue=filters.overdue)
