"""Retention of personal data (§16, PIPL): the nightly sweep that anonymises the cases final for
3 years and nulls the SMS texts older than 180 days, and the hold that keeps a case out.

The sweep reads two sparse indexes only: the cases whose `retention_due_on` has come
(`domain.retention`) and the SMS records whose `text_purge_on` has. For each due case, in an
order that makes a crash harmless (a case half done stays on the index and the next run
finishes it): its attachments' files and records are deleted, the timeline events and SMS
records naming a party are rewritten, and last the case itself is anonymised in one
version-checked write with its `anonymised` event (counts only), which takes it off the index.
The keyed hashes stay (the `PARTY#` rows, the case code's tail digests), and so do the
statistics: nothing they count changes. A dry run reads the same and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from ..domain.access import Principal
from ..domain.calendar import business_day
from ..domain.case import Case, RuleBroken
from ..domain.retention import erased_deep, retention_due_on
from ..observability import logger
from .actions import check_expected_version, retrying
from .errors import Conflict
from .notifications import Notifier
from .ports import AttachmentFiles, AttachmentStore, CaseStore, Clock, Directory, NotificationOutbox, Publisher
from .queries import CaseQueries
from .sweeping import DueSweep


@dataclass
class RetentionResult:
    """`examined`: due cases read; `anonymised`: cases anonymised (or that would be, in a dry
    run); `deleted`: attachments deleted; `texts_purged`: SMS texts made null."""

    examined: int = 0
    anonymised: int = 0
    deleted: int = 0
    texts_purged: int = 0
    dry_run: bool = False
    complete: bool = True


class RetentionSweep(DueSweep):
    name = "retention"

    def __init__(self, cases: CaseStore, directory: Directory, notifier: Notifier, publisher: Publisher,
                 outbox: NotificationOutbox, attachments: AttachmentStore, files: AttachmentFiles, clock: Clock):
        super().__init__(cases, directory, notifier, publisher, clock)
        self._outbox = outbox
        self._attachments = attachments
        self._files = files
        self._dry_run = False
        self._counts = RetentionResult()

    def run(self, as_of: dt.datetime | None = None, remaining_ms: Callable[[], int] | None = None,
            dry_run: bool = False) -> RetentionResult:
        """One run as of `as_of` (the clock by default); `dry_run` counts and writes nothing."""
        self._dry_run, self._counts = dry_run, RetentionResult(dry_run=dry_run)
        swept = super().run(as_of=as_of, remaining_ms=None if dry_run else remaining_ms)
        self._counts.examined, self._counts.complete = swept.examined, swept.complete
        logger.info("retention sweep", extra={"anonymised": self._counts.anonymised, "deleted": self._counts.deleted,
                                              "texts_purged": self._counts.texts_purged, "dry_run": dry_run})
        return self._counts

    def _before(self, now: dt.datetime) -> int:
        """The SMS texts past their 180 days, each made null in one conditional write."""
        purged = 0
        for record in self._outbox.texts_to_purge(business_day(now)):
            if self._dry_run or self._outbox.purge_text(record):
                purged += 1
        self._counts.texts_purged = purged
        return purged

    def _due(self, now: dt.datetime) -> Iterable[Case]:
        return self._cases.due_for_retention(business_day(now))

    def _act(self, case: Case, now: dt.datetime) -> tuple[int, list[dict]]:
        due_on = retention_due_on(case)  # the case as it stands (a hold set meanwhile keeps it)
        if due_on is None or due_on > business_day(now):
            return 0, []
        if not self._dry_run and case.anonymising_since is None:
            try:  # first a write of its own: a hold set before it makes it stale, one after it is refused
                case.begin_anonymising(now)
            except RuleBroken:
                return 0, []
            self._cases.save_change(case, [])  # StaleCase: re-read (a hold keeps it) and decide again
        erase = case.erase_personal_text()  # what it lists is read after that write: no upload comes later
        attachments = self._attachments.of_case(case.case_id)
        events = [(sort_key, erased_deep(event.detail, erase), event.detail)
                  for sort_key, event in self._cases.timeline_items(case.case_id)]
        events = [(sort_key, new) for sort_key, new, old in events if new != old]
        phones = {party.phone for party in case.parties if party.phone}
        notes = []
        for record in self._cases.notifications(case.case_id):
            text = erase(record["text"]) if record.get("text") is not None else None
            to = None if record.get("to") in phones else record.get("to")
            params = [[name, erase(value) if isinstance(value, str) else value]
                      for name, value in record["params"]] if record.get("params") else record.get("params")
            if text != record.get("text") or to != record.get("to") or params != record.get("params"):
                notes.append((record, text, to, params))
        if self._dry_run:
            self._counts.anonymised += 1
            self._counts.deleted += len(attachments)
            return 1, []
        for attachment in attachments:  # the files first: a record is never gone while its file stays
            self._files.delete(attachment.stored_key)
            if attachment.is_pending:
                self._files.delete(attachment.upload_key)
            self._attachments.remove(attachment)
        for sort_key, detail in events:
            self._cases.rewrite_event(case.case_id, sort_key, detail)
        for record, text, to, params in notes:
            self._outbox.rewrite_notification(record, text, to, params)
        outcome = case.anonymise(now, {"attachments_deleted": len(attachments), "events_rewritten": len(events),
                                       "notifications_rewritten": len(notes)})
        self._cases.save_change(case, outcome.events, refresh_code_claim=True)  # StaleCase: re-read, retry
        self._counts.anonymised += 1
        self._counts.deleted += len(attachments)
        return 1, []


class RetentionHolds:
    """保留 (§16): an admin keeps a case out of the retention sweep, or lets it in again."""

    def __init__(self, cases: CaseStore, queries: CaseQueries, clock: Clock):
        self._cases = cases
        self._queries = queries
        self._clock = clock

    def set_hold(self, case_id: str, command: Any, principal: Principal) -> Case:
        """The hold set as `command.retention_hold` says, in one version-checked write with its
        timeline event (`expected_version` a precondition, as for an action)."""
        def attempt() -> Case:
            case = self._queries.case(case_id, principal)  # 404 outside the caller's view
            check_expected_version(command, case)
            try:
                outcome = case.set_retention_hold(command.retention_hold, self._clock(), principal.actor)
            except RuleBroken as exc:
                raise Conflict(str(exc)) from None
            if not outcome.events:  # as it was already: nothing to write
                return case
            self._cases.save_change(case, outcome.events)
            logger.info("retention hold", extra={"case_id": case_id, "retention_hold": command.retention_hold})
            return case

        return retrying(command, attempt, "the case changed meanwhile; read it again and retry", case_id)
