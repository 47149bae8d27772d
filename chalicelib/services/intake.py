"""Intake (受理): file a dispute, triage it, grade its risk, hand it to routing."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import quote

from ..observability import logger

from ..domain.access import Principal
from ..domain.case import SYSTEM, Case, Event, Party, new_case_id
from ..domain.duplicates import (
    MAX_PLACE_CANDIDATES, PLACE_WINDOW_DAYS, Candidate, DuplicateReason, PossibleDuplicate, possible_duplicates,
    related_case, report_text)
from ..domain.enums import Category, CategorySource, Channel, Role
from ..domain.risk import REPEAT_PARTY_WINDOW_DAYS, RiskFacts, grade
from ..domain.triage import classify
from .commands import NewCase
from ..domain.errors import DuplicateReference, ReplayedRequest
from ..domain.public_code import new_public_code
from .errors import Conflict, Forbidden, Unprocessable
from .notifications import Notifier
from .notifications import enqueue as enqueue_sms
from .ports import CaseStore, Clock, Directory, Publisher

if TYPE_CHECKING:
    from .auth import PendingReplay
from .routing import request_routing


STAFF_OWNER = "staff"
"""Owner of the admins' idempotency keys (walk-ins, grid visits filed by an admin); before staff
keys were scoped, of every staff member's."""

DEFAULT_CHANNEL = {Role.PARTNER: Channel.PARTNER_API}
STAFF_DEFAULT_CHANNEL = Channel.WALK_IN


def owner_of(principal: Principal) -> str:
    """Whose idempotency keys a caller's `external_ref`s are (幂等范围): a namespace every case of
    which is in the view of everyone filing in it, so that a replay (200) or a reuse (409, with
    its `case_id`) never hands a caller the id of a case it cannot see (`domain/access.py`):

    - a partner: its own, its partner id (`demo-12345`): it sees its own cases;
    - a supervisor: its jurisdiction's, `staff:<jurisdiction>` (`staff:320506`): it files only
      inside its jurisdiction, and every supervisor of that jurisdiction sees every case there.
      A supervisor of 320506 reusing a reference of 320509's files a case of its own;
    - an admin: `staff`, the admins' (they see every case);
    - any other staff role (a mediator, who may not file cases: `CASE_CREATORS`), the caller
      alone, `staff:sub:<subject>` (percent-encoded: a `#` would run into the key's separator).

    Keys written before this scoping are all under `staff`: they stay the admins', and a
    supervisor's retry of a request made before it files a new case (which the duplicate
    check flags, same parties and village) instead of answering with the old one."""
    if principal.role is Role.PARTNER:
        return principal.partner_id
    if principal.role is Role.ADMIN:
        return STAFF_OWNER
    if principal.role is Role.SUPERVISOR:
        return f"{STAFF_OWNER}:{principal.jurisdiction}"
    return f"{STAFF_OWNER}:sub:{quote(principal.subject, safe='')}"


@dataclass(frozen=True)
class IntakeResult:
    case: Case
    created: bool
    """False when the request replays an earlier one (same owner, ref and content)."""


def party_keys(secret_key: bytes, parties: list[Party]) -> dict[str, DuplicateReason]:
    """Keyed hashes of the parties' phones and ID numbers (the repeated-party rule's and the
    duplicate check's look-up keys), each with what a match on it means."""
    values = {f"phone:{p.phone}": DuplicateReason.SAME_PHONE for p in parties if p.phone}
    values.update({f"id:{p.id_number}": DuplicateReason.SAME_ID_NUMBER for p in parties if p.id_number})
    return {hmac.new(secret_key, value.encode(), hashlib.sha256).hexdigest()[:40]: reason
            for value, reason in values.items()}


def phone_pseudonym(secret_key: bytes, phone: str) -> str:
    """The party key of a normalised phone, as `party_keys` writes it (the `party_phone=` lookup)."""
    return hmac.new(secret_key, f"phone:{phone}".encode(), hashlib.sha256).hexdigest()[:40]


def party_pseudonyms(secret_key: bytes, parties: list[Party]) -> list[str]:
    """The parties' look-up keys, sorted (stored one row per key and case)."""
    return sorted(party_keys(secret_key, parties))


def parties_of(command: NewCase) -> list[Party]:
    return [Party(p.role.value, p.name, p.phone, p.id_number) for p in command.parties]


