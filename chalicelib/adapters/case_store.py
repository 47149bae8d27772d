"""DynamoDB persistence of cases, their timelines and their look-up keys."""

from __future__ import annotations

import datetime as dt
import re
from itertools import islice
from typing import Any, Iterable, Iterator

from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.transactions import TransactWrite

from ..domain.case import Case, Event, SupervisionLetter
from ..domain.case_query import CaseQuery
from ..domain.duplicates import Candidate, place_key, report_text
from ..domain.enums import CaseStatus
from ..domain.public_code import new_public_code
from ..domain.public_lookup import tail_digests
from ..domain.notices import CLAIMABLE, NotificationStatus
from ..domain.supervision import DUE_SHARDS
from ..domain.retention import RETENTION_SHARDS
from ..domain.visits import VISIT_SHARDS
from ..domain.errors import (DuplicateReference, InvalidCursor, MediatorUnavailable, ReplayedRequest, ScheduleChanged,
                             StaleCase)
from ..domain.sessions import MediatorSchedule
from .case_mapping import (
    CLAIM_SORT_KEY, EVENT_PREFIX, LETTER_PREFIX, NOTIFICATION_PREFIX, PARTY_PREFIX, bookings_to_json, case_from_model,
    code_key, event_from_model, event_to_model, letter_to_model, received_key, ref_key, schedule_from_row,
    schedule_key)
from ..domain.regions import district_of
from ..domain.stats import stats_changes
from ..services.ports import PARTY_CASES_LIMIT, CodeClaim, NewCaseWrite, PartyKeys, ReplayClaim
from .clock import to_storage
from .cursors import decode_cursor, encode_cursor
from .models import CaseItemModel, CaseModel, KeyModel, MediatorModel
from .notification_outbox import notification_from_model, notification_to_model
from .replay_guard import replay_row
from .stats_rows import model_and_stats, update_stats
from .transactions import TransactingStore, transaction_attempts


def party_key_rows(keys: PartyKeys, case_id: str) -> list[KeyModel]:
    return [KeyModel(f"{PARTY_PREFIX}{pseudonym}", f"{to_storage(keys.at)}#{case_id}", case_id=case_id,
                     expires_at=keys.expires_at) for pseudonym in keys.pseudonyms]


TRANSACTION_ITEMS = 100
"""DynamoDB's limit of items (puts, updates, condition checks) in one TransactWriteItems."""


def _items_of(write: NewCaseWrite) -> int:
    """Items a new case puts in its transaction, its statistics rows aside: claim, code, case,
    events, party keys, SMS."""
    return 3 + len(write.events) + len(write.party_pseudonyms) + len(write.notifications)


CODE_ATTEMPTS = 5
"""Case codes drawn for one new case before giving up: with 31⁸ codes a second draw is already
rare (one in about 10⁶ at a million cases)."""




def code_claim_row(case: Case) -> KeyModel:
    """The claim of a case's code (一案一码), pointing to the case, with its parties' tail digests."""
    return KeyModel(code_key(case.public_code), CLAIM_SORT_KEY, case_id=case.case_id,
                    tail_digests=tail_digests(case.public_code, case.parties))


ASSIST_PREFIX = "ASSIST#"
ASSIST_ROWS_PER_PAGE = 100
"""`ASSIST#` rows a list page reads beyond the page itself (rows of cases the filters leave out,
or that the org no longer assists in): past them the page ends short, with a cursor to go on."""
RECEIVED_KEY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{8,15}\+00:00#[A-Za-z0-9]{1,64}")
"""`received_key` as the case store writes it: what a list cursor may point below."""


def assist_row(org_id: str, case: Case) -> KeyModel:
    """The row by which the mediators of an org assisting in a case (联合调解) list it, keyed
    like the org index (`<received_at>#<case_id>`): newest first."""
    return KeyModel(f"{ASSIST_PREFIX}{org_id}", received_key(case), case_id=case.case_id)


