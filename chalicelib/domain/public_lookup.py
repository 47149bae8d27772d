"""What a party sees of their case with its code (一案一码查询), and how a lookup is guarded.

A party holds the case code (`domain/public_code.py`) and knows the last four
digits of their phone: together they open the case's progress, and nothing
else of it. Guessing is held back per code: `MAX_WRONG_TRIES` wrong tries a
calendar day (Asia/Shanghai) are answered as "not found"; from then on every
try on that code is refused until the day ends, whoever makes it.

The progress is derived from the case's own fields, never stored: the stages
it reached (`STAGE_MOMENTS`, in order), how long it spent in each, the org
handling it, its resolve deadline's day, and whether it is extended,
suspended or waiting for a return visit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable, Sequence

from .calendar import business_day, start_of_day
from .case import Case
from .enums import CaseStatus, ExtensionStatus


# ------------------------------------------------------------------ stages


def first_visit_done_at(case: Case) -> dt.datetime | None:
    """When the first return visit (回访) of the case was made, if one was."""
    done = [dt.datetime.fromisoformat(visit["done_at"]) for visit in case.return_visits if visit.get("done_at")]
    return min(done) if done else None


STAGE_MOMENTS: tuple[tuple[str, Callable[[Case], dt.datetime | None]], ...] = (
    ("received", lambda case: case.received_at),
    ("dispatched", lambda case: case.dispatched_at),
    ("accepted", lambda case: case.accepted_at),
    ("concluded", lambda case: case.concluded_at),
    ("visited", first_visit_done_at),
    ("closed", lambda case: case.closed_at),
)
"""The stages a party sees, in their order, each with the case field that says when the case
reached it (None: not reached). A decline or an escalation routes the case afresh, so
`dispatched` and `accepted` are those of its current assignment; a withdrawn case's
`closed_at` is the withdrawal (its file is closed)."""

LAST_STAGE = STAGE_MOMENTS[-1][0]
"""The stage a case stays in for good: it has no duration."""

STOPPED_STATUSES = frozenset({CaseStatus.CLOSED, CaseStatus.WITHDRAWN, CaseStatus.MERGED, CaseStatus.TRANSFERRED})
"""Statuses in which a case is in no stage any more: the time of its last stage reached does
not run on (a merged case's dispute goes on in the case it was merged into)."""


@dataclass(frozen=True)
class Stage:
    """One stage the case reached: when, and how long it stayed in it (hours, to 0.1; None when
    that is not a duration: the last stage, or the last one reached by a case that stopped)."""

    stage: str
    at: dt.datetime
    hours: float | None


def hours_between(start: dt.datetime, end: dt.datetime) -> float:
    """Hours from `start` to `end`, rounded half up to 0.1, never below 0."""
    seconds = max(0.0, (end - start).total_seconds())
    return float((Decimal(str(seconds)) / Decimal(3600)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def stages(case: Case, now: dt.datetime) -> list[Stage]:
    """The stages the case reached, in `STAGE_MOMENTS` order, each lasting until the next one
    reached, or until `now` for the stage the case is in."""
    reached = [(name, at) for name, moment in STAGE_MOMENTS if (at := moment(case)) is not None]
    result = []
    for index, (name, at) in enumerate(reached):
        if index + 1 < len(reached):
            hours = hours_between(at, reached[index + 1][1])
        elif name == LAST_STAGE or case.status in STOPPED_STATUSES:
            hours = None
        else:
            hours = hours_between(at, now)
        result.append(Stage(name, at, hours))
    return result


# ---------------------------------------------------------------- progress


@dataclass(frozen=True)
class CaseProgress:
    """What a party sees of their case (no names, phones, ID numbers, title or description)."""

    status: CaseStatus
    stages: list[Stage]
    org_name: str | None
    resolve_due_on: dt.date | None
    extended: bool
    """The resolve deadline in force was moved by an approved extension (延期)."""
    suspended: bool
    next_visit_due_on: dt.date | None
    """The due date of the earliest return visit not yet made."""


def progress(case: Case, org_name: str | None, now: dt.datetime) -> CaseProgress:
    """The case's progress at `now`; `org_name` is the name of the org holding it (the directory's)."""
    open_visits = [dt.date.fromisoformat(visit["due_on"]) for visit in case.return_visits if not visit.get("done_at")]
    return CaseProgress(
        status=case.status,
        stages=stages(case, now),
        org_name=org_name,
        resolve_due_on=business_day(case.resolve_due_at) if case.resolve_due_at else None,
        extended=case.extension is not None and case.extension.status is ExtensionStatus.APPROVED,
        suspended=case.suspended,
        next_visit_due_on=min(open_visits) if open_visits else None,
    )


# -------------------------------------------------------------- the guard

MAX_WRONG_TRIES = 5
"""Wrong tries on one code a day answered 404; from the 6th, every try that day is 429."""

PHONE_DIGITS = 4
"""A lookup names the last four digits of a party's phone."""

def tail_digest(public_code: str, last_digits: str) -> str:
    """What a code's claim keeps of one party's phone: a digest of the code and the phone's last
    four digits, so that a lookup is judged on the claim alone (one small item read, whether the
    code is wrong or only the digits are) and the claim holds no digits."""
    return hashlib.sha256(f"{public_code}:{last_digits}".encode()).hexdigest()[:32]


def tail_digests(public_code: str, parties) -> list[str]:
    """The digests of every party's phone that has four digits or more, sorted, each once."""
    return sorted({tail_digest(public_code, party.phone[-PHONE_DIGITS:]) for party in parties
                   if party.phone and len(party.phone) >= PHONE_DIGITS})


_STAND_IN_DIGESTS = (tail_digest("-", "----"),)
"""What a wrong code's lookup compares the digits with: no claim, the same work."""


def claim_matches(digests: Sequence[str] | None, public_code: str, last_digits: str) -> bool:
    """Whether `last_digits` end a party's phone, judged on the code's claim (`tail_digests`);
    every digest compared in constant time with no early exit, a missing claim (a wrong code)
    against a stand-in."""
    given = tail_digest(public_code, last_digits).encode()
    matched = False
    for digest in digests or _STAND_IN_DIGESTS:
        matched |= hmac.compare_digest(digest.encode(), given)
    return matched and bool(digests)


def lookup_day(now: dt.datetime) -> dt.date:
    """The day tries are counted in: the Asia/Shanghai calendar day of `now`."""
    return business_day(now)


def seconds_left_in_day(now: dt.datetime) -> int:
    """Whole seconds from `now` to the end of its Asia/Shanghai day (at least 1): the
    `Retry-After` of a refused try."""
    end = start_of_day(lookup_day(now) + dt.timedelta(days=1))
    return max(1, math.ceil((end - now).total_seconds()))


def tries_expire_at(day: dt.date) -> dt.datetime:
    """When a day's count of tries may go: a day after that day ends."""
    return start_of_day(day + dt.timedelta(days=2))
