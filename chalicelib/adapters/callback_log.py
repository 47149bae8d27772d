"""The callback log: each attempt to tell a partner about its case, recorded on the case."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from ..domain.retention import CALLBACK_LOG_DAYS
from .case_mapping import DELIVERY_PREFIX
from .clock import to_storage
from .models import CaseItemModel


class CallbackLog:
    """Callback delivery attempts, in the case's partition in DynamoDB."""

    def record_delivery(self, case_id: str, delivery: dict[str, Any], at: dt.datetime) -> None:
        """One record per attempt: time and a random tail, so two attempts in one microsecond
        (two deliveries of one status change racing) both stay on the log."""
        CaseItemModel(case_id, f"{DELIVERY_PREFIX}{to_storage(at)}#{secrets.token_hex(4)}", type="callback_delivery",
                      at=to_storage(at), detail=delivery,
                      expires_at=at + dt.timedelta(days=CALLBACK_LOG_DAYS)).save()  # TTL (§16 retention table)
