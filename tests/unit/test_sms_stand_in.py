"""The stand-in's signature checks (`devstack.sms_provider`) on requests signed here by its own
signers, then tampered with: a changed header, body or query is refused."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from devstack.sms_provider import (NonceBook, SignedRequest, acs3_signature, mainland_mobile, tc3_signature,
                                   verify_acs3, verify_tc3)

NOW = 1_767_000_000
ALIYUN_KEYS = {"LTAIlocal": "aliyun-secret"}
TENCENT_KEYS = {"AKIDlocal": "tencent-secret"}


def acs3_request(nonce: str = "n-1", at: float = NOW) -> SignedRequest:
    body = b""
    headers = {"host": "127.0.0.1:8002", "x-acs-action": "SendSms", "x-acs-version": "2017-05-25",
               "x-acs-date": datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
               "x-acs-signature-nonce": nonce, "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
               "accept": "application/json"}
    request = SignedRequest("POST", "/", "PhoneNumbers=13800138000&SignName=%E5%92%8C%E4%B8%BA%E8%B4%B5"
                            "&TemplateCode=SMS_487010003", headers, body)
    signed = sorted(headers)
    signature = acs3_signature("aliyun-secret", request, signed, headers["x-acs-content-sha256"])
    headers["authorization"] = f"ACS3-HMAC-SHA256 Credential=LTAIlocal,SignedHeaders={';'.join(signed)}," \
                               f"Signature={signature}"
    return replace(request, headers=headers)


def tc3_request(at: int = NOW, body: bytes = b'{"PhoneNumberSet":["+8613800138000"]}') -> SignedRequest:
    headers = {"host": "127.0.0.1:8002", "content-type": "application/json", "x-tc-action": "SendSms",
               "x-tc-version": "2021-01-11", "x-tc-timestamp": str(at)}
    request = SignedRequest("POST", "/", "", headers, body)
    date = datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%d")
    signature = tc3_signature("tencent-secret", request, ["content-type", "host"], str(at), date, "sms")
    headers["authorization"] = f"TC3-HMAC-SHA256 Credential=AKIDlocal/{date}/sms/tc3_request, " \
                               f"SignedHeaders=content-type;host, Signature={signature}"
    return replace(request, headers=headers)


def with_header(request: SignedRequest, name: str, value: str) -> SignedRequest:
    return replace(request, headers={**request.headers, name: value})


def test_a_well_signed_aliyun_request_passes_once():
    nonces = NonceBook()
    assert verify_acs3(acs3_request(), ALIYUN_KEYS, NOW, nonces) is None
    assert verify_acs3(acs3_request(), ALIYUN_KEYS, NOW, nonces).code == "SignatureNonceUsed"
    assert verify_acs3(acs3_request(nonce="n-2"), ALIYUN_KEYS, NOW, nonces) is None


@pytest.mark.parametrize(("tamper", "code", "status"), [
    (lambda r: replace(r, query=r.query.replace("SMS_487010003", "SMS_487010004")), "SignatureDoesNotMatch", 400),
    (lambda r: replace(r, body=b"PhoneNumbers=13900139000"), "SignatureDoesNotMatch", 400),
    (lambda r: with_header(r, "host", "dysmsapi.aliyuncs.com"), "SignatureDoesNotMatch", 400),
    (lambda r: with_header(r, "x-acs-action", "SendBatchSms"), "SignatureDoesNotMatch", 400),
    (lambda r: with_header(r, "x-acs-unsigned", "1"), "IncompleteSignature", 400),
    (lambda r: with_header(r, "authorization", r.headers["authorization"].replace("LTAIlocal", "LTAIother")),
     "InvalidAccessKeyId.NotFound", 404),
    (lambda r: with_header(r, "authorization", "Bearer x"), "IncompleteSignature", 400),
    (lambda r: with_header(r, "x-acs-date", "yesterday"), "InvalidTimeStamp.Format", 400),
])
def test_a_tampered_aliyun_request_is_refused(tamper, code, status):
    refusal = verify_acs3(tamper(acs3_request()), ALIYUN_KEYS, NOW, NonceBook())
    assert (refusal.code, refusal.status) == (code, status)


def test_aliyun_allows_fifteen_minutes_either_way():
    assert verify_acs3(acs3_request(at=NOW - 14 * 60), ALIYUN_KEYS, NOW, NonceBook()) is None
    assert verify_acs3(acs3_request(at=NOW - 16 * 60), ALIYUN_KEYS, NOW, NonceBook()).code == "InvalidTimeStamp.Expired"
    assert verify_acs3(acs3_request(at=NOW + 16 * 60), ALIYUN_KEYS, NOW, NonceBook()).code == "InvalidTimeStamp.Expired"


def test_a_well_signed_tencent_request_passes():
    assert verify_tc3(tc3_request(), TENCENT_KEYS, NOW) is None


@pytest.mark.parametrize(("tamper", "code"), [
    (lambda r: replace(r, body=r.body.replace(b"13800138000", b"13900139000")), "AuthFailure.SignatureFailure"),
    (lambda r: with_header(r, "host", "sms.tencentcloudapi.com"), "AuthFailure.SignatureFailure"),
    (lambda r: with_header(r, "content-type", "application/x-www-form-urlencoded"), "AuthFailure.SignatureFailure"),
    (lambda r: with_header(r, "x-tc-timestamp", str(NOW - 1)), "AuthFailure.SignatureFailure"),
    (lambda r: with_header(r, "authorization", r.headers["authorization"].replace("AKIDlocal", "AKIDother")),
     "AuthFailure.SecretIdNotFound"),
    (lambda r: with_header(r, "authorization", r.headers["authorization"].replace("/sms/", "/cvm/")),
     "AuthFailure.InvalidAuthorization"),
    (lambda r: with_header(r, "x-tc-action", "PullSmsSendStatus"), "InvalidAction"),
])
def test_a_tampered_tencent_request_is_refused(tamper, code):
    refusal = verify_tc3(tamper(tc3_request()), TENCENT_KEYS, NOW)
    assert (refusal.code, refusal.status) == (code, 200)  # Tencent Cloud answers errors with 200


def test_tencent_allows_five_minutes():
    assert verify_tc3(tc3_request(at=NOW - 4 * 60), TENCENT_KEYS, NOW) is None
    assert verify_tc3(tc3_request(at=NOW - 6 * 60), TENCENT_KEYS, NOW).code == "AuthFailure.SignatureExpire"


@pytest.mark.parametrize(("number", "mobile"), [
    ("13800138000", "13800138000"), ("+8613800138000", "13800138000"), ("8613800138000", "13800138000"),
    ("12800138000", None), ("02112345678", None), ("+14155550100", None), ("1380013800", None)])
def test_only_mainland_mobiles_are_taken(number, mobile):
    assert mainland_mobile(number) == mobile
