"""`api.http.json_too_deep`: the nesting of a body, judged before it is parsed and without recursion."""

from __future__ import annotations

import json
import time

import pytest

from chalicelib.api.http import MAX_JSON_DEPTH, MAX_BODY_BYTES, json_too_deep


def arrays(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(("text", "too_deep"), [
    ("{}", False),
    (json.dumps({"parties": [{"role": "applicant"}] * 40}), False),  # many brackets, none deep
    ('{"a": ' + arrays(MAX_JSON_DEPTH - 1) + "}", False),  # 32 levels with the body's object
    ('{"a": ' + arrays(MAX_JSON_DEPTH) + "}", True),
    (arrays(MAX_JSON_DEPTH + 1), True),
    (arrays(100_000), True),
    ('{"a": "' + "[" * 1000 + '"}', False),  # brackets inside a string are text
    ('{"a": "\\"' + "[" * 1000 + '"}', False),  # ... after an escaped quote too
    ('{"a": "x\\\\", "b": ' + arrays(40) + "}", True),  # an escaped backslash ends before the quote
    ('{"a": "x\\\\", "b": ' + arrays(31) + "}", False),
    ('{"a": "' + "{" * 100, False),  # an unterminated string: text to the end
    ("[" * 40 + '"' + "]" * 40, True),  # brackets before the string count
])
def test_nesting_is_counted_outside_strings(text, too_deep):
    assert json_too_deep(text) is too_deep


@pytest.mark.parametrize("text", [
    "[" * 40 + '"' + '\\"' * (MAX_BODY_BYTES // 2),  # one unterminated string of escaped quotes
    "[" * 40 + '"\\' * (MAX_BODY_BYTES // 2),
    "[" * 40 + '"' * MAX_BODY_BYTES,
    "[{" * (MAX_BODY_BYTES // 2),
], ids=["escaped-quotes", "quote-backslash", "quotes", "brackets"])
def test_a_body_of_the_largest_size_is_judged_in_linear_time(text):
    """A string pattern that failed on an unterminated string was tried again at every quote:
    220 s for 160 KB of `\\"`. Each of these takes milliseconds."""
    started = time.perf_counter()
    json_too_deep(text)
    assert time.perf_counter() - started < 2
