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
