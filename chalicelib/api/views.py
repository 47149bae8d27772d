"""Rendering domain objects as the contract's JSON views."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from enum import Enum
from typing import Any

from ..adapters.clock import from_storage, to_storage
from ..domain.access import Principal, sees_parties_in_full
from ..domain.agreement import TEXT_FIELDS
from ..domain.attachments import ATTACHMENT_EVENTS, HIDDEN_FROM_PARTNERS
from ..domain.calendar import business_times, rfc3339
from ..domain.case import Case, Event, ExtensionRequest, Suspension
from ..domain.duplicates import PossibleDuplicate
from ..domain.judicial import CLOSING_NOTIFIED
from ..domain.judicial import FIELD as JUDICIAL_FIELD
from ..domain.directory import Mediator, Org, Partner, Region
from ..domain.masking import mask_name, mask_party, mask_phone, redact_text
from ..domain.retention import erased_deep
from ..domain.sessions import Session
from ..domain.sponsorship import Sponsor
from ..domain.public_lookup import CaseProgress
from ..services.action_registry import available_actions


def _amount(value: float | None) -> int | float | None:
    """5000, not 5000.0: a whole amount in yuan goes out as it came in."""
    return int(value) if value is not None and float(value).is_integer() else value


def case_view(case: Case, principal: Principal, outcome_status: str | None = None,
              now: dt.datetime | None = None) -> dict[str, Any]:
    """The contract's case view. Staff see the possible duplicates, the merge links and the actions
    they may take now (`available_actions`); a partner never learns another case exists: its
    merged case shows `outcome_status` instead."""
    view = _case_fields(case, principal)
    if principal.is_staff:
        view.update(possible_duplicates=[duplicate_view(d) for d in case.possible_duplicates],
                    merged_into=case.merged_into, merged_from=[s.case_id for s in case.merged_sources],
                    available_actions=available_actions(case, principal, now or dt.datetime.now(dt.timezone.utc)))
    elif case.merged_into:
        view["outcome_status"] = outcome_status
    return business_times(view)  # the moments nested in stored JSON (visits, agreement, judicial...)


def duplicate_view(duplicate: PossibleDuplicate) -> dict[str, Any]:
    return {"case_id": duplicate.case_id, "reasons": [r.value for r in duplicate.reasons], "score": duplicate.score}


def _case_fields(case: Case, principal: Principal) -> dict[str, Any]:
    parties = [p.to_dict() for p in case.parties]
    in_full = sees_parties_in_full(principal, case)
    if not in_full:
        parties = [mask_party(p) for p in parties]
    text = (lambda value: value) if in_full else _redacted
    # the partner's own report goes back to it as filed; staff not reading a sensitive case in
    # full read it with any phone or ID number masked (a child's, typed into the description)
    report = _redacted if principal.is_staff and not in_full else (lambda value: value)
    return {
        "case_id": case.case_id,
        "external_ref": case.external_ref,
        "partner_id": case.partner_id,
        "status": case.status.value,
        "public_code": case.public_code,
        "channel": case.channel.value,
        "title": report(case.title),
        "description": report(case.description),
        "region_code": case.region_code,
        "address": report(case.address),
        "party_count": case.party_count,
        "amount_cny": _amount(case.amount_cny),
        "risk_indicators": [i.value for i in case.risk_indicators],
        "category": case.category.value,
        "category_source": case.category_source.value,
        "risk_level": case.risk_level.value,
        "tier": case.tier.value if case.tier else None,
        "mediation_type": case.mediation_type.value if case.mediation_type else None,
        "org_id": case.org_id,
        "mediator_id": case.mediator_id,
        "received_at": rfc3339(case.received_at),
        "accept_due_at": rfc3339(case.accept_due_at),
        "resolve_due_at": rfc3339(case.resolve_due_at),
        "resolve_due_at_original": rfc3339(case.resolve_due_at_original),
        "extension": extension_view(case.extension, text),
        "suspended": case.suspended,
        "suspensions": [suspension_view(s, text) for s in case.suspensions],
        "supervision_level": case.supervision_level,
        "overdue": case.overdue,
        "rectification_required": case.rectification_required,
        "parties": parties,
        "agreement": agreement_view(case, text),
        "referral": case.referral,
        "transfer": {**case.transfer, "reason": text(case.transfer["reason"])} if case.transfer else None,
        "participants": participants_view(case),
        "sessions": [session_view(session, in_full) for session in case.sessions],
        "sponsor": sponsor_view(case.sponsor, in_full),
        "return_visits": case.return_visits,
        "self_evaluation": self_evaluation_view(case.self_evaluation, text),
        "retention_hold": case.retention_hold,
        "anonymised_at": rfc3339(case.anonymised_at),
        "version": case.version,
        "sensitive": case.sensitive,
    }


def participants_view(case: Case) -> list[dict[str, Any]]:
    """联合调解: the lead (the assigned org, since it was dispatched) and the assisting orgs."""
    lead = [{"org_id": case.org_id, "role": "lead", "joined_at": rfc3339(case.dispatched_at)}] if case.org_id else []
    return lead + [{"org_id": p.org_id, "role": "assist", "joined_at": rfc3339(p.joined_at)}
                   for p in case.participants]


def session_view(session: Session, in_full: bool) -> dict[str, Any]:
    """调解会; for a partner the duty lawyer's name masked and the place as free text is."""
    lawyer = None
    if session.lawyer is not None:
        lawyer = {"name": session.lawyer.name if in_full else mask_name(session.lawyer.name),
                  "firm": session.lawyer.firm}
    return {"session_id": session.session_id, "starts_at": rfc3339(session.starts_at), "mode": session.mode.value,
            "place": session.place if in_full else _redacted(session.place),
            "mediator_ids": list(session.mediator_ids), "lawyer": lawyer,
            "reminder": session.reminder.value if session.reminder else None,
            "cancelled_at": rfc3339(session.cancelled_at)}


