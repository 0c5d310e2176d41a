"""Runs the CLI and kills itself (SIGKILL) just before its N-th change to object storage: a PUT or a delete
through cleaner.io.storage.DataFolder. N = 0 never kills and prints how many changes the run made.

    python tests/_kill_at_put.py N clean s3://... --out s3://... --workers 1 ...
"""

from __future__ import annotations

import sys

from _kill_at import run_killing  # the script's folder (tests/) is first on sys.path


def run(target: int, arguments: list[str]) -> int:
    from cleaner.io.storage import DataFolder

    return run_killing(target, arguments, DataFolder, ("put", "delete"), "object-store")


if __name__ == "__main__":
    sys.exit(run(int(sys.argv[1]), sys.argv[2:]))
