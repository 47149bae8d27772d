"""How a case is laid out in DynamoDB: its model, its timeline items and its look-up keys."""

from __future__ import annotations

import datetime as dt
import secrets

from ..domain.calendar import LIBRARY_CALENDAR
from ..domain.case import SWEEP, Case, Event, ExtensionRequest, MergedSource, Party, SupervisionLetter, Suspension
from ..domain.joint import Participant
from ..domain.sessions import Booking, Lawyer, MediatorSchedule, ReminderState, Session
from ..domain.sponsorship import Sponsor
from ..domain.deadlines import SupervisionStep, ladder
from ..domain.duplicates import DuplicateReason, PossibleDuplicate, place_key
from ..domain.stats import open_red_district
from ..domain.supervision import current_deadline, due_shard, next_check_at, overdue_deadline
from ..domain.retention import retention_due_on, retention_shard
from ..domain.visits import next_visit_check_on, visit_shard
from ..domain.enums import (
    CaseStatus,
    Category,
    CategorySource,
    Channel,
    ExtensionStatus,
    MediationType,
    RiskIndicator,
    RiskLevel,
    SessionMode,
    SuspensionReason,
    Tier,
)
from .clock import from_storage, to_storage
from .models import CaseItemModel, CaseModel

EVENT_PREFIX = "EVT#"
NOTIFICATION_PREFIX = "NTF#"
DELIVERY_PREFIX = "CBK#"
LETTER_PREFIX = "LTR#"
REF_PREFIX = "REF#"
PARTY_PREFIX = "PARTY#"
CODE_PREFIX = "CODE#"
CLAIM_SORT_KEY = "-"


def ref_key(owner: str, external_ref: str) -> str:
    return f"{REF_PREFIX}{owner}#{external_ref}"


def code_key(public_code: str) -> str:
    """The key claiming a case code (一案一码) and pointing from it to its case."""
    return f"{CODE_PREFIX}{public_code}"


TRY_PREFIX = "TRY#"


def try_key(code: str) -> str:
    """The key of the tries at a case code (sort key: the Asia/Shanghai day they were made on)."""
    return f"{TRY_PREFIX}{code}"


def received_key(case: Case) -> str:
    """`<received_at>#<case_id>`: the range key of the case lists (newest first), and of the rows
    that point to a case by its receipt (its party keys, an assisting org's list row)."""
    return f"{to_storage(case.received_at)}#{case.case_id}"


def overdue_key(case_id: str, due_at: dt.datetime) -> str:
    """`<due_at>#<case_id>`: the range key of the sparse overdue index (ascending: most late first)."""
    return f"{to_storage(due_at)}#{case_id}"


def event_from_model(item) -> Event:
    return Event(at=from_storage(item.at), type=item.type, actor=item.actor or "", detail=item.detail or {})


def event_sort_key(event: Event, index: int) -> str:
    """Time, position in its write, and a random tail: two writers never overwrite each other."""
    return f"{EVENT_PREFIX}{to_storage(event.at)}#{index:03d}#{secrets.token_hex(4)}"


def _stored(moment: dt.datetime | None) -> str | None:
    return to_storage(moment) if moment else None


def _enum(enum: type, value: str | None):
    return enum(value) if value is not None else None


