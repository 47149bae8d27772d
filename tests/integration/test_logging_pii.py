"""No personal data in logs (§1 masking, issue #2): names, phones and ID numbers never reach a log line.

What the service writes is captured twice: the formatted JSON lines its
Powertools handler emits (the handler's stream is swapped for a buffer, since
it holds the stdout of import time, which capsys does not see), and the raw
records (caplog), whose messages, arguments and extras are checked before any
redaction. Anything printed to stdout/stderr (capsys) is checked too.
"""

from __future__ import annotations

import io
import json
import logging

import pytest

from chalicelib import wiring
from chalicelib.observability import RedactingFormatter, logger
from tests.integration.module_env import demo_env
from tests.support import drain, new_case_body, service_now, valid_id_number

NAME = "欧阳娜娜"
OTHER_NAME = "司马相如"
PHONE = "13987654321"
ID_NUMBER = valid_id_number("44030819851010001")  # 440308198510100016
BAD_ID = ID_NUMBER[:-1] + ("1" if ID_NUMBER[-1] != "1" else "2")


def secrets_in(text: str, names=(NAME, OTHER_NAME)) -> list[str]:
    """Which of the party's identifiers appear in the text, raw or JSON-escaped."""
    forms = [PHONE, "+86" + PHONE, ID_NUMBER, BAD_ID]
    for name in names:
        forms += [name, json.dumps(name)[1:-1]]  # "\u6b27\u9633..." as an ASCII JSON encoder writes it
    return [form for form in forms if form in text]


def body(ref: str, **party) -> dict:
    return new_case_body(ref, parties=[{"role": "applicant", "name": NAME, "phone": PHONE, "id_number": ID_NUMBER,
                                        **party}, {"role": "respondent", "name": OTHER_NAME}])


@pytest.fixture(scope="module")
def env():
    with demo_env("demo-12345") as env:
        yield env


class Captured:
    def __init__(self, stream: io.StringIO, caplog, capsys):
        self.stream, self.caplog, self.capsys = stream, caplog, capsys

    @property
    def formatted(self) -> str:
        return self.stream.getvalue()

    @property
    def raw_records(self) -> str:
        """Every record as logged: message, args, extras and exception, before any formatting."""
        parts = []
        for record in self.caplog.records:
            parts.append(record.getMessage())
            parts.append(repr({k: v for k, v in record.__dict__.items() if k not in ("msg", "exc_info")}))
            if record.exc_info:
                parts.append(logging.Formatter().formatException(record.exc_info))
        return "\n".join(parts)

    def everything(self) -> str:
        out, err = self.capsys.readouterr()
        return "\n".join((self.formatted, self.raw_records, self.caplog.text, out, err))

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.formatted.splitlines() if line.strip()]


@pytest.fixture
def logs(caplog, capsys):
    handler = logger.registered_handler
    stream = io.StringIO()
    previous_stream = handler.setStream(stream)
    previous_level = logger.log_level
    logger.setLevel(logging.DEBUG)  # whatever the code logs at any level
    caplog.set_level(logging.DEBUG, logger=logger.name)
    try:
        yield Captured(stream, caplog, capsys)
    finally:
        handler.setStream(previous_stream)
        logger.setLevel(previous_level)


def test_intake_logs_no_personal_data(env, logs):
    partner = env.partners["demo-12345"]
    created = partner.call("POST", "/v1/cases", body("PII-1"))
    assert created.status == 201, created
    case_id = created.json["case_id"]
    assert env.admin.call("GET", f"/v1/cases/{case_id}").json["parties"][0]["phone"] == PHONE  # stored in full
    partner.call("GET", f"/v1/cases/{case_id}", timestamp=service_now().timestamp() + 1)
    assert partner.call("POST", "/v1/cases", body("PII-1"), timestamp=service_now().timestamp() + 2).status == 200  # replay

    lines = logs.lines()
    assert any(line["message"] == "case received" and line["case_id"] == case_id for line in lines)
    assert sum(line["message"] == "request" for line in lines) >= 4
    assert secrets_in(logs.everything()) == []


def test_a_rejected_id_number_is_not_logged(env, logs):
    rejected = env.partners["demo-12345"].call("POST", "/v1/cases", body("PII-2", id_number=BAD_ID))
    assert rejected.status == 422
    assert BAD_ID not in rejected.raw.decode()
    assert any(line.get("status") == 422 for line in logs.lines())
    assert secrets_in(logs.everything()) == []


def test_a_rejected_phone_is_not_logged(env, logs):
    rejected = env.partners["demo-12345"].call("POST", "/v1/cases", body("PII-3", phone="1398765432"))
    assert rejected.status == 422
    assert "1398765432" not in rejected.raw.decode() and "1398765432" not in logs.everything()


