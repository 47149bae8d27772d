"""§1a through HTTP: the partner request nonce, the `external_ref=`/`party_phone=` lookups of
`GET /v1/cases`, 422 for undeclared query parameters, and the local client's encoded queries."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from bench.dynamo_meter import metered
from chalicelib.domain.signing import sign
from devstack.client import encoded_path
from tests.integration.conftest import staff_token
from tests.integration import two_partners
from tests.support import OTHER_VILLAGE, Partner, assert_problem, new_case_body, service_now

env, partner, other_partner, admin = two_partners.env, two_partners.partner, two_partners.other_partner, \
    two_partners.admin  # the module's world: its fixtures

NONCE = "retry-0123456789-abcdef"


def with_nonce(partner: Partner, method: str, path: str, body: bytes, nonce: str | None, *, timestamp: int,
               signed_nonce: str | None = None):
    """A request signed in §1a's form (or §1's without a nonce) at a given second."""
    ts = str(timestamp)
    headers = {"X-Hewei-Key": partner.key_id, "X-Hewei-Timestamp": ts,
               "X-Hewei-Signature": sign(partner.secret, ts, method, path, body,
                                         nonce if signed_nonce is None else signed_nonce)}
    if nonce is not None:
        headers["X-Hewei-Nonce"] = nonce
    return partner.http.call(method, path, raw=body, headers=headers)


# ------------------------------------------------------------ the nonce


def test_an_identical_request_resent_in_the_same_second_with_another_nonce_gets_the_replay_answer(partner):
    body = json.dumps(new_case_body("NONCE-RETRY"), ensure_ascii=False).encode()
    second = int(service_now().timestamp())
    first = with_nonce(partner, "POST", "/v1/cases", body, NONCE, timestamp=second)
    retry = with_nonce(partner, "POST", "/v1/cases", body, NONCE + "-2", timestamp=second)
    assert (first.status, retry.status) == (201, 200), (first, retry)
    assert retry.json["case_id"] == first.json["case_id"]
    again = with_nonce(partner, "POST", "/v1/cases", body, NONCE, timestamp=second)
    assert "nonce was already used" in assert_problem(again, 401)["detail"]


def test_without_a_nonce_the_same_request_in_the_same_second_is_still_a_replay(partner):
    body = json.dumps(new_case_body("NONCE-NONE"), ensure_ascii=False).encode()
    second = int(service_now().timestamp())
    assert with_nonce(partner, "POST", "/v1/cases", body, None, timestamp=second).status == 201
    assert "replay" in assert_problem(with_nonce(partner, "POST", "/v1/cases", body, None, timestamp=second),
                                      401)["detail"]


@pytest.mark.parametrize(("nonce", "signed_nonce", "detail"), [
    ("too-short", None, "X-Hewei-Nonce must be"),
    ("has a space 0123456789", None, "X-Hewei-Nonce must be"),
    ("z" * 65, None, "X-Hewei-Nonce must be"),
    ("nonce-signed-as-another", "nonce-signed-as-other", "bad signature"),
])
def test_a_bad_nonce_is_401_problem_json_and_files_nothing(partner, admin, nonce, signed_nonce, detail):
    body = json.dumps(new_case_body("NONCE-BAD"), ensure_ascii=False).encode()
    refused = with_nonce(partner, "POST", "/v1/cases", body, nonce, timestamp=int(service_now().timestamp()),
                         signed_nonce=signed_nonce)
    assert detail in assert_problem(refused, 401)["detail"]
    assert admin.call("GET", "/v1/cases", query={"external_ref": "NONCE-BAD"}).json["items"] == []


# ------------------------------------------------------------ lookups


@pytest.fixture(scope="module")
def shared_ref(partner, other_partner, admin) -> dict[str, str]:
    """LK-1 filed by both partners and by staff (walk-in, in another village, with its own applicant)."""
    ids = {}
    for name, caller, overrides in (("partner", partner, {}), ("other", other_partner, {}),
                                    ("staff", admin, {"region_code": OTHER_VILLAGE, "parties": [
                                        {"role": "applicant", "name": "赵六", "phone": "13711112222"}]})):
        created = caller.call("POST", "/v1/cases", new_case_body("LK-1", **overrides))
        assert created.status == 201, created
        ids[name] = created.json["case_id"]
    return ids


def listed(result) -> list[str]:
    assert result.status == 200, result
    return [item["case_id"] for item in result.json["items"]]


def test_a_partner_finds_only_its_own_case_by_external_ref(partner, other_partner, shared_ref):
    assert listed(partner.call("GET", "/v1/cases", query={"external_ref": "LK-1"})) == [shared_ref["partner"]]
    assert listed(other_partner.call("GET", "/v1/cases", query={"external_ref": "LK-1"})) == [shared_ref["other"]]
    assert listed(partner.call("GET", "/v1/cases", query={"external_ref": "LK-NONE"})) == []


def test_staff_find_every_case_of_a_ref_in_their_view(admin, shared_ref):
    everyone = listed(admin.call("GET", "/v1/cases", query={"external_ref": "LK-1"}))
    assert everyone == [shared_ref["staff"], shared_ref["other"], shared_ref["partner"]]  # newest first
    town = staff_token(admin, role="supervisor", jurisdiction="320509102")
    assert listed(town.call("GET", "/v1/cases", query={"external_ref": "LK-1"})) == [
        shared_ref["other"], shared_ref["partner"]]  # the walk-in is in another town
    page, = [admin.call("GET", "/v1/cases", query={"external_ref": "LK-1", "limit": 2}).json]
    rest = admin.call("GET", "/v1/cases", query={"external_ref": "LK-1", "limit": 2, "cursor": page["next_cursor"]})
    assert [i["case_id"] for i in page["items"]] + listed(rest) == everyone and rest.json["next_cursor"] is None


def test_staff_find_a_partys_cases_by_phone_and_a_partner_may_not(admin, partner, shared_ref):
    assert listed(admin.call("GET", "/v1/cases", query={"party_phone": "+86 137 1111 2222"})) == [shared_ref["staff"]]
    found = listed(admin.call("GET", "/v1/cases", query={"party_phone": "13812345678", "external_ref": "LK-1"}))
    assert found == [shared_ref["other"], shared_ref["partner"]]
    assert_problem(admin.call("GET", "/v1/cases", query={"party_phone": "1371111"}), 422, "party_phone")
    refused = assert_problem(partner.call("GET", "/v1/cases", query={"party_phone": "13812345678"}), 403)
    assert "13812345678" not in json.dumps(refused)


def test_a_lookup_is_one_query_and_one_batch_read_never_a_scan(admin, shared_ref):
    for query, index in (({"external_ref": "LK-1"}, "Query cases/by_external_ref"), ({"party_phone": "13711112222"},
                                                                                     "Query keys")):
        with metered() as meter:
            assert admin.call("GET", "/v1/cases", query=query).status == 200
        calls = Counter(meter.calls_by_target)
        assert not any(target.startswith("Scan") for target in calls), calls
        assert calls[index] == 1 and sum(n for t, n in calls.items() if t.startswith("BatchGetItem")) == 1, calls


# ------------------------------------------------------------ undeclared query parameters


@pytest.mark.parametrize(("path", "query", "unknown"), [
    ("/v1/cases", {"stauts": "received", "limit": "5"}, ["stauts"]),
    ("/v1/cases", {"b": "1", "a": "2"}, ["a", "b"]),
    ("/v1/meta", {"lang": "zh"}, ["lang"]),  # a route without query parameters
    ("/v1/regions", {"limit": "5"}, ["limit"]),
])
def test_an_undeclared_query_parameter_is_422_naming_it(admin, path, query, unknown):
    body = assert_problem(admin.call("GET", path, query=query), 422)
    assert body["errors"] == [{"field": name, "message": "unknown query parameter"} for name in unknown]


def test_declared_query_parameters_still_pass(admin, shared_ref):
    assert admin.call("GET", f"/v1/cases/{shared_ref['staff']}", query={"purpose": "核查"}).status == 200
    assert admin.call("GET", "/v1/cases", query={"status": "received", "purpose": "核查", "limit": "3"}).status == 200


# ------------------------------------------------------------ the local client's encoded query


def test_the_local_clients_encoded_query_is_read_and_its_signature_matches(partner, shared_ref):
    ref = "LK-1"
    path = encoded_path("/v1/cases", {"external_ref": ref, "purpose": "核对 A&B=1", "limit": 10})
    assert path == "/v1/cases?external_ref=LK-1&purpose=%E6%A0%B8%E5%AF%B9%20A%26B%3D1&limit=10"
    ts = str(int(service_now().timestamp()))
    nonce = "client-encoded-0123456789"
    headers = {"X-Hewei-Key": partner.key_id, "X-Hewei-Timestamp": ts, "X-Hewei-Nonce": nonce,
               "X-Hewei-Signature": sign(partner.secret, ts, "GET", path, b"", nonce)}
    answer = partner.http.call("GET", path, headers=headers)
    assert listed(answer) == [shared_ref["partner"]]


# ------------------------------------------------------------ a table made before the index


def test_a_table_made_before_the_external_ref_index_gets_it_and_its_old_cases_are_found(admin, shared_ref):
    import boto3

    from chalicelib.adapters.bootstrap import create_tables
    from chalicelib.adapters.models import CaseModel

    client = boto3.client("dynamodb")
    table = CaseModel.Meta.table_name
    client.update_table(TableName=table, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_external_ref"}}])
    names = {i["IndexName"] for i in client.describe_table(TableName=table)["Table"]["GlobalSecondaryIndexes"]}
    assert "by_external_ref" not in names
    create_tables()  # what the local stack does on every start
    names = {i["IndexName"] for i in client.describe_table(TableName=table)["Table"]["GlobalSecondaryIndexes"]}
    assert "by_external_ref" in names
    assert len(listed(admin.call("GET", "/v1/cases", query={"external_ref": "LK-1"}))) == 3


# ------------------------------------------------------------ the nonce claimed with the case (§1a, one write)


def test_a_new_case_claims_its_nonce_in_its_own_transaction(partner):
    """The hot path of a partner intake: the party key's Query, the place index's Query and the
    case's transaction, which also claims the nonce and the reference (no write or read of its own)."""
    body = json.dumps(new_case_body("NONCE-HOT", parties=[{"role": "applicant", "name": "张三",
                                                           "phone": "13912340001"}]), ensure_ascii=False).encode()
    second = int(service_now().timestamp())
    warm = with_nonce(partner, "GET", "/v1/cases?external_ref=NONCE-HOT", b"", "warm-the-partner-cache-0001",
                      timestamp=second)  # the partner found by its key: kept for a few seconds
    assert warm.status == 200, warm
    with metered() as meter:
        created = with_nonce(partner, "POST", "/v1/cases", body, "hot-path-nonce-000001", timestamp=second)
    assert created.status == 201, created
    assert dict(meter.calls_by_target) == {"Query keys": 1, "Query cases/by_place": 1, "TransactWriteItems": 1}
    again = with_nonce(partner, "POST", "/v1/cases", body, "hot-path-nonce-000001", timestamp=second)
    assert "nonce was already used" in assert_problem(again, 401)["detail"]


