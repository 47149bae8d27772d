"""PynamoDB models: the one definition of every table, its keys and its GSIs.

The local stack and the tests create tables from these classes, and infra
reads the same key schemas, so the three cannot drift apart. `Meta.host` is
never set: the endpoint comes from `AWS_ENDPOINT_URL` (see STACK notes in
the README).
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from ..config import resource_name
from ..domain.stats import COUNTERS, RANK_COUNTERS


def is_condition_failure(exc: Exception) -> bool:
    """Whether a PynamoDB write failed on its condition (the outcome a conditional write is for)."""
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


class _Meta:
    billing_mode = "PAY_PER_REQUEST"


def _meta(suffix: str) -> type:
    return type("Meta", (_Meta,), {"table_name": resource_name(suffix)})


def _index_meta(name: str, projection) -> type:
    return type("Meta", (), {"index_name": name, "projection": projection})


# ----------------------------------------------------------------- directory


class RegionModel(Model):
    """区划: a district (6 digits), town (9) or village (12)."""

    Meta = _meta("regions")
    code = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    parent_code = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


class OrgScopeIndex(GlobalSecondaryIndex):
    """Orgs by `region_code#tier`: the router asks for the few prefixes of a case's region."""

    Meta = _index_meta("by_scope", AllProjection())
    scope = UnicodeAttribute(hash_key=True)
    org_id = UnicodeAttribute(range_key=True)


class OrgTierIndex(GlobalSecondaryIndex):
    """Orgs by tier, then region code: the orgs of one tier under a region prefix (begins_with),
    who owe that tier's patrol reports (§13)."""

    Meta = _index_meta("by_tier", AllProjection())
    tier = UnicodeAttribute(hash_key=True)
    region_code = UnicodeAttribute(range_key=True)


class OrgModel(Model):
    """调解组织: an org at one tier, of one mediation type."""

    Meta = _meta("orgs")
    org_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    region_code = UnicodeAttribute()
    tier = UnicodeAttribute()
    mediation_type = UnicodeAttribute()
    categories = ListAttribute(of=UnicodeAttribute, default=list)
    head_phone = UnicodeAttribute(null=True)
    scope = UnicodeAttribute()
    created_at = UnicodeAttribute()
    by_scope = OrgScopeIndex()
    by_tier = OrgTierIndex()


class MediatorOrgIndex(GlobalSecondaryIndex):
    Meta = _index_meta("by_org", AllProjection())
    org_id = UnicodeAttribute(hash_key=True)
    mediator_id = UnicodeAttribute(range_key=True)


class MediatorModel(Model):
    """调解员."""

    Meta = _meta("mediators")
    mediator_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    phone = UnicodeAttribute()
    org_id = UnicodeAttribute()
    specialties = ListAttribute(of=UnicodeAttribute, default=list)
    active = BooleanAttribute(default=True)
    open_cases = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)
    by_org = MediatorOrgIndex()


class PartnerKeyIndex(GlobalSecondaryIndex):
    Meta = _index_meta("by_key", AllProjection())
    key_id = UnicodeAttribute(hash_key=True)


class PartnerModel(Model):
    """合作系统: a partner system that files cases. Its secret is never stored."""

    Meta = _meta("partners")
    partner_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    callback_url = UnicodeAttribute(null=True)
    key_id = UnicodeAttribute()
    enabled = BooleanAttribute(default=True)
    created_at = UnicodeAttribute()
    by_key = PartnerKeyIndex()


# ------------------------------------------------------------------ calendar


class CalendarYearModel(Model):
    """工作日历: one year of the working calendar as an operator set it (§10)."""

    Meta = _meta("calendar")
    year = NumberAttribute(hash_key=True)
    holidays = ListAttribute(of=UnicodeAttribute, default=list)
    workdays = ListAttribute(of=UnicodeAttribute, default=list)
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()


# ---------------------------------------------------------------------- cases


class CaseDistrictIndex(GlobalSecondaryIndex):
    """Cases of a district, newest first: supervisors' and admins' lists."""

    Meta = _index_meta("by_district", AllProjection())
    district_code = UnicodeAttribute(hash_key=True)
    received_key = UnicodeAttribute(range_key=True)


