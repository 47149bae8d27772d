"""The directory (§4, admin): regions, orgs, mediators, partners.

One stack for the module, with the demo directory loaded; each test adds
entries under its own ids.
"""

from __future__ import annotations

import json

import pytest

from tests.integration.module_env import demo_env
from tests.support import DEMO_MEDIATORS, DEMO_ORGS, DEMO_REGIONS, Partner, assert_problem


@pytest.fixture(scope="module")
def env():
    with demo_env() as env:
        yield env


@pytest.fixture(scope="module")
def admin(env):
    return env.admin


def created(result, location: str) -> dict:
    assert result.status == 201, result
    assert result.headers["location"] == location
    return result.json


# --------------------------------------------------------------------- regions


def test_regions_are_created_parents_first_and_read_back(admin):
    district = created(admin.call("POST", "/v1/regions", {"code": "320506", "name": "吴中区"}), "/v1/regions/320506")
    assert district["code"] == "320506" and district["name"] == "吴中区" and district["parent_code"] is None
    town = created(admin.call("POST", "/v1/regions", {"code": "320506001", "name": "长桥街道"}),
                   "/v1/regions/320506001")
    assert town["parent_code"] == "320506"
    village = created(admin.call("POST", "/v1/regions", {"code": "320506001002", "name": "新家社区"}),
                      "/v1/regions/320506001002")
    assert village["parent_code"] == "320506001"

    fetched = admin.call("GET", "/v1/regions/320506001002")
    assert fetched.status == 200 and fetched.json == village
    codes = [r["code"] for r in admin.call("GET", "/v1/regions").json["items"]]
    assert {"320506", "320506001", "320506001002"} <= set(codes)
    assert {code for code, _ in DEMO_REGIONS} <= set(codes)


@pytest.mark.parametrize(
    ("code", "missing_parent"),
    [("330110001", "330110"), ("320509199001", "320509199"), ("110105001001", "110105001")],
    ids=["town-before-district", "village-before-town", "village-of-nowhere"],
)
def test_a_region_needs_its_parent(admin, code, missing_parent):
    problem = assert_problem(admin.call("POST", "/v1/regions", {"code": code, "name": "无上级"}), 422, "code")
    assert missing_parent in problem["detail"]
    assert_problem(admin.call("GET", f"/v1/regions/{code}"), 404)


@pytest.mark.parametrize(
    "code",
    ["", "32050", "3205091", "32050910", "3205091020", "32050910200", "3205091020011", "abcdef", "32050a",
     "３２０５０９", 320509, None],
)
def test_a_region_code_of_another_shape_is_422(admin, code):
    assert_problem(admin.call("POST", "/v1/regions", {"code": code, "name": "坏代码"}), 422, "code")


@pytest.mark.parametrize("name", ["", "   ", "<script>alert(1)</script>", "区" * 101, None])
def test_a_region_needs_a_plain_name(admin, name):
    assert_problem(admin.call("POST", "/v1/regions", {"code": "320507", "name": name}), 422, "name")


def test_a_duplicate_region_is_409_and_keeps_the_first(admin):
    problem = assert_problem(admin.call("POST", "/v1/regions", {"code": "320509", "name": "另一个区"}), 409)
    assert "320509" in problem["detail"]
    assert admin.call("GET", "/v1/regions/320509").json["name"] == "吴江区"


def test_an_unknown_region_is_404(admin):
    assert_problem(admin.call("GET", "/v1/regions/320509999"), 404)


# ------------------------------------------------------------------------ orgs


ORG = {"org_id": "T-TL", "name": "同里镇人民调解委员会", "region_code": "320509103", "tier": "town",
       "mediation_type": "people", "categories": ["neighbor", "marriage_family"], "head_phone": "13900000301"}


def test_an_org_is_created_and_read_back(admin):
    org = created(admin.call("POST", "/v1/orgs", ORG), "/v1/orgs/T-TL")
    assert {k: org[k] for k in ORG if k != "categories"} == {k: v for k, v in ORG.items() if k != "categories"}
    assert sorted(org["categories"]) == ["marriage_family", "neighbor"]
    assert "scope" not in org  # an internal index key
    assert admin.call("GET", "/v1/orgs/T-TL").json == org
    ids = [o["org_id"] for o in admin.call("GET", "/v1/orgs").json["items"]]
    assert "T-TL" in ids and {o["org_id"] for o in DEMO_ORGS} <= set(ids)


