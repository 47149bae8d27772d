"""Attachments (证据材料, §14) through the HTTP API on moto: files really go up through the presigned
POST's form and come down through the download link; uploads that lie about their type, size or
hash are rejected and deleted; who may do what; the limits, under concurrency too; the dossier."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from urllib.parse import quote

import boto3
import pytest
import requests

from chalicelib import wiring
from chalicelib.config import attachments_bucket
from chalicelib.domain.access import Principal
from chalicelib.domain.attachments import MAX_BYTES, MAX_PER_CASE
from chalicelib.domain.enums import Role
from chalicelib.services.commands import NewAttachment
from chalicelib.services.errors import ServiceError
from tests.integration.conftest import all_at_once, principal_of, staff_token
from tests.support import Partner, assert_problem, drain, new_case_body, service_now

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"1 0 obj\n<< /Type /Catalog >>\nendobj\n" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 6
FILENAME = "现场照片（楼上漏水）.png"


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def declaration(content: bytes = PNG, **overrides) -> dict:
    return {"kind": "evidence", "filename": FILENAME, "content_type": "image/png", "size_bytes": len(content),
            "sha256": digest(content), **overrides}


def declare(caller, case_id: str, content: bytes = PNG, **overrides):
    return caller.call("POST", f"/v1/cases/{case_id}/attachments", declaration(content, **overrides))


def post_file(upload: dict, content: bytes, content_type: str = "image/png") -> requests.Response:
    """What a client does with the answer: a multipart form POST of the fields, the file last."""
    return requests.post(upload["url"], data=upload["fields"], files={"file": ("upload.bin", content, content_type)},
                         timeout=10)


def complete(caller, case_id: str, attachment_id: str):
    return caller.call("POST", f"/v1/cases/{case_id}/attachments/{attachment_id}/complete")


def attach(caller, case_id: str, content: bytes = PNG, content_type: str = "image/png", **overrides) -> str:
    declared = declare(caller, case_id, content, content_type=content_type, **overrides)
    assert declared.status == 201, declared
    assert post_file(declared.json["upload"], content, content_type).status_code == 204
    completed = complete(caller, case_id, declared.json["attachment_id"])
    assert completed.status == 200 and completed.json["status"] == "stored", completed
    return declared.json["attachment_id"]


def bucket_keys() -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=attachments_bucket())
    return sorted(item["Key"] for item in listed.get("Contents", []))


def attachment_events(caller, case_id: str) -> list[tuple[str, str, dict]]:
    events = caller.call("GET", f"/v1/cases/{case_id}/events").json
    return [(e["type"], e["actor"], e["detail"]) for e in events if e["type"].startswith("attachment")]


def held(case_id: str) -> int:
    return wiring.current().attachment_store.held(case_id)


@pytest.fixture
def case_id(partner) -> str:
    """The partner's case, dispatched to mediator M-CN-1 of V-CN."""
    created = partner.call("POST", "/v1/cases", new_case_body("ATT-1"))
    assert created.status == 201, created
    drain("routing", "route_cases")
    return created.json["case_id"]


# ------------------------------------------------------------------- the flow


