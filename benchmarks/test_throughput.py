"""Throughput benchmarks (pytest-benchmark), with references measured in the same session.

Ratios to the references hold on any machine; `ratios.json` records the ones measured on the
development machine. With --speed-gate (``make bench``) a ratio more than 20% below its record fails;
without it (``make test``, CI) the figures are printed and nothing fails on timing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import cleaner
from benchmarks.conftest import baseline_ratios
from cleaner.cli import main
from cleaner.core.engine import Engine
from cleaner.io.rulefiles import load_rules

JUNK_LINES = ["Try Our AI Features", "Explore what Daily8 AI can do for you:", "Comments", "No comments yet...",
              "Related Articles"]
MB = 2**20
TOLERANCE = 0.8  # a ratio may fall to 80% of the recorded one


def _best_seconds(function, rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def _grep(corpus: dict, junk_file: Path, out: Path) -> None:
    """The speed limit of line filtering: grep drops every line holding a junk line."""
    with open(out, "wb") as sink:
        subprocess.run(["grep", "-v", "-F", "-f", str(junk_file), corpus["text_path"]], stdout=sink, check=False)


def _naive_loop(corpus: dict, out: Path) -> None:
    """A straightforward per-line Python loop: read JSON lines, drop junk lines, write JSON lines."""
    junk = set(JUNK_LINES)
    with open(corpus["path"], encoding="utf-8") as source, open(out, "w", encoding="utf-8") as sink:
        for line in source:
            document = json.loads(line)
            kept = [row for row in document["text"].split("\n") if row.strip() not in junk]
            sink.write(json.dumps({"id": document["id"], "text": "\n".join(kept)}) + "\n")


def _seven_kb_document(corpus: dict) -> str:
    return min(corpus["texts"], key=lambda t: abs(len(t.encode()) - 7 * 1024))


def _naive_lines(text: str) -> list[str]:
    """The reference for one document: split into lines and drop the known junk lines, nothing else."""
    junk = set(JUNK_LINES)
    return [row for row in text.split("\n") if row.strip() not in junk]


def test_library_latency(benchmark, corpus, results) -> None:
    c = cleaner.Cleaner()
    document = _seven_kb_document(corpus)
    records = benchmark(c.clean, document)
    assert records and records[0].kind == "main"
    stats = benchmark.stats.stats
    timings = sorted(stats.data)
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    reference = _best_seconds(lambda: [_naive_lines(document) for _ in range(1000)]) / 1000
    results["library call (7 KB document)"] = {"us/doc": round(stats.mean * 1e6, 1), "p99 us": round(p99 * 1e6, 1),
                                               "docs/s": round(1 / stats.mean),
                                               "ratio to a naive line filter": round(reference / stats.mean, 3)}


def test_engine_over_many_documents(benchmark, corpus, results) -> None:
    engine = cleaner.Cleaner().engine
    texts = corpus["texts"][:2000]
    size = sum(len(t.encode()) for t in texts)
    engine.process(texts[0])  # the language model loads on first use: not part of the throughput
    count = benchmark.pedantic(lambda: sum(len(engine.process(t).records) for t in texts), rounds=3, iterations=1)
    assert count >= len(texts)
    mean = benchmark.stats.stats.mean
    results["engine in memory"] = {"MB/s": round(size / MB / mean, 1), "docs/s": round(len(texts) / mean)}


def test_rule_loading_and_compilation(benchmark) -> None:
    engine = benchmark(lambda: Engine(load_rules()))
    assert len(engine.rules) > 10


def test_import_time(benchmark, results) -> None:
    command = [sys.executable, "-X", "importtime", "-c", "import cleaner"]

    def run() -> int:
        stderr = subprocess.run(command, capture_output=True, text=True, check=True).stderr
        return int(stderr.strip().splitlines()[-1].split("|")[1])

    microseconds = benchmark.pedantic(run, rounds=5, iterations=1)
    results["import cleaner"] = {"ms (cumulative, last run)": round(microseconds / 1000, 1)}
    assert microseconds > 0


def test_end_to_end_and_references(benchmark, corpus, results, request) -> None:
    """JSON lines -> clean -> segment -> Parquet on one worker, beside grep and a naive loop."""
    if shutil.which("grep") is None:
        pytest.fail("grep is needed for the reference measurement")
    with tempfile.TemporaryDirectory() as scratch:
        junk_file = Path(scratch) / "junk.txt"
        junk_file.write_text("\n".join(JUNK_LINES) + "\n", encoding="utf-8")

        def run_cli() -> None:
            out = Path(scratch) / "out"
            assert main(["clean", corpus["path"], "--out", str(out), "--workers", "1", "--quiet",
                         "--overwrite"]) == 0

        benchmark.pedantic(run_cli, rounds=3, iterations=1)
        ours = corpus["bytes"] / MB / benchmark.stats.stats.min
        sink = Path(scratch) / "reference.out"
        grep = corpus["text_bytes"] / MB / _best_seconds(lambda: _grep(corpus, junk_file, sink))
        naive = corpus["bytes"] / MB / _best_seconds(lambda: _naive_loop(corpus, sink))
    figures = {"MB/s": round(ours, 1), "docs/s": round(corpus["documents"] / benchmark.stats.stats.min),
               "grep MB/s": round(grep, 1), "naive loop MB/s": round(naive, 1),
               "ratio to grep": round(ours / grep, 3), "ratio to naive loop": round(ours / naive, 3)}
    results["end to end, JSON lines to Parquet, 1 worker"] = figures
    benchmark.extra_info.update(figures)
    recorded = baseline_ratios()
    below = {name: (figures[name], floor) for name, floor in
             (("ratio to naive loop", recorded["end_to_end_vs_naive_loop"] * TOLERANCE),
              ("ratio to grep", recorded["end_to_end_vs_grep"] * TOLERANCE)) if figures[name] < floor}
    print(f"\nend to end: {figures}; recorded ratios {recorded}; below the floor: {below or 'none'}")
    if request.config.getoption("--speed-gate"):
        assert not below, below
