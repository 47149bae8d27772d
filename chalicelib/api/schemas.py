"""The answers' schemas: pydantic models of the JSON the views render (`views.py` and the
view functions of the api modules), for the OpenAPI document only.

The views stay dict builders; these models describe them, and the integration suite proves
they agree: every JSON answer a test receives is validated against the schema the document
declares for its operation and status (`tests/support.py`). The views partners read (the case
view, the timeline, notifications, problems) and the directory's entries forbid unknown
fields, so a field added to a view and not here fails the suite; the figures of stats, the
dashboard and reports are described structurally (their known fields, others allowed).

This module is imported only when `/openapi.json` is asked for: `import app` stays cheap and
no handler validates its answer at run time.

`RESPONSES` says which model answers which operation (by operation id, the handler's name)
and status. Kept here, beside the models, rather than on each `@route(...)`: the route
modules then import no schema at all, and a test checks that every route has an entry.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ..domain.enums import (
    CaseStatus, Category, CategorySource, Channel, MediationType, RiskIndicator, RiskLevel, Role, Tier)


class Strict(BaseModel):
    """A view whose every field is named here: another one fails validation."""

    model_config = ConfigDict(extra="forbid", defer_build=True)  # built when /openapi.json is first asked for


class Open(BaseModel):
    """A view described by its main fields; others may appear."""

    model_config = ConfigDict(extra="allow", defer_build=True)


Timestamp = AwareDatetime
"""RFC 3339 with offset (the case view's +08:00 to the second; the directory's UTC)."""
Date = str
Item = TypeVar("Item")


# ------------------------------------------------------------------ problems


class FieldError(Strict):
    field: str = Field(description="Where: `parties[0].phone`, `body`, a query parameter's name (a ledger "
                                   "import's: the column's header)")
    message: str
    row: int | None = Field(None, description="A ledger import's: the spreadsheet row (the header is row 1)")


class Problem(Strict):
    """RFC 9457 problem details (`application/problem+json`): every 4xx and 5xx answer."""

    type: str = Field(description="A URI naming the kind of problem")
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = Field(None, description="On 422 (and some 400/413/415): what is wrong, field by field")
    case_id: str | None = Field(None, description="On 409 of `POST /v1/cases`: the case the external_ref belongs to")
    request_id: str | None = Field(None, description="On 500: the correlation id to quote (also `X-Request-Id`)")
    version: int | None = Field(None, description="On 409 of a stale `expected_version`: the case's version now")


# ------------------------------------------------------------------ cases


class Party(Strict):
    """当事人; phone and ID number masked for partners (`138****5678`)."""

    role: str
    name: str
    phone: str | None = None
    id_number: str | None = None


class Extension(Strict):
    status: str
    working_days: int
    reason: str | None
    requested_at: Timestamp | None
    decided_at: Timestamp | None
    note: str | None


class Suspension(Strict):
    reason_code: str
    reason: str | None
    suspended_at: Timestamp | None
    resume_on: Date
    resumed_at: Timestamp | None
    working_days: int | None


class Participant(Strict):
    org_id: str
    role: Literal["lead", "assist"]
    joined_at: Timestamp | None


class Lawyer(Strict):
    name: str
    firm: str | None


class MediationSession(Strict):
    """调解会."""

    session_id: str
    starts_at: Timestamp
    mode: str
    place: str | None
    mediator_ids: list[str]
    lawyer: Lawyer | None
    reminder: str | None
    cancelled_at: Timestamp | None


class Sponsor(Strict):
    """领导包案."""

    leader_name: str
    leader_title: str | None
    due_on: Date
    sponsored_at: Timestamp | None


class SelfEvaluation(Strict):
    at: str
    satisfaction: Any
    comment: str | None


class PossibleDuplicate(Strict):
    case_id: str
    reasons: list[str]
    score: float


class CaseView(Strict):
    """The case view (§5). Staff also see `possible_duplicates`, `merged_into`, `merged_from`
    and `available_actions`; a partner reading a case merged into another sees `outcome_status`."""

    case_id: str
    external_ref: str | None
    partner_id: str | None
    status: CaseStatus
    public_code: str | None = Field(description="一案一码: the code a party quotes at `/v1/public/cases/{code}`")
    channel: Channel
    title: str
    description: str | None
    region_code: str
    address: str | None
    party_count: int
    amount_cny: float | None
    risk_indicators: list[RiskIndicator]
    category: Category
    category_source: CategorySource
    risk_level: RiskLevel
    tier: Tier | None
    mediation_type: MediationType | None
    org_id: str | None
    mediator_id: str | None
    received_at: Timestamp
    accept_due_at: Timestamp | None
    resolve_due_at: Timestamp | None
    resolve_due_at_original: Timestamp | None
    extension: Extension | None
    suspended: bool
    suspensions: list[Suspension]
    supervision_level: int
    overdue: bool
    rectification_required: bool
    parties: list[Party]
    agreement: dict[str, Any] | None = Field(description="After resolve: `{summary, performance_due, …}`, with "
                                                         "`judicial_confirmation` once applied for")
    referral: dict[str, Any] | None = Field(description="After fail: `{channel, reason}`")
    transfer: dict[str, Any] | None
    participants: list[Participant]
    sessions: list[MediationSession]
    sponsor: Sponsor | None
    return_visits: list[dict[str, Any]]
    self_evaluation: SelfEvaluation | None
    retention_hold: bool
    anonymised_at: Timestamp | None
    version: int
    sensitive: bool
    possible_duplicates: list[PossibleDuplicate] | None = Field(None, description="Staff only")
    merged_into: str | None = Field(None, description="Staff only")
    merged_from: list[str] | None = Field(None, description="Staff only")
    available_actions: list[str] | None = Field(None, description="Staff only: the actions the caller may take now")
    outcome_status: CaseStatus | None = Field(None, description="Partners, on a merged case: the status of the case "
                                                                "it was merged into")


class Page(Strict, Generic[Item]):
    """A page: `next_cursor` is null on the last."""

    items: list[Item]
    next_cursor: str | None


class Items(Strict, Generic[Item]):
    items: list[Item]


class Event(Strict):
    """One timeline entry (一案一档)."""

    at: Timestamp
    type: str
    actor: str
    detail: dict[str, Any]


class NotificationDigest(Strict):
    template: str
    count: int
    text: str | None


class Notification(Strict):
    """An SMS the service decided to send; `to` is always masked."""

    kind: str
    to: str | None
    text: str | None
    status: Literal["pending", "sending", "sent", "deferred", "failed", "suppressed"]
    created_at: Timestamp | None
    sent_at: Timestamp | None
    template: str
    """The registered template it is sent with (`<kind>_digest` when it went in a digest: see `digest`)."""
    provider: str | None
    """`sns`, `aliyun` or `tencent`: who took it, or refused it last."""
    message_id: str | None
    """The provider's receipt: SNS MessageId, Alibaba Cloud BizId, Tencent Cloud SerialNo."""
    error_code: str | None
    """The provider's error code of the last failed try (retried), else null."""
    held_until: Timestamp | None
    """While `deferred` by the frequency limits: when it goes."""
    digest: NotificationDigest | None
    """The digest SMS it went in, one for the number's cases of that kind in one sweep."""


