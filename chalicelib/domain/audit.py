"""The access audit (访问审计, PIPL): who read which case's personal data in full, when, and why.

Every staff read that returns a party's full phone or ID number, every attachment download
link and every export is one `AccessRecord` per case it touches: the actor, the time, the
kind of read, the stated `purpose` (optional) and counts of what it revealed (phones, ID
numbers, files). A record never holds the data itself. Partners read parties masked: their
case reads are not audited (their file downloads are, like everyone's).
"""

from __future__ import annotations

import datetime as dt
import secrets
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable

from .masking import redact_text
from .enums import WireEnum

PURPOSE_MAX_LENGTH = 200
"""The longest `purpose` a read may state (characters)."""
LEDGER_PARTITION = "AUDIT#ledger"
"""Where ledger exports are recorded: an export covers many cases, known only as it is written."""


class AccessKind(WireEnum):
    CASE_VIEW = "case_view"
    """`GET /v1/cases/{id}` in full."""
    CASE_LIST = "case_list"
    """A page of `GET /v1/cases` in full (one record per case on it that revealed something)."""
    ATTACHMENT_DOWNLOAD = "attachment_download"
    """A download link of an attachment (证据材料)."""
    AGREEMENT_DOCUMENT = "agreement_document"
    """The agreement document (人民调解协议书), which names the parties in full."""
    LEDGER_EXPORT = "ledger_export"
    """A case ledger (台账): its answer or its export job (masked, recorded all the same)."""


class BadPurpose(ValueError):
    """A `purpose` that is not short plain text; the message never repeats it."""


def checked_purpose(value: str | None) -> str | None:
    """The stated purpose of a read, trimmed: plain text of 1 to `PURPOSE_MAX_LENGTH` characters,
    without control or format characters (no line breaks, no bidi overrides); None if not given."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        raise BadPurpose("purpose is empty: leave it out or say why")
    if len(text) > PURPOSE_MAX_LENGTH:
        raise BadPurpose(f"purpose is longer than {PURPOSE_MAX_LENGTH} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in text):
        raise BadPurpose("purpose must be plain text: no control, format or unassigned characters")
    return redact_text(text)  # a phone or ID number typed into it is kept masked, as in a log


@dataclass(frozen=True)
class Revealed:
    """What a read handed out in full: counts only."""

    phones: int = 0
    id_numbers: int = 0
    files: int = 0

    @property
    def anything(self) -> bool:
        return bool(self.phones or self.id_numbers or self.files)


def revealed_parties(parties: Iterable[Any], in_full: bool) -> Revealed:
    """The phones and ID numbers of `parties` a reader sees in full (none when masked)."""
    if not in_full:
        return Revealed()
    parties = list(parties)
    return Revealed(phones=sum(1 for p in parties if p.phone), id_numbers=sum(1 for p in parties if p.id_number))


@dataclass(frozen=True)
class AccessRecord:
    """One read of one case (or one ledger export, in `LEDGER_PARTITION`)."""

    case_id: str
    at: dt.datetime
    actor: str
    kind: AccessKind
    revealed: Revealed
    purpose: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    """What else names the read, never personal data: an attachment id, a ledger's scope."""
    record_id: str = ""

    @classmethod
    def new(cls, case_id: str, at: dt.datetime, actor: str, kind: AccessKind, revealed: Revealed,
            purpose: str | None = None, **detail: Any) -> AccessRecord:
        return cls(case_id, at, actor, kind, revealed, purpose, detail, secrets.token_hex(6))


def case_read_records(cases: Iterable[Any], in_full_of, actor: str, kind: AccessKind, at: dt.datetime,
                      purpose: str | None) -> list[AccessRecord]:
    """The records of a read of these cases: one per case that revealed a phone or ID number in
    full (`in_full_of(case)` tells whether the reader saw it so); none for the rest."""
    records = []
    for case in cases:
        revealed = revealed_parties(case.parties, in_full_of(case))
        if revealed.anything:
            records.append(AccessRecord.new(case.case_id, at, actor, kind, revealed, purpose))
    return records
