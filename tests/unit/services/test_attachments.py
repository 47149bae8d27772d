"""services/attachments.py on the fakes: who may upload and read what, the limit of a case and the
places abandoned uploads give back, `complete` (each outcome, twice, two at once, an upload
replaced during the check), download links and the timeline."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from chalicelib.domain.attachments import (
    MAX_PER_CASE, RECLAIM_AFTER, Attachment, AttachmentStatus, RejectReason)
from chalicelib.domain.dossier import DossierItem, ItemStatus
from chalicelib.domain.enums import CaseStatus
from chalicelib.services.attachments import RECLAIMS_PER_REQUEST
from chalicelib.services.commands import NewAttachment
from chalicelib.services.errors import Conflict, Forbidden, NotFound, Unprocessable
from tests.unit.services.builders import ADMIN, MEDIATOR, OTHER_MEDIATOR, OTHER_PARTNER, PARTNER, parse, refused

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 56
PDF = b"%PDF-1.7\n" + b"1" * 55


def declaration(content: bytes = PNG, kind: str = "evidence", content_type: str = "image/png",
                **changes) -> NewAttachment:
    return parse(NewAttachment, {"kind": kind, "filename": "现场照片.png", "content_type": content_type,
                                 "size_bytes": len(content), "sha256": hashlib.sha256(content).hexdigest(),
                                 **changes})


@pytest.fixture
def service(container):
    return container.attachments


@pytest.fixture
def files(container):
    return container.attachment_files


@pytest.fixture
def records(container):
    return container.attachment_store


@pytest.fixture
def case(centre):
    """The partner's case, dispatched to mediator M-CN-1."""
    return centre.case_at(CaseStatus.DISPATCHED)


def everything(centre, records, files):
    return lambda: (centre.state(), dict(records.records), dict(records.held), dict(files.objects))


def uploaded(service, files, case, content: bytes = PNG, principal=PARTNER, sent: bytes | None = None,
             **declared) -> Attachment:
    """Declared by `principal` and its file POSTed (`sent`, if it lies about the declaration)."""
    attachment, form = service.create(case.case_id, declaration(content, **declared), principal)
    files.post(form, content if sent is None else sent)
    return attachment


def attachment_events(centre, case) -> list[tuple[str, str, dict]]:
    return [(e.type, e.actor, e.detail) for e in centre.store.events(case.case_id) if e.type.startswith("attachment")]


# ------------------------------------------------------------------- create


def test_a_declared_file_is_pending_with_a_form_for_its_own_key_size_and_type(service, case, records, centre, clock):
    attachment, form = service.create(case.case_id, declaration(), PARTNER)
    assert records.get(case.case_id, attachment.attachment_id) == attachment
    assert (attachment.status, attachment.created_by, attachment.created_at) == (
        AttachmentStatus.PENDING, "partner:demo-12345", clock())
    assert form["fields"] == {"key": f"uploads/{case.case_id}/{attachment.attachment_id}", "Content-Type": "image/png",
                              "content-length-range": [len(PNG), len(PNG)], "expires": 900}
    assert attachment_events(centre, case) == [
        ("attachment_created", "partner:demo-12345", {"attachment_id": attachment.attachment_id, "kind": "evidence"})]
    assert centre.store.get(case.case_id).version == case.version  # the case itself is not written


@pytest.mark.parametrize("principal", [OTHER_PARTNER, OTHER_MEDIATOR])
def test_a_case_outside_the_callers_view_is_404_and_nothing_is_written(service, case, centre, records, files,
                                                                       principal):
    with refused(NotFound, everything(centre, records, files)):
        service.create(case.case_id, declaration(), principal)


@pytest.mark.parametrize("kind", ["id_proof", "agreement_signed", "performance_receipt", "court_material"])
def test_a_partner_declaring_a_staff_kind_is_403_and_nothing_is_written(service, case, centre, records, files, kind):
    with refused(Forbidden, everything(centre, records, files)):
        service.create(case.case_id, declaration(kind=kind), PARTNER)
    assert service.create(case.case_id, declaration(kind=kind), MEDIATOR)[0].kind.value == kind