def _update_code_digests(transaction: TransactWrite, case: Case) -> None:
    """The claim of the case's code (if it has one) given the tail digests of its parties as they
    now are, in `transaction`."""
    if case.public_code:
        transaction.update(KeyModel(code_key(case.public_code), CLAIM_SORT_KEY), actions=[
            KeyModel.tail_digests.set(tail_digests(case.public_code, case.parties))])


def _schedule_write(schedule: MediatorSchedule) -> tuple[KeyModel, Any]:
    """A mediator's schedule as written, one revision on, conditional on the revision read."""
    row = KeyModel(schedule_key(schedule.mediator_id), CLAIM_SORT_KEY, bookings=bookings_to_json(schedule),
                   revision=schedule.revision + 1)
    condition = KeyModel.pk.does_not_exist() if schedule.revision == 0 else KeyModel.revision == schedule.revision
    return row, condition


def _assisted_and_wanted(model: CaseModel, query: CaseQuery) -> bool:
    """Whether a case read through an `ASSIST#` row is one the list shows: the org assists in it
    still (the row stays when the org leads it later, or the case is merged), and the filters
    hold, as the org index's filter condition checks them."""
    if query.assisted_by not in {p["org_id"] for p in model.participants or ()}:
        return False
    wanted = {"status": query.status, "category": query.category, "risk_level": query.risk_level,
              "overdue": query.overdue}
    return (all(value is None or getattr(model, name) == value for name, value in wanted.items())
            and model.region_code.startswith(query.region_prefix or ""))


class CodeTaken(Exception):
    """The case code a new case carried is another case's: draw again."""


def _transaction_groups(writes: list[NewCaseWrite]) -> list[list[NewCaseWrite]]:
    """The writes in order, in groups whose items (their statistics rows, each counted once) fit one transaction."""
    groups: list[list[NewCaseWrite]] = []
    group: list[NewCaseWrite] = []
    items, rows, claims = 0, set(), set()
    for write in writes:
        case_rows = {(district_of(write.case.region_code), row) for row in stats_changes(write.case)[1]}
        claim = (write.case.owner, write.case.external_ref)  # one operation per item in a transaction
        if group and (claim in claims or items + _items_of(write) + len(rows | case_rows) > TRANSACTION_ITEMS):
            groups.append(group)
            group, items, rows, claims = [], 0, set(), set()
        group.append(write)
        items += _items_of(write)
        rows |= case_rows
        claims.add(claim)
    return groups + [group] if group else groups


