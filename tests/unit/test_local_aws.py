"""devstack/aws.py: the local stack serves DynamoDB calls one at a time, and nothing else."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from devstack.aws import DynamoDBIsolation


class SlowApp:
    """A WSGI app that takes a while and records how many requests it serves at once."""

    def __init__(self) -> None:
        self.inside = 0
        self.most_inside = 0
        self._count = threading.Lock()

    def __call__(self, environ, start_response):
        with self._count:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
        time.sleep(0.05)
        with self._count:
            self.inside -= 1
        start_response("200 OK", [])
        return [b"{}"]


def serve_at_once(target: str, count: int = 6) -> int:
    app = SlowApp()
    isolated = DynamoDBIsolation(app)
    environ = {"HTTP_X_AMZ_TARGET": target} if target else {}
    with ThreadPoolExecutor(count) as pool:
        bodies = list(pool.map(lambda _: b"".join(isolated(dict(environ), lambda *a: None)), range(count)))
    assert bodies == [b"{}"] * count
    return app.most_inside


def test_dynamodb_calls_are_served_one_at_a_time():
    assert serve_at_once("DynamoDB_20120810.TransactWriteItems") == 1


def test_other_services_are_not_held_up():
    assert serve_at_once("AmazonSQS.ReceiveMessage") > 1
    assert serve_at_once("") > 1  # SNS and SQS query-protocol calls carry no target header


# ------------------------------------------------------------ transactions' rollback by item


def _table():
    import boto3

    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(TableName="rollback", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "S"}])
    client.put_item(TableName="rollback", Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "n": {"N": "1"}})
    return client


def _items(client) -> list[dict]:
    return sorted(client.scan(TableName="rollback")["Items"], key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


def test_a_cancelled_transaction_leaves_every_item_as_it_was_without_copying_the_table():
    import pytest
    from moto import mock_aws
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from devstack import aws

    with mock_aws():
        aws.install_item_rollback()
        client = _table()
        before = _items(client)

        tables = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables
        table = tables["rollback"]
        for failing in (
            {"ConditionCheck": {"TableName": "rollback", "Key": {"pk": {"S": "z"}, "sk": {"S": "9"}},
                                "ConditionExpression": "attribute_exists(pk)"}},  # a condition that fails
            {"Update": {"TableName": "rollback", "Key": {"pk": {"S": "z"}, "sk": {"S": "9"}},
                        "UpdateExpression": "SET n = n + :one",  # n is absent: fails midway
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        ):
            with pytest.raises(client.exceptions.ClientError):
                client.transact_write_items(TransactItems=[
                    {"Update": {"TableName": "rollback", "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                                "UpdateExpression": "SET n = :two", "ExpressionAttributeValues": {":two": {"N": "2"}}}},
                    {"Put": {"TableName": "rollback", "Item": {"pk": {"S": "b"}, "sk": {"S": "1"}}}},
                    {"Put": {"TableName": "rollback", "Item": {"pk": {"S": "a"}, "sk": {"S": "2"}}}},
                    failing,
                ])
            assert _items(client) == before
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": "rollback", "Item": {"pk": {"S": "b"}, "sk": {"S": "1"}}}}])
        assert len(_items(client)) == 2
        assert tables["rollback"] is table  # moto's own rollback puts back a deep copy of the whole table