class CasePartnerIndex(GlobalSecondaryIndex):
    """A partner's own cases, newest first."""

    Meta = _index_meta("by_partner", AllProjection())
    partner_id = UnicodeAttribute(hash_key=True)
    received_key = UnicodeAttribute(range_key=True)


class CaseOrgIndex(GlobalSecondaryIndex):
    """Cases assigned to an org, newest first: mediators' lists."""

    Meta = _index_meta("by_org", AllProjection())
    org_id = UnicodeAttribute(hash_key=True)
    received_key = UnicodeAttribute(range_key=True)


class CaseDueIndex(GlobalSecondaryIndex):
    """Sparse due-date index: only cases with a supervision check ahead carry its keys.
    The sweep queries `next_check_at <= now` in each shard and reads only what is due."""

    Meta = _index_meta("by_due", AllProjection())
    due_shard = UnicodeAttribute(hash_key=True)
    next_check_at = UnicodeAttribute(range_key=True)


class CaseVisitIndex(GlobalSecondaryIndex):
    """Sparse return-visit index: only resolved cases owing a visit notice carry its keys.
    The daily sweep queries `next_visit_check_on <= today` in each shard and reads only what is due."""

    Meta = _index_meta("by_visit", AllProjection())
    visit_shard = UnicodeAttribute(hash_key=True)
    next_visit_check_on = UnicodeAttribute(range_key=True)


class CasePlaceIndex(GlobalSecondaryIndex):
    """Sparse place index: only open cases carry `place_key` = `<village>#<category>`. Intake
    queries the last 30 days of a new case's village and category for possible duplicates; the
    index holds what the comparison reads (about a tenth of a whole case item)."""

    Meta = _index_meta("by_place", IncludeProjection(["status", "region_code", "category", "title", "description"]))
    place_key = UnicodeAttribute(hash_key=True)
    received_key = UnicodeAttribute(range_key=True)


class CaseOpenRedIndex(GlobalSecondaryIndex):
    """Sparse index of the open red cases (红色风险在办), by district and receipt: the monthly
    analysis lists them without reading any other case."""

    Meta = _index_meta("by_open_red", IncludeProjection(["region_code"]))
    open_red_district = UnicodeAttribute(hash_key=True)
    received_key = UnicodeAttribute(range_key=True)


class CaseOverdueIndex(GlobalSecondaryIndex):
    """Sparse index of the open cases flagged overdue (逾期), by district and the time their
    deadline fell due (`overdue_key` = `<due_at, UTC>#<case_id>`: ascending is most late first):
    the supervisor dashboard lists them without reading any other case."""

    Meta = _index_meta("by_overdue", IncludeProjection(["region_code"]))
    overdue_district = UnicodeAttribute(hash_key=True)
    overdue_key = UnicodeAttribute(range_key=True)


class CaseRetentionIndex(GlobalSecondaryIndex):
    """Sparse retention index (§16): only final cases not yet anonymised and not on hold carry its
    keys. The nightly sweep queries `retention_due_on <= today` in each shard and reads only what is due."""

    Meta = _index_meta("by_retention", AllProjection())
    retention_shard = UnicodeAttribute(hash_key=True)
    retention_due_on = UnicodeAttribute(range_key=True)


class CaseExternalRefIndex(GlobalSecondaryIndex):
    """Cases by the `external_ref` they were filed under (any owner), newest first: the
    `external_ref=` lookup of `GET /v1/cases` (§1a). Keys only: the cases found are read by id."""

    Meta = _index_meta("by_external_ref", KeysOnlyProjection())
    external_ref = UnicodeAttribute(hash_key=True)
    received_key = UnicodeAttribute(range_key=True)


