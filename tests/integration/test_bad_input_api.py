"""Bad input to `POST /v1/cases` (§2, §5 create): the right status and problem body, and nothing stored or queued.

Every test shares one stack (`sender`). A rejected request must leave it as it
was: no case, no timeline item, no idempotency claim (nor party key: they are
written together), no routing message; `reject` compares the stored state
before and after each request.
"""

from __future__ import annotations

import functools
import itertools
import json

import boto3
import pytest

from chalicelib.adapters.case_mapping import ref_key
from chalicelib.adapters.models import CaseItemModel, CaseModel, KeyModel
from chalicelib.config import queue_name
from tests.integration.module_env import demo_env
from tests.support import assert_problem, new_case_body, service_now, valid_id_number

BAD_ID = "320584199001011234"  # the check digit should be 9
assert valid_id_number("32058419900101123") != BAD_ID


@functools.cache
def _routing_queue() -> tuple:
    sqs = boto3.client("sqs")  # one client: building one loads botocore's models, which is slow
    return sqs, sqs.get_queue_url(QueueName=queue_name("routing"))["QueueUrl"]


def routing_queue_depth() -> int:
    sqs, url = _routing_queue()
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


_offsets = itertools.count(-290)


class Sender:
    """The module's partner; each request signed at its own timestamp, so equal bodies are no replay."""

    def __init__(self, partner):
        self.partner = partner

    def call(self, method, path, body=None, raw=None):
        return self.partner.call(method, path, body, raw=raw, timestamp=int(service_now().timestamp()) + next(_offsets))


@pytest.fixture(scope="module")
def sender():
    with demo_env("demo-12345") as env:
        _routing_queue.cache_clear()
        yield Sender(env.partners["demo-12345"])
        _routing_queue.cache_clear()


def stored_state(external_ref: str | None = None) -> dict:
    """What a created case leaves behind. The case, its first events, its idempotency claim and its
    party keys are written in one transaction, so counting cases and timeline items and looking for
    the claim covers the party keys too."""
    return {
        "cases": CaseModel.count(),
        "case_items": CaseItemModel.count(),
        "claim": external_ref is not None and KeyModel.count(ref_key("demo-12345", external_ref)) > 0,
        "routing_messages": routing_queue_depth(),
    }


def reject(sender, status: int, body=None, raw=None):
    """POST a bad case; check the problem body and that nothing was stored or queued."""
    ref = body.get("external_ref") if isinstance(body, dict) and isinstance(body.get("external_ref"), str) else None
    before = stored_state(ref)
    assert before["claim"] is False
    result = sender.call("POST", "/v1/cases", body, raw=raw)
    problem = assert_problem(result, status)
    assert stored_state(ref) == before
    return problem, result


def fields(problem: dict) -> list[str]:
    return [error["field"] for error in problem.get("errors", [])]


def without(key: str) -> dict:
    body = new_case_body()
    del body[key]
    return body


def with_party(**changes) -> dict:
    body = new_case_body()
    body["parties"] = [{**body["parties"][0], **changes}, body["parties"][1]]
    return body


def party_without_name() -> dict:
    body = new_case_body()
    del body["parties"][0]["name"]
    return body


def test_the_valid_body_is_accepted_so_each_rejection_below_is_due_to_its_change(sender):
    before = stored_state("R-VALID")
    created = sender.call("POST", "/v1/cases", new_case_body("R-VALID"))
    assert created.status == 201, created
    after = stored_state("R-VALID")
    assert after["cases"] == before["cases"] + 1
    assert after["case_items"] > before["case_items"]
    assert (before["claim"], after["claim"]) == (False, True)
    assert after["routing_messages"] == before["routing_messages"] + 1


