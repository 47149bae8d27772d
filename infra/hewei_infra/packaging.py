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
"""

from __future__ import annotations

import contextlib
import fcntl
import os

PACKAGE_CONFIG = {
    "automatic_layer": True,
    "api_gateway_stage": "api",
    # EDGE needs CloudFront and is not offered in every partition (not in the China regions).
    "api_gateway_endpoint_type": "REGIONAL",
    "xray": False,
}

LAMBDA_PYTHON = "3.11"


def deployments_dir(project_dir) -> str:
    """Chalice's cache of built packages, which the bytecode cache shares."""
    return os.path.join(project_dir, ".chalice", "deployments")


def precompile_package(package_dir, project_dir) -> None:
    """`add_bytecode` to the zips `chalice package` wrote into `package_dir`: the function
    zip (small, and new at every code change: not cached) and the dependency layer, if any
    (~1,300 modules: cached by content beside Chalice's own cache)."""
    add_bytecode(os.path.join(package_dir, "deployment.zip"))
    layer = os.path.join(package_dir, "layer-deployment.zip")
    if os.path.exists(layer):
        add_bytecode(layer, cache_dir=deployments_dir(project_dir))


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
    import shutil
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
    if cached is not None:  # copied whole, then renamed: a reader never sees half a cache entry
        os.makedirs(cache_dir, exist_ok=True)
        shutil.copyfile(zip_path, f"{cached}.{os.getpid()}.tmp")
        os.replace(f"{cached}.{os.getpid()}.tmp", cached)
    return added
