"""devstack/state.py on moto: a snapshot brings back tables, queued messages, SMS and files."""

from __future__ import annotations

import boto3
import pytest

from chalicelib.config import exports_bucket, queue_name
from devstack.state import LocalState, StateError, dumps
from tests.support import drain, new_case_body, sms_sent


def queued(role: str) -> int:
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=queue_name(role))["QueueUrl"]
    return int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"]["ApproximateNumberOfMessages"])


def forget_everything() -> None:
    from moto.core.base_backend import BackendDict

    BackendDict.reset()


def test_a_snapshot_restores_what_moto_forgot(admin, partner, tmp_path):
    created = partner.call("POST", "/v1/cases", new_case_body("12345-snapshot-1"))
    assert created.status == 201, created
    case_id = created.json["case_id"]
    boto3.client("sns").publish(PhoneNumber="+8613900000001", Message="快照短信")
    boto3.client("s3").put_object(Bucket=exports_bucket(), Key="ledger/kept.csv", Body="序号\n1\n".encode())
    case = admin.call("GET", f"/v1/cases/{case_id}").json
    events = admin.call("GET", f"/v1/cases/{case_id}/events").json
    routing_queued = queued("routing")
    assert routing_queued >= 1  # the new case waits for the router

    state = LocalState(tmp_path / "aws-state.pickle")
    state.save(state.snapshot({"secret_key": "kept-key"}))
    forget_everything()
    assert boto3.client("dynamodb").list_tables()["TableNames"] == []
    assert ("+8613900000001", "快照短信") not in sms_sent()

    restored = state.load()
    assert restored is not None and restored.settings == {"secret_key": "kept-key"}
    assert admin.call("GET", f"/v1/cases/{case_id}").json == case
    assert admin.call("GET", f"/v1/cases/{case_id}/events").json == events
    assert ("+8613900000001", "快照短信") in sms_sent()
    assert boto3.client("s3").get_object(Bucket=exports_bucket(), Key="ledger/kept.csv")["Body"].read() == (
        "序号\n1\n".encode())
    assert queued("routing") == routing_queued
    assert drain("routing", "route_cases") >= 1  # the restored queue works: its locks are new ones
    assert admin.call("GET", f"/v1/cases/{case_id}").json["status"] == "dispatched"


def test_no_file_is_a_fresh_start(tmp_path):
    assert LocalState(tmp_path / "aws-state.pickle").load() is None


def test_an_unreadable_file_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "aws-state.pickle"
    path.write_bytes(b"not a pickle")
    with pytest.raises(StateError, match="make reset"):
        LocalState(path).load()


def test_a_snapshot_of_another_moto_version_is_refused(tmp_path):
    path = tmp_path / "aws-state.pickle"
    path.write_bytes(dumps({"format": 1, "moto": "0.0.1", "saved_at": 0.0, "settings": {}, "backends": {}}))
    with pytest.raises(StateError, match="moto 0.0.1"):
        LocalState(path).load()
