"""`make run` installs requirements-local.txt only: what the local stack imports, no test or cloud tooling."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

NOT_FOR_THE_LOCAL_STACK = {"pytest", "pytest-xdist", "playwright", "aws-cdk-lib", "constructs", "cfn-lint",
                           "openapi-spec-validator"}


def requirement_names(name: str) -> set[str]:
    """Project names of a requirements file and of the files it includes (`-r`)."""
    names: set[str] = set()
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            names |= requirement_names(line[3:].strip())
        elif line:
            names.add(re.split(r"[\[=<>~! ;]", line, maxsplit=1)[0].lower())
    return names


def test_the_local_layer_has_no_test_or_cloud_tooling():
    local = requirement_names("requirements-local.txt")
    assert not local & NOT_FOR_THE_LOCAL_STACK
    assert {"moto", "chalice", "boto3", "pynamodb", "flask", "flask-cors"} <= local


def test_the_dev_layer_is_the_local_layer_and_the_rest():
    dev = requirement_names("requirements-dev.txt")
    assert requirement_names("requirements-local.txt") <= dev
    assert NOT_FOR_THE_LOCAL_STACK <= dev


def test_devstack_imports_only_what_the_local_layer_installs():
    """Every top-level import in devstack/ is the standard library, the project, or a local requirement."""
    import sys

    provided = {"moto", "werkzeug", "boto3", "botocore", "chalice", "flask"}  # moto brings werkzeug, boto3 botocore
    imported: set[str] = set()
    for path in (ROOT / "devstack").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"chalicelib", "app", "__future__"}
    assert third_party <= provided, third_party - provided
