"""The OpenAPI document's examples: real requests and answers of the service.

`openapi_examples.json` beside this module is written by the integration test
`tests/integration/test_openapi_api.py` (run it with `HEWEI_WRITE_OPENAPI_EXAMPLES=1`), which
makes the requests against the service and records what it answered; the same test,
run as usual, checks that the stored examples still match the schemas and what the
service answers now.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

EXAMPLES_FILE = Path(__file__).with_name("openapi_examples.json")


@lru_cache(maxsize=1)
def examples() -> dict[str, Any]:
    if not EXAMPLES_FILE.exists():
        return {"requests": {}, "responses": {}, "problems": {}}
    return json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))


def request_examples(operation_id: str) -> dict[str, Any] | None:
    """`{name: {"summary", "value"}}` of an operation's request bodies."""
    return examples()["requests"].get(operation_id)


def response_example(operation_id: str, status: int) -> Any:
    return examples()["responses"].get(operation_id, {}).get(str(status))


def problem_example(status: int) -> Any:
    return examples()["problems"].get(str(status))