def sponsor_view(sponsor: Sponsor | None, in_full: bool) -> dict[str, Any] | None:
    """领导包案: the leader by name and title (the name masked for a partner; the phone, which
    the SMS goes to, for nobody)."""
    if sponsor is None:
        return None
    return {"leader_name": sponsor.leader_name if in_full else mask_name(sponsor.leader_name),
            "leader_title": sponsor.leader_title, "due_on": sponsor.due_on.isoformat(),
            "sponsored_at": rfc3339(sponsor.sponsored_at)}


def _redacted(value: str | None) -> str | None:
    """Staff's free text as a partner reads it: any phone or ID number in it masked."""
    return redact_text(value) if value else value


def agreement_view(case: Case, text=_redacted) -> dict[str, Any] | None:
    """The agreement (`agreement_text_view`) with its judicial confirmation (司法确认) as it stands,
    every key present, the sweep's bookkeeping left out (a court's reason is staff's text too)."""
    if case.agreement is None:
        return None
    view = agreement_text_view(case.agreement, text)
    state = case.judicial_state()
    if state is not None:
        view[JUDICIAL_FIELD] = {name: text(value) if name == "reason" else value
                                for name, value in state.items() if name != CLOSING_NOTIFIED}
    return view


def agreement_text_view(agreement: dict[str, Any], text=_redacted) -> dict[str, Any]:
    """The agreement as recorded (`domain.agreement`); for a partner, its free text (summary,
    facts, each term, the way and place of performance) with any phone or ID number masked."""
    view = dict(agreement)
    for name in TEXT_FIELDS:
        if name in view:
            view[name] = text(view[name])
    if "terms" in view:
        view["terms"] = [text(term) for term in view["terms"]]
    return view


def extension_view(request: ExtensionRequest | None, text=_redacted) -> dict[str, Any] | None:
    if request is None:
        return None
    return {"status": request.status.value, "working_days": request.working_days, "reason": text(request.reason),
            "requested_at": rfc3339(request.requested_at), "decided_at": rfc3339(request.decided_at),
            "note": text(request.note)}


