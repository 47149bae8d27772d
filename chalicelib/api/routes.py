"""The HTTP routes: each parses, calls one use case and renders."""

from __future__ import annotations

from .. import wiring
from ..domain.access import sees_parties_in_full
from ..domain.calendar import rfc3339
from ..domain.enums import PUBLIC_ENUMS, Role
from ..services.commands import (
    CaseFilters,
    MediatorChanges,
    NewCase,
    NewMediator,
    NewOrg,
    NewPartner,
    NewRegion,
    PartnerChanges,
    AccessLogQuery,
    PurposeQuery,
    TokenRequest,
)
from ..domain.audit import AccessKind
from .http import ADMIN, ADMIN_OR_SUPERVISOR, STAFF, Call, Reply
from .views import case_view, letter_view, mediator_view, notification_view, org_view, partner_view, region_view, timeline_view

API_VERSION = "v1"

from .registry import api, route  # noqa: E402,F401 - the other route modules take `route` from here too


# -------------------------------------------------------------- discovery


@route("/v1/meta", summary="Enumerations with Chinese labels, API version, stage", roles=None)
def meta(call: Call) -> Reply:
    container = wiring.current()
    return Reply({
        "api_version": API_VERSION,
        "stage": container.settings.stage,
        "enums": {name: [{"value": m.value, "label": m.label} for m in enum] for name, enum in PUBLIC_ENUMS.items()},
        "calendar": {"covered_until": container.calendar.covered_until().isoformat()},
    })


@route("/openapi.json", summary="The OpenAPI 3 document of every route", roles=None)
def openapi_document(call: Call) -> Reply:
    from .openapi import build_openapi

    return Reply(build_openapi([spec for spec in api.all_routes() if spec.exists()], API_VERSION))


@route("/v1/tokens", "POST", summary="Mint a staff token (admin)", roles=ADMIN, body=TokenRequest,
       responses={201: "Token minted"})
def mint_token(call: Call) -> Reply:
    token, expires_at = wiring.current().tokens.mint(call.body, call.principal)
    return Reply({"token": token, "expires_at": rfc3339(expires_at)}, 201)


# -------------------------------------------------------------- directory


def _created(body: dict, location: str) -> Reply:
    return Reply(body, 201, {"Location": location})


@route("/v1/regions", "POST", summary="Add a region (parents must exist)", roles=ADMIN, body=NewRegion,
       responses={201: "Created", 409: "The region exists already"})
def add_region(call: Call) -> Reply:
    region = wiring.current().directory.add_region(call.body)
    return _created(region_view(region), f"/v1/regions/{region.code}")


@route("/v1/regions", summary="List regions", roles=ADMIN)
def list_regions(call: Call) -> Reply:
    return Reply({"items": [region_view(r) for r in wiring.current().directory.listing("regions")]})


@route("/v1/regions/{code}", summary="One region", roles=ADMIN)
def get_region(call: Call) -> Reply:
    return Reply(region_view(wiring.current().directory.region(call.params["code"])))


@route("/v1/orgs", "POST", summary="Add an org", roles=ADMIN, body=NewOrg,
       responses={201: "Created", 409: "The org exists already"})
def add_org(call: Call) -> Reply:
    org = wiring.current().directory.add_org(call.body)
    return _created(org_view(org), f"/v1/orgs/{org.org_id}")


@route("/v1/orgs", summary="List orgs", roles=ADMIN)
def list_orgs(call: Call) -> Reply:
    return Reply({"items": [org_view(o) for o in wiring.current().directory.listing("orgs")]})


@route("/v1/orgs/{org_id}", summary="One org", roles=ADMIN)
def get_org(call: Call) -> Reply:
    return Reply(org_view(wiring.current().directory.org(call.params["org_id"])))


@route("/v1/mediators", "POST", summary="Add a mediator", roles=ADMIN, body=NewMediator,
       responses={201: "Created", 409: "The mediator exists already"})
def add_mediator(call: Call) -> Reply:
    mediator = wiring.current().directory.add_mediator(call.body)
    return _created(mediator_view(mediator), f"/v1/mediators/{mediator.mediator_id}")


@route("/v1/mediators", summary="List mediators", roles=ADMIN)
def list_mediators(call: Call) -> Reply:
    return Reply({"items": [mediator_view(m) for m in wiring.current().directory.listing("mediators")]})


@route("/v1/mediators/{mediator_id}", summary="One mediator", roles=ADMIN)
def get_mediator(call: Call) -> Reply:
    return Reply(mediator_view(wiring.current().directory.mediator(call.params["mediator_id"])))


@route("/v1/mediators/{mediator_id}", "PATCH", summary="Change a mediator's active flag, phone or specialties",
       roles=ADMIN, body=MediatorChanges)
def change_mediator(call: Call) -> Reply:
    return Reply(mediator_view(wiring.current().directory.change_mediator(call.params["mediator_id"], call.body)))


@route("/v1/partners", "POST", summary="Register a partner system; its secret is shown once", roles=ADMIN,
       body=NewPartner, responses={201: "Created", 409: "The partner exists already"})
def add_partner(call: Call) -> Reply:
    partner, secret = wiring.current().directory.add_partner(call.body)
    return _created({**partner_view(partner), "secret": secret}, f"/v1/partners/{partner.partner_id}")


@route("/v1/partners", summary="List partners", roles=ADMIN)
def list_partners(call: Call) -> Reply:
    return Reply({"items": [partner_view(p) for p in wiring.current().directory.listing("partners")]})


