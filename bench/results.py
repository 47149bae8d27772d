"""bench/results.json: each bench script owns some keys and merges them in (read-modify-write)."""

from __future__ import annotations

import json
import os
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results.json"


def merge_results(update: dict) -> dict:
    """Add or replace these keys, keep the others; the file is replaced atomically."""
    try:
        results = json.loads(RESULTS.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        results = {}
    results.update(update)
    tmp = RESULTS.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    os.replace(tmp, RESULTS)
    return results
