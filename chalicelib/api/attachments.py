"""Attachments (证据材料) and the dossier (卷宗), §14: upload through a presigned POST, `complete`,
lists, download links."""

from __future__ import annotations

from typing import Any

from .. import wiring
from ..domain.access import Principal
from ..domain.attachments import MAX_BYTES, MAX_PER_CASE, UPLOAD_SECONDS, Attachment, filename_for
from ..domain.calendar import rfc3339
from ..domain.dossier import is_complete
from ..services.audit import audit_hook
from ..services.commands import NewAttachment, PurposeQuery
from .http import ANY_ROLE, STAFF, Call, Reply
from .routes import route


def attachment_view(attachment: Attachment, principal: Principal, in_full: bool | None = None) -> dict[str, Any]:
    return {"attachment_id": attachment.attachment_id, "kind": attachment.kind.value,
            "filename": filename_for(attachment, principal, in_full), "content_type": attachment.content_type,
            "size_bytes": attachment.size_bytes, "sha256": attachment.sha256, "status": attachment.status.value,
            "reason": attachment.reason.value if attachment.reason else None,
            "created_at": rfc3339(attachment.created_at), "created_by": attachment.created_by,
            "stored_at": rfc3339(attachment.stored_at)}


def settled_view(attachment: Attachment) -> dict[str, Any]:
    return {"attachment_id": attachment.attachment_id, "status": attachment.status.value,
            "reason": attachment.reason.value if attachment.reason else None}


@route("/v1/cases/{case_id}/attachments", "POST", roles=ANY_ROLE, body=NewAttachment,
       summary="Declare a file (证据材料) and get the presigned S3 POST that uploads it", responses={
           201: f"Pending; POST the file with `upload.fields` to `upload.url` within {UPLOAD_SECONDS} s, then "
                "call complete", 403: "A partner and a kind other than evidence or other",
           404: "Not in view", 422: f"Bad declaration, over {MAX_BYTES // 2**20} MiB, or the case holds "
                                    f"{MAX_PER_CASE} attachments already",
           409: "The case's personal data is erased (§16): it takes no more files"})
def create_attachment(call: Call) -> Reply:
    case_id = call.params["case_id"]
    attachment, form = wiring.current().attachments.create(case_id, call.body, call.principal)
    return Reply({"attachment_id": attachment.attachment_id, "status": attachment.status.value, "upload": form,
                  "expires_in": UPLOAD_SECONDS}, 201,
                 {"Location": f"/v1/cases/{case_id}/attachments/{attachment.attachment_id}"})


@route("/v1/cases/{case_id}/attachments/{attachment_id}/complete", "POST", roles=ANY_ROLE,
       summary="Check the uploaded file against its declaration: stored, or rejected (and deleted)", responses={
           200: "Stored, or rejected with a reason; a settled attachment is answered as it is",
           403: "A partner and a kind other than evidence or other, or a pending upload of someone else",
           404: "Not in view, or no such attachment", 409: "The upload was replaced while it was checked: call again"})
def complete_attachment(call: Call) -> Reply:
    attachment = wiring.current().attachments.complete(call.params["case_id"], call.params["attachment_id"],
                                                       call.principal)
    return Reply(settled_view(attachment))


@route("/v1/cases/{case_id}/attachments", summary="The case's attachments, oldest first", roles=ANY_ROLE,
       responses={200: "`{\"items\": [...]}` (a partner's without id_proof)", 404: "Not in view"})
def list_attachments(call: Call) -> Reply:
    attachments, in_full = wiring.current().attachments.list_read(call.params["case_id"], call.principal)
    return Reply({"items": [attachment_view(a, call.principal, in_full) for a in attachments]})


@route("/v1/cases/{case_id}/attachments/{attachment_id}", roles=ANY_ROLE, query=PurposeQuery,
       summary="One attachment; a stored one with a download link valid 300 s, recorded in the access audit "
               "with the optional `purpose`", responses={
           200: "The attachment, with `download_url` (null until stored)",
           403: "An id_proof of a case with a party under 14, asked for by staff who do not read it in full",
           404: "Not in view, no such attachment, or an id_proof asked for by a partner",
           422: "A bad `purpose`", 503: "The access audit could not be recorded: no link was made"})
def get_attachment(call: Call) -> Reply:
    container = wiring.current()
    attachment, url, in_full = container.attachments.read(
        call.params["case_id"], call.params["attachment_id"], call.principal,
        audit_hook(container.audit, call.principal, call.query.purpose))
    return Reply({**attachment_view(attachment, call.principal, in_full), "download_url": url})


@route("/v1/cases/{case_id}/dossier", summary="The dossier (卷宗): each of its six items present, missing or "
                                               "not applicable", roles=STAFF, responses={
           200: "The six items and whether the dossier is complete", 404: "Not in view"})
def case_dossier(call: Call) -> Reply:
    items = wiring.current().attachments.dossier(call.params["case_id"], call.principal)
    return Reply({"items": [{"item": item.value, "status": status.value} for item, status in items],
                  "complete": is_complete(items)})