def test_a_case_holds_fifty_and_a_rejected_one_gives_its_place_back(service, case, centre, records, files):
    made = [service.create(case.case_id, declaration(), MEDIATOR)[0] for _ in range(MAX_PER_CASE)]
    with refused(Unprocessable, everything(centre, records, files)) as caught:
        service.create(case.case_id, declaration(), MEDIATOR)
    assert "50" in caught.value.detail
    assert service.complete(case.case_id, made[0].attachment_id, MEDIATOR).reason is RejectReason.NOT_UPLOADED
    assert service.create(case.case_id, declaration(), MEDIATOR)[0].is_pending
    assert records.held[case.case_id] == MAX_PER_CASE


def test_at_the_limit_uploads_abandoned_long_ago_are_settled_and_free_their_places(service, case, records, files,
                                                                                  clock, centre):
    done = uploaded(service, files, case)  # uploaded in time, `complete` never called
    for _ in range(MAX_PER_CASE - 1):  # declared and abandoned
        service.create(case.case_id, declaration(), PARTNER)
    clock.advance(RECLAIM_AFTER - dt.timedelta(seconds=1))
    with pytest.raises(Unprocessable):  # not abandoned yet: nothing is settled
        service.create(case.case_id, declaration(), PARTNER)
    assert all(a.is_pending for a in records.of_case(case.case_id))
    clock.advance(seconds=1)
    new, _ = service.create(case.case_id, declaration(), PARTNER)
    settled = [a for a in records.of_case(case.case_id) if not a.is_pending]
    # until one place came free, and at most RECLAIMS_PER_REQUEST (each may stream 20 MiB)
    assert 1 <= len(settled) <= RECLAIMS_PER_REQUEST
    assert [a.reason for a in settled if a.status is AttachmentStatus.REJECTED] == [RejectReason.NOT_UPLOADED]
    assert all(a.attachment_id == done.attachment_id for a in settled if a.status is AttachmentStatus.STORED)
    assert records.get(case.case_id, new.attachment_id).is_pending and records.held[case.case_id] == MAX_PER_CASE
    settled_by = {actor for kind, actor, _ in attachment_events(centre, case) if kind != "attachment_created"}
    assert settled_by == {"system"}
    assert service.complete(case.case_id, done.attachment_id, PARTNER).status is AttachmentStatus.STORED  # not lost
    assert files.objects[done.stored_key][0] == PNG


# ------------------------------------------------------------------- complete


def test_a_file_as_declared_is_stored_under_its_final_key_and_the_upload_is_gone(service, case, files, centre,
                                                                                 records):
    attachment = uploaded(service, files, case, PDF, content_type="application/pdf")
    settled = service.complete(case.case_id, attachment.attachment_id, PARTNER)
    assert (settled.status, settled.reason) == (AttachmentStatus.STORED, None)
    assert settled.stored_at == centre.services.clock()
    assert set(files.objects) == {attachment.stored_key} and files.objects[attachment.stored_key][0] == PDF
    assert records.get(case.case_id, attachment.attachment_id) == settled and records.held[case.case_id] == 1
    assert [kind for kind, _, _ in attachment_events(centre, case)] == ["attachment_created", "attachment_stored"]


@pytest.mark.parametrize(("sent", "reason"), [
    (None, RejectReason.NOT_UPLOADED),
    (PNG + b"\x00", RejectReason.SIZE_MISMATCH),
    (PNG[:-1] + b"\x01", RejectReason.SHA256_MISMATCH),
    (b"%PDF-1.7" + PNG[8:], RejectReason.CONTENT_TYPE_MISMATCH),  # what the hash was taken of, but not a PNG
])
def test_a_file_unlike_its_declaration_is_rejected_deleted_and_gives_its_place_back(service, case, files, centre,
                                                                                    records, sent, reason):
    content = sent if reason is RejectReason.CONTENT_TYPE_MISMATCH else PNG
    attachment, form = service.create(case.case_id, declaration(content), PARTNER)
    if sent is not None:
        files.post(form, sent)
    settled = service.complete(case.case_id, attachment.attachment_id, PARTNER)
    assert (settled.status, settled.reason) == (AttachmentStatus.REJECTED, reason)
    assert files.objects == {} and records.held[case.case_id] == 0
    assert attachment_events(centre, case)[-1] == (
        "attachment_rejected", "partner:demo-12345",
        {"attachment_id": attachment.attachment_id, "kind": "evidence", "reason": reason.value})


