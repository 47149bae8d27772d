"""Tencent Cloud SMS (腾讯云短信) `SendSms` (API 2021-01-11), through its official SDK (signs
TC3-HMAC-SHA256).

Imported only by a stage that sends through Tencent Cloud (`adapters.sms_credentials.build_sender`):
the SDK (requirements-sms.txt) stays out of every other cold start.
"""

from __future__ import annotations

from typing import Mapping

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from ..domain.errors import SmsRefused
from ..domain.identity import e164
from ..domain.sms_templates import code_of
from ..services.ports import SmsMessage, SmsReceipt
from .sms_endpoints import endpoint_config

ENDPOINT = "sms.tencentcloudapi.com"
DEFAULT_REGION = "ap-guangzhou"
TIMEOUT_SECONDS = (3, 10)
"""Connect, read: the SDK hands its timeout to requests, which takes the pair."""


class TencentSmsSender:
    """Sends one message as a registered template (`TemplateId`) and its parameters in order
    (`TemplateParamSet`), under the approved signature, from the SMS application `SmsSdkAppId`."""

    provider = "tencent"

    def __init__(self, credentials: Mapping[str, str], sign_name: str, app_id: str,
                 template_codes: Mapping[str, str], region: str | None = DEFAULT_REGION,
                 endpoint: str | None = None):
        protocol, host = endpoint_config(endpoint, ENDPOINT)
        self.sign_name = sign_name
        self.app_id = app_id
        self.template_codes = dict(template_codes)
        http = HttpProfile(protocol=protocol, endpoint=host, reqTimeout=TIMEOUT_SECONDS)
        self._client = sms_client.SmsClient(
            credential.Credential(credentials["secret_id"], credentials["secret_key"]),
            region or DEFAULT_REGION, ClientProfile(httpProfile=http))

    def send(self, message: SmsMessage) -> SmsReceipt:
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [e164(message.phone)]
        request.SmsSdkAppId = self.app_id
        request.SignName = self.sign_name
        request.TemplateId = code_of(message.template, self.provider, self.template_codes)
        request.TemplateParamSet = [value for _, value in message.params]
        try:
            response = self._client.SendSms(request)
        except TencentCloudSDKException as exc:
            if not exc.get_request_id():
                raise  # no answer of the provider's (a network error, a timeout): a failure to reach it
            raise SmsRefused(self.provider, exc.get_code() or "unknown", exc.get_message() or "") from None
        status = (response.SendStatusSet or [None])[0]
        if status is None:
            raise SmsRefused(self.provider, "NoSendStatus", "the answer has no SendStatusSet")
        if status.Code != "Ok":
            raise SmsRefused(self.provider, status.Code or "unknown", status.Message or "")
        return SmsReceipt(self.provider, status.SerialNo)
