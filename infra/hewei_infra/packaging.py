"""How the Lambda code is packaged: shared by the stack and bench/package.py.

No CDK import here, so the benchmark can use it from the dev virtualenv.

`automatic_layer`: Chalice puts the dependencies (requirements.txt) into one
managed Lambda layer and the function zip holds only `app.py`, `chalicelib/`
and Chalice's runtime. The layer is cached in `.chalice/deployments/` under a
hash of requirements.txt alone (the plain package is keyed on the app's code
too), so a code change neither re-downloads the wheels at synth nor
re-uploads ~25 MB at deploy. It changes nothing at cold start: the same files
are read, from /opt instead of /var/task, and /opt comes before the runtime's
own boto3 on sys.path, so the pinned boto3/botocore are the ones imported.

`prune_layer`: the layer keeps only what runs (LAYER_PRUNE_RULES): botocore's
models of the AWS services the code calls (KEPT_AWS_SERVICES), no type stubs,
C headers, test suites, installer records, or the data of library parts never
imported. Then `add_bytecode`. Both rewrites are cached by content.

`build_sms_layer`: a mainland stage (HEWEI_SMS_PROVIDER aliyun or tencent) ships its
provider's SDK in a second layer, attached to `send_notifications` alone: the one
function that sends SMS. Built with pip for the Lambda platform from the provider's
requirements file, without what the main layer already has, pruned by the same rules,
with bytecode, cached by content in `.chalice/deployments/`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
from typing import NamedTuple

PACKAGE_CONFIG = {
    "automatic_layer": True,
    "api_gateway_stage": "api",
    # EDGE needs CloudFront and is not offered in every partition (not in the China regions).
    "api_gateway_endpoint_type": "REGIONAL",
    "xray": False,
}

LAMBDA_PYTHON = "3.13"


def deployments_dir(project_dir) -> str:
    """Chalice's cache of built packages, which the bytecode cache shares."""
    return os.path.join(project_dir, ".chalice", "deployments")


def precompile_package(package_dir, project_dir) -> dict:
    """`add_bytecode` to the zips `chalice package` wrote into `package_dir`: the function
    zip (small, and new at every code change: not cached) and the dependency layer, if any
    (~1,300 modules: cached by content beside Chalice's own cache), which is first pruned
    (`prune_layer`, cached the same way). Returns what the pruning removed, by rule."""
    add_bytecode(os.path.join(package_dir, "deployment.zip"))
    layer = os.path.join(package_dir, "layer-deployment.zip")
    if not os.path.exists(layer):
        return {}
    pruned = prune_layer(layer, cache_dir=deployments_dir(project_dir))
    add_bytecode(layer, cache_dir=deployments_dir(project_dir))
    return pruned


@contextlib.contextmanager
def exclusive_packaging(project_dir):
    """Hold the project's packaging lock for the duration of the block.

    Chalice writes its cached layer into `.chalice/deployments/` in place
    (open, write, close) and reuses it whenever the file exists, so two
    packagings at once (two synths, a synth beside `make bench-package`)
    can truncate it under each other and ship a zip with a hole in it. One
    packaging at a time, across processes: an advisory lock on a file in
    that directory, released when the block ends or the process dies.
    """
    directory = deployments_dir(project_dir)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, ".packaging.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def add_bytecode(zip_path, cache_dir=None) -> int:
    """Compile every .py of a Lambda zip into a .pyc beside it; returns how many.

    Lambda's /var/task and /opt are read-only and Chalice ships no bytecode
    of its own, so without this every cold start compiles each imported
    module from source (measured: about 2/3 of the import time of app.py).
    The files are "unchecked-hash" pycs (PEP 552): Python loads them without
    comparing timestamps, which a zip does not keep reliably. Only an
    interpreter of the same minor version uses them (the magic number must
    match); any other ignores them and compiles, as before. So this runs only
    when the building Python is the runtime's, as Chalice requires anyway.

    Any `__pycache__` the work tree had (Chalice zips chalicelib/ as it is)
    is replaced. The output is deterministic, so the asset hash, and with it
    the layer version, changes only when the code does. With `cache_dir`, a
    zip already compiled (same input bytes) is copied instead of rebuilt.
    """
    import hashlib
    import importlib.util
    import sys
    import zipfile
    from importlib._bootstrap_external import _code_to_hash_pyc  # the encoder py_compile uses

    if f"{sys.version_info.major}.{sys.version_info.minor}" != LAMBDA_PYTHON:
        return 0
    cached = None
    if cache_dir is not None:
        digest = hashlib.sha256(open(zip_path, "rb").read()).hexdigest()
        cached = os.path.join(cache_dir, f"bytecode-{digest}-{sys.implementation.cache_tag}.zip")
        if os.path.exists(cached):
            shutil.copyfile(cached, zip_path)
            return -1
    tmp = f"{zip_path}.tmp"
    added = 0
    with zipfile.ZipFile(zip_path) as source_zip, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source_zip.infolist():
            if "__pycache__/" in info.filename or info.filename.endswith(".pyc"):
                continue
            data = source_zip.read(info)
            out.writestr(info, data)
            if not info.filename.endswith(".py"):
                continue
            try:
                code = compile(data, info.filename, "exec", dont_inherit=True)
            except SyntaxError:  # a file for another Python version: left to behave as it would
                continue
            pyc = zipfile.ZipInfo(importlib.util.cache_from_source(info.filename), date_time=(1980, 1, 1, 0, 0, 0))
            pyc.compress_type = zipfile.ZIP_DEFLATED
            pyc.external_attr = 0o644 << 16
            out.writestr(pyc, _code_to_hash_pyc(code, importlib.util.source_hash(data), checked=False))
            added += 1
    os.replace(tmp, zip_path)
    if cached is not None:
        _keep(zip_path, cached, cache_dir)
    return added


