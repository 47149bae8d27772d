"""Which failures of AWS mean "unavailable for now, try again" (可重试的暂时不可用).

DynamoDB (or SQS, S3) that cannot be reached (connection refused, a connect or read timeout, a
connection cut), or that throttles (`ProvisionedThroughputExceededException`,
`ThrottlingException`, `RequestLimitExceeded`) or fails on its side (`InternalServerError`,
`ServiceUnavailable`), after botocore's and PynamoDB's own retries: the request did nothing
that needs undoing (a write that fails this way has not committed; a transaction is all or
nothing), and the same request later may well succeed. The API answers it 503 with
`Retry-After` (`api.http`), never a 500.

PynamoDB wraps botocore's errors in its own (`PutError`, `TransactWriteError`,
`PynamoDBConnectionError`...), the original in `cause`; a transaction's throttled items show
as its cancellation reasons (`ThrottlingError`). Both are unwrapped here.
"""

from __future__ import annotations

THROTTLING_CODES = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "Throttling",
    "ThrottlingError", "ProvisionedThroughputExceeded", "SlowDown", "RequestThrottled", "TransactionConflict",
})
"""Error codes (and a transaction's cancellation reason codes) of a request refused for its rate, or
(`TransactionConflict`, once `adapters.transactions` has tried again) for others' writes to its items."""
SERVER_SIDE_CODES = frozenset({"InternalServerError", "ServiceUnavailable", "InternalFailure", "InternalError"})
"""Error codes of a request the service failed on its side."""

THROTTLED_RETRY_AFTER_SECONDS = 1
"""Throttling passes within a second or two (DynamoDB's adaptive capacity, on-demand scaling)."""
UNREACHABLE_RETRY_AFTER_SECONDS = 5
"""An endpoint that cannot be reached, or that fails on its side, is given longer."""

_CHAIN_LIMIT = 16


def _causes(exc: BaseException):
    """`exc`, then what it wraps: PynamoDB's `cause`, `__cause__`, `__context__`."""
    seen: set[int] = set()
    todo = [exc]
    while todo and len(seen) < _CHAIN_LIMIT:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(item for item in (getattr(current, "cause", None), current.__cause__, current.__context__)
                    if isinstance(item, BaseException))


def _code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return code if isinstance(code, str) else None
    return None


def retry_after_seconds(exc: BaseException) -> int | None:
    """Seconds to wait before trying again if `exc` means AWS is unavailable for now; None if it
    is any other failure (a bug, a refused condition, a bad request)."""
    from botocore.exceptions import ConnectionError as BotocoreConnectionError
    from botocore.exceptions import HTTPClientError

    for cause in _causes(exc):
        if isinstance(cause, (BotocoreConnectionError, HTTPClientError)):
            return UNREACHABLE_RETRY_AFTER_SECONDS
        code = _code(cause)
        if code in THROTTLING_CODES:
            return THROTTLED_RETRY_AFTER_SECONDS
        if code in SERVER_SIDE_CODES:
            return UNREACHABLE_RETRY_AFTER_SECONDS
        reasons = getattr(cause, "cancellation_reasons", None) or []
        if any(getattr(reason, "code", None) in THROTTLING_CODES for reason in reasons if reason is not None):
            return THROTTLED_RETRY_AFTER_SECONDS
    return None
