"""The agreement document (人民调解协议书, 人民调解法 §28–§33): what it says of a resolved case.

A resolved (or later closed) case with an agreement that states its facts
and terms has a document: the case code and id, the org that mediated and
the mediator, every party in full (role, name, ID number, phone), the facts
and matters in dispute, the terms numbered, how, where and by when they are
performed, the day it took effect, how many copies there are (one for each
party and one the committee keeps) and the signature lines. What it looks
like is the Word template's (`chalicelib/templates/agreement.docx`); the
names it may use are the keys of `AgreementDocument.fields`:

    title, case_code, case_id, org_name, mediator_name, parties (each: role,
    name, id_number, phone; "" when not given), facts, terms (each: number,
    text), summary, performance_method, performance_place, performance_due,
    effective_on, copies

Every value is plain text (dates as `2026年12月31日`); the renderer escapes it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .agreement import missing_fields
from .calendar import business_day
from .case import Case, RuleBroken
from .enums import CaseStatus, PartyRole

TITLE = "人民调解协议书"
DOCUMENT_STATUSES = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED})
NOT_AGREED = "未约定"
"""What the document says of a way or a place of performance the agreement does not name."""
NO_CODE = "—"
"""The case code of a case that has none."""


class AgreementIncomplete(Exception):
    """The agreement lacks what its document needs (HTTP 422 naming each field)."""

    def __init__(self, fields: list[str]):
        super().__init__(f"the agreement document needs {', '.join(fields)}: record them with resolve")
        self.fields = fields


def chinese_date(day: dt.date) -> str:
    """2026-12-31 → 2026年12月31日."""
    return f"{day.year}年{day.month}月{day.day}日"


def check_document_ready(case: Case) -> None:
    """A case has an agreement document once resolved (RuleBroken, 409, before), and only when
    its agreement states the facts and the terms (AgreementIncomplete, 422)."""
    if case.status not in DOCUMENT_STATUSES or case.agreement is None:
        raise RuleBroken(f"the case is {case.status.value}: the agreement document exists once it is resolved")
    missing = missing_fields(case.agreement)
    if missing:
        raise AgreementIncomplete(missing)


@dataclass(frozen=True)
class DocumentParty:
    """A party as the document names it: the role's Chinese label, and everything in full."""

    role: str
    name: str
    id_number: str
    phone: str


@dataclass(frozen=True)
class AgreementDocument:
    case_id: str
    public_code: str | None
    org_name: str
    mediator_name: str
    parties: tuple[DocumentParty, ...]
    facts: str
    terms: tuple[str, ...]
    summary: str
    performance_method: str | None
    performance_place: str | None
    performance_due: dt.date
    effective_on: dt.date

    @property
    def copies(self) -> int:
        """本协议一式N份: one for each party, one the committee keeps."""
        return len(self.parties) + 1

    @property
    def filename(self) -> str:
        return f"{TITLE}-{self.case_id}.docx"

    def fields(self) -> dict[str, Any]:
        """The template's variables."""
        return {
            "title": TITLE,
            "case_code": self.public_code or NO_CODE,
            "case_id": self.case_id,
            "org_name": self.org_name,
            "mediator_name": self.mediator_name,
            "parties": [{"role": p.role, "name": p.name, "id_number": p.id_number, "phone": p.phone}
                        for p in self.parties],
            "facts": self.facts,
            "terms": [{"number": number, "text": text} for number, text in enumerate(self.terms, start=1)],
            "summary": self.summary,
            "performance_method": self.performance_method or NOT_AGREED,
            "performance_place": self.performance_place or NOT_AGREED,
            "performance_due": chinese_date(self.performance_due),
            "effective_on": chinese_date(self.effective_on),
            "copies": str(self.copies),
        }


def _role_label(role: str) -> str:
    try:
        return PartyRole(role).label
    except ValueError:
        return role


def agreement_document(case: Case, org_name: str | None, mediator_name: str | None) -> AgreementDocument:
    """The document of a resolved case, given the names of its org and mediator (their ids when
    the directory has none)."""
    check_document_ready(case)
    agreement = case.agreement
    parties = tuple(DocumentParty(_role_label(p.role), p.name, p.id_number or "", p.phone or "")
                    for p in case.parties)
    return AgreementDocument(
        case_id=case.case_id, public_code=case.public_code,
        org_name=org_name or case.org_id or "", mediator_name=mediator_name or case.mediator_id or "",
        parties=parties, facts=agreement["facts"], terms=tuple(agreement["terms"]), summary=agreement["summary"],
        performance_method=agreement.get("performance_method"), performance_place=agreement.get("performance_place"),
        performance_due=dt.date.fromisoformat(agreement["performance_due"]),
        effective_on=_effective_on(case))


def _effective_on(case: Case) -> dt.date:
    """As recorded; for an agreement recorded before `effective_on` was, the day of `resolve`."""
    recorded = case.agreement.get("effective_on")
    return dt.date.fromisoformat(recorded) if recorded else business_day(case.concluded_at)
