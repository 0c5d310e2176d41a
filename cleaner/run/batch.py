"""The batch job: plan shards, skip the finished ones, run the rest on an executor, write the manifest.

Resuming is the normal path: every run first reads the completion markers under ``OUT/_state`` and only
processes shards without one. An interrupted run is continued by running the same command again.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from cleaner._version import __version__
from cleaner.core.siterepeat import DETECTOR as SITE_REPEAT
from cleaner.run.layout import LOCK as LOCK  # the lock, the manifest and the errors are named here too
from cleaner.run.layout import MANIFEST as MANIFEST
from cleaner.run.layout import RECORDS, REJECTS, REMOVALS
from cleaner.run.plan import DEFAULT_SHARD_BYTES, Shard, expand_inputs, inputs_fingerprint, plan_shards
from cleaner.run.report import FileCounts, ShardReport
from cleaner.run.shard import JobSettings, Outcomes, process_shard
from cleaner.run.siterepeat import shards_profile
from cleaner.run.spawn import ignore_interrupts, interrupts_held, spawn_context
from cleaner.run.target import OutputUnusable as OutputUnusable
from cleaner.run.target import RunConflict as RunConflict
from cleaner.run.target import Target, target_for

log = logging.getLogger("cleaner")

#: A run that rejects a larger share of what it read is a failed run (exit 1), however complete.
DEFAULT_MAX_REJECT_RATE = 0.5
#: ... and so is one that leaves a larger share of what it read with nothing to keep: a rule that matches
#: every line (``.+``) empties every document, and must not pass for a run that did its job.
DEFAULT_MAX_EMPTY_RATE = 0.5


#: Called with the documents (and their size) done so far in this run, while shards are running.
LiveProgress = Callable[[int, int], None]
#: How often live progress is passed on, in seconds.
_TICK = 0.25


class Executor(Protocol):
    """Runs shards somewhere and yields each one's report, or the exception that stopped it."""

    def run(self, shards: Sequence[Shard], settings: JobSettings, on_progress: LiveProgress | None = None
            ) -> Outcomes:
        ...


@dataclass
class _Ticking:
    """A live counter in this process, passing its counts on at most every ``_TICK`` seconds."""

    on_progress: LiveProgress
    documents: int = 0
    size: int = 0
    last: float = 0.0

    def add(self, documents: int, size: int) -> None:
        self.documents += documents
        self.size += size
        now = time.monotonic()
        if now - self.last >= _TICK:
            self.last = now
            self.on_progress(self.documents, self.size)


@dataclass
class InProcessExecutor:
    """Shards one after another in this process: for one worker, tests and debugging."""

    def run(self, shards: Sequence[Shard], settings: JobSettings, on_progress: LiveProgress | None = None
            ) -> Outcomes:
        live = _Ticking(on_progress) if on_progress is not None else None
        for shard in shards:
            # The yield stays outside the try: a caller stopped by Ctrl-C closes this generator, and a
            # GeneratorExit caught here and answered with a yield printed "Exception ignored ... RuntimeError".
            outcome: ShardReport | BaseException
            try:
                outcome = process_shard(shard, settings, live)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:
                outcome = exc
            yield shard, outcome


@dataclass
class ProcessExecutor:
    """Shards across local worker processes, a bounded number in flight so memory stays flat."""

    workers: int

    def run(self, shards: Sequence[Shard], settings: JobSettings, on_progress: LiveProgress | None = None
            ) -> Outcomes:
        pending: dict[Future[ShardReport], Shard] = {}
        queue = iter(shards)
        broken = False
        # Never more workers than shards: an absurd --workers (a settings file's typo) must not make a process,
        # or a slot of shared memory, per unit of it.
        workers = max(1, min(self.workers, len(shards)))
        context = spawn_context()
        # Documents and their size, one slot per worker (and spares), summed by this process.
        live = _SharedCounter(context.Array("q", _SharedCounter.CELLS * 2 * workers, lock=False))
        with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                 initializer=_init_worker, initargs=(os.getpid(), live)) as pool:
            try:
                while True:
                    while not broken and len(pending) < workers * 2:
                        shard = next(queue, None)
                        if shard is None:
                            break
                        try:
                            with interrupts_held():  # a submit may start a worker
                                pending[pool.submit(_process_in_worker, shard, settings)] = shard
                        except BrokenProcessPool:
                            broken = True
                            yield shard, RuntimeError(_WORKER_DIED)
                    if not pending:
                        for shard in queue if broken else ():
                            yield shard, RuntimeError(f"not started: {_WORKER_DIED}")
                        return
                    done, _ = wait(pending, timeout=_TICK if on_progress else None, return_when=FIRST_COMPLETED)
                    if on_progress is not None:
                        on_progress(*live.counts())
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


