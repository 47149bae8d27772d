"""Request signing (签名) shared by partner requests and partner callbacks (§1, §7).

signature = lowercase hex HMAC-SHA256(secret,
    TIMESTAMP + "\\n" + METHOD + "\\n" + PATH_WITH_QUERY + "\\n" + hex(sha256(BODY)))

A partner request may carry a nonce (随机数, `X-Hewei-Nonce`, §1a); the canonical string then
has it on a line of its own after the timestamp, and replay detection keys on it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import string

_HEX_DIGITS = frozenset(string.hexdigits)

SIGNATURE_WINDOW_SECONDS = 300
"""How far a request's timestamp may be from the server's clock."""


NONCE_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
"""A request nonce (§1a): 16–64 characters of A-Z a-z 0-9 - _ (what `secrets.token_urlsafe` gives)."""


def nonce_valid(nonce: str) -> bool:
    return NONCE_PATTERN.fullmatch(nonce) is not None


def canonical_string(timestamp: str, method: str, path_with_query: str, body: bytes,
                     nonce: str | None = None) -> str:
    """The signed text: §1's four lines, or with a nonce §1a's five (the nonce after the timestamp)."""
    lines = (timestamp,) + ((nonce,) if nonce is not None else ()) + (
        method.upper(), path_with_query, hashlib.sha256(body).hexdigest())
    return "\n".join(lines)


def sign(secret: str, timestamp: str, method: str, path_with_query: str, body: bytes,
         nonce: str | None = None) -> str:
    message = canonical_string(timestamp, method, path_with_query, body, nonce)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def signature_matches(
    secret: str, signature: str, timestamp: str, method: str, paths: list[str], body: bytes,
    nonce: str | None = None,
) -> bool:
    """True if the signature matches any of the candidate renderings of the path.

    Anything but 64 hex digits never matches (`compare_digest` refuses non-ASCII strings).
    """
    if len(signature) != 64 or not all(c in _HEX_DIGITS for c in signature):
        return False
    return any(
        hmac.compare_digest(sign(secret, timestamp, method, path, body, nonce), signature.lower()) for path in paths
    )


MAX_TIMESTAMP_DIGITS = 12
"""Unix seconds have 10 digits until the year 2286; longer is garbage (and `int()` of a huge string is slow)."""


def timestamp_fresh(timestamp: str, now: float, window: int = SIGNATURE_WINDOW_SECONDS) -> bool:
    # isdigit() alone admits "²" and other non-ASCII digits, which int() rejects or reads unexpectedly.
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > MAX_TIMESTAMP_DIGITS:
        return False
    return abs(int(timestamp) - now) <= window


def derive_secret(master_key: bytes, key_id: str) -> str:
    """A partner's secret, derived from the service's master key and the key id.

    Derived rather than stored: the database never holds a partner secret,
    hashed or otherwise, so a leaked table reveals none. Rotating a partner's
    key means issuing a new key id.
    """
    return hmac.new(master_key, f"partner-secret:{key_id}".encode(), hashlib.sha256).hexdigest()
