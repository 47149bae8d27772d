"""The party's side of the case code (一案一码, §14): the progress lookup (一案一码查询) and the
party's own evaluation (当事人评价), with no credentials but the code and the last four digits
of a party's phone.

Every try passes the same guard (`PublicCases._open`): the day's count of tries at the code
is read; with `MAX_WRONG_TRIES` counted, 429. Otherwise the try is counted first, then the
code's claim is read and the digits judged on it (it keeps digests of the parties' phone
tails, `domain/public_lookup.tail_digests`); only a right try reads the case, and is taken
back. Counting before checking means concurrent tries cannot check more digits than the day
allows: a try that finds the count over it is 429 unchecked (and taken back). A wrong code
(unknown, malformed, a bad check character) and wrong digits get the same 404 after the same
work: one small item read (found or not), no case read, no timing to tell them apart.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import unquote

from pydantic import BeforeValidator, ConfigDict, StringConstraints

from ..domain.case import Case, RuleBroken
from ..domain.errors import StaleCase
from ..domain.public_code import MAX_LOOKUP_LENGTH, normalise
from ..domain.public_lookup import (
    MAX_WRONG_TRIES, CaseProgress, claim_matches, lookup_day, progress, seconds_left_in_day,
    tries_expire_at)
from ..observability import logger
from .action_registry import SatisfactionScores
from .commands import Command, Text
from .errors import Conflict, NotFound, TooManyRequests
from .notifications import Notifier
from .ports import CaseStore, Clock, Directory, TryCounter

# ------------------------------------------------------------------ commands

PhoneLast4 = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]
"""The last four digits of a party's phone (ASCII digits)."""


class PublicCaseQuery(Command):
    """`GET /v1/public/cases/{code}?phone_last4=5678`."""

    model_config = ConfigDict(extra="ignore", strict=False, frozen=True)

    phone_last4: PhoneLast4


def _blank_is_none(value: Any) -> Any:
    """A form's empty comment box sends "": no comment."""
    return None if isinstance(value, str) and not value.strip() else value


class SelfEvaluationInput(Command):
    """`POST /v1/public/cases/{code}/feedback`: the party's evaluation (当事人评价), scored as a
    return visit is (`visit`'s `satisfaction`), with an optional comment."""

    phone_last4: PhoneLast4
    satisfaction: SatisfactionScores
    comment: Annotated[Text(500) | None, BeforeValidator(_blank_is_none)] = None


# ---------------------------------------------------------------- the use case


def could_be_a_code(code: str) -> bool:
    """Whether `code` is worth a try: at most MAX_LOOKUP_LENGTH characters as sent and as
    normalised, not blank, printable text. Anything else is no code at all, and no key is made
    of it (no junk keys): it is refused uncounted, which tells nothing of any real code."""
    if len(code) > MAX_LOOKUP_LENGTH:
        return False
    normalised = normalise(code)
    return 0 < len(normalised) <= MAX_LOOKUP_LENGTH and normalised.isprintable() and _encodable(normalised)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")  # a lone surrogate is not: DynamoDB would refuse the key
    except UnicodeEncodeError:
        return False
    return True


NOT_FOUND = "no case has this code with a party's phone ending in these digits"
"""The one answer to a wrong code and to wrong digits alike."""

EVALUATE_ATTEMPTS = 4
"""Tries of the evaluation's write against concurrent writes of its case (a sweep, an action)."""


class PublicCases:
    def __init__(self, cases: CaseStore, tries: TryCounter, directory: Directory, notifier: Notifier,
                 clock: Clock):
        self._cases = cases
        self._tries = tries
        self._directory = directory
        self._notifier = notifier
        self._clock = clock

    def progress(self, code: str, phone_last4: str) -> CaseProgress:
        """一案一码查询: the progress of the case, for a party who holds its code."""
        case, now = self._open(code, phone_last4)
        org = self._directory.org(case.org_id) if case.org_id else None
        return progress(case, org.name if org else None, now)

    def evaluate(self, code: str, command: SelfEvaluationInput) -> Case:
        """当事人评价: record the party's scores on the case, once, after it concluded (409 before,
        and after the first); a dissatisfied one raises rectification, its SMS to the org's head
        written with the case. A concurrent write of the case makes it read again and retry."""
        case, now = self._open(code, command.phone_last4)
        satisfaction = command.satisfaction.model_dump(mode="json")
        for attempt in range(1, EVALUATE_ATTEMPTS + 1):
            try:
                outcome = case.record_self_evaluation(satisfaction, command.comment, now)
            except RuleBroken as exc:
                raise Conflict(str(exc)) from None
            notes = self._notifier.plan(case, outcome.notices, now, self._directory.org, self._directory.mediator)
            try:
                self._cases.save_change(case, outcome.events, notes, outcome.mediator_load)
            except StaleCase:
                if attempt == EVALUATE_ATTEMPTS:
                    raise Conflict("the case changed meanwhile; send the evaluation again") from None
                case, now = self._cases.get(case.case_id), self._clock()
                continue
            self._notifier.enqueue(notes)
            logger.info("self evaluation", extra={"case_id": case.case_id,
                                                  "rectification_required": case.rectification_required})
            return case
        raise AssertionError("unreachable")

    def _open(self, code: str, phone_last4: str) -> tuple[Case, dt.datetime]:
        """The case `code` names if `phone_last4` ends a party's phone, else NotFound (the same
        for a wrong code and wrong digits); TooManyRequests once the code's tries of the day are
        used up. What is no code at all (`could_be_a_code`) is NotFound at once, nothing counted."""
        now = self._clock()
        code = unquote(code)  # the path as sent: a code typed in full-width characters arrives percent-encoded
        if not could_be_a_code(code):
            raise NotFound(NOT_FOUND)
        code, day = normalise(code), lookup_day(now)
        if self._tries.wrong_tries(code, day) >= MAX_WRONG_TRIES:
            raise self._refused(now)
        if self._tries.count_wrong_try(code, day, tries_expire_at(day)) > MAX_WRONG_TRIES:
            self._tries.take_back_try(code, day)  # not checked: it must not count as a wrong one
            raise self._refused(now)  # concurrent tries took the last ones
        claim = self._cases.code_claim(code)  # judged on it alone: a wrong code and wrong digits, one small read
        matched = claim_matches(claim.tail_digests if claim else None, code, phone_last4)
        case = self._cases.get(claim.case_id) if matched else None
        if case is None:
            logger.info("public lookup refused")
            raise NotFound(NOT_FOUND)
        self._tries.take_back_try(code, day)
        return case, now

    @staticmethod
    def _refused(now: dt.datetime) -> TooManyRequests:
        logger.info("public lookup blocked")
        return TooManyRequests("too many wrong tries on this code today: try again after midnight (Asia/Shanghai)",
                               retry_after=seconds_left_in_day(now))