@route("/v1/partners/{partner_id}", summary="One partner", roles=ADMIN)
def get_partner(call: Call) -> Reply:
    return Reply(partner_view(wiring.current().directory.partner(call.params["partner_id"])))


@route("/v1/partners/{partner_id}", "PATCH", summary="Enable or disable a partner, change its callback",
       roles=ADMIN, body=PartnerChanges)
def change_partner(call: Call) -> Reply:
    return Reply(partner_view(wiring.current().directory.change_partner(call.params["partner_id"], call.body)))


# ------------------------------------------------------------------ cases

CASE_CREATORS = ADMIN_OR_SUPERVISOR | {Role.PARTNER}


def case_views(cases, principal) -> list[dict]:
    """The case views, with the outcome of a partner's merged cases (one batched read)."""
    container = wiring.current()
    outcomes = container.queries.outcome_statuses(cases, principal)
    now = container.clock()
    return [case_view(case, principal, outcomes.get(case.case_id), now) for case in cases]


@route("/v1/cases", "POST", summary="File a dispute (受理)", roles=CASE_CREATORS, body=NewCase,
       responses={201: "Created", 200: "Replay of an identical request", 409: "external_ref used for another request"},
       replay_in_write=True)
def file_case(call: Call) -> Reply:
    result = wiring.current().intake.file_case(call.body, call.principal, call.replay)
    view = case_views([result.case], call.principal)[0]
    headers = {"Location": f"/v1/cases/{result.case.case_id}"}
    return Reply(view, 201 if result.created else 200, headers)


AUDITED = {422: "A bad `purpose` (1–200 characters of plain text)",
           503: "The access audit could not be recorded: nothing was returned"}
"""The answers an audited read adds (`services/audit.py`)."""


@route("/v1/cases", summary="List cases in the caller's view, newest first; a page showing parties in full is "
                            "recorded in the access audit, with the optional `purpose`", query=CaseFilters,
       responses={200: "OK", **AUDITED})
def list_cases(call: Call) -> Reply:
    container = wiring.current()
    cases, cursor = container.queries.list(call.query, call.principal)
    container.audit.cases_read(cases, call.principal, AccessKind.CASE_LIST, call.query.purpose)
    return Reply({"items": case_views(cases, call.principal), "next_cursor": cursor})


@route("/v1/cases/{case_id}", summary="One case; read with parties in full, it is recorded in the access audit, "
                                      "with the optional `purpose`", query=PurposeQuery,
       responses={200: "OK", 404: "Not in view", **AUDITED})
def get_case(call: Call) -> Reply:
    case = wiring.current().queries.case(call.params["case_id"], call.principal)
    return case_reply(case, call, call.query.purpose)


def case_reply(case, call: Call, purpose: str | None = None) -> Reply:
    """The case view as the answer (a read, or an action's), recorded in the access audit as the
    read it is when it shows the parties in full."""
    wiring.current().audit.case_read(case, call.principal, purpose)
    return Reply(case_views([case], call.principal)[0])


@route("/v1/cases/{case_id}/events", summary="The case timeline (一案一档), oldest first")
def case_events(call: Call) -> Reply:
    case, events = wiring.current().queries.case_and_timeline(call.params["case_id"], call.principal)
    return Reply(timeline_view(events, call.principal, sees_parties_in_full(call.principal, case)))


@route("/v1/cases/{case_id}/notifications", summary="Every SMS the service decided to send for the case")
def case_notifications(call: Call) -> Reply:
    case, records = wiring.current().queries.case_and_notifications(call.params["case_id"], call.principal)
    return Reply([notification_view(r, sees_parties_in_full(call.principal, case)) for r in records])


@route("/v1/cases/{case_id}/supervision-letters", summary="Supervision letters (督办函) issued on the case",
       roles=STAFF)
def case_supervision_letters(call: Call) -> Reply:
    return Reply([letter_view(letter) for letter in
                  wiring.current().queries.supervision_letters(call.params["case_id"], call.principal)])


# ------------------------------------------------------------ access audit (PIPL)


def access_record_view(record) -> dict:
    """An audit record: who, when, what kind of read, why, and counts of what it revealed."""
    return {"record_id": record.record_id, "case_id": record.case_id if not record.case_id.startswith("AUDIT#") else None,
            "at": rfc3339(record.at), "actor": record.actor, "kind": record.kind.value, "purpose": record.purpose,
            "revealed": {"phones": record.revealed.phones, "id_numbers": record.revealed.id_numbers,
                         "files": record.revealed.files},
            "detail": record.detail}


@route("/v1/cases/{case_id}/access-log", summary="The access audit of a case (访问审计), newest first (admin)",
       roles=ADMIN, query=AccessLogQuery, responses={200: '`{"items": [...], "next_cursor": "…" | null}`',
                                                     403: "Not an admin", 404: "No such case",
                                                     422: "Bad limit or cursor"})
def case_access_log(call: Call) -> Reply:
    records, cursor = wiring.current().audit.log_of_case(call.params["case_id"], call.principal, call.query.limit,
                                                         call.query.cursor)
    return Reply({"items": [access_record_view(r) for r in records], "next_cursor": cursor})


@route("/v1/ledger/access-log", summary="The access audit of ledger exports (台账导出), newest first (admin)",
       roles=ADMIN, query=AccessLogQuery, responses={200: '`{"items": [...], "next_cursor": "…" | null}`',
                                                     403: "Not an admin", 422: "Bad limit or cursor"})
def ledger_access_log(call: Call) -> Reply:
    records, cursor = wiring.current().audit.log_of_ledger(call.principal, call.query.limit, call.query.cursor)
    return Reply({"items": [access_record_view(r) for r in records], "next_cursor": cursor})
