"""The API's route registry (`api`) and its decorator (`route`): every route module registers
its routes here when it is imported, and `service.register_api` routes the Chalice app's
requests to them."""

from __future__ import annotations

from .. import wiring
from .http import Api


def _authenticate(headers, method, paths, body, defer_replay):
    authenticator = wiring.current().authenticator
    if defer_replay:
        return authenticator.authenticate_deferring_replay(headers, method, paths, body)
    return authenticator.authenticate(headers, method, paths, body), None


api = Api(_authenticate)
route = api.route
