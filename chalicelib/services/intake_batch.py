"""Many cases filed through intake in one request (a patrol ledger import, 排查台账导入).

Intake runs for each case exactly as it does for `POST /v1/cases` (`IntakeService.file_case`),
on a view of the case store and the queues (`IntakeBatch`, given to `IntakeService.with_ports`)
that:

- keeps the cases the batch files in memory and writes them a group at a time
  (`CaseStore.create_many`: a few cases per transaction, so that a busy statistics row is
  written once per group, not once per case);
- holds each case's routing request until the case is written, and sends the requests of a
  group in one call.

Each read intake makes is answered as the store would answer it once the batch's earlier
cases were written: the batch's own claims, and its own cases added to the party keys' cases
and to the place index's open reports (newest first, within the store's limits). What the
store held before is read once per key: the claims in batched reads, the party keys in
parallel before the first case, a village and category's open reports at their first use.
A case another caller files meanwhile at the same place or with the same phone is not seen
by the batch's later cases (as a case filed a moment after another is not seen by it); one
filed with the same `external_ref` makes the batch's write of that case fail on its claim,
and `flush` reports it with what took the claim (`DuplicateReference`).
"""

from __future__ import annotations

import datetime as dt
from bisect import insort
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable, Mapping

from ..domain.case import Case, Event
from ..domain.duplicates import Candidate
from ..domain.errors import DuplicateReference
from ..observability import logger
from .intake import candidate
from .ports import PARTY_CASES_LIMIT, CaseStore, NewCaseWrite, Publisher, ReplayClaim

GROUP_SIZE = 10
"""Cases written together: about 70 of DynamoDB's 100 items a transaction, and their routing
requests one SQS call."""
READERS = 8
"""Threads reading the party keys before the first case (each key is one Query)."""


def _order(case: Case) -> tuple[dt.datetime, str]:
    """How the store orders a key's cases (by receipt, then case id); newest first is the reverse."""
    return case.received_at, case.case_id


