"""The HTTP API on the Chalice app: one route per entry of the route table, each importing the
module that answers it on its first request.

Only the API function calls this (`app.py`, through `config.serves_http`): the queue and
schedule functions never load the routes, the request models, the views or OpenAPI; and the
API function's cold start loads none of the route modules either, only this table.

    python -m chalicelib.api.service      # rewrite route_table.ROUTES from the modules' routes
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Callable

from chalice import Chalice

from ..observability import logger
from .route_table import BINARY_TYPES, ROUTE_CONTENT_TYPES, ROUTE_MODULES, ROUTES


def register_api(app: Chalice) -> None:
    """Add the API's routes and binary media types to `app`."""
    app.api.binary_types.extend(t for t in BINARY_TYPES if t not in app.api.binary_types)
    for method, path, name, module in ROUTES:
        app.route(path, methods=[method], content_types=ROUTE_CONTENT_TYPES, name=name)(_on_demand(app, name, module))


def _on_demand(app: Chalice, name: str, module: str) -> Callable[..., Any]:
    """A view that imports `module` (which registers its routes' views) on first use, then answers.
    The import is asked for at every request: once the module is loaded it is a lookup, and while
    another thread imports it (the local server) it waits for the whole module, not just the
    views registered so far."""
    def view(**params: str) -> Any:
        from .registry import api

        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001 - a module that does not load: its routes answer 500, cleanly
            api.forget_module(module)  # so that the next request tries it afresh
            logger.exception("route module failed to load", extra={"module": module, "route": name})
            from .http import problem

            return problem(500, "Internal server error", "an unexpected error occurred; it has been logged")
        api.app = app
        return api.views[name](**params)

    view.__name__ = name
    return view


def load_all() -> None:
    """Import every route module and build every request model's validator: what a request
    would load on first use, loaded now. The API function does it before Lambda takes its
    snapshot, where SnapStart is on (`snapstart.py`), so that a restored function loads nothing."""
    from .registry import api

    for spec in api.all_routes():
        for model in (spec.body, spec.query):
            if model is not None:
                model.model_rebuild()


def declared_routes() -> list[tuple[str, str, str, str]]:
    """(method, path, view name, module) of every route the modules declare, in their order."""
    from .registry import api

    api.all_routes()  # every route module imported
    order = {entry: index for index, entry in enumerate(api.table)}
    return sorted(api.table, key=lambda entry: (ROUTE_MODULES.index(entry[3]), order[entry]))


def write_route_table() -> None:
    path = Path(__file__).with_name("route_table.py")
    text = path.read_text()
    head = text[:text.index("ROUTES = (")]
    rows = "".join(f"    {entry!r},\n" for entry in declared_routes())
    path.write_text(f"{head}ROUTES = (\n{rows})\n")


if __name__ == "__main__":
    write_route_table()