class CaseModel(Model):
    """案件: the current state of one dispute (一案一档: its timeline is in CaseItemModel)."""

    Meta = _meta("cases")
    case_id = UnicodeAttribute(hash_key=True)
    owner = UnicodeAttribute()
    external_ref = UnicodeAttribute()
    partner_id = UnicodeAttribute(null=True)
    channel = UnicodeAttribute()
    title = UnicodeAttribute()
    description = UnicodeAttribute()
    region_code = UnicodeAttribute()
    district_code = UnicodeAttribute()
    address = UnicodeAttribute(null=True)
    parties = JSONAttribute()
    party_count = NumberAttribute()
    amount_cny = NumberAttribute(null=True)
    risk_indicators = ListAttribute(of=UnicodeAttribute, default=list)
    category = UnicodeAttribute()
    category_source = UnicodeAttribute()
    risk_level = UnicodeAttribute()
    status = UnicodeAttribute()
    public_code = UnicodeAttribute(null=True)
    tier = UnicodeAttribute(null=True)
    mediation_type = UnicodeAttribute(null=True)
    org_id = UnicodeAttribute(null=True)
    mediator_id = UnicodeAttribute(null=True)
    received_at = UnicodeAttribute()
    received_key = UnicodeAttribute()
    accept_due_at = UnicodeAttribute(null=True)
    resolve_due_at = UnicodeAttribute(null=True)
    supervision_level = NumberAttribute(default=0)
    overdue = BooleanAttribute(default=False)
    rectification_required = BooleanAttribute(default=False)
    agreement = JSONAttribute(null=True)
    referral = JSONAttribute(null=True)
    return_visits = JSONAttribute(null=True)
    declined_org_ids = ListAttribute(of=UnicodeAttribute, default=list)
    route_floor = UnicodeAttribute(null=True)
    route_retry_at = UnicodeAttribute(null=True)
    unroutable_attempts = NumberAttribute(null=True)
    supervision_steps = ListAttribute(of=UnicodeAttribute, default=list)
    ladder = JSONAttribute(null=True)
    """When each step of the deadline in force falls due: {"reminder": "<stored time>", …}."""
    resolve_due_at_original = UnicodeAttribute(null=True)
    extension = JSONAttribute(null=True)
    extensions_approved = NumberAttribute(null=True)
    suspensions = JSONAttribute(null=True)
    possible_duplicates = JSONAttribute(null=True)
    related_case_id = UnicodeAttribute(null=True)
    merged_into = UnicodeAttribute(null=True)
    merged_sources = JSONAttribute(null=True)
    transfer = JSONAttribute(null=True)
    participants = JSONAttribute(null=True)
    sessions = JSONAttribute(null=True)
    sponsor = JSONAttribute(null=True)
    dispatched_org_ids = ListAttribute(of=UnicodeAttribute, null=True)
    repeat_party = BooleanAttribute(null=True)
    sensitive = BooleanAttribute(null=True)
    """A party is a child under 14 (PIPL §28): read in full by the assigned mediator and covering supervisors only."""
    letter_months = ListAttribute(of=UnicodeAttribute, null=True)
    place_key = UnicodeAttribute(null=True)
    open_red_district = UnicodeAttribute(null=True)
    overdue_district = UnicodeAttribute(null=True)
    overdue_key = UnicodeAttribute(null=True)
    due_shard = UnicodeAttribute(null=True)
    next_check_at = UnicodeAttribute(null=True)
    dispatched_at = UnicodeAttribute(null=True)
    accepted_at = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    concluded_at = UnicodeAttribute(null=True)
    visit_shard = UnicodeAttribute(null=True)
    next_visit_check_on = UnicodeAttribute(null=True)
    stats_recorded = JSONAttribute(null=True)
    self_evaluation = JSONAttribute(null=True)
    """当事人评价: {"at", "satisfaction", "comment"}, once the party has given it."""
    request_hash = UnicodeAttribute()
    created_by = UnicodeAttribute()
    final_at = UnicodeAttribute(null=True)
    retention_hold = BooleanAttribute(null=True)
    anonymised_at = UnicodeAttribute(null=True)
    anonymising_since = UnicodeAttribute(null=True)
    retention_shard = UnicodeAttribute(null=True)
    retention_due_on = UnicodeAttribute(null=True)
    version = VersionAttribute()
    by_district = CaseDistrictIndex()
    by_partner = CasePartnerIndex()
    by_org = CaseOrgIndex()
    by_due = CaseDueIndex()
    by_visit = CaseVisitIndex()
    by_place = CasePlaceIndex()
    by_open_red = CaseOpenRedIndex()
    by_overdue = CaseOverdueIndex()
    by_retention = CaseRetentionIndex()
    by_external_ref = CaseExternalRefIndex()