def _keep(zip_path, cached, cache_dir) -> None:
    """Copy a rewritten zip into the cache: copied whole, then renamed, so that a reader never
    sees half a cache entry."""
    os.makedirs(cache_dir, exist_ok=True)
    shutil.copyfile(zip_path, f"{cached}.{os.getpid()}.tmp")
    os.replace(f"{cached}.{os.getpid()}.tmp", cached)


LAYER_SITE_PACKAGES = f"python/lib/python{LAMBDA_PYTHON}/site-packages/"
"""Where Chalice's managed layer puts the dependencies (Lambda adds it to sys.path)."""

KEPT_AWS_SERVICES = {
    "dynamodb": "every table, through PynamoDB's models (and the local stage's table bootstrap)",
    "s3": "attachments, dossiers, ledger exports: presigned posts and links, copies",
    "sqs": "the work queues (routing, callbacks, SMS, exports)",
    "sns": "SMS to parties and mediators",
    "sts": "botocore's credential chain (assume-role, web identity) creates it when so configured",
    "secretsmanager": "a mainland stage's SMS provider credentials (HEWEI_SMS_SECRET), read by Powertools' "
                      "get_secret, whose client is created inside the library",
}
"""The AWS services whose botocore model the layer keeps, and why; every other service's
model (~440 of them, 18 of botocore's 21 MB) is pruned. A client for a service missing here
fails in Lambda with UnknownServiceError: tests/infra/test_packaging.py checks that every
`client("...")` / `resource("...")` in chalicelib names a service listed here."""


class PruneRule(NamedTuple):
    pattern: str
    """A regular expression searched in a path relative to site-packages."""
    reason: str


def _kept_services_alternation() -> str:
    return "|".join(re.escape(name) for name in sorted(KEPT_AWS_SERVICES))


LAYER_PRUNE_RULES = (
    PruneRule(r"(^|/)__pycache__/|\.py[co]$",
              "bytecode of the machine that built the wheels: add_bytecode compiles its own"),
    PruneRule(r"^[^/]+\.dist-info/(?!METADATA$|entry_points\.txt$|licenses/|LICEN[CS]E|COPYING|NOTICE|AUTHORS)",
              "installer records (RECORD, WHEEL, INSTALLER, top_level.txt, SBOMs): METADATA stays for "
              "importlib.metadata.version(), entry_points.txt for entry_points() (pydantic's plugin "
              "look-up), and the licences"),
    PruneRule(r"\.pyi$|(^|/)py\.typed$", "type stubs and markers: read by type checkers, never imported"),
    PruneRule(r"^[^/]+/(.+/)?tests?/", "the libraries' own test suites"),
    PruneRule(r"\.(h|c|pyx|pxd|pxi)$|^lxml/includes/",
              "C and Cython sources and headers: for compiling against lxml, not for running it"),
    PruneRule(r"^phonenumbers/(geodata|carrierdata|tzdata)/",
              "phonenumbers' geocoder, carrier and time-zone data: Hewei only parses, validates and "
              "formats (what the phonenumberslite package ships)"),
    PruneRule(rf"^botocore/data/(?!(?:{_kept_services_alternation()})/)[^/]+/",
              "botocore's models of the AWS services Hewei never calls (KEPT_AWS_SERVICES are kept, "
              "and the top-level endpoints, partitions, retry and defaults files)"),
    PruneRule(rf"^boto3/data/(?!(?:{_kept_services_alternation()})/)[^/]+/",
              "boto3's resource models of those services"),
    PruneRule(r"^lxml/((objectify|sax|builder)\.|isoschematron/|html/)",
              "lxml's objectify, SAX, E-factory, ISO Schematron and HTML parts: python-docx, docxtpl "
              "and openpyxl use lxml.etree only"),
    PruneRule(r"^(cffi|pycparser)/",
              "cffi's Python package and its C parser: for building C bindings; cryptography's compiled "
              "module loads only _cffi_backend, which stays"),
    PruneRule(r"^pydantic/v1/",
              "pydantic's copy of its version 1 API: Hewei's models are version 2 (pydantic imports it "
              "only for a legacy type with __get_validators__, which Hewei has none of)"),
    PruneRule(r"^aws_lambda_powertools/event_handler/openapi/swagger_ui/",
              "Powertools' Swagger UI assets, for its own event handler: Hewei routes with Chalice and "
              "serves Redoc at /docs"),
)
"""What the Lambda layer does not ship, and why (first matching rule wins). The layer
otherwise holds exactly what `chalice package` put in it. Changing a rule changes the
cache key of the pruned layer, so the next packaging prunes again."""

