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
from moto import mock_aws

from chalicelib import wiring
from tests.support import DEMO_MEDIATORS, DEMO_ORGS, DEMO_REGIONS, Http, Partner, Staff


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


def load_demo_directory(admin: Staff) -> None:
    for code, name in DEMO_REGIONS:
        assert admin.call("POST", "/v1/regions", {"code": code, "name": name}).status == 201
    for org in DEMO_ORGS:
        assert admin.call("POST", "/v1/orgs", org).status == 201
    for mediator in DEMO_MEDIATORS:
        assert admin.call("POST", "/v1/mediators", mediator).status == 201


@contextmanager
def demo_env(*partner_ids: str) -> Iterator[Env]:
    """moto, the tables and queues, the app, the demo directory and the given partners."""
    with mock_aws():
        from chalicelib.adapters import queues
        from chalicelib.adapters.bootstrap import create_all

        queues._sqs.cache_clear()
        queues.queue_url.cache_clear()
        create_all()
        wiring.reset()
        try:
            from app import app

            with Client(app, stage_name="local") as client:
                http = Http(client)
                token, _ = wiring.current().token_minter.mint({"sub": "test-admin", "role": "admin"}, 3600)
                env = Env(http, Staff(http, token))
                load_demo_directory(env.admin)
                for partner_id in partner_ids:
                    env.add_partner(partner_id)
                yield env
        finally:
            queues._sqs.cache_clear()
            queues.queue_url.cache_clear()
            wiring.reset()