def test_an_org_with_empty_categories_handles_all(admin):
    body = {**ORG, "org_id": "T-TL-ALL", "categories": []}
    assert created(admin.call("POST", "/v1/orgs", body), "/v1/orgs/T-TL-ALL")["categories"] == []
    body = {k: v for k, v in ORG.items() if k not in ("categories", "head_phone")} | {"org_id": "T-TL-MIN"}
    minimal = created(admin.call("POST", "/v1/orgs", body), "/v1/orgs/T-TL-MIN")
    assert minimal["categories"] == [] and minimal["head_phone"] is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"region_code": "320509104"}, "region_code"),  # well formed, not in the directory
        ({"region_code": "3205"}, "region_code"),
        ({"tier": "city"}, "tier"),
        ({"tier": "Town"}, "tier"),
        ({"mediation_type": "court"}, "mediation_type"),
        ({"categories": ["neighbor", "bogus"]}, "categories[1]"),
        ({"categories": "neighbor"}, "categories"),
        ({"head_phone": "12345"}, "head_phone"),
        ({"org_id": "bad id!"}, "org_id"),
        ({"org_id": ""}, "org_id"),
        ({"name": "<b>调委会</b>"}, "name"),
    ],
    ids=lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v,
)
def test_org_fields_are_validated(admin, changes, field):
    body = {**ORG, "org_id": "T-BAD", **changes}
    assert_problem(admin.call("POST", "/v1/orgs", body), 422, field)
    assert_problem(admin.call("GET", "/v1/orgs/T-BAD"), 404)


def test_a_duplicate_org_is_409(admin):
    assert_problem(admin.call("POST", "/v1/orgs", {**DEMO_ORGS[0], "name": "重名"}), 409)
    assert admin.call("GET", f"/v1/orgs/{DEMO_ORGS[0]['org_id']}").json["name"] == DEMO_ORGS[0]["name"]


def test_an_unknown_org_is_404(admin):
    assert_problem(admin.call("GET", "/v1/orgs/NOPE"), 404)


# ------------------------------------------------------------------- mediators


MEDIATOR = {"mediator_id": "M-CN-9", "name": "孙调解", "phone": "+86 139 0000 0209", "org_id": "V-CN",
            "specialties": ["neighbor", "property_management"], "active": True}


def test_a_mediator_is_created_and_read_back(admin):
    mediator = created(admin.call("POST", "/v1/mediators", MEDIATOR), "/v1/mediators/M-CN-9")
    assert mediator["phone"] == "13900000209"  # normalised
    assert mediator["org_id"] == "V-CN" and mediator["active"] is True
    assert mediator["specialties"] == ["neighbor", "property_management"]
    assert admin.call("GET", "/v1/mediators/M-CN-9").json == mediator
    ids = [m["mediator_id"] for m in admin.call("GET", "/v1/mediators").json["items"]]
    assert "M-CN-9" in ids and {m["mediator_id"] for m in DEMO_MEDIATORS} <= set(ids)


def test_active_defaults_to_true(admin):
    body = {k: v for k, v in MEDIATOR.items() if k != "active"} | {"mediator_id": "M-CN-DEF"}
    assert created(admin.call("POST", "/v1/mediators", body), "/v1/mediators/M-CN-DEF")["active"] is True


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"org_id": "NO-SUCH-ORG"}, "org_id"),
        ({"phone": "12345678901"}, "phone"),
        ({"phone": None}, "phone"),
        ({"specialties": ["astrology"]}, "specialties[0]"),
        ({"active": "yes"}, "active"),
        ({"mediator_id": "M 1"}, "mediator_id"),
    ],
    ids=lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v,
)
def test_mediator_fields_are_validated(admin, changes, field):
    body = {**MEDIATOR, "mediator_id": "M-BAD", **changes}
    assert_problem(admin.call("POST", "/v1/mediators", body), 422, field)
    assert_problem(admin.call("GET", "/v1/mediators/M-BAD"), 404)


def test_a_duplicate_mediator_is_409(admin):
    assert_problem(admin.call("POST", "/v1/mediators", {**DEMO_MEDIATORS[0], "name": "重名"}), 409)


