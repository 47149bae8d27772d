"""What the scheduled sweeps share.

A sweep walks a sparse index of the cases that are due, inside the Lambda's
time (when it runs short, a message on the sweeps queue continues the same
sweep in a new invocation), acts on each case in one version-checked write
(a case that changed meanwhile is read again and reconsidered, so a step is
neither lost nor doubled; a case whose write fails otherwise is logged and
stays on the index for the next run, without stopping the cases behind it),
and enqueues the SMS of the whole run ten per
SendMessageBatch call. Directory entries are read once per run.

A run examines each case once: a case it acted on may come due again within the same
`as_of` (a far-future `as_of` of the local stage, or a re-dispatch whose new deadline has
already passed) and then shows again further down the index; it is left for the next run,
so one run's work is bounded by the cases due when it started, not repeated without end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable

from ..domain.case import Case
from ..domain.errors import StaleCase
from ..observability import logger
from .notifications import Notifier
from .ports import CaseStore, Clock, Directory, Publisher

MAX_ATTEMPTS = 3
TIME_BUDGET_RESERVE_MS = 30_000
"""Stop taking new cases when less than this is left of the Lambda's time; continue via the queue."""


@dataclass
class SweepResult:
    examined: int = 0
    actions: int = 0
    complete: bool = True


class DueSweep:
    name: str
    """How continuation messages on the sweeps queue name this sweep."""

    def __init__(self, cases: CaseStore, directory: Directory, notifier: Notifier, publisher: Publisher,
                 clock: Clock):
        self._cases = cases
        self._org = lru_cache(maxsize=1024)(directory.org)
        self._mediator = lru_cache(maxsize=4096)(directory.mediator)
        self._notifier = notifier
        self._publisher = publisher
        self._clock = clock

    def run(self, as_of: dt.datetime | None = None,
            remaining_ms: Callable[[], int] | None = None) -> SweepResult:
        now = as_of or self._clock()
        self._org.cache_clear()
        self._mediator.cache_clear()
        result = SweepResult(actions=self._before(now))
        outbox: list[dict] = []
        examined: set[str] = set()
        try:
            for case in self._due(now):
                if case.case_id in examined:  # acted on in this run, and due again: the next run's
                    continue
                if remaining_ms is not None and remaining_ms() < TIME_BUDGET_RESERVE_MS:
                    self._publisher.publish("sweeps", {"sweep": self.name, "as_of": now.isoformat()})
                    result.complete = False
                    logger.info("sweep continues in a new invocation",
                                extra={"sweep": self.name, "examined": result.examined})
                    break
                result.examined += 1
                examined.add(case.case_id)
                try:
                    result.actions += self.handle(case, now, outbox)
                except Exception:  # noqa: BLE001 - one case that cannot be written must not stop the rest
                    logger.exception("sweep could not act on a case; it stays due for the next run",
                                     extra={"sweep": self.name, "case_id": case.case_id})
        finally:  # what a crash leaves unsent is pending on the release index: the next sweep sends it
            self._notifier.enqueue(outbox, combine=True)  # one SMS per number and kind: a digest
        logger.info("sweep done", extra={"sweep": self.name, "examined": result.examined,
                                         "actions": result.actions, "as_of": now.isoformat()})
        return result

    def handle(self, case: Case, now: dt.datetime, outbox: list[dict] | None = None) -> int:
        """Act on one due case; returns how many things were done. The SMS go to `outbox`
        for the caller to enqueue in batches (or are enqueued at once)."""
        for _ in range(MAX_ATTEMPTS):
            try:
                done, notes = self._act(case, now)
            except StaleCase:
                case = self._cases.get(case.case_id)
                if case is None:
                    return 0
                continue
            if outbox is None:
                self._notifier.enqueue(notes)
            else:
                outbox.extend(notes)
            return done
        return 0

    def _before(self, now: dt.datetime) -> int:
        """Work done before walking the index; returns its count."""
        return 0

    def _due(self, now: dt.datetime) -> Iterable[Case]:
        raise NotImplementedError

    def _act(self, case: Case, now: dt.datetime) -> tuple[int, list[dict]]:
        """One version-checked write for one case: (things done, SMS records planned)."""
        raise NotImplementedError
