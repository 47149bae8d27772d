"""The README's quickstart, run as written against a fresh local stack (`conftest.stack`): the
shell blocks in one bash session, the Python block as a file of its own, both from a directory
outside the project with `CRED` pointing at the stack's credentials."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import ROOT, Stack

BLOCK = re.compile(r"<!-- quickstart: (?P<name>[a-z]+) -->\n```(?P<language>sh|python)\n(?P<code>.*?)```", re.S)
SHELL_BLOCKS = ("setup", "partner", "nonce", "staff", "callbacks")


def quickstart() -> dict[str, str]:
    return {match["name"]: match["code"] for match in BLOCK.finditer((ROOT / "README.md").read_text(encoding="utf-8"))}


def test_the_readme_has_every_block():
    assert set(quickstart()) == {*SHELL_BLOCKS, "python"}


def _run(command: list[str], stack: Stack, cwd: Path, stdin: str | None = None) -> str:
    env = {**os.environ, "CRED": str(stack.credentials_path), "LC_ALL": "C.UTF-8"}
    done = subprocess.run(command, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def test_the_shell_blocks_file_a_case_accept_it_and_show_the_callbacks(stack: Stack, tmp_path: Path):
    blocks = quickstart()
    script = "set -euo pipefail\n" + "\n".join(blocks[name] for name in SHELL_BLOCKS)
    out = _run(["bash", "-c", script], stack, tmp_path).splitlines()
    case_id = re.search(r'"case_id": "(HW\w+)"', out[0])[1]
    assert '"status": "received"' in out[0] and "138****5678" in out[0]
    assert out[1:3] == ["200", "200"]  # the identical body resent under two nonces: the same case
    dispatched, accepted = out[3].split(), out[4].split()
    assert dispatched[:2] == [case_id, "dispatched"] and accepted == [case_id, "accepted", dispatched[2]]
    assert out[5:-1] and all(line.endswith(" True") for line in out[5:-1])  # the sink's last callbacks, signed
    assert out[-1].startswith("{") and '"signature_valid": true' in out[-1]  # the journal's last line


def test_the_python_block_runs_from_anywhere_and_prints_what_it_got(stack: Stack, tmp_path: Path):
    script = tmp_path / "quickstart.py"
    script.write_text(quickstart()["python"], encoding="utf-8")
    first, second = _run([sys.executable, str(script)], stack, tmp_path).splitlines()
    status, case_id, state, phone = first.split()
    assert (status, state, phone) == ("201", "received", "138****5678") and case_id.startswith("HW")
    assert second.split()[:2] == ["200", case_id]