def test_a_file_goes_up_through_the_presigned_post_and_comes_down_through_the_link(mediator, case_id):
    declared = declare(mediator, case_id)
    assert declared.status == 201, declared
    attachment_id = declared.json["attachment_id"]
    assert declared.headers["location"] == f"/v1/cases/{case_id}/attachments/{attachment_id}"
    assert (declared.json["status"], declared.json["expires_in"]) == ("pending", 900)
    upload = declared.json["upload"]
    key = f"uploads/{case_id}/{attachment_id}"
    assert upload["fields"]["key"] == key and upload["fields"]["Content-Type"] == "image/png"
    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    assert {"key": key} in policy["conditions"] and {"Content-Type": "image/png"} in policy["conditions"]
    assert ["content-length-range", len(PNG), len(PNG)] in policy["conditions"]
    assert {"bucket": attachments_bucket()} in policy["conditions"]
    assert "现场照片" not in json.dumps(declared.json, ensure_ascii=False)  # the name is in no key, field or policy

    assert post_file(upload, PNG).status_code == 204
    assert bucket_keys() == [key]
    completed = complete(mediator, case_id, attachment_id)
    assert completed.status == 200, completed
    assert completed.json == {"attachment_id": attachment_id, "status": "stored", "reason": None}
    assert bucket_keys() == [f"files/{case_id}/{attachment_id}"]  # moved out of the uploads prefix

    [item] = mediator.call("GET", f"/v1/cases/{case_id}/attachments").json["items"]
    assert set(item) == {"attachment_id", "kind", "filename", "content_type", "size_bytes", "sha256", "status",
                         "reason", "created_at", "created_by", "stored_at"}
    assert (item["kind"], item["filename"], item["size_bytes"], item["sha256"], item["status"], item["created_by"]) == (
        "evidence", FILENAME, len(PNG), digest(PNG), "stored", "mediator:M-CN-1")
    assert item["created_at"].startswith("2026-11-23T10:") and item["stored_at"].endswith("+08:00")
    one = mediator.call("GET", f"/v1/cases/{case_id}/attachments/{attachment_id}")
    assert one.status == 200 and {k: v for k, v in one.json.items() if k != "download_url"} == item
    fetched = requests.get(one.json["download_url"], timeout=10)
    assert fetched.status_code == 200 and fetched.content == PNG
    assert fetched.headers["Content-Type"] == "image/png"
    assert fetched.headers["Content-Disposition"].endswith(f"filename*=UTF-8''{quote(FILENAME)}")
    assert "X-Amz-Expires=300" in one.json["download_url"]

    detail = {"attachment_id": attachment_id, "kind": "evidence"}
    assert attachment_events(mediator, case_id) == [
        ("attachment_created", "mediator:M-CN-1", detail), ("attachment_stored", "mediator:M-CN-1", detail),
        ("attachment_link_issued", "mediator:M-CN-1", detail)]


def test_each_content_type_is_taken(mediator, case_id):
    for content, content_type in ((PDF, "application/pdf"), (JPEG, "image/jpeg"), (PNG, "image/png")):
        attach(mediator, case_id, content, content_type, filename=f"f.{content_type[-3:]}")
    listed = mediator.call("GET", f"/v1/cases/{case_id}/attachments").json["items"]
    assert [i["content_type"] for i in listed] == ["application/pdf", "image/jpeg", "image/png"]


def test_a_partner_uploads_to_its_own_case_and_its_accesses_are_on_the_timeline(partner, mediator, case_id):
    attachment_id = attach(partner, case_id, filename="张三13812345678.png")
    one = partner.call("GET", f"/v1/cases/{case_id}/attachments/{attachment_id}")
    assert one.json["created_by"] == "partner:demo-12345" and one.json["filename"] == "张三138****5678.png"
    assert requests.get(one.json["download_url"], timeout=10).content == PNG
    assert mediator.call("GET", f"/v1/cases/{case_id}/attachments").json["items"][0]["filename"] == \
        "张三13812345678.png"
    assert [(kind, actor) for kind, actor, _ in attachment_events(mediator, case_id)] == [
        ("attachment_created", "partner:demo-12345"), ("attachment_stored", "partner:demo-12345"),
        ("attachment_link_issued", "partner:demo-12345")]


# ------------------------------------------------------------------- rejections


