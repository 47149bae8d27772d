"""Cold import of each Lambda function against the floor, measured together in one run.

Every function Chalice makes of `app.py` loads the same module; Lambda names the handler it
loads in `_HANDLER` (`app.app` for the API, `app.route_cases`... for the others), and
`app.py` imports the routes only for the API (`chalicelib.config.serves_http`). So each
function's cold import is `import app` in a fresh interpreter with its `_HANDLER` set.

The floor is what every function imports anyway: boto3, PynamoDB's models and connection,
and Chalice's runtime (`chalice.app`, shipped in the function zip). The figure asked for is
each function's median over the floor's median, the samples of all of them interleaved
(one sample of each, then the next round), so that the machine's load falls on all alike.

Each function is also timed with its first use: `import app`, then what its first event
builds (the use case from `wiring`, and for the API the intake's request model validating a
body). That shows what a lazy import moved to the first event instead of saving.
"""

from __future__ import annotations

import json
import statistics
import subprocess
from pathlib import Path

FLOOR_MODULES = ("boto3", "pynamodb.models", "pynamodb.connection", "chalice.app")

FIRST_USE = {
    "api_handler": ("authenticator", "intake"),
    "route_cases": ("routing",),
    "send_notifications": ("notifier",),
    "deliver_callbacks": ("callbacks",),
    "continue_sweeps": ("supervision", "return_visits", "report_sweep", "retention"),
    "write_exports": ("ledger",),
    "supervision_sweep": ("supervision", "report_sweep"),
    "return_visit_sweep": ("return_visits",),
    "retention_sweep": ("retention",),
}
"""Each function's first event: the wiring parts its handler uses (`app.py`)."""

SAMPLE_BODY = json.dumps({
    "external_ref": "COLD-1", "title": "楼上漏水", "description": "多次协商未果", "region_code": "320509102001",
    "parties": [{"role": "applicant", "name": "张三", "phone": "13812345678"}]}, ensure_ascii=False)


def handler_of(function: str) -> str:
    """Lambda's `_HANDLER` for a function Chalice makes of app.py."""
    return "app.app" if function == "api_handler" else f"app.{function}"


def probe(paths: list[str], function: str | None, first_use: bool) -> str:
    """A script that prints the milliseconds its imports took (and the first use's, if asked)."""
    lines = ["import sys, time", f"sys.path[:0] = {paths!r}", "start = time.perf_counter()"]
    if function is None:
        lines.append("import " + ", ".join(FLOOR_MODULES))
    else:
        lines.append("import app")
        if first_use:
            lines.append("container = app.wiring.current()")
            lines += [f"container.{part}" for part in FIRST_USE[function]]
            if function == "api_handler":
                lines += ["from chalicelib.services.commands import NewCase",
                          f"NewCase.model_validate_json({SAMPLE_BODY!r})"]
    lines.append("print((time.perf_counter() - start) * 1000)")
    return "\n".join(lines)


def sample(python: list[str], script: str, cwd: Path, env: dict[str, str]) -> float:
    result = subprocess.run([*python, "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    return float(result.stdout.strip().splitlines()[-1])


def measure(python: list[str], paths: list[str], cwd: Path, env: dict[str, str], functions: list[str],
            runs: int) -> dict:
    """{"floor_ms", "functions": {name: {"import_ms", "ratio_to_floor", "with_first_use_ms"}}, "ratio_to_floor"}."""
    targets = [("floor", None, False)] + [(f, f, False) for f in functions] + [(f + "+use", f, True) for f in functions]
    samples: dict[str, list[float]] = {name: [] for name, _, _ in targets}
    for _ in range(runs):
        for name, function, first_use in targets:
            run_env = dict(env)
            if function is not None:
                run_env["_HANDLER"] = handler_of(function)
            samples[name].append(sample(python, probe(paths, function, first_use), cwd, run_env))
    median = {name: statistics.median(values) for name, values in samples.items()}
    floor = median["floor"]
    per_function = {f: {"import_ms": round(median[f], 1), "ratio_to_floor": round(median[f] / floor, 2),
                        "with_first_use_ms": round(median[f + "+use"], 1),
                        "with_first_use_ratio": round(median[f + "+use"] / floor, 2)} for f in functions}
    return {"floor_ms": round(floor, 1), "floor_modules": list(FLOOR_MODULES), "runs": runs,
            "functions": per_function, "ratio_to_floor": {f: v["ratio_to_floor"] for f, v in per_function.items()}}