def test_an_unhandled_error_logs_the_failure_but_no_personal_data(env, logs, monkeypatch):
    def unavailable(*args, **kwargs):
        raise RuntimeError("DynamoDB is unavailable")

    monkeypatch.setattr(wiring.current().case_store, "create", unavailable)
    failed = env.partners["demo-12345"].call("POST", "/v1/cases", body("PII-4"))
    assert failed.status == 500
    assert failed.headers["content-type"] == "application/problem+json"
    assert failed.json["request_id"] == failed.headers["x-request-id"]
    assert "DynamoDB" not in failed.raw.decode()  # internals stay in the log

    errors = [line for line in logs.lines() if line["level"] == "ERROR"]
    assert errors and errors[0]["message"] == "unhandled error"
    assert "DynamoDB is unavailable" in errors[0]["exception"]
    assert secrets_in(logs.everything()) == []


def test_a_failed_routing_publish_logs_no_personal_data(env, logs, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("SQS is unreachable")

    monkeypatch.setattr(wiring.current().publisher, "publish", broken)
    created = env.partners["demo-12345"].call("POST", "/v1/cases", body("PII-5"))
    assert created.status == 201  # the case is stored; the sweep routes it later
    assert any("routing publish failed" in line["message"] for line in logs.lines())
    assert secrets_in(logs.everything()) == []


def test_phones_and_id_numbers_in_an_exception_message_are_masked_in_the_log_line(env, logs, monkeypatch):
    """Defence in depth: a library that echoes its input into an exception does not leak it."""

    def echoing(case, *args, **kwargs):
        raise ValueError(f"cannot store parties {[p.to_dict() for p in case.parties]}")

    monkeypatch.setattr(wiring.current().case_store, "create", echoing)
    assert env.partners["demo-12345"].call("POST", "/v1/cases", body("PII-6")).status == 500
    formatted = logs.formatted
    assert "cannot store parties" in formatted
    assert PHONE not in formatted and ID_NUMBER not in formatted
    assert "139****4321" in formatted and "440308********0016" in formatted


# ------------------------------------------------------------- the formatter


def _format(message: str, **extra) -> str:
    record = logging.LogRecord("hewei", logging.INFO, __file__, 1, message, None, None)
    record.__dict__.update(extra)
    return RedactingFormatter().format(record)


def test_redacting_formatter_masks_phones_and_id_numbers_in_the_message():
    line = _format(f"sms to {PHONE} and +86{PHONE}, party id {ID_NUMBER}, id {ID_NUMBER[:-1]}x")
    parsed = json.loads(line)
    assert PHONE not in line and ID_NUMBER not in line and ID_NUMBER[:-1] not in line
    assert "139****4321" in parsed["message"] and "+86139****4321" in parsed["message"]
    assert "440308********0016" in parsed["message"]


def test_redacting_formatter_masks_extra_fields_too():
    line = _format("sms queued", to=PHONE, detail={"id_number": ID_NUMBER})
    parsed = json.loads(line)
    assert parsed["to"] == "139****4321"
    assert parsed["detail"]["id_number"] == "440308********0016"


def test_redacting_formatter_leaves_other_numbers_alone():
    parsed = json.loads(_format("case HW20261122ABCDEFGH region 320509102001 took 1763780000123 ms"))
    assert parsed["message"] == "case HW20261122ABCDEFGH region 320509102001 took 1763780000123 ms"


def test_the_party_lookup_and_evaluation_log_neither_the_phone_digits_nor_the_party(env, logs):
    """The case code routes carry the last four digits of a party's phone in their query string
    or body: the request log names the route, method and status only."""
    created = env.admin.call("POST", "/v1/cases", body("PII-7", channel="walk_in"))
    assert created.status == 201, created
    case_id, code = created.json["case_id"], created.json["public_code"]
    drain("routing", "route_cases")
    for action, payload in (("accept", {}), ("fail", {"referral": "litigation", "reason": "一方拒绝调解"})):
        assert env.admin.call("POST", f"/v1/cases/{case_id}/{action}", payload).status == 200
    digits = PHONE[-4:]
    assert env.http.call("GET", f"/v1/public/cases/{code}", query={"phone_last4": digits}).status == 200
    assert env.http.call("GET", f"/v1/public/cases/{code}", query={"phone_last4": "9876"}).status == 404
    assert env.http.call("GET", f"/v1/public/cases/{code}", query={"phone_last4": "98765"}).status == 422
    answer = env.http.call("POST", f"/v1/public/cases/{code}/feedback", {
        "phone_last4": digits, "satisfaction": {"attitude": "satisfied", "process": "satisfied",
                                                "effect": "dissatisfied"}, "comment": f"{NAME}请回电{PHONE}"})
    assert answer.status == 200 and answer.json["rectification_required"] is True

    lines = logs.lines()
    assert [line["status"] for line in lines if line["message"] == "request" and line["route"] == "public_case"] == [
        200, 404, 422]
    assert any(line["message"] == "self evaluation" and line["case_id"] == case_id for line in lines)
    everything = logs.everything()
    assert "phone_last4" not in everything and code not in everything
    assert f'"{digits}"' not in everything and f"'{digits}'" not in everything and "=" + digits not in everything
    assert secrets_in(everything) == []
