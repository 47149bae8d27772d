"""Frequency limits on SMS to one number (频次限制), as the mainland providers impose them.

The providers refuse more than a few messages to one number in a minute or an hour, so the
sender keeps, per recipient and kind, a ledger of the send times it has given out (`slots`):
a message goes now if one more now breaks no limit, else it is given the first later time that
breaks none, and waits for it. Slots are given in order, never before one already given, so two
held messages never share a time and the limits hold whatever order they come back in.

A held message of a kind that has a digest (`sms_templates.DIGESTS`) does not take a slot of its
own while a later one is already given out: it waits with that slot's message (`waiting`), and
when that slot comes they go as one digest. SMS about red cases are never held and take no slot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Sequence

Key = tuple[str, str]
"""A notification record's key: (case id or outbox partition, sort key)."""


@dataclass(frozen=True)
class FrequencyLimit:
    count: int
    window: dt.timedelta

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError("a frequency limit allows at least one message")


def default_limits(per_minute: int = 1, per_hour: int = 5) -> tuple[FrequencyLimit, ...]:
    """The providers' usual limits for one number: 1 a minute, 5 an hour (configurable per stage)."""
    return (FrequencyLimit(per_minute, dt.timedelta(minutes=1)), FrequencyLimit(per_hour, dt.timedelta(hours=1)))


def longest_window(limits: Sequence[FrequencyLimit]) -> dt.timedelta:
    """How far back a send can bear on a limit."""
    return max(limit.window for limit in limits)


def next_slot(slots: Sequence[dt.datetime], now: dt.datetime, limits: Sequence[FrequencyLimit]) -> dt.datetime:
    """The first moment at or after `now`, and not before the last slot given, at which one more
    message keeps every limit: at most `count` messages in any `window`."""
    at = max(now, slots[-1]) if slots else now
    for limit in limits:
        if len(slots) >= limit.count:
            at = max(at, slots[-limit.count] + limit.window)
    return at


@dataclass(frozen=True)
class Reservation:
    """What the ledger decided for a message: send `at` (now, or later: held), with the records
    waiting for this slot to go along (`taking`), or wait with a slot already given (`joined`)."""

    at: dt.datetime
    held: bool
    joined: bool = False
    taking: tuple[Key, ...] = ()


@dataclass(frozen=True)
class SendLedger:
    """The send times given out to one recipient for one kind, in order, and the records waiting
    to go with the last of them."""

    slots: tuple[dt.datetime, ...] = ()
    waiting: tuple[Key, ...] = ()
    waiting_slot: dt.datetime | None = None

    def _recent(self, now: dt.datetime, limits: Sequence[FrequencyLimit]) -> tuple[dt.datetime, ...]:
        """The slots that can still bear on a limit: those within the longest window before now, and later ones."""
        horizon = now - longest_window(limits)
        return tuple(slot for slot in self.slots if slot > horizon)

    def reserve(self, now: dt.datetime, limits: Sequence[FrequencyLimit], keys: Sequence[Key],
                joinable: bool) -> tuple["SendLedger", Reservation]:
        """Decide for a message made of the records `keys`. `joinable`: its kind has a digest, so it
        may wait with a slot already given rather than take a later one of its own."""
        slots = self._recent(now, limits)
        if joinable and self.waiting_slot is not None and self.waiting_slot > now and self.waiting_slot in slots:
            waiting = self.waiting + tuple(k for k in keys if k not in self.waiting)
            return (replace(self, slots=slots, waiting=waiting),
                    Reservation(at=self.waiting_slot, held=True, joined=True))
        at = next_slot(slots, now, limits)
        if at <= now:  # now: and whatever waits for a slot that has passed goes along (its own message was lost)
            ledger = SendLedger(slots=slots + (now,))
            return ledger, Reservation(at=now, held=False, taking=tuple(k for k in self.waiting if k not in keys))
        return (SendLedger(slots=slots + (at,), waiting=tuple(keys) if joinable else (),
                           waiting_slot=at if joinable else None),
                Reservation(at=at, held=True))

    def take_slot(self, slot: dt.datetime, now: dt.datetime,
                  limits: Sequence[FrequencyLimit]) -> tuple["SendLedger", Reservation]:
        """The message that was given `slot` comes back for it: it goes now, with what waits for
        that slot. A slot the ledger no longer has (pruned, or the ledger lost) is taken only if
        the limits allow a message now; else the message waits again."""
        if slot in self.slots and slot <= now:
            taking = self.waiting if self.waiting_slot == slot else ()
            kept = self.waiting_slot != slot
            return (SendLedger(slots=self._recent(now, limits), waiting=self.waiting if kept else (),
                               waiting_slot=self.waiting_slot if kept else None),
                    Reservation(at=now, held=False, taking=taking))
        if slot in self.slots:  # early (a queue's delay is not exact): it waits on for its own slot
            return self, Reservation(at=slot, held=True)
        return self.reserve(now, limits, (), joinable=False)

    def kept_until(self, limits: Sequence[FrequencyLimit], default: dt.datetime) -> dt.datetime:
        """When no slot of it can bear on a limit any more (its last slot, else `default`, and the
        longest window): how long the ledger is worth keeping."""
        return max(self.slots, default=default) + longest_window(limits)

    def give_back(self, slot: dt.datetime) -> "SendLedger":
        """The ledger without `slot`: its message was not taken by the provider, so it counts for nothing."""
        return replace(self, slots=tuple(s for s in self.slots if s != slot))


@dataclass(frozen=True)
class LedgerEntry:
    """A ledger as stored, with the revision its conditional write checks."""

    ledger: SendLedger = field(default_factory=SendLedger)
    revision: int = 0
