"""Replay protection for signed partner requests: each signature is claimed once."""

from __future__ import annotations

import datetime as dt

from pynamodb.exceptions import PutError

from .models import KeyModel, is_condition_failure

SIGNATURE_PREFIX = "SIG#"


class ReplayGuard:
    def claim(self, signature: str, expires_at: dt.datetime) -> bool:
        """Record a signature; False if it was already seen (a replay)."""
        try:
            KeyModel(f"{SIGNATURE_PREFIX}{signature}", "-", expires_at=expires_at).save(
                condition=KeyModel.pk.does_not_exist()
            )
        except PutError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True