def case_to_model(case: Case) -> CaseModel:
    """The model of a case; `version` is the one read, which the save checks and bumps."""
    model = CaseModel(
        case.case_id,
        owner=case.owner,
        external_ref=case.external_ref,
        partner_id=case.partner_id,
        channel=case.channel.value,
        title=case.title,
        description=case.description,
        region_code=case.region_code,
        district_code=case.region_code[:6],
        address=case.address,
        parties=[party.to_dict() for party in case.parties],
        party_count=case.party_count,
        amount_cny=case.amount_cny,
        risk_indicators=[indicator.value for indicator in case.risk_indicators],
        category=case.category.value,
        category_source=case.category_source.value,
        risk_level=case.risk_level.value,
        status=case.status.value,
        public_code=case.public_code,
        tier=case.tier.value if case.tier else None,
        mediation_type=case.mediation_type.value if case.mediation_type else None,
        org_id=case.org_id,
        mediator_id=case.mediator_id,
        received_at=to_storage(case.received_at),
        received_key=received_key(case),
        accept_due_at=_stored(case.accept_due_at),
        resolve_due_at=_stored(case.resolve_due_at),
        supervision_level=case.supervision_level,
        overdue=case.overdue,
        rectification_required=case.rectification_required,
        agreement=case.agreement,
        referral=case.referral,
        return_visits=case.return_visits,
        declined_org_ids=list(case.declined_org_ids),
        route_floor=case.route_floor.value if case.route_floor else None,
        route_retry_at=_stored(case.route_retry_at),
        unroutable_attempts=case.unroutable_attempts or None,
        supervision_steps=list(case.supervision_steps),
        ladder={step.value: to_storage(at) for step, at in case.ladder.items()} or None,
        resolve_due_at_original=_stored(case.resolve_due_at_original),
        extension=extension_to_json(case.extension),
        extensions_approved=case.extensions_approved or None,
        suspensions=[suspension_to_json(s) for s in case.suspensions] or None,
        possible_duplicates=[duplicate_to_json(d) for d in case.possible_duplicates] or None,
        related_case_id=case.related_case_id,
        merged_into=case.merged_into,
        merged_sources=[{"case_id": s.case_id, "partner_id": s.partner_id, "external_ref": s.external_ref}
                        for s in case.merged_sources] or None,
        transfer=case.transfer,
        participants=[participant_to_json(p) for p in case.participants] or None,
        sessions=[session_to_json(s) for s in case.sessions] or None,
        sponsor=sponsor_to_json(case.sponsor),
        dispatched_org_ids=list(case.dispatched_org_ids) or None,
        repeat_party=case.repeat_party or None,
        sensitive=case.sensitive or None,
        letter_months=list(case.letter_months) or None,
        dispatched_at=_stored(case.dispatched_at),
        accepted_at=_stored(case.accepted_at),
        closed_at=_stored(case.closed_at),
        concluded_at=_stored(case.concluded_at),
        stats_recorded=case.stats_recorded or None,
        self_evaluation=case.self_evaluation,
        request_hash=case.request_hash,
        created_by=case.created_by,
        final_at=_stored(case.final_at),
        retention_hold=case.retention_hold or None,
        anonymised_at=_stored(case.anonymised_at),
        anonymising_since=_stored(case.anonymising_since),
    )
    _set_sparse_index_keys(model, case)
    if case.version:
        model.version = case.version
    return model


def _set_sparse_index_keys(model: CaseModel, case: Case) -> None:
    """Put the case on the sweeps' sparse indexes while its state says a sweep owes it something."""
    check_at = next_check_at(case)
    if check_at is not None:  # keys of the sparse due-date index, derived from the state
        model.due_shard, model.next_check_at = due_shard(case.case_id), to_storage(check_at)
    place = place_key(case.region_code, case.category.value, case.status)
    if place is not None:  # the sparse place index (possible duplicates at intake): open cases only
        model.place_key = place
    red_district = open_red_district(case)
    if red_district is not None:  # the sparse open-red index (the monthly analysis' red list)
        model.open_red_district = red_district
    overdue = overdue_deadline(case)
    if overdue is not None:  # the sparse overdue index (the dashboard's overdue list), derived likewise
        model.overdue_district, model.overdue_key = case.region_code[:6], overdue_key(case.case_id, overdue.due_at)
    visit_on = next_visit_check_on(case)
    if visit_on is not None:  # keys of the sparse return-visit index, derived likewise
        model.visit_shard, model.next_visit_check_on = visit_shard(case.case_id), visit_on.isoformat()
    retention_on = retention_due_on(case)
    if retention_on is not None:  # keys of the sparse retention index (§16), derived likewise
        model.retention_shard, model.retention_due_on = retention_shard(case.case_id), retention_on.isoformat()


def duplicate_to_json(duplicate: PossibleDuplicate) -> dict:
    return {"case_id": duplicate.case_id, "reasons": [r.value for r in duplicate.reasons], "score": duplicate.score}


def duplicate_from_json(data: dict) -> PossibleDuplicate:
    return PossibleDuplicate(data["case_id"], tuple(DuplicateReason(r) for r in data["reasons"]), float(data["score"]))


def extension_to_json(request: ExtensionRequest | None) -> dict | None:
    if request is None:
        return None
    return {"working_days": request.working_days, "reason": request.reason,
            "requested_at": to_storage(request.requested_at), "requested_by": request.requested_by,
            "status": request.status.value, "decided_at": _stored(request.decided_at),
            "decided_by": request.decided_by, "note": request.note}