class OrgNotification(Notification):
    case_id: None
    org_id: str | None


class AccessRecord(Strict):
    record_id: str
    case_id: str | None
    at: Timestamp
    actor: str
    kind: str
    purpose: str | None
    revealed: dict[str, int]
    detail: dict[str, Any] | None


# ------------------------------------------------------------------ directory, discovery, tokens


class Region(Strict):
    code: str
    name: str
    parent_code: str | None
    created_at: Timestamp | None


class Org(Strict):
    org_id: str
    name: str
    region_code: str
    tier: Tier
    mediation_type: MediationType
    categories: list[Category]
    head_phone: str | None
    created_at: Timestamp | None


class Mediator(Strict):
    mediator_id: str
    name: str
    phone: str | None
    org_id: str
    specialties: list[Category]
    active: bool
    open_cases: int
    created_at: Timestamp | None
    updated_at: Timestamp | None


class Partner(Strict):
    partner_id: str
    name: str
    callback_url: str | None
    key_id: str
    enabled: bool
    created_at: Timestamp | None


class NewPartnerAnswer(Partner):
    secret: str = Field(description="Shown once: sign requests with it")


class Token(Strict):
    token: str
    expires_at: Timestamp


class EnumValue(Strict):
    value: str
    label: str


class Meta(Strict):
    api_version: str
    stage: str
    enums: dict[str, list[EnumValue]]
    calendar: dict[str, Any]


class Me(Strict):
    role: Role
    subject: str
    jurisdiction: str | None
    org_id: str | None
    mediator_id: str | None
    jurisdiction_name: str | None = None
    org_name: str | None = None
    mediator_name: str | None = None


class DemoStaffToken(Open):
    token: str
    expires_at: Timestamp
    staff: dict[str, Any]


# ------------------------------------------------------------------ files, exports, imports


class Attachment(Strict):
    attachment_id: str
    kind: str
    filename: str | None
    content_type: str
    size_bytes: int
    sha256: str | None
    status: str
    reason: str | None
    created_at: Timestamp | None
    created_by: str | None
    stored_at: Timestamp | None


class AttachmentWithLink(Attachment):
    download_url: str | None


class AttachmentDeclared(Strict):
    attachment_id: str
    status: str
    upload: dict[str, Any] = Field(description="The presigned S3 POST: `{url, fields}`")
    expires_in: int


class AttachmentSettled(Strict):
    attachment_id: str
    status: str
    reason: str | None


class Export(Strict):
    export_id: str
    status: str
    rows: int | None
    url: str | None
    expires_at: Timestamp | None
    format: str
    region: str
    from_: Date = Field(alias="from")
    to: Date
    created_at: Timestamp | None
    finished_at: Timestamp | None


class Calendar(Strict):
    year: int
    source: str
    holidays: list[Date]
    workdays: list[Date]
    updated_at: Timestamp | None


class Dossier(Strict):
    items: list[dict[str, str]]
    complete: bool