@pytest.mark.parametrize(("declared", "sent", "sent_type", "reason"), [
    (declaration(PDF), PDF, "image/png", "content_type_mismatch"),  # a PDF declared (and hashed) as a PNG
    (declaration(PNG, content_type="image/jpeg"), PNG, "image/jpeg", "content_type_mismatch"),
    (declaration(PNG), PNG + b"\x00" * 10, "image/png", "size_mismatch"),  # more than the policy lets through
    (declaration(PNG), PNG[:-10], "image/png", "size_mismatch"),
    (declaration(PNG), PNG[:-1] + bytes([PNG[-1] ^ 1]), "image/png", "sha256_mismatch"),
    (declaration(PNG), None, None, "not_uploaded"),
])
def test_an_upload_that_lies_is_rejected_and_deleted(mediator, case_id, declared, sent, sent_type, reason):
    answer = mediator.call("POST", f"/v1/cases/{case_id}/attachments", declared)
    assert answer.status == 201, answer
    attachment_id = answer.json["attachment_id"]
    if sent is not None:
        assert post_file(answer.json["upload"], sent, sent_type).status_code == 204
        assert bucket_keys() == [f"uploads/{case_id}/{attachment_id}"]
    assert held(case_id) == 1
    completed = complete(mediator, case_id, attachment_id)
    assert completed.status == 200, completed
    assert completed.json == {"attachment_id": attachment_id, "status": "rejected", "reason": reason}
    assert bucket_keys() == []  # the object is gone
    assert held(case_id) == 0  # and its place is free again
    one = mediator.call("GET", f"/v1/cases/{case_id}/attachments/{attachment_id}").json
    assert (one["status"], one["reason"], one["download_url"], one["stored_at"]) == ("rejected", reason, None, None)
    assert attachment_events(mediator, case_id)[-1] == (
        "attachment_rejected", "mediator:M-CN-1", {"attachment_id": attachment_id, "kind": "evidence",
                                                   "reason": reason})


def test_complete_twice_answers_the_same_and_changes_nothing(mediator, partner, case_id):
    declared = declare(partner, case_id).json
    post_file(declared["upload"], PNG)
    first = complete(partner, case_id, declared["attachment_id"])
    events = attachment_events(mediator, case_id)
    for _ in range(2):  # (the partner's identical request within the second would be a replay)
        again = complete(mediator, case_id, declared["attachment_id"])
        assert (again.status, again.json) == (200, first.json)
    assert attachment_events(mediator, case_id) == events and bucket_keys() == [
        f"files/{case_id}/{declared['attachment_id']}"]


def test_concurrent_completes_settle_once(admin, mediator, case_id, atomic_requests):
    declared = declare(mediator, case_id).json
    post_file(declared["upload"], PNG)
    principal = principal_of(mediator)
    service = wiring.current().attachments
    answers = all_at_once(*[lambda: service.complete(case_id, declared["attachment_id"], principal)] * 4)
    assert {answer.status.value for answer in answers} == {"stored"}
    assert [kind for kind, _, _ in attachment_events(mediator, case_id)].count("attachment_stored") == 1
    assert bucket_keys() == [f"files/{case_id}/{declared['attachment_id']}"] and held(case_id) == 1


def test_the_presigned_post_used_again_after_complete_cannot_replace_the_stored_file(mediator, case_id):
    declared = declare(mediator, case_id).json
    attachment_id = declared["attachment_id"]
    post_file(declared["upload"], PNG)
    assert complete(mediator, case_id, attachment_id).json["status"] == "stored"
    other = PNG[:-1] + bytes([PNG[-1] ^ 1])  # same size and type: the policy would let it through
    assert post_file(declared["upload"], other).status_code == 204
    assert complete(mediator, case_id, attachment_id).json == {"attachment_id": attachment_id, "status": "stored",
                                                               "reason": None}
    url = mediator.call("GET", f"/v1/cases/{case_id}/attachments/{attachment_id}").json["download_url"]
    assert digest(requests.get(url, timeout=10).content) == digest(PNG)
    # what came in again waits under the uploads prefix, which the bucket's lifecycle empties
    assert bucket_keys() == [f"files/{case_id}/{attachment_id}", f"uploads/{case_id}/{attachment_id}"]


# ------------------------------------------------------------------- limits


def test_exactly_twenty_mib_is_taken(mediator, case_id):
    assert declare(mediator, case_id, size_bytes=MAX_BYTES).status == 201


