"""Create the service's tables, queues and buckets (exports, attachments) from their one definition.

Used by the local stack and by the integration tests; infra declares the
same resources for the cloud (and a test compares the two).
"""

from __future__ import annotations

import json

import boto3

from ..config import QUEUE_SUFFIXES, attachments_bucket, exports_bucket, queue_name
from .models import ALL_MODELS, TTL_ATTRIBUTES

DLQ_MAX_RECEIVE_COUNT = 5
"""Deliveries of a message before SQS moves it to the dead-letter queue."""

QUEUE_VISIBILITY_SECONDS = {"routing": 60, "notify": 60, "callbacks": 60, "sweeps": 900, "exports": 3600}
"""The local stack's visibility timeouts; each is above its worker's time (the exports worker
runs up to 600 s, and its 3600 s is what infra gives it: 6 × that timeout)."""


def dead_letter_queue_name(role: str) -> str:
    return queue_name(f"{role}-dlq")


def create_tables() -> None:
    """Create every table that does not exist yet (idempotent)."""
    client = None
    for model in ALL_MODELS:
        if not model.exists():
            model.create_table(wait=True)
        else:
            client = client or boto3.client("dynamodb")
            add_missing_indexes(client, model)
        attribute = TTL_ATTRIBUTES.get(model)
        if attribute:
            client = client or boto3.client("dynamodb")
            client.update_time_to_live(
                TableName=model.Meta.table_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute},
            )


def add_missing_indexes(client, model) -> list[str]:
    """Create the global secondary indexes a model declares that its existing table lacks (a
    local stack's data kept from before an index was added); their names. DynamoDB backfills
    a new index from the items already there."""
    schema = model._get_schema()
    table = client.describe_table(TableName=model.Meta.table_name)["Table"]
    present = {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])}
    added = []
    for index in schema.get("global_secondary_indexes", []):
        if index["index_name"] in present:
            continue
        names = {key["AttributeName"] for key in index["key_schema"]}
        client.update_table(
            TableName=model.Meta.table_name,
            AttributeDefinitions=[a for a in schema["attribute_definitions"] if a["AttributeName"] in names],
            GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": index["index_name"],
                                                     "KeySchema": index["key_schema"],
                                                     "Projection": index["projection"]}}])
        added.append(index["index_name"])
    return added


def create_queues() -> dict[str, str]:
    """Create every queue with its dead-letter queue; return their URLs by role."""
    sqs = boto3.client("sqs")
    urls: dict[str, str] = {}
    for role in QUEUE_SUFFIXES:
        dlq_url = sqs.create_queue(QueueName=dead_letter_queue_name(role))["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        urls[role] = sqs.create_queue(
            QueueName=queue_name(role),
            Attributes={
                "VisibilityTimeout": str(QUEUE_VISIBILITY_SECONDS[role]),
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(DLQ_MAX_RECEIVE_COUNT)}
                ),
            },
        )["QueueUrl"]
        urls[f"{role}-dlq"] = dlq_url
    return urls


def create_buckets() -> None:
    """Create the exports and attachments buckets that do not exist (idempotent)."""
    s3 = boto3.client("s3")
    region = s3.meta.region_name
    options = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    for bucket in (exports_bucket(), attachments_bucket()):
        try:
            s3.create_bucket(Bucket=bucket, **options)
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass


def create_all() -> dict[str, str]:
    create_tables()
    create_buckets()
    return create_queues()