@dataclass
class _SharedCounter:
    """Counts of the worker processes in shared memory: a slot per worker (its pid, documents, size), each
    written by its worker alone, summed by the main process, and no lock. A lock held by a worker that is
    killed mid-update is never released, and every process asking for it then waits forever (a run that
    hangs after a kill -9 of one worker). Progress is all these counts serve: the run's totals come from
    the shard reports.
    """

    shared: Any
    slot: int = -1
    CELLS = 3

    def claim(self) -> None:
        """Takes a free slot for this process (probing from its pid); a clash, which needs two workers
        probing the same slot at the same instant, only merges two workers' progress."""
        pid = os.getpid()
        slots = len(self.shared) // self.CELLS
        for step in range(slots):
            index = (pid + step) % slots
            if self.shared[index * self.CELLS] == 0:
                self.shared[index * self.CELLS] = pid
                if self.shared[index * self.CELLS] == pid:
                    self.slot = index
                    return
        self.slot = pid % slots

    def add(self, documents: int, size: int) -> None:
        if self.slot < 0:
            self.claim()
        cell = self.slot * self.CELLS
        self.shared[cell + 1] += documents
        self.shared[cell + 2] += size

    def counts(self) -> tuple[int, int]:
        values = self.shared[:]
        return (sum(values[1::self.CELLS]), sum(values[2::self.CELLS]))


#: The live counter of this worker process, handed over when the pool starts it.
_worker_live: _SharedCounter | None = None


def _init_worker(parent: int, live: _SharedCounter) -> None:
    global _worker_live
    ignore_interrupts()
    _die_with(parent)
    live.claim()
    _worker_live = live


def _process_in_worker(shard: Shard, settings: JobSettings) -> ShardReport:
    return process_shard(shard, settings, _worker_live)


def _die_with(parent: int) -> None:
    """A worker ends when its main process does. A kill -9 of the main process cannot be caught there, and
    the workers (and, through them, multiprocessing's resource tracker) would otherwise live on."""
    try:
        import ctypes

        set_parent_death_signal = 1  # PR_SET_PDEATHSIG (Linux)
        if ctypes.CDLL(None, use_errno=True).prctl(set_parent_death_signal, signal.SIGKILL) != 0:
            raise OSError(ctypes.get_errno(), "prctl")
    except (OSError, AttributeError):  # not Linux: watch the parent instead
        threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch", daemon=True).start()
    if os.getppid() != parent:  # the main process died before the signal was armed
        os._exit(1)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


_WORKER_DIED = "a worker process died (killed or crashed) while shards were in flight"


@dataclass
class Totals:
    files: dict[str, FileCounts] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    notices: int = 0
    size: int = 0
    over_budget: Counter[str] = field(default_factory=Counter)

    def add(self, report: ShardReport) -> None:
        for path, counts in report.files.items():
            self.files.setdefault(path, FileCounts()).add(counts)
        self.hits.update(report.hits)
        self.reasons.update(report.reasons)
        self.over_budget.update(report.over_budget)
        self.notices += report.notices
        self.size += report.size

    def total(self) -> FileCounts:
        return FileCounts.summed(self.files.values())


