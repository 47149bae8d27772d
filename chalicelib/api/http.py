"""The HTTP edge: one decorator turns a use-case call into a Chalice route.

Every route is declared once with `api.route(...)`: the declaration records
the route's view and the record that feeds the OpenAPI document; the Chalice
app gets its routes from the route table (`route_table.py`, `service.py`),
which imports a route's module when the route is first asked for. The
wrapper does what every route needs, in one place: correlation id, body
size and encoding checks, authentication and role check, JSON parsing and
pydantic validation, and the mapping of errors to problem+json (RFC 9457).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import quote, quote_plus, urlencode

from ..adapters.attachments import content_disposition
from ..adapters.aws_errors import retry_after_seconds
from ..observability import logger
from chalice import Response
from pydantic import BaseModel, ValidationError

from ..domain.access import STAFF_ROLES, Principal
from ..domain.case import RuleBroken
from ..domain.enums import Role
from ..services.errors import Conflict, Forbidden, NotFound, ServiceError, Unprocessable
from .route_table import BINARY_TYPES, DOCX, XLSX  # noqa: F401 - re-exported: the media types the routes answer with

MAX_BODY_BYTES = 256 * 1024
XLSM = "application/vnd.ms-excel.sheet.macroEnabled.12"
"""A macro-enabled workbook."""
PROBLEM_TYPE_BASE = "https://hewei.example/problems/"
ANY_ROLE = frozenset(Role)
STAFF = STAFF_ROLES
ADMIN = frozenset({Role.ADMIN})
ADMIN_OR_SUPERVISOR = frozenset({Role.ADMIN, Role.SUPERVISOR})


@dataclass(frozen=True)
class RouteSpec:
    """What OpenAPI needs to know of a route."""

    method: str
    path: str
    name: str
    summary: str
    roles: frozenset[Role] | None
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    responses: dict[int, str]
    upload: Upload | None = None
    downloads: tuple[str, ...] = ()
    """Media types of the file a 200 answers with (`Download`), when it is not JSON."""
    available: Callable[[], bool] | None = None
    """Whether the route exists in this stage (None: always). One that does not answers 404
    before anything of the request is read, and is left out of the OpenAPI document."""
    replay_in_write: bool = False
    """A partner's replay key is claimed by the handler's own write (`Call.replay`, the intake's
    transaction), not by a write of its own first; if the handler does not claim it, it is
    claimed when the request ends, and a replay is still answered 401 whatever else went wrong."""

    def exists(self) -> bool:
        return self.available is None or self.available()


@dataclass(frozen=True)
class Upload:
    """A route whose body is a file, not JSON: the media types it takes and its size limit.
    The handler gets the body as bytes (`Call.body`)."""

    media_types: frozenset[str]
    max_bytes: int
    description: str = "file"
    refused_media_types: tuple[tuple[str, str], ...] = ()
    """(media type, why it is refused): types that get a 415 saying more than which types are taken."""


@dataclass
class Call:
    """What a handler gets: the parsed request."""

    principal: Principal | None
    body: Any
    query: Any
    params: dict[str, str]
    request_id: str
    replay: Any = None
    """With `RouteSpec.replay_in_write`, a partner request's `services.auth.PendingReplay`."""


@dataclass
class Reply:
    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Download:
    """A file answer: bytes (or text) of a media type, offered as an attachment named `filename`."""

    content: bytes | str
    media_type: str
    filename: str

    def response(self) -> Response:
        return Response(self.content, status_code=200, headers={
            "Content-Type": self.media_type, "Content-Disposition": content_disposition(self.filename)})


def accepts(accept: str, media_type: str) -> bool:
    """Whether an Accept header takes the binary `media_type` as API Gateway decides it: by the
    first media type the header names, which must be that type or `*/*` (chalice local looks at
    every part; a client sending `application/json, */*` would get base64 text in the cloud)."""
    first = re.split("[,;]", accept, maxsplit=1)[0].strip().lower()
    return first in ("*/*", media_type)


