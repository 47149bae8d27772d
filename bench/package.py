"""Deployment package size and cold import time of app.py.

    python bench/package.py            # from the project root, in the dev virtualenv

Builds the Lambda package exactly as infra deploys it (`chalice package` with
infra's packaging settings: dependencies in Chalice's managed layer, then
bytecode added, see infra/hewei_infra/packaging.py), then:

- package: zipped and unzipped bytes of the function zip and the layer zip,
  and the largest top-level entries;
- sms_layers: the SMS layer of each mainland provider (packaging.build_sms_layer),
  zipped and unzipped, and what it left out;
- per_function: what each function deploys (the function zip, which every function
  shares, and its layers), zipped and unzipped, for an sns stage and for an aliyun and
  a tencent stage, where send_notifications alone also has the SMS layer;
- cold_import: each Lambda function's cold import (`import app` with its
  `_HANDLER`) against the floor (boto3, PynamoDB, Chalice's runtime), all
  sampled together, fresh interpreter each, median of `--runs` (bench/cold_import.py):
  - `lambda_package`: the extracted function zip and layer only (`python -S`,
    so nothing from the virtualenv leaks in; `-B`, since Lambda cannot write
    .pyc files into its read-only /var/task and /opt);
  - `lambda_package_without_bytecode`: the API function and the floor with the
    .pyc files removed, what a plain `chalice package` deploys (every module
    compiled at each cold start).

Merges both under "package" and "cold_import" into bench/results.json
(read-modify-write: other scripts own the other keys). Needs the package
registry (Chalice downloads Lambda wheels) unless .chalice/deployments/ holds
the layer for the current requirements.txt. Makes no AWS call.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "infra")]

from bench.cold_import import measure as measure_functions  # noqa: E402
from bench.results import merge_results  # noqa: E402
from hewei_infra.packaging import (  # noqa: E402
    LAMBDA_PYTHON, PACKAGE_CONFIG, SMS_LAYER_REQUIREMENTS, build_sms_layer, exclusive_packaging, precompile_package)

LAYER_PREFIX = f"python/lib/python{LAMBDA_PYTHON}/site-packages/"
PACKAGE_STAGE = "dev"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HEWEI_", "PYTHON"))}
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true",
               HEWEI_STAGE=PACKAGE_STAGE, HEWEI_RESOURCE_PREFIX=f"hewei-{PACKAGE_STAGE}-")
    env.update(extra)
    return env


def build_package(outdir: Path) -> dict:
    """`chalice package` in a fresh interpreter (it imports app.py, whose names depend on the stage);
    returns what the layer's pruning removed, by rule (see packaging.prune_layer)."""
    script = (
        "import json, sys\n"
        "from chalice.api import package_app\n"
        "config = json.loads(sys.argv[2])\n"
        f"package_app(project_dir={str(ROOT)!r}, output_dir=sys.argv[1], stage={PACKAGE_STAGE!r}, chalice_config=config)\n"
    )
    config = {**PACKAGE_CONFIG, "manage_iam_role": False,
              "iam_role_arn": "arn:aws:iam::123456789012:role/bench-placeholder"}
    with exclusive_packaging(ROOT):  # as infra's PrecompiledChalice does
        subprocess.run([sys.executable, "-c", script, str(outdir), json.dumps(config)], cwd=outdir.parent,
                       env=clean_env(AWS_DEFAULT_REGION="us-east-1"), check=True, stdout=subprocess.DEVNULL)
        return precompile_package(outdir, ROOT)


def zip_stats(path: Path, prefix: str = "", largest_count: int = 8) -> dict:
    sizes: dict[str, list[int]] = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name = info.filename[len(prefix):] if info.filename.startswith(prefix) else info.filename
            top = name.split("/")[0]
            entry = sizes.setdefault(top, [0, 0])
            entry[0] += info.file_size
            entry[1] += info.compress_size
    largest = sorted(sizes.items(), key=lambda kv: kv[1][0], reverse=True)[:largest_count]
    return {
        "zip_bytes": path.stat().st_size,
        "unzipped_bytes": sum(v[0] for v in sizes.values()),
        "largest_unzipped": [{"name": k, "unzipped_bytes": v[0], "zipped_bytes": v[1]} for k, v in largest],
    }


