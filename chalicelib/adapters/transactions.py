"""Retrying a DynamoDB transaction that lost only to a concurrent one."""

from __future__ import annotations

import random
import secrets
import time
from functools import cached_property
from typing import Iterator

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError

TRANSACTION_ATTEMPTS = 4
"""Tries of a case write that lost only to a concurrent transaction on a shared item (the
statistics rows of a busy district-day): DynamoDB cancels it with `TransactionConflict`."""


def _only_conflicts(exc: TransactWriteError) -> bool:
    codes = {reason.code for reason in (exc.cancellation_reasons or []) if reason is not None}
    return "TransactionConflict" in codes and codes <= {"TransactionConflict", "None"}


class Attempt:
    """One try of a transaction: swallows a conflict-only cancellation while tries are left."""

    def __init__(self, last: bool):
        self.last = last
        self.done = False

    @cached_property
    def request_token(self) -> str:
        """A client request token of this try alone: botocore re-sending one whose answer it lost
        (a timeout) is then applied once, not failed as stale after it already committed."""
        return secrets.token_hex(16)

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, traceback) -> bool:
        if exc is None:
            self.done = True
            return False
        if not self.last and isinstance(exc, TransactWriteError) and _only_conflicts(exc):
            return True  # try again
        return False


def transaction_attempts() -> Iterator[Attempt]:
    """The tries of one transaction; before each retry, a random pause that doubles every time."""
    for number in range(TRANSACTION_ATTEMPTS):
        if number:
            time.sleep(random.uniform(0.01, 0.05) * 2 ** number)
        attempt = Attempt(last=number == TRANSACTION_ATTEMPTS - 1)
        yield attempt
        if attempt.done:
            return


class TransactingStore:
    """A store that writes in DynamoDB transactions, on a connection built at first use (after
    moto starts, in tests; never at import time), or on the one it was given."""

    def __init__(self, connection: Connection | None = None):
        self._connection = connection

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            self._connection = Connection()
        return self._connection
