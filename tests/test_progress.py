"""Progress: plain log lines when not on a terminal, a summary at the end, nothing but failures when quiet."""

from __future__ import annotations

import io
from pathlib import Path

from cleaner.run.batch import RunResult, Totals
from cleaner.run.progress import Progress
from cleaner.run.shard import FileCounts, ShardReport


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
    assert lines[0] == "cleaner: 2 shard(s), 8.0 MB to process"
    assert lines[1].startswith("1/2 shards  10 docs  4.0 MB") and "docs/s" in lines[1] and "ETA" in lines[1]
    assert lines[2].startswith("2/2 shards  20 docs  8.0 MB")
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