def suspension_view(suspension: Suspension, text=_redacted) -> dict[str, Any]:
    return {"reason_code": suspension.reason_code.value, "reason": text(suspension.reason),
            "suspended_at": rfc3339(suspension.suspended_at), "resume_on": suspension.resume_on.isoformat(),
            "resumed_at": rfc3339(suspension.resumed_at), "working_days": suspension.working_days}


def self_evaluation_view(evaluation: dict[str, Any] | None, text=_redacted) -> dict[str, Any] | None:
    """当事人评价 as recorded; its comment is free text (masked for partners)."""
    if evaluation is None:
        return None
    return {"at": evaluation["at"], "satisfaction": evaluation["satisfaction"],
            "comment": text(evaluation.get("comment"))}


def event_view(event: Event) -> dict[str, Any]:
    """An event; the moments of its detail, stored as `isoformat()` gave them (UTC, microseconds),
    rendered in +08:00 to the second like every other time (render time: old events too)."""
    return {"at": rfc3339(event.at), "type": event.type, "actor": event.actor,
            "detail": business_times(event.detail)}


STAFF_ONLY_EVENTS = frozenset({"duplicate_suspected", "merged_in"})
"""Timeline events about other cases: a partner's timeline leaves them out."""
PARTNER_DETAIL_FIELDS = frozenset({
    "channel", "external_ref", "category", "category_source", "status", "tier", "from_tier", "to_tier", "mediation_type", "org_id", "mediator_id", "risk_level",
    "party_count", "accept_due_at", "resolve_due_at", "previous_resolve_due_at", "working_days", "due_on",
    "resume_on", "lapsed_on", "transferred_at", "starts_at", "session_id", "agreement", "referral",
    "judicial_confirmation", "window_ends_on", "kind", "attachment_id",
})
"""What a partner reads of an event's detail: the fields that restate what its case view shows (who
has the case at which tier, the deadlines, the outcome). The rest is the centre's internal working,
left out: the routing reason (other mediators' open-case counts, the tiers tried), the risk rules
that fired (a repeat party is another case), staff's notes and reasons, supervision steps, the
leader sponsoring, return-visit answers."""


def timeline_view(events: list[Event], principal: Principal, in_full: bool = True) -> list[dict[str, Any]]:
    """The timeline as the caller may read it: a partner's without other cases' ids (§12), and
    with any phone or ID number in staff's text (a note, a reason, the agreement) masked; staff
    not reading a sensitive case in full (`in_full` False) see every event, its text masked so."""
    if principal.is_staff:
        if not in_full:
            return [event_view(replace(event, detail=_redacted_deep(event.detail))) for event in events]
        return [event_view(event) for event in events]
    shown = []
    for event in events:
        if event.type in STAFF_ONLY_EVENTS or _hidden_attachment_event(event):
            continue
        detail = {k: v for k, v in event.detail.items() if k in PARTNER_DETAIL_FIELDS}
        if "related_case_id" in event.detail:
            detail["reason"] = RELATED_REASON_FOR_PARTNERS
        shown.append(event_view(replace(event, actor=partner_actor(event.actor), detail=_redacted_deep(detail))))
    return shown


def partner_actor(actor: str) -> str:
    """An event's actor as a partner reads it: the system and partners as they are, staff by their
    role only (`mediator:M01` is `mediator`, `admin:alice` is `admin`), not by their account."""
    if actor == "system" or actor.startswith("partner:"):
        return actor
    return actor.split(":", 1)[0]


def _redacted_deep(value: Any) -> Any:
    """Every string in a timeline detail as a partner reads it (`_redacted`)."""
    return erased_deep(value, _redacted)


def _hidden_attachment_event(event: Event) -> bool:
    """An access to a file partners never see (`id_proof`): not on a partner's timeline either."""
    return event.type in ATTACHMENT_EVENTS and event.detail.get("kind") in {k.value for k in HIDDEN_FROM_PARTNERS}


