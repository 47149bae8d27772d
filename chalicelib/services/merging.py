"""Merge (并案, §12): one dispute that came in through several doors becomes one case.

The source becomes `merged` into the target, which takes its parties (and
their look-up keys, so a later case of one of them finds the target), risk
indicators and party count, is graded again (never lower) and, when the new
grade needs a higher tier, is routed again upwards. Both cases are written in
one DynamoDB transaction, each conditional on the version read: two merges
of one pair in opposite directions cannot both commit (no cycle), and a merge
racing an accept on the source loses or wins whole, then retries on what it
reads again. The source's SMS not yet sent are suppressed in the same write.
"""

from __future__ import annotations

import datetime as dt

from ..domain.access import CASE_HANDLERS, Principal
from ..domain.case import Case, InvalidValue, RuleBroken
from ..domain.notices import CLAIMABLE
from ..domain.risk import REPEAT_PARTY_WINDOW_DAYS
from ..observability import logger
from .action_registry import MergeCase
from .actions import check_expected_version, retrying
from .callbacks import CallbackService
from .errors import Conflict, Forbidden, Unprocessable
from .intake import party_pseudonyms
from .ports import CaseStore, Clock, PartyKeys, Publisher
from .queries import CaseQueries
from .routing import request_routing


class CaseMerger:
    def __init__(self, cases: CaseStore, queries: CaseQueries, callbacks: CallbackService, publisher: Publisher,
                 secret_key: bytes, clock: Clock):
        self._cases = cases
        self._secret_key = secret_key
        self._queries = queries
        self._callbacks = callbacks
        self._publisher = publisher
        self._clock = clock

    def merge(self, case_id: str, command: MergeCase, principal: Principal) -> Case:
        """Merge case `case_id` into `command.into`; the source as it stands after. A concurrent
        write of either case makes it read both again and retry (409 with `expected_version`)."""
        return retrying(command, lambda: self._merge_once(case_id, command, principal),
                        "a case changed meanwhile; read them again and retry", case_id)

    def _merge_once(self, case_id: str, command: MergeCase, principal: Principal) -> Case:
        source = self._queries.case(case_id, principal)  # 404 outside the caller's view
        if not principal.is_staff:
            raise Forbidden("only staff merge cases")
        if command.into == source.case_id:
            raise Unprocessable.field("into", "a case cannot be merged into itself")
        target = self._queries.case(command.into, principal)  # 404: staff must see both
        if not (CASE_HANDLERS.allows(principal, source) and CASE_HANDLERS.allows(principal, target)):
            raise Forbidden("only the handlers of both cases merge them (an assisting org's mediators do not)")
        check_expected_version(command, source)
        now = self._clock()
        try:
            merged, absorbed = source.merge_into(target, command.reason, now, principal.actor)
        except RuleBroken as exc:
            raise Conflict(str(exc)) from None
        except InvalidValue as exc:
            raise Unprocessable.field(exc.field, exc.message) from None
        load = merged.merge(absorbed).mediator_load
        keys = PartyKeys(tuple(party_pseudonyms(self._secret_key, source.parties)), now,
                         now + dt.timedelta(days=REPEAT_PARTY_WINDOW_DAYS + 1))
        unsent = [record["sk"] for record in self._cases.notifications(source.case_id)
                  if record["status"] in CLAIMABLE]  # a merged case sends no more SMS
        self._cases.save_merge(source, merged.events, target, absorbed.events, mediator_load=load, party_keys=keys,
                               unsent=unsent)
        self._callbacks.tell(source, merged, now)
        self._callbacks.tell(target, absorbed, now)
        if absorbed.reroute:
            request_routing(self._publisher, target.case_id, "merge", now)
        logger.info("cases merged", extra={"case_id": source.case_id, "into": target.case_id,
                                           "risk_level": target.risk_level.value})
        return source