_LAYER_PRUNE = [(re.compile(rule.pattern), rule) for rule in LAYER_PRUNE_RULES]


def pruned_by(path: str) -> PruneRule | None:
    """The rule that leaves `path` (relative to site-packages) out of the layer, if any."""
    for pattern, rule in _LAYER_PRUNE:
        if pattern.search(path):
            return rule
    return None


def prune_layer(zip_path, cache_dir=None) -> dict:
    """Rewrite a layer zip without what LAYER_PRUNE_RULES leave out; returns, per rule's
    reason, the files removed and their bytes as Chalice zipped them (unzipped and zipped).

    Entries outside site-packages are kept. Entries kept are copied as they were (same
    bytes, same metadata), so the output is deterministic. With `cache_dir`, a layer already
    pruned (same input bytes, same rules) is copied instead of rewritten.
    """
    import hashlib
    import zipfile

    removed: dict[str, dict[str, int]] = {}
    with zipfile.ZipFile(zip_path) as source_zip:
        plan = []
        for info in source_zip.infolist():
            name = info.filename
            rule = pruned_by(name[len(LAYER_SITE_PACKAGES):]) if name.startswith(LAYER_SITE_PACKAGES) else None
            plan.append((info, rule))
            if rule is not None:
                totals = removed.setdefault(rule.reason, {"files": 0, "unzipped_bytes": 0, "zipped_bytes": 0})
                totals["files"] += 1
                totals["unzipped_bytes"] += info.file_size
                totals["zipped_bytes"] += info.compress_size
    cached = None
    if cache_dir is not None:
        digest = hashlib.sha256(open(zip_path, "rb").read())
        digest.update(repr((LAYER_SITE_PACKAGES, LAYER_PRUNE_RULES)).encode())
        cached = os.path.join(cache_dir, f"pruned-{digest.hexdigest()}.zip")
        if os.path.exists(cached):
            shutil.copyfile(cached, zip_path)
            return removed
    tmp = f"{zip_path}.tmp"
    with zipfile.ZipFile(zip_path) as source_zip, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
        for info, rule in plan:
            if rule is None:
                out.writestr(info, source_zip.read(info))
    os.replace(tmp, zip_path)
    if cached is not None:
        _keep(zip_path, cached, cache_dir)
    return removed


# ------------------------------------------------------------------ the SMS layer

SMS_LAYER_REQUIREMENTS = {
    "aliyun": "requirements-sms-aliyun.txt",
    "tencent": "requirements-sms-tencent.txt",
}
"""Per mainland provider, the requirements file of its SMS layer (pinned with every dependency:
it is installed with --no-deps). Amazon SNS needs none: boto3 is in the main layer."""

SMS_LAYER_SDK_PACKAGES = {
    "aliyun": "alibabacloud_dysmsapi20170525",
    "tencent": "tencentcloud",
}
"""The top-level package each provider's adapter imports."""

LAMBDA_PLATFORMS = tuple(f"manylinux_2_{minor}_x86_64" for minor in range(17, 35)) + ("manylinux2014_x86_64",)
"""The wheel platforms Lambda's Python 3.13 runs (glibc 2.34, x86_64), as Chalice lists them for pip."""


