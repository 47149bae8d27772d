"""One local stack per local directory: an exclusive lock on `<local dir>/devstack.lock`.

Two stacks on one directory would overwrite each other's state; `make reset`
must not delete the state of a running stack (it would save it again on stop).
The lock is the kernel's (`flock`): a killed stack leaves no stale lock behind.
Standard library only: `make reset` runs it before any virtualenv exists.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
from pathlib import Path
from typing import IO

LOCK_FILE_NAME = "devstack.lock"


class LocalDirBusy(RuntimeError):
    """Another local stack holds the directory."""


def hold(local_dir: Path) -> IO[str]:
    """Take the directory's lock for as long as the returned file stays open."""
    local_dir.mkdir(parents=True, exist_ok=True)
    file = (local_dir / LOCK_FILE_NAME).open("a+", encoding="utf-8")
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        file.seek(0)
        holder = file.read().strip() or "?"
        file.close()
        raise LocalDirBusy(f"a local stack (pid {holder}) is running on {local_dir}; stop it first") from None
    file.seek(0)
    file.truncate()
    file.write(f"{os.getpid()}\n")
    file.flush()
    return file


def reset(local_dir: Path) -> None:
    """Delete the local directory, unless a running stack holds it."""
    if not local_dir.exists():
        return
    held = hold(local_dir)
    try:
        shutil.rmtree(local_dir)
    finally:
        held.close()


def main(argv: list[str]) -> int:
    """`python -m devstack.lock reset DIR` (what `make reset` runs)."""
    if len(argv) != 2 or argv[0] != "reset":
        print("usage: python -m devstack.lock reset DIR", file=sys.stderr)
        return 2
    try:
        reset(Path(argv[1]))
    except LocalDirBusy as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"{argv[1]} removed: the next make run starts afresh")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
