"""Attachments (证据材料, §14) and the dossier (卷宗): the use cases behind
`/v1/cases/{id}/attachments…` and `/v1/cases/{id}/dossier`.

Who: staff with the case in view, and a partner on its own cases (404
otherwise, as every case route). A partner uploads (and completes) `evidence`
and `other` only (403 for another kind) and never sees `id_proof` (404). Every
upload asked for, its outcome and every download link handed out is an event
on the case's timeline, written with the record it goes with.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from ..domain.access import CASE_HANDLERS, Principal, sees_parties_in_full
from ..domain.enums import Role
from ..domain.attachments import (
    EVENT_CREATED, EVENT_LINK_ISSUED, EVENT_REJECTED, EVENT_STORED, LINK_SECONDS, MAX_PER_CASE, UPLOAD_SECONDS,
    Attachment, AttachmentStatus, filename_for, is_attachment_id, may_download, may_upload, new_attachment_id, verdict,
    visible_to)
from ..domain.case import SYSTEM, Case
from ..domain.dossier import DossierItem, ItemStatus, dossier
from ..domain.errors import AttachmentLimitReached, UploadChanged
from ..observability import logger
from .commands import NewAttachment
from .errors import Conflict, Forbidden, NotFound, Unprocessable
from .ports import AttachmentFiles, AttachmentStore, CaseStore, Clock
from .queries import CaseQueries

LIMIT_MESSAGE = f"the case holds {MAX_PER_CASE} attachments already (pending or stored), the most it may"


RECLAIMS_PER_REQUEST = 3
"""Abandoned uploads one request at the limit settles at most, before answering 422."""


def _handles(case: Case, principal: Principal) -> None:
    """Staff who add files to a case are its handlers: an assisting org's mediators (联合调解)
    read its files, and add none (403)."""
    if principal.is_staff and not CASE_HANDLERS.allows(principal, case):
        raise Forbidden("the mediators of an assisting org read this case's files but add none")


class AttachmentService:
    def __init__(self, queries: CaseQueries, cases: CaseStore, store: AttachmentStore, files: AttachmentFiles,
                 clock: Clock):
        self._queries = queries
        self._cases = cases
        self._store = store
        self._files = files
        self._clock = clock

    # -------------------------------------------------------------- uploads

    def create(self, case_id: str, command: NewAttachment, principal: Principal) -> tuple[Attachment, dict[str, Any]]:
        """A pending attachment and the presigned POST that uploads its file."""
        case = self._queries.case(case_id, principal)
        if not may_upload(command.kind, principal):
            raise Forbidden(f"a partner may upload evidence and other files, not {command.kind.value}")
        _handles(case, principal)
        if case.anonymised_at is not None or case.anonymising_since is not None:
            raise Conflict("the case's personal data is erased (§16): it takes no more files")
        now = self._clock()
        attachment = Attachment(new_attachment_id(now), case.case_id, command.kind, command.filename,
                                command.content_type, command.size_bytes, command.sha256, now, principal.actor)
        event = attachment.event(EVENT_CREATED, now, principal.actor)
        try:
            self._store.create(attachment, event, MAX_PER_CASE)
        except AttachmentLimitReached:
            if not self._reclaim(case.case_id, now):
                raise Unprocessable(LIMIT_MESSAGE, [{"field": "body", "message": LIMIT_MESSAGE}]) from None
            try:  # an abandoned upload gave its place back: once more
                self._store.create(attachment, event, MAX_PER_CASE)
            except AttachmentLimitReached:
                raise Unprocessable(LIMIT_MESSAGE, [{"field": "body", "message": LIMIT_MESSAGE}]) from None
        form = self._files.upload_form(attachment.upload_key, attachment.content_type, attachment.size_bytes,
                                       UPLOAD_SECONDS)
        logger.info("attachment requested", extra={"case_id": case.case_id, "attachment_id": attachment.attachment_id,
                                                   "kind": attachment.kind.value, "size_bytes": attachment.size_bytes})
        return attachment, form

    def complete(self, case_id: str, attachment_id: str, principal: Principal) -> Attachment:
        """Check the uploaded object against the declaration: stored, or rejected and deleted. A
        settled attachment is answered as it is, and nothing changes."""
        case = self._queries.case(case_id, principal)
        attachment = self._visible(case, attachment_id, principal)
        if not may_upload(attachment.kind, principal):
            raise Forbidden(f"a partner may complete evidence and other files, not {attachment.kind.value}")
        _handles(case, principal)
        if not attachment.is_pending:
            return attachment
        if principal.actor != attachment.created_by and principal.role is not Role.ADMIN:
            raise Forbidden("only the uploader (or an admin) completes an upload: it may still be on its way")
        return self._settle(attachment, principal.actor)

    def _settle(self, attachment: Attachment, actor: str) -> Attachment:
        """Read the object once and judge it. A good one is copied to its stored key first (on the
        version read), then the outcome is written on the condition that the record is pending
        still, then the upload is deleted: a crash at any point leaves the file where the next
        `complete` finds it. Two calls at once settle once; the loser answers the winner's outcome."""
        observed = self._files.inspect(attachment.upload_key, attachment.size_bytes)
        reason = verdict(attachment, observed)
        if reason is None:
            try:
                self._files.copy(attachment.upload_key, attachment.stored_key, observed.etag or "", attachment.sha256)
            except UploadChanged:
                current = self._store.get(attachment.case_id, attachment.attachment_id)
                if current is not None and not current.is_pending:
                    return current
                raise Conflict("the upload changed while it was checked: call complete again") from None
        now = self._clock()
        settled = attachment.settled(reason, now)
        won = self._store.settle(settled, settled.event(EVENT_REJECTED if reason else EVENT_STORED, now, actor))
        self._files.delete(attachment.upload_key)  # settled either way: the upload has served
        if won:
            logger.info("attachment settled", extra={"case_id": attachment.case_id, "status": settled.status.value,
                                                     "attachment_id": attachment.attachment_id,
                                                     "reason": reason.value if reason else None})
            return settled
        current = self._store.get(attachment.case_id, attachment.attachment_id)
        if reason is None and current.status is AttachmentStatus.REJECTED:
            self._files.delete(attachment.stored_key)  # the copy made here is not a file the case keeps
        return current

    def _reclaim(self, case_id: str, now: dt.datetime) -> bool:
        """Settle the case's uploads abandoned long after their POST expired, as `complete` would
        (a file uploaded in time is stored, not lost), oldest first, until a place comes free and
        at most `RECLAIMS_PER_REQUEST` of them (each may stream a 20 MiB file: the request must
        stay well within the API's 29 s); whether a place came free."""
        abandoned = [attachment for attachment in self._store.of_case(case_id) if attachment.abandoned_at(now)]
        for attachment in abandoned[:RECLAIMS_PER_REQUEST]:
            try:
                if self._settle(attachment, SYSTEM).status is AttachmentStatus.REJECTED:
                    return True
            except Conflict:
                continue
        return False

    # ---------------------------------------------------------------- reads

    def _visible(self, case: Case, attachment_id: str, principal: Principal) -> Attachment:
        attachment = self._store.get(case.case_id, attachment_id) if is_attachment_id(attachment_id) else None
        if attachment is None or not visible_to(attachment.kind, principal):
            raise NotFound(f"no attachment {attachment_id} on this case")
        return attachment

    def list(self, case_id: str, principal: Principal) -> list[Attachment]:
        return self.list_read(case_id, principal)[0]

    def list_read(self, case_id: str, principal: Principal) -> tuple[list[Attachment], bool]:
        """The attachments the caller sees, and whether they read the case in full (their names
        shown unmasked)."""
        case = self._queries.case(case_id, principal)
        return ([a for a in self._store.of_case(case.case_id) if visible_to(a.kind, principal)],
                sees_parties_in_full(principal, case))

    def get(self, case_id: str, attachment_id: str, principal: Principal) -> tuple[Attachment, str | None]:
        """The attachment and its download link (`read`)."""
        attachment, url, _ = self.read(case_id, attachment_id, principal)
        return attachment, url

    def read(self, case_id: str, attachment_id: str, principal: Principal,
             before_link: Callable[[Case, Attachment], None] | None = None) -> tuple[Attachment, str | None, bool]:
        """The attachment, for a stored one a download link (valid LINK_SECONDS), whose issue is
        an event on the timeline, and whether the caller reads the case in full. An identity
        document of a sensitive case is 403 to staff who do not (`may_download`). `before_link`
        (the access audit) runs before a link is made: if it raises, no link is handed out."""
        case = self._queries.case(case_id, principal)
        attachment = self._visible(case, attachment_id, principal)
        in_full = sees_parties_in_full(principal, case)
        if attachment.status is not AttachmentStatus.STORED:
            return attachment, None, in_full
        if not may_download(attachment.kind, in_full):
            raise Forbidden("an identity document of a case with a party under 14: only its assigned mediator "
                            "and the supervisors covering it download it")
        if before_link is not None:
            before_link(case, attachment)
        url = self._files.download_url(attachment.stored_key, filename_for(attachment, principal, in_full),
                                       attachment.content_type, LINK_SECONDS)
        self._cases.add_events(case.case_id, [attachment.event(EVENT_LINK_ISSUED, self._clock(), principal.actor)])
        logger.info("attachment link issued", extra={"case_id": case.case_id,
                                                     "attachment_id": attachment.attachment_id})
        return attachment, url, in_full

    # -------------------------------------------------------------- dossier

    def dossier(self, case_id: str, principal: Principal) -> list[tuple[DossierItem, ItemStatus]]:
        """卷宗: the six items of the case's file and their status."""
        case = self._queries.case(case_id, principal)
        return dossier(case, self._store.of_case(case.case_id))
