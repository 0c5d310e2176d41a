"""The batch job: plan shards, skip the finished ones, run the rest on an executor, write the manifest.

Resuming is the normal path: every run first reads the completion markers under ``OUT/_state`` and only
processes shards without one. An interrupted run is continued by running the same command again.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import shutil
import signal
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cleaner.core.errors import CleanerError
from cleaner.io.writers import write_json_atomically
from cleaner.run.plan import DEFAULT_SHARD_BYTES, Shard, expand_inputs, inputs_fingerprint, plan_shards
from cleaner.run.shard import (
    STATE,
    FileCounts,
    JobSettings,
    Outcomes,
    ShardReport,
    discard_partial,
    marker_path,
    process_shard,
)

log = logging.getLogger("cleaner")

MANIFEST = "manifest.json"


class RunConflict(CleanerError):
    """The output folder holds a run made with other inputs or settings."""


class Executor(Protocol):
    """Runs shards somewhere and yields each one's report, or the exception that stopped it."""

    def run(self, shards: Sequence[Shard], settings: JobSettings) -> Outcomes:
        ...


@dataclass
class InProcessExecutor:
    """Shards one after another in this process: for one worker, tests and debugging."""

    def run(self, shards: Sequence[Shard], settings: JobSettings) -> Outcomes:
        for shard in shards:
            try:
                yield shard, process_shard(shard, settings)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:
                yield shard, exc


@dataclass
class ProcessExecutor:
    """Shards across local worker processes, a bounded number in flight so memory stays flat."""

    workers: int

    def run(self, shards: Sequence[Shard], settings: JobSettings) -> Outcomes:
        pending: dict[Future[ShardReport], Shard] = {}
        queue = iter(shards)
        broken = False
        # "spawn", not fork: forking a parent whose polars thread pool is running deadlocks the child.
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_ignore_interrupts) as pool:
            try:
                while True:
                    while not broken and len(pending) < self.workers * 2:
                        shard = next(queue, None)
                        if shard is None:
                            break
                        try:
                            pending[pool.submit(process_shard, shard, settings)] = shard
                        except BrokenProcessPool:
                            broken = True
                            yield shard, RuntimeError(_WORKER_DIED)
                    if not pending:
                        for shard in queue if broken else ():
                            yield shard, RuntimeError(f"not started: {_WORKER_DIED}")
                        return
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        shard = pending.pop(future)
                        error = future.exception()
                        if isinstance(error, BrokenProcessPool):
                            broken = True
                            yield shard, RuntimeError(_WORKER_DIED)
                        else:
                            yield shard, error if error is not None else future.result()
            except BaseException:
                # Ctrl-C reaches only this process (workers ignore it): stop the workers here, so shutdown
                # cannot wait on a worker blocked mid-task; the caller discards their unfinished shards.
                for process in list(getattr(pool, "_processes", {}).values()):
                    process.terminate()
                pool.shutdown(wait=False, cancel_futures=True)
                raise


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


_WORKER_DIED = "a worker process died (killed or crashed) while shards were in flight"


@dataclass
class Totals:
    files: dict[str, FileCounts] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    notices: int = 0
    size: int = 0

    def add(self, report: ShardReport) -> None:
        for path, counts in report.files.items():
            self.files.setdefault(path, FileCounts()).add(counts)
        self.hits.update(report.hits)
        self.notices += report.notices
        self.size += report.size

    def total(self) -> FileCounts:
        summed = FileCounts()
        for counts in self.files.values():
            summed.add(counts)
        return summed


@dataclass
class RunResult:
    out: Path
    shards: int
    resumed: int
    failed: list[tuple[str, str]]
    totals: Totals
    interrupted: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.interrupted


ProgressCallback = Callable[[ShardReport, Totals], None]


