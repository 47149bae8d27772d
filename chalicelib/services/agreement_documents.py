"""The agreement document (人民调解协议书, §14): `GET /v1/cases/{id}/documents/agreement.docx`.

Staff with the case in view get the Word file of a resolved or closed case's
agreement: read the case (404 outside the view), check that it has an
agreement with its facts and terms (409 before `resolve`, 422 naming what is
missing), look up the names of the org and the mediator, render.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..domain.access import Principal, sees_parties_in_full
from ..domain.agreement_document import AgreementIncomplete, agreement_document, check_document_ready
from ..domain.case import Case, RuleBroken
from .errors import Conflict, Forbidden, Unprocessable
from .ports import AgreementRenderer, Directory
from .queries import CaseQueries

MISSING_MESSAGE = "the agreement document needs it: record it with resolve"


@dataclass(frozen=True)
class DocumentFile:
    content: bytes
    filename: str


class AgreementDocuments:
    def __init__(self, queries: CaseQueries, directory: Directory, renderer: AgreementRenderer):
        self._queries = queries
        self._directory = directory
        self._renderer = renderer

    def agreement(self, case_id: str, principal: Principal,
                  before_render: Callable[[Case], None] | None = None) -> DocumentFile:
        """The agreement document of a case in the caller's view, as a Word file. `before_render`
        (the access audit) runs once the document may be made: if it raises, none is."""
        if not principal.is_staff:
            raise Forbidden("the agreement document names the parties in full: staff only")
        case = self._queries.case(case_id, principal)
        if not sees_parties_in_full(principal, case):
            raise Forbidden("the agreement document names the parties in full, and a party of this case is under 14: "
                            "only its assigned mediator and the supervisors covering it get it")
        try:
            check_document_ready(case)
        except AgreementIncomplete as exc:
            raise Unprocessable(str(exc), [{"field": field, "message": MISSING_MESSAGE} for field in exc.fields]) \
                from None
        except RuleBroken as exc:
            raise Conflict(str(exc)) from None
        if before_render is not None:
            before_render(case)
        org = self._directory.org(case.org_id) if case.org_id else None
        mediator = self._directory.mediator(case.mediator_id) if case.mediator_id else None
        document = agreement_document(case, org and org.name, mediator and mediator.name)
        return DocumentFile(self._renderer.render(document), document.filename)
