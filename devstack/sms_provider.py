"""A local stand-in for the mainland SMS providers (短信服务): Alibaba Cloud's `SendSms`
(API 2017-05-25, signed ACS3-HMAC-SHA256) and Tencent Cloud's `SendSms` (API 2021-01-11,
signed TC3-HMAC-SHA256), on one local HTTP port.

It checks what the real services check before they send: the signature, recomputed here
from the canonical request with the credentials it was started with; the request's time
(Alibaba Cloud: 15 minutes either way, Tencent Cloud: 5); a nonce used once (Alibaba
Cloud); then the message: a registered template code (those of `domain.sms_templates`
and any given at start), the approved signature (短信签名), the parameters the template
names, a mainland mobile number. A refusal is the provider's own answer (status, code,
body), so the SDKs raise what they raise in the cloud.

What it accepts and refuses is kept in memory and served at `GET /_messages`; `POST /_fail
{"phone", "code"}` (or `fail_next`) makes the next send to a number fail with that code.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Mapping
from urllib.parse import parse_qsl, quote, urlsplit

HOST = "127.0.0.1"

ACS3 = "ACS3-HMAC-SHA256"
TC3 = "TC3-HMAC-SHA256"
ALIYUN_SKEW_SECONDS = 15 * 60
"""Alibaba Cloud refuses a request whose `x-acs-date` is more than 15 minutes off its clock."""
TENCENT_SKEW_SECONDS = 5 * 60
"""Tencent Cloud refuses one whose `X-TC-Timestamp` is more than 5 minutes off."""
NONCE_MEMORY_SECONDS = 2 * ALIYUN_SKEW_SECONDS
"""A nonce is remembered while a request carrying it could still be on time."""

MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")


@dataclass(frozen=True)
class SignedRequest:
    """An HTTP request as the verifiers see it: header names in lower case."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Refusal:
    """The provider's error answer: HTTP status, code, message."""

    status: int
    code: str
    message: str


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


# ------------------------------------------------------------------ Alibaba Cloud, ACS3


_ACS3_AUTH = re.compile(r"ACS3-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)$")


def acs3_canonical_query(query: str) -> str:
    """Parameters sorted by name, names and values percent-encoded as RFC 3986 (`~` kept)."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in sorted(pairs))


def acs3_signature(secret: str, request: SignedRequest, signed_headers: list[str], payload_hash: str) -> str:
    """Alibaba Cloud's V3 signature of `request` over `signed_headers` (its documented algorithm:
    canonical request, its SHA-256, HMAC-SHA256 with the AccessKey secret)."""
    canonical_headers = "".join(f"{name}:{request.headers.get(name, '').strip()}\n" for name in signed_headers)
    canonical = "\n".join([request.method, request.path or "/", acs3_canonical_query(request.query),
                           canonical_headers, ";".join(signed_headers), payload_hash])
    string_to_sign = f"{ACS3}\n{_sha256_hex(canonical.encode('utf-8'))}"
    return hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


class NonceBook:
    """Nonces seen in the last `NONCE_MEMORY_SECONDS`, thread-safe."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def use(self, nonce: str, now: float) -> bool:
        """True the first time `nonce` is used (and remembers it), False after."""
        with self._lock:
            for old in [n for n, at in self._seen.items() if now - at > NONCE_MEMORY_SECONDS]:
                del self._seen[old]
            if nonce in self._seen:
                return False
            self._seen[nonce] = now
            return True


