"""Recount (统计重算): bring the statistics rows of cases written before the current record
version up to date, a page of cases at a time.

A case's stored record (`Case.stats_recorded`) says what the aggregates count for it; a
record of an earlier version expands to the rows of that version only (`domain.stats`). Writing
such a case again, unchanged, adds it to the newer rows in its own transaction, as any write
would. An operator runs this once after a deployment that adds rows, following `next_cursor`
until it is null; it reads every case once (a Scan), which is what a migration is for, and
writes only those whose record is out of date. Safe to repeat, and to run beside live traffic:
a case changed meanwhile is left to that change, which records it anew.

The same pass upgrades a case filed before case codes existed (一案一码, §14): it is given
its `public_code` (claimed, with its parties' tail digests) in its own write, which also puts
it on every sparse index its state now calls for (a resolved agreement's judicial
confirmation window on the visit index). No SMS is sent for such a code: staff give it to the
party, who was not told one at filing.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.case import SYSTEM, Event
from ..domain.case_query import CaseQuery
from ..domain.errors import InvalidCursor, StaleCase
from ..domain.stats import stats_record
from .errors import Unprocessable
from .ports import CaseStore, Clock

CODE_GIVEN = "public_code_given"
"""The timeline event of a case given its code by the upgrade (the code is in the case view)."""

PAGE_SIZE = 200


@dataclass(frozen=True)
class RecountResult:
    examined: int
    recounted: int
    changed_meanwhile: int
    next_cursor: str | None
    coded: int = 0
    """Cases filed before case codes that were given one (一案一码)."""


class StatsRecount:
    def __init__(self, cases: CaseStore, clock: Clock):
        self._cases = cases
        self._clock = clock

    def run(self, cursor: str | None = None, page_size: int = PAGE_SIZE) -> RecountResult:
        try:
            page, next_cursor = self._cases.list(CaseQuery(), page_size, cursor)
        except InvalidCursor as exc:
            raise Unprocessable.field("cursor", str(exc)) from exc
        recounted = coded = changed = 0
        for case in page:
            try:
                if case.public_code is None:  # filed before case codes: a code, and a write of all it derives
                    self._cases.give_code(case, [Event(self._clock(), CODE_GIVEN, SYSTEM, {})])
                    coded += 1
                elif case.stats_recorded != stats_record(case):
                    self._cases.save_change(case, [])
                    recounted += 1
            except StaleCase:
                changed += 1
        return RecountResult(len(page), recounted, changed, next_cursor, coded)
