"""The dossier (卷宗, §14): which of the six items a case's file holds, derived from the case
and its attachments.

Each item is one rule: when it is present, when it is not needed at all
(`not_applicable`), and missing otherwise. Presence is decided first: a
file that is there is shown as there (a withdrawn case's evidence), even
where the item would not be required. A dossier is complete when no item is
missing.

- registration (登记): always present, the case itself.
- agreement (调解协议书): present when the agreement holds `facts` and `terms`
  (the document can be generated); not needed when the case ended without an
  agreement (unresolved, withdrawn, merged, closed after failing).
- signed_agreement (签字协议书): a stored `agreement_signed` file; not needed
  as for the agreement.
- visit_records (回访记录): present when return visits were planned and all
  are done; not needed when none were planned and the case ended without an
  agreement.
- evidence (证据材料): a stored `evidence` file; not needed for a withdrawn or
  merged case.
- judicial_confirmation (司法确认): needed once the parties filed with the
  court; present when the court decided and its `court_material` is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from .attachments import Attachment, AttachmentKind, AttachmentStatus
from .case import Case
from .enums import CaseStatus, WireEnum


class DossierItem(WireEnum):
    REGISTRATION = "registration"
    AGREEMENT = "agreement"
    SIGNED_AGREEMENT = "signed_agreement"
    VISIT_RECORDS = "visit_records"
    EVIDENCE = "evidence"
    JUDICIAL_CONFIRMATION = "judicial_confirmation"


class ItemStatus(WireEnum):
    PRESENT = "present"
    MISSING = "missing"
    NOT_APPLICABLE = "not_applicable"


JC_UNDECIDED = frozenset({"filed", "accepted"})
"""Judicial confirmation (司法确认) statuses while the court has the case: the item is awaited."""
JC_DECIDED = frozenset({"confirmed", "rejected", "not_accepted"})
"""Statuses once the court has decided: its material belongs in the dossier."""
WITHOUT_EVIDENCE = frozenset({CaseStatus.WITHDRAWN, CaseStatus.MERGED, CaseStatus.TRANSFERRED})


@dataclass(frozen=True)
class Facts:
    """What the rules read of a case and its attachments."""

    case: Case
    stored_kinds: frozenset[AttachmentKind]

    @property
    def ended_without_agreement(self) -> bool:
        return not self.case.is_open and self.case.agreement is None

    @property
    def agreement_document_ready(self) -> bool:
        agreement = self.case.agreement or {}
        facts, terms = agreement.get("facts"), agreement.get("terms")
        return (isinstance(facts, str) and bool(facts.strip()) and isinstance(terms, list)
                and any(isinstance(term, str) and term.strip() for term in terms))

    @property
    def judicial_confirmation_status(self) -> str | None:
        confirmation = (self.case.agreement or {}).get("judicial_confirmation") or {}
        return confirmation.get("status") if isinstance(confirmation, dict) else None

    def stored(self, kind: AttachmentKind) -> bool:
        return kind in self.stored_kinds


@dataclass(frozen=True)
class Rule:
    item: DossierItem
    present: Callable[[Facts], bool]
    not_applicable: Callable[[Facts], bool]


def _visits_done(facts: Facts) -> bool:
    visits = facts.case.return_visits
    return bool(visits) and all(visit.get("done_at") for visit in visits)


def _jc_present(facts: Facts) -> bool:
    return facts.judicial_confirmation_status in JC_DECIDED and facts.stored(AttachmentKind.COURT_MATERIAL)


def _jc_not_needed(facts: Facts) -> bool:
    status = facts.judicial_confirmation_status
    return facts.case.agreement is None or status not in JC_UNDECIDED | JC_DECIDED


RULES: tuple[Rule, ...] = (
    Rule(DossierItem.REGISTRATION, present=lambda f: True, not_applicable=lambda f: False),
    Rule(DossierItem.AGREEMENT, present=lambda f: f.agreement_document_ready,
         not_applicable=lambda f: f.ended_without_agreement),
    Rule(DossierItem.SIGNED_AGREEMENT, present=lambda f: f.stored(AttachmentKind.AGREEMENT_SIGNED),
         not_applicable=lambda f: f.ended_without_agreement),
    Rule(DossierItem.VISIT_RECORDS, present=_visits_done,
         not_applicable=lambda f: not f.case.return_visits and f.ended_without_agreement),
    Rule(DossierItem.EVIDENCE, present=lambda f: f.stored(AttachmentKind.EVIDENCE),
         not_applicable=lambda f: f.case.status in WITHOUT_EVIDENCE),
    Rule(DossierItem.JUDICIAL_CONFIRMATION, present=_jc_present, not_applicable=_jc_not_needed),
)
"""The six items in the contract's order, each with when it is present and when it is not needed."""


def dossier(case: Case, attachments: Iterable[Attachment]) -> list[tuple[DossierItem, ItemStatus]]:
    """Every item of the case's dossier with its status, in the contract's order."""
    facts = Facts(case, frozenset(a.kind for a in attachments if a.status is AttachmentStatus.STORED))
    items = []
    for rule in RULES:
        if rule.present(facts):
            status = ItemStatus.PRESENT
        elif rule.not_applicable(facts):
            status = ItemStatus.NOT_APPLICABLE
        else:
            status = ItemStatus.MISSING
        items.append((rule.item, status))
    return items


def is_complete(items: Iterable[tuple[DossierItem, ItemStatus]]) -> bool:
    return all(status is not ItemStatus.MISSING for _, status in items)

