"""The Alibaba Cloud and Tencent Cloud senders (`adapters.sms_aliyun`, `adapters.sms_tencent`)
through their SDKs against the local stand-in (`devstack.sms_provider`), which checks the
signatures as the providers do."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest

from chalicelib.adapters.sms_aliyun import AliyunSmsSender
from chalicelib.adapters.sms_tencent import TencentSmsSender
from chalicelib.domain.errors import SmsRefused
from chalicelib.services.ports import SmsMessage
from devstack.sms_provider import SmsProviderStandIn, StandInCredentials

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "1400123456"
NOW = 1_767_000_000.0  # a fixed clock for the stand-in; the SDKs sign with the real one
REMINDER = SmsMessage("13800138000", "reminder", (("case_id", "HW20260105AB12CD34"), ("due", "01-09 18:00")),
                      "【和为贵】案件HW20260105AB12CD34将于01-09 18:00到期，请及时办理。")
RED = SmsMessage("+8613900139000", "red_alert",
                 (("case_id", "HW20260105ZZ99YY88"), ("category", "婚姻家庭"), ("title", "离婚财产分割"),
                  ("org_name", "城关街道调委会")), "…")


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture()
def clock():
    return Clock()


@pytest.fixture()
def stand_in(clock):
    credentials = StandInCredentials.fresh()
    with SmsProviderStandIn(credentials, sign_name="和为贵", app_id=APP_ID,
                            extra_templates={"SMS_900000001": "overdue"}, clock=clock) as running:
        yield running


def aliyun(stand_in, **changes) -> AliyunSmsSender:
    credentials = {**stand_in.credentials.for_provider("aliyun"), **changes.pop("credentials", {})}
    return AliyunSmsSender(credentials, changes.pop("sign_name", "和为贵"), changes.pop("template_codes", {}),
                           endpoint=stand_in.url)


def tencent(stand_in, **changes) -> TencentSmsSender:
    credentials = {**stand_in.credentials.for_provider("tencent"), **changes.pop("credentials", {})}
    return TencentSmsSender(credentials, changes.pop("sign_name", "和为贵"), changes.pop("app_id", APP_ID),
                            changes.pop("template_codes", {}), endpoint=stand_in.url)


SENDERS = {"aliyun": aliyun, "tencent": tencent}
CODES = {"aliyun": {"reminder": "SMS_487010003", "red_alert": "SMS_487010002"},
         "tencent": {"reminder": "2170003", "red_alert": "2170002"}}
SIGNATURE_REFUSED = {"aliyun": "SignatureDoesNotMatch", "tencent": "AuthFailure.SignatureFailure"}
KEY_UNKNOWN = {"aliyun": "InvalidAccessKeyId.NotFound", "tencent": "AuthFailure.SecretIdNotFound"}
STALE = {"aliyun": "InvalidTimeStamp.Expired", "tencent": "AuthFailure.SignatureExpire"}
SECRET_FIELD = {"aliyun": "access_key_secret", "tencent": "secret_key"}
KEY_FIELD = {"aliyun": "access_key_id", "tencent": "secret_id"}
TEMPLATE_UNKNOWN = {"aliyun": "isv.SMS_TEMPLATE_ILLEGAL", "tencent": "FailedOperation.TemplateIncorrectOrUnapproved"}
SIGN_UNKNOWN = {"aliyun": "isv.SMS_SIGNATURE_ILLEGAL", "tencent": "FailedOperation.SignatureIncorrectOrUnapproved"}
PHONE_REFUSED = {"aliyun": "isv.MOBILE_NUMBER_ILLEGAL", "tencent": "InvalidParameterValue.IncorrectPhoneNumber"}
providers = pytest.mark.parametrize("provider", ["aliyun", "tencent"])


@providers
def test_a_send_reaches_the_provider_as_the_template_its_parameters_and_the_signature(stand_in, provider):
    receipt = SENDERS[provider](stand_in).send(RED)
    [got] = stand_in.received()
    assert (got.provider, got.phone, got.sign_name, got.template_code) == \
        (provider, "13900139000", "和为贵", CODES[provider]["red_alert"])
    assert list(got.params.items()) == list(RED.params)  # every parameter, in the template's order
    assert got.text == "【和为贵】红色风险案件HW20260105ZZ99YY88（婚姻家庭）离婚财产分割已派至城关街道调委会，请关注。"
    assert (receipt.provider, receipt.message_id) == (provider, got.message_id)
    assert stand_in.refused() == []


@providers
def test_two_sends_are_two_messages_with_their_own_ids(stand_in, provider):
    sender = SENDERS[provider](stand_in)
    first, second = sender.send(REMINDER), sender.send(REMINDER)
    assert first.message_id != second.message_id
    assert [m.template_code for m in stand_in.received()] == [CODES[provider]["reminder"]] * 2


@providers
def test_a_stage_override_of_a_template_code_is_what_is_sent(stand_in, provider):
    SENDERS[provider](stand_in, template_codes={"reminder": "SMS_900000001"}).send(
        SmsMessage("13800138000", "reminder", (("case_id", "HW20260105AB12CD34"), ("due", "01-09")), ""))
    [got] = stand_in.received()
    assert got.template_code == "SMS_900000001" and got.template == "overdue"


@providers
def test_a_wrong_secret_is_the_providers_signature_refusal_and_nothing_is_sent(stand_in, provider):
    sender = SENDERS[provider](stand_in, credentials={SECRET_FIELD[provider]: "not-the-secret"})
    with pytest.raises(SmsRefused) as refused:
        sender.send(REMINDER)
    assert (refused.value.provider, refused.value.code) == (provider, SIGNATURE_REFUSED[provider])
    assert stand_in.received() == []
    assert [r.code for r in stand_in.refused()] == [SIGNATURE_REFUSED[provider]]


@providers
def test_an_unknown_key_id_is_refused_as_such(stand_in, provider):
    with pytest.raises(SmsRefused) as refused:
        SENDERS[provider](stand_in, credentials={KEY_FIELD[provider]: "LTAIunknownkey0000"}).send(REMINDER)
    assert refused.value.code == KEY_UNKNOWN[provider]
    assert stand_in.received() == []


@providers
def test_a_request_signed_too_long_ago_is_refused(stand_in, clock, provider):
    clock.offset = 16 * 60  # the stand-in's clock is 16 minutes ahead of the signer's
    with pytest.raises(SmsRefused) as refused:
        SENDERS[provider](stand_in).send(REMINDER)
    assert refused.value.code == STALE[provider]
    clock.offset = 60  # a minute off is on time
    SENDERS[provider](stand_in).send(REMINDER)
    assert len(stand_in.received()) == 1


def test_tencent_allows_five_minutes_and_alibaba_fifteen(stand_in, clock):
    clock.offset = 6 * 60
    aliyun(stand_in).send(REMINDER)
    with pytest.raises(SmsRefused, match="AuthFailure.SignatureExpire"):
        tencent(stand_in).send(REMINDER)


@providers
def test_an_unknown_template_code_is_the_providers_refusal(stand_in, provider):
    with pytest.raises(SmsRefused) as refused:
        SENDERS[provider](stand_in, template_codes={"reminder": "SMS_0000"}).send(REMINDER)
    assert refused.value.code == TEMPLATE_UNKNOWN[provider]
    assert stand_in.received() == []


@providers
def test_a_signature_not_approved_is_refused(stand_in, provider):
    with pytest.raises(SmsRefused) as refused:
        SENDERS[provider](stand_in, sign_name="和为贵调解").send(REMINDER)
    assert refused.value.code == SIGN_UNKNOWN[provider]


@providers
def test_a_number_that_is_no_mainland_mobile_is_refused(stand_in, provider):
    with pytest.raises(SmsRefused) as refused:
        SENDERS[provider](stand_in).send(SmsMessage("02112345678", "reminder", REMINDER.params, ""))
    assert refused.value.code == PHONE_REFUSED[provider]


@providers
def test_missing_parameters_are_refused(stand_in, provider):
    short = SmsMessage("13800138000", "reminder", (("case_id", "HW20260105AB12CD34"),), "")
    with pytest.raises(SmsRefused) as refused:
        SENDERS[provider](stand_in).send(short)
    assert refused.value.code == {"aliyun": "isv.TEMPLATE_MISSING_PARAMETERS",
                                  "tencent": "FailedOperation.TemplateIncorrectOrUnapproved"}[provider]
    assert stand_in.received() == []


@providers
def test_an_injected_failure_is_the_next_sends_refusal_then_sends_go_through(stand_in, provider):
    code = {"aliyun": "isv.BUSINESS_LIMIT_CONTROL", "tencent": "LimitExceeded.PhoneNumberOneHourLimit"}[provider]
    stand_in.fail_next("+86 13800138000".replace(" ", ""), code)
    sender = SENDERS[provider](stand_in)
    with pytest.raises(SmsRefused) as refused:
        sender.send(REMINDER)
    assert refused.value.code == code
    sender.send(REMINDER)
    assert len(stand_in.received()) == 1


def test_tencent_refuses_another_sms_application(stand_in):
    with pytest.raises(SmsRefused, match="InvalidParameterValue.SdkAppIdNotExist"):
        tencent(stand_in, app_id="1400999999").send(REMINDER)


def test_nothing_listening_is_no_refusal_but_a_failure_to_reach_the_provider(stand_in):
    credentials = stand_in.credentials
    url = stand_in.url
    stand_in.stop()
    for sender in (AliyunSmsSender(credentials.for_provider("aliyun"), "和为贵", {}, endpoint=url),
                   TencentSmsSender(credentials.for_provider("tencent"), "和为贵", APP_ID, {}, endpoint=url)):
        with pytest.raises(Exception) as failed:
            sender.send(REMINDER)
        assert not isinstance(failed.value, SmsRefused)
    stand_in.start = lambda: None  # the fixture's exit stops it again: harmless


def test_the_journal_and_the_failure_switch_over_http(stand_in):
    request = urllib.request.Request(f"{stand_in.url}/_fail", method="POST",
                                     data=json.dumps({"phone": "13800138000", "code": "isv.DAY_LIMIT_CONTROL"}).encode())
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status == 200
    with pytest.raises(SmsRefused, match="isv.DAY_LIMIT_CONTROL"):
        aliyun(stand_in).send(REMINDER)
    tencent(stand_in).send(REMINDER)
    with urllib.request.urlopen(f"{stand_in.url}/_messages", timeout=5) as answer:
        journal = json.loads(answer.read())
    assert [(m["provider"], m["template_code"], m["params"]) for m in journal["messages"]] == \
        [("tencent", "2170003", {"case_id": "HW20260105AB12CD34", "due": "01-09 18:00"})]
    assert journal["messages"][0]["text"] == REMINDER.text
    assert journal["refusals"] == [{"provider": "aliyun", "code": "isv.DAY_LIMIT_CONTROL", "phone": "13800138000"}]