@pytest.mark.parametrize(
    "raw",
    [
        b'{"external_ref": "R-1",',
        b"{'external_ref': 'R-1'}",
        b'{"external_ref": "R-1",}',
        b"external_ref=R-1&title=x",
        b"[" * 100_000 + b"]" * 100_000,  # nested too deep for any parser: still bad input, not a crash
        b'{"a": ' + b"[" * 5_000 + b"]" * 5_000 + b"}",
        b'{"external_ref": "R-1", "amount_cny": NaN}',
        b'{"external_ref": "R-1", "amount_cny": -Infinity}',
        b'{"external_ref": "R-1", "party_count": ' + b"1" * 5_000 + b"}",  # past Python's int parsing limit
        b'{"external_ref": "R-1", "title": "a\\ud800b"}',  # a lone surrogate: not Unicode text
        b'{"external_ref": "R-1", "amount_cny": 1e999}',  # beyond any float
    ],
    ids=["truncated", "single-quotes", "trailing-comma", "form-encoded", "deep-array", "deep-member",
         "nan", "infinity", "5000-digit-integer", "lone-surrogate", "1e999"],
)
def test_malformed_json_is_400(sender, raw):
    problem, _ = reject(sender, 400, raw=raw)
    assert "JSON" in problem["detail"]


@pytest.mark.parametrize("raw", [b"[]", json.dumps([new_case_body()]).encode(), b'"case"', b"42", b"null"],
                         ids=["empty-array", "array-of-case", "string", "number", "null"])
def test_a_json_body_that_is_not_an_object_is_422(sender, raw):
    problem, _ = reject(sender, 422, raw=raw)
    assert fields(problem) == ["body"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (without("external_ref"), "external_ref"),
        (without("title"), "title"),
        (without("description"), "description"),
        (without("region_code"), "region_code"),
        (without("parties"), "parties"),
        (party_without_name(), "parties[0].name"),
        (with_party(name="   "), "parties[0].name"),
        (new_case_body(parties=[]), "parties"),
        (new_case_body(parties=[{"role": "applicant", "name": f"甲{i}"} for i in range(41)]), "parties"),
        (new_case_body(title=""), "title"),
    ],
    ids=["no-external_ref", "no-title", "no-description", "no-region_code", "no-parties", "party-without-name",
         "blank-party-name", "empty-parties", "41-parties", "empty-title"],
)
def test_missing_required_fields_are_422_with_the_field_path(sender, body, field):
    problem, _ = reject(sender, 422, body)
    assert field in fields(problem)
    assert all(error["message"] for error in problem["errors"])


def test_every_missing_field_is_reported_at_once(sender):
    problem, _ = reject(sender, 422, {})
    assert {"external_ref", "title", "description", "region_code", "parties"} <= set(fields(problem))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"party_count": "2"}, "party_count"),
        ({"party_count": 2.5}, "party_count"),
        ({"party_count": True}, "party_count"),
        ({"party_count": 0}, "party_count"),
        ({"party_count": 1}, "party_count"),  # fewer than the two parties listed
        ({"amount_cny": "5000"}, "amount_cny"),
        ({"amount_cny": -1}, "amount_cny"),
        ({"title": 123}, "title"),
        ({"parties": "张三"}, "parties"),
        ({"parties": ["张三"]}, "parties[0]"),
        ({"risk_indicators": "group_dispute"}, "risk_indicators"),
        ({"region_code": 320509102001}, "region_code"),
    ],
    ids=lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v,
)
def test_wrong_types_and_ranges_are_422(sender, overrides, field):
    problem, _ = reject(sender, 422, new_case_body(**overrides))
    assert field in fields(problem)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (new_case_body(category="divorce"), "category"),
        (new_case_body(category="Neighbor"), "category"),
        (new_case_body(channel="wechat"), "channel"),
        (new_case_body(risk_indicators=["group_dispute", "arson"]), "risk_indicators[1]"),
        (with_party(role="witness"), "parties[0].role"),
    ],
    ids=["category", "category-case", "channel", "risk_indicators[1]", "party-role"],
)
def test_unknown_enum_values_are_422_with_the_field_path(sender, body, field):
    problem, _ = reject(sender, 422, body)
    assert fields(problem) == [field]


