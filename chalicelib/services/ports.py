"""The ports of the use cases: what each needs of the world, as `typing.Protocol`s.

The adapters (`chalicelib/adapters`) implement them against AWS; the fakes in
`tests/fakes.py` implement them in memory for the services' unit tests. A
service names the port it needs, never an adapter class.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Iterable, Iterator, Protocol

from ..domain.case import Case, Event
from ..domain.case_query import CaseQuery

Clock = Callable[[], dt.datetime]
"""Now, timezone-aware."""


class CaseStore(Protocol):
    """Cases, their timelines, look-up keys and what hangs off them."""

    def create(self, case: Case, events: list[Event], party_pseudonyms: list[str],
               party_key_ttl: dt.datetime) -> None: ...

    def save_change(self, case: Case, events: list[Event], notifications: list[dict[str, Any]] = (),
                    mediator_load: dict[str, int] | None = None, require_active_mediator: str | None = None,
                    letters: Iterable[Any] = ()) -> None: ...

    def get(self, case_id: str) -> Case | None: ...

    def get_claim(self, owner: str, external_ref: str) -> tuple[str, str] | None: ...

    def party_seen_since(self, pseudonyms: list[str], since: dt.datetime) -> bool: ...

    def events(self, case_id: str) -> list[Event]: ...

    def supervision_letters(self, case_id: str) -> list[Any]: ...

    def list(self, query: CaseQuery, limit: int, cursor: str | None) -> tuple[list[Case], str | None]: ...

    def due_for_supervision(self, now: dt.datetime) -> Iterator[Case]: ...

    def due_for_visits(self, today: dt.date) -> Iterator[Case]: ...


class NotificationOutbox(Protocol):
    """Stored notifications on their way out: read, claimed for one send, settled or postponed."""

    def notification(self, case_id: str, sort_key: str) -> dict[str, Any] | None: ...

    def claim_notification(self, case_id: str, sort_key: str, claimable: tuple[str, ...]) -> bool: ...

    def settle_notification(self, case_id: str, sort_key: str, status: str, sent_at: dt.datetime | None,
                            retry_at: dt.datetime | None = None) -> None: ...

    def postpone_notification(self, case_id: str, sort_key: str, claimable: tuple[str, ...],
                              release_at: dt.datetime) -> None: ...

    def notifications_to_release(self, now: dt.datetime) -> Iterator[dict[str, Any]]: ...


class CallbackLog(Protocol):
    """Each attempt to deliver a partner callback, recorded on its case."""

    def record_delivery(self, case_id: str, delivery: dict[str, Any], at: dt.datetime) -> None: ...


class Publisher(Protocol):
    """The service's queues, by role (`routing`, `notify`, `callbacks`, `sweeps`, `…-dlq`)."""

    def publish(self, role: str, body: dict[str, Any], delay_seconds: int = 0) -> Any: ...

    def publish_batch(self, role: str, bodies: list[dict[str, Any]]) -> None: ...


class SmsSender(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class WebhookClient(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST and return the HTTP status; raise on a failure worth retrying."""
        ...
