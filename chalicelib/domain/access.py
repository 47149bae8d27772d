"""Who may see and do what (§1): principals and the view rules on cases."""

from __future__ import annotations

from dataclasses import dataclass

from .enums import Role

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
                  org_id: str | None, mediator_id: str | None) -> bool:
    """A case is in a caller's view (otherwise it is 404 to them, not 403)."""
    if principal.role is Role.PARTNER:
        return partner_id is not None and partner_id == principal.partner_id
    if principal.role is Role.MEDIATOR:
        return (mediator_id is not None and mediator_id == principal.mediator_id) or (
            org_id is not None and org_id == principal.org_id
        )
    return principal.covers_region(region_code)


def sees_parties_in_full(principal: Principal) -> bool:
    """Partners always see parties masked; staff with the case in view see them in full."""
    return principal.is_staff