@pytest.mark.parametrize("phone", ["12345678901", "1381234567", "+1 415 555 2671", "电话", "1" * 40])
def test_invalid_phone_is_422(sender, phone):
    problem, _ = reject(sender, 422, with_party(phone=phone))
    assert fields(problem) == ["parties[0].phone"]


def test_wrong_id_check_digit_is_422_and_the_number_is_not_echoed(sender):
    problem, result = reject(sender, 422, with_party(id_number=BAD_ID))
    assert fields(problem) == ["parties[0].id_number"]
    assert BAD_ID not in result.raw.decode()


def test_an_unknown_region_is_422(sender):
    problem, _ = reject(sender, 422, new_case_body(region_code="320509102999"))
    assert fields(problem) == ["region_code"]


@pytest.mark.parametrize("code", ["320509102", "32050910200", "3205091020011", "32050910200a",
                                  "３２０５０９１０２００１"])
def test_a_region_code_that_is_not_a_village_code_is_422(sender, code):
    problem, _ = reject(sender, 422, new_case_body(region_code=code))
    assert fields(problem) == ["region_code"]


def test_body_over_256_kib_is_413(sender):
    body = new_case_body(description="纠" * (90 * 1024))  # 3 bytes each in UTF-8: 270 KiB
    raw = json.dumps(body, ensure_ascii=False).encode()
    assert len(raw) > 256 * 1024
    reject(sender, 413, raw=raw)


def test_body_just_under_256_kib_is_not_413(sender):
    body = new_case_body("R-BIG", parties=[{"role": "applicant", "name": "张三"}])
    body["padding"] = "x" * (256 * 1024 - len(json.dumps(body).encode()) - 64)  # unknown fields are ignored
    raw = json.dumps(body).encode()
    assert 250 * 1024 < len(raw) <= 256 * 1024
    assert sender.call("POST", "/v1/cases", raw=raw).status == 201


@pytest.mark.parametrize("raw", [b'\xff\xfe{"title": 1}', '{"title": "纠纷"}'.encode("gbk")], ids=["bom16", "gbk"])
def test_a_body_that_is_not_utf8_is_400(sender, raw):
    problem, _ = reject(sender, 400, raw=raw)
    assert "UTF-8" in problem["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (new_case_body(title="<script>alert(1)</script>"), "title"),
        (new_case_body(title="漏水<img src=x onerror=alert(1)>"), "title"),
        (new_case_body(description="点击 javascript:alert(document.cookie)"), "description"),
        (new_case_body(address="<a href='http://evil'>8幢</a>"), "address"),
        (with_party(name="<b>张三</b>"), "parties[0].name"),
        (new_case_body(title="漏水\x00\x07"), "title"),
        (new_case_body(description="漏水\x85楼下"), "description"),
        (new_case_body(title="漏水\x9b31m"), "title"),
    ],
    ids=["script", "img-onerror", "javascript-url", "anchor", "markup-in-name", "control-chars", "c1-next-line",
         "c1-csi"],
)
def test_markup_and_control_characters_are_422(sender, body, field):
    problem, result = reject(sender, 422, body)
    assert fields(problem) == [field]
    assert "<script>" not in result.raw.decode()


@pytest.mark.parametrize("ref", ["1' OR '1'='1", "R-1; DROP TABLE cases", "R 1", "", "-R1", "R" * 129, "案件-1"])
def test_an_external_ref_outside_its_pattern_is_422(sender, ref):
    problem, _ = reject(sender, 422, new_case_body(ref))
    assert fields(problem) == ["external_ref"]


def test_sql_looking_free_text_is_just_text(sender):
    text = "Robert'); DROP TABLE cases;-- 说: 1' OR '1'='1"
    created = sender.call("POST", "/v1/cases", new_case_body("R-SQL", description=text))
    assert created.status == 201
    assert sender.call("GET", f"/v1/cases/{created.json['case_id']}").json["description"] == text


