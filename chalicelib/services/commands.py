"""Validated inputs of the use cases (pydantic), shared by the API parser and OpenAPI.

Validation is strict about types (a number sent as a string is an error,
not a guess) and lenient about unknown fields (ignored, for forward
compatibility of partner systems). Error messages never repeat the rejected
value, so a wrong ID number is not echoed back.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlsplit

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from ..domain.attachments import CONTENT_TYPES, MAX_BYTES, AttachmentKind, filename_problem
from ..domain.calendar import CALENDAR_YEARS
from ..domain.enums import Category, Channel, MediationType, PartyRole, RiskIndicator, Role, Tier
from ..domain.identity import InvalidIdentity, normalize_id_number, normalize_phone
from ..domain.patrol_reports import parse_period

MAX_PARTIES = 40
"""Parties listed per case (representatives of a group dispute; `party_count` may be larger)."""

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""C0 controls but tab, LF and CR; DEL; the C1 controls (U+0085 NEXT LINE is a line break to some readers)."""
_DIRECTION_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
"""Bidirectional embeddings, overrides and isolates (LRE RLE PDF LRO RLO, LRI RLI FSI PDI): they
reorder what follows on screen (`付款\u202e0001` shows the digits reversed), in the console and
in the partner's own system alike."""
_LINE_SEPARATORS = re.compile("[\u2028\u2029]")
"""LINE SEPARATOR and PARAGRAPH SEPARATOR: line breaks to some readers (JavaScript, editors) and
not to others (a CSV ledger, a log line), so one text reads as one line or two."""
_INVISIBLE_FILLERS = frozenset("\u115f\u1160\u3164\uffa0")
"""Hangul fillers: letters to Unicode, blank on screen."""
_MARKUP = re.compile(r"<\s*/?\s*[A-Za-z!?][^>]*>|javascript:", re.IGNORECASE)


def _shows_nothing(value: str) -> bool:
    """Whether a text is only whitespace, format characters (category Cf: zero-width spaces and
    joiners, the BOM, direction marks, soft hyphens…) and Hangul fillers: blank on screen."""
    return all(ch.isspace() or ch in _INVISIBLE_FILLERS or unicodedata.category(ch) == "Cf" for ch in value)


def _plain_text(value: str) -> str:
    """Free text, kept exactly as sent (the contract: text round-trips unchanged): not blank (nor
    made only of invisible characters), no control characters, no direction overrides or
    isolates, no U+2028/U+2029 (a line break is `\n`), and no HTML/script markup (stored XSS).
    Each refusal names the field; nothing is changed to make a text pass."""
    if _shows_nothing(value):
        raise ValueError("must not be blank (whitespace and invisible format characters do not count)")
    if _CONTROL_CHARS.search(value):
        raise ValueError("control characters are not allowed")
    if found := _DIRECTION_CONTROLS.search(value):
        raise ValueError(f"U+{ord(found.group()):04X} is not allowed: no bidirectional embedding, override "
                         "or isolate characters (U+202A-U+202E, U+2066-U+2069)")
    if found := _LINE_SEPARATORS.search(value):
        raise ValueError(f"U+{ord(found.group()):04X} is not allowed: break lines with \\n")
    if _MARKUP.search(value):
        raise ValueError("markup (HTML or script) is not allowed")
    return value


def _not_negative_zero(value: float | None) -> float | None:
    """`-0.0` passes `ge=0` (it equals 0) but is stored, shown and summed as a negative zero."""
    if value is not None and value == 0 and math.copysign(1.0, value) < 0:
        raise ValueError("must not be negative: -0 is not an amount, send 0")
    return value


def _phone(value: str) -> str:
    try:
        return normalize_phone(value)
    except InvalidIdentity as exc:
        raise ValueError(str(exc)) from None


def _id_number(value: str) -> str:
    try:
        return normalize_id_number(value)
    except InvalidIdentity as exc:
        raise ValueError(str(exc)) from None


def Text(max_length: int, min_length: int = 1) -> Any:  # noqa: N802 - a type factory
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length),
        AfterValidator(_plain_text),
    ]


