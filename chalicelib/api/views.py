"""Rendering domain objects as the contract's JSON views."""

from __future__ import annotations

from typing import Any

from ..adapters.clock import from_storage
from ..domain.access import Principal, sees_parties_in_full
from ..domain.calendar import rfc3339
from ..domain.case import Case, Event
from ..domain.masking import mask_party, mask_phone


def _amount(value: float | None) -> int | float | None:
    """5000, not 5000.0: a whole amount in yuan goes out as it came in."""
    return int(value) if value is not None and float(value).is_integer() else value


def case_view(case: Case, principal: Principal) -> dict[str, Any]:
    parties = [p.to_dict() for p in case.parties]
    if not sees_parties_in_full(principal):
        parties = [mask_party(p) for p in parties]
    return {
        "case_id": case.case_id,
        "external_ref": case.external_ref,
        "partner_id": case.partner_id,
        "status": case.status.value,
        "channel": case.channel.value,
        "title": case.title,
        "description": case.description,
        "region_code": case.region_code,
        "address": case.address,
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
        "supervision_level": case.supervision_level,
        "overdue": case.overdue,
        "rectification_required": case.rectification_required,
        "parties": parties,
        "agreement": case.agreement,
        "referral": case.referral,
        "return_visits": case.return_visits,
        "version": case.version,
    }


def event_view(event: Event) -> dict[str, Any]:
    return {"at": rfc3339(event.at), "type": event.type, "actor": event.actor, "detail": event.detail}


def notification_view(record: dict[str, Any]) -> dict[str, Any]:
    """Recipients are masked for every reader. Besides the contract's sent/deferred/failed/
    suppressed, a record shows `pending` until the sender takes it and `sending` while it does."""
    return {
        "kind": record["kind"],
        "to": mask_phone(record["to"]) if record.get("to") else None,
        "text": record["text"],
        "status": record["status"],
        "created_at": rfc3339(from_storage(record.get("created_at"))),
        "sent_at": rfc3339(from_storage(record.get("sent_at"))),
    }


def model_view(model, hidden: tuple[str, ...] = ()) -> dict[str, Any]:
    return {name: getattr(model, name) for name in model.get_attributes() if name not in hidden}
