"""Mediation sessions (调解会): when and where the parties meet, who mediates, and each
mediator's own schedule, in which two sessions never overlap.

A session lasts `SESSION_LENGTH`; two overlap when each starts before the other ends (one
starting exactly as another ends does not). A mediator's schedule (`MediatorSchedule`) is
the list of their booked sessions, kept apart from any case and written with a revision
check in the same transaction as the case that books a session, so two bookings of one
mediator at once cannot both pass the overlap check. Each mediator gets SMS
`session_notice` when it is booked, and `session_reminder` once from `REMINDER_LEAD` before
it starts (from the supervision sweep's due index: `reminder_due_at`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Iterable

from .enums import LabelledEnum, SessionMode

SESSION_LENGTH = dt.timedelta(hours=2)
REMINDER_LEAD = dt.timedelta(hours=24)
"""The reminder is owed from this long before the session starts."""
BOOKING_HORIZON = dt.timedelta(days=366)
"""How far ahead a session may be booked."""
MAX_UPCOMING = 20
"""Sessions of one case booked and not yet started (a case is mediated in a few)."""
MAX_MEDIATORS = 10
"""Mediators of one session (the lead org's and the assisting orgs' together)."""


class ReminderState(LabelledEnum):
    """What became of a session's reminder."""

    SENT = ("sent", "已提醒")
    MISSED = ("missed", "未及提醒")
    """The sweep first saw the session after it had started: no SMS (it would come too late)."""


@dataclass(frozen=True)
class Lawyer:
    """值班律师: the duty lawyer who takes part, by name and firm."""

    name: str
    firm: str


@dataclass
class Session:
    session_id: str
    starts_at: dt.datetime
    mode: SessionMode
    place: str
    """The room, or for a video session the meeting it is held in."""
    mediator_ids: tuple[str, ...]
    lawyer: Lawyer | None
    booked_at: dt.datetime
    booked_by: str
    reminder: ReminderState | None = None
    reminded_at: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None
    """When the case left the assignment the session was booked under (declined, escalated): a
    session of mediators who no longer take part is off, and holds nobody's time."""

    @property
    def notice_details(self) -> tuple[tuple[str, object], ...]:
        """What its SMS (`session_notice`, `session_reminder`) say of it besides the time."""
        return (("mode", self.mode), ("place", self.place))

    @property
    def awaits_reminder(self) -> bool:
        return self.reminder is None and self.cancelled_at is None

    @property
    def reminder_at(self) -> dt.datetime:
        return self.starts_at - REMINDER_LEAD


def overlaps(first_start: dt.datetime, second_start: dt.datetime) -> bool:
    """Whether two sessions starting at these moments overlap: each starts before the other ends
    (put as their distance, which no moment a caller sends can overflow)."""
    return abs(first_start - second_start) < SESSION_LENGTH


REMINDERS_PER_WRITE = 5
"""Sessions reminded in one write of the case (each with an SMS per mediator, up to
MAX_MEDIATORS): the write stays well inside DynamoDB's 100 items; more wait for the next run."""


def reminders_owed(sessions: Iterable[Session], now: dt.datetime) -> list[Session]:
    """The sessions whose reminder is owed at `now` and not yet given (sent or missed), at most
    REMINDERS_PER_WRITE, the earliest first."""
    owed = sorted((s for s in sessions if s.awaits_reminder and s.reminder_at <= now), key=lambda s: s.starts_at)
    return owed[:REMINDERS_PER_WRITE]


def reminder_due_at(sessions: Iterable[Session]) -> dt.datetime | None:
    """When the sweep next owes a reminder (a key of the due index); None if it owes none."""
    return min((s.reminder_at for s in sessions if s.awaits_reminder), default=None)


@dataclass(frozen=True)
class Booking:
    """One session in a mediator's schedule: which case, which session, when."""

    case_id: str
    session_id: str
    starts_at: dt.datetime


@dataclass(frozen=True)
class MediatorSchedule:
    """A mediator's booked sessions, with the revision it was read at (0: none stored yet)."""

    mediator_id: str
    bookings: tuple[Booking, ...] = ()
    revision: int = 0

    def clashes(self, starts_at: dt.datetime) -> list[Booking]:
        """The bookings a session starting at `starts_at` would overlap."""
        return [b for b in self.bookings if overlaps(b.starts_at, starts_at)]

    def without_bookings(self, gone: Iterable[Booking]) -> MediatorSchedule:
        """The schedule less these bookings (of sessions that no longer hold their mediators)."""
        dropped = set(gone)
        return replace(self, bookings=tuple(b for b in self.bookings if b not in dropped))

    def booked(self, booking: Booking, now: dt.datetime) -> MediatorSchedule:
        """The schedule with `booking` added and the sessions over by `now` let go, in order of start."""
        kept = [b for b in self.bookings if b.starts_at + SESSION_LENGTH > now]
        return replace(self, bookings=tuple(sorted([*kept, booking], key=lambda b: (b.starts_at, b.session_id))))


@dataclass
class SessionRequest:
    """What booking a session needs, as the service gathered it: the session's facts, and the
    schedule and the org of each mediator it names (None for a mediator not found or inactive)."""

    starts_at: dt.datetime
    mode: SessionMode
    place: str
    mediator_ids: tuple[str, ...]
    lawyer: Lawyer | None
    mediator_orgs: dict[str, str | None] = field(default_factory=dict)
    """Mediator id → their org's id, for the active mediators found in the directory."""
    schedules: dict[str, MediatorSchedule] = field(default_factory=dict)