@dataclass
class RunResult:
    #: The output folder, or its URL when it is in object storage.
    out: str
    shards: int
    resumed: int
    failed: list[tuple[str, str]]
    totals: Totals
    interrupted: bool = False
    seconds: float = 0.0
    #: The share of documents read that may be rejected before the run counts as failed (None: any).
    max_reject_rate: float | None = DEFAULT_MAX_REJECT_RATE
    #: The share that may end with nothing to keep (None: any).
    max_empty_rate: float | None = DEFAULT_MAX_EMPTY_RATE

    @property
    def complete(self) -> bool:
        """Every shard finished (the output holds everything this run could make of its inputs)."""
        return not self.failed and not self.interrupted

    @property
    def ok(self) -> bool:
        """Complete, and it did its job: documents were read and not mostly rejected."""
        return self.complete and not self.problems

    @property
    def data_lost(self) -> bool:
        """Bytes of the inputs could not be read at all (damaged containers): the output holds everything
        readable, but not everything there was."""
        return self.totals.total().damaged_ranges > 0

    @property
    def reject_rate(self) -> float:
        total = self.totals.total()
        return total.rejected / total.read if total.read else 0.0

    @property
    def problems(self) -> list[str]:
        """Why a run whose shards all finished still did not do its job: it read nothing, or rejected most."""
        if not self.complete:
            return []
        return run_problems(self.totals.total(), self.max_reject_rate, self.max_empty_rate, self.totals.hits)


def run_problems(total: FileCounts, max_reject_rate: float | None, max_empty_rate: float | None = None,
                 hits: Counter[str] | None = None) -> list[str]:
    """What makes a finished run a failed one: nothing read, more rejects than allowed, or more documents
    left with nothing to keep than allowed (named with the rules that removed the most)."""
    if total.read == 0:
        return ["no document was read: the inputs hold none in a format cleaner reads"]
    problems = []
    rate = total.rejected / total.read
    if max_reject_rate is not None and rate > max_reject_rate:
        problems.append(f"{total.rejected:,} of {total.read:,} documents were rejected ({rate:.0%}), more than "
                        f"the {max_reject_rate:.0%} allowed (--max-reject-rate); wrong --format or fields?")
    empty = total.empty / total.read
    if max_empty_rate is not None and empty > max_empty_rate:
        top = ", ".join(f"{rule} ({count:,} lines)" for rule, count in (hits or Counter()).most_common(3))
        problems.append(f"{total.empty:,} of {total.read:,} documents were left with nothing to keep ({empty:.0%}), "
                        f"more than the {max_empty_rate:.0%} allowed (--max-empty-rate); the rules that removed "
                        f"the most: {top or 'none'} ('cleaner rules check' finds rules that match most lines)")
    return problems


ProgressCallback = Callable[[ShardReport, Totals], None]


def run_batch(inputs: Sequence[str], settings: JobSettings, executor: Executor, *,
              shard_bytes: int = DEFAULT_SHARD_BYTES, overwrite: bool = False,
              max_reject_rate: float | None = DEFAULT_MAX_REJECT_RATE,
              max_empty_rate: float | None = DEFAULT_MAX_EMPTY_RATE,
              on_start: Callable[[int, int, int], None] | None = None,
              on_shard: ProgressCallback | None = None, on_progress: LiveProgress | None = None) -> RunResult:
    """Run (or resume) the job; returns what was done. ``on_start(shards, to_do, bytes_to_do)`` and
    ``on_shard`` report progress."""
    started = time.perf_counter()
    settings = settings.with_rules_read()  # once per run: what every shard compiles and every part names
    target = target_for(settings.out)
    files = expand_inputs(inputs, exclude=settings.out)
    with target.exclusive():
        result = _run_locked(target, files, settings, executor, shard_bytes, overwrite, max_reject_rate, on_start,
                             on_shard, on_progress, started, max_empty_rate)
    return result


