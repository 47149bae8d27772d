"""What an adapter raises for an expected outcome, below the services that handle it.

None is a fault: an optimistic lock lost to a concurrent write, a uniqueness
claim already taken, a condition on another item that no longer holds, a
cursor or a token that does not check out. The services turn them into
retries or into the API's 401/409/422.
"""

from __future__ import annotations


class StaleCase(Exception):
    """The case changed since it was read (optimistic lock on `version`)."""


class DuplicateReference(Exception):
    """The (owner, external_ref) idempotency key is taken."""

    def __init__(self, case_id: str, request_hash: str):
        super().__init__(case_id)
        self.case_id = case_id
        self.request_hash = request_hash


class MediatorUnavailable(Exception):
    """The chosen mediator was deactivated meanwhile."""


class AlreadyExists(Exception):
    """A directory entry with that id exists."""


class InvalidCursor(ValueError):
    """A pagination cursor that this service did not issue, or one of another list."""


class InvalidToken(Exception):
    """A bearer token that is missing, malformed, expired or wrongly signed."""
