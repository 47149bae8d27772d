"""What `import app` (every Lambda's cold start) loads: none of the file libraries, which only the
routes and workers that write or read files import when they first need them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOADED_ON_USE = ("docxtpl", "docx", "lxml", "jinja2", "openpyxl")
"""The agreement document's (docxtpl, python-docx, lxml, Jinja2) and the ledgers' (openpyxl)."""


SMS_SDKS = ("alibabacloud_dysmsapi20170525", "darabonba", "Tea", "aiohttp", "tencentcloud", "requests",
            "chalicelib.adapters.sms_aliyun", "chalicelib.adapters.sms_tencent")
"""The mainland providers' SDKs and their senders: the notify function's first send loads its stage's."""


def loaded_after(imports: str, modules: tuple[str, ...]) -> list[str]:
    """Which of `modules` a fresh interpreter has loaded after `import <imports>`."""
    probe = f"import json, sys, {imports}; print(json.dumps([m for m in {list(modules)!r} if m in sys.modules]))"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_importing_the_app_loads_no_file_library():
    assert loaded_after("app", LOADED_ON_USE) == []


def test_importing_the_app_loads_no_sms_sdk():
    assert loaded_after("app", SMS_SDKS) == []


def test_the_probe_sees_an_sdk_once_its_sender_is_imported():
    assert loaded_after("app, chalicelib.adapters.sms_tencent", SMS_SDKS) == [
        "tencentcloud", "requests", "chalicelib.adapters.sms_tencent"]


def test_the_probe_would_see_a_library_imported():
    assert loaded_after("app, chalicelib.adapters.agreement_docx, docxtpl", ("docxtpl", "lxml")) == ["docxtpl", "lxml"]


