"""What the span detector costs the engine on real text: CPU time of ``Engine.process`` over the real-text pages
(benchmarks/realtext.py) with the built-in rules (the span detector off) and with it switched on as a user does
(``[detector.main_span] enabled = true``; page intent and related runs are on in the built-in rules), and where
the detectors' own time goes, by part.

    python -m benchmarks.span_cost [--passes 5] [--rounds 3]

The two engines are timed in turns, document by document (``rounds`` times ``passes`` passes), and the medians
of the rounds compared: on a shared machine other processes slow both alike. The extra cost is (with the span -
without) / without; issue #26 asks for at most 0.15. The parts are timed by wrapping the detectors' own methods
(restored afterwards), in separate passes (the wrappers cost time of their own); a part's time includes what it
calls.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cleaner
from benchmarks.engine_profile import timing
from benchmarks.realtext import real_texts
from cleaner.core import structure
from cleaner.core.engine import Engine

SWITCH_ON = "[detector.main_span]\nenabled = true\n"

#: (owner, attribute, what the part is), in the order of a document's pass.
PARTS: tuple[tuple[Any, str, str], ...] = (
    (structure.Detectors, "run", "detectors, all of it"),
    (structure.Detectors, "language", "language sample and identification"),
    (structure.Detectors, "_intent", "page intent"),
    (structure.Detectors, "_weights", "weights"),
    (structure.Detectors, "_best_span", "best span"),
    (structure.Detectors, "_named_headline", "named headline"),
    (structure.Detectors, "_table_of_contents", "table of contents"),
    (structure.Detectors, "_related_runs", "related runs"),
    (structure.Detectors, "_outside", "lines outside and confidence sums"),
    (structure.Detectors, "_reach", "reach"),
)


def engines() -> tuple[Engine, Engine]:
    """The engine with the built-in rules, and the engine with the span detector switched on."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "span.toml"
        path.write_text(SWITCH_ON, encoding="utf-8")
        return cleaner.Cleaner().engine, cleaner.Cleaner([path]).engine


def _pass(engine: Engine, texts: list[str]) -> float:
    started = time.process_time()
    for text in texts:
        engine.process(text)
    return time.process_time() - started


@contextmanager
def _timed(spent: defaultdict[str, float]) -> Iterator[None]:
    # (The parts a version of the detectors has: a part ported elsewhere is left out.)
    originals = [(owner, name, label, owner.__dict__[name]) for owner, name, label in PARTS if name in owner.__dict__]

    try:
        for owner, name, label, raw in originals:
            if isinstance(raw, staticmethod):
                setattr(owner, name, staticmethod(timing(raw.__func__, label, spent)))
            else:
                setattr(owner, name, timing(raw, label, spent))
        yield
    finally:
        for owner, name, _, raw in originals:
            setattr(owner, name, raw)


def measure(passes: int, rounds: int) -> tuple[float, float, dict[str, float], int]:
    """Median CPU seconds of one pass without and with the span, each part's CPU seconds a pass, the texts' count."""
    texts = real_texts()
    base, span = engines()
    for engine in (base, span):  # the language model loads and the memos fill: not part of the figures
        _pass(engine, texts)
    without: list[float] = []
    with_span: list[float] = []
    clock = time.process_time
    for _ in range(rounds):
        # Each document through one engine and right after through the other, each engine first every other
        # document (the second finds the text in the processor's caches): a load that comes and goes on a shared
        # machine slows both alike.
        spent = [0.0, 0.0]
        for _ in range(passes):
            for number, text in enumerate(texts):
                order = (0, 1) if number % 2 == 0 else (1, 0)
                for which in order:
                    started = clock()
                    (base, span)[which].process(text)
                    spent[which] += clock() - started
        without.append(spent[0] / passes)
        with_span.append(spent[1] / passes)
    spent: defaultdict[str, float] = defaultdict(float)
    with _timed(spent):
        for _ in range(passes):
            _pass(span, texts)
    return (statistics.median(without), statistics.median(with_span),
            {label: seconds / passes for label, seconds in spent.items()}, len(texts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    without, with_span, parts, count = measure(args.passes, args.rounds)
    print(f"{count} documents: engine {without * 1000:.1f} ms a pass, with the span detector "
          f"{with_span * 1000:.1f} ms; extra cost {(with_span - without) / without:.2f}x the engine's own time "
          "(CPU time, medians)")
    for _, _, label in PARTS:
        if label in parts:
            print(f"  {label:40s} {parts[label] * 1000:8.1f} ms/pass")


if __name__ == "__main__":
    main()