Phone = Annotated[str, StringConstraints(max_length=32), AfterValidator(_phone)]
IdNumber = Annotated[str, StringConstraints(max_length=32), AfterValidator(_id_number)]
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
ExternalRef = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,127}$")]
VillageCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]
RegionCode = Annotated[str, StringConstraints(pattern=r"^([0-9]{6}|[0-9]{9}|[0-9]{12})$")]


class Command(BaseModel):
    """A request's validated values. `defer_build`: pydantic builds a model's validator when it
    first validates (or its schema is first asked for), not when the class is defined, so a
    cold start pays for the models its request uses, not for all of them (subclasses inherit
    it: a `model_config` of theirs is merged with this one)."""

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True, defer_build=True)


class PartyInput(Command):
    """当事人."""

    role: PartyRole = PartyRole.APPLICANT
    name: Text(50)
    phone: Phone | None = None
    id_number: IdNumber | None = None


class NewCase(Command):
    """A dispute filed by a partner system or at a window (受理)."""

    external_ref: ExternalRef
    channel: Channel | None = None
    category: Category | None = None
    title: Text(200)
    description: Text(10_000)
    region_code: VillageCode
    address: Text(500) | None = None
    parties: list[PartyInput] = Field(min_length=1, max_length=MAX_PARTIES)
    party_count: int | None = Field(default=None, ge=1, le=100_000)
    amount_cny: Annotated[float | None, AfterValidator(_not_negative_zero)] = Field(default=None, ge=0, le=1e12)
    risk_indicators: list[RiskIndicator] = Field(default_factory=list, max_length=len(RiskIndicator))

    @field_validator("party_count")
    @classmethod
    def _not_fewer_than_listed(cls, value: int | None, info) -> int | None:
        parties = info.data.get("parties")
        if value is not None and parties and value < len(parties):
            raise ValueError("party_count is less than the number of parties listed")
        return value


class NewRegion(Command):
    code: RegionCode
    name: Text(100)


class NewOrg(Command):
    org_id: Identifier
    name: Text(100)
    region_code: RegionCode
    tier: Tier
    mediation_type: MediationType
    categories: list[Category] = Field(default_factory=list)
    head_phone: Phone | None = None


class NewMediator(Command):
    mediator_id: Identifier
    name: Text(50)
    phone: Phone
    org_id: Identifier
    specialties: list[Category] = Field(default_factory=list)
    active: bool = True


class MediatorChanges(Command):
    active: bool | None = None
    phone: Phone | None = None
    specialties: list[Category] | None = None


def _wire_url(value: str) -> str:
    """The callback URL as it goes on the wire, which is what the partner's signature check
    sees (§7): non-ASCII in the path or query percent-encoded as UTF-8 (an IRI made a URI)."""
    host = urlsplit(value).hostname or ""
    if not host.isascii():
        raise ValueError("give a non-ASCII host name in its IDNA form (xn--...)")
    encoded = _NON_ASCII.sub(lambda match: quote(match.group(), safe=""), value)
    urlsplit(encoded).port  # noqa: B018 - raises ValueError for a port that is not one
    return encoded


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
CallbackUrl = Annotated[str, StringConstraints(pattern=r"^https?://[^\s/$.?#][^\s]{0,2000}$"),
                        AfterValidator(_wire_url)]


class NewPartner(Command):
    partner_id: Identifier
    name: Text(100)
    callback_url: CallbackUrl | None = None


class PartnerChanges(Command):
    enabled: bool | None = None
    callback_url: CallbackUrl | None = None
    name: Text(100) | None = None


class TokenRequest(Command):
    """`POST /v1/tokens`: mint a staff token (admin only)."""

    role: Role
    mediator_id: Identifier | None = None
    jurisdiction: RegionCode | None = None
    org_id: Identifier | None = None
    sub: Identifier | None = None


def _purpose(value: str | None) -> str | None:
    from ..domain.audit import BadPurpose, checked_purpose

    try:
        return checked_purpose(value)
    except BadPurpose as exc:
        raise ValueError(str(exc)) from None


Purpose = Annotated[str | None, AfterValidator(_purpose)]
"""Why a read is made (the access audit records it): optional short plain text."""


