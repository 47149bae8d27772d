"""domain/attachments.py: file names, ids and keys, who uploads and sees which kind, the check of
an upload against its declaration."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from chalicelib.domain.access import Principal
from chalicelib.domain.attachments import (
    EVENT_REJECTED, EVENT_STORED, MAGIC_BYTES, RECLAIM_AFTER, STORED_PREFIX, UPLOAD_PREFIX, Attachment,
    AttachmentKind, AttachmentStatus, Observed, RejectReason, filename_for, filename_problem, is_attachment_id,
    may_upload, new_attachment_id, verdict, visible_to)
from chalicelib.domain.enums import Role

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
PNG = MAGIC_BYTES["image/png"] + b"\x00\x00\x00\rIHDR" + b"\x01" * 40
PARTNER = Principal(Role.PARTNER, "demo-12345", partner_id="demo-12345")
MEDIATOR = Principal(Role.MEDIATOR, "mediator:M-CN-1", org_id="V-CN", mediator_id="M-CN-1")
ADMIN = Principal(Role.ADMIN, "admin")


def declared(content: bytes = PNG, content_type: str = "image/png", **changes) -> Attachment:
    fields = dict(attachment_id="AT20261123ABCDEF0123456789", case_id="HW20261123ABCDEFGH",
                  kind=AttachmentKind.EVIDENCE, filename="现场照片.png", content_type=content_type,
                  size_bytes=len(content), sha256=hashlib.sha256(content).hexdigest(), created_at=NOW,
                  created_by="partner:demo-12345")
    return Attachment(**{**fields, **changes})


def observed(content: bytes, content_type: str = "image/png") -> Observed:
    return Observed(True, len(content), hashlib.sha256(content).hexdigest(), content[:8], content_type, '"etag"')


# ----------------------------------------------------------------- file names


@pytest.mark.parametrize("name", ["现场照片.png", "a", "x" * 255, "协议书 (签字版).pdf", ".hidden", "a..b",
                                  "..."])
def test_ordinary_file_names_are_taken(name):
    assert filename_problem(name) is None


@pytest.mark.parametrize(("name", "why"), [
    ("", "1 to 255"), ("x" * 256, "1 to 255"), ("   ", "blank"),
    ("../etc/passwd", "/"), ("dir/file.png", "/"), ("C:\\evil.png", "\\"), ("a\\b", "\\"),
    ("a\x00.png", "control"), ("a\n.png", "control"), ("a\t.png", "control"), ("a\x7f.png", "control"),
    ("a\x85.png", "control"), ("invoice\u202egpj.exe", "control"), ("x\u200f.png", "control"),
    ("a\u2028.png", "control"), ("a\u2029.png", "control"), ("\u200b", "blank"), ("\ufeff \u200d", "blank"),
    (".", "not . or .."), ("..", "not . or .."),
])
def test_names_with_a_path_a_control_character_or_no_name_at_all_are_refused(name, why):
    problem = filename_problem(name)
    assert problem is not None and why in problem


# ----------------------------------------------------------------- ids and keys


def test_ids_are_dated_and_unguessable_and_keys_are_made_of_ids_only():
    ids = {new_attachment_id(NOW) for _ in range(50)}
    assert len(ids) == 50 and all(i.startswith("AT20261123") and is_attachment_id(i) for i in ids)
    attachment = declared(filename="../../张三身份证.png")
    for key in (attachment.upload_key, attachment.stored_key):
        assert key.endswith(f"/{attachment.case_id}/{attachment.attachment_id}") and "张三" not in key
    assert attachment.upload_key.startswith(UPLOAD_PREFIX) and attachment.stored_key.startswith(STORED_PREFIX)
    assert not attachment.stored_key.startswith(UPLOAD_PREFIX)


@pytest.mark.parametrize("text", ["", "AT2026112", "AT20261123abcdef0123456789", "AT2026112XABCDEF0123456789",
                                  "EX20261123ABCDEF0123456789", "AT20261123ABCDEF01234567890"])
def test_what_is_not_an_attachment_id(text):
    assert not is_attachment_id(text)


# ----------------------------------------------------------------- who


@pytest.mark.parametrize("kind", list(AttachmentKind))
def test_staff_upload_and_see_every_kind(kind):
    assert may_upload(kind, MEDIATOR) and visible_to(kind, MEDIATOR) and visible_to(kind, ADMIN)


def test_partners_upload_evidence_and_other_and_never_see_id_proof():
    assert {k for k in AttachmentKind if may_upload(k, PARTNER)} == {AttachmentKind.EVIDENCE, AttachmentKind.OTHER}
    assert {k for k in AttachmentKind if not visible_to(k, PARTNER)} == {AttachmentKind.ID_PROOF}


def test_partners_read_file_names_with_phones_and_id_numbers_masked():
    attachment = declared(filename="张三13812345678收据.pdf")
    assert filename_for(attachment, MEDIATOR) == "张三13812345678收据.pdf"
    assert filename_for(attachment, PARTNER) == "张三138****5678收据.pdf"


# ----------------------------------------------------------------- the check


def test_an_upload_that_is_what_was_declared_passes():
    assert verdict(declared(), observed(PNG)) is None
    pdf = b"%PDF-1.7\n" + b"0" * 100
    jpeg = b"\xff\xd8\xff\xe0" + b"0" * 100
    assert verdict(declared(pdf, "application/pdf"), observed(pdf, "application/pdf")) is None
    assert verdict(declared(jpeg, "image/jpeg"), observed(jpeg, "image/jpeg")) is None


@pytest.mark.parametrize(("found", "reason"), [
    (Observed(exists=False), RejectReason.NOT_UPLOADED),
    (observed(PNG + b"!"), RejectReason.SIZE_MISMATCH),
    (Observed(True, len(PNG) + 1, None, b"", "image/png", '"e"'), RejectReason.SIZE_MISMATCH),  # not even read
    (observed(PNG[:-1] + b"!"), RejectReason.SHA256_MISMATCH),
    (observed(PNG, "image/jpeg"), RejectReason.CONTENT_TYPE_MISMATCH),  # stored as another type
])
def test_each_way_an_upload_differs_from_its_declaration_is_named(found, reason):
    assert verdict(declared(), found) is reason


def test_a_file_that_does_not_start_as_its_declared_type_is_a_type_mismatch_even_with_the_right_hash():
    pdf = b"%PDF-1.4 not a png at all" + b"0" * 30
    assert verdict(declared(pdf, "image/png"), observed(pdf)) is RejectReason.CONTENT_TYPE_MISMATCH
    assert verdict(declared(b"GIF89a" + b"0" * 30, "image/jpeg"), observed(b"GIF89a" + b"0" * 30, "image/jpeg")) \
        is RejectReason.CONTENT_TYPE_MISMATCH


def test_settling_records_the_outcome_and_the_event_names_the_file_not_its_name():
    stored = declared().settled(None, NOW)
    assert (stored.status, stored.reason, stored.stored_at) == (AttachmentStatus.STORED, None, NOW)
    rejected = declared().settled(RejectReason.SIZE_MISMATCH, NOW)
    assert (rejected.status, rejected.stored_at) == (AttachmentStatus.REJECTED, None)
    event = rejected.event(EVENT_REJECTED, NOW, "system")
    assert event.detail == {"attachment_id": rejected.attachment_id, "kind": "evidence", "reason": "size_mismatch"}
    assert stored.event(EVENT_STORED, NOW, "mediator:M-CN-1").detail == {
        "attachment_id": stored.attachment_id, "kind": "evidence"}


def test_a_pending_upload_is_abandoned_only_long_after_its_post_expired():
    attachment = declared()
    assert not attachment.abandoned_at(NOW + RECLAIM_AFTER - dt.timedelta(seconds=1))
    assert attachment.abandoned_at(NOW + RECLAIM_AFTER)
    assert not attachment.settled(None, NOW).abandoned_at(NOW + 10 * RECLAIM_AFTER)
