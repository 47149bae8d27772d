"""`GET /v1/cases/{case_id}/documents/agreement.docx` (§14): the agreement document (人民调解协议书)."""

from __future__ import annotations

from .. import wiring
from ..services.commands import PurposeQuery
from .http import DOCX, STAFF, Call, Download
from .routes import route


@route("/v1/cases/{case_id}/documents/agreement.docx",
       summary="The agreement document (人民调解协议书) as Word: staff with the case in view, once it is resolved",
       roles=STAFF, downloads=(DOCX,), query=PurposeQuery, responses={
           200: "The document (an attachment); recorded in the access audit with the optional `purpose`",
           403: "A partner, or for a case with a party under 14 staff other than its assigned mediator and "
                "covering supervisors: the document names the parties in full",
           503: "The access audit could not be recorded: no document was made",
           404: "Not in view", 406: "An Accept header that does not take the Word file",
           409: "Not resolved (nor closed after it): no agreement yet",
           422: "The agreement lacks its facts or terms (each missing field named)"})
def agreement_document(call: Call) -> Download:
    container = wiring.current()
    document = container.agreement_documents.agreement(
        call.params["case_id"], call.principal,
        lambda case: container.audit.agreement_document(case, call.principal, call.query.purpose))
    return Download(document.content, DOCX, document.filename)
