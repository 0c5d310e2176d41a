"""Progress for the batch job: a one-line bar on a terminal, plain log lines otherwise.

Counts move per document while shards run (the executors pass live counts on), not only per shard, so a
one-shard run shows its progress too. Sizes are in MiB.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO

from cleaner.run.batch import RunResult, Totals
from cleaner.run.report import ShardReport

MIB = 1024 * 1024


class Progress:
    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False, log_every: float = 10.0) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = self.stream.isatty()
        #: The stream was closed under us: nothing more is written to it.
        self.closed = False
        self.log_every = log_every
        self.started = time.monotonic()
        self.last_log = 0.0
        self.total_shards = self.to_do = self.done = 0
        self.bytes_to_do = self.bytes_done = 0
        self.documents = 0
        #: Documents and their size counted while shards run (cumulative over this run).
        self.live_documents = self.live_size = 0

    def start(self, shards: int, to_do: int, bytes_to_do: int) -> None:
        self.total_shards, self.to_do, self.bytes_to_do = shards, to_do, bytes_to_do
        self.started = time.monotonic()
        if not self.quiet:
            resumed = shards - to_do
            note = f", {resumed} already done (resuming)" if resumed else ""
            self._line(f"cleaner: {shards} shard(s), {bytes_to_do / MIB:.1f} MiB to process{note}")

    def shard_done(self, report: ShardReport, totals: Totals) -> None:
        self.done += 1
        self.bytes_done += report.size
        self.documents += sum(c.read for c in report.files.values())
        self._show(final=self.done == self.to_do)

    def tick(self, documents: int, size: int) -> None:
        """Live counts from running shards: documents so far and their size (text or page bytes)."""
        self.live_documents, self.live_size = documents, size
        self._show(final=False)

    def _show(self, *, final: bool) -> None:
        if self.quiet:
            return
        elapsed = max(time.monotonic() - self.started, 1e-6)
        documents = max(self.documents, self.live_documents)
        # Finished shards are exact; inside running ones the documents' size stands in for input bytes
        # (close for plain JSON lines, an underestimate for compressed input), so it never claims 100%.
        done = max(self.bytes_done, min(self.live_size, int(self.bytes_to_do * 0.99)))
        rate = done / elapsed
        eta = (self.bytes_to_do - done) / rate if rate else 0.0
        text = (f"{self.done}/{self.to_do} shards  {documents:,} docs  {done / MIB:,.1f} MiB  "
                f"{documents / elapsed:,.0f} docs/s  {rate / MIB:,.1f} MiB/s  ETA {_clock(eta)}")
        if self.tty:
            share = done / self.bytes_to_do if self.bytes_to_do else 1.0
            filled = int(share * 20)
            line = f"[{'#' * filled}{'.' * (20 - filled)}] {text}"
            # One line that fits: a wrapped line cannot be redrawn with \r, and each update would add one.
            width = shutil.get_terminal_size((80, 24)).columns - 1
            self._write(f"\r{line[:width]}\x1b[K")
        elif final or time.monotonic() - self.last_log >= self.log_every:
            self.last_log = time.monotonic()
            self._line(text)

    def finish(self, result: RunResult) -> None:
        if self.tty and self.done and not self.quiet:
            self._write("\n")
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
            self._line(f"cleaner: every reject, with its file and position: {result.out}/rejects")
        if total.damaged_ranges:
            self._line(f"cleaner: warning: {total.damaged_ranges:,} damaged input ranges ({total.damaged_bytes:,} "
                       f"bytes) could not be read and were skipped; each is a reject in {result.out}/rejects "
                       "(exit code 3)")
        slow = result.totals.over_budget
        if slow:
            # Named, with what they cost: a rule that keeps running past its limit is for its author to fix.
            self._line(f"cleaner: warning: documents rejected for time, by stage and rule: "
                       f"{', '.join(f'{name} ({count:,})' for name, count in slow.most_common(8))}")
        if self.quiet and result.ok:
            return
        self._line(f"cleaner: {total.read:,} documents read -> {total.records:,} records from "
                   f"{total.with_records:,} documents, {total.empty:,} with nothing to keep, "
                   f"{total.rejected:,} rejected; {result.seconds:.1f}s; output in {result.out}")

    def _line(self, text: str) -> None:
        self._write(text + "\n")

    def _write(self, text: str) -> None:
        # Progress is a courtesy: a closed stream (`cleaner clean ... 2>&1 | head`) silences it and never
        # stops the run, whose shards go on to be committed.
        if self.closed:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # BrokenPipeError; ValueError: a closed file object
            self.closed = True


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
