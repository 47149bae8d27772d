"""DynamoDB persistence of cases, their timelines and their look-up keys."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import random
import secrets
import time
from typing import Any, Iterator

from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ..domain.case import Case, Event, Party
from ..domain.case_query import CaseQuery
from ..domain.regions import district_of
from ..domain.stats import describe_row, stats_changes
from ..domain.supervision import DUE_SHARDS, due_shard, next_check_at
from ..domain.visits import VISIT_SHARDS, next_visit_check_on, visit_shard
from ..domain.errors import DuplicateReference, InvalidCursor, MediatorUnavailable, StaleCase
from ..domain.enums import (
    CaseStatus,
    Category,
    CategorySource,
    Channel,
    MediationType,
    RiskIndicator,
    RiskLevel,
    Tier,
)
from .clock import from_storage, to_storage
from .models import (
    CaseItemModel, CaseModel, DailyStatsModel, KeyModel, MediatorModel, RankStatsModel, is_condition_failure)

EVENT_PREFIX = "EVT#"
NOTIFICATION_PREFIX = "NTF#"
DELIVERY_PREFIX = "CBK#"
LETTER_PREFIX = "LTR#"
REF_PREFIX = "REF#"
PARTY_PREFIX = "PARTY#"
CLAIM_SORT_KEY = "-"


def ref_key(owner: str, external_ref: str) -> str:
    return f"{REF_PREFIX}{owner}#{external_ref}"


def event_sort_key(event: Event, index: int) -> str:
    """Time, position in its write, and a random tail: two writers never overwrite each other."""
    return f"{EVENT_PREFIX}{to_storage(event.at)}#{index:03d}#{secrets.token_hex(4)}"


def encode_cursor(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidCursor("cursor is not valid") from exc
    if not isinstance(key, dict) or not all(
        isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) and v["S"] for v in key.values()
    ):
        raise InvalidCursor("cursor is not valid")
    return key


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
        tier=case.tier.value if case.tier else None,
        mediation_type=case.mediation_type.value if case.mediation_type else None,
        org_id=case.org_id,
        mediator_id=case.mediator_id,
        received_at=to_storage(case.received_at),
        received_key=f"{to_storage(case.received_at)}#{case.case_id}",
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
        dispatched_at=_stored(case.dispatched_at),
        accepted_at=_stored(case.accepted_at),
        closed_at=_stored(case.closed_at),
        concluded_at=_stored(case.concluded_at),
        stats_recorded=case.stats_recorded or None,
        request_hash=case.request_hash,
        created_by=case.created_by,
    )
    check_at = next_check_at(case)
    if check_at is not None:  # keys of the sparse due-date index, derived from the state
        model.due_shard, model.next_check_at = due_shard(case.case_id), to_storage(check_at)
    visit_on = next_visit_check_on(case)
    if visit_on is not None:  # keys of the sparse return-visit index, derived likewise
        model.visit_shard, model.next_visit_check_on = visit_shard(case.case_id), visit_on.isoformat()
    if case.version:
        model.version = case.version
    return model


def case_from_model(model: CaseModel) -> Case:
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
        dispatched_at=from_storage(model.dispatched_at),
        accepted_at=from_storage(model.accepted_at),
        closed_at=from_storage(model.closed_at),
        concluded_at=from_storage(model.concluded_at),
        stats_recorded=dict(model.stats_recorded or {}),
        created_by=model.created_by,
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


RELEASE_SHARD = "0"
"""Unsent notifications are few at any time: one partition of the release index holds them."""


def notification_to_model(record: dict[str, Any]) -> CaseItemModel:
    """A notification record: `sk`, `kind`, `to`, `text`, `status`, `created_at`, `sent_at`,
    and `release_at` (when the sweep should send it if nothing else has) while unsent."""
    detail = {k: v for k, v in record.items() if k not in ("case_id", "sk", "status", "sent_at", "release_at")}
    item = CaseItemModel(record["case_id"], record["sk"], type="notification", at=record["created_at"],
                         detail=detail, status=record["status"], sent_at=record.get("sent_at"))
    if record.get("release_at"):
        item.release_shard, item.release_at = RELEASE_SHARD, record["release_at"]
    return item


def notification_from_model(item: CaseItemModel) -> dict[str, Any]:
    return {**(item.detail or {}), "case_id": item.case_id, "sk": item.sk, "status": item.status,
            "sent_at": item.sent_at}


TRANSACTION_ATTEMPTS = 4
"""Tries of a case write that lost only to a concurrent transaction on a shared item (the
statistics rows of a busy district-day): DynamoDB cancels it with `TransactionConflict`."""


def _only_conflicts(exc: TransactWriteError) -> bool:
    codes = {reason.code for reason in (exc.cancellation_reasons or []) if reason is not None}
    return "TransactionConflict" in codes and codes <= {"TransactionConflict", "None"}


class _Attempt:
    """One try of a transaction: swallows a conflict-only cancellation while tries are left."""

    def __init__(self, last: bool):
        self.last = last
        self.done = False

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, traceback) -> bool:
        if exc is None:
            self.done = True
            return False
        if not self.last and isinstance(exc, TransactWriteError) and _only_conflicts(exc):
            return True  # try again
        return False


def _transaction_attempts() -> Iterator[_Attempt]:
    for number in range(TRANSACTION_ATTEMPTS):
        if number:
            time.sleep(random.uniform(0.01, 0.05) * 2 ** number)
        attempt = _Attempt(last=number == TRANSACTION_ATTEMPTS - 1)
        yield attempt
        if attempt.done:
            return


def _model_and_stats(case: Case) -> tuple[CaseModel, dict[str, Any], dict[str, dict[str, int]]]:
    """The case's model recording what it contributes to the statistics rows now, that record,
    and what to add to each row."""
    record, changes = stats_changes(case)
    model = case_to_model(case)
    model.stats_recorded = record
    return model, record, changes


def _update_stats(transaction: TransactWrite, case: Case, changes: dict[str, dict[str, int]]) -> None:
    """Add to the statistics rows, in the case's transaction, the difference between what the
    case contributes now and what they already count (`ADD` on top-level counters)."""
    district = district_of(case.region_code)  # the partition of every row a case counts in
    for row, counters in changes.items():
        described = describe_row(row)
        model = RankStatsModel if "kind" in described else DailyStatsModel
        actions = [getattr(model, name).set(value) for name, value in described.items()]
        actions += [getattr(model, name).add(delta) for name, delta in counters.items()]
        transaction.update(model(district, row), actions=actions)


class CaseStore:
    """Cases and what hangs off them, in DynamoDB."""

    def __init__(self, connection: Connection | None = None):
        self._connection = connection

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            self._connection = Connection()
        return self._connection

    # ---------------------------------------------------------------- writes

    def create(self, case: Case, events: list[Event], party_pseudonyms: list[str], party_key_ttl: dt.datetime) -> None:
        """Write a new case, its first events, its idempotency claim and its
        party keys in one transaction. Raises DuplicateReference if the
        (owner, external_ref) claim exists."""
        claim = KeyModel(
            ref_key(case.owner, case.external_ref), CLAIM_SORT_KEY,
            case_id=case.case_id, request_hash=case.request_hash,
        )
        sort_key = f"{to_storage(case.received_at)}#{case.case_id}"
        counted: dict[str, Any] = {}
        try:
            for attempt in _transaction_attempts():
                with attempt, TransactWrite(connection=self.connection) as transaction:
                    transaction.save(claim, condition=KeyModel.pk.does_not_exist())
                    model, counted, changes = _model_and_stats(case)
                    transaction.save(model)
                    for index, event in enumerate(events):
                        transaction.save(event_to_model(case.case_id, event, index))
                    for pseudonym in party_pseudonyms:
                        transaction.save(
                            KeyModel(f"{PARTY_PREFIX}{pseudonym}", sort_key, case_id=case.case_id,
                                     expires_at=party_key_ttl)
                        )
                    _update_stats(transaction, case, changes)
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons or []
            if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
                existing = self.get_claim(case.owner, case.external_ref)
                if existing:
                    raise DuplicateReference(*existing) from exc
            raise
        case.version = 1
        case.stats_recorded = counted

    def save_change(
        self,
        case: Case,
        events: list[Event],
        notifications: list[dict[str, Any]] = (),
        mediator_load: dict[str, int] | None = None,
        require_active_mediator: str | None = None,
        extra_items: list[CaseItemModel] = (),
    ) -> None:
        """Write a changed case with its events and notifications in one transaction.

        The case write is conditional on the version read (optimistic lock):
        StaleCase if someone else changed it first. `mediator_load` adjusts
        mediators' open-case counters in the same transaction; with
        `require_active_mediator` the write also requires that mediator to be
        active still (MediatorUnavailable otherwise).
        """
        mediator_load = {k: v for k, v in (mediator_load or {}).items() if v}
        counted: dict[str, Any] = {}
        try:
            for attempt in _transaction_attempts():
                # A token per attempt: botocore re-sending one whose answer it lost (a timeout) is
                # then applied once, not failed as stale after it already committed.
                with attempt, TransactWrite(connection=self.connection,
                                            client_request_token=secrets.token_hex(16)) as transaction:
                    model, counted, changes = _model_and_stats(case)
                    transaction.save(model)  # first: its condition failing means StaleCase
                    for index, event in enumerate(events):
                        transaction.save(event_to_model(case.case_id, event, index))
                    for record in notifications:
                        transaction.save(notification_to_model(record))
                    for item in extra_items:
                        transaction.save(item)
                    for mediator_id, delta in sorted(mediator_load.items()):
                        condition = MediatorModel.mediator_id.exists()
                        if mediator_id == require_active_mediator:
                            condition &= MediatorModel.active == True  # noqa: E712 - a DynamoDB condition
                        transaction.update(MediatorModel(mediator_id), actions=[MediatorModel.open_cases.add(delta)],
                                           condition=condition)
                    _update_stats(transaction, case, changes)
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons or []
            failed = [i for i, r in enumerate(reasons) if r is not None and r.code == "ConditionalCheckFailed"]
            if 0 in failed:
                raise StaleCase(case.case_id) from exc
            if failed:
                raise MediatorUnavailable(require_active_mediator or "") from exc
            raise
        case.version += 1
        case.stats_recorded = counted

    def notification(self, case_id: str, sort_key: str) -> dict[str, Any] | None:
        try:
            item = CaseItemModel.get(case_id, sort_key, consistent_read=True)
        except CaseItemModel.DoesNotExist:
            return None
        return notification_from_model(item)

    def claim_notification(self, case_id: str, sort_key: str, claimable: tuple[str, ...]) -> bool:
        """Move a notification to `sending` if its status is one of `claimable`:
        the conditional write that makes a twice-delivered message send once."""
        return self._update_unsent(case_id, sort_key, claimable, [
            CaseItemModel.status.set("sending"), CaseItemModel.release_shard.remove(),
            CaseItemModel.release_at.remove()])

    def settle_notification(self, case_id: str, sort_key: str, status: str, sent_at: dt.datetime | None,
                            retry_at: dt.datetime | None = None) -> None:
        """Record the outcome of a send; a failed one gets a `retry_at` on the release index."""
        actions = [CaseItemModel.status.set(status)]
        if sent_at is not None:
            actions.append(CaseItemModel.sent_at.set(to_storage(sent_at)))
        if retry_at is not None:
            actions += [CaseItemModel.release_shard.set(RELEASE_SHARD),
                        CaseItemModel.release_at.set(to_storage(retry_at))]
        CaseItemModel(case_id, sort_key).update(actions=actions)

    def postpone_notification(self, case_id: str, sort_key: str, claimable: tuple[str, ...],
                              release_at: dt.datetime) -> None:
        """Move an unsent notification's release time, unless a sender has taken it meanwhile."""
        self._update_unsent(case_id, sort_key, claimable, [CaseItemModel.release_at.set(to_storage(release_at))])

    @staticmethod
    def _update_unsent(case_id: str, sort_key: str, claimable: tuple[str, ...], actions: list) -> bool:
        """Apply `actions` to a notification whose status is still one of `claimable`; False if not."""
        try:
            CaseItemModel(case_id, sort_key).update(actions=actions, condition=CaseItemModel.status.is_in(*claimable))
        except UpdateError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def notifications_to_release(self, now: dt.datetime) -> Iterator[dict[str, Any]]:
        """Unsent notifications whose release time has come (sparse index: nothing else is read)."""
        for item in CaseItemModel.by_release.query(RELEASE_SHARD, CaseItemModel.release_at <= to_storage(now)):
            yield notification_from_model(item)

    def due_for_supervision(self, now: dt.datetime, page_size: int = 100) -> Iterator[Case]:
        """Cases whose next supervision check has come, shard by shard (no Scan)."""
        bound = to_storage(now)
        for shard in range(DUE_SHARDS):
            for model in CaseModel.by_due.query(str(shard), CaseModel.next_check_at <= bound, page_size=page_size):
                yield case_from_model(model)

    def due_for_visits(self, today: dt.date, page_size: int = 100) -> Iterator[Case]:
        """Resolved cases owing a return-visit notice on `today`, shard by shard (no Scan)."""
        bound = today.isoformat()
        for shard in range(VISIT_SHARDS):
            for model in CaseModel.by_visit.query(str(shard), CaseModel.next_visit_check_on <= bound,
                                                  page_size=page_size):
                yield case_from_model(model)

    def record_delivery(self, case_id: str, delivery: dict[str, Any], at: dt.datetime) -> None:
        CaseItemModel(case_id, f"{DELIVERY_PREFIX}{to_storage(at)}", type="callback_delivery",
                      at=to_storage(at), detail=delivery).save()

    # ----------------------------------------------------------------- reads

    def get(self, case_id: str) -> Case | None:
        try:
            return case_from_model(CaseModel.get(case_id, consistent_read=True))
        except CaseModel.DoesNotExist:
            return None

    def get_claim(self, owner: str, external_ref: str) -> tuple[str, str] | None:
        try:
            claim = KeyModel.get(ref_key(owner, external_ref), CLAIM_SORT_KEY, consistent_read=True)
        except KeyModel.DoesNotExist:
            return None
        return claim.case_id, claim.request_hash

    def party_seen_since(self, pseudonyms: list[str], since: dt.datetime) -> bool:
        """True if any of these party keys has a case received at or after `since`."""
        lower = to_storage(since)
        for pseudonym in pseudonyms:
            for _ in KeyModel.query(f"{PARTY_PREFIX}{pseudonym}", KeyModel.sk >= lower, limit=1):
                return True
        return False

    def events(self, case_id: str) -> list[Event]:
        return [
            Event(at=from_storage(item.at), type=item.type, actor=item.actor or "", detail=item.detail or {})
            for item in CaseItemModel.query(case_id, CaseItemModel.sk.startswith(EVENT_PREFIX))
        ]

    def supervision_letters(self, case_id: str) -> list[dict[str, Any]]:
        return [dict(item.detail or {})
                for item in CaseItemModel.query(case_id, CaseItemModel.sk.startswith(LETTER_PREFIX))]

    def notifications(self, case_id: str) -> list[dict[str, Any]]:
        return [
            notification_from_model(item)
            for item in CaseItemModel.query(case_id, CaseItemModel.sk.startswith(NOTIFICATION_PREFIX))
        ]

    def list(self, query: CaseQuery, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
        """Cases newest first, at most `limit`, with a cursor for the next page."""
        start_key = decode_cursor(cursor) if cursor else None
        filters = self._filter_condition(query)
        if query.partner_id is not None:
            index, hash_value, hash_name = CaseModel.by_partner, query.partner_id, "partner_id"
        elif query.org_id is not None:
            index, hash_value, hash_name = CaseModel.by_org, query.org_id, "org_id"
        elif query.district_code is not None:
            index, hash_value, hash_name = CaseModel.by_district, query.district_code, "district_code"
        else:
            index, hash_value, hash_name = None, None, None
        if start_key is not None:
            # Check the cursor against this list's key schema: DynamoDB (and moto) fail
            # in unhelpful ways on a start key of another list or of a made-up shape.
            expected = {"case_id"} | ({hash_name, "received_key"} if index is not None else set())
            if set(start_key) != expected or (index is not None and start_key[hash_name]["S"] != hash_value):
                raise InvalidCursor("cursor does not belong to this list")
        try:
            if index is not None:
                results: Iterator[CaseModel] = index.query(
                    hash_value, filter_condition=filters, scan_index_forward=False,
                    last_evaluated_key=start_key, page_size=limit + 1,
                )
            else:
                results = CaseModel.scan(filter_condition=filters, last_evaluated_key=start_key, page_size=limit + 1)
            cases: list[CaseModel] = []
            more = False
            for model in results:
                if len(cases) == limit:
                    more = True
                    break
                cases.append(model)
        except PynamoDBException as exc:
            if start_key is not None and "ValidationException" in str(exc):
                raise InvalidCursor("cursor does not belong to this list") from exc
            raise
        next_cursor = None
        if more:
            last = cases[-1]
            key = {"case_id": {"S": last.case_id}}
            if hash_name is not None:
                key[hash_name] = {"S": getattr(last, hash_name)}
                key["received_key"] = {"S": last.received_key}
            next_cursor = encode_cursor(key)
        return [case_from_model(model) for model in cases], next_cursor

    @staticmethod
    def _filter_condition(query: CaseQuery):
        conditions = []
        if query.region_prefix and (query.district_code is None or len(query.region_prefix) > 6):
            conditions.append(CaseModel.region_code.startswith(query.region_prefix))
        for attribute, value in (
            (CaseModel.status, query.status),
            (CaseModel.category, query.category),
            (CaseModel.risk_level, query.risk_level),
            (CaseModel.overdue, query.overdue),
        ):
            if value is not None:
                conditions.append(attribute == value)
        if query.partner_id is not None and query.org_id is not None:
            conditions.append(CaseModel.org_id == query.org_id)
        condition = None
        for item in conditions:
            condition = item if condition is None else condition & item
        return condition
