"""The case ledger (台账导出, §13): one row per case received in a range, as xlsx or csv.

The number of rows is known before any case is read: the statistics rows
count the cases of every region prefix and day (`total` + `merged`), one row
per day of the range. Up to `SYNC_ROWS` the ledger is written into the
answer; more, and an export job is recorded and queued, and the exports
worker writes the file to S3, where its owner fetches it through a link.
Either way the cases come page by page from one Query and each row goes
straight to the writer: no list of every case or every row is ever built.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import re
from dataclasses import dataclass
from typing import Any, BinaryIO, Callable, Iterator

from ..domain import ledger
from ..domain.access import Principal
from ..domain.ledger import (
    HEADER, LINK_SECONDS, MEDIA_TYPES, WIDTHS, ExportJob, ExportStatus, LedgerFormat, LedgerScope, NameBook,
    ledger_row, new_export_id)
from ..observability import logger
from .commands import LedgerQuery
from .errors import NotFound, Unprocessable
from .ports import Clock, ExportFiles, ExportJobs, LedgerCases, LedgerWriter, Publisher
from .stats import check_range

NAME_BATCH = 100
"""Cases rendered per look-up of the org and mediator names they name (ids not yet known only)."""
SYNC_BODY_BYTES = 5_000_000
"""The most an answer's body may weigh as the Lambda response carries it (base64 for xlsx, JSON
string escapes for csv), under Lambda's 6 MB: a ledger of few rows that is heavier than this is
written by an export job instead."""
EXPORT_ID = re.compile(r"^EX[0-9]{8}[0-9A-F]{16}$")


@dataclass(frozen=True)
class LedgerFile:
    """A ledger small enough to be the answer itself."""

    content: bytes | str
    media_type: str
    filename: str
    rows: int


@dataclass(frozen=True)
class ExportState:
    """What `GET /v1/exports/{id}` tells: the job, its status now, and a link once it is ready."""

    job: ExportJob
    status: ExportStatus
    url: str | None = None
    url_expires_at: dt.datetime | None = None


def _batches(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while batch := list(itertools.islice(items, size)):
        yield batch


def _wire_bytes(content: bytes | str) -> int:
    """The size of a body in the Lambda response: base64 for bytes, JSON (escaped, as the
    runtime may write it) for text."""
    if isinstance(content, bytes):
        return 4 * -(-len(content) // 3)
    return len(json.dumps(content))


class LedgerExports:
    def __init__(self, cases: LedgerCases, stats, names: Callable[[str, list[str]], dict[str, str]],
                 jobs: ExportJobs, files: ExportFiles, publisher: Publisher, writer: LedgerWriter, clock: Clock,
                 max_attempts: int, give_up_after: dt.timedelta):
        self._cases = cases
        self._stats = stats
        """`region_rows(region, first, last)`: the statistics rows of the days of a range."""
        self._names = names
        """(kind "org" | "mediator", ids) → {id: name}."""
        self._jobs = jobs
        self._files = files
        self._publisher = publisher
        self._writer = writer
        self._clock = clock
        self._max_attempts = max_attempts
        """Deliveries of a job's message before SQS parks it: the last one that fails marks the job failed."""
        self._give_up_after = give_up_after
        """After this long a job still running has had every try (see `ExportJob.status_at`)."""

    # ------------------------------------------------------------- requests

    def request(self, query: LedgerQuery, principal: Principal,
                before_export: Callable[[dict[str, Any]], None] | None = None) -> LedgerFile | ExportJob:
        """The ledger itself, or the export job that will write it. `before_export` (the access
        audit) is told the scope once the export is allowed and counted: if it raises, nothing
        is written or queued."""
        check_range(query, principal)
        scope = LedgerScope(query.region, query.date_from, query.date_to)
        ledger_format = LedgerFormat(query.format)
        rows = self.count(scope)
        if rows > ledger.MAX_ROWS:
            raise Unprocessable.field("to", f"the range holds {rows} cases, more than the {ledger.MAX_ROWS} "
                                            "one export holds: ask for a shorter range")
        if before_export is not None:
            before_export({"region": scope.region, "from": scope.first.isoformat(), "to": scope.last.isoformat(),
                           "format": ledger_format.value, "rows": rows})
        if rows <= ledger.SYNC_ROWS:
            buffer = io.BytesIO()
            written = self.write(scope, ledger_format, buffer)
            content: bytes | str = buffer.getvalue()
            if ledger_format is LedgerFormat.CSV:
                content = content.decode("utf-8")  # text: the response carries it as it is
            if _wire_bytes(content) <= SYNC_BODY_BYTES:
                return LedgerFile(content, MEDIA_TYPES[ledger_format], scope.filename(ledger_format), written)
            logger.info("ledger too heavy for an answer; exporting", extra={"rows": written})
        return self._start(scope, ledger_format, rows, principal)

    def count(self, scope: LedgerScope) -> int:
        """The cases of the scope, merged ones included, from the statistics rows (no case read)."""
        return sum(int(row.get("total", 0)) + int(row.get("merged", 0))
                   for row in self._stats.region_rows(scope.region, scope.first, scope.last))

    def _start(self, scope: LedgerScope, ledger_format: LedgerFormat, rows: int, principal: Principal) -> ExportJob:
        now = self._clock()
        job = ExportJob(new_export_id(now), principal.actor, scope, ledger_format, rows, now)
        self._jobs.create(job)
        self._publisher.publish("exports", {"export_id": job.export_id})
        logger.info("ledger export queued", extra={"export_id": job.export_id, "rows": rows,
                                                   "format": ledger_format.value})
        return job

    def state(self, export_id: str, principal: Principal) -> ExportState:
        """The job as its owner (or an admin) sees it; 404 to anyone else and once it expired."""
        now = self._clock()
        job = self._jobs.get(export_id) if EXPORT_ID.match(export_id) else None
        if job is None or not job.visible_to(principal, now):
            raise NotFound(f"no export {export_id}")
        status = job.status_at(now, self._give_up_after)
        if status is not ExportStatus.READY:
            return ExportState(job, status)
        url = self._files.download_url(job.object_key, LINK_SECONDS)
        return ExportState(job, status, url, now + dt.timedelta(seconds=LINK_SECONDS))

    # ---------------------------------------------------------------- writing

    def rows(self, scope: LedgerScope) -> Iterator[list]:
        """The ledger's rows, newest case first, as the cases come in."""
        names = NameBook(self._names)
        cases = self._cases.received_between(scope.region, scope.received_from, scope.received_before)
        seq = 0
        for batch in _batches(cases, NAME_BATCH):
            names.learn(batch)
            for case in batch:
                seq += 1
                yield ledger_row(seq, case, names.orgs, names.mediators)

    def write(self, scope: LedgerScope, ledger_format: LedgerFormat, out: BinaryIO) -> int:
        """Write the ledger into `out`; the number of rows written."""
        written = 0

        def counted() -> Iterator[list]:
            nonlocal written
            for row in self.rows(scope):
                written += 1
                yield row

        self._writer(ledger_format, HEADER, WIDTHS, counted(), out)
        return written

    def run(self, export_id: str, attempt: int) -> None:
        """The exports worker: write the job's file and mark it ready. A job already ready is left
        alone (a message delivered twice writes once); a retry writes the same key again. When the
        last delivery fails too, the job is marked failed (and the message goes on to the DLQ)."""
        job = self._jobs.get(export_id)
        if job is None:
            logger.warning("ledger export: no such job (expired?)", extra={"export_id": export_id})
            return
        if job.status is ExportStatus.READY:
            logger.info("ledger export: already ready", extra={"export_id": export_id})
            return
        try:
            rows = self._files.upload(job.object_key, lambda out: self.write(job.scope, job.ledger_format, out),
                                      MEDIA_TYPES[job.ledger_format], job.filename)
            self._jobs.finish(export_id, ExportStatus.READY, self._clock(), rows)
        except Exception:
            if attempt >= self._max_attempts:
                self._jobs.finish(export_id, ExportStatus.FAILED, self._clock())
                logger.error("ledger export failed on its last try", extra={"export_id": export_id})
            raise
        logger.info("ledger export ready", extra={"export_id": export_id, "rows": rows})
