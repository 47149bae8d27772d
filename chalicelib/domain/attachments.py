"""Attachments (证据材料, §14): the files of a case, their rules and the check of an upload.

A file goes straight from the caller to S3, never through the API: the
service records the attachment (`pending`) and hands out a presigned POST
that takes exactly the declared size and type at one key under
`UPLOAD_PREFIX`. When the caller says it is done (`complete`), the service
reads the object once and compares it with the declaration (`verdict`):
size, SHA-256 and the leading bytes of the declared type. A file that
matches is moved to its key under `STORED_PREFIX` and the attachment is
`stored`; one that does not is deleted and the attachment is `rejected`
with the reason. Object keys are made of ids only: a caller's file name
is never part of a key.

A case holds at most `MAX_PER_CASE` attachments, pending and stored ones
counted (a rejected one gives its place back); partners upload `evidence`
and `other` only, and never see `id_proof`.
"""

from __future__ import annotations

import datetime as dt
import secrets
import unicodedata
from dataclasses import dataclass, replace

from .access import Principal
from .calendar import BUSINESS_TZ
from .case import Event
from .enums import LabelledEnum, Role, WireEnum
from .masking import redact_text

MAX_BYTES = 20 * 2**20
"""The largest file: 20 MiB."""
MAX_PER_CASE = 50
"""Attachments one case holds at most (pending and stored)."""
UPLOAD_SECONDS = 900
"""How long a presigned POST is valid."""
LINK_SECONDS = 300
"""How long a download link is valid."""
RECLAIM_AFTER = dt.timedelta(seconds=2 * UPLOAD_SECONDS)
"""A pending attachment older than this is settled by the service itself when the case is at its
limit (an upload still running as its POST expired has had as long again to finish)."""
MAX_FILENAME = 255
UPLOAD_PREFIX = "uploads/"
"""Where presigned POSTs put files; the bucket's lifecycle empties it after a day, so a POST used
again after `complete` lands nowhere that matters."""
STORED_PREFIX = "files/"
"""Where checked files are kept (no expiry)."""


class AttachmentKind(LabelledEnum):
    """材料类别."""

    EVIDENCE = ("evidence", "证据材料")
    ID_PROOF = ("id_proof", "身份证明")
    AGREEMENT_SIGNED = ("agreement_signed", "已签署的调解协议书")
    PERFORMANCE_RECEIPT = ("performance_receipt", "履行凭证")
    COURT_MATERIAL = ("court_material", "法院材料")
    OTHER = ("other", "其他")


PARTNER_KINDS = frozenset({AttachmentKind.EVIDENCE, AttachmentKind.OTHER})
"""What a partner may upload."""
HIDDEN_FROM_PARTNERS = frozenset({AttachmentKind.ID_PROOF})
"""What a partner never sees (404 to them, left out of their lists and timelines)."""


class AttachmentStatus(WireEnum):
    PENDING = "pending"
    STORED = "stored"
    REJECTED = "rejected"


class RejectReason(WireEnum):
    """Why an upload was rejected (and deleted), in the order they are checked."""

    NOT_UPLOADED = "not_uploaded"
    SIZE_MISMATCH = "size_mismatch"
    SHA256_MISMATCH = "sha256_mismatch"
    CONTENT_TYPE_MISMATCH = "content_type_mismatch"


MAGIC_BYTES: dict[str, bytes] = {
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "application/pdf": b"%PDF-",
}
"""The content types taken, each with the bytes its files start with."""
CONTENT_TYPES = tuple(MAGIC_BYTES)
LEADING_BYTES = max(map(len, MAGIC_BYTES.values()))
"""How many leading bytes of a file the check needs."""

EVENT_CREATED = "attachment_created"
EVENT_STORED = "attachment_stored"
EVENT_REJECTED = "attachment_rejected"
EVENT_LINK_ISSUED = "attachment_link_issued"
ATTACHMENT_EVENTS = frozenset({EVENT_CREATED, EVENT_STORED, EVENT_REJECTED, EVENT_LINK_ISSUED})
"""Every access to a file is on the case's timeline: the upload asked for, its outcome, each
download link handed out. The detail names the attachment and its kind, not the file."""

