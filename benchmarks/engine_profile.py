"""Where the engine's time goes on real text: CPU time per stage of ``Engine.process`` over the real-text pages
(benchmarks/realtext.py), every built-in rule and default detector on, measured in one process.

    python -m benchmarks.engine_profile [--passes 10]

Each stage is timed by wrapping the engine's own method for it (restored afterwards), so the stages are those
the code has: a stage's time includes what it calls (the structure step holds language identification, the
classification of lines holds the Python ``regex`` confirmations). The rest of ``process`` is the loop over
the matcher's hits, sorting removals and building the result. CPU time, not wall time: on a shared machine
other processes slow every stage alike, so compare shares, or two runs made one after the other.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import cleaner
from benchmarks.realtext import real_texts
from cleaner.core import engine as core_engine
from cleaner.core.matcher import LineMatcher

#: (class, method, what the stage is), in the order of a pass.
STAGES: tuple[tuple[type, str, str], ...] = (
    (core_engine._Pass, "__init__", "lines split and stripped"),
    (LineMatcher, "scan", "compiled scan (candidates, views)"),
    (core_engine._Pass, "_classify", "classification of hits (Python regex)"),
    (core_engine._Pass, "_apply_layouts", "layouts (segmentation)"),
    (core_engine._Pass, "_structure", "structure step (language id)"),
    (core_engine._Pass, "_main_record", "main record and removals"),
    (core_engine._Pass, "_settle_weak_lines", "weak junk settled"),
    (core_engine._Pass, "_settle_runs", "runs settled"),
    (core_engine._Pass, "_item_records", "item records"),
)


def timing(function: Callable[..., Any], label: str, spent: defaultdict[str, float]) -> Callable[..., Any]:
    """``function``, adding the CPU seconds each call takes to ``spent[label]``."""
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] += time.process_time() - started
    return timed


@contextmanager
def _timed(stages: tuple[tuple[type, str, str], ...], spent: defaultdict[str, float]) -> Iterator[None]:
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in stages]
    try:
        for (owner, name, function), (_, _, label) in zip(originals, stages, strict=True):
            setattr(owner, name, timing(function, label, spent))
        yield
    finally:
        for owner, name, function in originals:
            setattr(owner, name, function)


def profile(passes: int) -> tuple[float, defaultdict[str, float], int, int]:
    """CPU seconds of ``passes`` passes over the real texts, by stage; and the texts' count and size."""
    texts = real_texts()
    engine = cleaner.Cleaner().engine
    for text in texts:  # the language model loads and the memos fill: not part of the figures
        engine.process(text)
    spent: defaultdict[str, float] = defaultdict(float)
    with _timed(STAGES, spent):
        started = time.process_time()
        for _ in range(passes):
            for text in texts:
                engine.process(text)
        total = time.process_time() - started
    return total, spent, len(texts), sum(len(t.encode()) for t in texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passes", type=int, default=10)
    args = parser.parse_args()
    total, spent, count, size = profile(args.passes)
    per_pass = total / args.passes
    print(f"{count} documents, {size / 2**20:.2f} MB: {size / 2**20 / per_pass:.2f} MB/s, "
          f"{count / per_pass:.0f} docs/s (CPU time, the stage timers included)")
    for _, _, label in STAGES:
        print(f"  {label:40s} {spent[label] / args.passes * 1000:8.1f} ms/pass {100 * spent[label] / total:5.1f}%")
    rest = total - sum(spent.values())
    print(f"  {'rest of process':40s} {rest / args.passes * 1000:8.1f} ms/pass {100 * rest / total:5.1f}%")


if __name__ == "__main__":
    main()
