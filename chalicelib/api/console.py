"""The console (一屏观全域 for supervisors, a workbench for mediators), served by the service itself.

The console is a set of static files (`chalicelib/console/`: HTML, CSS, ES
modules; no framework, no CDN, so it works on a government network with no
internet access) served under `/console/` by the same function and origin as
the API: the browser calls the API with the staff bearer token kept in the
tab's session storage, never in a cookie. Every answer carries a
Content-Security-Policy with no inline script or style and nothing from
another origin.

Besides the files, three routes serve the console: `GET /v1/me` (who the
token names), and in the local stage only the demo sign-in,
`GET /v1/local/staff` and `POST /v1/local/tokens` (404 in every other stage).
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from chalice import Response
from pydantic import StringConstraints

from .. import wiring
from ..domain.calendar import rfc3339
from ..services.commands import Command
from .http import STAFF, Call, Reply, problem
from .registry import api, route

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"
INDEX = "index.html"
BASE_PLACEHOLDER = "__CONSOLE_BASE__"
"""Where index.html takes its `<base href>`: the console's own path, with the stage's prefix."""
ASSET_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*\.(js|css|svg)$")
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; base-uri 'self'; form-action 'none'; frame-ancestors 'none'"
)
"""Scripts and styles from the service's own origin only: no inline script, no inline style
attribute, no CDN; the page cannot be framed and its forms post nowhere (they call the API)."""
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}
CONSOLE_FILES = frozenset({("/console", "GET"), ("/console/{name}", "GET")})
"""The routes of the console's own files: served by the same function, not part of the API
(nor of its OpenAPI document)."""
LOCAL_ONLY_PREFIX = "/v1/local/"
"""Routes of the local stage only: 404 in every other stage, and left out of its OpenAPI document."""


def _local_stage() -> bool:
    return wiring.current().settings.is_local


@dataclass(frozen=True)
class Asset:
    content: bytes
    media_type: str
    etag: str


@lru_cache(maxsize=1)
def assets() -> dict[str, Asset]:
    """The console's files by name, read once per container (the directory is flat)."""
    found = {}
    for path in sorted(CONSOLE_DIR.iterdir()):
        if path.is_file() and path.suffix in MEDIA_TYPES and (path.name == INDEX or ASSET_NAME.match(path.name)):
            content = path.read_bytes()
            found[path.name] = Asset(content, MEDIA_TYPES[path.suffix], f'"{hashlib.sha256(content).hexdigest()[:32]}"')
    return found


def console_base(request_path: str) -> str:
    """`/api/console/` for `/api/console` or `/api/console/`: what index.html's relative links
    (its scripts, and the API at `../`) are resolved against."""
    head = request_path.split("?", 1)[0].rstrip("/")
    return head + "/" if head.endswith("/console") else "/console/"


def _answer(asset: Asset, content: bytes, if_none_match: str | None) -> Response:
    """The file as text (every console file is UTF-8 text: a bytes body of a type API Gateway
    does not treat as binary would not reach it), or a 304 when the browser has this version."""
    headers = {**SECURITY_HEADERS, "Content-Type": asset.media_type, "ETag": asset.etag}
    if if_none_match and asset.etag in [tag.strip() for tag in if_none_match.split(",")]:
        return Response("", status_code=304, headers=headers)
    return Response(content.decode("utf-8"), status_code=200, headers=headers)


def _request():
    return api.current_request


@api.raw_route("/console")
def console_index() -> Response:
    """The console's page (`/console/`; API Gateway drops the trailing slash)."""
    request = _request()
    event = request.to_original_event()
    path = (event.get("requestContext") or {}).get("path") or event.get("path") or "/console/"
    asset = assets()[INDEX]
    base = html.escape(console_base(path), quote=True)
    page = asset.content.replace(BASE_PLACEHOLDER.encode(), base.encode())
    return _answer(Asset(page, asset.media_type, asset.etag), page, None)


@api.raw_route("/console/{name}")
def console_asset(name: str) -> Response:
    """One of the console's scripts, styles or pictures; 404 for any other name."""
    asset = assets().get(name) if name != INDEX else None
    if asset is None:
        response = problem(404, "Not found", "the console has no such file")
        response.headers.update(SECURITY_HEADERS)
        return response
    return _answer(asset, asset.content, {k.lower(): v for k, v in _request().headers.items()}.get("if-none-match"))


# ------------------------------------------------------------ who is signed in


@route("/v1/me", summary="Who the bearer token names: role, jurisdiction, org and mediator, with their names",
       roles=STAFF, responses={200: "The signed-in staff member", 401: "No or a bad token"})
def me(call: Call) -> Reply:
    principal = call.principal
    directory = wiring.current().directory_store
    names = {}
    if principal.jurisdiction:
        region = directory.region(principal.jurisdiction)
        names["jurisdiction_name"] = region.name if region else None
    if principal.org_id:
        org = directory.org(principal.org_id)
        names["org_name"] = org.name if org else None
    if principal.mediator_id:
        mediator = directory.mediator(principal.mediator_id)
        names["mediator_name"] = mediator.name if mediator else None
    return Reply({"role": principal.role.value, "subject": principal.subject, "jurisdiction": principal.jurisdiction,
                  "org_id": principal.org_id, "mediator_id": principal.mediator_id, **names})


# ------------------------------------------------------------ demo sign-in (local stage)


class DemoSignInRequest(Command):
    """`POST /v1/local/tokens`: the demo staff member to sign in as (`GET /v1/local/staff`)."""

    staff_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9:._-]{0,79}$")]


@route(LOCAL_ONLY_PREFIX + "staff", summary="Local stage only: the demo staff the console's sign-in page lists",
       roles=None, responses={200: "The demo staff", 404: "Not the local stage"}, available=_local_stage)
def demo_staff(call: Call) -> Reply:
    return Reply({"items": [person.view() for person in wiring.current().demo_sign_in.staff()]})


@route(LOCAL_ONLY_PREFIX + "tokens", "POST", summary="Local stage only: sign in as a demo staff member (a token)",
       roles=None, body=DemoSignInRequest, available=_local_stage,
       responses={201: "Token minted", 404: "Not the local stage", 422: "No such demo staff member"})
def demo_token(call: Call) -> Reply:
    person, token, expires_at = wiring.current().demo_sign_in.sign_in(call.body.staff_id)
    return Reply({"token": token, "expires_at": rfc3339(expires_at), "staff": person.view()}, 201)