def print_layer_table(layer: dict) -> None:
    """The layer per package, and what its pruning removed (before bytecode), on stderr."""
    mb = 1e6
    print(f"layer: {layer['zip_bytes'] / mb:.2f} MB zipped, {layer['unzipped_bytes'] / mb:.2f} MB unzipped",
          file=sys.stderr)
    for entry in layer["largest_unzipped"]:
        print(f"  {entry['name']:48} {entry['unzipped_bytes'] / mb:7.2f} {entry['zipped_bytes'] / mb:6.2f}",
              file=sys.stderr)
    print("pruned (as Chalice zipped them, before bytecode):", file=sys.stderr)
    for entry in layer["pruned"]:
        print(f"  {entry['files']:6} files {entry['unzipped_bytes'] / mb:7.2f} {entry['zipped_bytes'] / mb:6.2f}"
              f"  {entry['rule'][:70]}", file=sys.stderr)


SMS_FUNCTION = "send_notifications"
"""The one function that sends SMS, and so the one with the SMS layer on a mainland stage."""


def build_sms_layers(package_dir: Path) -> dict[str, dict]:
    """Each mainland provider's SMS layer beside the package's main layer: sizes and what it left out."""
    layers = {}
    for provider in sorted(SMS_LAYER_REQUIREMENTS):
        output = package_dir / f"sms-layer-{provider}.zip"
        with exclusive_packaging(ROOT):
            left_out = build_sms_layer(provider, ROOT, package_dir / "layer-deployment.zip", output)
        layers[provider] = {**zip_stats(output, LAYER_PREFIX, largest_count=10), "requirements": SMS_LAYER_REQUIREMENTS[provider],
                            "left_out_as_in_the_main_layer": left_out["shared"],
                            "pruned_files": sum(t["files"] for t in left_out["pruned"].values())}
    return layers


def per_function_sizes(functions: list[str], function: dict, layer: dict | None, sms_layers: dict) -> dict:
    """stage kind → function → zipped and unzipped bytes of its zip and layers (what Lambda limits)."""
    stages = {}
    for kind in ("sns", *sorted(sms_layers)):
        rows = {}
        for name in functions:
            parts = [function] + ([layer] if layer else []) + ([sms_layers[kind]] if kind != "sns" and name == SMS_FUNCTION else [])
            rows[name] = {"layers": len(parts) - 1, "zip_bytes": sum(p["zip_bytes"] for p in parts),
                          "unzipped_bytes": sum(p["unzipped_bytes"] for p in parts)}
        stages[kind] = rows
    return stages


def print_per_function_table(sms_layers: dict, stages: dict) -> None:
    mb = 1e6
    for provider, stats in sms_layers.items():
        print(f"SMS layer {provider}: {stats['zip_bytes'] / mb:.2f} MB zipped, {stats['unzipped_bytes'] / mb:.2f} MB "
              f"unzipped", file=sys.stderr)
    kinds = list(stages)
    print(f"{'function (zip + layers), MB zipped / unzipped':48}" + "".join(f"{k:>18}" for k in kinds), file=sys.stderr)
    for name in stages["sns"]:
        cells = [f"{stages[k][name]['zip_bytes'] / mb:7.2f} / {stages[k][name]['unzipped_bytes'] / mb:6.2f}" for k in kinds]
        print(f"  {name:46}" + "".join(f"{c:>18}" for c in cells), file=sys.stderr)