_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Direction marks and overrides: `invoice\u202egpj.exe` shows as `invoiceexe.jpg`."""


def filename_problem(filename: str) -> str | None:
    """Why a file name is refused, or None: 1–255 characters, not blank (nor only invisible
    characters), no path separator, no control character (nor a direction mark or override, nor
    U+2028/U+2029), and not `.` or `..`."""
    if not 1 <= len(filename) <= MAX_FILENAME:
        return f"must be 1 to {MAX_FILENAME} characters"
    if all(char.isspace() or unicodedata.category(char) == "Cf" for char in filename):
        return "must not be blank (whitespace and invisible format characters do not count)"
    if "/" in filename or "\\" in filename:
        return "must be a file name, without / or \\"
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in _BIDI_CONTROLS for char in filename):
        return "control characters are not allowed"
    if filename in (".", ".."):
        return "must be a file name, not . or .."
    return None


def new_attachment_id(now: dt.datetime) -> str:
    """`AT20261123` + 16 random hex digits: sortable by day, unguessable."""
    return f"AT{now.astimezone(BUSINESS_TZ):%Y%m%d}{secrets.token_hex(8).upper()}"


def is_attachment_id(text: str) -> bool:
    return len(text) == 26 and text.startswith("AT") and text[2:10].isdigit() and all(
        char in "0123456789ABCDEF" for char in text[10:])


@dataclass(frozen=True)
class Attachment:
    """证据材料: one file of a case, as declared by its uploader and as the check found it."""

    attachment_id: str
    case_id: str
    kind: AttachmentKind
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    """Lowercase hex."""
    created_at: dt.datetime
    created_by: str
    """The uploader (`Principal.actor`)."""
    status: AttachmentStatus = AttachmentStatus.PENDING
    reason: RejectReason | None = None
    settled_at: dt.datetime | None = None
    """When it became stored or rejected."""

    @property
    def upload_key(self) -> str:
        return f"{UPLOAD_PREFIX}{self.case_id}/{self.attachment_id}"

    @property
    def stored_key(self) -> str:
        return f"{STORED_PREFIX}{self.case_id}/{self.attachment_id}"

    @property
    def stored_at(self) -> dt.datetime | None:
        return self.settled_at if self.status is AttachmentStatus.STORED else None

    @property
    def is_pending(self) -> bool:
        return self.status is AttachmentStatus.PENDING

    def abandoned_at(self, now: dt.datetime) -> bool:
        """Pending long after its POST expired: the service may settle it itself."""
        return self.is_pending and now >= self.created_at + RECLAIM_AFTER

    def settled(self, reason: RejectReason | None, now: dt.datetime) -> Attachment:
        """Stored (no reason) or rejected for `reason`."""
        status = AttachmentStatus.REJECTED if reason else AttachmentStatus.STORED
        return replace(self, status=status, reason=reason, settled_at=now)

    def event(self, event_type: str, at: dt.datetime, actor: str) -> Event:
        detail: dict = {"attachment_id": self.attachment_id, "kind": self.kind.value}
        if event_type == EVENT_REJECTED and self.reason:
            detail["reason"] = self.reason.value
        return Event(at, event_type, actor, detail)


def visible_to(kind: AttachmentKind, principal: Principal) -> bool:
    """Staff see every attachment of a case in their view; partners all but `id_proof`."""
    return principal.role is not Role.PARTNER or kind not in HIDDEN_FROM_PARTNERS


def filename_for(attachment: Attachment, principal: Principal, in_full: bool | None = None) -> str:
    """The file's name as the caller reads it (lists, download links): a partner's with any phone
    or ID number in it masked, as in every text partners read, and so is that of staff who do not
    read the case in full (`in_full` False: a sensitive case, `access.sees_parties_in_full`)."""
    shown_in_full = principal.is_staff if in_full is None else in_full
    return attachment.filename if shown_in_full else redact_text(attachment.filename)


IDENTITY_KINDS = frozenset({AttachmentKind.ID_PROOF, AttachmentKind.AGREEMENT_SIGNED, AttachmentKind.COURT_MATERIAL})
"""Files that show a party's identity in full (the identity document; the signed agreement and
the court's papers, which name the parties with their ID numbers): of a sensitive case (a
party under 14), only those who read it in full download them."""


def may_download(kind: AttachmentKind, reads_in_full: bool) -> bool:
    """Whether a caller who sees the attachment gets its file: an identity document only if they
    read the case's parties in full (`access.sees_parties_in_full`), every other kind always."""
    return reads_in_full or kind not in IDENTITY_KINDS


def may_upload(kind: AttachmentKind, principal: Principal) -> bool:
    """Staff upload every kind; partners `evidence` and `other`."""
    return principal.role is not Role.PARTNER or kind in PARTNER_KINDS


@dataclass(frozen=True)
class Observed:
    """What reading an uploaded object found: nothing (`exists` False), or its size, SHA-256
    (lowercase hex), first `LEADING_BYTES` bytes and the Content-Type it was stored with. A
    reader that learns the size is wrong before reading need not hash (`sha256` None)."""

    exists: bool
    size: int = 0
    sha256: str | None = None
    leading: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    """The version read, which the move to the stored key is conditioned on."""


def verdict(attachment: Attachment, observed: Observed) -> RejectReason | None:
    """None when the object is what was declared; otherwise the first reason it is not."""
    if not observed.exists:
        return RejectReason.NOT_UPLOADED
    if observed.size != attachment.size_bytes:
        return RejectReason.SIZE_MISMATCH
    if observed.sha256 != attachment.sha256:
        return RejectReason.SHA256_MISMATCH
    stored_type = (observed.content_type or "").split(";")[0].strip().lower()
    if not observed.leading.startswith(MAGIC_BYTES[attachment.content_type]) or stored_type != attachment.content_type:
        return RejectReason.CONTENT_TYPE_MISMATCH
    return None
