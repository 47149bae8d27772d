"""Retention of personal data (个人信息保存期限, PIPL §19 and §47): how long each class of data is
kept, from what moment, and how the deletion is enforced; and the day a case's personal data is
due to go, derived from its state alone.

`retention_due_on` is stored with the case as the key of the sparse retention index at every
write (like `supervision.next_check_at`): a case is on it only while it is final, not yet
anonymised and not on `retention_hold`, so the nightly sweep reads what is due and nothing else.
SMS records carry their own key (`text_purge_on`) on the sparse purge index of the case items.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .calendar import business_day
from .masking import redact_text

if TYPE_CHECKING:  # the case imports these rules; they only read its fields
    from .case import Case

ERASED = "已删除"
"""What a party's name becomes, in the parties and in every free text of the case (§16)."""
PARTY_IDENTITY_YEARS = 3
"""Years after a case became final that its parties' identities are kept (§16)."""
SMS_TEXT_DAYS = 180
"""Days after an SMS was sent (or recorded, for one never sent) that its text is kept (§16)."""
CALLBACK_LOG_DAYS = 180
"""Days a callback delivery record (`CBK#`) is kept: DynamoDB TTL removes it after."""
LOG_RETENTION_DAYS = {"prod": 180, "other stages": 30}
"""CloudWatch log retention the infrastructure sets (`infra/hewei_infra/config.py`)."""
RETENTION_SHARDS = 4
"""Partitions of the retention index and of the SMS purge index: the sweep queries each."""
MIN_NAME_CHARS = 2
"""A party name shorter than this is erased in the parties only: one character replaced in every
free text would erase words that are no name."""


class Enforcement(Enum):
    SWEEP = "retention sweep (sparse index)"
    TTL = "DynamoDB TTL"
    LOG_GROUP = "CloudWatch log group retention"
    WITH_CASE = "with the case's anonymisation"


@dataclass(frozen=True)
class RetentionRule:
    data: str
    """The class of data."""
    where: str
    kept_for: str
    counted_from: str
    enforcement: Enforcement
    fixed_by_contract: bool
    why: str


RETENTION_TABLE: tuple[RetentionRule, ...] = (
    RetentionRule(
        "party identities (names, phones, ID numbers)", "cases: parties",
        f"{PARTY_IDENTITY_YEARS} years", "the case reaching closed, withdrawn, merged or transferred",
        Enforcement.SWEEP, True,
        "§16. Names become 已删除, phones and ID numbers null; the keyed hashes (PARTY# rows) stay, so "
        "the repeat-party rule and duplicate detection keep working; the case code's digests of the "
        "phones' last digits, unkeyed, are emptied."),
    RetentionRule(
        "narrative and notes (title, description, address, agreement, reasons, comments, session "
        "places, timeline details, SMS texts of the case)", "cases, case-items EVT#/NTF#",
        f"{PARTY_IDENTITY_YEARS} years for the party names (and phones, ID numbers) in them; the rest "
        "as long as the case", "the same moment",
        Enforcement.WITH_CASE, False,
        "The file of a case (一案一档) is the centre's record of its work and feeds the statistics, the "
        "ledger and supervision: the text stays, the people named in it do not. Every party name, "
        "phone and ID number in it becomes 已删除 and any other phone or ID number pattern is masked."),
    RetentionRule(
        "attachments (evidence, ID proofs, signed agreements)", "S3 attachments bucket, case-items ATT#",
        f"{PARTY_IDENTITY_YEARS} years", "the same moment", Enforcement.SWEEP, True,
        "§16. The files and their records are deleted; the timeline keeps that they existed."),
    RetentionRule(
        "SMS texts", "case-items NTF# (`text`)", f"{SMS_TEXT_DAYS} days",
        "the SMS sent (or recorded, for one never sent)", Enforcement.SWEEP, True,
        "§16. The record stays (kind, recipient masked, status, times) with `text` null; the purge "
        "index is sparse, so TTL, which would drop the whole record, is not used."),
    RetentionRule(
        "callback delivery logs", "case-items CBK#", f"{CALLBACK_LOG_DAYS} days", "the delivery attempt",
        Enforcement.TTL, False,
        "They hold status changes and HTTP answers, no personal data, and serve to debug a partner's "
        "integration: half a year covers any dispute about a delivery."),
    RetentionRule(
        "replay nonces and lookup attempt counters", "keys SIG#, TRY#", "their window (minutes; a day)",
        "the request", Enforcement.TTL, False, "Already expiring by TTL (`expires_at`)."),
    RetentionRule(
        "logs", "CloudWatch Logs", f"{LOG_RETENTION_DAYS['prod']} days in prod, "
        f"{LOG_RETENTION_DAYS['other stages']} elsewhere", "the log line", Enforcement.LOG_GROUP, False,
        "Logs never hold personal data unmasked; half a year covers an incident review."),
)
"""The retention table (as data: the README shows it)."""


def final_at(case: Case) -> dt.datetime | None:
    """When the case reached its final status; None while it has not. A case written before
    `final_at` was kept falls back to `closed_at` (closed, withdrawn, transferred)."""
    from .case import TERMINAL_STATUSES

    if case.status not in TERMINAL_STATUSES:
        return None
    return case.final_at or case.closed_at


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def retention_due_on(case: Case) -> dt.date | None:
    """The Asia/Shanghai day from which the sweep anonymises the case: the day after the third
    anniversary of the day it became final, when it has been final for more than 3 years however
    late that day it became so (§16: "more than 3 years before"). None when no sweep owes it
    that: not final, anonymised already, or on hold."""
    ended = final_at(case)
    if ended is None or case.anonymised_at is not None or case.retention_hold:
        return None
    return add_years(business_day(ended), PARTY_IDENTITY_YEARS) + dt.timedelta(days=1)


def retention_shard(case_id: str) -> str:
    return str(zlib.crc32(case_id.encode()) % RETENTION_SHARDS)


def text_purge_on(moment: dt.datetime) -> dt.date:
    """The Asia/Shanghai day from which an SMS text recorded or sent at `moment` is null: the day
    after its 180th, when 180 days have passed however late that day it was sent."""
    return business_day(moment) + dt.timedelta(days=SMS_TEXT_DAYS + 1)


def personal_strings(case: Case) -> list[str]:
    """What of the parties' identities may stand in the case's free text: the names (of at least
    MIN_NAME_CHARS), phones and ID numbers, longest first (a name holding another goes whole)."""
    found = set()
    for party in case.parties:
        if party.name and len(party.name) >= MIN_NAME_CHARS and party.name != ERASED:
            found.add(party.name)
        found.update(value for value in (party.phone, party.id_number) if value)
    return sorted(found, key=lambda value: (-len(value), value))


def eraser(needles: Iterable[str]) -> Callable[[str], str]:
    """A function that replaces each of `needles` in a text by 已删除, then masks any other phone
    or ID number pattern left in it."""
    needles = list(needles)

    def erase(text: str) -> str:
        for needle in needles:
            text = text.replace(needle, ERASED)
        return redact_text(text)
    return erase


def erased_deep(value: Any, erase: Callable[[str], str]) -> Any:
    """Every string in a JSON-like value passed through `erase`."""
    if isinstance(value, str):
        return erase(value)
    if isinstance(value, dict):
        return {key: erased_deep(item, erase) for key, item in value.items()}
    if isinstance(value, list):
        return [erased_deep(item, erase) for item in value]
    return value
