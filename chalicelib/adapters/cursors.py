"""Pagination cursors: a DynamoDB start key as an opaque URL-safe string, and back."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ..domain.errors import InvalidCursor


def encode_cursor(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidCursor("cursor is not valid") from exc
    if not isinstance(key, dict) or not all(
        isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) and v["S"] for v in key.values()
    ):
        raise InvalidCursor("cursor is not valid")
    return key
