"""Peak memory of a whole `cleaner clean` run: the main process and all its workers, summed.

    python -m benchmarks.memory CORPUS.jsonl [--workers 2] [-- extra cleaner args]

Samples the resident set size of the process tree from /proc every 50 ms and prints one JSON line:
input size, peak RSS (MiB), wall time and throughput.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(c) for c in handle.read().split()]
    except OSError:
        pass
    return found


def tree_rss(pid: int) -> int:
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/statm") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except OSError:
            continue
        stack += _children(current)
    return total


def peak_of(command: list[str]) -> tuple[float, int]:
    """Runs a command; its wall time in seconds and the peak RSS (bytes) of its process tree."""
    started = time.perf_counter()
    process = subprocess.Popen(command)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss(process.pid))
        time.sleep(0.05)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {process.returncode}")
    return time.perf_counter() - started, peak


def measure(corpus: Path, workers: int, extra: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "cleaner.cli", "clean", str(corpus), "--out", out, "--quiet",
                   "--workers", str(workers), *extra]
        try:
            seconds, peak = peak_of(command)
        except RuntimeError as exc:
            raise SystemExit(str(exc)) from None
        manifest = json.loads((Path(out) / "manifest.json").read_text())
    size = corpus.stat().st_size
    return {"corpus": str(corpus), "input_mb": round(size / 2**20, 1), "workers": workers,
            "peak_rss_mib": round(peak / 2**20, 1), "seconds": round(seconds, 1),
            "mb_per_s": round(size / 2**20 / seconds, 1), "documents": manifest["documents"]["read"],
            "docs_per_s": round(manifest["documents"]["read"] / seconds), "records": manifest["records"],
            "balanced": manifest["balanced"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("extra", nargs="*", help="more arguments for cleaner clean (after --)")
    args = parser.parse_args()
    print(json.dumps(measure(args.corpus, args.workers, args.extra)))


if __name__ == "__main__":
    main()