class NotificationReleaseIndex(GlobalSecondaryIndex):
    """Sparse index of notifications not yet sent (pending, deferred, failed), by when the
    sweep should (re)send them: deferred ones at 08:00, stragglers after a grace period."""

    Meta = _index_meta("by_release", AllProjection())
    release_shard = UnicodeAttribute(hash_key=True)
    release_at = UnicodeAttribute(range_key=True)


class TextPurgeIndex(GlobalSecondaryIndex):
    """Sparse index of the SMS records whose text is still kept, by the Asia/Shanghai day it is
    to become null (§16: 180 days after it was sent, or recorded for one never sent)."""

    Meta = _index_meta("by_text_purge", IncludeProjection(["detail"]))
    purge_shard = UnicodeAttribute(hash_key=True)
    text_purge_on = UnicodeAttribute(range_key=True)


class CaseItemModel(Model):
    """What hangs off a case, in one partition: timeline events (`EVT#…`),
    notifications (`NTF#…`), supervision letters (`LTR#…`), callback deliveries (`CBK#…`),
    attachments (`ATT#…`) and the count of their places taken (`ATTACHMENTS`)."""

    Meta = _meta("case-items")
    case_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    type = UnicodeAttribute()
    at = UnicodeAttribute()
    actor = UnicodeAttribute(null=True)
    detail = JSONAttribute(null=True)
    status = UnicodeAttribute(null=True)
    """Delivery status of a notification: pending, deferred, sending, sent, failed, suppressed;
    of an attachment: pending, stored, rejected."""
    sent_at = UnicodeAttribute(null=True)
    release_shard = UnicodeAttribute(null=True)
    release_at = UnicodeAttribute(null=True)
    by_release = NotificationReleaseIndex()
    held = NumberAttribute(null=True)
    """The `ATTACHMENTS` item: attachments of the case pending or stored (its limit's places taken)."""
    purge_shard = UnicodeAttribute(null=True)
    text_purge_on = UnicodeAttribute(null=True)
    by_text_purge = TextPurgeIndex()
    expires_at = TTLAttribute(null=True)
    """A callback delivery record (`CBK#`) expires by TTL (`domain.retention.CALLBACK_LOG_DAYS`)."""


class KeyModel(Model):
    """Uniqueness claims and look-up keys, with optional expiry:

    - `REF#<owner>#<external_ref>`: the intake idempotency claim, holding case id and request hash;
    - `CODE#<public_code>`: the claim of a case code (一案一码), holding its case id: the code is
      unique, and a party's lookup finds its case with one GetItem;
    - `SIG#<signature>`: a partner signature seen (replay guard), expiring after the window;
    - `PARTY#<pseudonym>`: one row per case a phone or ID number appears in (sort key
      `<received_at>#<case_id>`), for the repeated-party risk rule. The pseudonym is a keyed
      hash, so the table holds no phone or ID number.
    - `TRY#<code>` / `<day>`: the tries at a case code on an Asia/Shanghai day (`tries`, added to
      atomically), the brute-force guard of the party's lookup, expiring a day after that day.
    - `SCHED#<mediator_id>`: a mediator's booked sessions (`bookings`, 调解会), written with the
      case that books one, conditional on `revision`: the overlap check cannot be raced.
    - `SMS#<recipient>` / `<kind>`: the SMS send times given out to one number for one kind
      (`ledger`, the frequency limits), conditional on `revision`, expiring once none of them can
      bear on a limit. The recipient is a keyed hash of the phone.
    """

    Meta = _meta("keys")
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    case_id = UnicodeAttribute(null=True)
    request_hash = UnicodeAttribute(null=True)
    tail_digests = ListAttribute(of=UnicodeAttribute, null=True)
    """On a `CODE#` claim: digests of the parties' phone tails, which a lookup is judged on."""
    expires_at = TTLAttribute(null=True)
    tries = NumberAttribute(null=True)
    bookings = JSONAttribute(null=True)
    revision = NumberAttribute(null=True)
    ledger = JSONAttribute(null=True)


