"""services/intake.request_digest: a partner's retry is told from a conflicting reuse of its
`external_ref` by a digest of the request's canonical form, which a later optional field
with its default leaves unchanged (a retry across a deploy stays a replay, not a 409)."""

from __future__ import annotations

import hashlib
import json

from pydantic import Field

from chalicelib.services.commands import NewCase, Text
from chalicelib.services.intake import is_same_request, request_digest
from tests.support import new_case_body


class NewCaseOfALaterRelease(NewCase):
    """`NewCase` as a later release might have it: two new optional fields."""

    hearing_room: Text(50) | None = None
    languages: list[str] = Field(default_factory=list)


BODY = new_case_body("12345-20261123-000001")


def digest(body: dict, model: type[NewCase] = NewCase, owner: str = "demo-12345") -> str:
    return request_digest(owner, model.model_validate_json(json.dumps(body, ensure_ascii=False)))  # as the API parses


def test_a_new_optional_field_left_at_its_default_leaves_the_digest_unchanged():
    assert digest(BODY, NewCaseOfALaterRelease) == digest(BODY)


def test_a_new_field_sent_with_a_value_changes_the_digest():
    assert digest({**BODY, "hearing_room": "第一调解室"}, NewCaseOfALaterRelease) != digest(BODY)


def test_a_field_sent_with_its_default_digests_as_if_left_out():
    without = {key: value for key, value in BODY.items() if key != "risk_indicators"}
    assert digest({**BODY, "risk_indicators": []}) == digest(without)
    assert digest({**BODY, "address": None}) == digest({key: v for key, v in BODY.items() if key != "address"})


def test_key_order_does_not_matter_but_every_value_and_the_owner_do():
    reordered = dict(reversed(list(BODY.items())))
    assert digest(reordered) == digest(BODY)
    assert digest({**BODY, "title": "另一件事"}) != digest(BODY)
    assert digest({**BODY, "amount_cny": 5001}) != digest(BODY)
    assert digest(BODY, owner="staff") != digest(BODY)


def test_the_digest_is_a_fixed_function_of_the_request():
    """Pinned: a change to the canonical form would turn every stored request's retry into a 409."""
    body = {"external_ref": "R-1", "title": "漏水", "description": "楼上漏水", "region_code": "320509102001",
            "parties": [{"name": "张三"}]}
    canonical = ('["demo-12345",{"description":"楼上漏水","external_ref":"R-1","parties":[{"name":"张三"}],'
                 '"region_code":"320509102001","title":"漏水"}]')
    assert digest(body) == "c1:" + hashlib.sha256(canonical.encode()).hexdigest()


def test_a_digest_stored_by_the_first_release_still_tells_a_retry_from_a_conflict():
    """Claims never expire: a retry of a request filed before the canonical form is still a replay."""
    command = NewCase.model_validate_json(json.dumps(BODY, ensure_ascii=False))
    first = ('["demo-12345", ' + json.dumps(command.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
             + "]")
    stored = hashlib.sha256(first.encode()).hexdigest()  # what the first release wrote, untagged
    assert is_same_request(stored, "demo-12345", command)
    changed = NewCase.model_validate_json(json.dumps({**BODY, "title": "另一件事"}, ensure_ascii=False))
    assert not is_same_request(stored, "demo-12345", changed)
    assert is_same_request(request_digest("demo-12345", command), "demo-12345", command)
    assert not is_same_request(request_digest("demo-12345", command), "demo-12345", changed)
