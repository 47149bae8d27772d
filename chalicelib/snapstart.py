"""Lambda SnapStart (快照启动): what a snapshot of the API's init phase may keep, and what it may not.

With SnapStart (prod's API function only, see infra), Lambda runs the init phase of a version once,
when the version is published, snapshots the memory and disk, and starts every new execution
environment of that version by restoring the snapshot instead of running init again. Whatever init
left in memory is then shared by every environment restored from it, for as long as the version
lives, so it must hold nothing that has to be unique, fresh or private to one environment:

- AWS clients and their connections (the SNS and SQS clients of `adapters.sms`/`adapters.queues`,
  every PynamoDB model's connection, the container's stores and buckets, boto3's default session):
  their sockets belong to the environment that was snapshotted and their credentials expire;
- the state of `random` (the jitter of `adapters.transactions`): every restored environment would
  draw the same numbers and retry in lockstep. `secrets`, `uuid.uuid4` and `os.urandom` read the
  system's entropy at each call and need nothing;
- anything cached against a clock (the calendar store's cache runs on `time.monotonic`, PyJWT's key
  set client on the time of its fetch), and the settings, with the secrets they carry. The secrets
  reach the functions as environment variables resolved by CloudFormation at deployment: nothing
  is fetched from Secrets Manager at run time, but anything that ever is belongs in the container,
  which `after_restore` drops.

`install(prime, reset)` registers the two hooks with the runtime's `snapshot_restore_py` library
(Lambda's Python runtimes from 3.12 include it; it is not in requirements.txt), and does nothing
where the library is missing (locally, in tests). Where it is importable but the function has no
SnapStart (the queue and schedule functions, other stages) the hooks are registered and never run.
"""

from __future__ import annotations

import importlib
import random
from typing import Callable

RUNTIME_HOOKS = "snapshot_restore_py"
"""The runtime's hook library (PyPI: snapshot-restore-py): `register_before_snapshot(fn)` and
`register_after_restore(fn)` only record the functions; Lambda calls them around a snapshot."""

PRIMED_MODULES = (
    "jwt",  # staff tokens (adapters.tokens)
    "docxtpl", "jinja2.sandbox",  # the agreement document (adapters.agreement_docx)
    "chalicelib.adapters.ledger_files", "chalicelib.adapters.analysis_workbook",  # openpyxl
    "aws_lambda_powertools.metrics",
)
"""Libraries the code imports on first use (to keep every function's plain cold start short):
with SnapStart the init phase is on nobody's request, so the snapshot may as well hold them."""

API_MODULES = ("chalicelib.api.schemas", "chalicelib.api.openapi", "chalicelib.api.openapi_examples")
"""/openapi.json's, on top of every route module and request model (`api.service.load_all`)."""


def install(prime: Callable[[], object], reset: Callable[[], object]) -> bool:
    """Register `prime` to run before the snapshot and `reset` after every restore; True if the
    runtime's hook library is there to take them, False (and nothing registered) otherwise."""
    try:
        hooks = importlib.import_module(RUNTIME_HOOKS)
    except ImportError:
        return False
    hooks.register_before_snapshot(prime)
    hooks.register_after_restore(reset)
    return True


def before_snapshot() -> None:
    """Load what a request would load on first use (in the API function: every route module and
    request model, `api.service.load_all`), then drop every client and cache the init phase may
    have built, so the snapshot holds neither connections nor credentials."""
    from .config import serves_http

    modules = PRIMED_MODULES
    if serves_http():
        from .api.service import load_all

        load_all()
        modules += API_MODULES
    for name in modules:
        importlib.import_module(name)
    from .adapters.xlsx_reader import _openpyxl

    _openpyxl()  # openpyxl itself, and its check that it parses through defusedxml
    forget_clients()


def after_restore() -> None:
    """In a restored environment, before its first request: fresh clients, settings and caches
    (a new container), and `random` seeded from this environment's entropy."""
    forget_clients()
    random.seed()


def forget_clients() -> None:
    """Drop every AWS client, connection and cached part, each built again at first use."""
    import boto3
    from pynamodb.models import Model

    from . import wiring
    from .adapters import queues, sms
    from .config import settings, sms_settings

    wiring.reset()
    settings.cache_clear()
    sms_settings.cache_clear()
    sms._sns.cache_clear()
    queues._sqs.cache_clear()  # queue_url's cache stays: a queue's URL never changes
    for model in _subclasses(Model):
        if model.__dict__.get("_connection") is not None:
            model._connection = None
    boto3.DEFAULT_SESSION = None


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found