class PurposeQuery(Command):
    """The `purpose` of an audited read (`GET /v1/cases/{id}`, a download link, the agreement document)."""

    model_config = ConfigDict(extra="ignore", strict=False, frozen=True)

    purpose: Purpose = None


class AccessLogQuery(Command):
    """`GET /v1/cases/{id}/access-log`: a page of the audit records."""

    model_config = ConfigDict(extra="ignore", strict=False, frozen=True)

    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2048)


class CaseFilters(Command):
    """Query parameters of `GET /v1/cases` (strings, as they come in a URL)."""

    model_config = ConfigDict(extra="ignore", strict=False, frozen=True)

    status: str | None = None
    region: RegionCode | None = None
    category: Category | None = None
    risk_level: str | None = None
    overdue: bool | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2048)
    purpose: Purpose = None
    """Why the page is read (the access audit records it)."""
    external_ref: ExternalRef | None = None
    """Lookup (§1a): the cases filed under this reference, exactly (a partner: its own one)."""
    party_phone: Annotated[str, AfterValidator(_phone)] | None = None
    """Lookup for staff (§1a): the cases a party with this full mainland number is in (normalised
    as intake does: `+86 138-1234-5678` is `13812345678`)."""

    @field_validator("status")
    @classmethod
    def _status(cls, value: str | None) -> str | None:
        from ..domain.enums import CaseStatus

        return CaseStatus(value).value if value is not None else None

    @field_validator("risk_level")
    @classmethod
    def _risk(cls, value: str | None) -> str | None:
        from ..domain.enums import RiskLevel

        return RiskLevel(value).value if value is not None else None


class StatsQuery(Command):
    model_config = ConfigDict(extra="ignore", strict=False, frozen=True)

    region: RegionCode
    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")


def _plausible_month(value: str | None) -> str | None:
    if value is not None and not (1 <= int(value[5:]) <= 12 and int(value[:4]) in CALENDAR_YEARS):
        raise ValueError(f"must be a month YYYY-MM between {CALENDAR_YEARS.start}-01 and {CALENDAR_YEARS.stop - 1}-12")
    return value


class AnalysisQuery(Command):
    """`GET /v1/reports/analysis`: a region's month (default: the last whole month)."""

    model_config = ConfigDict(extra="ignore", strict=False, frozen=True)

    region: RegionCode
    month: Annotated[str | None, Field(pattern=r"^[0-9]{4}-[0-9]{2}$"), AfterValidator(_plausible_month)] = None
    format: Literal["json", "xlsx"] = "json"


def _calendar_day(value: date) -> date:
    if value.year not in CALENDAR_YEARS:
        raise ValueError(f"must be between {CALENDAR_YEARS.start}-01-01 and {CALENDAR_YEARS.stop - 1}-12-31")
    return value


CalendarDay = Annotated[date, AfterValidator(_calendar_day)]
"""A day in the years the working calendar keeps (ledgers, sensitive periods)."""


class LedgerQuery(StatsQuery):
    """`GET /v1/ledger` (台账导出): a region prefix, the days of receipt, the file format."""

    date_from: CalendarDay = Field(alias="from")
    date_to: CalendarDay = Field(alias="to")
    format: Literal["xlsx", "csv"] = "xlsx"
    purpose: Purpose = None
    """Why the ledger is exported (the access audit records it)."""


class CalendarYear(Command):
    """`PUT /v1/calendar/{year}`: the year's days off on weekdays and working weekend days (调休)."""

    holidays: list[date] = Field(max_length=366)
    workdays: list[date] = Field(max_length=366)


AS_OF_YEARS = range(2000, 2100)
"""Years a sweep's `as_of` may name: deadlines and visit plans run years past it."""


def _plausible_moment(value: datetime | None) -> datetime | None:
    if value is not None and value.year not in AS_OF_YEARS:
        raise ValueError(f"must be between {AS_OF_YEARS.start} and {AS_OF_YEARS.stop - 1}")
    return value


class RecountRequest(Command):
    """`POST /v1/ops/stats/recount`: the page to continue from (the previous answer's `next_cursor`)."""

    cursor: Annotated[str, StringConstraints(min_length=1, max_length=2048)] | None = None