def problem_document(status: int, title: str, detail: str, errors: list | None = None, **extra) -> dict:
    """An RFC 9457 problem in the service's shape: its `type` named after its title."""
    body = {"type": PROBLEM_TYPE_BASE + title.lower().replace(" ", "-"), "title": title, "status": status,
            "detail": detail}
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def problem(status: int, title: str, detail: str, errors: list | None = None, **extra) -> Response:
    body = problem_document(status, title, detail, errors, **extra)
    return Response(json.dumps(body, ensure_ascii=False), status_code=status,
                    headers={"Content-Type": "application/problem+json"})


def field_path(location: tuple) -> str:
    """('parties', 0, 'phone') → 'parties[0].phone'."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "body"


def validation_errors(exc: ValidationError, prefix: tuple = ()) -> list[dict[str, str]]:
    """pydantic errors as contract `errors`, without the rejected input."""
    errors = []
    for error in exc.errors(include_input=False, include_url=False):
        location = tuple(part for part in error["loc"] if not (isinstance(part, str) and part.startswith("function-")))
        message = error["msg"].removeprefix("Value error, ")
        errors.append({"field": field_path(prefix + location), "message": message})
    return errors


def _quote_keeping_delimiters(string: str, safe: str = "", encoding: str | None = None,
                              errors: str | None = None) -> str:
    """Percent-encoding that leaves `,` and `:` alone, as some clients do.

    `urlencode` calls its `quote_via` with (string, safe, encoding, errors).
    """
    return quote(string, safe=safe + ",:", encoding=encoding, errors=errors)


QUERY_QUOTINGS = (quote, quote_plus, _quote_keeping_delimiters)
"""How common HTTP clients encode query values: RFC 3986 (`%20`), forms (`+`, urllib, requests), lax."""


BODY_TYPES_READ_AS_JSON = frozenset({"", "application/json", "text/plain", "application/x-www-form-urlencoded"})
"""Every body is JSON (the contract). Besides JSON's own types, a missing header and the two that
clients put on a body by default (`curl -d`, urllib, `fetch` with a string) are read as
JSON, so a forgotten header gets the answer the body deserves (400 for malformed JSON);
any other declared type (XML, multipart...) is 415."""


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";")[0].strip().lower()
    return media_type in BODY_TYPES_READ_AS_JSON or (
        media_type.startswith("application/") and media_type.endswith("+json"))


MAX_JSON_DEPTH = 32
"""Arrays and objects a body may nest (the service's own bodies nest four at most: a patrol report's
findings' risk indicators). Deeper is 400 naming the limit,
checked before the body is parsed: pydantic's parser stops at 200 levels, and Python's recursion
at about a thousand."""

_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\(?:.|\Z))*+(?:"|\Z)', re.DOTALL)
"""A string, or an unterminated one up to the end of the text: it matches at every quote, so a
text of unterminated strings (`"\\"\\"…`) is scanned once, not once per quote."""
_BRACKET = re.compile(r"[\[\]{}]")


def json_too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text nests arrays and objects more than `limit` deep, judged without
    parsing it (nor recursing): the brackets outside strings are counted, stopping at the first
    level over the limit. A text with no more than `limit` opening brackets, the usual body,
    is not scanned."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for bracket in _BRACKET.finditer(_JSON_STRING.sub("", text)):
        if bracket.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"the number {text[:20]} is out of range")
    return value


def _invalid_json_reason(exc: ValidationError) -> str:
    """What pydantic's parser found wrong with a text Python's parser took, in the words of the
    problem: a lone surrogate escape (`"\\ud800"`, which its parser calls a bad hex escape) is
    not Unicode text; nesting past its limit (not reached: `json_too_deep` refuses it first) is
    nesting; anything else as the parser words it."""
    reason = str(exc.errors()[0].get("ctx", {}).get("error", "")).split(" at line ")[0]
    if "recursion" in reason:
        return f"nested too deeply: at most {MAX_JSON_DEPTH} levels of arrays and objects"
    if "escape" in reason or "surrogate" in reason or "unicode" in reason.lower():
        return "a string is not valid Unicode"
    return reason or "it cannot be parsed"


def path_candidates(event: dict) -> list[str]:
    """Renderings of the request's path and query a partner may have signed.

    Gateways hand over the query as a mapping, so the original byte string is
    gone: the order given and the sorted order are both tried, each encoded
    the way common HTTP clients do.
    """
    # API Gateway: `path` is what a custom domain sees, `requestContext.path`
    # carries the stage prefix of the default endpoint; chalice local has only the latter.
    paths = dict.fromkeys(p for p in (event.get("path"), event.get("requestContext", {}).get("path")) if p)
    params = event.get("multiValueQueryStringParameters") or {}
    pairs = [(key, value) for key, values in params.items() for value in values]
    if not pairs:
        return list(paths) or ["/"]
    candidates: list[str] = []
    for path in paths:
        for ordered in (pairs, sorted(pairs)):
            for quoting in QUERY_QUOTINGS:
                rendered = f"{path}?{urlencode(ordered, quote_via=quoting)}"
                if rendered not in candidates:
                    candidates.append(rendered)
    return candidates


def query_parameter_names(model: type[BaseModel] | None) -> frozenset[str]:
    """The query parameters a route declares: its query model's fields, by their URL names."""
    if model is None:
        return frozenset()
    return frozenset(field.alias or name for name, field in model.model_fields.items())


def unknown_query_parameters(model: type[BaseModel] | None, values: dict[str, str]) -> list[str]:
    """The parameters a request sends that its route does not declare (a typo such as `stauts=`
    would otherwise be ignored and answer with an unfiltered list), sorted; a route with no query
    model declares none."""
    declared = query_parameter_names(model)
    return sorted(name for name in values if name not in declared)


def _refuse_json_body(spec: RouteSpec, raw: bytes, headers: dict[str, str]) -> Response | None:
    if len(raw) > MAX_BODY_BYTES:
        return problem(413, "Content too large", f"the body is over {MAX_BODY_BYTES // 1024} KiB")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return problem(400, "Bad request", "the body is not valid UTF-8")
    if spec.body is not None and raw.strip() and not _is_json(headers.get("content-type", "")):
        return problem(415, "Unsupported media type", "send the body as application/json")
    return None


def _refuse_upload(upload: Upload, raw: bytes, headers: dict[str, str]) -> Response | None:
    """A file body: over its size limit 413, of another declared type 415, empty 422."""
    if len(raw) > upload.max_bytes:
        return problem(413, "Content too large", f"the {upload.description} is over {upload.max_bytes // 2**20} MiB")
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    reason = next((why for refused, why in upload.refused_media_types if refused.lower() == media_type), None)
    if reason is not None:
        return problem(415, "Unsupported media type", reason)
    if media_type not in upload.media_types:
        accepted = " or ".join(sorted(upload.media_types))
        return problem(415, "Unsupported media type", f"send the {upload.description} as {accepted}")
    if not raw:
        return problem(422, "Unprocessable content", f"the body is empty: send the {upload.description}",
                       [{"field": "body", "message": "is empty"}])
    return None


def _unavailable(exc: Exception, spec: RouteSpec, request_id: str) -> Response | None:
    """503 with `Retry-After` when `exc` is DynamoDB (or SQS, S3) throttling or out of reach
    (`adapters.aws_errors`); None for any other failure. The failed write did not commit (a
    transaction is all or nothing), so sending the same request again (an intake with the
    same `external_ref`) is safe: it is done once."""
    seconds = retry_after_seconds(exc)
    if seconds is None:
        return None
    logger.warning("storage unavailable", extra={"route": spec.name, "error": type(exc).__name__,
                                                  "retry_after": seconds})
    response = problem(503, "Service unavailable", "the service's storage is busy or out of reach; send the same "
                                                   f"request again in {seconds} s (it is done once)",
                       request_id=request_id)
    response.headers["Retry-After"] = str(seconds)
    return response


class Api:
    """Route registry: each route's view by name, and the record of each declared route (OpenAPI).

    `routes` holds the routes of the modules imported so far; `all_routes` imports every route
    module first. The views answer the requests of `app`, the Chalice app that routes to them
    (`service.register_api` sets it)."""

    def __init__(self, authenticate: Callable[[dict, str, list[str], bytes, bool], tuple[Principal, Any]]):
        """`authenticate(headers, method, paths, body, defer_replay)` gives the caller and, with
        `defer_replay`, a partner request's replay key left to claim (`services.auth.PendingReplay`)."""
        self.routes: list[RouteSpec] = []
        self.views: dict[str, Callable[..., Response]] = {}
        self.table: list[tuple[str, str, str, str]] = []
        """(method, path, view name, module) of every route registered so far: `route_table.ROUTES`."""
        self.app: Any = None
        self._authenticate = authenticate

    @property
    def current_request(self):
        """The request the app is answering."""
        return self.app.current_request

    def all_routes(self) -> list[RouteSpec]:
        """The record of every declared route, every route module imported first."""
        from importlib import import_module

        from .route_table import ROUTE_MODULES

        for module in ROUTE_MODULES:
            import_module(module)
        return list(self.routes)

    def forget_module(self, module: str) -> None:
        """Drop what a module registered before its import failed, so that importing it again
        registers its routes again rather than refusing them as taken."""
        names = {name for _, _, name, of in self.table if of == module}
        self.table = [entry for entry in self.table if entry[3] != module]
        self.views = {name: view for name, view in self.views.items() if name not in names}
        self.routes = [spec for spec in self.routes if spec.name not in names]

    def _add_view(self, method: str, path: str, view: Callable[..., Response], name: str, module: str) -> None:
        if name in self.views:
            raise ValueError(f"two routes are named {name}")
        self.views[name] = view
        self.table.append((method, path, name, module))

    def raw_route(self, path: str, method: str = "GET"):
        """A route whose view answers the request itself (`api.current_request`), with none of
        `route`'s parsing, authentication or OpenAPI record: the console's and the docs' files."""
        def register(view: Callable[..., Response]):
            self._add_view(method, path, view, view.__name__, view.__module__)
            return view

        return register

    def route(self, path: str, method: str = "GET", *, summary: str, roles: frozenset[Role] | None = ANY_ROLE,
              body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
              responses: dict[int, str] | None = None, upload: Upload | None = None,
              downloads: tuple[str, ...] = (), available: Callable[[], bool] | None = None,
              replay_in_write: bool = False):
        def register(handler: Callable[[Call], Reply]):
            spec = RouteSpec(method, path, handler.__name__, summary, roles, body, query,
                             responses or {200: "OK"}, upload, downloads, available, replay_in_write)
            self.routes.append(spec)
            wrapped = self._wrap(spec, handler)
            wrapped.__name__ = handler.__name__
            self._add_view(method, path, wrapped, handler.__name__, handler.__module__)
            return handler

        return register

    def _wrap(self, spec: RouteSpec, handler: Callable[[Call], Reply]) -> Callable[..., Response]:
        def view(**params: str) -> Response:
            request = self.current_request
            headers = {key.lower(): value for key, value in request.headers.items()}
            request_id = headers.get("x-request-id", "")[:64] or str(uuid.uuid4())
            logger.set_correlation_id(request_id)
            try:
                response = self._handle(spec, handler, request, headers, params, request_id)
            except ServiceError as exc:
                response = problem(exc.status, exc.title, exc.detail, exc.errors, **exc.extra)
                response.headers.update(exc.headers)  # a 429's Retry-After
            except RuleBroken as exc:  # a case rule the use case did not translate
                response = problem(Conflict.status, Conflict.title, str(exc))
            except Exception as exc:  # noqa: BLE001 - the one place that turns bugs into a clean 500
                response = _unavailable(exc, spec, request_id)
                if response is None:
                    logger.exception("unhandled error", extra={"route": spec.name})
                    response = problem(500, "Internal server error", "an unexpected error occurred; it has been logged",
                                       request_id=request_id)
            response.headers["X-Request-Id"] = request_id
            logger.info("request", extra={"route": spec.name, "method": spec.method,
                                          "status": response.status_code})
            return response

        return view

    def _handle(self, spec, handler, request, headers, params, request_id) -> Response:
        if not spec.exists():
            raise NotFound("not found")
        raw = request.raw_body or b""
        refusal = _refuse_upload(spec.upload, raw, headers) if spec.upload else _refuse_json_body(spec, raw, headers)
        if refusal is not None:
            return refusal
        principal, replay = None, None
        if spec.roles is not None:
            event = request.to_original_event()
            principal, replay = self._authenticate(headers, spec.method, path_candidates(event), raw,
                                                   spec.replay_in_write)
        try:
            response = self._authorised(spec, handler, request, headers, raw, principal, params, request_id, replay)
        except Exception as exc:
            if replay is not None and retry_after_seconds(exc) is None:
                replay.settle()  # a replay is refused (401) first, whatever else went wrong
            raise  # storage unavailable (503): the key stays unclaimed, so the very same request may be sent again
        if replay is not None:
            replay.settle()
        return response

    def _authorised(self, spec, handler, request, headers, raw, principal, params, request_id, replay) -> Response:
        if principal is not None and principal.role not in spec.roles:
            raise Forbidden(f"a {principal.role.value} may not do this")
        if any(not value for value in params.values()):  # `/v1/cases//events`: no such item
            raise NotFound("not found")
        body = raw if spec.upload else self._parse_body(spec, raw)
        values = {key: value for key, value in (request.query_params or {}).items()}
        unknown = unknown_query_parameters(spec.query, values)
        if unknown:
            return problem(422, "Unprocessable content", "unknown query parameter: " + ", ".join(unknown),
                           [{"field": name, "message": "unknown query parameter"} for name in unknown])
        query = None
        if spec.query is not None:
            try:
                query = spec.query.model_validate(values)
            except ValidationError as exc:
                return problem(422, "Unprocessable content", "the query parameters are not valid",
                               validation_errors(exc))
        reply = handler(Call(principal, body, query, params, request_id, replay))
        if isinstance(reply, Response):
            return reply
        if isinstance(reply, Download):
            if reply.media_type in BINARY_TYPES and not accepts(headers.get("accept", ""), reply.media_type):
                return problem(406, "Not acceptable", f"the answer is a file of {reply.media_type}: send "
                                                      f"Accept: {reply.media_type} (or */*)")
            return reply.response()
        headers = {"Content-Type": "application/json", **reply.headers}
        return Response(json.dumps(reply.body, ensure_ascii=False, default=str), status_code=reply.status,
                        headers=headers)

    @staticmethod
    def _parse_body(spec: RouteSpec, raw: bytes) -> Any:
        if spec.body is None:
            return None
        text = raw.decode("utf-8").strip() or "{}"
        if json_too_deep(text):
            raise ServiceError(f"the body's JSON is nested too deeply: at most {MAX_JSON_DEPTH} levels of "
                               "arrays and objects") from None
        try:
            document = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
        except json.JSONDecodeError as exc:
            raise ServiceError(f"the body is not valid JSON (line {exc.lineno}, column {exc.colno})") from None
        except RecursionError:  # not reached past `json_too_deep`; kept as the parser's own guard
            raise ServiceError(f"the body's JSON is nested too deeply: at most {MAX_JSON_DEPTH} levels of "
                               "arrays and objects") from None
        except ValueError as exc:  # NaN/Infinity, or an integer of over 4,300 digits
            raise ServiceError(f"the body is not valid JSON ({str(exc).split(';')[0]})") from None
        if not isinstance(document, dict):
            raise Unprocessable("the body must be a JSON object", [{"field": "body", "message": "must be an object"}])
        try:
            return spec.body.model_validate_json(text)
        except ValidationError as exc:
            if all(error["type"] == "json_invalid" for error in exc.errors()):  # e.g. a lone surrogate escape
                raise ServiceError(f"the body is not valid JSON ({_invalid_json_reason(exc)})") from None
            raise Unprocessable("the request does not match the schema", validation_errors(exc)) from None
