"""Who may see and do what (§1): principals and the view rules on cases."""

from __future__ import annotations

from dataclasses import dataclass

from .enums import Role, WireEnum

STAFF_ROLES = frozenset({Role.MEDIATOR, Role.SUPERVISOR, Role.ADMIN})


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request."""

    role: Role
    subject: str
    partner_id: str | None = None
    jurisdiction: str | None = None
    org_id: str | None = None
    mediator_id: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def actor(self) -> str:
        """How the timeline names this caller: `partner:demo-12345`, `mediator:M01`."""
        ident = self.partner_id or self.mediator_id or self.subject
        prefix = f"{self.role.value}:"
        # minted tokens already name the role in `sub` (`supervisor:320509`): do not say it twice
        return ident if ident.startswith(prefix) else prefix + ident

    def covers_region(self, region_code: str) -> bool:
        """Admins cover everything; supervisors their jurisdiction prefix."""
        if self.role is Role.ADMIN:
            return True
        return self.role is Role.SUPERVISOR and bool(self.jurisdiction) and region_code.startswith(self.jurisdiction)


def can_view_case(principal: Principal, *, partner_id: str | None, region_code: str,
                  org_id: str | None, mediator_id: str | None,
                  assisting_org_ids: frozenset[str] = frozenset()) -> bool:
    """A case is in a caller's view (otherwise it is 404 to them, not 403): a partner's own
    case; for staff, any case they stand in a relation to."""
    if principal.role is Role.PARTNER:
        return partner_id is not None and partner_id == principal.partner_id
    return bool(relations_to(principal, region_code=region_code, org_id=org_id, mediator_id=mediator_id,
                             assisting_org_ids=assisting_org_ids))


def sees_parties_in_full(principal: Principal, case) -> bool:
    """Partners always see parties masked; staff with the case in view see them in full, except
    that of a sensitive case (a party under 14, PIPL §28) only the assigned mediator and the
    supervisors covering it do (`SENSITIVE_READERS`): everyone else sees it as a partner does."""
    if not principal.is_staff:
        return False
    if not case.sensitive:
        return True
    return SENSITIVE_READERS.allows(principal, case)


class Relation(WireEnum):
    """How a staff caller stands to one case: a role plus its tie to the case."""

    ASSIGNED_MEDIATOR = "assigned_mediator"
    """The mediator the case is assigned to (承办调解员)."""
    ORG_MEDIATOR = "org_mediator"
    """A mediator of the org the case is assigned to (a colleague of the assigned one)."""
    ASSISTING_MEDIATOR = "assisting_mediator"
    """A mediator of an org assisting in a joint mediation of the case (联合调解的协办调解员)."""
    COVERING_SUPERVISOR = "covering_supervisor"
    """A supervisor whose jurisdiction covers the case's region (中心负责人)."""
    DISTRICT_SUPERVISOR = "district_supervisor"
    """A covering supervisor whose jurisdiction is a whole district (区级), as well."""
    ADMIN = "admin"


DISTRICT_CODE_LENGTH = 6


def case_ties(case) -> dict:
    """What of a case the relations to it are judged on (`relations_to`'s keywords)."""
    return {"region_code": case.region_code, "org_id": case.org_id, "mediator_id": case.mediator_id,
            "assisting_org_ids": case.assisting_org_ids}


def relations_to(principal: Principal, *, region_code: str, org_id: str | None,
                 mediator_id: str | None, assisting_org_ids: frozenset[str] = frozenset()) -> frozenset[Relation]:
    """Every relation the caller has to a case with these fields."""
    held = set()
    if principal.role is Role.MEDIATOR:
        if mediator_id is not None and mediator_id == principal.mediator_id:
            held.add(Relation.ASSIGNED_MEDIATOR)
        if org_id is not None and org_id == principal.org_id:
            held.add(Relation.ORG_MEDIATOR)
        if principal.org_id is not None and principal.org_id in assisting_org_ids:
            held.add(Relation.ASSISTING_MEDIATOR)
    elif principal.role is Role.SUPERVISOR and principal.covers_region(region_code):
        held.add(Relation.COVERING_SUPERVISOR)
        if len(principal.jurisdiction) == DISTRICT_CODE_LENGTH:
            held.add(Relation.DISTRICT_SUPERVISOR)
    elif principal.role is Role.ADMIN:
        held.add(Relation.ADMIN)
    return frozenset(held)


@dataclass(frozen=True)
class Permission:
    """Who may take an action on a case: any caller holding one of `relations` to it."""

    relations: frozenset[Relation]

    @classmethod
    def of(cls, *relations: Relation) -> Permission:
        return cls(frozenset(relations))

    def __or__(self, other: Permission) -> Permission:
        return Permission(self.relations | other.relations)

    def allows(self, principal: Principal, case) -> bool:
        return bool(self.relations & relations_to(principal, **case_ties(case)))


CASE_HANDLERS = Permission.of(Relation.ASSIGNED_MEDIATOR, Relation.ORG_MEDIATOR, Relation.COVERING_SUPERVISOR,
                              Relation.ADMIN)
"""The mediators of the case's org (the assigned one or a colleague), supervisors covering
its region, and admins: who may work a case."""
ASSISTANTS = Permission.of(Relation.ASSISTING_MEDIATOR)
"""The mediators of an assisting org (联合调解): besides reading the case, they may act only
where an action's rule adds them (a note, a session)."""


SENSITIVE_READERS = Permission.of(Relation.ASSIGNED_MEDIATOR, Relation.COVERING_SUPERVISOR)
"""Who reads a sensitive case (未成年人, PIPL §28) in full: the mediator it is assigned to and the
supervisors covering its region. Org colleagues, assisting orgs' mediators, admins and partners
see its parties masked and staff's free text with numbers masked."""
