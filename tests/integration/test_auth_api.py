"""Authentication and authorisation (§1): partner signatures, staff tokens, roles, views.

One stack for the module: tests use their own external refs and, where they
change state (disabling a partner), their own partner.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re

import pytest

from chalicelib.adapters.models import CaseModel
from chalicelib.adapters.tokens import HS256Tokens
from chalicelib.domain.signing import sign
from tests.integration import two_partners
from tests.support import OTHER_VILLAGE, Partner, Staff, assert_problem, new_case_body, service_now

env, partner, other_partner, admin = two_partners.env, two_partners.partner, two_partners.other_partner, \
    two_partners.admin  # the module's world: its fixtures

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$")


@pytest.fixture(scope="module")
def case_id(partner) -> str:
    """A case of partner demo-12345 in village 320509102001 (town 320509102)."""
    created = partner.call("POST", "/v1/cases", new_case_body("AUTH-CASE"))
    assert created.status == 201, created
    return created.json["case_id"]


def signed_raw(partner: Partner, method: str, path: str, body: bytes, *, timestamp: float | None = None,
               secret: str | None = None, key_id: str | None = None, sign_path: str | None = None,
               sign_body: bytes | None = None):
    """A partner request whose signature can be made over something other than what is sent."""
    ts = str(int(timestamp if timestamp is not None else service_now().timestamp()))
    signature = sign(secret or partner.secret, ts, method, sign_path or path,
                     body if sign_body is None else sign_body)
    headers = {"X-Hewei-Key": key_id or partner.key_id, "X-Hewei-Timestamp": ts, "X-Hewei-Signature": signature}
    return partner.http.call(method, path, raw=body, headers=headers)


def cases_with_ref(external_ref: str) -> int:
    return sum(1 for _ in CaseModel.scan(CaseModel.external_ref == external_ref))


def case_bytes(ref: str, **overrides) -> bytes:
    return json.dumps(new_case_body(ref, **overrides), ensure_ascii=False).encode()


def raw_token(claims: dict, ttl: int = 3600, secret: str | None = None) -> str:
    tokens = HS256Tokens(secret or os.environ["HEWEI_JWT_SECRET"])
    token, _ = tokens.mint(claims, ttl)
    return token


# ------------------------------------------------------------ partner signatures


def seconds_from_now(offset: int) -> int:
    """Whole Unix seconds at least `offset` away from now (rounded away from now), so that a
    fraction of a second cannot bring a timestamp back inside the window."""
    now = service_now().timestamp()
    return math.ceil(now) + offset if offset > 0 else math.floor(now) + offset


def test_a_good_signature_is_accepted(partner):
    created = signed_raw(partner, "POST", "/v1/cases", case_bytes("SIG-GOOD"))
    assert created.status == 201, created
    assert created.json["partner_id"] == "demo-12345"


@pytest.mark.parametrize("offset", [-298, 298])  # a second of margin for the time the request takes
def test_a_timestamp_within_300_seconds_is_accepted(partner, offset):
    created = signed_raw(partner, "POST", "/v1/cases", case_bytes(f"SIG-OK{offset}"), timestamp=seconds_from_now(offset))
    assert created.status == 201, created


@pytest.mark.parametrize("offset", [-301, 301, -86_400])
def test_a_timestamp_more_than_300_seconds_away_is_401(partner, offset):
    result = signed_raw(partner, "POST", "/v1/cases", case_bytes(f"SIG-OLD{offset}"), timestamp=seconds_from_now(offset))
    assert_problem(result, 401)


def test_an_unknown_key_is_401(partner):
    assert_problem(signed_raw(partner, "POST", "/v1/cases", case_bytes("SIG-KEY"), key_id="hk_unknown"), 401)


def test_a_wrong_secret_is_401(partner):
    result = signed_raw(partner, "POST", "/v1/cases", case_bytes("SIG-SECRET"), secret="0" * 64)
    assert_problem(result, 401)


def test_another_partners_secret_is_401(partner, other_partner):
    result = signed_raw(partner, "POST", "/v1/cases", case_bytes("SIG-CROSS"), secret=other_partner.secret)
    assert_problem(result, 401)


def test_a_tampered_body_is_401(partner):
    signed_for = case_bytes("SIG-TAMPER", amount_cny=5000)
    sent = case_bytes("SIG-TAMPER", amount_cny=500000)
    assert_problem(signed_raw(partner, "POST", "/v1/cases", sent, sign_body=signed_for), 401)
    assert cases_with_ref("SIG-TAMPER") == 0


def test_a_signature_over_another_path_or_method_is_401(partner, case_id):
    assert_problem(signed_raw(partner, "GET", f"/v1/cases/{case_id}", b"", sign_path="/v1/cases"), 401)
    ts = str(int(service_now().timestamp()))
    headers = {"X-Hewei-Key": partner.key_id, "X-Hewei-Timestamp": ts,
               "X-Hewei-Signature": sign(partner.secret, ts, "POST", f"/v1/cases/{case_id}", b"")}
    assert_problem(partner.http.call("GET", f"/v1/cases/{case_id}", headers=headers), 401)


def test_a_replayed_request_is_401(partner):
    body = case_bytes("SIG-REPLAY")
    ts = str(int(service_now().timestamp()))
    headers = {"X-Hewei-Key": partner.key_id, "X-Hewei-Timestamp": ts,
               "X-Hewei-Signature": sign(partner.secret, ts, "POST", "/v1/cases", body)}
    assert partner.http.call("POST", "/v1/cases", raw=body, headers=headers).status == 201
    replay = partner.http.call("POST", "/v1/cases", raw=body, headers=headers)
    assert "replay" in assert_problem(replay, 401)["detail"]
    # the same signature in upper case is the same signature
    upper = {**headers, "X-Hewei-Signature": headers["X-Hewei-Signature"].upper()}
    assert_problem(partner.http.call("POST", "/v1/cases", raw=body, headers=upper), 401)
    # a retry signed anew is fine (and, being identical, replays the case: 200)
    assert partner.call("POST", "/v1/cases", raw=body, timestamp=service_now().timestamp() + 1).status == 200


def test_a_replayed_get_is_401(partner, case_id):
    ts = str(int(service_now().timestamp()))
    path = f"/v1/cases/{case_id}"
    headers = {"X-Hewei-Key": partner.key_id, "X-Hewei-Timestamp": ts,
               "X-Hewei-Signature": sign(partner.secret, ts, "GET", path, b"")}
    assert partner.http.call("GET", path, headers=headers).status == 200
    assert_problem(partner.http.call("GET", path, headers=headers), 401)


def test_a_disabled_partner_is_401_and_enabled_again_works(env, admin):
    partner = env.add_partner("to-disable")
    assert partner.call("GET", "/v1/cases").status == 200
    changed = admin.call("PATCH", "/v1/partners/to-disable", {"enabled": False})
    assert changed.status == 200 and changed.json["enabled"] is False
    assert_problem(partner.call("GET", "/v1/cases", timestamp=service_now().timestamp() + 1), 401)
    assert_problem(partner.call("POST", "/v1/cases", new_case_body("DIS-1")), 401)
    assert admin.call("PATCH", "/v1/partners/to-disable", {"enabled": True}).status == 200
    assert partner.call("GET", "/v1/cases", timestamp=service_now().timestamp() + 2).status == 200


def test_a_signed_get_with_a_query_string_works(partner, case_id):
    listed = partner.call("GET", "/v1/cases", query={"limit": 5, "status": "received"})
    assert listed.status == 200, listed
    assert case_id in [c["case_id"] for c in listed.json["items"]]
    assert all(c["status"] == "received" for c in listed.json["items"])
    # a client that sorts its query parameters before signing
    reordered = partner.call("GET", "/v1/cases", query={"status": "received", "limit": 5})
    assert reordered.status == 200, reordered


@pytest.mark.parametrize("signed_query", ["cursor=a+b&limit=5", "cursor=a%20b&limit=5", "limit=5&cursor=a%20b"],
                         ids=["form-encoded", "percent-encoded", "limit-first"])
def test_a_signed_query_with_a_space_is_accepted_however_the_client_encoded_it(partner, signed_query):
    # `urlencode` (urllib, requests) writes a space as "+", others as "%20"; the gateway hands over "a b".
    # The signature is accepted: the request gets as far as the cursor check (422), not 401.
    result = signed_raw(partner, "GET", f"/v1/cases?{signed_query}", b"")
    assert_problem(result, 422)
    assert result.json["errors"][0]["field"] == "cursor"


def test_a_query_string_is_covered_by_the_signature(partner):
    result = signed_raw(partner, "GET", "/v1/cases?limit=6&status=received", b"",
                        sign_path="/v1/cases?limit=5&status=received")
    assert_problem(result, 401)
    result = signed_raw(partner, "GET", "/v1/cases?limit=5", b"", sign_path="/v1/cases", timestamp=service_now().timestamp() + 1)
    assert_problem(result, 401)


@pytest.mark.parametrize(
    "change",
    [
        {"X-Hewei-Timestamp": None},
        {"X-Hewei-Signature": None},
        {"X-Hewei-Timestamp": "yesterday"},
        {"X-Hewei-Timestamp": "\u00b2"},  # a "digit" int() refuses
        {"X-Hewei-Timestamp": "9" * 5000},  # more digits than int() parses
        {"X-Hewei-Signature": "\u00e9" * 64},  # not ASCII: compare_digest refuses it
        {"X-Hewei-Signature": "zz" * 32},
        {"X-Hewei-Key": "k" * 200},
    ],
    ids=["no-timestamp", "no-signature", "word-timestamp", "superscript-timestamp", "huge-timestamp",
         "non-ascii-signature", "non-hex-signature", "long-key"],
)
def test_malformed_signature_headers_are_401_never_500(partner, change):
    body = case_bytes("SIG-MALFORMED")
    headers = partner.headers("POST", "/v1/cases", body)
    for name, value in change.items():
        if value is None:
            del headers[name]
        else:
            headers[name] = value
    assert_problem(partner.http.call("POST", "/v1/cases", raw=body, headers=headers), 401)


# ------------------------------------------------------------------ staff tokens


def test_no_credentials_is_401(env):
    for method, path in (("GET", "/v1/cases"), ("POST", "/v1/cases"), ("GET", "/v1/regions"),
                         ("POST", "/v1/tokens")):
        assert_problem(env.http.call(method, path), 401)


@pytest.mark.parametrize(
    "authorization",
    ["Bearer garbage", "Bearer ", "Bearer a.b.c", "Basic dXNlcjpwYXNz", "garbage", "Token abc"],
)
def test_a_bad_authorization_header_is_401(env, authorization):
    assert_problem(env.http.call("GET", "/v1/cases", headers={"Authorization": authorization}), 401)


@pytest.mark.parametrize(
    ("claims", "ttl", "secret"),
    [
        ({"sub": "admin", "role": "admin"}, -10, None),  # expired
        ({"sub": "admin", "role": "admin"}, 3600, "another-secret-0123456789abcdef0123"),  # forged
        ({"sub": "p", "role": "partner", "partner_id": "demo-12345"}, 3600, None),  # not a staff role
        ({"sub": "x", "role": "root"}, 3600, None),
        ({"sub": "m", "role": "mediator"}, 3600, None),  # a mediator token must name the mediator
        ({"sub": "s", "role": "supervisor"}, 3600, None),  # a supervisor token must carry a jurisdiction
        ({"role": "admin"}, 3600, None),  # no subject
        ({"sub": "s", "role": "supervisor", "jurisdiction": 320509}, 3600, None),  # was a 500
        ({"sub": "s", "role": "supervisor", "jurisdiction": ["320509"]}, 3600, None),
        ({"sub": "s", "role": "supervisor", "jurisdiction": "320509", "org_id": {"id": "V-CN"}}, 3600, None),
        ({"sub": 7, "role": "admin"}, 3600, None),
        ({"sub": "a", "role": ["admin"]}, 3600, None),
        ({"sub": "m", "role": "mediator", "mediator_id": 1}, 3600, None),
    ],
    ids=["expired", "wrong-key", "partner-role", "unknown-role", "mediator-without-id",
         "supervisor-without-jurisdiction", "no-sub", "numeric-jurisdiction", "list-jurisdiction",
         "object-org_id", "numeric-sub", "list-role", "numeric-mediator_id"],
)
def test_invalid_staff_tokens_are_401(env, claims, ttl, secret):
    staff = Staff(env.http, raw_token(claims, ttl, secret))
    assert_problem(staff.call("GET", "/v1/cases"), 401)


def test_an_unexpired_hand_minted_admin_token_works(env):
    assert Staff(env.http, raw_token({"sub": "ops", "role": "admin"})).call("GET", "/v1/cases").status == 200


def test_minted_tokens_carry_an_rfc3339_expiry_and_work(admin, case_id):
    before = dt.datetime.now(dt.timezone.utc)
    minted = admin.call("POST", "/v1/tokens", {"role": "mediator", "mediator_id": "M-CN-1"})
    assert minted.status == 201, minted
    assert set(minted.json) == {"token", "expires_at"}
    assert RFC3339.match(minted.json["expires_at"]), minted.json
    expires = dt.datetime.fromisoformat(minted.json["expires_at"])
    assert expires.tzinfo is not None and expires > before + dt.timedelta(minutes=30)

    supervisor = admin.call("POST", "/v1/tokens", {"role": "supervisor", "jurisdiction": "320509102"})
    assert supervisor.status == 201 and RFC3339.match(supervisor.json["expires_at"])
    as_supervisor = Staff(admin.http, supervisor.json["token"])
    assert as_supervisor.call("GET", f"/v1/cases/{case_id}").status == 200
    assert as_supervisor.call("GET", "/v1/cases").status == 200

    as_mediator = Staff(admin.http, minted.json["token"])
    assert as_mediator.call("GET", "/v1/cases").status == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "mediator", "mediator_id": "M-NOBODY"}, "mediator_id"),
        ({"role": "mediator"}, "mediator_id"),
        ({"role": "supervisor", "jurisdiction": "110105"}, "jurisdiction"),
        ({"role": "supervisor"}, "jurisdiction"),
        ({"role": "supervisor", "jurisdiction": "320509", "org_id": "NO-ORG"}, "org_id"),
        ({"role": "partner"}, "role"),
        ({"role": "emperor"}, "role"),
    ],
)
def test_token_requests_are_validated(admin, body, field):
    problem = assert_problem(admin.call("POST", "/v1/tokens", body), 422)
    assert field in [e["field"] for e in problem["errors"]]


def test_only_admins_mint_tokens(env, partner):
    mediator = env.staff(role="mediator", mediator_id="M-CN-1")
    supervisor = env.staff(role="supervisor", jurisdiction="320509")
    body = {"role": "admin"}
    assert_problem(mediator.call("POST", "/v1/tokens", body), 403)
    assert_problem(supervisor.call("POST", "/v1/tokens", body), 403)
    assert_problem(partner.call("POST", "/v1/tokens", body), 403)


# ------------------------------------------------------------------------ roles


def test_a_mediator_may_not_touch_the_directory(env):
    mediator = env.staff(role="mediator", mediator_id="M-CN-1")
    assert_problem(mediator.call("POST", "/v1/regions", {"code": "320509104", "name": "横扇街道"}), 403)
    assert_problem(mediator.call("GET", "/v1/regions"), 403)
    assert_problem(mediator.call("PATCH", "/v1/mediators/M-CN-1", {"active": False}), 403)
    assert env.admin.call("GET", "/v1/regions/320509104").status == 404


def test_a_partner_may_not_touch_the_directory(partner, admin):
    org = {"org_id": "EVIL", "name": "假机构", "region_code": "320509", "tier": "district",
           "mediation_type": "people", "categories": []}
    assert_problem(partner.call("POST", "/v1/orgs", org), 403)
    assert_problem(partner.call("GET", "/v1/partners"), 403)
    assert_problem(partner.call("PATCH", "/v1/partners/demo-12345", {"enabled": True}), 403)
    assert admin.call("GET", "/v1/orgs/EVIL").status == 404


def test_a_deactivated_mediators_token_is_refused_and_works_again_once_reactivated(env):
    """The process that deactivates a mediator refuses its token at once; other warm processes
    within MEDIATOR_STATUS_SECONDS (test_mediator_status_cache.py)."""
    mediator = {"mediator_id": "M-AUTH-1", "name": "孙调解", "phone": "13900000299", "org_id": "V-CN"}
    assert env.admin.call("POST", "/v1/mediators", mediator).status == 201
    token = env.admin.call("POST", "/v1/tokens", {"role": "mediator", "mediator_id": "M-AUTH-1"}).json["token"]
    staff = Staff(env.http, token)
    assert staff.call("GET", "/v1/cases").status == 200
    assert env.admin.call("PATCH", "/v1/mediators/M-AUTH-1", {"active": False}).status == 200
    try:
        for method, path in (("GET", "/v1/cases"), ("GET", "/v1/cases/HW1"), ("POST", "/v1/cases/HW1/accept")):
            problem = assert_problem(staff.call(method, path, {} if method == "POST" else None), 401)
            assert "deactivated" in problem["detail"]
    finally:
        assert env.admin.call("PATCH", "/v1/mediators/M-AUTH-1", {"active": True}).status == 200
    assert staff.call("GET", "/v1/cases").status == 200


def test_a_mediator_may_not_file_cases(env):
    mediator = env.staff(role="mediator", mediator_id="M-CN-1")
    assert_problem(mediator.call("POST", "/v1/cases", new_case_body("MED-1")), 403)
    assert cases_with_ref("MED-1") == 0


# ------------------------------------------------------------------------ views


def test_a_supervisor_outside_the_jurisdiction_gets_404_not_403(env, case_id):
    outsider = env.staff(role="supervisor", jurisdiction="320509103")
    for path in (f"/v1/cases/{case_id}", f"/v1/cases/{case_id}/events", f"/v1/cases/{case_id}/notifications"):
        assert_problem(outsider.call("GET", path), 404)
    insider = env.staff(role="supervisor", jurisdiction="320509")
    assert insider.call("GET", f"/v1/cases/{case_id}").status == 200


def test_a_case_outside_the_view_looks_exactly_like_a_missing_one(env, case_id):
    outsider = env.staff(role="supervisor", jurisdiction="320509103")
    hidden = outsider.call("GET", f"/v1/cases/{case_id}")
    missing = outsider.call("GET", "/v1/cases/HW20261122ZZZZZZZZ")
    assert (hidden.status, missing.status) == (404, 404)
    assert hidden.json.keys() == missing.json.keys()
    assert hidden.json["title"] == missing.json["title"]


def test_another_partners_case_is_404(other_partner, case_id):
    for path in (f"/v1/cases/{case_id}", f"/v1/cases/{case_id}/events", f"/v1/cases/{case_id}/notifications"):
        assert_problem(other_partner.call("GET", path), 404)
    listed = other_partner.call("GET", "/v1/cases")
    assert listed.status == 200 and case_id not in [c["case_id"] for c in listed.json["items"]]


def test_a_supervisor_listing_outside_the_jurisdiction_is_403(env):
    supervisor = env.staff(role="supervisor", jurisdiction="320509102")
    for region in ("320509103", "320509", "320509103001", "110105"):
        assert_problem(supervisor.call("GET", "/v1/cases", query={"region": region}), 403)
    assert supervisor.call("GET", "/v1/cases", query={"region": "320509102001"}).status == 200


def test_a_supervisor_files_cases_only_inside_the_jurisdiction(env):
    supervisor = env.staff(role="supervisor", jurisdiction="320509103")
    assert_problem(supervisor.call("POST", "/v1/cases", new_case_body("SUP-OUT")), 403)
    assert supervisor.call("POST", "/v1/cases", new_case_body("SUP-IN", region_code=OTHER_VILLAGE)).status == 201


def test_a_reference_another_jurisdiction_used_is_no_409_naming_its_case(env):
    """Staff idempotency keys are the filing supervisor's jurisdiction's (`intake.owner_of`): a
    supervisor of 320509103 reusing 320509102's `external_ref` files its own case, and is never
    answered with the other town's case id; a colleague of 320509102 gets the replay or the 409."""
    town = env.staff(role="supervisor", jurisdiction="320509102")
    other_town = env.staff(role="supervisor", jurisdiction="320509103")
    theirs = town.call("POST", "/v1/cases", new_case_body("SUP-SHARED"))
    assert theirs.status == 201
    ours = other_town.call("POST", "/v1/cases", new_case_body(  # other parties: no duplicate to name it either
        "SUP-SHARED", region_code=OTHER_VILLAGE, title="另一起纠纷", parties=[{"role": "applicant", "name": "周七"}]))
    assert ours.status == 201, ours
    assert theirs.json["case_id"] not in ours.raw.decode()
    colleague = env.staff(role="supervisor", jurisdiction="320509102", sub="supervisor-2")
    assert colleague.call("POST", "/v1/cases", new_case_body("SUP-SHARED")).json["case_id"] == theirs.json["case_id"]
    conflict = assert_problem(colleague.call("POST", "/v1/cases", new_case_body("SUP-SHARED", title="改了")), 409)
    assert conflict["case_id"] == theirs.json["case_id"]


def test_a_mediator_sees_the_cases_of_their_org_only(env, partner):
    case_id = partner.call("POST", "/v1/cases", new_case_body("ORG-CASE")).json["case_id"]
    mine = env.staff(role="mediator", mediator_id="M-CN-1")  # org V-CN
    colleague_elsewhere = env.staff(role="mediator", mediator_id="M-SL-1")  # org T-SL
    assert_problem(mine.call("GET", f"/v1/cases/{case_id}"), 404)  # not assigned to anyone yet

    CaseModel.get(case_id).update(actions=[CaseModel.org_id.set("V-CN")])

    seen = mine.call("GET", f"/v1/cases/{case_id}")
    assert seen.status == 200 and seen.json["org_id"] == "V-CN"
    assert seen.json["parties"][0]["name"] == "张三"  # staff in view see parties in full
    assert mine.call("GET", f"/v1/cases/{case_id}/events").status == 200
    assert case_id in [c["case_id"] for c in mine.call("GET", "/v1/cases").json["items"]]

    assert_problem(colleague_elsewhere.call("GET", f"/v1/cases/{case_id}"), 404)
    assert case_id not in [c["case_id"] for c in colleague_elsewhere.call("GET", "/v1/cases").json["items"]]