RELATED_REASON_FOR_PARTNERS = "routed to the org already handling a case of the same party (首接负责)"


def letter_view(letter: dict[str, Any]) -> dict[str, Any]:
    """A supervision letter (督办函) as stored, its moments in +08:00 to the second."""
    return business_times(letter)


def notification_view(record: dict[str, Any], in_full: bool = True) -> dict[str, Any]:
    """Recipients are masked for every reader, and for a partner (`in_full` False) any phone or
    ID number in the text (staff's free text, a session's place). Besides the contract's
    sent/deferred/failed/suppressed, a record shows `pending` until the sender takes it and
    `sending` while it does; the template it was sent with, the provider's receipt
    (`message_id`: BizId, SerialNo, SNS MessageId) or `error_code`, the slot the frequency
    limits hold it to (`held_until`), and the digest it went in."""
    return {
        "kind": record["kind"],
        "to": mask_phone(record["to"]) if record.get("to") else None,
        "text": record["text"] if in_full else _redacted(record["text"]),
        "status": record["status"],
        "created_at": rfc3339(from_storage(record.get("created_at"))),
        "sent_at": rfc3339(from_storage(record.get("sent_at"))),
        "template": record.get("template") or record["kind"],
        "provider": record.get("provider"),
        "message_id": record.get("message_id"),
        "error_code": record.get("error_code"),
        "held_until": rfc3339(from_storage(record["slot_at"])) if record.get("slot_at") and record["status"] in (
            "deferred", "sending") else None,
        "digest": _digest_view(record.get("sent_as"), in_full),
    }


def _digest_view(sent_as: dict[str, Any] | None, in_full: bool) -> dict[str, Any] | None:
    """The digest SMS (汇总短信) a record went in, with how many cases it named."""
    if not sent_as:
        return None
    text = sent_as.get("text")
    return {"template": sent_as["template"], "count": sent_as["count"],
            "text": text if in_full or text is None else _redacted(text)}


def _directory_value(value: Any) -> Any:
    """Enums as their values, tuples as lists; times as the directory has always shown them,
    UTC with microseconds (2026-11-22T02:00:00.000000+00:00), not in the case view's form."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [_directory_value(item) for item in value]
    if isinstance(value, dt.datetime):
        return to_storage(value)
    return value


def _directory_view(entry: Any, *names: str) -> dict[str, Any]:
    """The named fields of a directory entry, in alphabetical order as the directory has always given them."""
    return {name: _directory_value(getattr(entry, name)) for name in sorted(names)}


def region_view(region: Region) -> dict[str, Any]:
    return _directory_view(region, "code", "name", "parent_code", "created_at")


def org_view(org: Org) -> dict[str, Any]:
    return _directory_view(org, "org_id", "name", "region_code", "tier", "mediation_type", "categories",
                           "head_phone", "created_at")


def mediator_view(mediator: Mediator) -> dict[str, Any]:
    return _directory_view(mediator, "mediator_id", "name", "phone", "org_id", "specialties", "active",
                           "open_cases", "created_at", "updated_at")


def partner_view(partner: Partner) -> dict[str, Any]:
    """Never the secret: the route that registers a partner adds it to that one reply."""
    return _directory_view(partner, "partner_id", "name", "callback_url", "key_id", "enabled", "created_at")


def public_case_view(progress: CaseProgress) -> dict[str, Any]:
    """一案一码查询 (§14): a case's progress as its party sees it, and nothing else of it."""
    return {
        "status": progress.status.value,
        "status_label": progress.status.label,
        "stages": [{"stage": stage.stage, "at": rfc3339(stage.at), "hours": stage.hours} for stage in progress.stages],
        "org_name": progress.org_name,
        "resolve_due_on": progress.resolve_due_on.isoformat() if progress.resolve_due_on else None,
        "extended": progress.extended,
        "suspended": progress.suspended,
        "next_visit_due_on": progress.next_visit_due_on.isoformat() if progress.next_visit_due_on else None,
    }