def test_patch_changes_active_phone_and_specialties(admin):
    created(admin.call("POST", "/v1/mediators", {**MEDIATOR, "mediator_id": "M-PATCH"}), "/v1/mediators/M-PATCH")

    off = admin.call("PATCH", "/v1/mediators/M-PATCH", {"active": False})
    assert off.status == 200 and off.json["active"] is False
    phone = admin.call("PATCH", "/v1/mediators/M-PATCH", {"phone": "139-0000-0299"})
    assert phone.status == 200 and phone.json["phone"] == "13900000299"
    skills = admin.call("PATCH", "/v1/mediators/M-PATCH", {"specialties": ["medical", "labor_wages", "medical"]})
    assert skills.status == 200 and skills.json["specialties"] == ["labor_wages", "medical"]

    fetched = admin.call("GET", "/v1/mediators/M-PATCH").json
    assert (fetched["active"], fetched["phone"], fetched["specialties"]) == (False, "13900000299",
                                                                          ["labor_wages", "medical"])
    assert fetched["org_id"] == "V-CN" and fetched["name"] == MEDIATOR["name"]

    both = admin.call("PATCH", "/v1/mediators/M-PATCH", {"active": True, "specialties": []})
    assert both.status == 200 and (both.json["active"], both.json["specialties"]) == (True, [])


@pytest.mark.parametrize(
    ("body", "field"),
    [({"phone": "110"}, "phone"), ({"specialties": ["bogus"]}, "specialties[0]"), ({"active": 1}, "active")],
)
def test_patch_validates_its_fields(admin, body, field):
    assert_problem(admin.call("PATCH", "/v1/mediators/M-WJ-1", body), 422, field)
    assert admin.call("GET", "/v1/mediators/M-WJ-1").json["phone"] == "13900000203"


@pytest.mark.parametrize("body", [{}, {"name": "改名"}, {"org_id": "T-SL"}])
def test_patch_with_nothing_it_may_change_is_422(admin, body):
    assert_problem(admin.call("PATCH", "/v1/mediators/M-WJ-1", body), 422, "body")
    assert admin.call("GET", "/v1/mediators/M-WJ-1").json["org_id"] == "D-WJ"


def test_patch_of_an_unknown_mediator_is_404(admin):
    assert_problem(admin.call("PATCH", "/v1/mediators/M-NOBODY", {"active": False}), 404)
    assert_problem(admin.call("GET", "/v1/mediators/M-NOBODY"), 404)


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/v1/mediators//"), ("PATCH", "/v1/mediators//"), ("GET", "/v1/orgs//"), ("GET", "/v1/regions//"),
    ("GET", "/v1/partners//"), ("GET", "/v1/cases//"), ("GET", "/v1/cases//events"),
    ("GET", "/v1/cases//notifications"), ("POST", "/v1/cases//accept")])
def test_an_empty_id_in_the_path_is_404(admin, method, path):
    assert_problem(admin.call(method, path, {"active": False} if method == "PATCH" else None), 404)


# -------------------------------------------------------------------- partners


def test_a_partner_gets_a_key_and_a_secret_shown_once(admin):
    result = admin.call("POST", "/v1/partners", {"partner_id": "court-wj", "name": "吴江法院",
                                                 "callback_url": "https://court.example/hewei"})
    body = created(result, "/v1/partners/court-wj")
    key_id, secret = body["key_id"], body["secret"]
    assert key_id and len(secret) >= 32
    assert body["enabled"] is True and body["callback_url"] == "https://court.example/hewei"

    item = admin.call("GET", "/v1/partners/court-wj")
    assert item.status == 200 and item.json["key_id"] == key_id
    assert "secret" not in item.json and secret not in item.raw.decode()
    listing = admin.call("GET", "/v1/partners")
    assert listing.status == 200 and "court-wj" in [p["partner_id"] for p in listing.json["items"]]
    assert all("secret" not in p for p in listing.json["items"]) and secret not in listing.raw.decode()
    patched = admin.call("PATCH", "/v1/partners/court-wj", {"callback_url": "https://court.example/v2"})
    assert patched.status == 200 and "secret" not in patched.json and secret not in patched.raw.decode()

    # the secret signs requests
    partner = Partner(admin.http, key_id, secret, "court-wj")
    assert partner.call("GET", "/v1/cases").status == 200