def sms_layer_pip_command(requirements_file, target) -> list[str]:
    """pip, for the Lambda platform only (binary wheels, CPython 3.13, manylinux x86_64), as Chalice
    downloads the main layer's wheels; --no-deps: the requirements file pins the whole tree."""
    import sys

    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
               "--no-deps", "--only-binary=:all:", "--implementation", "cp", "--python-version", LAMBDA_PYTHON,
               "--target", str(target), "-r", str(requirements_file)]
    for platform in LAMBDA_PLATFORMS:
        command += ["--platform", platform]
    return command


def _distribution_name(entry: str) -> str | None:
    """`requests-2.34.2.dist-info` → `requests` (normalised as PEP 503 does); None for a package."""
    if not entry.endswith(".dist-info"):
        return None
    return re.sub(r"[-_.]+", "-", entry[: -len(".dist-info")].rsplit("-", 1)[0]).lower()


def layer_top_level(zip_path) -> set[str]:
    """The top-level entries of a layer's site-packages (`botocore`, `six.py`, dist-info directories)."""
    import zipfile

    with zipfile.ZipFile(zip_path) as archive:
        return {name[len(LAYER_SITE_PACKAGES):].split("/")[0] for name in archive.namelist()
                if name.startswith(LAYER_SITE_PACKAGES) and len(name) > len(LAYER_SITE_PACKAGES)}


def build_sms_layer(provider, project_dir, main_layer, output) -> dict:
    """Write the SMS layer of `provider` to `output`; returns what it left out (`shared`: top-level
    entries the main layer `main_layer` already has, which Python finds there, and `pruned`: files
    by rule, as `prune_layer` counts them).

    Cached by content in `.chalice/deployments/`: the requirements file, the main layer's top-level
    entries, the pruning rules, the platforms and the Python; a hit copies the zip (no pip).
    """
    import hashlib
    import json
    import subprocess
    import sys
    import tempfile
    import zipfile

    if provider not in SMS_LAYER_REQUIREMENTS:
        raise ValueError(f"no SMS layer for provider {provider!r}: one of {sorted(SMS_LAYER_REQUIREMENTS)}")
    requirements = os.path.join(project_dir, SMS_LAYER_REQUIREMENTS[provider])
    shared_names = layer_top_level(main_layer)
    shared_distributions = {_distribution_name(e) for e in shared_names} - {None}
    cache_dir = deployments_dir(project_dir)
    digest = hashlib.sha256(open(requirements, "rb").read())
    digest.update(repr((sorted(shared_names), LAYER_SITE_PACKAGES, LAYER_PRUNE_RULES, LAMBDA_PLATFORMS,
                        sys.implementation.cache_tag)).encode())
    cached = os.path.join(cache_dir, f"sms-layer-{provider}-{digest.hexdigest()}.zip")
    report = f"{cached}.json"
    if os.path.exists(cached) and os.path.exists(report):
        shutil.copyfile(cached, output)
        return json.loads(open(report).read())
    left_out: dict = {"shared": [], "pruned": {}}
    with tempfile.TemporaryDirectory(prefix="hewei-sms-layer-") as tmp:
        target = os.path.join(tmp, "site-packages")
        subprocess.run(sms_layer_pip_command(requirements, target), check=True)
        entries = []
        for directory, subdirectories, files in os.walk(target):
            subdirectories.sort()
            for name in sorted(files):
                path = os.path.join(directory, name)
                entries.append((os.path.relpath(path, target).replace(os.sep, "/"), path))
        unzipped = f"{output}.tmp"
        with zipfile.ZipFile(unzipped, "w", zipfile.ZIP_DEFLATED) as out:
            for relative, path in sorted(entries):
                top = relative.split("/")[0]
                if top == "bin":  # console scripts pip writes beside the packages: nothing imports them
                    continue
                if top in shared_names or _distribution_name(top) in shared_distributions:
                    if top not in left_out["shared"]:
                        left_out["shared"].append(top)
                    continue
                rule = pruned_by(relative)
                info = zipfile.ZipInfo(LAYER_SITE_PACKAGES + relative, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o755 << 16 if os.access(path, os.X_OK) else 0o644 << 16
                data = open(path, "rb").read()
                if rule is not None:
                    totals = left_out["pruned"].setdefault(rule.reason, {"files": 0, "unzipped_bytes": 0})
                    totals["files"] += 1
                    totals["unzipped_bytes"] += len(data)
                    continue
                out.writestr(info, data)
        add_bytecode(unzipped)
        os.replace(unzipped, output)
    _keep(output, cached, cache_dir)
    with open(f"{report}.{os.getpid()}.tmp", "w") as f:
        json.dump(left_out, f)
    os.replace(f"{report}.{os.getpid()}.tmp", report)
    return left_out