def test_a_file_stored_with_another_content_type_than_declared_is_rejected(service, case, files):
    attachment, form = service.create(case.case_id, declaration(), PARTNER)
    files.post(form, PNG, content_type="image/jpeg")
    assert service.complete(case.case_id, attachment.attachment_id, PARTNER).reason is \
        RejectReason.CONTENT_TYPE_MISMATCH


def test_complete_again_answers_the_settled_state_and_changes_nothing(service, case, files, centre, records):
    attachment = uploaded(service, files, case)
    first = service.complete(case.case_id, attachment.attachment_id, PARTNER)
    files.post({"fields": {"key": attachment.upload_key, "Content-Type": "image/png"}}, PDF)  # the form used again
    state = everything(centre, records, files)()
    for caller in (PARTNER, MEDIATOR):
        assert service.complete(case.case_id, attachment.attachment_id, caller) == first
    assert everything(centre, records, files)() == state and files.calls["inspect"] == 1
    assert files.objects[attachment.stored_key][0] == PNG


def test_of_two_completes_at_once_one_settles_and_the_other_answers_its_outcome(service, case, files, centre,
                                                                                records):
    attachment = uploaded(service, files, case)
    other: list = []
    records.interleave(lambda: other.append(service.complete(case.case_id, attachment.attachment_id, PARTNER)))
    answer = service.complete(case.case_id, attachment.attachment_id, PARTNER)
    assert answer == other[0] and answer.status is AttachmentStatus.STORED
    assert [kind for kind, _, _ in attachment_events(centre, case)].count("attachment_stored") == 1
    assert set(files.objects) == {attachment.stored_key}


def test_a_good_copy_made_while_another_call_rejected_the_upload_is_not_kept(service, case, files, records):
    attachment = uploaded(service, files, case)
    rejected = attachment.settled(RejectReason.SHA256_MISMATCH, attachment.created_at)
    records.interleave(lambda: records.settle(rejected, rejected.event("attachment_rejected", rejected.created_at,
                                                                       "system")))
    assert service.complete(case.case_id, attachment.attachment_id, PARTNER) == rejected
    assert files.objects == {}


def test_an_upload_replaced_during_the_check_is_a_409_and_left_for_another_complete(service, case, files, records):
    attachment, form = service.create(case.case_id, declaration(), PARTNER)
    files.post(form, PNG)
    files.before_copy = lambda: files.post(form, PNG[:-1] + b"\x07")  # the form used again, other bytes
    with pytest.raises(Conflict):
        service.complete(case.case_id, attachment.attachment_id, PARTNER)
    assert records.get(case.case_id, attachment.attachment_id).is_pending
    assert set(files.objects) == {attachment.upload_key}
    assert service.complete(case.case_id, attachment.attachment_id, PARTNER).reason is RejectReason.SHA256_MISMATCH


def test_an_upload_replaced_by_a_file_of_the_same_md5_is_not_kept(service, case, files, records):
    """An ETag is an MD5: a second file made to share it passes CopySourceIfMatch, not the SHA-256
    S3 computes on the copy."""
    attachment, form = service.create(case.case_id, declaration(), PARTNER)
    files.post(form, PNG)

    def same_etag_other_bytes():
        content, content_type, etag = files.objects[attachment.upload_key]
        files.objects[attachment.upload_key] = (PNG[:-1] + b"\x07", content_type, etag)

    files.before_copy = same_etag_other_bytes
    with pytest.raises(Conflict):
        service.complete(case.case_id, attachment.attachment_id, PARTNER)
    assert records.get(case.case_id, attachment.attachment_id).is_pending
    assert attachment.stored_key not in files.objects