def candidate(case: Case) -> Candidate:
    return Candidate(case.case_id, case.status, case.region_code, case.category.value,
                     report_text(case.title, case.description))


DIGEST_FORM = "c1:"
"""Tag of the canonical digest form; a stored digest without it is of the first release's form."""


def request_digest(owner: str, command: NewCase) -> str:
    """Digest of a request's meaning, to tell a partner's retry from a conflicting reuse of its
    `external_ref`. Computed over a canonical form: the validated values, with every field left
    at its default omitted and keys sorted. A field sent with its default value digests as if
    left out, and an optional field added to `NewCase` in a later release leaves the digests
    of existing requests unchanged, so a retry across a deploy is still a replay, not a 409."""
    canonical = command.model_dump(mode="json", exclude_defaults=True)
    body = json.dumps([owner, canonical], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return DIGEST_FORM + hashlib.sha256(body.encode()).hexdigest()


def first_form_digest(owner: str, command: NewCase) -> str:
    """The digest the first release stored (every field, defaults included): claims written
    then never expire, and their retries must still be replays."""
    body = json.dumps([owner, command.model_dump(mode="json")], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def is_same_request(stored_digest: str, owner: str, command: NewCase) -> bool:
    if stored_digest.startswith(DIGEST_FORM):
        return stored_digest == request_digest(owner, command)
    return stored_digest == first_form_digest(owner, command)


@dataclass(frozen=True)
class Triage:
    """分诊: the category a case is filed under, who set it, and the keywords that decided."""

    category: Category
    source: CategorySource
    matched: tuple[str, ...] = ()


def triage_of(command: NewCase) -> Triage:
    """The partner's category if it gave one; otherwise the keyword table's."""
    if command.category is not None:
        return Triage(command.category, CategorySource.PARTNER)
    found = classify(command.title, command.description)
    return Triage(found.category, CategorySource.AUTO, tuple(found.matched))


class IntakeService:
    def __init__(self, cases: CaseStore, directory: Directory, publisher: Publisher, secret_key: bytes,
                 clock: Clock, notifier: Notifier):
        self._cases = cases
        self._directory = directory
        self._publisher = publisher
        self._secret_key = secret_key
        self._clock = clock
        self._notifier = notifier

    def with_ports(self, cases: CaseStore | None = None, publisher: Publisher | None = None) -> "IntakeService":
        """This use case on other views of the case store and the queues (a batch's, see
        `services/intake_batch.py`), its other parts the same."""
        return IntakeService(cases or self._cases, self._directory, publisher or self._publisher, self._secret_key,
                             self._clock, self._notifier)

    def party_pseudonyms(self, command: NewCase) -> list[str]:
        """The look-up keys of the command's parties, as filing it computes them."""
        return party_pseudonyms(self._secret_key, parties_of(command))

    def file_case(self, command: NewCase, principal: Principal, replay: PendingReplay | None = None) -> IntakeResult:
        """File `command` for `principal`: 201's new case, or the case an identical earlier
        request filed (a replay, 200); Conflict (409, with its `case_id`) for a reference reused
        for another request. With `replay` (a signed partner request's key, not claimed yet) the
        key is claimed in the case's own transaction, so a new case costs no write of its own
        for it; a replayed request is refused (401) before any case is shown."""
        if principal.role is Role.SUPERVISOR and not principal.covers_region(command.region_code):
            raise Forbidden("region_code is outside your jurisdiction")
        if self._directory.region(command.region_code) is None:
            raise Unprocessable.field("region_code", "no such region in the directory")

        # No read of the (owner, external_ref) claim first: the transaction that writes the case
        # is conditional on it, and a retry or a reuse of the reference is told apart when it
        # is cancelled (`_replay`). A new case, the common request, saves a read.
        owner = owner_of(principal)
        now = self._clock()
        parties = parties_of(command)
        keys = party_keys(self._secret_key, parties)
        pseudonyms = sorted(keys)
        party_count = command.party_count or len(parties)
        cases_by_key = self._cases.party_cases(pseudonyms, now - dt.timedelta(days=REPEAT_PARTY_WINDOW_DAYS))
        repeat = any(cases_by_key.values())
        assessment = grade(
            RiskFacts(frozenset(command.risk_indicators), party_count, command.amount_cny, repeat)
        )
        triage = triage_of(command)
        duplicates = self._possible_duplicates(command, triage.category, keys, cases_by_key, now)
        case = Case(
            case_id=new_case_id(now), owner=owner, external_ref=command.external_ref,
            partner_id=principal.partner_id,
            channel=command.channel or DEFAULT_CHANNEL.get(principal.role, STAFF_DEFAULT_CHANNEL),
            title=command.title, description=command.description, region_code=command.region_code,
            address=command.address, parties=parties, party_count=party_count, amount_cny=command.amount_cny,
            risk_indicators=list(dict.fromkeys(command.risk_indicators)), category=triage.category,
            category_source=triage.source, risk_level=assessment.level, received_at=now,
            request_hash=request_digest(owner, command), created_by=principal.actor,
            possible_duplicates=duplicates, related_case_id=related_case(duplicates), repeat_party=repeat,
            public_code=new_public_code(),
        )
        case.mark_sensitivity()
        events = [
            Event(now, "received", principal.actor, {"channel": case.channel.value, "external_ref": case.external_ref}),
            Event(now, "triaged", SYSTEM, {
                "category": triage.category.value, "category_source": triage.source.value,
                "matched_keywords": list(triage.matched), "risk_level": assessment.level.value,
                "risk_reasons": list(assessment.reasons),
                **({"sensitive": True} if case.sensitive else {}),
            }),
        ]
        if duplicates:
            events.append(Event(now, "duplicate_suspected", SYSTEM, {"candidates": [
                {"case_id": d.case_id, "reasons": [r.value for r in d.reasons], "score": d.score}
                for d in duplicates]}))
        try:
            self._cases.create(case, events, pseudonyms, now + dt.timedelta(days=REPEAT_PARTY_WINDOW_DAYS + 1),
                               sms := self._filing_sms(case, now), replay=replay.claim if replay else None)
        except ReplayedRequest:
            raise replay.refused() from None
        except DuplicateReference as duplicate:  # a retry, a reuse of the reference, or a concurrent twin
            if replay is not None:
                replay.settle()  # its key was not written with a case: claimed now, before the case is shown
            return self._replay(duplicate.case_id, duplicate.request_hash, owner, command)
        if replay is not None:
            replay.written()
        logger.info("case received", extra={"case_id": case.case_id, "category": case.category.value,
                                             "risk_level": case.risk_level.value})
        enqueue_sms(self._publisher, sms)
        request_routing(self._publisher, case.case_id, "intake", now)
        return IntakeResult(case, created=True)

    def _filing_sms(self, case: Case, now: dt.datetime) -> list[dict]:
        """The SMS records filing calls for (the case code to the applicant), stored with the case.
        The store may draw another code if this one is taken: the text is written after that."""
        return self._notifier.plan(case, case.filing_notices(), now, self._directory.org, self._directory.mediator)

    def _possible_duplicates(self, command: NewCase, category: Category, keys: dict[str, DuplicateReason],
                             cases_by_key: dict[str, list[str]], now: dt.datetime) -> list[PossibleDuplicate]:
        """重复件: the open cases sharing a party (by the party keys just read) and the open cases
        of the village and category of the last 30 days (one Query of the place index) that may
        be this dispute. Reads the cases the party keys name in one batch."""
        party_reasons: dict[str, set[DuplicateReason]] = {}
        for key, case_ids in cases_by_key.items():
            for case_id in case_ids:
                party_reasons.setdefault(case_id, set()).add(keys[key])
        nearby = {report.case_id: report for report in self._cases.open_reports_at(
            command.region_code, category.value, now - dt.timedelta(days=PLACE_WINDOW_DAYS), MAX_PLACE_CANDIDATES)}
        nearby.update((case.case_id, candidate(case)) for case in self._cases.cases(set(party_reasons) - set(nearby)))
        candidates = [replace(report, party_reasons=frozenset(party_reasons.get(case_id, ())))
                      for case_id, report in nearby.items()]
        return possible_duplicates(command.region_code, category.value,
                                   report_text(command.title, command.description), candidates)

    def _replay(self, case_id: str, stored_digest: str, owner: str, command: NewCase) -> IntakeResult:
        if not is_same_request(stored_digest, owner, command):
            raise Conflict(
                "external_ref was already used for a different case request", case_id=case_id
            )
        case = self._cases.get(case_id)
        return IntakeResult(case, created=False)