def test_importing_the_app_builds_no_answer_schema():
    """The OpenAPI document's models, its examples and Redoc's bundle are loaded when first asked for."""
    probe = ("import json, sys, app; from chalicelib.api import docs; print(json.dumps([m for m in "
             "('chalicelib.api.schemas', 'chalicelib.api.openapi', 'chalicelib.api.openapi_examples') "
             "if m in sys.modules] + ([] if docs.bundle.cache_info().currsize == 0 else ['bundle'])))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


# ------------------------------------------------------------ per-function import graphs


def run_as(handler: str | None, code: str) -> str:
    """The last line `code` prints after `import app` in a fresh interpreter, as the Lambda
    function of `handler` (its `_HANDLER`; None: no Lambda, as `chalice local` and the tests)."""
    env = {k: v for k, v in os.environ.items() if k != "_HANDLER"}
    if handler is not None:
        env["_HANDLER"] = handler
    result = subprocess.run([sys.executable, "-c", f"import json, sys, app\n{code}"], cwd=ROOT,
                            env={**env, "HEWEI_STAGE": "local"}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip().splitlines()[-1]


def loaded_after_import(handler: str | None, *modules: str, then: str = "") -> list[str]:
    """Which of `modules` are loaded after `import app` (and `then`) as the function of `handler`."""
    return json.loads(run_as(handler, f"{then}\nprint(json.dumps([m for m in {list(modules)!r} if m in sys.modules]))"))


API_GRAPH = ("pydantic", "chalicelib.api.http", "chalicelib.api.routes", "chalicelib.services.commands",
             "chalicelib.domain.case", "phonenumbers")
"""What serving a request loads: the request models, the HTTP edge, the core routes, the domain."""


@pytest.mark.parametrize("handler", ["app.route_cases", "app.send_notifications", "app.deliver_callbacks",
                                     "app.supervision_sweep", "app.write_exports", "app.app", None])
def test_no_function_imports_the_api_or_the_domain_at_its_cold_start(handler):
    assert loaded_after_import(handler, *API_GRAPH) == []


def test_a_queue_function_knows_no_route_and_the_api_function_every_route():
    from chalicelib.api.route_table import ROUTES

    assert run_as("app.route_cases", "print(len(app.app.routes))") == "0"
    paths = {path for _, path, _, _ in ROUTES}
    assert int(run_as("app.app", "print(len(app.app.routes))")) == len(paths) > 60


def test_the_routing_worker_builds_its_use_case_without_the_http_edge():
    loaded = loaded_after_import("app.route_cases", *API_GRAPH, "openpyxl", "docx",
                                 then="app.wiring.current().routing")
    assert "chalicelib.api.http" not in loaded and "pydantic" not in loaded and "openpyxl" not in loaded
    assert "chalicelib.domain.case" in loaded  # the probe sees what the use case does load


def test_a_request_imports_its_route_module_only():
    then = ("from chalice.test import Client\n"
            "with Client(app.app, stage_name='local') as client: client.http.get('/console/')")
    loaded = loaded_after_import(None, "chalicelib.api.console", "chalicelib.api.ledger", "chalicelib.api.attachments",
                                 then=then)
    assert loaded == ["chalicelib.api.console"]


def test_the_route_table_is_what_the_route_modules_declare():
    """`route_table.ROUTES` is written from the modules (`python -m chalicelib.api.service`):
    a route added, renamed or moved without rewriting it fails here."""
    probe = ("import json\nfrom chalicelib.api.service import declared_routes\n"
             "from chalicelib.api.route_table import ROUTES\n"
             "print(json.dumps([list(r) for r in declared_routes()]))\nprint(json.dumps([list(r) for r in ROUTES]))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    declared, table = (json.loads(line) for line in result.stdout.strip().splitlines()[-2:])
    assert table == declared, "route_table.ROUTES is out of date: run `python -m chalicelib.api.service`"


def test_loading_everything_leaves_no_module_to_import_and_no_model_to_build():
    """What the API function does before a SnapStart snapshot (`service.load_all`)."""
    count = ("from chalicelib.api.registry import api\n"
             "def unbuilt(): return sum(1 for s in api.all_routes() for m in (s.body, s.query)"
             " if m is not None and not m.__pydantic_complete__)\n")
    before = run_as("app.app", count + "print(unbuilt())")
    after = run_as("app.app", count + "from chalicelib.api.service import load_all\nload_all()\nprint(unbuilt())")
    assert int(before) > 20 and int(after) == 0


@pytest.mark.parametrize(("handler", "serves"), [
    (None, True),  # no Lambda: chalice local, package, the tests
    ("app.app", True),
    ("app.route_cases", False),
    ("app.retention_sweep", False),
    ("datadog_lambda.handler.handler", True),  # a wrapper layer's: the routes, to be safe
])
def test_only_the_queue_and_schedule_functions_skip_the_routes(monkeypatch, handler, serves):
    from chalicelib.config import serves_http

    monkeypatch.delenv("_HANDLER", raising=False)
    if handler is not None:
        monkeypatch.setenv("_HANDLER", handler)
    assert serves_http() is serves


def test_a_module_whose_import_failed_can_register_its_routes_again():
    from chalicelib.api.http import Api

    api = Api(lambda *args: (None, None))

    def declare():
        @api.raw_route("/a")
        def a():
            return "a"

        @api.raw_route("/b")
        def b():
            return "b"

    declare()
    with pytest.raises(ValueError, match="two routes are named a"):
        declare()
    api.forget_module(__name__)
    declare()
    assert sorted(api.views) == ["a", "b"] and len(api.table) == 2


def test_the_api_function_registers_its_snapshot_hooks_and_the_others_none(tmp_path):
    """SnapStart's hooks (`snapstart.install`) are the API function's: a queue function has none."""
    (tmp_path / "snapshot_restore_py.py").write_text(
        "before, after = [], []\n"
        "def register_before_snapshot(f): before.append(f.__name__)\n"
        "def register_after_restore(f): after.append(f.__name__)\n")
    code = (f"sys.path.insert(0, {str(tmp_path)!r})\nimport importlib; importlib.reload(app)\n"
            "import snapshot_restore_py as hooks\nprint(json.dumps([hooks.before, hooks.after]))")
    assert json.loads(run_as("app.app", code)) == [["before_snapshot"], ["after_restore"]]
    assert json.loads(run_as("app.route_cases", code)) == [[], []]