class SweepResult(Strict):
    examined: int
    actions: int


class RecountResult(Strict):
    examined: int
    recounted: int
    coded: int
    changed_meanwhile: int
    next_cursor: str | None


class RetentionResult(Strict):
    examined: int
    anonymised: int
    deleted: int
    sms_texts_nulled: int
    dry_run: bool


class LedgerImportReport(Strict):
    dry_run: bool
    rows: int
    valid: int
    created: int
    existing: int
    errors: list[dict[str, Any]]
    cases: list[dict[str, Any]]
    ignored_columns: list[str]


class SensitivePeriod(Strict):
    period_id: str
    region: str
    from_: Date = Field(alias="from")
    to: Date
    days: int
    reason: str | None
    created_at: Timestamp | None
    created_by: str | None


class PatrolReport(Strict):
    org_id: str
    period: str
    kind: str
    first_day: Date
    last_day: Date
    due_at: Timestamp | None
    zero: bool
    findings: list[dict[str, Any]]
    note: str | None
    submitted_at: Timestamp | None
    submitted_by: str | None
    late: bool
    facts: dict[str, Any]


class RollCall(Open):
    period: str
    kind: str
    region: str


class PublicCase(Strict):
    """一案一码查询: nothing personal."""

    status: CaseStatus
    status_label: str
    stages: list[dict[str, Any]]
    org_name: str | None
    resolve_due_on: Date | None
    extended: bool
    suspended: bool
    next_visit_due_on: Date | None


class FeedbackRecorded(Strict):
    recorded: bool
    rectification_required: bool


class Figures(Open):
    """Statistics, the dashboard, the analysis report: their figures (structurally)."""


# ------------------------------------------------------------------ which answers which


CASE_ACTIONS = "*_case"
"""Every action route (`POST /v1/cases/{case_id}/{action}`, operation id `<action>_case`)."""

RESPONSES: dict[str, dict[int, Any]] = {
    "meta": {200: Meta},
    "openapi_document": {200: dict[str, Any]},
    "mint_token": {201: Token},
    "add_region": {201: Region}, "list_regions": {200: Items[Region]}, "get_region": {200: Region},
    "add_org": {201: Org}, "list_orgs": {200: Items[Org]}, "get_org": {200: Org},
    "add_mediator": {201: Mediator}, "list_mediators": {200: Items[Mediator]}, "get_mediator": {200: Mediator},
    "change_mediator": {200: Mediator},
    "add_partner": {201: NewPartnerAnswer}, "list_partners": {200: Items[Partner]}, "get_partner": {200: Partner},
    "change_partner": {200: Partner},
    "file_case": {201: CaseView, 200: CaseView},
    "list_cases": {200: Page[CaseView]},
    "get_case": {200: CaseView},
    "change_case": {200: CaseView},
    "merge_case": {200: CaseView},
    CASE_ACTIONS: {200: CaseView},
    "case_events": {200: list[Event]},
    "case_notifications": {200: list[Notification]},
    "case_supervision_letters": {200: list[dict[str, Any]]},
    "case_access_log": {200: Page[AccessRecord]},
    "ledger_access_log": {200: Page[AccessRecord]},
    "me": {200: Me},
    "demo_staff": {200: Items[dict[str, Any]]},
    "demo_token": {201: DemoStaffToken},
    "create_attachment": {201: AttachmentDeclared},
    "complete_attachment": {200: AttachmentSettled},
    "list_attachments": {200: Items[Attachment]},
    "get_attachment": {200: AttachmentWithLink},
    "case_dossier": {200: Dossier},
    "get_calendar_year": {200: Calendar}, "put_calendar_year": {200: Calendar},
    "dashboard": {200: Figures},
    "monthly_analysis": {200: Figures},
    "stats": {200: Figures}, "stats_ranking": {200: Figures},
    "case_ledger": {202: Export},
    "ledger_export": {200: Export},
    "import_ledger": {200: LedgerImportReport},
    "run_supervision_sweep": {200: SweepResult}, "run_return_visit_sweep": {200: SweepResult},
    "recount_stats": {200: RecountResult}, "run_retention_sweep": {200: RetentionResult},
    "declare_sensitive_period": {201: SensitivePeriod},
    "list_sensitive_periods": {200: Items[SensitivePeriod]},
    "submit_patrol_report": {200: PatrolReport}, "get_patrol_report": {200: PatrolReport},
    "report_roll_call": {200: RollCall},
    "org_notifications": {200: list[OrgNotification]},
    "public_case": {200: PublicCase}, "public_feedback": {200: FeedbackRecorded},
    "unknown_action": {},
    "agreement_document": {},  # a Word file (`downloads`)
}


def responses_of(operation_id: str) -> dict[int, Any] | None:
    """The models of an operation's answers by status (None: the operation has no entry)."""
    if operation_id in RESPONSES:
        return RESPONSES[operation_id]
    if operation_id.endswith("_case"):
        from ..services.action_registry import ACTIONS

        if operation_id.removesuffix("_case") in ACTIONS:
            return RESPONSES[CASE_ACTIONS]
    return None
