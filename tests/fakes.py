"""In-memory fakes of the ports (`chalicelib/services/ports.py`), for the services' unit tests.

Each keeps the semantics of the adapter it stands in for, down to what that adapter
refuses: a duplicate claim, a stale version, an inactive mediator, a delay SQS would
not take, a body that is not JSON, a non-2xx answer. What the real stores keep as JSON
(timeline details, notification records, letters, a case's agreement and visits) goes
through JSON here too, so a value DynamoDB could not hold fails in the unit tests.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import io
import json
import hashlib
from collections import Counter, defaultdict
from typing import Any, BinaryIO, Callable, Iterable, Iterator
from urllib.parse import urlencode

from chalicelib.adapters.case_mapping import overdue_key, received_key
from chalicelib.adapters.case_store import PARTY_CASES_LIMIT
from chalicelib.adapters.clock import from_storage, to_storage
from chalicelib.adapters.cursors import decode_cursor, encode_cursor
from chalicelib.adapters.webhooks import WebhookError
from chalicelib.config import queue_name
from chalicelib.domain.agreement_document import AgreementDocument
from chalicelib.domain.attachments import LEADING_BYTES, Attachment, AttachmentStatus, Observed
from chalicelib.domain.calendar import WorkingCalendar, YearCalendar
from chalicelib.domain.case import Case, Event, SupervisionLetter
from chalicelib.domain.case_query import CaseQuery
from chalicelib.domain.directory import Mediator, Org, Partner, Region
from chalicelib.domain.duplicates import Candidate, place_key, report_text
from chalicelib.domain.enums import CaseStatus, Tier
from chalicelib.domain.sessions import MediatorSchedule
from chalicelib.domain.patrol_reports import PatrolReport, Period, ReportSchedule, SensitivePeriod
from chalicelib.domain.notices import CLAIMABLE, NotificationStatus
from chalicelib.domain.public_code import new_public_code
from chalicelib.domain.public_lookup import tail_digests
from chalicelib.domain.sms_limits import LedgerEntry, SendLedger
from chalicelib.services.ports import CodeClaim, NewCaseWrite, PartyKeys, ReplayClaim, SmsMessage, SmsReceipt
from chalicelib.domain.errors import (
    SmsRefused,
    ScheduleChanged,
    AlreadyExists, AttachmentLimitReached, DuplicateReference, InvalidCursor, MediatorUnavailable, ReplayedRequest,
    StaleCase, UploadChanged)
from chalicelib.domain.identity import e164
from chalicelib.domain.ledger import ExportJob, ExportStatus
from chalicelib.domain.regions import district_of
from chalicelib.domain.stats import LEVEL_OF_PREFIX, describe_row, open_red_district, report_facts, stats_changes
from chalicelib.domain.supervision import next_check_at, overdue_deadline
from chalicelib.domain.retention import retention_due_on, text_purge_on
from chalicelib.domain.visits import next_visit_check_on

CASE_JSON_FIELDS = ("agreement", "referral", "return_visits", "stats_recorded", "transfer", "self_evaluation")
"""Case fields the real store keeps as JSON attributes."""


def _json(value: Any) -> Any:
    """`value` as it comes back from a JSON attribute (TypeError for what JSON cannot hold)."""
    return json.loads(json.dumps(value, ensure_ascii=False))


def _letter_record(letter: SupervisionLetter) -> dict[str, Any]:
    """督办函 as the real store keeps it: its fields but the issue time (the key), dates in ISO 8601."""
    fields = {name: value for name, value in dataclasses.asdict(letter).items() if name != "issued_at"}
    return json.loads(json.dumps(fields, default=lambda moment: moment.isoformat(), ensure_ascii=False))


class FakeClock:
    """The service's clock, set by the test: it says `now` until moved (timezone-aware only)."""

    def __init__(self, now: dt.datetime):
        self.set(now)

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, moment: dt.datetime) -> dt.datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("the clock is timezone-aware: give an offset")
        self.now = moment
        return moment

    def advance(self, delta: dt.timedelta | None = None, **units: float) -> dt.datetime:
        return self.set(self.now + (delta or dt.timedelta(**units)))


class FakeDirectory:
    """The directory (机构名录) in memory, as `ports.Directory`: entries by id, AlreadyExists on a taken id."""

    _ID_FIELD = {Region: "code", Org: "org_id", Mediator: "mediator_id", Partner: "partner_id"}

    def __init__(self) -> None:
        self._entries: dict[type, dict[str, Any]] = {kind: {} for kind in self._ID_FIELD}

    def _add(self, entry: Any) -> None:
        table, key = self._entries[type(entry)], getattr(entry, self._ID_FIELD[type(entry)])
        if key in table:
            raise AlreadyExists(key)
        table[key] = entry

    def _update(self, entry: Any, changes: dict[str, Any]) -> Any:
        """The stored entry with `changes`, not the one handed in (its `open_cases` may have moved)."""
        table, key = self._entries[type(entry)], getattr(entry, self._ID_FIELD[type(entry)])
        if key not in table:  # the real update is conditional on the row existing
            raise LookupError(f"no {type(entry).__name__} {key} to update")
        table[key] = dataclasses.replace(table[key], **changes)
        return table[key]

    def _all(self, kind: type) -> list[Any]:
        return list(self._entries[kind].values())

    # new entries
    def add_region(self, region: Region) -> None:
        self._add(region)

    def add_org(self, org: Org) -> None:
        self._add(org)

    def add_mediator(self, mediator: Mediator) -> None:
        self._add(mediator)

    def add_partner(self, partner: Partner) -> None:
        self._add(partner)

    # look-ups by id
    def region(self, code: str) -> Region | None:
        return self._entries[Region].get(code)

    def org(self, org_id: str) -> Org | None:
        return self._entries[Org].get(org_id)

    def mediator(self, mediator_id: str) -> Mediator | None:
        return self._entries[Mediator].get(mediator_id)

    def partner(self, partner_id: str) -> Partner | None:
        return self._entries[Partner].get(partner_id)

    # every entry of a kind
    def regions(self) -> Iterable[Region]:
        return self._all(Region)

    def regions_under(self, prefix: str) -> list[Region]:
        return sorted((r for r in self._all(Region) if r.code.startswith(prefix)), key=lambda region: region.code)

    def orgs(self) -> Iterable[Org]:
        return self._all(Org)

    def mediators(self) -> Iterable[Mediator]:
        return self._all(Mediator)

    def partners(self) -> Iterable[Partner]:
        return self._all(Partner)

    # the look-ups of the indexes, and the changes
    def orgs_in_scope(self, scope: str) -> Iterable[Org]:
        return [org for org in self._all(Org) if f"{org.region_code}#{org.tier.value}" == scope]

    def orgs_under(self, tier: Tier, region_prefix: str) -> Iterable[Org]:
        """As the tier index answers: by region code, then id."""
        return sorted((org for org in self._all(Org) if org.tier is tier and org.region_code.startswith(region_prefix)),
                      key=lambda org: (org.region_code, org.org_id))

    def mediators_of(self, org_id: str) -> Iterable[Mediator]:
        return [mediator for mediator in self._all(Mediator) if mediator.org_id == org_id]

    def partner_by_key(self, key_id: str) -> Partner | None:
        return next((p for p in self._all(Partner) if p.key_id == key_id), None)

    def update_mediator(self, mediator: Mediator, changes: dict[str, Any]) -> Mediator:
        return self._update(mediator, changes)

    def mediator_is_active(self, mediator_id: str) -> bool:
        mediator = self.mediator(mediator_id)
        return mediator is not None and mediator.active

    def update_partner(self, partner: Partner, changes: dict[str, Any]) -> Partner:
        return self._update(partner, changes)

    def state(self) -> dict[type, dict[str, Any]]:
        """Everything held, to compare before and after a refused call."""
        return copy.deepcopy(self._entries)


