"""Runs the CLI and kills itself (SIGKILL, as a power cut or the OOM killer would) just before its N-th
file-system change: an unlink, rmdir, rename or replace. N = 0 never kills and prints how many changes the
run made, so a test can try every one of them.

    python tests/_kill_at.py N clean INPUT --out OUT ...
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from typing import Any


def _killing_before(changes: list[int], target: int, operation: Callable[..., Any]) -> Callable[..., Any]:
    def changed(*args: Any, **kwargs: Any) -> Any:
        changes[0] += 1
        if changes[0] == target:
            os.kill(os.getpid(), signal.SIGKILL)
        return operation(*args, **kwargs)

    return changed


def run_killing(target: int, arguments: list[str], owner: Any, names: tuple[str, ...], what: str) -> int:
    """Runs the CLI with ``owner``'s ``names`` wrapped to count each call and die before the target-th."""
    changes = [0]
    for name in names:
        setattr(owner, name, _killing_before(changes, target, getattr(owner, name)))
    from cleaner.cli import main

    code = main(arguments)
    print(f"{what} changes: {changes[0]}")
    return code


def run(target: int, arguments: list[str]) -> int:
    # shutil.rmtree and pathlib look these up on os at call time, so every deletion and rename passes here.
    return run_killing(target, arguments, os, ("unlink", "remove", "rmdir", "rename", "replace"), "file-system")


if __name__ == "__main__":
    sys.exit(run(int(sys.argv[1]), sys.argv[2:]))
