"""The ports of the use cases: what each needs of the world, as `typing.Protocol`s.

The adapters (`chalicelib/adapters`) implement them against AWS; the fakes in
`tests/fakes.py` implement them in memory for the services' unit tests. A
service names the port it needs, never an adapter class.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Protocol, Sequence, TypeVar

from ..domain.agreement_document import AgreementDocument
from ..domain.audit import AccessRecord
from ..domain.attachments import Attachment, Observed
from ..domain.calendar import WorkingCalendar, YearCalendar
from ..domain.case import Case, Event, SupervisionLetter
from ..domain.case_query import CaseQuery
from ..domain.directory import Mediator, Org, Partner, Region
from ..domain.duplicates import Candidate
from ..domain.enums import Tier
from ..domain.sessions import MediatorSchedule
from ..domain.sms_limits import LedgerEntry, SendLedger
from ..domain.patrol_reports import PatrolReport, Period, ReportSchedule, SensitivePeriod
from ..domain.errors import DuplicateReference
from ..domain.ledger import ExportJob, ExportStatus, LedgerFormat

T = TypeVar("T")

Clock = Callable[[], dt.datetime]
"""Now, timezone-aware."""


@dataclass(frozen=True)
class PartyKeys:
    """Look-up keys of parties (keyed hashes of their phones and ID numbers) a case takes on at
    `at`, kept until `expires_at` (the repeat-party rule's window)."""

    pseudonyms: tuple[str, ...]
    at: dt.datetime
    expires_at: dt.datetime


PARTY_CASES_LIMIT = 20
"""Cases `CaseStore.party_cases` gives per party key at most: the newest, enough for the risk
rule and for duplicates."""


@dataclass(frozen=True)
class NewCaseWrite:
    """What `CaseStore.create` writes of one new case."""

    case: Case
    events: list[Event]
    party_pseudonyms: list[str]
    party_key_ttl: dt.datetime
    notifications: tuple[dict[str, Any], ...] = ()
    """SMS records the filing calls for (`case_code` to the applicant), stored with the case."""


@dataclass(frozen=True)
class ReplayClaim:
    """A signed partner request's replay key (§1, §1a) and until when it is kept, claimed in the
    same write as what the request changes (`CaseStore.create`) instead of a write of its own."""

    key: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class CodeClaim:
    """A case code's claim as the party's lookup reads it."""

    case_id: str
    tail_digests: tuple[str, ...]
    """Digests of the parties' phone tails (`domain/public_lookup.tail_digests`): every claim is
    written with them (at filing, by the upgrade pass) and a merge sets them again."""


class CaseStore(Protocol):
    """Cases, their timelines, look-up keys and what hangs off them."""

    def create(self, case: Case, events: list[Event], party_pseudonyms: list[str],
               party_key_ttl: dt.datetime, notifications: Iterable[dict[str, Any]] = (),
               replay: ReplayClaim | None = None) -> None:
        """Write a new case and what comes with it; its `public_code` is made unique (another is
        drawn if the one it carries is taken). DuplicateReference, and nothing written, if the
        (owner, external_ref) claim exists. With `replay`, the request's replay key is claimed
        in the same write: ReplayedRequest, and nothing written, if it was claimed before (this
        is told before a taken reference)."""

    def create_many(self, writes: list[NewCaseWrite]) -> list[DuplicateReference | None]:
        """Several new cases, each written as `create` writes it, in as few writes as the store
        allows; for each, None (written) or the DuplicateReference `create` would raise."""
        ...

    def save_change(self, case: Case, events: list[Event], notifications: list[dict[str, Any]] = (),
                    mediator_load: dict[str, int] | None = None, require_active_mediator: str | None = None,
                    letters: Iterable[SupervisionLetter] = (),
                    schedules: Iterable[MediatorSchedule] = (), listed_for: Iterable[str] = (),
                    refresh_code_claim: bool = False) -> None:
        """The case's version-checked write with what the change caused. Each of `schedules` is
        written on the revision it was read at: ScheduleChanged if another booking wrote it first.
        The orgs `listed_for` (assisting now) find the case in their mediators' lists from then on."""
        ...

    def schedules(self, mediator_ids: Iterable[str]) -> dict[str, MediatorSchedule]:
        """The booked sessions of these mediators (调解会), each with its revision (one batched
        read); a mediator with nothing booked has an empty schedule at revision 0."""
        ...

    def get(self, case_id: str) -> Case | None: ...

    def get_claim(self, owner: str, external_ref: str) -> tuple[str, str] | None: ...

    def code_claim(self, public_code: str) -> CodeClaim | None:
        """The claim of a case code (一案一码): its case and the digests of its parties' phone
        tails (`domain/public_lookup.tail_digests`), kept with it by every write that changes
        the parties; None for a code no case has. One small item read either way."""
        ...

    def claims(self, owner: str, external_refs: Iterable[str]) -> dict[str, tuple[str, str]]:
        """external_ref → (case id, request digest) of the idempotency claims among these that
        exist (one batched read)."""
        ...

    def give_code(self, case: Case, events: list[Event]) -> None:
        """Give a case filed before case codes existed its `public_code`, claimed, with the case's
        version-checked write (StaleCase if it changed meanwhile)."""
        ...

    def save_merge(self, source: Case, source_events: list[Event], target: Case, target_events: list[Event],
                   mediator_load: dict[str, int] | None = None, party_keys: PartyKeys | None = None,
                   unsent: Iterable[str] = ()) -> None:
        """Both cases of a merge in one write, each checked on its version, with the target's keys
        of the parties it takes and the source's unsent SMS (`unsent` sort keys) suppressed, each
        checked on being unsent still (StaleCase when anything changed meanwhile)."""
        ...

    def party_cases(self, pseudonyms: list[str], since: dt.datetime) -> dict[str, list[str]]:
        """Party key → ids of the cases received since `since` that it appears in, newest first
        (at most PARTY_CASES_LIMIT)."""
        ...

    def case_ids_by_party(self, pseudonym: str, limit: int) -> list[str]:
        """The ids of the cases a party key (a phone's) appears in, newest first, at most `limit`:
        the `party_phone=` lookup of `GET /v1/cases` (§1a)."""
        ...

    def case_ids_by_external_ref(self, external_ref: str, limit: int) -> list[str]:
        """The ids of the cases filed under this `external_ref` by any owner, newest first, at
        most `limit`: the `external_ref=` lookup of `GET /v1/cases` (§1a)."""
        ...

    def cases(self, case_ids: Iterable[str]) -> list[Case]:
        """The cases of these ids that exist, in no order (one batched read)."""
        ...

    def open_reports_at(self, region_code: str, category: str, since: dt.datetime, limit: int) -> list[Candidate]:
        """The reports of the open cases of a village and category received since `since`, newest first."""
        ...

    def events(self, case_id: str) -> list[Event]: ...

    def add_events(self, case_id: str, events: list[Event]) -> None:
        """Put events on a case's timeline without writing the case (no version bump): what
        happened around the case, not to it (a download link handed out)."""
        ...

    def supervision_letters(self, case_id: str) -> list[Any]: ...

    def notifications(self, case_id: str) -> list[dict[str, Any]]:
        """The case's notification records, oldest first."""
        ...

    def list(self, query: CaseQuery, limit: int, cursor: str | None) -> tuple[list[Case], str | None]: ...

    def due_for_supervision(self, now: dt.datetime) -> Iterator[Case]: ...

    def due_for_visits(self, today: dt.date) -> Iterator[Case]: ...

    def due_for_retention(self, today: dt.date) -> Iterator[Case]:
        """Cases whose personal data is due to be erased on `today` (the sparse retention index)."""
        ...

    def timeline_items(self, case_id: str) -> list[tuple[str, Event]]:
        """The timeline with each event's key, for `rewrite_event`."""
        ...

    def rewrite_event(self, case_id: str, sort_key: str, detail: dict[str, Any]) -> None:
        """Replace one timeline event's detail (the retention sweep erasing names)."""
        ...


class NotificationOutbox(Protocol):
    """Stored notifications on their way out: read, claimed for one send, settled or postponed."""

    def notification(self, case_id: str, sort_key: str) -> dict[str, Any] | None: ...

    def notifications_of(self, keys: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """The records of `keys` that exist (strongly consistent), in the order of `keys`: at most 100."""
        ...

    def claim_notification(self, case_id: str, sort_key: str, claimable: tuple[str, ...], now: dt.datetime,
                           until: dt.datetime) -> bool:
        """Take a record for one send, held until `until` (status in `claimable`, or `sending`
        with its lease over at `now`); False if another sender holds it or it is settled."""
        ...

    def settle_notification(self, case_id: str, sort_key: str, status: str, sent_at: dt.datetime | None,
                            held_until: dt.datetime, retry_at: dt.datetime | None = None,
                            record: dict[str, Any] | None = None) -> bool:
        """Record a send's outcome, if the lease ending `held_until` is still the sender's; `record`,
        if given, is the record with the send's outcome in its fields (the provider's receipt or
        error code, the digest it went in, the slot it waits for): its fields are written too."""
        ...

    def postpone_notification(self, case_id: str, sort_key: str, claimable: tuple[str, ...],
                              release_at: dt.datetime) -> bool:
        """Move an unsent record's release time; False if a sender has taken it meanwhile."""
        ...

    def notifications_to_release(self, now: dt.datetime) -> Iterator[dict[str, Any]]: ...

    def add_notification(self, record: dict[str, Any]) -> bool:
        """Store a record bound to no case change (an org's `report_missing`) unless one is stored
        under its key already: False then, and nothing written (deciding it twice stores it once)."""
        ...

    def texts_to_purge(self, today: dt.date) -> Iterator[dict[str, Any]]:
        """Records whose text is due to become null on `today` (§16), with their `text_purge_on`."""
        ...

    def purge_text(self, record: dict[str, Any]) -> bool:
        """Make a record's text null if its purge day is still the one read; False if it moved."""
        ...

    def rewrite_notification(self, record: dict[str, Any], text: str | None, to: str | None,
                             params: list | None = None) -> None:
        """Set a record's text, recipient and template parameters (the retention sweep erasing a
        party's identity)."""
        ...


class SendLedgers(Protocol):
    """The send times given out per recipient and kind (`domain.sms_limits`), for the frequency limits."""

    def read(self, recipient: str, kind: str) -> LedgerEntry:
        """The ledger of `recipient` (a keyed hash of the phone, never the number) for `kind`, strongly consistent."""
        ...

    def write(self, recipient: str, kind: str, read: LedgerEntry, ledger: SendLedger, keep_until: dt.datetime) -> bool:
        """Store `ledger` if the stored one is still `read` (its revision); False if another sender
        wrote meanwhile. Kept until `keep_until` (TTL), when no slot of it can bear on a limit."""
        ...


class CalendarStore(Protocol):
    """The operator's years of the working calendar (§10)."""

    def calendar(self) -> WorkingCalendar:
        """The operator's years over the library's: as stored at most a short while ago
        (the adapter caches), and at once after this process's own `save_year`."""
        ...

    def save_year(self, year: YearCalendar) -> None:
        """Store an operator year, replacing the one stored for that year, if any."""
        ...


class Metrics(Protocol):
    """Operational figures for the cloud's dashboards and alarms."""

    def gauge(self, name: str, value: float, unit: str = "Count") -> None:
        """Record one value of `name` now."""
        ...


class CallbackLog(Protocol):
    """Each attempt to deliver a partner callback, recorded on its case."""

    def record_delivery(self, case_id: str, delivery: dict[str, Any], at: dt.datetime) -> None: ...


class TokenVerifier(Protocol):
    """Staff bearer tokens: the claims of a valid one; `InvalidToken` otherwise."""

    def verify(self, token: str) -> dict[str, Any]: ...


class TokenMinter(TokenVerifier, Protocol):
    """Where the service is the issuer (local stage): it signs staff tokens too."""

    def mint(self, claims: dict[str, Any], ttl_seconds: int,
             now: dt.datetime | None = None) -> tuple[str, dt.datetime]: ...


class ReplayGuard(Protocol):
    """Partner signatures (or a key's nonces, §1a) seen within their window (a replay is refused)."""

    def claim(self, signature: str, expires_at: dt.datetime) -> bool:
        """True the first time a signature (or `nonce:<key>:<nonce>`) is claimed; False for a replay."""
        ...


class Publisher(Protocol):
    """The service's queues, by role (`routing`, `notify`, `callbacks`, `sweeps`, `…-dlq`)."""

    def publish(self, role: str, message: dict[str, Any], delay_seconds: int = 0) -> Any: ...

    def publish_batch(self, role: str, messages: list[dict[str, Any]]) -> None: ...


@dataclass(frozen=True)
class SmsMessage:
    """One SMS as a provider takes it: a registered template and its parameters (the mainland
    providers), and the same message rendered in full (Amazon SNS sends the text)."""

    phone: str
    """The recipient's number as stored: 11 digits for a mainland mobile, else E.164."""
    template: str
    """The template's name in `domain.sms_templates.TEMPLATES`: a notice kind, or `<kind>_digest`."""
    params: tuple[tuple[str, str], ...]
    """The template's parameters, name → value, in the template's order (Tencent Cloud's
    TemplateParamSet is positional; Alibaba Cloud's TemplateParam is a JSON object by name)."""
    text: str
    """The whole text, signature first (【和为贵】…): what the recipient reads."""


@dataclass(frozen=True)
class SmsReceipt:
    provider: str
    """`sns`, `aliyun` or `tencent`."""
    message_id: str
    """The provider's id of the message: SNS MessageId, Alibaba Cloud BizId, Tencent Cloud SerialNo."""


class SmsSender(Protocol):
    provider: str
    """`sns`, `aliyun` or `tencent`: the `provider` of its receipts."""

    def send(self, message: SmsMessage) -> SmsReceipt:
        """Send one SMS. Raise `domain.errors.SmsRefused` with the provider's code when the provider
        answers with an error; any other exception is a failure to reach it. Either is retried."""
        ...


class WebhookClient(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST and return the HTTP status; raise on a failure worth retrying."""
        ...


class SpreadsheetReader(Protocol):
    """Workbooks callers send as files, read as untrusted input."""

    def first_sheet(self, content: bytes, max_rows: int) -> list[tuple[Any, ...]]:
        """The rows of the first worksheet, row 1 (the header) first, each as wide as row 1:
        values only (text, numbers, dates, None). Raises a `SpreadsheetRefused` for a file
        that is not a readable workbook, has macros, unpacks to too much, has more than
        `max_rows` rows below row 1 (blank ones included) or holds formulas."""
        ...


class Directory(Protocol):
    """Regions, orgs, mediators and partner systems, as the domain's entries (`domain.directory`).

    A look-up of an unknown id gives None; an `add_*` of an id already taken raises
    `AlreadyExists`; an `update_*` sets only the fields in `changes` and returns the entry
    as stored after it."""

    def add_region(self, region: Region) -> None: ...

    def region(self, code: str) -> Region | None: ...

    def regions(self) -> Iterable[Region]: ...

    def regions_under(self, prefix: str) -> list[Region]:
        """The region of code `prefix` and its descendants, by code (possibly a cached list)."""
        ...

    def add_org(self, org: Org) -> None: ...

    def org(self, org_id: str) -> Org | None: ...

    def orgs(self) -> Iterable[Org]: ...

    def orgs_in_scope(self, scope: str) -> Iterable[Org]:
        """The orgs at one tier of one region, `scope` = `region_code#tier` (`domain.routing.candidate_scopes`)."""
        ...

    def orgs_under(self, tier: Tier, region_prefix: str) -> Iterable[Org]:
        """The orgs of one tier whose region code starts with `region_prefix` ("" for all regions)."""
        ...

    def add_mediator(self, mediator: Mediator) -> None: ...

    def mediator(self, mediator_id: str) -> Mediator | None: ...

    def mediators(self) -> Iterable[Mediator]: ...

    def mediators_of(self, org_id: str) -> Iterable[Mediator]: ...

    def update_mediator(self, mediator: Mediator, changes: dict[str, Any]) -> Mediator: ...

    def mediator_is_active(self, mediator_id: str) -> bool:
        """Whether the mediator is in the directory and active: asked on every request made with a
        mediator's token, so an implementation may keep the answer for a short, stated time
        (`directory_store.MEDIATOR_STATUS_SECONDS`); a change made through this directory is seen
        at once."""
        ...

    def add_partner(self, partner: Partner) -> None: ...

    def partner(self, partner_id: str) -> Partner | None: ...

    def partners(self) -> Iterable[Partner]: ...

    def partner_by_key(self, key_id: str) -> Partner | None: ...

    def update_partner(self, partner: Partner, changes: dict[str, Any]) -> Partner: ...


class PatrolStore(Protocol):
    """Patrol reports, sensitive periods and the schedules of the reports' due index (§13)."""

    def save_report(self, report: PatrolReport) -> None:
        """Store a report, replacing the org's report for that period if there is one."""
        ...

    def report(self, org_id: str, period: Period) -> PatrolReport | None: ...

    def reports(self, org_ids: Iterable[str], period: Period) -> dict[str, PatrolReport]:
        """The reports for `period` of those orgs that have one, by org id (batched reads)."""
        ...

    def add_sensitive_period(self, period: SensitivePeriod, schedule: ReportSchedule) -> None:
        """Store a new sensitive period with the schedule of its daily reports, in one write."""
        ...

    def sensitive_periods(self) -> list[SensitivePeriod]: ...

    def schedules(self, schedule_ids: Iterable[str]) -> dict[str, ReportSchedule]:
        """The cadence schedules of these ids that exist (one batched read)."""
        ...

    def add_schedule(self, schedule: ReportSchedule) -> bool:
        """Create a cadence's schedule unless it exists (False then, and nothing written)."""
        ...

    def due_schedules(self, now: dt.datetime) -> Iterator[ReportSchedule]:
        """The schedules whose period's due time is before `now`, from the sparse due index only."""
        ...

    def advance_schedule(self, schedule: ReportSchedule, advanced: ReportSchedule) -> bool:
        """Move a schedule on to `advanced` (off the index when it waits for nothing more) if it
        still waits for `schedule.period`; False when another sweep moved it meanwhile."""
        ...


class ReportFacts(Protocol):
    """An org's own figures for a reporting period, from the statistics aggregates."""

    def org_facts(self, org_id: str, region_code: str, first: dt.date, last: dt.date) -> dict[str, int]:
        """`{"received", "open_red", "overdue_open"}` over the org's cases received in [first, last]."""
        ...


class AnalysisRows(Protocol):
    """The aggregate rows the monthly analysis reads (adapters.stats_store.StatsStore)."""

    def month_rows(self, region: str, month: str, level: int) -> dict[str, dict[str, int]]: ...

    def daily_rows(self, region: str, first: dt.date, last: dt.date) -> Iterator[tuple[str, dict[str, int]]]: ...

    def rank_rows(self, kind: str, region: str, first: dt.date,
                  last: dt.date) -> Iterator[tuple[str, dict[str, int]]]: ...

    def open_rows(self, region: str) -> dict[str, dict[str, int]]: ...


class OpenRedCases(Protocol):
    def open_red_case_ids(self, region: str, limit: int | None = None) -> list[str]:
        """The open red cases under the region, newest first (a sparse index), at most `limit`."""


class LedgerCases(Protocol):
    """The cases a ledger lists (台账, §13)."""

    def received_between(self, region_prefix: str, start: dt.datetime, end: dt.datetime) -> Iterator[Case]:
        """Cases of the prefix received in [start, end), merged ones too, newest first; read
        lazily, page by page, as the caller iterates."""
        ...


class ExportJobs(Protocol):
    """Ledger export jobs (台账导出), each kept until its `expires_at`."""

    def create(self, job: ExportJob) -> None: ...

    def get(self, export_id: str) -> ExportJob | None: ...

    def finish(self, export_id: str, status: ExportStatus, at: dt.datetime, rows: int | None = None) -> bool:
        """Mark a job ready (with the rows written) or failed; False, and no change, if it is
        ready already or gone."""
        ...


class ExportFiles(Protocol):
    """Where export files are kept for download."""

    def upload(self, key: str, write: Callable[[BinaryIO], T], media_type: str, filename: str) -> T:
        """Let `write` fill a scratch file and store it at `key`, replacing what was there."""
        ...

    def download_url(self, key: str, seconds: int) -> str:
        """A link that downloads the file at `key` for `seconds`."""
        ...


LedgerWriter = Callable[[LedgerFormat, Sequence[str], Sequence[int], Iterable[Sequence[Any]], BinaryIO], None]
"""Encodes a ledger (format, header, column widths, rows) into a binary file, row by row as they come."""


class AgreementRenderer(Protocol):
    """Writes the agreement document (人民调解协议书) as a file."""

    def render(self, document: AgreementDocument) -> bytes:
        """The document as a Word file (.docx)."""
        ...


class AttachmentStore(Protocol):
    """Attachment records (证据材料), each write together with its timeline event."""

    def create(self, attachment: Attachment, event: Event, limit: int) -> None:
        """Record a new pending attachment and its event, taking one of the case's `limit`
        places; AttachmentLimitReached, and nothing written, when every place is taken."""
        ...

    def settle(self, settled: Attachment, event: Event) -> bool:
        """Write a pending attachment's outcome with its event (a rejected one gives its place
        back), if it is pending still; False, and nothing written, if it was settled meanwhile."""
        ...

    def get(self, case_id: str, attachment_id: str) -> Attachment | None: ...

    def of_case(self, case_id: str) -> list[Attachment]:
        """The case's attachments, oldest first."""
        ...

    def remove(self, attachment: Attachment) -> None:
        """Delete the record (its files deleted first), giving back the place it held."""
        ...


class AttachmentFiles(Protocol):
    """Where attachment files are uploaded to, checked, kept and downloaded from."""

    def upload_form(self, key: str, content_type: str, size_bytes: int, seconds: int) -> dict[str, Any]:
        """`{"url", "fields"}` of a form POST that stores one file of exactly `size_bytes` and
        `content_type` at `key`, valid `seconds`."""
        ...

    def inspect(self, key: str, declared_size: int) -> Observed:
        """Read the object at `key` once: its size, SHA-256, leading bytes, stored type and version."""
        ...

    def copy(self, source_key: str, target_key: str, etag: str, sha256: str) -> None:
        """Copy the object at `source_key` to `target_key` (server-side) if it is still the
        version `etag` and its content hashes to `sha256` (hex); UploadChanged, and no copy
        left, if it was replaced or removed meanwhile."""
        ...

    def delete(self, key: str) -> None:
        """Delete the object at `key` (nothing there is no error)."""
        ...

    def download_url(self, key: str, filename: str, content_type: str, seconds: int) -> str:
        """A link that downloads the file at `key` as `filename` for `seconds`."""
        ...


class TryCounter(Protocol):
    """Tries at each case code (一案一码) per Asia/Shanghai day, counted where every instance of
    the service sees the same number: the brute-force guard of the party's lookup. A try is
    counted as wrong before it is checked and taken back when it proves right, so that
    concurrent tries cannot check more than the day's allowance."""

    def wrong_tries(self, code: str, day: dt.date) -> int:
        """The tries counted on `code` for `day` (0 if none), as stored now (a consistent read)."""
        ...

    def count_wrong_try(self, code: str, day: dt.date, expires_at: dt.datetime) -> int:
        """Count one more try on `code` for `day`, atomically, kept until `expires_at`: the count
        after it."""
        ...

    def take_back_try(self, code: str, day: dt.date) -> None:
        """Uncount one try `count_wrong_try` counted on `code` for `day` (it proved right)."""
        ...


class AccessLog(Protocol):
    """The access audit's records (`domain/audit.py`), kept with the case they are about."""

    def write(self, records: Sequence["AccessRecord"]) -> None:
        """Store the records in one round trip of wall time (a PutItem for one; BatchWriteItem
        calls of 25 sent side by side for more). Raises unless every one was stored."""
        ...

    def of_case(self, partition: str, limit: int, cursor: str | None) -> tuple[list["AccessRecord"], str | None]:
        """The records of a case (or of `LEDGER_PARTITION`), newest first, and the next page's cursor.
        Raises InvalidCursor for a cursor it did not make."""
        ...


class DashboardRows(Protocol):
    """The aggregate rows the supervisor dashboard (一屏观全域) reads (adapters.stats_store.StatsStore)."""

    def daily_rows(self, region: str, first: dt.date, last: dt.date) -> Iterator[tuple[str, dict[str, int]]]: ...

    def region_open_rows(self, region: str) -> dict[str, dict[str, int]]:
        """Region prefix → what is open now of its cases, for the region and its descendants."""
        ...


class DashboardCases(OpenRedCases, Protocol):
    """The cases the dashboard lists: from the sparse overdue and open-red indexes, then read by id."""

    def overdue_case_ids(self, region: str, limit: int) -> list[str]:
        """The open cases under the region flagged overdue, most late first, at most `limit`."""
        ...

    def cases(self, case_ids: Iterable[str]) -> list[Case]:
        """The cases of these ids that exist, in no order."""
        ...
