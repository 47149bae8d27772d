"""Bench: what one attachment (证据材料, §14) costs in DynamoDB and S3 calls, on moto in-process.

    python bench/attachments.py

Through the HTTP API as the case's mediator, after one warm-up round (Lambda containers are
reused): the upload request (`POST /v1/cases/{id}/attachments`), the file POSTed to S3 with the
presigned form (the client's call, not counted), `complete`, and one download link
(`GET /v1/cases/{id}/attachments/{aid}`); and `complete` of an upload that lies about its hash.
DynamoDB calls are counted with bench/dynamo_meter.py's hooks, S3 calls with an `after-call.s3`
hook on the service's S3 client (presigning is local: it makes no call). Results are merged into
bench/results.json under `attachments`.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import merge_results  # noqa: E402 - sets the bench environment first

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64


@contextmanager
def s3_metered():
    """Count the calls the service's S3 client makes meanwhile, by operation."""
    from chalicelib import wiring

    calls: Counter = Counter()

    def on_call(model, **kwargs) -> None:
        calls[model.name] += 1

    events = wiring.current().attachment_files.client.meta.events
    events.register("after-call.s3", on_call)
    try:
        yield calls
    finally:
        events.unregister("after-call.s3", on_call)


def figures(dynamo, s3: Counter) -> dict:
    return {"dynamodb_calls": dynamo.total, "dynamodb_by_operation": dict(dynamo.calls),
            "dynamodb_by_target": dict(dynamo.calls_by_target), "s3_calls": sum(s3.values()),
            "s3_by_operation": dict(s3)}


def run() -> dict:
    import requests
    from chalice.test import Client

    from bench.dynamo_meter import metered
    from tests.support import Http, Staff, admin_staff, drain, load_demo_directory, moto_stack, new_case_body

    def declaration(content: bytes) -> dict:
        return {"kind": "evidence", "filename": "现场照片.png", "content_type": "image/png",
                "size_bytes": len(content), "sha256": hashlib.sha256(content).hexdigest()}

    with moto_stack():
        from app import app

        with Client(app, stage_name="local") as client:
            http = Http(client)
            admin = admin_staff(http)
            load_demo_directory(admin)
            mediator = Staff(http, admin.call("POST", "/v1/tokens", {"role": "mediator",
                                                                     "mediator_id": "M-CN-1"}).json["token"])
            case_id = admin.call("POST", "/v1/cases", new_case_body("BENCH-ATT")).json["case_id"]
            drain("routing", "route_cases")
            results: dict = {}
            for _ in range(2):  # the second round is the steady state reported
                with metered() as dynamo, s3_metered() as s3:
                    declared = mediator.call("POST", f"/v1/cases/{case_id}/attachments", declaration(PNG)).json
                results["create"] = figures(dynamo, s3)
                upload = declared["upload"]
                assert requests.post(upload["url"], data=upload["fields"], timeout=10,
                                     files={"file": ("x.png", PNG, "image/png")}).status_code == 204
                path = f"/v1/cases/{case_id}/attachments/{declared['attachment_id']}"
                with metered() as dynamo, s3_metered() as s3:
                    assert mediator.call("POST", f"{path}/complete").json["status"] == "stored"
                results["complete"] = figures(dynamo, s3)
                with metered() as dynamo, s3_metered() as s3:
                    assert mediator.call("GET", path).json["download_url"]
                results["download_link"] = figures(dynamo, s3)
                lying = mediator.call("POST", f"/v1/cases/{case_id}/attachments", declaration(PNG[:-1] + b"!")).json
                requests.post(lying["upload"]["url"], data=lying["upload"]["fields"], timeout=10,
                              files={"file": ("x.png", PNG, "image/png")})
                with metered() as dynamo, s3_metered() as s3:
                    completed = mediator.call("POST", f"/v1/cases/{case_id}/attachments/{lying['attachment_id']}"
                                                      "/complete").json
                assert completed["reason"] == "sha256_mismatch"
                results["complete_rejected"] = figures(dynamo, s3)
    results["file_bytes"] = len(PNG)
    results["note"] = ("moto in-process, as the case's mediator (a staff token: no partner key or nonce look-up), "
                       "steady state; create: Get case + 1 TransactWrite (record, place of the limit, event), no S3 "
                       "call (the POST is presigned locally); complete: Get case + Get record + 1 TransactWrite "
                       "(outcome, event), S3 GetObject (streamed through SHA-256), CopyObject (if-match the ETag "
                       "read), DeleteObject of the upload; download link: Get case + Get record + Put event, no "
                       "S3 call; a rejected complete: no copy, the place given back in the same TransactWrite")
    return results


def main() -> None:
    results = run()
    print(json.dumps(results, ensure_ascii=False, indent=1))
    merge_results({"attachments": results})


if __name__ == "__main__":
    main()