class SweepRequest(Command):
    """`POST /v1/ops/sweeps/…`: `as_of` acts as if the clock said so (local stage only)."""

    as_of: Annotated[AwareDatetime | None, AfterValidator(_plausible_moment)] = None


class RetentionSweepRequest(SweepRequest):
    """`POST /v1/ops/sweeps/retention` (§16): a dry run (the default) counts and writes nothing."""

    dry_run: bool = True


DASHBOARD_LIST_LIMIT = 100


class DashboardQuery(Command):
    """`GET /v1/dashboard` (一屏观全域): the region (a supervisor's jurisdiction by default; an
    admin names it), the items of each list, and `as_of` (local stage only): the dashboard as
    the service's clock would show it at that moment."""

    model_config = ConfigDict(extra="ignore", strict=False, frozen=True)

    region: RegionCode | None = None
    limit: int = Field(default=20, ge=1, le=DASHBOARD_LIST_LIMIT)
    as_of: Annotated[AwareDatetime | None, AfterValidator(_plausible_moment)] = None


class RetentionHoldChange(Command):
    """`PATCH /v1/cases/{case_id}` (§16): keep the case out of the retention sweep, or let it in;
    `expected_version` as for an action (optimistic lock)."""

    retention_hold: bool
    expected_version: int | None = Field(default=None, ge=1)


# ------------------------------------------------------------ patrol reports (§13)


class NewSensitivePeriod(Command):
    """`POST /v1/sensitive-periods`: days (both included) of daily reports under a region (敏感时期)."""

    region: RegionCode
    date_from: CalendarDay = Field(alias="from")
    date_to: CalendarDay = Field(alias="to")
    reason: Text(200)


class SensitivePeriodFilters(Command):
    """Query parameters of `GET /v1/sensitive-periods`."""

    model_config = ConfigDict(extra="ignore", strict=False, frozen=True)

    region: RegionCode | None = None


MAX_FINDINGS = 200
"""Findings listed in one report (a patrol's list; more belong in a ledger import)."""


class FindingInput(Command):
    """排查发现: one dispute or risk a patrol found."""

    text: Text(2000)
    category: Category | None = None
    risk_indicators: list[RiskIndicator] = Field(default_factory=list, max_length=len(RiskIndicator))


class PatrolReportInput(Command):
    """`PUT /v1/orgs/{org_id}/reports/{period}`: a report (排查报告), or a zero report (零报告)."""

    zero: bool
    findings: list[FindingInput] = Field(default_factory=list, max_length=MAX_FINDINGS)
    note: Text(2000) | None = None


def _period_key(value: str) -> str:
    if parse_period(value) is None:
        raise ValueError("not a period key: give 2026-W49, 2026-12a, 2026-12b, 2026-12 or 2026-12-24")
    return value


PeriodKey = Annotated[str, StringConstraints(max_length=16), AfterValidator(_period_key)]


class ReportRollQuery(Command):
    """Query parameters of `GET /v1/reports`: who owes a period under a region, and where each stands."""

    model_config = ConfigDict(extra="ignore", strict=False, frozen=True)

    region: RegionCode
    period: PeriodKey


class LedgerImportQuery(Command):
    """`POST /v1/ledger/imports?dry_run=`: a dry run (the default) checks the ledger and writes nothing."""

    model_config = ConfigDict(extra="ignore", strict=False, frozen=True)

    dry_run: bool = True


# ------------------------------------------------------------ attachments (§14)


def _filename(value: str) -> str:
    problem = filename_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _at_most_max_bytes(value: int) -> int:
    if value > MAX_BYTES:
        raise ValueError(f"must be at most {MAX_BYTES // 2**20} MiB ({MAX_BYTES} bytes)")
    return value


class NewAttachment(Command):
    """`POST /v1/cases/{id}/attachments`: the file about to be uploaded, as its uploader declares it (证据材料)."""

    kind: AttachmentKind
    filename: Annotated[str, StringConstraints(max_length=1024), AfterValidator(_filename)]
    content_type: Literal[CONTENT_TYPES]  # type: ignore[valid-type] - the types of MAGIC_BYTES
    size_bytes: Annotated[int, Field(ge=1), AfterValidator(_at_most_max_bytes)]
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9A-Fa-f]{64}$"), AfterValidator(str.lower)]