def test_each_partner_has_its_own_key_and_secret(admin):
    first = admin.call("POST", "/v1/partners", {"partner_id": "grid-1", "name": "网格系统"}).json
    second = admin.call("POST", "/v1/partners", {"partner_id": "grid-2", "name": "网格系统二"}).json
    assert first["key_id"] != second["key_id"] and first["secret"] != second["secret"]
    assert first["callback_url"] is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"callback_url": "ftp://x.example/cb"}, "callback_url"), ({"callback_url": "javascript:alert(1)"}, "callback_url"),
     ({"callback_url": "https://法院.example/cb"}, "callback_url"),
     ({"callback_url": "http://court.example:99999/cb"}, "callback_url"),
     ({"callback_url": "http://court.example:８０/cb"}, "callback_url"),
     ({"partner_id": "a b"}, "partner_id"), ({"name": ""}, "name")],
    ids=["ftp", "javascript", "unicode-host", "port-out-of-range", "full-width-port", "partner-id", "empty-name"],
)
def test_partner_fields_are_validated(admin, changes, field):
    body = {"partner_id": "p-bad", "name": "坏伙伴", **changes}
    assert_problem(admin.call("POST", "/v1/partners", body), 422, field)
    assert_problem(admin.call("GET", "/v1/partners/p-bad"), 404)


def test_a_callback_url_with_unicode_is_kept_as_it_goes_on_the_wire(admin):
    body = {"partner_id": "p-iri", "name": "法院", "callback_url": "http://court.example/回调?x=1&y=中"}
    created = admin.call("POST", "/v1/partners", body)
    assert created.status == 201
    expected = "http://court.example/%E5%9B%9E%E8%B0%83?x=1&y=%E4%B8%AD"
    assert admin.call("GET", "/v1/partners/p-iri").json["callback_url"] == expected


def test_a_duplicate_partner_is_409_and_keeps_its_key(admin):
    first = admin.call("POST", "/v1/partners", {"partner_id": "dup-1", "name": "一"}).json
    assert_problem(admin.call("POST", "/v1/partners", {"partner_id": "dup-1", "name": "二"}), 409)
    assert admin.call("GET", "/v1/partners/dup-1").json["key_id"] == first["key_id"]


def test_unknown_partner_is_404(admin):
    assert_problem(admin.call("GET", "/v1/partners/nobody"), 404)
    assert_problem(admin.call("PATCH", "/v1/partners/nobody", {"enabled": False}), 404)


# --------------------------------------------------------------------- readers


def test_the_directory_is_the_admins_alone(env):
    """§4 is the admins' (it holds every mediator's phone): other staff get 403, reads included."""
    supervisor = env.staff(role="supervisor", jurisdiction="320509")
    mediator = env.staff(role="mediator", mediator_id="M-CN-1")
    for path in ("/v1/regions", "/v1/regions/320509", "/v1/orgs", "/v1/orgs/V-CN", "/v1/mediators",
                 "/v1/mediators/M-CN-1"):
        assert_problem(supervisor.call("GET", path), 403)
        assert_problem(mediator.call("GET", path), 403)
    assert_problem(supervisor.call("GET", "/v1/partners"), 403)
    assert_problem(supervisor.call("GET", "/v1/partners/nobody"), 403)
    assert_problem(supervisor.call("POST", "/v1/regions", {"code": "320508", "name": "姑苏区"}), 403)
    assert_problem(supervisor.call("PATCH", "/v1/mediators/M-CN-1", {"active": False}), 403)


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/", "http://0.0.0.0/cb", "http://10.0.0.1/cb",
    "http://metadata.google.internal/computeMetadata/v1/", "http://user:pass@court.example/cb",
    "http://[fd00:ec2::254]/latest", "http://[::ffff:169.254.169.254]/", "http://0xa9fea9fe/", "http://db.internal/cb",
])
def test_a_callback_url_to_an_internal_address_is_422_on_registration_and_on_a_change(admin, url):
    """The test stage is the local stage with loopback allowed for its sink: every other internal
    target is refused, as in every stage (the cloud's own rules: tests/unit/test_callback_urls.py)."""
    refused = admin.call("POST", "/v1/partners", {"partner_id": "p-ssrf", "name": "内网", "callback_url": url})
    assert_problem(refused, 422, "callback_url")
    assert_problem(admin.call("GET", "/v1/partners/p-ssrf"), 404)
    kept = "https://court.example/hewei"
    admin.call("POST", "/v1/partners", {"partner_id": "p-kept", "name": "法院", "callback_url": kept})
    assert_problem(admin.call("PATCH", "/v1/partners/p-kept", {"callback_url": url}), 422, "callback_url")
    assert admin.call("GET", "/v1/partners/p-kept").json["callback_url"] == kept