class IntakeBatch:
    """One batch's view of the case store and of the queues (`ports.CaseStore`'s reads and write
    intake makes, and `ports.Publisher`). `claims`: the store's claims of `owner`'s
    `known_refs`, read before (external_ref → (case id, request digest))."""

    def __init__(self, store: CaseStore, publisher: Publisher, owner: str, known_refs: Iterable[str],
                 claims: Mapping[str, tuple[str, str]]):
        self._store = store
        self._publisher = publisher
        self._owner = owner
        self._known_refs = set(known_refs)
        self._claims = dict(claims)
        self._filed: dict[str, Case] = {}
        """The batch's cases by id, written or waiting."""
        self._filed_refs: dict[str, Case] = {}
        self._by_key: dict[str, list[Case]] = {}
        """Party key → the batch's cases with it, oldest first."""
        self._by_place: dict[tuple[str, str], list[tuple[tuple[dt.datetime, str], Candidate]]] = {}
        """(village, category) → the batch's cases there, as candidates, oldest first."""
        self._stored_party_cases: dict[str, list[str]] = {}
        self._stored_reports: dict[tuple[str, str], list[Candidate]] = {}
        self._pending: list[NewCaseWrite] = []
        self._held: list[tuple[str, dict[str, Any]]] = []

    @property
    def pending(self) -> int:
        """Cases filed and not written yet."""
        return len(self._pending)

    def read_party_keys(self, pseudonyms: Iterable[str], since: dt.datetime) -> None:
        """Read the store's cases of these party keys now, in parallel (one Query each)."""
        keys = sorted(set(pseudonyms) - set(self._stored_party_cases))
        chunks = [keys[start::READERS] for start in range(min(READERS, len(keys)))]
        if chunks:
            with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
                for found in pool.map(lambda chunk: self._store.party_cases(chunk, since), chunks):
                    self._stored_party_cases.update(found)

    def flush(self) -> list[tuple[Case, DuplicateReference]]:
        """Write the cases waiting, then send their routing requests. Returns the cases whose
        claim was taken meanwhile, each with what took it: they leave the batch."""
        writes, self._pending = self._pending, []
        if not writes:
            return []
        outcomes = self._store.create_many(writes)
        refused = [(write.case, duplicate) for write, duplicate in zip(writes, outcomes) if duplicate is not None]
        for case, _ in refused:
            self._forget(case)
        held, self._held = self._held, []
        for role in dict.fromkeys(role for role, _ in held):
            messages = [message for kind, message in held if kind == role and message["case_id"] in self._filed]
            if messages:
                try:
                    self._publisher.publish_batch(role, messages)
                except Exception:  # noqa: BLE001 - the cases are stored; routing and SMS self-heal
                    logger.exception("publish failed; the sweep will take the cases up",
                                     extra={"role": role, "cases": len(messages)})
        return refused

    def _forget(self, case: Case) -> None:
        del self._filed[case.case_id]
        del self._filed_refs[case.external_ref]
        for cases in self._by_key.values():
            if case in cases:
                cases.remove(case)
        for reports in self._by_place.values():
            reports[:] = [entry for entry in reports if entry[1].case_id != case.case_id]

    # ------------------------------------------------------------ CaseStore

    def get_claim(self, owner: str, external_ref: str) -> tuple[str, str] | None:
        if owner == self._owner:
            if external_ref in self._filed_refs:
                case = self._filed_refs[external_ref]
                return case.case_id, case.request_hash
            if external_ref in self._known_refs:
                return self._claims.get(external_ref)
        return self._store.get_claim(owner, external_ref)

    def create(self, case: Case, events: list[Event], party_pseudonyms: list[str],
               party_key_ttl: dt.datetime, notifications: Iterable[dict[str, Any]] = (),
               replay: ReplayClaim | None = None) -> None:
        """Filed now, written at the next `flush` (DuplicateReference now if the claim is taken).
        Staff file a batch: no request of theirs has a replay key."""
        if replay is not None:
            raise ValueError("a batch files no signed partner request")
        claim = self.get_claim(case.owner, case.external_ref)
        if claim is not None:
            raise DuplicateReference(*claim)
        self._filed[case.case_id] = case
        self._filed_refs[case.external_ref] = case
        for pseudonym in party_pseudonyms:
            insort(self._by_key.setdefault(pseudonym, []), case, key=_order)
        insort(self._by_place.setdefault((case.region_code, case.category.value), []), (_order(case), candidate(case)),
               key=lambda entry: entry[0])
        self._pending.append(NewCaseWrite(case, events, list(party_pseudonyms), party_key_ttl, tuple(notifications)))

    def party_cases(self, pseudonyms: list[str], since: dt.datetime) -> dict[str, list[str]]:
        unread = [pseudonym for pseudonym in pseudonyms if pseudonym not in self._stored_party_cases]
        if unread:
            self._stored_party_cases.update(self._store.party_cases(unread, since))
        found = {}
        for pseudonym in pseudonyms:
            ours = [case.case_id for case in reversed(self._by_key.get(pseudonym, [])) if case.received_at >= since]
            stored = [case_id for case_id in self._stored_party_cases[pseudonym] if case_id not in ours]
            found[pseudonym] = (ours + stored)[:PARTY_CASES_LIMIT]
        return found

    def open_reports_at(self, region_code: str, category: str, since: dt.datetime, limit: int) -> list[Candidate]:
        place = (region_code, category)
        if place not in self._stored_reports:
            self._stored_reports[place] = self._store.open_reports_at(region_code, category, since, limit)
        ours = [report for (received_at, _), report in reversed(self._by_place.get(place, []))
                if received_at >= since][:limit]
        known = {report.case_id for report in ours}
        return (ours + [report for report in self._stored_reports[place] if report.case_id not in known])[:limit]

    def cases(self, case_ids: Iterable[str]) -> list[Case]:
        wanted = set(case_ids)
        return [self._filed[case_id] for case_id in sorted(wanted & set(self._filed))] + self._store.cases(
            wanted - set(self._filed))

    def get(self, case_id: str) -> Case | None:
        return self._filed.get(case_id) or self._store.get(case_id)

    # ------------------------------------------------------------ Publisher

    def publish(self, role: str, message: dict[str, Any], delay_seconds: int = 0) -> Any:
        """A message about a case of the batch (its routing request, its SMS) waits for the
        case's write; the rest go now."""
        if delay_seconds == 0 and message.get("case_id") in self._filed:
            self._held.append((role, message))
            return None
        return self._publisher.publish(role, message, delay_seconds)

    def publish_batch(self, role: str, messages: list[dict[str, Any]]) -> None:
        now = [message for message in messages if message.get("case_id") not in self._filed]
        self._held += [(role, message) for message in messages if message.get("case_id") in self._filed]
        if now:
            self._publisher.publish_batch(role, now)