class CaseStore(TransactingStore):
    """Cases and what hangs off them, in DynamoDB."""

    # ---------------------------------------------------------------- writes

    def create(self, case: Case, events: list[Event], party_pseudonyms: list[str], party_key_ttl: dt.datetime,
               notifications: Iterable[dict[str, Any]] = (), replay: ReplayClaim | None = None) -> None:
        """Write a new case, its first events, its idempotency claim, its code's claim, its
        party keys and its SMS in one transaction, with `replay`'s row if given. Raises
        ReplayedRequest if that row exists, else DuplicateReference if the (owner,
        external_ref) claim exists."""
        self._create_together([NewCaseWrite(case, events, party_pseudonyms, party_key_ttl, tuple(notifications))],
                              replay)

    def create_many(self, writes: list[NewCaseWrite]) -> list[DuplicateReference | None]:
        """Several new cases, each as `create` writes it, a few in one transaction (as many as
        DynamoDB's limit of 100 items allows, their statistics added up per row: a busy
        district-day row is touched once per transaction, not once per case). A transaction
        cancelled on a claim (a case of the same owner and external_ref written meanwhile)
        is written again case by case: for each case, None (written) or the
        DuplicateReference `create` raises."""
        outcomes: list[DuplicateReference | None] = []
        for group in _transaction_groups(writes):
            try:
                self._create_together(group)
                outcomes += [None] * len(group)
            except DuplicateReference:
                for write in group:
                    try:
                        self._create_together([write])
                        outcomes.append(None)
                    except DuplicateReference as duplicate:
                        outcomes.append(duplicate)
        return outcomes

    def _create_together(self, writes: list[NewCaseWrite], replay: ReplayClaim | None = None) -> None:
        """New cases in one transaction (`_write_together`); a case code already taken is drawn
        again (the whole transaction was cancelled: nothing of it is written), and the SMS that
        give it (`case_code`) are given the new one."""
        for write in writes:
            if write.case.public_code is None:
                write.case.public_code = new_public_code()
        for attempt in range(CODE_ATTEMPTS):
            try:
                return self._write_together(writes, replay)
            except CodeTaken as taken:
                if attempt + 1 == CODE_ATTEMPTS:
                    raise RuntimeError("no free case code found") from taken
                for write in writes:
                    if write.case.public_code in taken.args:
                        old, write.case.public_code = write.case.public_code, new_public_code()
                        for record in write.notifications:
                            record["text"] = record["text"].replace(old, write.case.public_code)
                            record["params"] = [[name, value.replace(old, write.case.public_code)]
                                                for name, value in record.get("params") or ()]

    def _write_together(self, writes: list[NewCaseWrite], replay: ReplayClaim | None = None) -> None:
        """New cases in one transaction, each with its claim first in its items and its code's
        claim second, after `replay`'s row if given. Raises ReplayedRequest if that row exists,
        DuplicateReference (of the first claim that failed) if a claim exists, CodeTaken (with
        the codes) if a code is another case's."""
        counted: dict[str, dict[str, Any]] = {}
        first = 0 if replay is None else 1
        claim_positions = [first + sum(map(_items_of, writes[:index])) for index in range(len(writes))]
        """Where each claim is among the transaction's items (puts come first, in order, then the updates)."""
        try:
            for attempt in transaction_attempts():
                with attempt, TransactWrite(connection=self.connection,
                                            client_request_token=attempt.request_token) as transaction:
                    if replay is not None:
                        transaction.save(replay_row(replay.key, replay.expires_at),
                                         condition=KeyModel.pk.does_not_exist())
                    changed = []
                    for write in writes:
                        case = write.case
                        transaction.save(KeyModel(ref_key(case.owner, case.external_ref), CLAIM_SORT_KEY,
                                                  case_id=case.case_id, request_hash=case.request_hash),
                                         condition=KeyModel.pk.does_not_exist())
                        transaction.save(code_claim_row(case),
                                         condition=KeyModel.pk.does_not_exist())
                        model, counted[case.case_id], changes = model_and_stats(case)
                        transaction.save(model)
                        for index, event in enumerate(write.events):
                            transaction.save(event_to_model(case.case_id, event, index))
                        for record in write.notifications:
                            transaction.save(notification_to_model(record))
                        sort_key = received_key(case)
                        for pseudonym in write.party_pseudonyms:
                            transaction.save(KeyModel(f"{PARTY_PREFIX}{pseudonym}", sort_key, case_id=case.case_id,
                                                      expires_at=write.party_key_ttl))
                        changed.append((case, changes))
                    update_stats(transaction, *changed)
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons or []

            def failed(position: int) -> bool:
                reason = reasons[position] if position < len(reasons) else None
                return reason is not None and reason.code == "ConditionalCheckFailed"

            if replay is not None and failed(0):
                raise ReplayedRequest(replay.key) from exc
            for write, position in zip(writes, claim_positions):
                if failed(position):
                    existing = self.get_claim(write.case.owner, write.case.external_ref)
                    if existing:
                        raise DuplicateReference(*existing) from exc
            taken = [write.case.public_code for write, position in zip(writes, claim_positions) if failed(position + 1)]
            if taken:
                raise CodeTaken(*taken) from exc
            raise
        for write in writes:
            write.case.version = 1
            write.case.stats_recorded = counted[write.case.case_id]

    def save_change(
        self,
        case: Case,
        events: list[Event],
        notifications: list[dict[str, Any]] = (),
        mediator_load: dict[str, int] | None = None,
        require_active_mediator: str | None = None,
        letters: Iterable[SupervisionLetter] = (),
        schedules: Iterable[MediatorSchedule] = (),
        listed_for: Iterable[str] = (),
        refresh_code_claim: bool = False,
    ) -> None:
        """Write a changed case with its events, notifications and letters in one transaction.

        The case write is conditional on the version read (optimistic lock):
        StaleCase if someone else changed it first. `mediator_load` adjusts
        mediators' open-case counters in the same transaction; with
        `require_active_mediator` the write also requires that mediator to be
        active still (MediatorUnavailable otherwise). Each of `schedules` (a
        mediator's sessions) is written on the revision it was read at:
        ScheduleChanged if another booking wrote it first. Each org of `listed_for` gets a
        look-up row (`ASSIST#<org_id>`) by which its mediators' list finds the case. With
        `refresh_code_claim` the code's claim gets the digests of the parties as they now are
        (none, once they are anonymised: the party's lookup then opens to nobody).
        """
        self._write_change(case, events, notifications, mediator_load, require_active_mediator, letters,
                           schedules=tuple(schedules), listed_for=tuple(listed_for),
                           refresh_code_claim=refresh_code_claim)

    def _write_change(self, case: Case, events: list[Event], notifications: Iterable[dict[str, Any]] = (),
                      mediator_load: dict[str, int] | None = None, require_active_mediator: str | None = None,
                      letters: Iterable[SupervisionLetter] = (), claim_code: bool = False,
                      schedules: tuple[MediatorSchedule, ...] = (), listed_for: tuple[str, ...] = (),
                      refresh_code_claim: bool = False) -> None:
        """`save_change`; with `claim_code`, the claim of the case's code too, second in the
        transaction (CodeTaken if the code is another case's); the schedules next."""
        mediator_load = {k: v for k, v in (mediator_load or {}).items() if v}
        counted: dict[str, Any] = {}
        first_schedule = 2 if claim_code else 1
        try:
            for attempt in transaction_attempts():
                with attempt, TransactWrite(connection=self.connection,
                                            client_request_token=attempt.request_token) as transaction:
                    model, counted, changes = model_and_stats(case)
                    transaction.save(model)  # first: its condition failing means StaleCase
                    if claim_code:  # second: its condition failing means the code is taken
                        transaction.save(code_claim_row(case), condition=KeyModel.pk.does_not_exist())
                    for schedule in schedules:  # next: a condition failing means ScheduleChanged
                        transaction.save(*_schedule_write(schedule))
                    for org_id in listed_for:
                        transaction.save(assist_row(org_id, case))
                    if refresh_code_claim:
                        _update_code_digests(transaction, case)
                    for index, event in enumerate(events):
                        transaction.save(event_to_model(case.case_id, event, index))
                    for record in notifications:
                        transaction.save(notification_to_model(record))
                    for letter in letters:
                        transaction.save(letter_to_model(case.case_id, letter))
                    for mediator_id, delta in sorted(mediator_load.items()):
                        condition = MediatorModel.mediator_id.exists()
                        if mediator_id == require_active_mediator:
                            condition &= MediatorModel.active == True  # noqa: E712 - a DynamoDB condition
                        transaction.update(MediatorModel(mediator_id), actions=[MediatorModel.open_cases.add(delta)],
                                           condition=condition)
                    update_stats(transaction, (case, changes))
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons or []
            failed = [i for i, r in enumerate(reasons) if r is not None and r.code == "ConditionalCheckFailed"]
            if 0 in failed:
                raise StaleCase(case.case_id) from exc
            if claim_code and 1 in failed:
                raise CodeTaken(case.public_code) from exc
            if any(first_schedule <= index < first_schedule + len(schedules) for index in failed):
                raise ScheduleChanged(case.case_id) from exc
            if failed:
                raise MediatorUnavailable(require_active_mediator or "") from exc
            raise
        case.version += 1
        case.stats_recorded = counted

    def give_code(self, case: Case, events: list[Event]) -> None:
        """A case filed before case codes existed gets one (一案一码): the code's claim in the case's
        own version-checked write (`save_change`), with its events and statistics rows.
        StaleCase if the case changed since it was read; a code already taken is drawn again."""
        for _ in range(CODE_ATTEMPTS):
            case.public_code = new_public_code()
            try:
                return self._write_change(case, events, claim_code=True)
            except CodeTaken:
                continue
            except Exception:  # StaleCase, or the write failed: the case keeps no code it did not get
                case.public_code = None
                raise
        case.public_code = None
        raise RuntimeError("no free case code found")

    def save_merge(self, source: Case, source_events: list[Event], target: Case, target_events: list[Event],
                   mediator_load: dict[str, int] | None = None, party_keys: PartyKeys | None = None,
                   unsent: Iterable[str] = ()) -> None:
        """A merge (并案) in one transaction: both cases, each conditional on the version read
        (StaleCase if either changed meanwhile: a merge the other way, an accept), their
        events, the mediators' open-case counters, the statistics rows, the target's look-up
        keys of the parties it takes, and the source's unsent SMS (sort keys `unsent`) made
        `suppressed`, each conditional on being unsent still (StaleCase if a sender took one).
        Two merges of one pair at once cannot both commit, so no cycle can form."""
        mediator_load = {k: v for k, v in (mediator_load or {}).items() if v}
        try:
            for attempt in transaction_attempts():
                with attempt, TransactWrite(connection=self.connection,
                                            client_request_token=attempt.request_token) as transaction:
                    source_model, source_counted, source_changes = model_and_stats(source)
                    target_model, target_counted, target_changes = model_and_stats(target)
                    transaction.save(source_model)  # first and second: their conditions failing mean StaleCase
                    transaction.save(target_model)
                    for case, events in ((source, source_events), (target, target_events)):
                        for index, event in enumerate(events):
                            transaction.save(event_to_model(case.case_id, event, index))
                    for sort_key in unsent:
                        transaction.update(CaseItemModel(source.case_id, sort_key), actions=[
                            CaseItemModel.status.set(str(NotificationStatus.SUPPRESSED)),
                            CaseItemModel.release_shard.remove(), CaseItemModel.release_at.remove()],
                            condition=CaseItemModel.status.is_in(*map(str, CLAIMABLE)))
                    if party_keys is not None:
                        for key in party_key_rows(party_keys, target.case_id):
                            transaction.save(key)
                    _update_code_digests(transaction, target)  # its code now opens to the parties it took too
                    for mediator_id, delta in sorted(mediator_load.items()):
                        transaction.update(MediatorModel(mediator_id), actions=[MediatorModel.open_cases.add(delta)],
                                           condition=MediatorModel.mediator_id.exists())
                    update_stats(transaction, (source, source_changes), (target, target_changes))
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons or []
            failed = [i for i, r in enumerate(reasons) if r is not None and r.code == "ConditionalCheckFailed"]
            if failed:  # a case or an unsent SMS changed since they were read
                raise StaleCase(target.case_id if failed[0] == 1 else source.case_id) from exc
            raise
        source.version += 1
        target.version += 1
        source.stats_recorded, target.stats_recorded = source_counted, target_counted

    @staticmethod
    def _due(index, shards: int, key, bound: str, page_size: int) -> Iterator[Case]:
        """The cases of a sharded sparse index whose `key` has come by `bound`, shard by shard (no Scan)."""
        for shard in range(shards):
            for model in index.query(str(shard), key <= bound, page_size=page_size):
                yield case_from_model(model)

    def due_for_supervision(self, now: dt.datetime, page_size: int = 100) -> Iterator[Case]:
        """Cases whose next supervision check has come."""
        return self._due(CaseModel.by_due, DUE_SHARDS, CaseModel.next_check_at, to_storage(now), page_size)

    def due_for_visits(self, today: dt.date, page_size: int = 100) -> Iterator[Case]:
        """Cases owing the return-visit sweep something on `today` (a visit notice, a judicial
        confirmation step)."""
        return self._due(CaseModel.by_visit, VISIT_SHARDS, CaseModel.next_visit_check_on, today.isoformat(),
                         page_size)

    def due_for_retention(self, today: dt.date, page_size: int = 100) -> Iterator[Case]:
        """Cases whose personal data is due to be erased on `today` (§16), from the sparse retention index."""
        return self._due(CaseModel.by_retention, RETENTION_SHARDS, CaseModel.retention_due_on, today.isoformat(),
                         page_size)

    def timeline_items(self, case_id: str) -> list[tuple[str, Event]]:
        """The case's timeline with each event's sort key (one Query), to rewrite one in place."""
        return [(item.sk, event_from_model(item))
                for item in CaseItemModel.query(case_id, CaseItemModel.sk.startswith(EVENT_PREFIX),
                                                consistent_read=True)]

    def rewrite_event(self, case_id: str, sort_key: str, detail: dict[str, Any]) -> None:
        """One timeline event's detail replaced (the retention sweep erasing names): one UpdateItem."""
        CaseItemModel(case_id, sort_key).update(actions=[CaseItemModel.detail.set(detail)],
                                                condition=CaseItemModel.sk.exists())

    # ----------------------------------------------------------------- reads

    def received_between(self, region_prefix: str, start: dt.datetime, end: dt.datetime,
                         page_size: int | None = None) -> Iterator[Case]:
        """Cases of a region prefix received in [start, end), newest first, merged ones included:
        one Query of the district index on `received_key`, read page by page as it is iterated
        (each page up to DynamoDB's 1 MB), the region filtered below a district."""
        condition = CaseModel.received_key.between(to_storage(start), to_storage(end))  # `<time>#<id>` > `<time>`
        region = CaseModel.region_code.startswith(region_prefix) if len(region_prefix) > 6 else None
        for model in CaseModel.by_district.query(region_prefix[:6], condition, filter_condition=region,
                                                 scan_index_forward=False, page_size=page_size):
            yield case_from_model(model)

    def get(self, case_id: str) -> Case | None:
        try:
            return case_from_model(CaseModel.get(case_id, consistent_read=True))
        except CaseModel.DoesNotExist:
            return None

    def schedules(self, mediator_ids: Iterable[str]) -> dict[str, MediatorSchedule]:
        """The mediators' schedules of sessions (one BatchGetItem, consistent: the revision read
        is the one the booking's write is conditional on)."""
        ids = sorted(set(mediator_ids))
        rows = {row.pk: row for row in KeyModel.batch_get([(schedule_key(m), CLAIM_SORT_KEY) for m in ids],
                                                          consistent_read=True)} if ids else {}
        found = {m: rows.get(schedule_key(m)) for m in ids}
        return {m: schedule_from_row(m, row.bookings if row else None, row.revision if row else 0)
                for m, row in found.items()}

    def code_claim(self, public_code: str) -> CodeClaim | None:
        """The code's claim (one consistent GetItem of a small item, found or not)."""
        try:
            claim = KeyModel.get(code_key(public_code), CLAIM_SORT_KEY, consistent_read=True)
        except KeyModel.DoesNotExist:
            return None
        return CodeClaim(claim.case_id, tuple(claim.tail_digests or ()))

    def get_claim(self, owner: str, external_ref: str) -> tuple[str, str] | None:
        try:
            claim = KeyModel.get(ref_key(owner, external_ref), CLAIM_SORT_KEY, consistent_read=True)
        except KeyModel.DoesNotExist:
            return None
        return claim.case_id, claim.request_hash

    def claims(self, owner: str, external_refs: Iterable[str]) -> dict[str, tuple[str, str]]:
        """external_ref → (case id, request digest) of the claims that exist (BatchGetItem, 100 keys a call)."""
        refs = {ref_key(owner, ref): ref for ref in sorted(set(external_refs))}
        rows = KeyModel.batch_get([(key, CLAIM_SORT_KEY) for key in refs], consistent_read=True) if refs else ()
        return {refs[row.pk]: (row.case_id, row.request_hash) for row in rows}

    def party_cases(self, pseudonyms: list[str], since: dt.datetime) -> dict[str, list[str]]:
        """Party key → the ids of the cases received at or after `since` it appears in, newest
        first, at most PARTY_CASES_LIMIT each: one Query per key (a phone or ID number)."""
        lower = to_storage(since)
        found: dict[str, list[str]] = {}
        for pseudonym in pseudonyms:
            rows = KeyModel.query(f"{PARTY_PREFIX}{pseudonym}", KeyModel.sk >= lower, scan_index_forward=False,
                                  limit=PARTY_CASES_LIMIT, page_size=PARTY_CASES_LIMIT)
            found[pseudonym] = [row.case_id for row in rows if row.case_id]
        return found

    def case_ids_by_party(self, pseudonym: str, limit: int) -> list[str]:
        """The cases a party key appears in, newest first: one Query of its `PARTY#` rows (they
        live as long as the repeated-party rule looks back, and an anonymised case has none)."""
        rows = KeyModel.query(f"{PARTY_PREFIX}{pseudonym}", scan_index_forward=False, limit=limit, page_size=limit)
        return list(dict.fromkeys(row.case_id for row in rows if row.case_id))

    def case_ids_by_external_ref(self, external_ref: str, limit: int) -> list[str]:
        """The cases filed under `external_ref`, newest first: one Query of the keys-only index."""
        rows = CaseModel.by_external_ref.query(external_ref, scan_index_forward=False, limit=limit, page_size=limit)
        return [row.case_id for row in rows]

    def cases(self, case_ids: Iterable[str]) -> list[Case]:
        """The cases of these ids that exist (BatchGetItem, 100 keys a call), in no order."""
        ids = sorted(set(case_ids))
        return [case_from_model(model) for model in CaseModel.batch_get(ids, consistent_read=True)] if ids else []

    def open_reports_at(self, region_code: str, category: str, since: dt.datetime, limit: int) -> list[Candidate]:
        """The reports of the open cases of a village and category received at or after `since`,
        newest first, at most `limit`: one Query of the sparse place index, which only open
        cases are on and which holds just what the comparison reads."""
        key = place_key(region_code, category, CaseStatus.RECEIVED)
        rows = CaseModel.by_place.query(key, CaseModel.received_key >= to_storage(since), scan_index_forward=False,
                                        limit=limit, page_size=limit)
        return [Candidate(row.case_id, CaseStatus(row.status), row.region_code, row.category,
                          report_text(row.title, row.description)) for row in rows]

    def open_red_case_ids(self, region: str, limit: int | None = None) -> list[str]:
        """The open red cases under `region`, newest first, from the sparse open-red index (it
        holds those cases only), at most `limit` of them if given."""
        return [row.case_id for row in CaseModel.by_open_red.query(
            region[:6], filter_condition=_under(region), scan_index_forward=False, limit=limit,
            page_size=_page_size(region, limit))]

    def overdue_case_ids(self, region: str, limit: int) -> list[str]:
        """The open cases under `region` flagged overdue, most late first (the earliest deadline
        first), at most `limit`: a Query of the sparse overdue index, which holds those cases
        only, in the district's partition. Under a town or village the district's entries are
        read in order and those of other regions dropped (a filter): it reads the district's
        overdue cases up to the `limit`-th of the region, FILTERED_PAGE_SIZE entries (of key and
        region code, about 100 bytes each) a call."""
        return [row.case_id for row in CaseModel.by_overdue.query(
            region[:6], filter_condition=_under(region), limit=limit, page_size=_page_size(region, limit))]

    def events(self, case_id: str) -> list[Event]:
        return [event_from_model(item)
                for item in CaseItemModel.query(case_id, CaseItemModel.sk.startswith(EVENT_PREFIX))]

    def add_events(self, case_id: str, events: list[Event]) -> None:
        """Timeline events alone, the case item untouched (no version bump): one PutItem each."""
        for index, event in enumerate(events):
            event_to_model(case_id, event, index).save()

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
        if query.assisted_by is not None:
            return self._list_with_assisted(query, limit, cursor)
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

    def _list_with_assisted(self, query: CaseQuery, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
        """An org's mediators' list: the org's cases (its index) and those it assists in (its
        `ASSIST#` rows, each case read in a BatchGet and judged as it now stands: the filters,
        and whether the org assists still), merged newest first. The cursor is the last
        `received_key` shown: each source is read from below it, at most `limit` + 1 of each."""
        before = None
        if cursor is not None:
            key = decode_cursor(cursor)
            if (set(key) != {"org_id", "before"} or key["org_id"]["S"] != query.org_id
                    or not RECEIVED_KEY.fullmatch(key["before"]["S"])):
                raise InvalidCursor("cursor does not belong to this list")
            before = key["before"]["S"]
        below = CaseModel.received_key < before if before else None
        own = list(islice(CaseModel.by_org.query(query.org_id, below, filter_condition=self._filter_condition(query),
                                                 scan_index_forward=False, page_size=limit + 1), limit + 1))
        assisted, read_down_to = self._assisted(query, before, limit + 1)
        found = {model.case_id: model for model in [*own, *assisted]}
        models = sorted(found.values(), key=lambda model: model.received_key, reverse=True)
        if read_down_to is not None:  # the assisted rows were read down to here only: nothing older is sure
            models = [model for model in models if model.received_key >= read_down_to]
        page = models[:limit]
        following = None
        if len(models) > limit:
            following = page[-1].received_key
        elif read_down_to is not None:
            following = read_down_to  # a short page: the next one goes on below the last row read
        if following is not None:
            following = encode_cursor({"org_id": {"S": query.org_id}, "before": {"S": following}})
        return [case_from_model(model) for model in page], following

    def _assisted(self, query: CaseQuery, before: str | None, wanted: int) -> tuple[list[CaseModel], str | None]:
        """Up to `wanted` of the cases `query.assisted_by` assists in, newest first, that pass the
        filters, reading at most ASSIST_ROWS_PER_PAGE + `wanted` rows; and, if it stopped at that
        bound with rows left, the sort key of the last row it read (None if it read them all)."""
        rows = KeyModel.query(f"{ASSIST_PREFIX}{query.assisted_by}", KeyModel.sk < before if before else None,
                              scan_index_forward=False, page_size=wanted)
        kept: list[CaseModel] = []
        budget = ASSIST_ROWS_PER_PAGE + wanted
        last = None
        while len(kept) < wanted and budget > 0:
            chunk = list(islice(rows, min(wanted, budget, 100)))
            if not chunk:
                return kept[:wanted], None
            budget -= len(chunk)
            last = chunk[-1].sk
            models = {m.case_id: m for m in CaseModel.batch_get([row.case_id for row in chunk], consistent_read=True)}
            kept += [models[row.case_id] for row in chunk
                     if row.case_id in models and _assisted_and_wanted(models[row.case_id], query)]
        return kept[:wanted], (last if budget <= 0 and len(kept) < wanted else None)

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


FILTERED_PAGE_SIZE = 500
"""Entries a Query of a district's sparse index reads a call when it keeps a town's or village's
only: a district's overdue or red cases fit in one call, whatever the region's share of them."""


def _page_size(region: str, limit: int | None) -> int | None:
    """A district's own entries: exactly the `limit` wanted; a town's or village's: a larger page."""
    return limit if len(region) == 6 else max(limit or 0, FILTERED_PAGE_SIZE)


def _under(region: str):
    """The filter of a district's index entries to the region's (none for the district itself)."""
    return CaseModel.region_code.startswith(region) if len(region) > 6 else None
