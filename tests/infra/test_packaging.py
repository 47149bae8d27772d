"""infra/hewei_infra/packaging.py: bytecode in the Lambda zips, and one packaging at a time."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "infra"))

from hewei_infra.packaging import (  # noqa: E402
    LAMBDA_PYTHON, add_bytecode, deployments_dir, exclusive_packaging, precompile_package)

SOURCE = b"ANSWER = 6 * 7\n"
SAME_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}" == LAMBDA_PYTHON


def make_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("pkg/__init__.py", b"")
        archive.writestr("pkg/answer.py", SOURCE)
        archive.writestr("pkg/__pycache__/stale.cpython-311.pyc", b"not bytecode")
        archive.writestr("pkg/data.json", b"{}")
        archive.writestr("pkg/py2_only.py", b"print 'old'\n")
    return path


@pytest.mark.skipif(not SAME_PYTHON, reason="bytecode is added only by the runtime's Python")
def test_every_module_gets_unchecked_hash_bytecode_and_stale_bytecode_goes(tmp_path):
    package = make_zip(tmp_path / "deployment.zip")
    assert add_bytecode(package) == 2  # __init__ and answer; the Python 2 file is left as it was
    with zipfile.ZipFile(package) as archive:
        names = set(archive.namelist())
        pyc = archive.read(importlib.util.cache_from_source("pkg/answer.py"))
    assert "pkg/__pycache__/stale.cpython-311.pyc" not in names
    assert {"pkg/data.json", "pkg/py2_only.py", "pkg/answer.py"} <= names
    assert pyc[:4] == importlib.util.MAGIC_NUMBER
    assert int.from_bytes(pyc[4:8], "little") == 0b01  # hash-based, not checked against the source
    assert pyc[8:16] == importlib.util.source_hash(SOURCE)

    namespace: dict = {}
    exec(__import__("marshal").loads(pyc[16:]), namespace)
    assert namespace["ANSWER"] == 42


@pytest.mark.skipif(not SAME_PYTHON, reason="bytecode is added only by the runtime's Python")
def test_the_output_is_deterministic_and_the_cache_returns_the_same_bytes(tmp_path):
    add_bytecode(make_zip(tmp_path / "a.zip"))
    first = (tmp_path / "a.zip").read_bytes()
    cache = tmp_path / "cache"
    assert add_bytecode(make_zip(tmp_path / "b.zip"), cache_dir=cache) == 2
    assert (tmp_path / "b.zip").read_bytes() == first
    assert add_bytecode(make_zip(tmp_path / "c.zip"), cache_dir=cache) == -1  # a hit: copied, not rebuilt
    assert (tmp_path / "c.zip").read_bytes() == first
    assert [p.name for p in cache.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.skipif(not SAME_PYTHON, reason="bytecode is added only by the runtime's Python")
def test_a_package_gets_bytecode_in_both_zips_and_only_the_layer_is_cached(tmp_path):
    package = tmp_path / "chalice.out"
    package.mkdir()
    make_zip(package / "deployment.zip")
    make_zip(package / "layer-deployment.zip")
    precompile_package(package, tmp_path)
    for name in ("deployment.zip", "layer-deployment.zip"):
        with zipfile.ZipFile(package / name) as archive:
            assert importlib.util.cache_from_source("pkg/answer.py") in archive.namelist(), name
    cached = list(Path(deployments_dir(tmp_path)).glob("bytecode-*.zip"))
    assert len(cached) == 1 and cached[0].read_bytes() == (package / "layer-deployment.zip").read_bytes()


def test_packagings_take_turns_across_processes(tmp_path):
    """A second packaging waits while another holds the project's lock, and goes on when it is released."""
    waiter = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT / "infra")!r})
        from hewei_infra.packaging import exclusive_packaging
        print("waiting", flush=True)
        with exclusive_packaging({str(tmp_path)!r}):
            print("packaging", flush=True)
    """)
    with exclusive_packaging(tmp_path):
        process = subprocess.Popen([sys.executable, "-c", waiter], stdout=subprocess.PIPE, text=True)
        assert process.stdout.readline() == "waiting\n"
        with pytest.raises(subprocess.TimeoutExpired):
            process.wait(timeout=1.0)  # still blocked on the lock we hold
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 0 and out == "packaging\n"
    assert (tmp_path / ".chalice" / "deployments" / ".packaging.lock").exists()