def test_who_may_complete_what(service, case, files):
    evidence = uploaded(service, files, case)
    signed = uploaded(service, files, case, kind="agreement_signed", principal=MEDIATOR)
    proof = uploaded(service, files, case, kind="id_proof", principal=MEDIATOR)
    with pytest.raises(NotFound):
        service.complete(case.case_id, evidence.attachment_id, OTHER_PARTNER)
    with pytest.raises(NotFound):
        service.complete(case.case_id, evidence.attachment_id, OTHER_MEDIATOR)
    with pytest.raises(Forbidden):
        service.complete(case.case_id, signed.attachment_id, PARTNER)
    with pytest.raises(NotFound):  # partners never see id_proof
        service.complete(case.case_id, proof.attachment_id, PARTNER)
    with pytest.raises(Forbidden):  # the partner's upload, pending: only its uploader settles it
        service.complete(case.case_id, evidence.attachment_id, MEDIATOR)
    assert service.complete(case.case_id, evidence.attachment_id, PARTNER).status is AttachmentStatus.STORED
    assert service.complete(case.case_id, evidence.attachment_id, MEDIATOR).status is AttachmentStatus.STORED  # settled
    for unknown in ("AT20261123FFFFFFFFFFFFFFFF", "not-an-id", "../files"):
        with pytest.raises(NotFound):
            service.complete(case.case_id, unknown, MEDIATOR)


# ---------------------------------------------------------------------- reads


def test_a_stored_file_comes_with_a_link_whose_issue_is_on_the_timeline(service, case, files, centre):
    attachment = uploaded(service, files, case, filename="张三13812345678.png")
    assert service.get(case.case_id, attachment.attachment_id, MEDIATOR) == (attachment, None)  # pending: no link
    service.complete(case.case_id, attachment.attachment_id, PARTNER)
    shown, url = service.get(case.case_id, attachment.attachment_id, MEDIATOR)
    assert url.startswith(f"{files.URL}{attachment.stored_key}?") and "expires_in=300" in url
    _, partner_url = service.get(case.case_id, attachment.attachment_id, PARTNER)
    assert "13812345678" not in partner_url and "138%2A%2A%2A%2A5678" in partner_url
    assert [(kind, actor) for kind, actor, _ in attachment_events(centre, case)] == [
        ("attachment_created", "partner:demo-12345"), ("attachment_stored", "partner:demo-12345"),
        ("attachment_link_issued", "mediator:M-CN-1"), ("attachment_link_issued", "partner:demo-12345")]
    assert centre.store.get(case.case_id).version == case.version


def test_partners_never_see_id_proof_and_no_one_sees_another_partners_files(service, case, files):
    evidence = uploaded(service, files, case)
    proof = uploaded(service, files, case, kind="id_proof", principal=MEDIATOR)
    assert {a.attachment_id for a in service.list(case.case_id, MEDIATOR)} == {evidence.attachment_id,
                                                                               proof.attachment_id}
    assert [a.attachment_id for a in service.list(case.case_id, PARTNER)] == [evidence.attachment_id]
    with pytest.raises(NotFound):
        service.get(case.case_id, proof.attachment_id, PARTNER)
    for principal in (OTHER_PARTNER, OTHER_MEDIATOR):
        with pytest.raises(NotFound):
            service.list(case.case_id, principal)
        with pytest.raises(NotFound):
            service.get(case.case_id, evidence.attachment_id, principal)


def test_the_dossier_reads_the_stored_files(service, case, files):
    assert dict(service.dossier(case.case_id, ADMIN))[DossierItem.EVIDENCE] is ItemStatus.MISSING
    pending = uploaded(service, files, case)
    assert dict(service.dossier(case.case_id, ADMIN))[DossierItem.EVIDENCE] is ItemStatus.MISSING
    service.complete(case.case_id, pending.attachment_id, PARTNER)
    assert dict(service.dossier(case.case_id, MEDIATOR))[DossierItem.EVIDENCE] is ItemStatus.PRESENT
    with pytest.raises(NotFound):
        service.dossier(case.case_id, OTHER_MEDIATOR)
