"""One Python everywhere: the Makefile's, `.python-version`, the functions' runtime (LAMBDA_PYTHON)
and the one running the tests (`make test` runs them in the .venv the Makefile built) agree. The
synthesized template's runtimes are checked against the same version in test_stack.py."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "infra"))

from hewei_infra.packaging import LAMBDA_PYTHON  # noqa: E402

RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"


def makefile_python() -> str:
    [version] = re.findall(r"^PYTHON_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    return version


def test_the_makefile_pyenv_the_lambda_runtime_and_the_tests_run_one_python():
    assert makefile_python() == LAMBDA_PYTHON
    assert (ROOT / ".python-version").read_text().strip() == LAMBDA_PYTHON
    assert RUNNING == LAMBDA_PYTHON, f"the tests run on {RUNNING}: build the .venv with `make` ({LAMBDA_PYTHON})"


def test_the_readme_names_that_python():
    readme = (ROOT / "README.md").read_text()
    assert f"Python {LAMBDA_PYTHON}" in readme
    stale = sorted(set(re.findall(r"Python 3\.\d+", readme)) - {f"Python {LAMBDA_PYTHON}"})
    assert stale == []


# ----------------------------------------------------- the Makefile's search


def make_boot(tmp_path: Path, path_dirs: list[Path]) -> subprocess.CompletedProcess:
    """`make python` and the PYTHON_BOOT it found, with only `path_dirs` on PATH (and make's own)
    and `tmp_path` as HOME."""
    tools = tmp_path / "tools"
    tools.mkdir(exist_ok=True)
    for tool in ("make", "sh", "test", "echo"):
        found = shutil.which(tool)
        if found and not (tools / tool).exists():
            (tools / tool).symlink_to(found)
    env = {"HOME": str(tmp_path), "PATH": os.pathsep.join(str(p) for p in [*path_dirs, tools])}
    return subprocess.run(["make", "-s", "-f", str(ROOT / "Makefile"), "-p", "python"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)


def boot_of(result: subprocess.CompletedProcess) -> str:
    [line] = [line for line in result.stdout.splitlines() if line.startswith("PYTHON_BOOT :=")]
    return line.split(":=", 1)[1].strip()


def shim(directory: Path, version: str) -> Path:
    """What pyenv puts on PATH: a `python3.X` that fails while pyenv has not selected that version."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"python{version}"
    path.write_text(f"#!/bin/sh\necho 'pyenv: python{version}: command not found' >&2\nexit 127\n")
    path.chmod(0o755)
    return path


@pytest.mark.skipif(RUNNING != LAMBDA_PYTHON or not shutil.which("make"), reason="needs make and the project's Python")
def test_make_skips_a_shim_that_does_not_run_and_takes_pyenvs_build(tmp_path):
    build = tmp_path / ".pyenv" / "versions" / f"{LAMBDA_PYTHON}.99" / "bin"
    build.mkdir(parents=True)
    (build / f"python{LAMBDA_PYTHON}").symlink_to(sys.executable)
    result = make_boot(tmp_path, [shim(tmp_path / "shims", LAMBDA_PYTHON).parent])
    assert result.returncode == 0, result.stderr
    assert boot_of(result) == str(build / f"python{LAMBDA_PYTHON}")


@pytest.mark.skipif(RUNNING != LAMBDA_PYTHON or not shutil.which("make"), reason="needs make and the project's Python")
def test_make_takes_a_python_on_path_that_runs_first(tmp_path):
    on_path = tmp_path / "bin"
    on_path.mkdir()
    (on_path / f"python{LAMBDA_PYTHON}").symlink_to(sys.executable)
    build = tmp_path / ".pyenv" / "versions" / f"{LAMBDA_PYTHON}.99" / "bin"
    build.mkdir(parents=True)
    (build / f"python{LAMBDA_PYTHON}").symlink_to(sys.executable)
    result = make_boot(tmp_path, [on_path])
    assert result.returncode == 0, result.stderr
    assert boot_of(result) == str(on_path / f"python{LAMBDA_PYTHON}")


@pytest.mark.skipif(not shutil.which("make"), reason="needs make")
def test_without_that_python_make_stops_and_says_which_is_needed(tmp_path):
    """A shim that fails, and a `python3.X` under pyenv's versions that runs another version."""
    other = "3.9" if RUNNING != "3.9" else "3.10"
    impostor = tmp_path / ".pyenv" / "versions" / f"{LAMBDA_PYTHON}.99" / "bin" / f"python{LAMBDA_PYTHON}"
    impostor.parent.mkdir(parents=True)
    impostor.write_text(f"#!/bin/sh\necho 'Python {other}.0'\nexit 1\n")  # what another version's check does
    impostor.chmod(0o755)
    result = make_boot(tmp_path, [shim(tmp_path / "shims", LAMBDA_PYTHON).parent])
    assert result.returncode != 0
    assert f"Python {LAMBDA_PYTHON} is needed" in result.stderr
    assert boot_of(result) == ""
