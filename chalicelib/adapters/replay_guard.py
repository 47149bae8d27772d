"""Replay protection for signed partner requests: each signature is claimed once."""

from __future__ import annotations

import datetime as dt

from pynamodb.exceptions import PutError

from .models import KeyModel, is_condition_failure

SIGNATURE_PREFIX = "SIG#"


def replay_row(key: str, expires_at: dt.datetime) -> KeyModel:
    """The row that claims a replay key, written on its own (`ReplayGuard.claim`) or in the
    transaction of what the request changes (`CaseStore.create`), always on its absence."""
    return KeyModel(f"{SIGNATURE_PREFIX}{key}", "-", expires_at=expires_at)


class ReplayGuard:
    def claim(self, signature: str, expires_at: dt.datetime) -> bool:
        """Record a signature; False if it was already seen (a replay)."""
        try:
            replay_row(signature, expires_at).save(condition=KeyModel.pk.does_not_exist())
        except PutError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True
