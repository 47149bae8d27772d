"""SMS sending through SNS `Publish(PhoneNumber=…)` (moto records these locally)."""

from __future__ import annotations

from functools import lru_cache

import boto3

from ..domain.identity import e164
from ..services.ports import SmsMessage, SmsReceipt

SENDER_ID = "HEWEI"


@lru_cache(maxsize=1)
def _sns():
    return boto3.client("sns")


class SnsSmsSender:
    """Amazon SNS sends the text as rendered (signature first); it has no templates."""

    provider = "sns"

    def send(self, message: SmsMessage) -> SmsReceipt:
        response = _sns().publish(
            PhoneNumber=e164(message.phone),
            Message=message.text,
            MessageAttributes={
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": SENDER_ID},
            },
        )
        return SmsReceipt(self.provider, response["MessageId"])
