"""Bench: DynamoDB calls of the party's case code routes (一案一码, §14), on moto in-process.

    python bench/public_lookup.py

Files a walk-in case and routes it, then counts, with the botocore hooks of
`bench/dynamo_meter.py`, the calls (by operation and table) and the items read of:

- a right lookup (`GET /v1/public/cases/{code}?phone_last4=`);
- a lookup of a code no case has, of a code with a wrong check character, of a string that is
  no code at all, and of the right code with wrong digits: the four must cost the same, so that
  the answer's time tells nothing (the script fails if they do not);
- a lookup of a code blocked for the day (five wrong tries counted), with the right digits;
- a string too long to be a code (refused before any call);
- the party's evaluation (`POST /v1/public/cases/{code}/feedback`) of a concluded case, good,
  and dissatisfied (its rectification SMS to the org's head is looked up and written with it).

Each is measured after the same request once (connections warm). Results are merged into
`bench/results.json` under `public_lookup` (read-modify-write: other scripts own other keys).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import merge_results  # noqa: E402 - sets the bench environment first

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
MONDAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
GOOD = {"attitude": "satisfied", "process": "satisfied", "effect": "satisfied"}
BAD = {"attitude": "satisfied", "process": "dissatisfied", "effect": "satisfied"}


def unknown_code(code: str, salt: int) -> str:
    """A well-formed code with its check character right that no case has."""
    from chalicelib.domain.public_code import ALPHABET, check_character

    body = ALPHABET[salt % len(ALPHABET)] + code[1:8]
    body = body if body != code[:8] else ALPHABET[(salt + 1) % len(ALPHABET)] + code[1:8]
    return f"{body}-{check_character(body)}"


def run() -> dict:
    from chalice.test import Client

    from bench.dynamo_meter import metered
    from chalicelib import wiring
    from tests.support import Http, admin_staff, drain, load_demo_directory, moto_stack, new_case_body

    with moto_stack():
        from app import app

        with Client(app, stage_name="local") as client:
            http = Http(client)
            admin = admin_staff(http)
            load_demo_directory(admin)
            wiring.current().clock.now = MONDAY

            def walk_in(ref: str) -> dict:
                created = admin.call("POST", "/v1/cases", new_case_body(ref, channel="walk_in"))
                assert created.status == 201, created
                drain("routing", "route_cases")
                return created.json

            def conclude(case_id: str) -> None:
                for action, body in (("accept", {}), ("fail", {"referral": "litigation", "reason": "一方拒绝调解"})):
                    assert admin.call("POST", f"/v1/cases/{case_id}/{action}", body).status == 200

            results: dict[str, dict] = {}

            def measure(name: str, expected: int, method: str, path: str, body=None, query=None) -> None:
                with metered() as meter:
                    answer = http.call(method, path, body, query=query)
                assert answer.status == expected, (name, answer)
                results[name] = {"status": answer.status, "calls": meter.total, "items_read": meter.items_read,
                                 "by_target": dict(sorted(meter.calls_by_target.items()))}

            case = walk_in("BENCH-PUB-1")
            code, digits = case["public_code"], "5678"  # the applicant's phone of new_case_body: 13812345678
            lookup = f"/v1/public/cases/{code}"
            wrong_check = code[:-1] + ("2" if code[-1] != "2" else "3")
            http.call("GET", lookup, query={"phone_last4": digits})  # warm-up
            http.call("GET", f"/v1/public/cases/{unknown_code(code, 1)}", query={"phone_last4": digits})
            measure("right_lookup", 200, "GET", lookup, query={"phone_last4": digits})
            measure("wrong_code_lookup", 404, "GET", f"/v1/public/cases/{unknown_code(code, 2)}",
                    query={"phone_last4": digits})
            measure("bad_check_character_lookup", 404, "GET", f"/v1/public/cases/{wrong_check}",
                    query={"phone_last4": digits})
            measure("malformed_code_lookup", 404, "GET", "/v1/public/cases/HELLO", query={"phone_last4": digits})
            measure("wrong_digits_lookup", 404, "GET", lookup, query={"phone_last4": "0000"})
            for _ in range(4):  # five wrong tries on the code today
                assert http.call("GET", lookup, query={"phone_last4": "0000"}).status == 404
            measure("blocked_lookup", 429, "GET", lookup, query={"phone_last4": digits})
            measure("too_long_to_be_a_code", 404, "GET", "/v1/public/cases/" + "X" * 17,
                    query={"phone_last4": digits})

            for index, (name, scores) in enumerate((("feedback_good", GOOD), ("feedback_dissatisfied", BAD))):
                evaluated = walk_in(f"BENCH-PUB-EVAL-{index}")
                conclude(evaluated["case_id"])
                measure(name, 200, "POST", f"/v1/public/cases/{evaluated['public_code']}/feedback",
                        {"phone_last4": digits, "satisfaction": scores, "comment": "调解员很耐心"})
            wiring.current().clock.now = None

    wrongs = [results[name]["by_target"] for name in ("wrong_code_lookup", "bad_check_character_lookup",
                                                      "malformed_code_lookup", "wrong_digits_lookup")]
    assert all(calls == wrongs[0] for calls in wrongs), "a wrong code and wrong digits cost different calls"
    return {**results, "note": (
        "moto in-process, after one warm-up request; by_target names the table (keys: the try counter and the "
        "code's claim). A right lookup: read the day's tries, count this one, read the code's claim and its case, "
        "take the try back, read the org's name. A wrong one (any of the four): read the day's tries, count "
        "this one, read the code's claim (found or not: a small item, judged on its digests of the phone "
        "tails), and no case read. items_read differs only by those small rows being there or not. A blocked one: the read "
        "of the day's tries only. An evaluation adds its one TransactWrite (case, timeline event, statistics "
        "rows, the rectification SMS when dissatisfied, whose org head is looked up)")}


def main() -> None:
    update = {"public_lookup": run()}
    print(json.dumps(update, ensure_ascii=False, indent=1))
    merge_results(update)


if __name__ == "__main__":
    main()
