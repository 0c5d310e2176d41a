"""Memory at scale: one worker's peak RSS and throughput over 100k, 1M and 5M tiny JSON-lines documents.

A worker must not hold anything per document for the whole shard, so its peak memory is flat in the
number of documents. Tiny documents are the hard case: per-row overhead, not text, is what piles up (parts
cut by text alone held millions of rows, 2.8 GiB at 5M documents). The gates are on memory only:

- peak RSS at 1M documents at most 1.3 times the peak at 100k (flat, whatever the machine);
- peak RSS at 5M documents at most 1 GiB.

Throughput (documents a second) is printed beside the target of 5M documents in 90 s on one worker; it is
not asserted, since a busy machine must not fail a run. Each run is a child process (``cleaner clean
--workers 1``, which cleans in that process) that writes its own peak RSS (``VmHWM`` of /proc/self/status)
as it exits. Not ``os.wait4``'s ``ru_maxrss``: Linux carries the parent's resident size at the fork into
the child's ``ru_maxrss``, so a child of a large test process (1.1 GiB late in a CI run) reported that
size whatever it did itself.

    pytest benchmarks/test_memory_scale.py --runslow -s
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from benchmarks.conftest import RESULTS

GIB = 2**30
#: Peak RSS at 1M documents over peak RSS at 100k that still counts as flat.
FLAT_RATIO = 1.3
#: Peak RSS allowed at 5M documents.
PEAK_LIMIT = 1 * GIB
#: The throughput target: 5M documents in this many seconds on one worker (printed, not asserted).
TARGET_SECONDS_5M = 90.0
SIZES = (100_000, 1_000_000, 5_000_000)


@dataclass(frozen=True)
class Scale:
    documents: int
    records: int
    seconds: float
    #: CPU seconds of the child (user and system): steadier than wall time on a shared machine.
    cpu_seconds: float
    peak_rss: int

    @property
    def docs_per_s(self) -> float:
        return self.documents / self.seconds

    def summary(self) -> dict[str, object]:
        return {"peak_rss_mib": round(self.peak_rss / 2**20, 1), "seconds": round(self.seconds, 1),
                "cpu_seconds": round(self.cpu_seconds, 1), "docs_per_s": round(self.docs_per_s),
                "cpu_us_per_doc": round(self.cpu_seconds / self.documents * 1e6, 1),
                "5M_at_this_rate_s": round(5_000_000 / self.docs_per_s),
                "target_5M_s": TARGET_SECONDS_5M}


def write_tiny(path: Path, documents: int) -> None:
    """Tiny documents of a few lines each: one content line, a junk line the built-in rules remove, and a
    second content line. Written in blocks, so generating 5M documents takes seconds."""
    block = 50_000
    with open(path, "w", encoding="utf-8") as handle:
        for start in range(0, documents, block):
            handle.write("".join(
                json.dumps({"id": f"d{n}", "text": f"Short line {n}.\nTry Our AI Features\n"
                                                   f"Another short line of document {n}."}) + "\n"
                for n in range(start, min(start + block, documents))))


#: The child: ``cleaner clean`` with its own peak resident size (kB) written to the file the first argument
#: names as it exits (VmHWM belongs to the memory the program itself mapped after exec).
_CHILD = """
import atexit, sys
peak_file = sys.argv.pop(1)
def write_peak():
    with open("/proc/self/status", encoding="ascii") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(peak_file, "w", encoding="ascii") as out:
        out.write(peak)
atexit.register(write_peak)
from cleaner.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run_child(corpus: Path, out: Path) -> tuple[float, float, int]:
    """Runs ``cleaner clean`` on one worker in a child process; its wall time, CPU time and peak RSS (bytes)."""
    peak_file = out.with_name(out.name + ".peak")
    command = [sys.executable, "-c", _CHILD, str(peak_file), "clean", str(corpus), "--out", str(out),
               "--workers", "1", "--quiet", "--overwrite"]
    started = time.perf_counter()
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage, not every child's of this process
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0, f"cleaner clean exited with {process.returncode}"
    peak = int(peak_file.read_text(encoding="ascii")) * 1024  # kilobytes
    peak_file.unlink()
    return seconds, usage.ru_utime + usage.ru_stime, peak


_MEASURED: dict[int, Scale] = {}


def measure(documents: int, folder: Path) -> Scale:
    """The run over ``documents`` tiny documents (once per session)."""
    if documents not in _MEASURED:
        corpus = folder / f"tiny-{documents}.jsonl"
        write_tiny(corpus, documents)
        out = folder / f"out-{documents}"
        seconds, cpu, peak = run_child(corpus, out)
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        corpus.unlink()
        shutil.rmtree(out)  # hundreds of MB at 5M documents
        assert manifest["documents"]["read"] == documents and manifest["balanced"]
        assert manifest["documents"]["with_records"] == documents  # every document keeps its content lines
        _MEASURED[documents] = scale = Scale(documents, manifest["records"], seconds, cpu, peak)
        RESULTS[f"memory scale, {documents:,} tiny documents, 1 worker"] = scale.summary()
        print(f"\n{documents:,} documents: {scale.summary()}")
    return _MEASURED[documents]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("memory-scale")


@pytest.mark.slow
def test_memory_is_flat_from_100k_to_1m_documents(folder) -> None:
    small, large = measure(SIZES[0], folder), measure(SIZES[1], folder)
    ratio = large.peak_rss / small.peak_rss
    RESULTS["memory scale, peak RSS 1M / 100k"] = {"ratio": round(ratio, 3), "allowed": FLAT_RATIO}
    assert ratio <= FLAT_RATIO, (f"peak RSS grows with the documents: {small.peak_rss / 2**20:.0f} MiB at 100k, "
                                 f"{large.peak_rss / 2**20:.0f} MiB at 1M")


@pytest.mark.slow
def test_5m_documents_stay_under_1_gib(folder) -> None:
    scale = measure(SIZES[2], folder)
    assert scale.peak_rss <= PEAK_LIMIT, f"peak RSS {scale.peak_rss / 2**20:.0f} MiB at 5M documents"
