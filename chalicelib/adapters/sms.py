"""SMS sending through SNS `Publish(PhoneNumber=…)` (moto records these locally)."""

from __future__ import annotations

from functools import lru_cache

import boto3

from ..domain.identity import e164

SENDER_ID = "HEWEI"


@lru_cache(maxsize=1)
def _sns():
    return boto3.client("sns")


class SnsSmsSender:
    def send(self, phone: str, text: str) -> str:
        response = _sns().publish(
            PhoneNumber=e164(phone),
            Message=text,
            MessageAttributes={
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": SENDER_ID},
            },
        )
        return response["MessageId"]
