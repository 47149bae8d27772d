"""The access audit (访问审计, PIPL): record the reads that reveal personal data, and list them.

The reads call it after they have what they will answer and before they answer: a case view,
a list page, a download link (before the link is made), the agreement document, a ledger.
Its records are written in one round trip (`ports.AccessLog.write`). If that write fails,
the read fails closed: 503, and nothing of the data goes out. Nothing accepted is lost
unseen: the caller is told, and may read again.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from ..domain.access import Principal, sees_parties_in_full
from ..domain.attachments import Attachment
from ..domain.audit import LEDGER_PARTITION, AccessKind, AccessRecord, Revealed, case_read_records, revealed_parties
from ..domain.case import Case
from ..domain.enums import Role
from ..domain.errors import InvalidCursor
from ..observability import logger
from .errors import Forbidden, ServiceError, Unprocessable
from .ports import AccessLog, Clock
from .queries import CaseQueries


class AuditUnavailable(ServiceError):
    """The audit record could not be written: the read is refused rather than answered unaudited."""

    status = 503
    title = "Service unavailable"

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": "1"}


class AccessAudit:
    def __init__(self, log: AccessLog, queries: CaseQueries, clock: Clock):
        self._log = log
        self._queries = queries
        self._clock = clock

    # ---------------------------------------------------------------- recording

    def _write(self, records: list[AccessRecord]) -> None:
        if not records:
            return
        try:
            self._log.write(records)
        except Exception:  # noqa: BLE001 - whatever failed, the read must not go out unaudited
            logger.exception("access audit write failed", extra={"records": len(records),
                                                                "kind": records[0].kind.value})
            raise AuditUnavailable("the access audit could not be recorded: nothing was returned; try again") \
                from None
        logger.info("access audited", extra={"records": len(records), "kind": records[0].kind.value})

    def cases_read(self, cases: Iterable[Case], principal: Principal, kind: AccessKind,
                   purpose: str | None) -> None:
        """A case view or a list page: one record per case whose parties' phone or ID number the
        caller sees in full. Partners see them masked: nothing is recorded for them."""
        if not principal.is_staff:
            return
        self._write(case_read_records(cases, lambda case: sees_parties_in_full(principal, case), principal.actor,
                                      kind, self._clock(), purpose))

    def case_read(self, case: Case, principal: Principal, purpose: str | None) -> None:
        self.cases_read([case], principal, AccessKind.CASE_VIEW, purpose)

    def download(self, case: Case, attachment: Attachment, principal: Principal, purpose: str | None) -> None:
        """A download link handed out (anyone's, partners' too: a file is never masked)."""
        self._write([AccessRecord.new(case.case_id, self._clock(), principal.actor, AccessKind.ATTACHMENT_DOWNLOAD,
                                      Revealed(files=1), purpose, attachment_id=attachment.attachment_id,
                                      attachment_kind=attachment.kind.value)])

    def agreement_document(self, case: Case, principal: Principal, purpose: str | None) -> None:
        """The agreement document names every party with their phone and ID number, in full."""
        revealed = revealed_parties(case.parties, True)
        self._write([AccessRecord.new(case.case_id, self._clock(), principal.actor, AccessKind.AGREEMENT_DOCUMENT,
                                      Revealed(revealed.phones, revealed.id_numbers, 1), purpose)])

    def ledger(self, principal: Principal, scope: dict[str, Any], purpose: str | None) -> None:
        """A ledger answer or export job (masked, recorded all the same), in the ledger partition:
        which cases it holds is known only as it is written."""
        self._write([AccessRecord.new(LEDGER_PARTITION, self._clock(), principal.actor, AccessKind.LEDGER_EXPORT,
                                      Revealed(), purpose, **scope)])

    # ------------------------------------------------------------------- listing

    def log_of_case(self, case_id: str, principal: Principal, limit: int,
                    cursor: str | None) -> tuple[list[AccessRecord], str | None]:
        """The audit records of a case, newest first (admins only)."""
        self._admin_only(principal)
        case = self._queries.case(case_id, principal)
        return self._page(case.case_id, limit, cursor)

    def log_of_ledger(self, principal: Principal, limit: int, cursor: str | None):
        """The audit records of ledger exports, newest first (admins only)."""
        self._admin_only(principal)
        return self._page(LEDGER_PARTITION, limit, cursor)

    @staticmethod
    def _admin_only(principal: Principal) -> None:
        if principal.role is not Role.ADMIN:
            raise Forbidden("the access audit is for admins")

    def _page(self, partition: str, limit: int, cursor: str | None):
        try:
            return self._log.of_case(partition, limit, cursor)
        except InvalidCursor as exc:
            raise Unprocessable.field("cursor", str(exc)) from exc


def audit_hook(audit: AccessAudit, principal: Principal, purpose: str | None) -> Callable[[Case, Attachment], None]:
    """The download link's audit, as `AttachmentService.read` takes it."""
    return lambda case, attachment: audit.download(case, attachment, principal, purpose)