def verify_acs3(request: SignedRequest, secrets_by_key_id: Mapping[str, str], now: float,
                nonces: NonceBook) -> Refusal | None:
    """None if Alibaba Cloud would take `request`'s signature, else its refusal."""
    match = _ACS3_AUTH.match(request.headers.get("authorization", "").strip())
    if not match:
        return Refusal(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
    key_id, signed, signature = match.group(1), match.group(2).split(";"), match.group(3)
    sent = {name for name in request.headers if name.startswith("x-acs-")} | {"host"}
    if "content-type" in request.headers:
        sent.add("content-type")
    if not sent <= set(signed) or signed != sorted(signed):
        return Refusal(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
    try:
        at = datetime.strptime(request.headers.get("x-acs-date", ""), "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return Refusal(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
    if abs(now - at.replace(tzinfo=timezone.utc).timestamp()) > ALIYUN_SKEW_SECONDS:
        return Refusal(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
    secret = secrets_by_key_id.get(key_id)
    if secret is None:
        return Refusal(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
    payload_hash = _sha256_hex(request.body)
    if not hmac.compare_digest(request.headers.get("x-acs-content-sha256", ""), payload_hash):
        return Refusal(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
    if not hmac.compare_digest(acs3_signature(secret, request, signed, payload_hash), signature):
        return Refusal(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
    nonce = request.headers.get("x-acs-signature-nonce", "")
    if not nonce:
        return Refusal(400, "MissingSignatureNonce", "SignatureNonce is mandatory for this action.")
    if not nonces.use(nonce, now):
        return Refusal(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
    if request.headers.get("x-acs-action") != "SendSms":
        return Refusal(404, "InvalidApi.NotFound", "Specified api is not found, please check your url and method.")
    if request.headers.get("x-acs-version") != "2017-05-25":
        return Refusal(400, "InvalidVersion", "Specified parameter Version is not valid.")
    return None


# ------------------------------------------------------------------ Tencent Cloud, TC3


_TC3_AUTH = re.compile(r"TC3-HMAC-SHA256\s+Credential=([^/\s]+)/(\d{4}-\d{2}-\d{2})/([a-z]+)/tc3_request,\s*"
                       r"SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)$")


def tc3_signature(secret_key: str, request: SignedRequest, signed_headers: list[str], timestamp: str,
                  date: str, service: str) -> str:
    """Tencent Cloud's TC3 signature (its documented algorithm: canonical request with header
    names and values in lower case, a key derived from date, service and `tc3_request`)."""
    canonical_headers = "".join(f"{name}:{request.headers.get(name, '').strip().lower()}\n" for name in signed_headers)
    canonical = "\n".join([request.method, request.path or "/", request.query if request.method == "GET" else "",
                           canonical_headers, ";".join(signed_headers),
                           _sha256_hex(b"" if request.method == "GET" else request.body)])
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = f"{TC3}\n{timestamp}\n{scope}\n{_sha256_hex(canonical.encode('utf-8'))}"
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode("utf-8"), date), service), "tc3_request")
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def verify_tc3(request: SignedRequest, keys_by_secret_id: Mapping[str, str], now: float) -> Refusal | None:
    """None if Tencent Cloud would take `request`'s signature, else its refusal (HTTP 200:
    Tencent Cloud answers errors in the body)."""
    match = _TC3_AUTH.match(request.headers.get("authorization", "").strip())
    if not match:
        return Refusal(200, "AuthFailure.InvalidAuthorization", "Authorization header is not valid.")
    secret_id, date, service, signed, signature = match.groups()
    signed_headers = signed.split(";")
    if not {"content-type", "host"} <= set(signed_headers) or service != "sms":
        return Refusal(200, "AuthFailure.InvalidAuthorization", "Authorization header is not valid.")
    timestamp = request.headers.get("x-tc-timestamp", "")
    if not timestamp.isdigit():
        return Refusal(200, "MissingParameter", "The request is missing a required parameter `X-TC-Timestamp`.")
    if abs(now - int(timestamp)) > TENCENT_SKEW_SECONDS:
        return Refusal(200, "AuthFailure.SignatureExpire",
                       "Signature expired. Timestamp and server time cannot differ by more than five minutes.")
    if datetime.fromtimestamp(int(timestamp), timezone.utc).strftime("%Y-%m-%d") != date:
        return Refusal(200, "AuthFailure.SignatureFailure", "The provided credentials could not be validated. "
                       "Please check your signature is correct.")
    secret_key = keys_by_secret_id.get(secret_id)
    if secret_key is None:
        return Refusal(200, "AuthFailure.SecretIdNotFound", "The SecretId is not found, please ensure that "
                       "your SecretId is correct.")
    if not hmac.compare_digest(tc3_signature(secret_key, request, signed_headers, timestamp, date, service), signature):
        return Refusal(200, "AuthFailure.SignatureFailure", "The provided credentials could not be validated. "
                       "Please check your signature is correct.")
    if request.headers.get("x-tc-action") != "SendSms":
        return Refusal(200, "InvalidAction", "The requested action does not exist.")
    if request.headers.get("x-tc-version") != "2021-01-11":
        return Refusal(200, "NoSuchVersion", "The requested version does not exist.")
    return None


# ------------------------------------------------------------------ the stand-in


@dataclass(frozen=True)
class ReceivedSms:
    """A message the stand-in accepted."""

    provider: str
    phone: str
    """11 digits."""
    sign_name: str
    template_code: str
    template: str
    """The template's name in `domain.sms_templates`."""
    params: dict[str, str]
    """Name → value, in the template's order (Tencent Cloud's positional values named here)."""
    text: str
    """The message as the phone shows it: 【signature】 and the filled template."""
    message_id: str
    at: str


@dataclass(frozen=True)
class RefusedSms:
    provider: str
    code: str
    phone: str | None = None


def mainland_mobile(number: str) -> str | None:
    """The 11 digits of a mainland mobile number given bare, as 86… or as +86…; None otherwise."""
    digits = number.strip()
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    return digits if MAINLAND_MOBILE.fullmatch(digits) else None


@dataclass
class StandInCredentials:
    """What the stand-in accepts: Alibaba Cloud AccessKey id → secret, Tencent Cloud SecretId → SecretKey."""

    aliyun: dict[str, str] = field(default_factory=dict)
    tencent: dict[str, str] = field(default_factory=dict)

    @classmethod
    def fresh(cls) -> StandInCredentials:
        """One random pair per provider (a local stack's, new each run)."""
        return cls(aliyun={"LTAI" + secrets.token_hex(10): secrets.token_urlsafe(24)},
                   tencent={"AKID" + secrets.token_hex(16): secrets.token_urlsafe(24)})

    def for_provider(self, provider: str) -> dict[str, str]:
        """The first pair of `provider` in the shape `adapters.sms_credentials` reads."""
        if provider == "aliyun":
            key_id, secret = next(iter(self.aliyun.items()))
            return {"access_key_id": key_id, "access_key_secret": secret}
        secret_id, secret_key = next(iter(self.tencent.items()))
        return {"secret_id": secret_id, "secret_key": secret_key}


class SmsProviderStandIn:
    """Both providers on `http://127.0.0.1:<port>`: `start()`, `stop()`, `url`."""

    def __init__(self, credentials: StandInCredentials, sign_name: str = "和为贵", app_id: str | None = None,
                 extra_templates: Mapping[str, str] | None = None, port: int = 0,
                 clock: Callable[[], float] = time.time):
        """`extra_templates`: more codes the provider knows, code → template name (a stage's
        `HEWEI_SMS_TEMPLATE_CODES` inverted); `app_id`: Tencent Cloud's SmsSdkAppId, any if None."""
        from chalicelib.domain.sms_templates import all_templates

        self.credentials = credentials
        self.sign_name = sign_name
        self.app_id = app_id
        self.clock = clock
        self._templates = all_templates()
        self._by_code: dict[str, dict[str, str]] = {
            provider: {t.codes[provider]: name for name, t in self._templates.items()}
            for provider in ("aliyun", "tencent")}
        for code, name in (extra_templates or {}).items():
            if name not in self._templates:
                raise ValueError(f"no template {name!r}")
            for codes in self._by_code.values():
                codes[code] = name
        self._nonces = NonceBook()
        self._lock = threading.Lock()
        self._received: list[ReceivedSms] = []
        self._refused: list[RefusedSms] = []
        self._failures: dict[str, str] = {}
        self._server = ThreadingHTTPServer((HOST, port), _handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> SmsProviderStandIn:
        self._thread = threading.Thread(target=self._server.serve_forever, name="sms-provider", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SmsProviderStandIn:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- what tests read and arrange

    def received(self) -> list[ReceivedSms]:
        with self._lock:
            return list(self._received)

    def refused(self) -> list[RefusedSms]:
        with self._lock:
            return list(self._refused)

    def fail_next(self, phone: str, code: str) -> None:
        """The next send to `phone` is refused with `code` (the provider's business error)."""
        with self._lock:
            self._failures[mainland_mobile(phone) or phone] = code

    def journal(self) -> dict[str, Any]:
        """What `GET /_messages` answers."""
        with self._lock:
            return {"messages": [asdict(m) for m in self._received], "refusals": [asdict(r) for r in self._refused]}

    # -- the providers

    def _now_iso(self) -> str:
        return datetime.fromtimestamp(self.clock(), timezone.utc).isoformat(timespec="seconds")

    def _refuse(self, provider: str, code: str, phone: str | None = None) -> None:
        with self._lock:
            self._refused.append(RefusedSms(provider, code, phone))

    def _injected(self, phone: str) -> str | None:
        with self._lock:
            return self._failures.pop(phone, None)

    def _accept(self, provider: str, phone: str, sign_name: str, code: str, name: str, params: dict[str, str],
                message_id: str) -> None:
        template = self._templates[name]
        text = f"【{sign_name}】" + template.text.format_map(params)
        with self._lock:
            self._received.append(ReceivedSms(provider, phone, sign_name, code, name, params, text, message_id,
                                              self._now_iso()))

    def aliyun(self, request: SignedRequest) -> tuple[int, dict[str, Any]]:
        """Alibaba Cloud's answer to `request`: HTTP status and JSON body."""
        request_id = str(uuid.uuid4()).upper()
        refusal = verify_acs3(request, self.credentials.aliyun, self.clock(), self._nonces)
        if refusal is not None:
            self._refuse("aliyun", refusal.code)
            return refusal.status, {"RequestId": request_id, "HostId": "dysmsapi.aliyuncs.com",
                                    "Code": refusal.code, "Message": refusal.message,
                                    "Recommend": "https://api.aliyun.com/troubleshoot"}
        query = dict(parse_qsl(request.query, keep_blank_values=True))
        for name in ("PhoneNumbers", "SignName", "TemplateCode"):
            if not query.get(name):
                self._refuse("aliyun", f"Missing{name}")
                return 400, {"RequestId": request_id, "HostId": "dysmsapi.aliyuncs.com",
                             "Code": f"Missing{name}", "Message": f"{name} is mandatory for this action."}

        def business(code: str, message: str, phone: str | None = None) -> tuple[int, dict[str, Any]]:
            self._refuse("aliyun", code, phone)
            return 200, {"Code": code, "Message": message, "RequestId": request_id}

        phones = [mainland_mobile(p) for p in query["PhoneNumbers"].split(",")]
        if not all(phones):
            return business("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        if query["SignName"] != self.sign_name:
            return business("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
        name = self._by_code["aliyun"].get(query["TemplateCode"])
        if name is None:
            return business("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
        try:
            given = json.loads(query.get("TemplateParam") or "{}")
        except ValueError:
            return business("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        if not isinstance(given, dict) or not all(isinstance(v, str) for v in given.values()):
            return business("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        template = self._templates[name]
        if any(p not in given for p in template.params):
            return business("isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值")
        for phone in phones:
            injected = self._injected(phone)
            if injected:
                return business(injected, "触发流控或运营商拦截（本地注入）", phone)
        biz_id = f"{secrets.randbelow(10 ** 18):018d}^0"
        for phone in phones:
            self._accept("aliyun", phone, query["SignName"], query["TemplateCode"], name,
                         {p: given[p] for p in template.params}, biz_id)
        return 200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": request_id}

    def tencent(self, request: SignedRequest) -> dict[str, Any]:
        """Tencent Cloud's answer to `request` (always HTTP 200): the `Response` object."""
        request_id = str(uuid.uuid4())

        def error(code: str, message: str) -> dict[str, Any]:
            self._refuse("tencent", code)
            return {"Error": {"Code": code, "Message": message}, "RequestId": request_id}

        refusal = verify_tc3(request, self.credentials.tencent, self.clock())
        if refusal is not None:
            return error(refusal.code, refusal.message)
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return error("InvalidParameter", "The request body is not JSON.")
        for name in ("PhoneNumberSet", "SmsSdkAppId", "TemplateId"):
            if not body.get(name):
                return error("MissingParameter", f"The request is missing a required parameter `{name}`.")
        if self.app_id is not None and body["SmsSdkAppId"] != self.app_id:
            return error("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId does not exist.")
        values = body.get("TemplateParamSet") or []
        name = self._by_code["tencent"].get(str(body["TemplateId"]))
        statuses = []
        for number in body["PhoneNumberSet"]:
            phone = mainland_mobile(str(number))
            code, message = "Ok", "send success"
            if phone is None:
                code, message = "InvalidParameterValue.IncorrectPhoneNumber", "incorrect number format"
            elif body.get("SignName") != self.sign_name:
                code, message = "FailedOperation.SignatureIncorrectOrUnapproved", \
                    "signature is not approved or signature format is incorrect"
            elif name is None:
                code, message = "FailedOperation.TemplateIncorrectOrUnapproved", \
                    "template is not approved or request content does not match the approved template content"
            elif len(values) != len(self._templates[name].params) or not all(isinstance(v, str) for v in values):
                code, message = "FailedOperation.TemplateIncorrectOrUnapproved", \
                    "template is not approved or request content does not match the approved template content"
            else:
                injected = self._injected(phone)
                if injected:
                    code, message = injected, "refused (injected locally)"
            if code != "Ok":
                self._refuse("tencent", code, phone)
                statuses.append({"SerialNo": "", "PhoneNumber": str(number), "Fee": 0, "SessionContext": "",
                                 "Code": code, "Message": message, "IsoCode": ""})
                continue
            serial = f"2433:{secrets.token_hex(12)}"
            self._accept("tencent", phone, body["SignName"], str(body["TemplateId"]), name,
                         dict(zip(self._templates[name].params, values)), serial)
            statuses.append({"SerialNo": serial, "PhoneNumber": f"+86{phone}", "Fee": 1,
                             "SessionContext": body.get("SessionContext", ""), "Code": "Ok",
                             "Message": "send success", "IsoCode": "CN"})
        return {"SendStatusSet": statuses, "RequestId": request_id}


def _handler(stand_in: SmsProviderStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the journal says what came
            pass

        def _answer(self, status: int, body: Any, content_type: str = "application/json") -> None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _request(self) -> SignedRequest:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers: dict[str, str] = {}
            for name in {n.lower() for n in self.headers.keys()}:
                headers[name] = ",".join(sorted(v.strip() for v in self.headers.get_all(name, [])))
            split = urlsplit(self.path)
            return SignedRequest(self.command, split.path or "/", split.query, headers, body)

        def do_GET(self) -> None:
            request = self._request()
            if request.path == "/_messages":
                self._answer(200, stand_in.journal())
            else:
                self._answer(404, {"Code": "InvalidApi.NotFound", "Message": "Specified api is not found."})

        def do_POST(self) -> None:
            request = self._request()
            if request.path == "/_fail":
                try:
                    order = json.loads(request.body)
                    stand_in.fail_next(str(order["phone"]), str(order["code"]))
                except (ValueError, KeyError, TypeError):
                    self._answer(400, {"error": 'a JSON object {"phone", "code"}'})
                    return
                self._answer(200, {"phone": order["phone"], "code": order["code"]})
            elif "x-tc-action" in request.headers:
                self._answer(200, {"Response": stand_in.tencent(request)})
            elif "x-acs-action" in request.headers:
                status, body = stand_in.aliyun(request)
                self._answer(status, body, "application/json;charset=utf-8")
            else:
                self._answer(404, {"Code": "InvalidApi.NotFound", "Message": "Specified api is not found."})

    return Handler