def extract(package_dir: Path, target: Path) -> tuple[Path, Path]:
    task, opt = target / "task", target / "opt"
    with zipfile.ZipFile(package_dir / "deployment.zip") as archive:
        archive.extractall(task)
    layer = package_dir / "layer-deployment.zip"
    if layer.exists():
        with zipfile.ZipFile(layer) as archive:
            archive.extractall(opt)
    return task, opt / LAYER_PREFIX


def lambda_python() -> str:
    if f"{sys.version_info.major}.{sys.version_info.minor}" == LAMBDA_PYTHON:
        return sys.executable
    return f"python{LAMBDA_PYTHON}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="interpreters per measurement (median)")
    parser.add_argument("--dry-run", action="store_true", help="print, do not write bench/results.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hewei-bench-") as tmp:
        package_dir = Path(tmp) / "package"
        pruned = build_package(package_dir)
        function = zip_stats(package_dir / "deployment.zip")
        layer_zip = package_dir / "layer-deployment.zip"
        layer = zip_stats(layer_zip, LAYER_PREFIX, largest_count=15) if layer_zip.exists() else None
        if layer:
            layer["pruned"] = [{"rule": reason, **totals} for reason, totals in
                               sorted(pruned.items(), key=lambda kv: kv[1]["zipped_bytes"], reverse=True)]
            print_layer_table(layer)
        sms_layers = build_sms_layers(package_dir) if layer else {}
        functions = ["api_handler", *lambda_functions()]
        stages = per_function_sizes(functions, function, layer, sms_layers)
        print_per_function_table(sms_layers, stages)
        package = {
            "function": function,
            "layer": layer,
            "total_zip_bytes": function["zip_bytes"] + (layer["zip_bytes"] if layer else 0),
            "total_unzipped_bytes": function["unzipped_bytes"] + (layer["unzipped_bytes"] if layer else 0),
            "lambda_limit_unzipped_bytes": 262_144_000,
            "automatic_layer": PACKAGE_CONFIG["automatic_layer"],
            "sms_layers": sms_layers,
            "per_function": {"how": "the function zip (one for every function) + its layers; on an aliyun or "
                                    f"tencent stage {SMS_FUNCTION} alone also has the SMS layer", **stages},
        }

        task, site = extract(package_dir, Path(tmp) / "lambda")
        lambda_env = clean_env(HEWEI_SECRET_KEY="bench-only-key", HEWEI_JWT_SECRET="bench-only-jwt")
        python = [lambda_python(), "-S", "-B"]
        paths = [str(task), str(site)]
        in_package = measure_functions(python, paths, task, lambda_env, functions, args.runs)
        for pyc in list(task.rglob("*.pyc")) + list(site.rglob("*.pyc")):
            pyc.unlink()
        without_bytecode = measure_functions(python, paths, task, lambda_env, ["api_handler"], max(3, args.runs // 2))

    measured = {"measured_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "python": platform.python_version(), "machine": f"{platform.machine()}, {os.cpu_count()} CPUs"}
    update = {
        "package": {**package, **measured},
        "cold_import": {
            "ratio_to_floor": in_package["ratio_to_floor"],
            "lambda_package": {**in_package, "how": "extracted function zip + layer as deployed (with .pyc), "
                                                   "python -S -B, a fresh interpreter per sample, each function "
                                                   "with its _HANDLER, samples of all interleaved, median"},
            "lambda_package_without_bytecode": {**without_bytecode, "how": "the same without .pyc files: what "
                                                                           "plain `chalice package` ships"},
            **measured,
        },
    }
    print(json.dumps(update, indent=2, ensure_ascii=False))
    if not args.dry_run:
        merge_results(update)


def lambda_functions() -> list[str]:
    """The queue and schedule functions Chalice makes of app.py (the API's is `api_handler`)."""
    script = "import json, app; print(json.dumps([source.name for source in app.app.event_sources]))"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=clean_env(), capture_output=True,
                            text=True, check=True, timeout=120)
    return json.loads(result.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