def test_a_51st_attachment_is_422_until_one_is_rejected(mediator, case_id):
    ids = [declare(mediator, case_id).json["attachment_id"] for _ in range(MAX_PER_CASE)]
    assert all(ids)
    refused = declare(mediator, case_id)
    assert_problem(refused, 422)
    assert "50" in refused.json["detail"]
    assert len(mediator.call("GET", f"/v1/cases/{case_id}/attachments").json["items"]) == MAX_PER_CASE
    assert complete(mediator, case_id, ids[0]).json["reason"] == "not_uploaded"
    assert declare(mediator, case_id).status == 201
    assert_problem(declare(mediator, case_id), 422)


def test_the_limit_holds_when_uploads_are_declared_at_once(mediator, case_id, atomic_requests):
    service, principal = wiring.current().attachments, principal_of(mediator)
    command = NewAttachment.model_validate_json(json.dumps(declaration()))
    for _ in range(MAX_PER_CASE - 3):
        service.create(case_id, command, principal)
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def create() -> None:
        barrier.wait()
        try:
            service.create(case_id, command, principal)
            outcomes.append("created")
        except ServiceError as exc:
            outcomes.append(str(exc.status))

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["422"] * 3 + ["created"] * 3
    assert held(case_id) == MAX_PER_CASE
    assert len(mediator.call("GET", f"/v1/cases/{case_id}/attachments").json["items"]) == MAX_PER_CASE


# ------------------------------------------------------------------- who


def test_partners_upload_evidence_and_other_only_and_never_see_id_proof(partner, mediator, case_id):
    for kind in ("id_proof", "agreement_signed", "performance_receipt", "court_material"):
        assert_problem(declare(partner, case_id, kind=kind), 403)
    assert partner.call("GET", f"/v1/cases/{case_id}/attachments").json == {"items": []}
    assert attachment_events(mediator, case_id) == []
    other = attach(partner, case_id, kind="other")
    proof = attach(mediator, case_id, kind="id_proof", filename="身份证.png")
    signed = attach(mediator, case_id, PDF, "application/pdf", kind="agreement_signed", filename="协议.pdf")
    listed = partner.call("GET", f"/v1/cases/{case_id}/attachments",  # signed anew: not a replay of the first list
                          timestamp=service_now().timestamp() + 1)
    shown = [item["attachment_id"] for item in listed.json["items"]]
    assert shown == [other, signed]
    assert_problem(partner.call("GET", f"/v1/cases/{case_id}/attachments/{proof}"), 404)
    assert_problem(complete(partner, case_id, proof), 404)
    assert_problem(complete(partner, case_id, signed), 403)  # seen, but not one a partner uploads
    partner_timeline = json.dumps(partner.call("GET", f"/v1/cases/{case_id}/events").json)
    assert proof not in partner_timeline and "id_proof" not in partner_timeline and signed in partner_timeline
    assert proof in json.dumps(mediator.call("GET", f"/v1/cases/{case_id}/events").json)


def test_another_partners_or_orgs_case_is_404_for_every_route(admin, partner, mediator, case_id):
    attachment_id = declare(partner, case_id).json["attachment_id"]
    created = admin.call("POST", "/v1/partners", {"partner_id": "other-110", "name": "110"}).json
    other_partner = Partner(admin.http, created["key_id"], created["secret"], "other-110")
    other_mediator = staff_token(admin, role="mediator", mediator_id="M-SL-1")
    town = staff_token(admin, role="supervisor", jurisdiction="320509103")
    for caller in (other_partner, other_mediator, town):
        assert_problem(declare(caller, case_id), 404)
        assert_problem(complete(caller, case_id, attachment_id), 404)
        assert_problem(caller.call("GET", f"/v1/cases/{case_id}/attachments"), 404)
        assert_problem(caller.call("GET", f"/v1/cases/{case_id}/attachments/{attachment_id}"), 404)
    assert held(case_id) == 1 and [e[0] for e in attachment_events(mediator, case_id)] == ["attachment_created"]
    district = staff_token(admin, role="supervisor", jurisdiction="320509")
    assert district.call("GET", f"/v1/cases/{case_id}/attachments/{attachment_id}").status == 200