# ------------------------------------------------------------ patrol reports


class PatrolDueIndex(GlobalSecondaryIndex):
    """Sparse due index of the report schedules: only a schedule waiting for a period carries
    its due time. The sweep queries `due_at < now` and reads only what has fallen due."""

    Meta = _index_meta("by_due", AllProjection())
    due_shard = UnicodeAttribute(hash_key=True)
    due_at = UnicodeAttribute(range_key=True)


class PatrolModel(Model):
    """排查报告 (§13), in one table:

    - `ORG#<org_id>` / `REPORT#<period>`: an org's report for a period (`detail`: its fields);
    - `SENSITIVE` / `<period_id>`: a sensitive period (敏感时期), which is also the schedule of
      its daily reports;
    - `SCHEDULE` / `cadence#<kind>`: the schedule of one cadence (weekly, half-monthly, monthly).

    A schedule row holds the period it waits for (`period`) and, while it waits, the keys of
    the due index (`due_shard`, `due_at`)."""

    Meta = _meta("patrol")
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    type = UnicodeAttribute()
    detail = JSONAttribute(null=True)
    period = UnicodeAttribute(null=True)
    due_shard = UnicodeAttribute(null=True)
    due_at = UnicodeAttribute(null=True)
    by_due = PatrolDueIndex()


# ----------------------------------------------------------------- statistics


def _stats_model(name: str, suffix: str, counters: tuple[str, ...], doc: str) -> type[Model]:
    """An aggregate table: one top-level number attribute per counter, so that every case
    write can `ADD` its difference in its own transaction (ADD works on top-level attributes)."""
    return type(name, (Model,), {
        "__doc__": doc,
        "__module__": __name__,
        "Meta": _meta(suffix),
        "district_code": UnicodeAttribute(hash_key=True),
        "bucket": UnicodeAttribute(range_key=True),
        "region_code": UnicodeAttribute(null=True),
        "day": UnicodeAttribute(null=True),
        "kind": UnicodeAttribute(null=True),
        "subject_id": UnicodeAttribute(null=True),
        **{counter: NumberAttribute(null=True) for counter in counters},
    })


DailyStatsModel = _stats_model("DailyStatsModel", "daily-stats", COUNTERS, """Statistics (§8): counters per
    region prefix (district, town, village) and Asia/Shanghai day of receipt, `bucket` =
    `<prefix>#<day>`, in the district's partition (see `domain.stats`).""")

RankStatsModel = _stats_model("RankStatsModel", "rank-stats", RANK_COUNTERS, """Ranking (红黑榜):
    performance counters per org or mediator, region prefix and day of receipt, `bucket` =
    `org#<prefix>#<day>#<org_id>` or `mediator#…`, in the district's partition; an org's
    rows also count the cases it assisted (`assisted`, 联合调解).""")


# -------------------------------------------------------------------- exports


class ExportJobModel(Model):
    """台账导出: one ledger export job (§13) and where its file is; expires with the file."""

    Meta = _meta("exports")
    export_id = UnicodeAttribute(hash_key=True)
    requested_by = UnicodeAttribute()
    region = UnicodeAttribute()
    date_from = UnicodeAttribute()
    date_to = UnicodeAttribute()
    ledger_format = UnicodeAttribute()
    status = UnicodeAttribute()
    rows = NumberAttribute()
    created_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()


ALL_MODELS: tuple[type[Model], ...] = (
    RegionModel,
    OrgModel,
    MediatorModel,
    PartnerModel,
    CalendarYearModel,
    CaseModel,
    CaseItemModel,
    KeyModel,
    DailyStatsModel,
    RankStatsModel,
    PatrolModel,
    ExportJobModel,
)
"""Every table of the service. The local stack and the tests create exactly these."""

TTL_ATTRIBUTES: dict[type[Model], str] = {KeyModel: "expires_at", ExportJobModel: "expires_at",
                                          CaseItemModel: "expires_at"}
