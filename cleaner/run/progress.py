"""Progress for the batch job: a one-line bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from cleaner.run.batch import RunResult, Totals
from cleaner.run.shard import ShardReport

MB = 1024 * 1024


class Progress:
    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False, log_every: float = 10.0) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = self.stream.isatty()
        self.log_every = log_every
        self.started = time.monotonic()
        self.last_log = 0.0
        self.total_shards = self.to_do = self.done = 0
        self.bytes_to_do = self.bytes_done = 0
        self.documents = 0

    def start(self, shards: int, to_do: int, bytes_to_do: int) -> None:
        self.total_shards, self.to_do, self.bytes_to_do = shards, to_do, bytes_to_do
        self.started = time.monotonic()
        if not self.quiet:
            resumed = shards - to_do
            note = f", {resumed} already done (resuming)" if resumed else ""
            self._line(f"cleaner: {shards} shard(s), {bytes_to_do / MB:.1f} MB to process{note}")

    def shard_done(self, report: ShardReport, totals: Totals) -> None:
        self.done += 1
        self.bytes_done += report.size
        self.documents += sum(c.read for c in report.files.values())
        if self.quiet:
            return
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.bytes_done / elapsed
        eta = (self.bytes_to_do - self.bytes_done) / rate if rate else 0.0
        text = (f"{self.done}/{self.to_do} shards  {self.documents:,} docs  {self.bytes_done / MB:,.1f} MB  "
                f"{self.documents / elapsed:,.0f} docs/s  {rate / MB:,.1f} MB/s  ETA {_clock(eta)}")
        if self.tty:
            share = self.bytes_done / self.bytes_to_do if self.bytes_to_do else 1.0
            filled = int(share * 24)
            self.stream.write(f"\r[{'#' * filled}{'.' * (24 - filled)}] {text}\x1b[K")
            self.stream.flush()
        elif time.monotonic() - self.last_log >= self.log_every or self.done == self.to_do:
            self.last_log = time.monotonic()
            self._line(text)

    def finish(self, result: RunResult) -> None:
        if self.tty and self.done and not self.quiet:
            self.stream.write("\n")
        total = result.totals.total()
        if result.interrupted:
            self._line(f"cleaner: interrupted; {result.out} can be resumed by running the same command again")
        for key, error in result.failed:
            self._line(f"cleaner: shard {key} failed: {error}")
        if result.failed:
            self._line("cleaner: run the same command again to redo the failed shards")
        for problem in result.problems:
            self._line(f"cleaner: error: {problem}")
        if result.problems and result.totals.reasons:
            self._line("cleaner: most frequent reject reasons:")
            for reason, count in result.totals.reasons.most_common(5):
                self._line(f"  {count:>9,}  {reason}")
            self._line(f"cleaner: every reject, with its file and position: {result.out / 'rejects'}")
        if self.quiet and result.ok:
            return
        self._line(f"cleaner: {total.read:,} documents read -> {total.records:,} records from "
                   f"{total.with_records:,} documents, {total.empty:,} with nothing to keep, "
                   f"{total.rejected:,} rejected; {result.seconds:.1f}s; output in {result.out}")

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
