"""What an adapter raises for an expected outcome, below the services that handle it.

None is a fault: an optimistic lock lost to a concurrent write, a uniqueness
claim already taken, a condition on another item that no longer holds, a
cursor or a token that does not check out. The services turn them into
retries or into the API's 401/409/422.
"""

from __future__ import annotations


class StaleCase(Exception):
    """The case changed since it was read (optimistic lock on `version`)."""


class ScheduleChanged(Exception):
    """A mediator's schedule changed since it was read: another session was booked (or let go)
    for them meanwhile. The booking reads it again and checks the overlap again."""


class DuplicateReference(Exception):
    """The (owner, external_ref) idempotency key is taken."""

    def __init__(self, case_id: str, request_hash: str):
        super().__init__(case_id)
        self.case_id = case_id
        self.request_hash = request_hash


class ReplayedRequest(Exception):
    """The signed request's replay key (its signature, or its key's nonce) was claimed before."""


class MediatorUnavailable(Exception):
    """The chosen mediator was deactivated meanwhile."""


class AlreadyExists(Exception):
    """A directory entry with that id exists."""


class InvalidCursor(ValueError):
    """A pagination cursor that this service did not issue, or one of another list."""


class InvalidToken(Exception):
    """A bearer token that is missing, malformed, expired or wrongly signed."""


class SpreadsheetRefused(Exception):
    """A spreadsheet the reader will not read: the message says why, for the sender."""


class UnreadableSpreadsheet(SpreadsheetRefused):
    """Not an xlsx workbook, a damaged one, or one whose XML declares entities (a DTD)."""


class MacroSpreadsheet(SpreadsheetRefused):
    """A macro-enabled workbook (.xlsm): macros are not accepted."""

    MESSAGE = ("macro-enabled workbooks (.xlsm) are not accepted: save the workbook as "
               "\"Excel Workbook (*.xlsx)\", without macros, and send that")

    def __init__(self, message: str = MESSAGE):
        super().__init__(message)


class SpreadsheetTooLarge(SpreadsheetRefused):
    """More than the reader unpacks (a zip bomb) or more rows than it reads."""


class FormulaCells(SpreadsheetRefused):
    """Cells holding formulas, each as (row number, reference such as `E3`, the value of its
    column's cell in row 1): the reader takes values only."""

    def __init__(self, message: str, cells: list[tuple[int, str, object]]):
        super().__init__(message)
        self.cells = cells


class AttachmentLimitReached(Exception):
    """Every place of the case's attachment limit is taken (pending or stored files)."""


class UploadChanged(Exception):
    """The uploaded object was replaced between its check and its move to the stored key."""


class SmsRefused(Exception):
    """The SMS provider answered with an error code (a template not approved, a number the
    provider's frequency control holds, credentials refused...): the send failed with that code."""

    def __init__(self, provider: str, code: str, message: str = ""):
        super().__init__(f"{provider}: {code}" + (f" ({message})" if message else ""))
        self.provider = provider
        self.code = code
        self.message = message
