"""Demo sign-in (演示登录) of the local stage: the staff a console user may sign in as, and their tokens.

The local stack has no identity provider: its staff tokens are minted by the
service itself. So that a person trying the console need not mint tokens by
hand, the local stage lists its demo staff (the admin, a supervisor of each
district and town, each active mediator) and mints the token of the one
chosen, with the same claims `POST /v1/tokens` gives. Its routes exist in the
local stage only (`api/console.py`: 404 in every other, where tokens come from
the identity provider).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..domain.access import Principal
from ..domain.enums import Role
from .auth import TokenService
from .commands import TokenRequest
from .directory import DirectoryService
from .errors import Unprocessable

SIGN_IN_ADMIN = Principal(role=Role.ADMIN, subject="admin")
"""Who mints a demo token: the local stage's admin."""
SUPERVISED_LEVELS = (6, 9)
"""Supervisors of each district and each town are offered; villages have none."""


@dataclass(frozen=True)
class DemoStaff:
    staff_id: str
    role: Role
    name: str
    """How the sign-in page names them: `吴江区 督导`, a mediator's name."""
    detail: str
    """Their org or jurisdiction."""
    token_request: TokenRequest

    def view(self) -> dict:
        return {"staff_id": self.staff_id, "role": self.role.value, "name": self.name, "detail": self.detail}


class DemoSignIn:
    def __init__(self, directory: DirectoryService, tokens: TokenService):
        self._directory = directory
        self._tokens = tokens

    def staff(self) -> list[DemoStaff]:
        """The admin, then a supervisor of each district and town, then each active mediator."""
        regions = self._directory.listing("regions")
        orgs = {org.org_id: org.name for org in self._directory.listing("orgs")}
        people = [DemoStaff("admin", Role.ADMIN, "系统管理员", "全部区划", TokenRequest(role=Role.ADMIN))]
        people += [DemoStaff(f"supervisor:{region.code}", Role.SUPERVISOR, f"{region.name} 督导",
                             f"辖区 {region.code}", TokenRequest(role=Role.SUPERVISOR, jurisdiction=region.code))
                   for region in regions if len(region.code) in SUPERVISED_LEVELS]
        people += [DemoStaff(f"mediator:{mediator.mediator_id}", Role.MEDIATOR, mediator.name,
                             orgs.get(mediator.org_id, mediator.org_id),
                             TokenRequest(role=Role.MEDIATOR, mediator_id=mediator.mediator_id))
                   for mediator in self._directory.listing("mediators") if mediator.active]
        return people

    def sign_in(self, staff_id: str) -> tuple[DemoStaff, str, dt.datetime]:
        """The demo staff member named, and a token minted for them; 422 for one not listed."""
        chosen = next((person for person in self.staff() if person.staff_id == staff_id), None)
        if chosen is None:
            raise Unprocessable.field("staff_id", "no such demo staff member")
        token, expires_at = self._tokens.mint(chosen.token_request, SIGN_IN_ADMIN)
        return chosen, token, expires_at
