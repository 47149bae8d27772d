"""Time in one place, so tests and the local stage can move it."""

from __future__ import annotations

import datetime as dt

UTC = dt.timezone.utc


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


def to_storage(moment: dt.datetime) -> str:
    """Stored times are UTC ISO 8601 with microseconds: they sort as strings."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_storage(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None
