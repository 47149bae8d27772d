"""排查台账导入 (§13): the rows of a patrol ledger filed as cases, each exactly as `POST /v1/cases`
with channel `grid_patrol` files one: the same command (`NewCase`), validated the same way,
and the same use case (`IntakeService.file_case`: triage, risk, duplicates, routing,
idempotency on `外部编号`).

A dry run reads (the workbook, the directory's regions, the idempotency claims) and writes
nothing. A real run files every valid row and reports the others; a row whose `外部编号`
already names an identical case is `existing`, not filed again.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from pydantic import ValidationError

from ..domain.access import Principal
from ..domain.risk import REPEAT_PARTY_WINDOW_DAYS
from ..domain.errors import FormulaCells, MacroSpreadsheet, SpreadsheetTooLarge, UnreadableSpreadsheet
from ..domain.patrol_import import (
    EXTERNAL_REF, MAX_ROWS, REGION_CODE, Problem, case_body, column_of, header_text, is_blank, location_of, read_header,
    row_values, sort_key)
from ..observability import logger
from .commands import NewCase
from .errors import Conflict, ContentTooLarge, Forbidden, ServiceError, Unprocessable, UnsupportedMediaType
from .intake import IntakeService, is_same_request, owner_of
from .intake_batch import GROUP_SIZE, IntakeBatch
from .ports import CaseStore, Clock, Directory, Publisher, SpreadsheetReader


@dataclass(frozen=True)
class ImportedCase:
    """A row that names a case: one it created, or one its `外部编号` already named (identical)."""

    row: int
    external_ref: str
    case_id: str
    created: bool


@dataclass
class ImportReport:
    """What an import found and did. `valid` counts the rows that pass every check: on a real
    run those created and those already there (`existing`); on a dry run those it would
    create and those already there."""

    dry_run: bool
    rows: int
    valid: int = 0
    created: int = 0
    existing: int = 0
    problems: list[Problem] = field(default_factory=list)
    cases: list[ImportedCase] = field(default_factory=list)
    ignored_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Row:
    number: int
    command: NewCase


def _pydantic_problems(row: int, exc: ValidationError, skip: set[str]) -> list[Problem]:
    """The command's validation errors, each on the column of its field (those in `skip`, whose
    cell was already refused, left out). A blank required cell says so."""
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        location = tuple(part for part in error["loc"]
                         if not (isinstance(part, str) and part.startswith("function-")))
        column, prefix = column_of(location)
        if column in skip:
            continue
        message = "the cell is blank" if error["type"] == "missing" else error["msg"].removeprefix("Value error, ")
        problems.append(Problem(row, column, prefix + message))
    return problems


def _service_problems(row: int, exc: ServiceError) -> list[Problem]:
    """What intake refused a row for, on the columns of the fields it names."""
    if isinstance(exc, Conflict):
        return [Problem(row, EXTERNAL_REF.name, "was already used for a different case", exc.extra.get("case_id"))]
    if isinstance(exc, Forbidden):
        return [Problem(row, REGION_CODE.name, exc.detail)]
    return [Problem(row, column_of(location_of(error["field"]))[0], error["message"]) for error in exc.errors] or [
        Problem(row, EXTERNAL_REF.name, exc.detail)]


FILING_SECONDS = 24.0
"""How long after the request began a real run files rows (API Gateway gives up at 29 s): the
rows left then are reported to be imported again, not cut off by a timeout."""
OUT_OF_TIME = ("not filed: the import ran out of time; send the same file again (the rows filed "
               "count as existing then)")


class LedgerImportService:
    def __init__(self, reader: SpreadsheetReader, intake: IntakeService, cases: CaseStore, directory: Directory,
                 publisher: Publisher, clock: Clock, timer: Callable[[], float] = time.monotonic):
        self._reader = reader
        self._intake = intake
        self._cases = cases
        self._directory = directory
        self._publisher = publisher
        self._clock = clock
        self._timer = timer

    def run(self, content: bytes, principal: Principal, dry_run: bool = True) -> ImportReport:
        filing_ends = self._timer() + FILING_SECONDS
        table = self._read(content)
        header, problems = read_header(table[0])
        if problems:
            raise Unprocessable("the header row lacks columns the import needs, or names one twice",
                                [problem_item(problem) for problem in sorted(problems, key=sort_key)])
        rows = [(number, values) for number, cells in enumerate(table[1:], start=2)
                if not is_blank(values := row_values(header, cells))]
        if not rows:
            raise Unprocessable("the sheet has a header row but no data rows",
                                [{"field": "body", "message": "no data rows below the header"}])
        report = ImportReport(dry_run, rows=len(rows), ignored_columns=header.ignored)
        valid = self._validate(rows, principal, report)
        owner = owner_of(principal)
        claims = self._cases.claims(owner, [row.command.external_ref for row in valid])
        new = self._settle_known(valid, owner, claims, report)
        if not dry_run:
            self._file_all(new, principal, claims, report, filing_ends)
        report.valid = report.existing + (len(new) if dry_run else report.created)
        report.problems.sort(key=sort_key)
        logger.info("ledger import", extra={"dry_run": dry_run, "rows": report.rows, "valid": report.valid,
                                            "cases_created": report.created, "cases_existing": report.existing,
                                            "rows_refused": len({p.row for p in report.problems})})
        return report

    def _read(self, content: bytes) -> list[tuple[Any, ...]]:
        try:
            return self._reader.first_sheet(content, MAX_ROWS)
        except MacroSpreadsheet as refused:
            raise UnsupportedMediaType(str(refused)) from None
        except SpreadsheetTooLarge as refused:
            raise ContentTooLarge(str(refused)) from None
        except FormulaCells as refused:
            raise Unprocessable(str(refused), [
                {"row": row, "field": header_text(heading) or reference,
                 "message": f"{reference} holds a formula: enter its value instead"}
                for row, reference, heading in refused.cells]) from None
        except UnreadableSpreadsheet as refused:
            raise Unprocessable(str(refused), [{"field": "body", "message": str(refused)}]) from None

    def _validate(self, rows: list[tuple[int, dict[str, Any]]], principal: Principal,
                  report: ImportReport) -> list[_Row]:
        """Each row's command, checked as intake checks it before it writes (the command, the
        caller's jurisdiction, the region in the directory), and on its `外部编号` being new to
        the file. The directory is read once per region code."""
        first_row_of: dict[str, int] = {}
        regions: dict[str, bool] = {}
        valid = []
        for number, values in rows:
            body, problems = case_body(number, values)
            ref = body.get("external_ref")
            if ref is not None:
                if ref in first_row_of:
                    problems.append(Problem(number, EXTERNAL_REF.name,
                                            f"repeats the {EXTERNAL_REF.name} of row {first_row_of[ref]}"))
                else:
                    first_row_of[ref] = number
            try:
                command = NewCase.model_validate_json(json.dumps(body, ensure_ascii=False))
            except ValidationError as exc:
                problems += _pydantic_problems(number, exc, {p.column for p in problems})
                command = None
            if command is not None and not problems:
                if not principal.covers_region(command.region_code):
                    problems.append(Problem(number, REGION_CODE.name, "region_code is outside your jurisdiction"))
                else:
                    if command.region_code not in regions:
                        regions[command.region_code] = self._directory.region(command.region_code) is not None
                    if not regions[command.region_code]:
                        problems.append(Problem(number, REGION_CODE.name, "no such region in the directory"))
            if problems:
                report.problems += problems
            else:
                valid.append(_Row(number, command))
        return valid

    def _settle_known(self, rows: list[_Row], owner: str, claims: dict[str, tuple[str, str]],
                      report: ImportReport) -> list[_Row]:
        """The rows whose `外部编号` is new; those it already names are `existing` (an identical
        case, as intake's replay tells) or refused (a different one)."""
        new = []
        for row in rows:
            claim = claims.get(row.command.external_ref)
            if claim is None:
                new.append(row)
            else:
                self._settle_claimed(row, owner, *claim, report)
        return new

    @staticmethod
    def _settle_claimed(row: _Row, owner: str, case_id: str, digest: str, report: ImportReport) -> None:
        if is_same_request(digest, owner, row.command):
            report.existing += 1
            report.cases.append(ImportedCase(row.number, row.command.external_ref, case_id, created=False))
        else:
            report.problems.append(Problem(row.number, EXTERNAL_REF.name, "was already used for a different case",
                                           case_id))

    def _file_all(self, rows: list[_Row], principal: Principal, claims: dict[str, tuple[str, str]],
                  report: ImportReport, filing_ends: float) -> None:
        """File each row through intake, on a batch's view of the store and the queues (see
        `intake_batch.py`): the cases are written ten to a transaction, their routing asked for
        once they are. Rows not reached by `filing_ends` (the timer's) are reported to be sent again."""
        owner = owner_of(principal)
        batch = IntakeBatch(self._cases, self._publisher, owner, [row.command.external_ref for row in rows], claims)
        intake = self._intake.with_ports(cases=batch, publisher=batch)
        batch.read_party_keys([key for row in rows for key in self._intake.party_pseudonyms(row.command)],
                              self._clock() - dt.timedelta(days=REPEAT_PARTY_WINDOW_DAYS))
        filed: dict[str, ImportedCase] = {}

        def settle_refused() -> None:
            for case, duplicate in batch.flush():  # filed meanwhile by another caller
                imported = filed.pop(case.case_id)
                row = next(row for row in rows if row.number == imported.row)
                self._settle_claimed(row, owner, duplicate.case_id, duplicate.request_hash, report)

        for position, row in enumerate(rows):
            if position % GROUP_SIZE == 0 and self._timer() >= filing_ends:
                report.problems += [Problem(left.number, EXTERNAL_REF.name, OUT_OF_TIME) for left in rows[position:]]
                logger.warning("ledger import out of time", extra={"rows_left": len(rows) - position})
                break
            try:
                result = intake.file_case(row.command, principal)
            except ServiceError as refused:  # a concurrent filing of the same 外部编号, a changed directory
                report.problems += _service_problems(row.number, refused)
                continue
            imported = ImportedCase(row.number, row.command.external_ref, result.case.case_id, result.created)
            if result.created:
                filed[result.case.case_id] = imported
            else:
                report.existing += 1
                report.cases.append(imported)
            if batch.pending >= GROUP_SIZE:
                settle_refused()
        settle_refused()
        report.created = len(filed)
        report.cases = sorted([*report.cases, *filed.values()], key=lambda case: case.row)


def problem_item(problem: Problem) -> dict[str, Any]:
    """A problem as an item of problem+json `errors` (and of the report's)."""
    error: dict[str, Any] = {"row": problem.row} if problem.row is not None else {}
    error.update(field=problem.column, message=problem.message)
    if problem.case_id is not None:
        error["case_id"] = problem.case_id
    return error
