"""The HTTP API as one blueprint: every route module, registered on the Chalice app.

Only the API function imports this (`app.py`, through `config.serves_http`): the queue
and schedule functions never load the routes, the request models, the views or the
OpenAPI document.
"""

from __future__ import annotations

from chalice import Chalice

from . import analysis, attachments, calendar, case_actions, console, dashboard, docs, documents  # noqa: F401
from . import ledger, ledger_import, ops, patrol_reports, public, retention, stats  # noqa: F401
from .http import BINARY_TYPES
from .routes import api

ROUTE_MODULES = (analysis, attachments, calendar, case_actions, console, dashboard, docs, documents, ledger,
                 ledger_import, ops, patrol_reports, public, retention, stats)
"""Modules whose import registers their routes on `api` (with `routes`, which has the core ones):
analysis, §14 attachments and dossier, the working calendar, the case actions, the console,
the supervisor dashboard, the API documentation, the agreement document, the ledgers and their
import, operations, patrol reports, the public lookup, the §16 retention hold, statistics."""


def register_api(app: Chalice) -> None:
    """Add the API's routes and binary media types to `app`."""
    app.api.binary_types.extend(t for t in BINARY_TYPES if t not in app.api.binary_types)
    app.register_blueprint(api.blueprint)