def extension_from_json(data: dict | None) -> ExtensionRequest | None:
    if not data:
        return None
    return ExtensionRequest(int(data["working_days"]), data["reason"], from_storage(data["requested_at"]),
                            data["requested_by"], ExtensionStatus(data["status"]), from_storage(data.get("decided_at")),
                            data.get("decided_by"), data.get("note"))


def suspension_to_json(suspension: Suspension) -> dict:
    return {"reason_code": suspension.reason_code.value, "reason": suspension.reason,
            "suspended_at": to_storage(suspension.suspended_at), "resume_on": suspension.resume_on.isoformat(),
            "suspended_by": suspension.suspended_by, "resumed_at": _stored(suspension.resumed_at),
            "working_days": suspension.working_days}


def suspension_from_json(data: dict) -> Suspension:
    return Suspension(SuspensionReason(data["reason_code"]), data["reason"], from_storage(data["suspended_at"]),
                      dt.date.fromisoformat(data["resume_on"]), data["suspended_by"],
                      from_storage(data.get("resumed_at")), data.get("working_days"))


def participant_to_json(participant: Participant) -> dict:
    return {"org_id": participant.org_id, "joined_at": to_storage(participant.joined_at),
            "reason": participant.reason, "added_by": participant.added_by}


def participant_from_json(data: dict) -> Participant:
    return Participant(data["org_id"], from_storage(data["joined_at"]), data["reason"], data["added_by"])


def session_to_json(session: Session) -> dict:
    return {"session_id": session.session_id, "starts_at": to_storage(session.starts_at),
            "mode": session.mode.value, "place": session.place, "mediator_ids": list(session.mediator_ids),
            "lawyer": {"name": session.lawyer.name, "firm": session.lawyer.firm} if session.lawyer else None,
            "booked_at": to_storage(session.booked_at), "booked_by": session.booked_by,
            "reminder": session.reminder.value if session.reminder else None,
            "reminded_at": _stored(session.reminded_at), "cancelled_at": _stored(session.cancelled_at)}


def session_from_json(data: dict) -> Session:
    lawyer = data.get("lawyer")
    return Session(data["session_id"], from_storage(data["starts_at"]), SessionMode(data["mode"]), data["place"],
                   tuple(data["mediator_ids"]), Lawyer(lawyer["name"], lawyer["firm"]) if lawyer else None,
                   from_storage(data["booked_at"]), data["booked_by"], _enum(ReminderState, data.get("reminder")),
                   from_storage(data.get("reminded_at")), from_storage(data.get("cancelled_at")))


def sponsor_to_json(sponsor: Sponsor | None) -> dict | None:
    if sponsor is None:
        return None
    return {"leader_name": sponsor.leader_name, "leader_title": sponsor.leader_title,
            "leader_phone": sponsor.leader_phone, "due_on": sponsor.due_on.isoformat(),
            "sponsored_at": to_storage(sponsor.sponsored_at), "sponsored_by": sponsor.sponsored_by,
            "notified_at": _stored(sponsor.notified_at)}


def sponsor_from_json(data: dict | None) -> Sponsor | None:
    if not data:
        return None
    return Sponsor(data["leader_name"], data["leader_title"], data["leader_phone"],
                   dt.date.fromisoformat(data["due_on"]), from_storage(data["sponsored_at"]), data["sponsored_by"],
                   from_storage(data.get("notified_at")))


SCHEDULE_PREFIX = "SCHED#"


def schedule_key(mediator_id: str) -> str:
    """The key of a mediator's schedule of sessions (调解会)."""
    return f"{SCHEDULE_PREFIX}{mediator_id}"


def schedule_from_row(mediator_id: str, bookings: list | None, revision: int | None) -> MediatorSchedule:
    return MediatorSchedule(mediator_id, tuple(Booking(b["case_id"], b["session_id"], from_storage(b["starts_at"]))
                                               for b in bookings or ()), int(revision or 0))


def bookings_to_json(schedule: MediatorSchedule) -> list[dict]:
    return [{"case_id": b.case_id, "session_id": b.session_id, "starts_at": to_storage(b.starts_at)}
            for b in schedule.bookings]


def _ladder(case: Case, stored: dict | None) -> dict[SupervisionStep, dt.datetime]:
    """The stored ladder; a case written before ladders were kept gets its deadline's ladder on
    the library calendar, as it was then supervised."""
    if stored:
        return {SupervisionStep(step): from_storage(at) for step, at in stored.items()}
    deadline = current_deadline(case)
    return ladder(deadline.due_at, deadline.window_start, LIBRARY_CALENDAR) if deadline else {}