def run_batch(inputs: Sequence[str], settings: JobSettings, executor: Executor, *,
              shard_bytes: int = DEFAULT_SHARD_BYTES, overwrite: bool = False,
              on_start: Callable[[int, int, int], None] | None = None,
              on_shard: ProgressCallback | None = None) -> RunResult:
    """Run (or resume) the job; returns what was done. ``on_start(shards, to_do, bytes_to_do)`` and
    ``on_shard`` report progress."""
    started = time.perf_counter()
    out = Path(settings.out)
    files = expand_inputs(inputs, exclude=out)
    shards = plan_shards(files, settings.read, shard_bytes)
    identity = {"inputs": inputs_fingerprint(files), "settings": settings.fingerprint(),
                "shard_bytes": shard_bytes, "shards": len(shards)}
    _claim(out, identity, overwrite)
    totals = Totals()
    to_do: list[Shard] = []
    for shard in shards:
        marker = marker_path(out, shard.key)
        report = _finished(out, marker)
        if report is not None:
            totals.add(report)
        else:
            to_do.append(shard)
    resumed = len(shards) - len(to_do)
    if on_start:
        on_start(len(shards), len(to_do), sum(s.size for s in to_do))
    failed: list[tuple[str, str]] = []
    interrupted = False
    try:
        for shard, outcome in executor.run(to_do, settings):
            if isinstance(outcome, BaseException):
                failed.append((shard.key, f"{type(outcome).__name__}: {outcome}"))
                continue
            totals.add(outcome)
            if on_shard:
                on_shard(outcome, totals)
    except KeyboardInterrupt:
        interrupted = True
        for shard in to_do:
            if not marker_path(out, shard.key).is_file():
                discard_partial(out, shard.key)
    result = RunResult(out, len(shards), resumed, failed, totals, interrupted, time.perf_counter() - started)
    write_manifest(result, files, identity)
    return result


def _finished(out: Path, marker: Path) -> ShardReport | None:
    """The report of a shard whose marker is there and whose parts are all as written; else None, with the
    marker and whatever the shard left removed, so it is redone from scratch (each record once)."""
    if not marker.is_file():
        return None
    try:
        report = ShardReport.from_json(json.loads(marker.read_text(encoding="utf-8")))
        damage = report.damage(out)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        damage = f"its marker cannot be read: {exc}"
        report = None
    if damage is None:
        return report
    log.warning("shard %s is redone: %s", marker.stem, damage)
    marker.unlink(missing_ok=True)
    discard_partial(out, marker.stem)
    return None


def _claim(out: Path, identity: dict[str, Any], overwrite: bool) -> None:
    state = out / STATE / "run.json"
    if overwrite and out.exists():
        # State first: a kill in the middle then leaves data without markers (redone), never markers
        # vouching for data already deleted.
        for name in (STATE, MANIFEST, "records", "rejects", "removals", "signatures", "dedup.json"):
            target = out / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    if state.is_file():
        previous = json.loads(state.read_text(encoding="utf-8"))
        if previous != identity:
            changed = [k for k in identity if previous.get(k) != identity[k]]
            raise RunConflict(f"{out} holds a run with different {', '.join(changed)}; "
                              "resume needs the same inputs and settings (use --overwrite to start over, "
                              "or another --out)")
        return
    write_json_atomically(state, identity)


def write_manifest(result: RunResult, files: Sequence[str], identity: dict[str, Any]) -> dict[str, Any]:
    totals = result.totals
    summed = totals.total()
    per_file = {}
    for path in files:
        counts = totals.files.get(path)
        if counts is not None:
            per_file[path] = {**counts.__dict__,
                              "balanced": counts.read == counts.with_records + counts.empty + counts.rejected}
    manifest = {
        "complete": result.ok,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(result.seconds, 3),
        "shards": {"total": result.shards, "resumed": result.resumed, "failed": len(result.failed)},
        "failures": [{"shard": key, "error": error} for key, error in result.failed],
        "interrupted": result.interrupted,
        "documents": {"read": summed.read, "with_records": summed.with_records, "empty": summed.empty,
                      "rejected": summed.rejected},
        "records": summed.records,
        "balanced": summed.read == summed.with_records + summed.empty + summed.rejected,
        "input_bytes": totals.size,
        "rule_hits": dict(sorted(totals.hits.items())),
        "notices": totals.notices,
        "files": per_file,
        "identity": identity,
    }
    write_json_atomically(result.out / MANIFEST, manifest)
    return manifest