def test_a_rejected_request_does_not_use_up_its_external_ref(sender):
    reject(sender, 422, new_case_body("R-FIX", category="divorce"))
    assert sender.call("POST", "/v1/cases", new_case_body("R-FIX")).status == 201


# ------------------------------------------------------------ text edges, -0 and nesting


@pytest.mark.parametrize(
    "name",
    ["\u200b", "\u200b\u200c\u200d", "\ufeff", "\u2060 \u00ad", " \u200b\u3000", "\u200e\u200f", "\u3164"],
    ids=["zero-width-space", "zero-width-joiners", "bom", "word-joiner-soft-hyphen", "spaces-and-zwsp",
         "direction-marks", "hangul-filler"],
)
def test_a_name_made_only_of_invisible_characters_is_422(sender, name):
    problem, _ = reject(sender, 422, with_party(name=name))
    assert fields(problem) == ["parties[0].name"]
    assert "blank" in problem["errors"][0]["message"]


BIDI_AND_LINE_SEPARATORS = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
                            "\u2069", "\u2028", "\u2029"]


@pytest.mark.parametrize("char", BIDI_AND_LINE_SEPARATORS, ids=lambda char: f"U+{ord(char):04X}")
@pytest.mark.parametrize("field", ["title", "description", "address", "parties[0].name"])
def test_direction_overrides_and_line_separators_are_422_naming_the_field(sender, char, field):
    text = f"楼上漏水{char}0001"
    body = with_party(name=f"张{char}三") if field == "parties[0].name" else new_case_body(**{field: text})
    problem, result = reject(sender, 422, body)
    assert fields(problem) == [field]
    assert f"U+{ord(char):04X} is not allowed" in problem["errors"][0]["message"]
    assert char not in result.raw.decode()


def test_a_zero_width_joiner_inside_text_is_kept(sender):
    """Format characters inside visible text are text (emoji sequences, Persian names): only a
    text of nothing else is blank, and the text round-trips unchanged."""
    title = "漏水\u200d纠纷\u00ad"
    created = sender.call("POST", "/v1/cases", new_case_body("R-ZWJ", title=title))
    assert created.status == 201, created
    assert created.json["title"] == title


def test_a_negative_zero_amount_is_422(sender):
    problem, _ = reject(sender, 422, raw=json.dumps(new_case_body("R-NEG0")).replace(
        '"amount_cny": 5000', '"amount_cny": -0.0').encode())
    assert fields(problem) == ["amount_cny"]
    assert "-0" in problem["errors"][0]["message"]


def test_a_zero_amount_is_accepted(sender):
    raw = json.dumps(new_case_body("R-ZERO")).replace('"amount_cny": 5000', '"amount_cny": 0.0').encode()
    created = sender.call("POST", "/v1/cases", raw=raw)
    assert created.status == 201, created
    assert created.json["amount_cny"] == 0


def nested(depth: int) -> bytes:
    """A valid case whose ignored field `extra` nests arrays `depth` deep (the body is one more)."""
    body = json.dumps(new_case_body("R-DEEP"))
    return (body[:-1] + ', "extra": ' + "[" * depth + "]" * depth + "}").encode()


@pytest.mark.parametrize("depth", [32, 199, 250, 5_000])
def test_a_body_nested_too_deeply_is_400_naming_the_limit(sender, depth):
    problem, _ = reject(sender, 400, raw=nested(depth))
    assert "nested too deeply" in problem["detail"] and "32 levels" in problem["detail"]
    assert "Unicode" not in problem["detail"]


def test_brackets_inside_strings_do_not_count_as_nesting(sender):
    body = new_case_body("R-BRACKETS", description="[" * 300 + "{" * 300 + '"\\' + "]")
    created = sender.call("POST", "/v1/cases", body)
    assert created.status == 201, created


def test_a_body_nested_to_the_limit_is_accepted(sender):
    raw = nested(31)  # the body's object and 31 arrays: 32 levels
    created = sender.call("POST", "/v1/cases", raw=raw)
    assert created.status == 201, created
