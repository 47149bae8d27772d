"""One moto stack, app client and demo directory shared by the tests of a module.

Setting up the tables and the directory costs about a second; modules with
many small tests that do not disturb each other (rejections, reads of a fixed
data set) share one stack through a module-scoped fixture built on this.
Tests that change shared state keep the function-scoped fixtures of conftest.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from chalice.test import Client

from tests.support import Http, Partner, Staff, admin_staff, load_demo_directory, moto_stack


@dataclass
class Env:
    http: Http
    admin: Staff
    partners: dict[str, Partner] = field(default_factory=dict)

    def add_partner(self, partner_id: str) -> Partner:
        created = self.admin.call("POST", "/v1/partners", {"partner_id": partner_id, "name": f"{partner_id} 系统"})
        assert created.status == 201, created
        partner = Partner(self.http, created.json["key_id"], created.json["secret"], partner_id)
        self.partners[partner_id] = partner
        return partner

    def staff(self, **body) -> Staff:
        minted = self.admin.call("POST", "/v1/tokens", body)
        assert minted.status == 201, minted
        return Staff(self.http, minted.json["token"])


@contextmanager
def demo_env(*partner_ids: str) -> Iterator[Env]:
    """moto, the tables and queues, the app, the demo directory and the given partners."""
    with moto_stack():
        from app import app

        with Client(app, stage_name="local") as client:
            http = Http(client)
            env = Env(http, admin_staff(http))
            load_demo_directory(env.admin)
            for partner_id in partner_ids:
                env.add_partner(partner_id)
            yield env
