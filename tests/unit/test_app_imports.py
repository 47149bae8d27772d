"""What `import app` (every Lambda's cold start) loads: none of the file libraries, which only the
routes and workers that write or read files import when they first need them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOADED_ON_USE = ("docxtpl", "docx", "lxml", "jinja2", "openpyxl")
"""The agreement document's (docxtpl, python-docx, lxml, Jinja2) and the ledgers' (openpyxl)."""


def test_importing_the_app_loads_no_file_library():
    probe = f"import json, sys, app; print(json.dumps([m for m in {list(LOADED_ON_USE)!r} if m in sys.modules]))"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_the_probe_would_see_a_library_imported():
    probe = "import json, sys, app, chalicelib.adapters.agreement_docx as a, docxtpl; print(json.dumps(" \
            "[m for m in ('docxtpl', 'lxml') if m in sys.modules]))"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == ["docxtpl", "lxml"]


def test_importing_the_app_builds_no_answer_schema():
    """The OpenAPI document's models, its examples and Redoc's bundle are loaded when first asked for."""
    probe = ("import json, sys, app; from chalicelib.api import docs; print(json.dumps([m for m in "
             "('chalicelib.api.schemas', 'chalicelib.api.openapi', 'chalicelib.api.openapi_examples') "
             "if m in sys.modules] + ([] if docs.bundle.cache_info().currsize == 0 else ['bundle'])))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
