"""Alibaba Cloud SMS (阿里云短信服务) `SendSms`, through its official SDK (signs ACS3-HMAC-SHA256).

Imported only by a stage that sends through Alibaba Cloud (`adapters.sms_credentials.build_sender`):
the SDK and what it brings (requirements-sms.txt) stay out of every other cold start.
"""

from __future__ import annotations

import json
from typing import Mapping

from alibabacloud_dysmsapi20170525 import models as dysms
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi import utils_models as openapi
from darabonba.exceptions import DaraException
from darabonba.runtime import RuntimeOptions

from ..domain.errors import SmsRefused
from ..domain.identity import normalize_phone
from ..domain.sms_templates import code_of
from ..services.ports import SmsMessage, SmsReceipt
from .sms_endpoints import endpoint_config

ENDPOINT = "dysmsapi.aliyuncs.com"
DEFAULT_REGION = "cn-hangzhou"
CONNECT_TIMEOUT_MS = 3_000
READ_TIMEOUT_MS = 10_000


class AliyunSmsSender:
    """Sends one message as a registered template (`TemplateCode`) and its parameters by name
    (`TemplateParam`), under the approved signature (`SignName`)."""

    provider = "aliyun"

    def __init__(self, credentials: Mapping[str, str], sign_name: str, template_codes: Mapping[str, str],
                 region: str | None = None, endpoint: str | None = None):
        protocol, host = endpoint_config(endpoint, ENDPOINT)
        self.sign_name = sign_name
        self.template_codes = dict(template_codes)
        self._client = Client(openapi.Config(
            access_key_id=credentials["access_key_id"], access_key_secret=credentials["access_key_secret"],
            region_id=region or DEFAULT_REGION, endpoint=host, protocol=protocol,
            connect_timeout=CONNECT_TIMEOUT_MS, read_timeout=READ_TIMEOUT_MS))
        self._runtime = RuntimeOptions(connect_timeout=CONNECT_TIMEOUT_MS, read_timeout=READ_TIMEOUT_MS)

    def send(self, message: SmsMessage) -> SmsReceipt:
        request = dysms.SendSmsRequest(
            phone_numbers=normalize_phone(message.phone),  # the 11 digits, as Alibaba Cloud takes them
            sign_name=self.sign_name,
            template_code=code_of(message.template, self.provider, self.template_codes),
            template_param=json.dumps(dict(message.params), ensure_ascii=False),
        )
        try:
            body = self._client.send_sms_with_options(request, self._runtime).body
        except DaraException as exc:  # an HTTP error answer: signature, key, throttling...
            if not exc.code or exc.code == "None":
                raise
            data = exc.data if isinstance(exc.data, dict) else {}
            raise SmsRefused(self.provider, str(exc.code), str(data.get("Message") or exc.message or "")) from None
        if body.code != "OK":
            raise SmsRefused(self.provider, body.code or "unknown", body.message or "")
        return SmsReceipt(self.provider, body.biz_id)