def case_from_model(model: CaseModel) -> Case:
    case = _case_from_model(model)
    case.ladder = _ladder(case, model.ladder)
    return case


def _case_from_model(model: CaseModel) -> Case:
    return Case(
        case_id=model.case_id,
        owner=model.owner,
        external_ref=model.external_ref,
        partner_id=model.partner_id,
        channel=Channel(model.channel),
        title=model.title,
        description=model.description,
        region_code=model.region_code,
        address=model.address,
        parties=[Party(**party) for party in model.parties],
        party_count=int(model.party_count),
        amount_cny=model.amount_cny,
        risk_indicators=[RiskIndicator(value) for value in model.risk_indicators or []],
        category=Category(model.category),
        category_source=CategorySource(model.category_source),
        risk_level=RiskLevel(model.risk_level),
        received_at=from_storage(model.received_at),
        request_hash=model.request_hash,
        status=CaseStatus(model.status),
        public_code=model.public_code,
        tier=_enum(Tier, model.tier),
        mediation_type=_enum(MediationType, model.mediation_type),
        org_id=model.org_id,
        mediator_id=model.mediator_id,
        accept_due_at=from_storage(model.accept_due_at),
        resolve_due_at=from_storage(model.resolve_due_at),
        supervision_level=int(model.supervision_level or 0),
        overdue=bool(model.overdue),
        rectification_required=bool(model.rectification_required),
        agreement=model.agreement,
        referral=model.referral,
        return_visits=list(model.return_visits or []),
        declined_org_ids=list(model.declined_org_ids or []),
        route_floor=_enum(Tier, model.route_floor),
        route_retry_at=from_storage(model.route_retry_at),
        unroutable_attempts=int(model.unroutable_attempts or 0),
        supervision_steps=list(model.supervision_steps or []),
        resolve_due_at_original=from_storage(model.resolve_due_at_original),
        extension=extension_from_json(model.extension),
        extensions_approved=int(model.extensions_approved or 0),
        suspensions=[suspension_from_json(s) for s in model.suspensions or []],
        possible_duplicates=[duplicate_from_json(d) for d in model.possible_duplicates or []],
        related_case_id=model.related_case_id,
        merged_into=model.merged_into,
        merged_sources=[MergedSource(**source) for source in model.merged_sources or []],
        transfer=model.transfer,
        participants=[participant_from_json(p) for p in model.participants or []],
        sessions=[session_from_json(s) for s in model.sessions or []],
        sponsor=sponsor_from_json(model.sponsor),
        dispatched_org_ids=list(model.dispatched_org_ids or []),
        repeat_party=bool(model.repeat_party),
        sensitive=bool(model.sensitive),
        letter_months=list(model.letter_months or []),
        dispatched_at=from_storage(model.dispatched_at),
        accepted_at=from_storage(model.accepted_at),
        closed_at=from_storage(model.closed_at),
        concluded_at=from_storage(model.concluded_at),
        stats_recorded=dict(model.stats_recorded or {}),
        self_evaluation=model.self_evaluation,
        created_by=model.created_by,
        final_at=from_storage(model.final_at),
        retention_hold=bool(model.retention_hold),
        anonymised_at=from_storage(model.anonymised_at),
        anonymising_since=from_storage(model.anonymising_since),
        version=int(model.version or 0),
    )


def event_to_model(case_id: str, event: Event, index: int) -> CaseItemModel:
    return CaseItemModel(
        case_id,
        event_sort_key(event, index),
        type=event.type,
        at=to_storage(event.at),
        actor=event.actor,
        detail=event.detail,
    )


def letter_to_model(case_id: str, letter: SupervisionLetter) -> CaseItemModel:
    """督办函: a record of its own on the case, keyed by when the sweep issued it and for which deadline."""
    detail = {"number": letter.number, "date": letter.date.isoformat(), "addressee_org_id": letter.addressee_org_id,
              "addressee_org_name": letter.addressee_org_name, "deadline": letter.deadline,
              "deadline_due_at": letter.deadline_due_at.isoformat(), "supervision_level": letter.supervision_level}
    return CaseItemModel(case_id, f"{LETTER_PREFIX}{to_storage(letter.issued_at)}#{letter.deadline}",
                         type="supervision_letter", at=to_storage(letter.issued_at), actor=SWEEP, detail=detail)
