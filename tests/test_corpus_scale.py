"""Rule discovery and duplicates on a generated corpus of at least 1 GB, in bounded memory (--runslow).

Prints the time and the peak resident memory of the whole process tree for `cleaner rules suggest` and
for `cleaner clean --dedup`; the bounds are far under what holding the corpus would take.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from benchmarks.corpus import write_jsonl
from benchmarks.memory import peak_of

pytestmark = pytest.mark.slow

GIB = 2**30
#: Peak RSS allowed for each step: a fraction of the corpus (the learner's hashed counter is capped at
#: 2 million keys; dedup holds about 100 bytes per record and one LSH band at a time).
MAX_PEAK = {"suggest": 1.5 * GIB, "clean --dedup": 2.5 * GIB}


def test_suggest_and_dedup_on_a_gigabyte(tmp_path: Path) -> None:
    info = write_jsonl(tmp_path / "corpus.jsonl", target_bytes=GIB + 2**20, seed=3)
    assert info["bytes"] >= GIB
    cli = [sys.executable, "-m", "cleaner.cli"]
    figures = {}
    seconds, peak = peak_of([*cli, "rules", "suggest", info["path"], "--out", str(tmp_path / "learned.toml")])
    figures["suggest"] = (seconds, peak)
    out = tmp_path / "out"
    seconds, peak = peak_of([*cli, "clean", info["path"], "--out", str(out), "--quiet", "--workers", "2",
                             "--dedup"])
    figures["clean --dedup"] = (seconds, peak)
    report = json.loads((out / "dedup.json").read_text(encoding="utf-8"))
    print(f"\ncorpus {info['bytes'] / 2**20:.0f} MiB, {info['documents']} documents; dedup: {report}")
    for step, (spent, most) in figures.items():
        print(f"{step}: {spent:.0f} s, peak RSS {most / 2**20:.0f} MiB")
        assert most <= MAX_PEAK[step], step
    assert report["records"] == info["records"]
