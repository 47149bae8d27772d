"""`GET /v1/cases/{case_id}/documents/agreement.docx` (§14): the agreement document (人民调解协议书)."""

from __future__ import annotations

from .. import wiring
from .http import DOCX, STAFF, Call, Download
from .routes import route


@route("/v1/cases/{case_id}/documents/agreement.docx",
       summary="The agreement document (人民调解协议书) as Word: staff with the case in view, once it is resolved",
       roles=STAFF, downloads=(DOCX,), responses={
           200: "The document (an attachment)", 403: "A partner: the document names the parties in full",
           404: "Not in view", 406: "An Accept header that does not take the Word file",
           409: "Not resolved (nor closed after it): no agreement yet",
           422: "The agreement lacks its facts or terms (each missing field named)"})
def agreement_document(call: Call) -> Download:
    document = wiring.current().agreement_documents.agreement(call.params["case_id"], call.principal)
    return Download(document.content, DOCX, document.filename)
