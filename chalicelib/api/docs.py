"""Interactive API documentation at `/docs`: Redoc over `/openapi.json`, served by the API's function.

Redoc's standalone bundle is vendored (`chalicelib/api_docs/`, Redoc 2.5.4, MIT; README's
dependency table): no CDN and no web font, so the page works on a network with no internet
access. The page is a `<redoc spec-url>` element and the bundle, which renders it by itself:
no inline script. Its Content-Security-Policy allows scripts of this origin only; Redoc
(styled-components) puts its styles in `<style>` elements, so styles allow 'unsafe-inline'
(styles cannot run code); its search index runs in a Web Worker made from a `blob:` URL, so
`worker-src blob:`; it fetches the document (`connect-src 'self'`) and draws a few icons as
`data:` images.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from chalice import Response

from .http import problem
from .registry import api

DOCS_DIR = Path(__file__).resolve().parent.parent / "api_docs"
REDOC_BUNDLE = "redoc.standalone.js"
REDOC_VERSION = "2.5.4"
DOCS_FILES = frozenset({("/docs", "GET"), ("/docs/{name}", "GET")})
"""The documentation's routes: served by the API's function, not part of the API (nor of its document)."""
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; worker-src blob:; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hewei (和为贵) API</title>
</head>
<body>
<redoc spec-url="openapi.json"></redoc>
<script src="docs/{bundle}?v={version}"></script>
</body>
</html>
"""
"""Links relative to the page at `…/docs` (API Gateway's stage prefix included): the document
at `…/openapi.json`, the bundle at `…/docs/redoc.standalone.js`."""


@lru_cache(maxsize=1)
def bundle() -> tuple[str, str]:
    """Redoc's bundle as text (a bytes body of a type API Gateway does not treat as binary
    would not reach the browser), and its ETag; read once per container."""
    content = (DOCS_DIR / REDOC_BUNDLE).read_bytes()
    return content.decode("utf-8"), f'"{hashlib.sha256(content).hexdigest()[:32]}"'


@api.raw_route("/docs")
def docs_page() -> Response:
    """The documentation's page."""
    return Response(PAGE.format(bundle=REDOC_BUNDLE, version=REDOC_VERSION), status_code=200,
                    headers={**SECURITY_HEADERS, "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache"})


@api.raw_route("/docs/{name}")
def docs_file(name: str) -> Response:
    """Redoc's bundle; 404 for any other name."""
    if name != REDOC_BUNDLE:
        response = problem(404, "Not found", "the documentation has no such file")
        response.headers.update(SECURITY_HEADERS)
        return response
    text, etag = bundle()
    headers = {**SECURITY_HEADERS, "Content-Type": "text/javascript; charset=utf-8", "ETag": etag,
               "Cache-Control": "public, max-age=86400"}
    if_none_match = {k.lower(): v for k, v in api.current_request.headers.items()}.get("if-none-match")
    if if_none_match and etag in [tag.strip() for tag in if_none_match.split(",")]:
        return Response("", status_code=304, headers=headers)
    return Response(text, status_code=200, headers=headers)
