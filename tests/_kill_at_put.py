"""Runs the CLI and kills itself (SIGKILL) just before its N-th change to object storage: a PUT or a delete
through cleaner.io.storage.ObjectStore. N = 0 never kills and prints how many changes the run made.

    python tests/_kill_at_put.py N clean s3://... --out s3://... --workers 1 ...
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


def run(target: int, arguments: list[str]) -> int:
    from cleaner.io.storage import ObjectStore

    changes = [0]
    for name in ("put", "delete"):
        setattr(ObjectStore, name, _killing_before(changes, target, getattr(ObjectStore, name)))
    from cleaner.cli import main

    code = main(arguments)
    print(f"object-store changes: {changes[0]}")
    return code


if __name__ == "__main__":
    sys.exit(run(int(sys.argv[1]), sys.argv[2:]))
