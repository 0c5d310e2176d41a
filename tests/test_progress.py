"""Progress: plain log lines when not on a terminal, a summary at the end, nothing but failures when quiet."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from cleaner.run.batch import RunResult, Totals
from cleaner.run.progress import Progress
from cleaner.run.report import FileCounts, ShardReport


def _report(key: str) -> ShardReport:
    return ShardReport(key, 4 * 1024 * 1024, {f"/in/{key}.jsonl": FileCounts(read=10, with_records=9, empty=1,
                                                                           records=25)})


def _result(totals: Totals, failed: list[tuple[str, str]] | None = None) -> RunResult:
    return RunResult(Path("/out"), shards=2, resumed=0, failed=failed or [], totals=totals, seconds=1.5)


def test_log_lines_and_summary_off_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(stream, log_every=0.0)
    totals = Totals()
    progress.start(2, 2, 8 * 1024 * 1024)
    for key in ("a", "b"):
        report = _report(key)
        totals.add(report)
        progress.shard_done(report, totals)
    progress.finish(_result(totals))
    lines = stream.getvalue().splitlines()
    assert lines[0] == "cleaner: 2 shard(s), 8.0 MiB to process"
    assert lines[1].startswith("1/2 shards  10 docs  4.0 MiB") and "docs/s" in lines[1] and "ETA" in lines[1]
    assert lines[2].startswith("2/2 shards  20 docs  8.0 MiB")
    assert lines[3] == ("cleaner: 20 documents read -> 50 records from 18 documents, 2 with nothing to keep, "
                        "0 rejected; 1.5s; output in /out")
    assert "\r" not in stream.getvalue()


def test_quiet_prints_only_failures() -> None:
    stream = io.StringIO()
    progress = Progress(stream, quiet=True)
    totals = Totals()
    progress.start(2, 2, 1)
    progress.shard_done(_report("a"), totals)
    progress.finish(_result(totals, failed=[("b", "RuntimeError: boom")]))
    assert stream.getvalue().splitlines()[:2] == ["cleaner: shard b failed: RuntimeError: boom",
                                                  "cleaner: run the same command again to redo the failed shards"]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_line_fits_the_terminal_and_is_redrawn_in_place(monkeypatch) -> None:
    import os
    import shutil

    monkeypatch.setattr(shutil, "get_terminal_size", lambda fallback=(80, 24): os.terminal_size((60, 24)))
    stream = _Terminal()
    progress = Progress(stream)
    progress.start(1, 1, 100 * 1024 * 1024)
    for documents in (1_000, 2_000, 3_000):
        progress.tick(documents, documents * 10_000)
    updates = stream.getvalue().split("\n", 1)[1].split("\r")[1:]
    assert len(updates) == 3 and "\n" not in stream.getvalue().split("\n", 1)[1]
    assert all(len(update.removesuffix("\x1b[K")) <= 59 for update in updates)
    assert "3,000 docs" in updates[-1]


@pytest.mark.parametrize("workers", [1, 2])
def test_one_shard_shows_documents_while_it_runs(tmp_path, workers) -> None:
    from benchmarks.corpus import write_jsonl
    from cleaner.run.batch import InProcessExecutor, ProcessExecutor, run_batch
    from cleaner.run.shard import JobSettings

    source = tmp_path / "in.jsonl"
    write_jsonl(source, 3000, seed=2)
    seen: list[tuple[int, int]] = []
    executor = InProcessExecutor() if workers == 1 else ProcessExecutor(workers)
    result = run_batch([str(source)], JobSettings(out=str(tmp_path / "out")), executor,
                       on_progress=lambda documents, size: seen.append((documents, size)))
    assert result.shards == 1 and result.ok
    moving = [documents for documents, _ in seen if 0 < documents < 3000]
    assert moving, seen  # counts arrived before the only shard finished
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