class FakeCaseStore:
    """Cases in memory, as `ports.CaseStore`, `ports.NotificationOutbox` and `ports.CallbackLog` at once.

    One write is all or nothing, as the real store's transaction: the (owner, external_ref)
    claim, the version check, the mediators' `open_cases` in the directory, the timeline, the
    SMS records, the letters and the statistics rows. Reads hand out copies. `interleave`
    runs a concurrent writer just before the next writes, to drive the services' retries."""

    def __init__(self, directory: FakeDirectory):
        self._directory = directory
        self._cases: dict[str, Case] = {}
        self._events: dict[str, list[Event]] = defaultdict(list)
        self._claims: dict[tuple[str, str], tuple[str, str]] = {}
        self.codes: dict[str, str] = {}
        """Case code (一案一码) → case id: the code claims."""
        self.code_digests: dict[str, list[str]] = {}
        """Case code → the digests of its parties' phone tails kept on its claim."""
        self._party_keys: dict[str, list[tuple[dt.datetime, str]]] = defaultdict(list)
        self.replay_keys: dict[str, dt.datetime] = {}
        """Replay keys claimed with a new case (`create`'s `replay`): the table's rows that the
        replay guard writes too (`fake_container` makes them one with a FakeReplayGuard's)."""
        self.lookups: list[tuple[str, str]] = []
        """The `GET /v1/cases` lookups asked of the store: (by what, key)."""
        self._notifications: dict[tuple[str, str], dict[str, Any]] = {}
        self._letters: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        self._deliveries: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        self._stats: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._schedules: dict[str, MediatorSchedule] = {}
        """Mediator id → their schedule of sessions, at its revision."""
        self._concurrent: list[Callable[[], None]] = []
        self._interleaving = False
        self.reads = 0
        """Cases handed out by `received_between` (the ledger's reads)."""
        self.code_reads = 0
        """Look-ups by case code (`code_claim`)."""

    # ------------------------------------------------------------ test controls

    def interleave(self, write: Callable[[], None], times: int = 1) -> None:
        """Run `write` (a concurrent writer) just before each of the next `times` writes."""
        self._concurrent.extend([write] * times)

    def _before_write(self) -> None:
        if self._concurrent and not self._interleaving:  # a concurrent writer's own write runs as it is
            self._interleaving = True
            try:
                self._concurrent.pop(0)()
            finally:
                self._interleaving = False

    def state(self) -> tuple:
        """Everything held, to compare before and after a refused call."""
        return copy.deepcopy((self._cases, dict(self._events), self._claims, dict(self._party_keys),
                              self._notifications, dict(self._letters), dict(self._deliveries),
                              {row: dict(counters) for row, counters in self._stats.items()}, self._schedules))

    def deliveries(self, case_id: str) -> list[dict[str, Any]]:
        """The callback attempts recorded on a case, oldest first."""
        return [self._deliveries[case_id][key] for key in sorted(self._deliveries[case_id])]

    def stats_rows(self) -> dict[tuple[str, str], dict[str, int]]:
        """(district, row key) → counters, as the case writes left the statistics rows."""
        return {row: {name: value for name, value in counters.items() if value}
                for row, counters in self._stats.items()}

    # ------------------------------------------------------------------ writes

    def _prepare(self, case: Case, events: list[Event], version: int) -> Callable[[], None]:
        """The write of a case at `version` with its events, checked whole (TypeError for what JSON
        cannot hold) before anything changes; call the result to make it."""
        record, changes = stats_changes(case)
        kept = copy.deepcopy(case)
        kept.version, kept.stats_recorded = version, record
        for name in CASE_JSON_FIELDS:
            setattr(kept, name, _json(getattr(kept, name)))
        timeline = [dataclasses.replace(event, detail=_json(event.detail)) for event in events]

        def commit() -> None:
            case.version, case.stats_recorded = version, record
            self._cases[case.case_id] = kept
            self._events[case.case_id].extend(timeline)
            self._events[case.case_id].sort(key=lambda event: event.at)  # stable: a write's own order holds
            for row, counters in changes.items():
                for name, delta in counters.items():
                    self._stats[district_of(case.region_code), row][name] += delta
        return commit

    def create(self, case: Case, events: list[Event], party_pseudonyms: list[str],
               party_key_ttl: dt.datetime, notifications: Iterable[dict[str, Any]] = (),
               replay: ReplayClaim | None = None) -> None:
        self._before_write()
        if replay is not None and replay.key in self.replay_keys:
            raise ReplayedRequest(replay.key)
        claim = (case.owner, case.external_ref)
        if claim in self._claims:
            raise DuplicateReference(*self._claims[claim])
        if case.case_id in self._cases:  # the real transaction is cancelled on the case's own condition
            raise RuntimeError(f"case id {case.case_id} is taken")
        while case.public_code is None or case.public_code in self.codes:  # the real store draws again
            case.public_code = new_public_code()
        records = [_json(record) for record in notifications]
        self._prepare(case, events, version=1)()
        self._claims[claim] = (case.case_id, case.request_hash)
        self.codes[case.public_code] = case.case_id
        self.code_digests[case.public_code] = tail_digests(case.public_code, case.parties)
        for pseudonym in party_pseudonyms:
            self._party_keys[pseudonym].append((case.received_at, case.case_id))
        for record in records:
            self._notifications[record["case_id"], record["sk"]] = record
        if replay is not None:
            self.replay_keys[replay.key] = replay.expires_at

    def create_many(self, writes: list[NewCaseWrite]) -> list[DuplicateReference | None]:
        outcomes: list[DuplicateReference | None] = []
        for write in writes:
            try:
                self.create(write.case, write.events, write.party_pseudonyms, write.party_key_ttl,
                            write.notifications)
                outcomes.append(None)
            except DuplicateReference as duplicate:
                outcomes.append(duplicate)
        return outcomes

    def save_change(self, case: Case, events: list[Event], notifications: list[dict[str, Any]] = (),
                    mediator_load: dict[str, int] | None = None, require_active_mediator: str | None = None,
                    letters: Iterable[SupervisionLetter] = (), schedules: Iterable[MediatorSchedule] = (),
                    listed_for: Iterable[str] = (), refresh_code_claim: bool = False) -> None:
        self._before_write()
        stored = self._cases.get(case.case_id)
        if (stored.version if stored else 0) != case.version:
            raise StaleCase(case.case_id)
        schedules = list(schedules)
        for schedule in schedules:
            if self.schedules([schedule.mediator_id])[schedule.mediator_id].revision != schedule.revision:
                raise ScheduleChanged(case.case_id)
        load = {mediator_id: delta for mediator_id, delta in (mediator_load or {}).items() if delta}
        mediators = {mediator_id: self._directory.mediator(mediator_id) for mediator_id in load}
        if any(m is None for m in mediators.values()) or (
                require_active_mediator in mediators and not mediators[require_active_mediator].active):
            raise MediatorUnavailable(require_active_mediator or "")
        commit = self._prepare(case, events, version=case.version + 1)
        records = [_json(record) for record in notifications]
        letter_records = {f"{to_storage(letter.issued_at)}#{letter.deadline}": _letter_record(letter)
                          for letter in letters}
        commit()
        for record in records:
            self._notifications[record["case_id"], record["sk"]] = record
        self._letters[case.case_id].update(letter_records)
        for mediator_id, delta in load.items():
            mediator = mediators[mediator_id]
            self._directory.update_mediator(mediator, {"open_cases": mediator.open_cases + delta})
        if refresh_code_claim and case.public_code:
            self.code_digests[case.public_code] = tail_digests(case.public_code, case.parties)
        for schedule in schedules:
            self._schedules[schedule.mediator_id] = dataclasses.replace(schedule, revision=schedule.revision + 1)

    def schedules(self, mediator_ids: Iterable[str]) -> dict[str, MediatorSchedule]:
        return {m: self._schedules.get(m) or MediatorSchedule(m) for m in sorted(set(mediator_ids))}

    def give_code(self, case: Case, events: list[Event]) -> None:
        self._before_write()
        stored = self._cases.get(case.case_id)
        if (stored.version if stored else 0) != case.version:
            raise StaleCase(case.case_id)
        case.public_code = new_public_code()
        while case.public_code in self.codes:
            case.public_code = new_public_code()
        self._prepare(case, events, version=case.version + 1)()
        self.codes[case.public_code] = case.case_id
        self.code_digests[case.public_code] = tail_digests(case.public_code, case.parties)

    def save_merge(self, source: Case, source_events: list[Event], target: Case, target_events: list[Event],
                   mediator_load: dict[str, int] | None = None, party_keys: PartyKeys | None = None,
                   unsent: Iterable[str] = ()) -> None:
        """Both cases at once, each checked on its version, with the target's party keys and the
        source's unsent SMS suppressed (each checked on being unsent still), as one transaction."""
        self._before_write()
        for case in (source, target):
            stored = self._cases.get(case.case_id)
            if (stored.version if stored else 0) != case.version:
                raise StaleCase(case.case_id)
        unsent = list(unsent)
        if any(self._unsent(source.case_id, sort_key, CLAIMABLE) is None for sort_key in unsent):
            raise StaleCase(source.case_id)
        load = {mediator_id: delta for mediator_id, delta in (mediator_load or {}).items() if delta}
        mediators = {mediator_id: self._directory.mediator(mediator_id) for mediator_id in load}
        if any(m is None for m in mediators.values()):
            raise MediatorUnavailable("")
        commits = [self._prepare(source, source_events, source.version + 1),
                   self._prepare(target, target_events, target.version + 1)]
        for commit in commits:
            commit()
        for sort_key in unsent:
            record = self._notifications[source.case_id, sort_key]
            record.update(status=NotificationStatus.SUPPRESSED.value, release_at=None)
        for pseudonym in party_keys.pseudonyms if party_keys else ():
            self._party_keys[pseudonym].append((party_keys.at, target.case_id))
        if target.public_code:
            self.code_digests[target.public_code] = tail_digests(target.public_code, target.parties)
        for mediator_id, delta in load.items():
            mediator = self._directory.mediator(mediator_id)
            self._directory.update_mediator(mediator, {"open_cases": mediator.open_cases + delta})

    def add_events(self, case_id: str, events: list[Event]) -> None:
        """Timeline events alone, the case untouched (its version stays)."""
        self._before_write()
        timeline = [dataclasses.replace(event, detail=_json(event.detail)) for event in events]
        self._events[case_id].extend(timeline)
        self._events[case_id].sort(key=lambda event: event.at)

    def record_delivery(self, case_id: str, delivery: dict[str, Any], at: dt.datetime) -> None:
        """One row per attempt, keyed by its moment and a counter (the real log adds a random tail)."""
        self._deliveries[case_id][f"{to_storage(at)}#{len(self._deliveries[case_id]):06d}"] = _json(delivery)

    # ------------------------------------------------------------------- reads

    def get(self, case_id: str) -> Case | None:
        case = self._cases.get(case_id)
        return copy.deepcopy(case) if case else None

    def get_claim(self, owner: str, external_ref: str) -> tuple[str, str] | None:
        return self._claims.get((owner, external_ref))

    def code_claim(self, public_code: str) -> CodeClaim | None:
        """The code's claim with its digests as the real store keeps them (written at filing, set
        again at a merge); `code_reads` counts the look-ups."""
        self.code_reads += 1
        case_id = self.codes.get(public_code)
        if case_id is None:
            return None
        return CodeClaim(case_id, tuple(self.code_digests.get(public_code) or ()))

    def claims(self, owner: str, external_refs: Iterable[str]) -> dict[str, tuple[str, str]]:
        return {ref: self._claims[owner, ref] for ref in set(external_refs) if (owner, ref) in self._claims}

    def party_cases(self, pseudonyms: list[str], since: dt.datetime) -> dict[str, list[str]]:
        return {pseudonym: [case_id for received, case_id in sorted(self._party_keys.get(pseudonym, ()), reverse=True)
                            if received >= since][:PARTY_CASES_LIMIT] for pseudonym in pseudonyms}

    def case_ids_by_party(self, pseudonym: str, limit: int) -> list[str]:
        self.lookups.append(("party", pseudonym))
        return [case_id for _, case_id in sorted(self._party_keys.get(pseudonym, ()), reverse=True)][:limit]

    def case_ids_by_external_ref(self, external_ref: str, limit: int) -> list[str]:
        self.lookups.append(("external_ref", external_ref))
        held = [case for case in self._cases.values() if case.external_ref == external_ref]
        return [case.case_id for case in sorted(held, key=received_key, reverse=True)][:limit]

    def cases(self, case_ids: Iterable[str]) -> list[Case]:
        return [copy.deepcopy(self._cases[case_id]) for case_id in sorted(set(case_ids)) if case_id in self._cases]

    def open_reports_at(self, region_code: str, category: str, since: dt.datetime, limit: int) -> list[Candidate]:
        """The sparse place index: the key each case's state gives it, as the real store derives it."""
        key = place_key(region_code, category, CaseStatus.RECEIVED)
        held = [case for case in self._cases.values()
                if place_key(case.region_code, case.category.value, case.status) == key and case.received_at >= since]
        return [Candidate(c.case_id, c.status, c.region_code, c.category.value, report_text(c.title, c.description))
                for c in sorted(held, key=received_key, reverse=True)[:limit]]

    def open_red_case_ids(self, region: str, limit: int | None = None) -> list[str]:
        """The sparse open-red index: the key each case's state gives it, as the real store derives it."""
        held = [case for case in self._cases.values()
                if open_red_district(case) == region[:6] and case.region_code.startswith(region)]
        return [case.case_id for case in sorted(held, key=received_key, reverse=True)][:limit]

    def overdue_case_ids(self, region: str, limit: int) -> list[str]:
        """The sparse overdue index: the key each case's state gives it, as the real store derives it."""
        keyed = sorted((overdue_key(case.case_id, deadline.due_at), case.case_id)
                       for case in self._cases.values()
                       if (deadline := overdue_deadline(case)) is not None and case.region_code.startswith(region))
        return [case_id for _, case_id in keyed][:limit]

    def events(self, case_id: str) -> list[Event]:
        return copy.deepcopy(self._events.get(case_id, []))

    def supervision_letters(self, case_id: str) -> list[dict[str, Any]]:
        letters = self._letters.get(case_id, {})
        return [copy.deepcopy(letters[key]) for key in sorted(letters)]

    def notifications(self, case_id: str) -> list[dict[str, Any]]:
        return [self._public(record) for (owner, sk), record in sorted(self._notifications.items())
                if owner == case_id]

    def list(self, query: CaseQuery, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
        """Newest first; a cursor names its list, and one of another list is refused."""
        scope = next((f"{name}={value}" for name in ("partner_id", "org_id", "district_code")
                      if (value := getattr(query, name)) is not None), "all")
        cases = sorted((c for c in self._cases.values() if _in_query(c, query)), key=received_key, reverse=True)
        if cursor is not None:
            key = decode_cursor(cursor)
            if set(key) != {"scope", "after"} or key["scope"]["S"] != scope:
                raise InvalidCursor("cursor does not belong to this list")
            cases = [c for c in cases if received_key(c) < key["after"]["S"]]
        page = cases[:limit]
        following = None
        if len(cases) > limit:
            following = encode_cursor({"scope": {"S": scope}, "after": {"S": received_key(page[-1])}})
        return copy.deepcopy(page), following

    def received_between(self, region_prefix: str, start: dt.datetime, end: dt.datetime) -> Iterator[Case]:
        """Newest first, one case at a time as the caller iterates (`reads` counts them)."""
        held = sorted((c for c in self._cases.values() if c.region_code.startswith(region_prefix)
                       and start <= c.received_at < end), key=received_key, reverse=True)
        for case in held:
            self.reads += 1
            yield copy.deepcopy(case)

    def due_for_supervision(self, now: dt.datetime) -> Iterator[Case]:
        yield from self._due(next_check_at, now)

    def due_for_visits(self, today: dt.date) -> Iterator[Case]:
        yield from self._due(next_visit_check_on, today)

    def due_for_retention(self, today: dt.date) -> Iterator[Case]:
        yield from self._due(retention_due_on, today)

    def timeline_items(self, case_id: str) -> list[tuple[str, Event]]:
        """The timeline with each event's position as its key."""
        return [(f"{index:06d}", copy.deepcopy(event)) for index, event in enumerate(self._events.get(case_id, []))]

    def rewrite_event(self, case_id: str, sort_key: str, detail: dict[str, Any]) -> None:
        self._before_write()
        index = int(sort_key)
        self._events[case_id][index] = dataclasses.replace(self._events[case_id][index], detail=_json(detail))

    def _due(self, index_key: Callable[[Case], Any], bound: Any) -> list[Case]:
        """The cases a sparse index holds at or before `bound`, by their key: each key is derived
        from the case's state as it was saved, as the real store derives it at every write."""
        keyed = [(key, case) for case in self._cases.values() if (key := index_key(case)) is not None]
        return [copy.deepcopy(case) for key, case in sorted(keyed, key=lambda pair: pair[0]) if key <= bound]

    # ---------------------------------------------------------------- outbox

    @staticmethod
    def _public(record: dict[str, Any]) -> dict[str, Any]:
        """A record as the real store reads it back: without its release-index key."""
        return {k: copy.deepcopy(v) for k, v in record.items() if k != "release_at"}

    def notification(self, case_id: str, sort_key: str) -> dict[str, Any] | None:
        record = self._notifications.get((case_id, sort_key))
        return self._public(record) if record else None

    def notifications_of(self, keys: list[tuple[str, str]]) -> list[dict[str, Any]]:
        if len(set(keys)) > 100:
            raise ValueError("BatchGetItem takes at most 100 keys")
        return [self._public(self._notifications[key]) for key in keys if key in self._notifications]

    def _unsent(self, case_id: str, sort_key: str, claimable: tuple[str, ...]) -> dict[str, Any] | None:
        record = self._notifications.get((case_id, sort_key))
        return record if record is not None and record["status"] in claimable else None

    def add_notification(self, record: dict[str, Any]) -> bool:
        self._before_write()
        key = (record["case_id"], record["sk"])
        if key in self._notifications:
            return False
        self._notifications[key] = _json(record)
        return True

    def claim_notification(self, case_id: str, sort_key: str, claimable: tuple[str, ...], now: dt.datetime,
                           until: dt.datetime) -> bool:
        record = self._notifications.get((case_id, sort_key))
        lease_over = (record is not None and record["status"] == "sending" and record.get("release_at") is not None
                      and record["release_at"] <= to_storage(now))
        if self._unsent(case_id, sort_key, claimable) is None and not lease_over:
            return False
        record.update(status="sending", release_at=to_storage(until))
        return True

    def settle_notification(self, case_id: str, sort_key: str, status: str, sent_at: dt.datetime | None,
                            held_until: dt.datetime, retry_at: dt.datetime | None = None,
                            record: dict[str, Any] | None = None) -> bool:
        fields = record
        record = self._notifications[case_id, sort_key]
        if record["status"] != "sending" or record.get("release_at") != to_storage(held_until):
            return False  # the lease was taken over: the new holder settles it
        if fields is not None:
            record.update(_json({k: v for k, v in fields.items()
                                 if k not in ("case_id", "sk", "status", "sent_at", "release_at")}))
        record["status"] = str(status)
        if sent_at is not None:
            record["sent_at"] = to_storage(sent_at)
        record["release_at"] = to_storage(retry_at) if retry_at is not None else None
        return True

    def postpone_notification(self, case_id: str, sort_key: str, claimable: tuple[str, ...],
                              release_at: dt.datetime) -> bool:
        record = self._unsent(case_id, sort_key, claimable)
        if record is not None:
            record["release_at"] = to_storage(release_at)
        return record is not None

    @staticmethod
    def _purge_on(record: dict[str, Any]) -> str | None:
        """The record's key on the purge index, as the real outbox sets it: while it has a text."""
        if record.get("text") is None:
            return None
        return text_purge_on(from_storage(record.get("sent_at") or record["created_at"])).isoformat()

    def texts_to_purge(self, today: dt.date) -> Iterator[dict[str, Any]]:
        due = sorted((r for r in self._notifications.values()
                      if (day := self._purge_on(r)) is not None and day <= today.isoformat()),
                     key=lambda record: (record["case_id"], record["sk"]))
        yield from [{**self._public(record), "text_purge_on": self._purge_on(record)} for record in due]

    def purge_text(self, record: dict[str, Any]) -> bool:
        self._before_write()
        stored = self._notifications.get((record["case_id"], record["sk"]))
        if stored is None or self._purge_on(stored) != record["text_purge_on"]:
            return False
        stored.update(text=None, params=None, sent_as=None)
        return True

    def rewrite_notification(self, record: dict[str, Any], text: str | None, to: str | None,
                             params: list | None = None) -> None:
        self._before_write()
        self._notifications[record["case_id"], record["sk"]].update(text=text, to=to, params=params)

    def notifications_to_release(self, now: dt.datetime) -> Iterator[dict[str, Any]]:
        bound = to_storage(now)
        due = sorted((r for r in self._notifications.values() if r.get("release_at") and r["release_at"] <= bound),
                     key=lambda record: record["release_at"])
        yield from [self._public(record) for record in due]


def _in_query(case: Case, query: CaseQuery) -> bool:
    org_id = case.org_id
    if query.assisted_by is not None and query.assisted_by in case.assisting_org_ids:
        org_id = query.org_id  # in the list of the org assisting in it (联合调解)
    wanted = {"partner_id": (query.partner_id, case.partner_id), "org_id": (query.org_id, org_id),
              "district_code": (query.district_code, district_of(case.region_code)),
              "status": (query.status, case.status), "category": (query.category, case.category),
              "risk_level": (query.risk_level, case.risk_level), "overdue": (query.overdue, case.overdue)}
    return (all(value is None or value == actual for value, actual in wanted.values())
            and case.region_code.startswith(query.region_prefix or ""))


class FakeStatsStore:
    """The statistics rows the fake case store's writes keep, read as `adapters.stats_store.StatsStore` reads them."""

    def __init__(self, cases: FakeCaseStore, directory: FakeDirectory):
        self._cases = cases
        self._directory = directory

    def _rows(self, region: str, first: dt.date, last: dt.date) -> Iterator[tuple[dict[str, str], dict[str, int]]]:
        for (district, row), counters in sorted(self._cases.stats_rows().items()):
            described = describe_row(row)
            if district == region[:6] and described.get("region_code") == region and (
                    first.isoformat() <= described.get("day", "") <= last.isoformat()):
                yield described, counters

    def region_rows(self, region: str, first: dt.date, last: dt.date) -> Iterator[dict[str, int]]:
        return (counters for _, counters in self.daily_rows(region, first, last))

    def _of_kind(self, district: str, kind: str) -> Iterator[tuple[dict[str, str], dict[str, int]]]:
        for (row_district, row), counters in sorted(self._cases.stats_rows().items()):
            described = describe_row(row)
            if row_district == district and described.get("kind") == kind:
                yield described, counters

    def daily_rows(self, region: str, first: dt.date, last: dt.date) -> Iterator[tuple[str, dict[str, int]]]:
        return ((described["day"], counters) for described, counters in self._rows(region, first, last)
                if "kind" not in described)

    def month_rows(self, region: str, month: str, level: int) -> dict[str, dict[str, int]]:
        return {d["region_code"]: counters for d, counters in self._of_kind(region[:6], "month")
                if d["day"] == month and len(d["region_code"]) == level and d["region_code"].startswith(region)
                and level in LEVEL_OF_PREFIX}

    def open_rows(self, region: str) -> dict[str, dict[str, int]]:
        return {d["subject_id"]: counters for d, counters in self._of_kind(region[:6], "org_open")
                if d["region_code"] == region}

    def region_open_rows(self, region: str) -> dict[str, dict[str, int]]:
        return {d["region_code"]: counters for d, counters in self._of_kind(region[:6], "open")
                if d["region_code"].startswith(region)}

    def org_facts(self, org_id: str, region_code: str, first: dt.date, last: dt.date) -> dict[str, int]:
        return report_facts(counters for d, counters in self._of_kind(region_code[:6], "org_day")
                            if d["subject_id"] == org_id and first.isoformat() <= d["day"] <= last.isoformat())

    def rank_rows(self, kind: str, region: str, first: dt.date, last: dt.date) -> Iterator[tuple[str, dict[str, int]]]:
        """Day rows only: the real store reads whole months from month rows, which sum to the same."""
        return ((described["subject_id"], counters) for described, counters in self._rows(region, first, last)
                if described.get("kind") == kind)

    def names(self, kind: str, ids: list[str]) -> dict[str, str]:
        look_up = {"org": self._directory.org, "mediator": self._directory.mediator}[kind]
        return {entry_id: entry.name for entry_id in ids if (entry := look_up(entry_id)) is not None}


class PublishFailed(RuntimeError):
    """The queue refused the message (as SQS failing a send)."""


class FakePublisher:
    """The queues in memory, as `ports.Publisher`: every message as (role, body, delay_seconds), in order."""

    MAX_DELAY_SECONDS = 900
    """SQS refuses a longer per-message delay."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any], int]] = []
        self._failing: set[str] | None = set()

    def fail(self, *roles: str) -> None:
        """Refuse every publish to these roles (to every role when none is named)."""
        self._failing = set(roles) if roles else None

    def recover(self) -> None:
        """Take every publish again."""
        self._failing = set()

    def _accept(self, role: str, delay_seconds: int) -> None:
        queue_name(role)  # an unknown role has no queue (KeyError), as for the real publisher
        if not 0 <= delay_seconds <= self.MAX_DELAY_SECONDS:
            raise ValueError(f"SQS takes a delay of 0 to {self.MAX_DELAY_SECONDS} s, not {delay_seconds}")
        if self._failing is None or role in self._failing:
            raise PublishFailed(role)

    def publish(self, role: str, message: dict[str, Any], delay_seconds: int = 0) -> str:
        self._accept(role, delay_seconds)
        self.messages.append((role, _json(message), delay_seconds))
        return f"message-{len(self.messages)}"

    def publish_batch(self, role: str, messages: list[dict[str, Any]]) -> None:
        self._accept(role, 0)
        self.messages.extend((role, _json(message), 0) for message in messages)

    def bodies(self, role: str) -> list[dict[str, Any]]:
        """The bodies published to one role, in order."""
        return [body for published_role, body, _ in self.messages if published_role == role]


class SmsUnreachable(RuntimeError):
    """The SMS provider could not be reached (no answer)."""


class FakeSmsSender:
    """SMS in memory, as `ports.SmsSender`: every send as (phone, text) in `sent`, and as the
    message in `messages`; `failing` makes sends raise (True: unreachable; a string: the
    provider refuses with that code)."""

    provider = "fake"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.messages: list[SmsMessage] = []
        self.failing: bool | str = False

    def send(self, message: SmsMessage) -> SmsReceipt:
        e164(message.phone)  # the real sender formats the number for the gateway first
        if isinstance(self.failing, str):
            raise SmsRefused(self.provider, self.failing)
        if self.failing:
            raise SmsUnreachable(message.phone)
        self.sent.append((message.phone, message.text))
        self.messages.append(message)
        return SmsReceipt(self.provider, f"sms-{len(self.sent)}")


class FakeSendLedgers:
    """The SMS send ledgers in memory, as `ports.SendLedgers`, with the revision check."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], LedgerEntry] = {}
        self.keep_until: dict[tuple[str, str], dt.datetime] = {}

    def read(self, recipient: str, kind: str) -> LedgerEntry:
        return self.entries.get((recipient, kind), LedgerEntry())

    def write(self, recipient: str, kind: str, read: LedgerEntry, ledger: SendLedger, keep_until: dt.datetime) -> bool:
        if self.read(recipient, kind).revision != read.revision:
            return False
        self.entries[recipient, kind] = LedgerEntry(ledger, read.revision + 1)
        self.keep_until[recipient, kind] = keep_until
        return True


class FakeWebhookClient:
    """Partner endpoints in memory, as `ports.WebhookClient`: records every POST and gives the
    next of `answers` (200 once they run out); a non-2xx status raises, as the real client does."""

    def __init__(self, *answers: int | Exception):
        self.answers: list[int | Exception] = list(answers)
        self.posts: list[tuple[str, bytes, dict[str, str]]] = []

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        self.posts.append((url, body, dict(headers)))
        answer = self.answers.pop(0) if self.answers else 200
        if isinstance(answer, Exception):
            raise answer
        if not 200 <= answer < 300:
            raise WebhookError(f"HTTP {answer}")
        return answer


class FakeReplayGuard:
    """Partner signatures seen, in memory, as `ports.ReplayGuard`: each is claimed once."""

    def __init__(self) -> None:
        self.seen: dict[str, dt.datetime] = {}

    def claim(self, signature: str, expires_at: dt.datetime) -> bool:
        if signature in self.seen:
            return False
        self.seen[signature] = expires_at
        return True


class FakeCalendarStore:
    """The operator's calendar years, in memory, as `ports.CalendarStore` (no cache to wait out)."""

    def __init__(self) -> None:
        self.years: dict[int, YearCalendar] = {}
        self.reads = 0

    def calendar(self) -> WorkingCalendar:
        self.reads += 1
        return WorkingCalendar(self.years)

    def save_year(self, year: YearCalendar) -> None:
        self.years[year.year] = year


class FakeMetrics:
    """Metric values recorded, in memory, as `ports.Metrics`."""

    def __init__(self) -> None:
        self.values: list[tuple[str, float, str]] = []

    def gauge(self, name: str, value: float, unit: str = "Count") -> None:
        self.values.append((name, value, unit))

    def last(self, name: str) -> float | None:
        return next((value for metric, value, _unit in reversed(self.values) if metric == name), None)


class FakePatrolStore:
    """Patrol reports, sensitive periods and report schedules in memory, as `ports.PatrolStore`.

    Reports are kept as the real store keeps them (their findings through JSON); a schedule
    is due by the due time of the period it waits for, as the sparse index holds it; moving
    one on is conditional on the period it waits for. `reads` counts the reads of each kind,
    to show what a sweep reads."""

    def __init__(self) -> None:
        self._reports: dict[tuple[str, str], PatrolReport] = {}
        self._sensitive: dict[str, SensitivePeriod] = {}
        self._schedules: dict[str, ReportSchedule] = {}
        self.reads: dict[str, int] = defaultdict(int)
        self._concurrent: list[Callable[[], None]] = []

    def interleave(self, write: Callable[[], None]) -> None:
        """Run `write` (a concurrent sweep) just before the next schedule is moved on."""
        self._concurrent.append(write)

    def save_report(self, report: PatrolReport) -> None:
        _json([dataclasses.asdict(f) for f in report.findings])  # what DynamoDB's JSON attribute could not hold fails
        self._reports[report.org_id, report.period.key] = report

    def report(self, org_id: str, period: Period) -> PatrolReport | None:
        self.reads["report"] += 1
        return self._reports.get((org_id, period.key))

    def reports(self, org_ids: Iterable[str], period: Period) -> dict[str, PatrolReport]:
        org_ids = list(dict.fromkeys(org_ids))
        self.reads["reports"] += len(org_ids)
        return {org_id: self._reports[org_id, period.key] for org_id in org_ids if (org_id, period.key) in self._reports}

    def add_sensitive_period(self, period: SensitivePeriod, schedule: ReportSchedule) -> None:
        if period.period_id in self._sensitive:
            raise RuntimeError(f"sensitive period id {period.period_id} is taken")
        self._sensitive[period.period_id] = period
        self._schedules[schedule.schedule_id] = schedule

    def sensitive_periods(self) -> list[SensitivePeriod]:
        self.reads["sensitive_periods"] += 1
        return list(self._sensitive.values())

    def schedules(self, schedule_ids: Iterable[str]) -> dict[str, ReportSchedule]:
        self.reads["schedules"] += 1
        return {i: self._schedules[i] for i in schedule_ids if i in self._schedules}

    def schedule(self, schedule_id: str) -> ReportSchedule | None:
        """A schedule as stored (for the tests)."""
        return self._schedules.get(schedule_id)

    def add_schedule(self, schedule: ReportSchedule) -> bool:
        if schedule.schedule_id in self._schedules:
            return False
        self._schedules[schedule.schedule_id] = schedule
        return True

    def due_schedules(self, now: dt.datetime) -> Iterator[ReportSchedule]:
        self.reads["due_index"] += 1
        due = sorted((s for s in self._schedules.values() if s.is_due(now)), key=lambda s: (s.due_at, s.schedule_id))
        yield from due

    def advance_schedule(self, schedule: ReportSchedule, advanced: ReportSchedule) -> bool:
        if self._concurrent:
            self._concurrent.pop(0)()
        stored = self._schedules.get(schedule.schedule_id)
        if stored is None or stored.period != schedule.period:
            return False
        self._schedules[schedule.schedule_id] = advanced
        return True


class FakeExportJobs:
    """Ledger export jobs in memory, as `ports.ExportJobs`: a job ready stays ready."""

    def __init__(self) -> None:
        self.jobs: dict[str, ExportJob] = {}

    def create(self, job: ExportJob) -> None:
        if job.export_id in self.jobs:
            raise RuntimeError(f"export {job.export_id} exists")
        self.jobs[job.export_id] = copy.deepcopy(job)

    def get(self, export_id: str) -> ExportJob | None:
        return copy.deepcopy(self.jobs.get(export_id))

    def finish(self, export_id: str, status: ExportStatus, at: dt.datetime, rows: int | None = None) -> bool:
        job = self.jobs.get(export_id)
        if job is None or job.status is ExportStatus.READY:
            return False
        job.status, job.finished_at = status, at
        if rows is not None:
            job.rows = rows
        return True


class FakeExportFiles:
    """Export files in memory, as `ports.ExportFiles`: key → (bytes, media type, filename);
    `failing` makes uploads raise after the file was written (as a lost connection to S3)."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str, str]] = {}
        self.uploads = 0
        self.failing = False

    def upload(self, key: str, write: Callable[[BinaryIO], Any], media_type: str, filename: str) -> Any:
        scratch = io.BytesIO()
        result = write(scratch)
        if self.failing:
            raise ConnectionError("S3 is out of reach")
        self.uploads += 1
        self.files[key] = (scratch.getvalue(), media_type, filename)
        return result

    def download_url(self, key: str, seconds: int) -> str:
        if key not in self.files:
            raise KeyError(key)
        return f"https://exports.example/{key}?expires_in={seconds}"


class FakeAgreementRenderer:
    """The agreement document (`ports.AgreementRenderer`) without Word: each document rendered is
    kept, and the file is a stand-in naming the case."""

    def __init__(self) -> None:
        self.documents: list[AgreementDocument] = []

    def render(self, document: AgreementDocument) -> bytes:
        self.documents.append(document)
        return f"agreement of {document.case_id}".encode()


class FakeAttachmentStore:
    """Attachment records in memory, as `ports.AttachmentStore`: each write with its event on the
    case store's timeline, the places of a case's limit counted, a settle only from pending.
    `interleave` runs a concurrent writer just before the next settle (another `complete`)."""

    def __init__(self, case_store: FakeCaseStore):
        self._case_store = case_store
        self.records: dict[tuple[str, str], Attachment] = {}
        self.held: dict[str, int] = defaultdict(int)
        self._concurrent: list[Callable[[], None]] = []

    def interleave(self, write: Callable[[], None]) -> None:
        self._concurrent.append(write)

    def create(self, attachment: Attachment, event: Event, limit: int) -> None:
        key = (attachment.case_id, attachment.attachment_id)
        if key in self.records:
            raise RuntimeError(f"attachment {attachment.attachment_id} exists")
        if self.held[attachment.case_id] >= limit:
            raise AttachmentLimitReached(attachment.case_id)
        self.records[key] = attachment
        self.held[attachment.case_id] += 1
        self._case_store.add_events(attachment.case_id, [event])

    def settle(self, settled: Attachment, event: Event) -> bool:
        if self._concurrent:
            self._concurrent.pop(0)()
        key = (settled.case_id, settled.attachment_id)
        if not self.records[key].is_pending:
            return False
        self.records[key] = settled
        if settled.status is AttachmentStatus.REJECTED:
            self.held[settled.case_id] -= 1
        self._case_store.add_events(settled.case_id, [event])
        return True

    def get(self, case_id: str, attachment_id: str) -> Attachment | None:
        return self.records.get((case_id, attachment_id))

    def of_case(self, case_id: str) -> list[Attachment]:
        return sorted((a for (owner, _), a in self.records.items() if owner == case_id),
                      key=lambda a: (a.created_at, a.attachment_id))

    def remove(self, attachment: Attachment) -> None:
        removed = self.records.pop((attachment.case_id, attachment.attachment_id), None)
        if removed is not None and removed.status is not AttachmentStatus.REJECTED:
            self.held[attachment.case_id] -= 1


class FakeAttachmentFiles:
    """An attachments bucket in memory, as `ports.AttachmentFiles`: key → (bytes, content type, etag).
    `post` is a client's upload with a form it was given: like moto, it does not enforce the
    form's policy (the check after it must catch what S3 would have refused). `before_copy`
    runs just before the next copy (an upload replaced during the check)."""

    URL = "https://attachments.example/"

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str, str]] = {}
        self.calls: Counter = Counter()
        self.before_copy: Callable[[], None] | None = None

    def post(self, form: dict[str, Any], content: bytes, content_type: str | None = None) -> None:
        fields = form["fields"]
        self.objects[fields["key"]] = (content, content_type or fields["Content-Type"],
                                       hashlib.md5(content).hexdigest())

    def upload_form(self, key: str, content_type: str, size_bytes: int, seconds: int) -> dict[str, Any]:
        return {"url": self.URL, "fields": {"key": key, "Content-Type": content_type,
                                            "content-length-range": [size_bytes, size_bytes], "expires": seconds}}

    def inspect(self, key: str, declared_size: int) -> Observed:
        self.calls["inspect"] += 1
        if key not in self.objects:
            return Observed(exists=False)
        content, content_type, etag = self.objects[key]
        return Observed(True, len(content), hashlib.sha256(content).hexdigest(), content[:LEADING_BYTES],
                        content_type, etag)

    def copy(self, source_key: str, target_key: str, etag: str, sha256: str) -> None:
        """As S3 with CopySourceIfMatch and the SHA-256 S3 computes on the copy."""
        self.calls["copy"] += 1
        if self.before_copy is not None:
            hook, self.before_copy = self.before_copy, None
            hook()
        if source_key not in self.objects or self.objects[source_key][2] != etag:
            raise UploadChanged(source_key)
        if hashlib.sha256(self.objects[source_key][0]).hexdigest() != sha256:
            raise UploadChanged(source_key)  # the real adapter deletes the copy it made
        self.objects[target_key] = self.objects[source_key]

    def delete(self, key: str) -> None:
        self.calls["delete"] += 1
        self.objects.pop(key, None)

    def download_url(self, key: str, filename: str, content_type: str, seconds: int) -> str:
        if key not in self.objects:
            raise KeyError(key)
        return f"{self.URL}{key}?{urlencode({'filename': filename, 'type': content_type, 'expires_in': seconds})}"


class FakeTryCounter:
    """Tries at case codes per day, in memory, as `ports.TryCounter`: (code, day) → count, with the
    expiry each was last given; `calls` lists every call in order, to compare the work of two paths."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, dt.date], int] = {}
        self.expiry: dict[tuple[str, dt.date], dt.datetime] = {}
        self.calls: list[str] = []

    def wrong_tries(self, code: str, day: dt.date) -> int:
        self.calls.append("wrong_tries")
        return self.counts.get((code, day), 0)

    def count_wrong_try(self, code: str, day: dt.date, expires_at: dt.datetime) -> int:
        if expires_at.tzinfo is None:  # DynamoDB's TTL is an instant
            raise ValueError("expires_at must be timezone-aware")
        self.calls.append("count_wrong_try")
        self.counts[code, day] = self.counts.get((code, day), 0) + 1
        self.expiry[code, day] = expires_at
        return self.counts[code, day]

    def take_back_try(self, code: str, day: dt.date) -> None:
        self.calls.append("take_back_try")
        if (code, day) in self.counts:  # the real update is conditional on the item being there
            self.counts[code, day] -= 1


class FakeAccessLog:
    """The access audit's records in memory, newest first per partition, with the adapter's
    cursor checks; `failing` makes every write raise (and store nothing), as a throttled or
    unreachable table would; `writes` counts the round trips."""

    def __init__(self):
        self.records: dict[str, list] = defaultdict(list)
        self.failing = False
        self.writes = 0

    def write(self, records) -> None:
        self.writes += 1
        if self.failing:
            raise RuntimeError("the table did not take the write")
        for record in records:
            self.records[record.case_id].append(record)

    def of_case(self, partition: str, limit: int, cursor: str | None):
        ordered = sorted(self.records.get(partition, []), key=lambda r: (r.at, r.record_id), reverse=True)
        start = 0
        if cursor:
            key = decode_cursor(cursor)
            if set(key) != {"case_id", "index"} or key["case_id"]["S"] != partition:
                raise InvalidCursor("cursor is not valid for this list")
            start = int(key["index"]["S"])
        page = ordered[start:start + limit]
        more = start + limit < len(ordered)
        return page, encode_cursor({"case_id": {"S": partition}, "index": {"S": str(start + limit)}}) if more else None