def test_a_nonce_used_before_files_no_case_even_for_a_new_reference(partner, admin):
    second = int(service_now().timestamp())
    read = with_nonce(partner, "GET", "/v1/cases?external_ref=NONCE-USED", b"", "used-by-a-read-000001",
                      timestamp=second)
    assert read.status == 200, read
    body = json.dumps(new_case_body("NONCE-USED"), ensure_ascii=False).encode()
    refused = with_nonce(partner, "POST", "/v1/cases", body, "used-by-a-read-000001", timestamp=second)
    assert "nonce was already used" in assert_problem(refused, 401)["detail"]
    assert admin.call("GET", "/v1/cases", query={"external_ref": "NONCE-USED"}).json["items"] == []


@pytest.mark.parametrize(("overrides", "nonce"), [
    ({"region_code": "320509999999"}, "refused-by-the-use-case-01"),  # no such region
    ({"title": ""}, "refused-by-the-schema-0001"),  # before the use case
])
def test_a_refused_request_resent_with_its_nonce_is_a_replay(partner, overrides, nonce):
    body = json.dumps(new_case_body("NONCE-REFUSED", **overrides), ensure_ascii=False).encode()
    second = int(service_now().timestamp())
    assert with_nonce(partner, "POST", "/v1/cases", body, nonce, timestamp=second).status == 422
    again = with_nonce(partner, "POST", "/v1/cases", body, nonce, timestamp=second)
    assert "nonce was already used" in assert_problem(again, 401)["detail"]


def test_a_retry_with_a_new_nonce_claims_that_nonce_too(partner):
    body = json.dumps(new_case_body("NONCE-RETRY-CLAIM"), ensure_ascii=False).encode()
    second = int(service_now().timestamp())
    first = with_nonce(partner, "POST", "/v1/cases", body, "retry-claim-nonce-01", timestamp=second)
    retry = with_nonce(partner, "POST", "/v1/cases", body, "retry-claim-nonce-02", timestamp=second)
    assert (first.status, retry.status) == (201, 200) and retry.json["case_id"] == first.json["case_id"]
    resent = with_nonce(partner, "POST", "/v1/cases", body, "retry-claim-nonce-02", timestamp=second)
    assert "nonce was already used" in assert_problem(resent, 401)["detail"]