# ------------------------------------------------------------------- dossier


def test_the_dossier_lists_six_items_for_staff_in_view(admin, partner, mediator, case_id):
    def dossier(caller=mediator):
        answer = caller.call("GET", f"/v1/cases/{case_id}/dossier")
        assert answer.status == 200, answer
        return answer.json

    assert dossier() == {"complete": False, "items": [
        {"item": "registration", "status": "present"}, {"item": "agreement", "status": "missing"},
        {"item": "signed_agreement", "status": "missing"}, {"item": "visit_records", "status": "missing"},
        {"item": "evidence", "status": "missing"}, {"item": "judicial_confirmation", "status": "not_applicable"}]}
    attach(partner, case_id)
    assert mediator.call("POST", f"/v1/cases/{case_id}/accept", {}).status == 200
    resolved = mediator.call("POST", f"/v1/cases/{case_id}/resolve", {
        "agreement": {"summary": "赔偿2000元", "performance_due": "2026-12-01"}})
    assert resolved.status == 200, resolved
    attach(mediator, case_id, PDF, "application/pdf", kind="agreement_signed", filename="协议书.pdf")
    statuses = {entry["item"]: entry["status"] for entry in dossier(admin)["items"]}
    assert statuses == {"registration": "present", "agreement": "missing", "signed_agreement": "present",
                        "visit_records": "missing", "evidence": "present", "judicial_confirmation": "not_applicable"}
    assert_problem(partner.call("GET", f"/v1/cases/{case_id}/dossier"), 403)
    assert_problem(staff_token(admin, role="mediator", mediator_id="M-SL-1").call(
        "GET", f"/v1/cases/{case_id}/dossier"), 404)


def test_a_withdrawn_cases_dossier_needs_nothing_more(admin, case_id):
    assert admin.call("POST", f"/v1/cases/{case_id}/withdraw", {"reason": "申请人撤回"}).status == 200
    answer = admin.call("GET", f"/v1/cases/{case_id}/dossier").json
    assert answer["complete"] is True
    assert [entry["status"] for entry in answer["items"]] == ["present"] + ["not_applicable"] * 5


def test_a_partner_principal_is_what_the_routes_check(case_id):
    """The use case refuses a partner's other kinds itself, not only the route (a worker could call it)."""
    from chalicelib.services.errors import Forbidden

    owner = Principal(Role.PARTNER, "demo-12345", partner_id="demo-12345")
    command = NewAttachment.model_validate_json(json.dumps(declaration(kind="id_proof")))
    with pytest.raises(Forbidden):
        wiring.current().attachments.create(case_id, command, owner)


def test_only_the_uploader_completes_a_pending_upload(mediator, partner, case_id):
    """A colleague (or a partner) with the case in view cannot settle an upload still on its way:
    it would be rejected as not uploaded, and the uploader's file lost."""
    declared = declare(mediator, case_id).json
    assert_problem(complete(partner, case_id, declared["attachment_id"]), 403)
    post_file(declared["upload"], PNG)
    done = complete(mediator, case_id, declared["attachment_id"])
    assert (done.status, done.json["status"]) == (200, "stored")


def test_the_s3_copy_is_checked_on_the_sha256_s3_computes(aws):
    """The adapter against moto's S3: a copy whose content is not the SHA-256 checked is deleted."""
    from chalicelib.adapters.attachment_files import S3AttachmentFiles
    from chalicelib.domain.errors import UploadChanged

    files = S3AttachmentFiles()
    etag = files.client.put_object(Bucket=files.bucket, Key="uploads/C/A", Body=PNG)["ETag"]
    with pytest.raises(UploadChanged):
        files.copy("uploads/C/A", "files/C/A", etag, hashlib.sha256(b"another file").hexdigest())
    assert bucket_keys() == ["uploads/C/A"]
    files.copy("uploads/C/A", "files/C/A", etag, hashlib.sha256(PNG).hexdigest())
    assert bucket_keys() == ["files/C/A", "uploads/C/A"]