def _run_locked(target: Target, files: list[str], settings: JobSettings, executor: Executor, shard_bytes: int,
                overwrite: bool, max_reject_rate: float | None, on_start: Callable[[int, int, int], None] | None,
                on_shard: ProgressCallback | None, on_progress: LiveProgress | None, started: float,
                max_empty_rate: float | None = DEFAULT_MAX_EMPTY_RATE) -> RunResult:
    shards = plan_shards(files, settings.read, shard_bytes)
    # The version too: another release may clean the same document otherwise, and a resume must not mix
    # records of two releases in one output.
    identity = {"inputs": inputs_fingerprint(files), "settings": settings.fingerprint(),
                "shard_bytes": shard_bytes, "shards": len(shards), "version": __version__}
    target.claim(identity, overwrite, (RECORDS, REJECTS, *((REMOVALS,) if settings.write_removals else ())))
    totals = Totals()
    to_do: list[Shard] = []
    for shard in shards:
        report = target.finished(shard.key)
        if report is not None:
            totals.add(report)
        else:
            to_do.append(shard)
    resumed = len(shards) - len(to_do)
    if to_do:
        settings = with_site_profile(settings, shards)
    if on_start:
        on_start(len(shards), len(to_do), sum(s.size for s in to_do))
    failed: list[tuple[str, str]] = []
    interrupted = False
    try:
        for shard, outcome in executor.run(to_do, settings, on_progress):
            if isinstance(outcome, BaseException):
                failed.append((shard.key, f"{type(outcome).__name__}: {outcome}"))
                continue
            totals.add(outcome)
            if on_shard:
                on_shard(outcome, totals)
    except KeyboardInterrupt:
        interrupted = True
        for shard in to_do:
            if not target.has_marker(shard.key):
                target.discard_partial(shard.key)
    result = RunResult(target.location, len(shards), resumed, failed, totals, interrupted,
                       time.perf_counter() - started, max_reject_rate, max_empty_rate)
    target.write_manifest(manifest_of(result, files, identity))
    return result


def with_site_profile(settings: JobSettings, shards: Sequence[Shard]) -> JobSettings:
    """The settings with the host profile of all the run's shards (finished ones too, so that a resumed
    run removes what the first one did), unless the detector is off or a profile was given."""
    off = any(d.casefold() == SITE_REPEAT for d in settings.disable)
    if off or not settings.site_repeat.enabled or settings.profile_given:
        return settings
    started = time.perf_counter()
    profile = shards_profile(shards, settings.read, settings.site_repeat)
    log.info("site repetition: %d host(s) with repeated lines, %d line(s), counted in %.1f s", len(profile.hosts),
             sum(len(h.lines) for h in profile.hosts.values()), time.perf_counter() - started)
    return replace(settings, site_profile=profile.as_json() if profile.hosts else None)


def manifest_of(result: RunResult, files: Sequence[str], identity: dict[str, Any]) -> dict[str, Any]:
    totals = result.totals
    summed = totals.total()
    per_file = {}
    for path in files:
        counts = totals.files.get(path)
        if counts is not None:
            per_file[path] = {**counts.__dict__,
                              "balanced": counts.read == counts.with_records + counts.empty + counts.rejected}
    manifest = {
        "complete": result.complete,
        "ok": result.ok,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(result.seconds, 3),
        "shards": {"total": result.shards, "resumed": result.resumed, "failed": len(result.failed)},
        "failures": [{"shard": key, "error": error} for key, error in result.failed],
        "interrupted": result.interrupted,
        "documents": {"read": summed.read, "with_records": summed.with_records, "empty": summed.empty,
                      "rejected": summed.rejected},
        "records": summed.records,
        "balanced": summed.read == summed.with_records + summed.empty + summed.rejected,
        # Damaged input: byte ranges skipped to read on after them (each also a reject row that names it).
        "damaged": {"ranges": summed.damaged_ranges, "bytes": summed.damaged_bytes},
        "data_lost": result.data_lost,
        "input_bytes": totals.size,
        "reject_rate": round(result.reject_rate, 6),
        "reject_reasons": dict(totals.reasons.most_common()),
        "over_budget": dict(totals.over_budget.most_common()),
        "problems": result.problems,
        "rule_hits": dict(sorted(totals.hits.items())),
        "notices": totals.notices,
        "files": per_file,
        "identity": identity,
    }
    return manifest
