"""One shard, start to finish: read, clean, write parts, then leave a completion marker.

The same function runs in-process, in a local worker process and as a Ray task. A shard either finishes
(parts renamed into place, or uploaded under names of their own; marker written last) or is redone from
scratch on the next run.
"""

from __future__ import annotations

import hashlib
import json
import math
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from cleaner._api import Cleaner, read_profile
from cleaner._version import __version__
from cleaner.core.engine import Options
from cleaner.core.errors import DocumentTooSlow, RuleTooSlow
from cleaner.core.siterepeat import SiteProfile, SiteRepeatSettings
from cleaner.io.html import HtmlOptions
from cleaner.io.readers import Document, Format, ReadOptions, Rejected, read_piece
from cleaner.io.rulecache import cached_rules
from cleaner.io.rulefiles import RuleSnapshot, snapshot_rules
from cleaner.io.writers import (
    CONTENT_HASH,
    INPUT_PATH,
    INPUT_POSITION,
    RECORD_INDEX,
    RECORD_NAMES,
    RECORD_SCHEMA,
    REJECT_SCHEMA,
    REMOVAL_SCHEMA,
    ROW_GROUP_ROWS,
    TEXT,
    PartWriter,
    SerialWrites,
    record_values,
    removal_rows,
    unwritable_field,
    unwritable_record_value,
)
from cleaner.run.dedup import (
    SIGNATURE_COMPRESSION,
    SIGNATURE_CONVERTERS,
    SIGNATURE_ROW_BYTES,
    SIGNATURE_SCHEMA,
    signature_columns,
    signature_values,
)
from cleaner.run.layout import RECORDS, REJECTS, REMOVALS, SIGNATURES
from cleaner.run.plan import Shard
from cleaner.run.report import FileCounts, RowSink, ShardReport
from cleaner.run.target import Target, target_for

#: Seconds a document may take by default (see ``JobSettings.time_budget``): seconds, not a minute, so a
#: hostile document costs a worker little; an ordinary one takes milliseconds.
DEFAULT_TIME_BUDGET = 2.0
#: The size a document gets ``time_budget`` for: a 10 MB one gets 2.5 times as much (5 s by default).
BUDGET_UNIT = 4 * 1024 * 1024
#: What an executor yields per shard: its report, or the exception that stopped it.
Outcomes = Iterator[tuple[Shard, "ShardReport | BaseException"]]
#: Rows are written in parts of about this much text per shard and output kind.
MIB = 1024 * 1024
DEFAULT_PART_BYTES = 32 * MIB


@dataclass(frozen=True)
class JobSettings:
    """Everything a worker needs to process shards: plain, picklable values."""

    out: str
    rule_paths: tuple[str, ...] = ()
    builtin_rules: bool = True
    disable: tuple[str, ...] = ()
    read: ReadOptions = field(default_factory=ReadOptions)
    html: HtmlOptions = field(default_factory=HtmlOptions)
    part_bytes: int = DEFAULT_PART_BYTES
    write_removals: bool = False
    #: Reader comments found in the text are removed instead of becoming records of kind "comments".
    drop_comments: bool = False
    #: Seconds a document of up to :data:`BUDGET_UNIT` bytes may take, every stage counted (decoding, HTML
    #: extraction, rules); a larger one gets as much per such unit of its size. A slower one becomes a
    #: reject with the stage it was in (None: no bound).
    time_budget: float | None = DEFAULT_TIME_BUDGET
    #: Rows per Parquet row group.
    row_group_rows: int = ROW_GROUP_ROWS
    #: When lines repeated across a host's pages are counted (``struct:site-repeat``): the counting thresholds
    #: travel with the profile; the workers judge each page with their rule files' other thresholds.
    site_repeat: SiteRepeatSettings = field(default_factory=SiteRepeatSettings)
    #: The host profile the workers use (its JSON): counted by the run from its inputs, or given.
    site_profile: str | None = None
    #: The profile was given (a file), not counted by the run.
    profile_given: bool = False
    #: The rule files' bytes as read once at the start of the run (:meth:`with_rules_read`): every worker
    #: compiles these, and the fingerprint names these, whatever happens to the files meanwhile. Empty: the
    #: files are read where they are needed.
    rules: RuleSnapshot = ()

    @classmethod
    def from_options(cls, out: str, *, rules: Sequence[str | Path] = (), disable: Sequence[str] = (),
                     no_builtin_rules: bool = False, format: Format | None = None, id_field: str = "id",
                     text_field: str = "text", url_field: str = "url", max_document_mb: float = 64.0,
                     max_html_elements: int = 30_000, max_html_attributes: int = 1_000, keep_comments: bool = False,
                     drop_comments: bool = False, no_site_repeat: bool = False,
                     site_profile: str | Path | None = None, site_min_pages: int = 10, site_min_share: float = 0.5,
                     part_mb: float = 32.0, row_group_rows: int = ROW_GROUP_ROWS,
                     time_budget: float | None = DEFAULT_TIME_BUDGET, removals: bool = False) -> JobSettings:
        """The settings of ``cleaner clean`` by its options' names and defaults (docs/options.md): sizes in
        MiB, rule files as given (resolved here), the site profile as a file (read and checked here,
        :class:`ProfileError` naming it)."""
        site = SiteRepeatSettings(enabled=not no_site_repeat, min_pages=site_min_pages, min_share=site_min_share)
        profile = None if site_profile is None else read_profile(site_profile)
        return cls(out=out, rule_paths=tuple(str(Path(p).resolve()) for p in rules),
                   builtin_rules=not no_builtin_rules, disable=tuple(disable),
                   read=ReadOptions(format=format, id_field=id_field, text_field=text_field, url_field=url_field,
                                    max_document_bytes=int(max_document_mb * MIB)),
                   html=HtmlOptions(include_comments=keep_comments, max_elements=int(max_html_elements),
                                    max_element_attributes=int(max_html_attributes)),
                   part_bytes=int(part_mb * MIB), write_removals=removals, drop_comments=drop_comments,
                   time_budget=time_budget, row_group_rows=int(row_group_rows), site_repeat=site,
                   site_profile=profile, profile_given=profile is not None)

    def with_rules_read(self) -> JobSettings:
        """These settings with the rule files read, once, into :attr:`rules` (unchanged if already read)."""
        if self.rules:
            return self
        return replace(self, rules=snapshot_rules(self.rule_paths, builtin=self.builtin_rules))

    def fingerprint(self) -> str:
        """Changes when anything that shapes the output changes: the rule files' bytes, the options."""
        digest = hashlib.sha1()
        for path, data in self.with_rules_read().rules:
            digest.update(path.encode() + b"\0" + data + b"\0")
        options = {"disable": sorted(self.disable), "read": asdict(self.read), "html": asdict(self.html),
                   "removals": self.write_removals, "drop_comments": self.drop_comments,
                   "time_budget": self.time_budget, "site_repeat": asdict(self.site_repeat)}
        if self.profile_given and self.site_profile:
            # A given profile shapes the output; a counted one follows from the inputs and the settings.
            options["site_profile"] = hashlib.sha1(self.site_profile.encode()).hexdigest()
        digest.update(json.dumps(options, sort_keys=True).encode())
        return digest.hexdigest()


def cleaner_for(settings: JobSettings, *, budgeted: bool = True) -> Cleaner:
    """The worker's Cleaner for ``settings``. ``budgeted``: its documents run under a time budget, so it is
    warmed up first (see :meth:`Cleaner.warm_up`); a caller without budgets (rule discovery) leaves each
    confirmation to be compiled when a line first needs it, and holds only those."""
    # The engine's own budget is off: the shard's (:class:`DocumentBudget`) covers every stage, scaled by size.
    return _compiled(settings.with_rules_read().rules, settings.disable, settings.html,
                     Options(drop_comments=settings.drop_comments, time_budget=None),
                     settings.site_profile, settings.site_repeat, warm=budgeted)


@lru_cache(maxsize=4)
def _compiled(rules: RuleSnapshot, disable: tuple[str, ...], html: HtmlOptions, options: Options,
              site_profile: str | None = None, site_repeat: SiteRepeatSettings | None = None, *,
              warm: bool = True) -> Cleaner:
    # One compiled Cleaner per worker process and rule settings, reused for every shard it runs (whatever
    # its output folder): compiling the rules takes about a second.
    profile = (SiteProfile.from_json(site_profile, name="the run's site profile", settings=site_repeat)
               if site_profile else None)
    built = Cleaner(cached_rules(rules), disable=disable, html_options=html, options=options, site_profile=profile)
    # Once per worker, before any document's time budget starts: a document over its budget is rejected, and a
    # fresh worker's first document must not be charged the model's load and the confirmations' compilation
    # (with two fresh workers one such document was rejected where one worker, already warm, kept it).
    if warm:
        built.warm_up()
    return built


@lru_cache(maxsize=4)
def provenance(settings: JobSettings) -> dict[str, str]:
    """What every Parquet part says made it: the cleaner version and the fingerprint of rules and options."""
    return {"cleaner_version": __version__, "cleaner_settings_fingerprint": settings.fingerprint()}


class LiveCounter(Protocol):
    """Counts documents (and their size) as a shard goes, for progress shown while it runs."""

    def add(self, documents: int, size: int) -> None:
        ...


def process_shard(shard: Shard, settings: JobSettings, live: LiveCounter | None = None) -> ShardReport:
    started = time.perf_counter()
    target = target_for(settings.out)
    target.discard_partial(shard.key)
    cleaner = cleaner_for(settings)
    # Parts are written by a thread of their own while the shard cleans on, in the order they come, and all
    # are written before the marker (see SerialWrites): the same file system steps in the same order.
    writes = SerialWrites()
    try:
        return _process_shard(shard, settings, live, started, target, cleaner, writes)
    finally:
        writes.close()


def _process_shard(shard: Shard, settings: JobSettings, live: LiveCounter | None, started: float, target: Target,
                   cleaner: Cleaner, writes: SerialWrites) -> ShardReport:
    def part_writer(kind: str, schema: dict[str, Any], converters: Any = None,
                    compression: str = "zstd") -> PartWriter:
        return target.part_writer(kind, shard.key, schema, settings.part_bytes,
                                  row_group_rows=settings.row_group_rows, metadata=provenance(settings),
                                  converters=converters, compression=compression, writes=writes)

    records, rejects = part_writer(RECORDS, RECORD_SCHEMA), part_writer(REJECTS, REJECT_SCHEMA)
    removals = part_writer(REMOVALS, REMOVAL_SCHEMA) if settings.write_removals else None
    # Signatures are small (about 600 bytes a record): a part per 64 MB of records text is plenty.
    signatures = part_writer(SIGNATURES, SIGNATURE_SCHEMA, SIGNATURE_CONVERTERS, SIGNATURE_COMPRESSION)
    # A record's signature row follows from its record row: made a chunk of records at a time (the MinHash
    # of a chunk's texts in one native call), as the records writer makes each chunk, every record's once.
    records.on_chunk = lambda columns: signatures.add_columns(signature_columns(columns), SIGNATURE_ROW_BYTES)
    report = ShardReport(shard.key, shard.size)
    with DocumentBudget(settings.time_budget) as budget:
        for piece in shard.pieces:
            clean_items(piece.path, piece.start, read_piece(piece, settings.read), cleaner, report, records,
                        rejects, removals, live, None, budget)
    for writer in (records, rejects, removals, signatures):
        if writer is not None:
            writer.close()
    writes.wait()  # every part written (or the error of the one that failed raised) before the marker
    for writer in (records, rejects, removals, signatures):
        if writer is not None:
            report.parts.extend(writer.parts)  # names under OUT: the writer's prefix is its kind's folder
            report.sums.update(writer.sums)
    report.seconds = round(time.perf_counter() - started, 3)
    target.write_marker(shard.key, report.to_json())
    return report


def clean_items(path: str, start: int, items: Iterator[Document | Rejected], cleaner: Cleaner, report: ShardReport,
                records: RowSink, rejects: RowSink, removals: RowSink | None, live: LiveCounter | None = None,
                signatures: RowSink | None = None, budget: DocumentBudget | None = None) -> None:
    """Cleans what a reader yields for one input, counting every item under ``path`` in ``report``."""
    counts = report.files.setdefault(path, FileCounts())
    position = start
    # A document's budget starts when its reading does: the wall clock then (read without a system call),
    # which bounds the CPU time spent since, and the CPU clock then (see DocumentBudget.cpu_at).
    timing = budget if budget is not None and budget.seconds is not None else None
    wall_clock = time.perf_counter
    decoding = wall = 0.0
    # Live progress is passed on every LIVE_BATCH items and at the end, not a call (and a clock read) an item.
    done = done_size = 0
    try:
        while True:
            if timing is not None:
                wall = wall_clock()
                decoding = timing.cpu_at(wall)
            try:
                item = next(items)
            except StopIteration:
                break
            except Exception as exc:  # a reader that breaks loses the rest of its piece: counted, not hidden
                counts.read += 1
                counts.rejected += 1
                report.reject(rejects, Rejected(path, position, None,
                                                f"could not be read past this point: {type(exc).__name__}: {exc}"))
                break
            counts.read += 1
            position = item.position
            if isinstance(item, Rejected):
                counts.rejected += 1
                if item.damaged is not None:
                    counts.damaged_ranges += 1
                    counts.damaged_bytes += max(0, item.damaged[1] - item.damaged[0])
                report.reject(rejects, item)
            else:
                _clean_document(item, cleaner, counts, report, records, rejects, removals, signatures, timing,
                                decoding, wall)
                done_size += item.size
            done += 1
            if done >= LIVE_BATCH and live is not None:
                live.add(done, done_size)
                done = done_size = 0
    finally:
        if done and live is not None:
            live.add(done, done_size)


#: Items cleaned between two calls of a live counter (progress shown while a shard runs): a few milliseconds.
LIVE_BATCH = 64


def _clean_document(document: Document, cleaner: Cleaner, counts: FileCounts, report: ShardReport,
                    records: RowSink, rejects: RowSink, removals: RowSink | None,
                    signatures: RowSink | None = None, budget: DocumentBudget | None = None,
                    decoding: float = 0.0, wall: float = 0.0) -> None:
    """Cleans one document and writes its rows, all or none: whatever any step raises, a row that could
    not be encoded, or time past the document's budget, makes the document a reject with the reason, and
    the shard goes on. ``decoding`` and ``wall``: the CPU and wall clocks when its reading began (see
    :meth:`DocumentBudget.start`)."""
    try:
        if budget is not None:
            budget.start(document.size, decoding, wall)
        try:
            # The records carry published_at, resolved as for a library call with the same fetch time.
            if document.html is not None:
                cleaned = cleaner.process(html=document.html, doc_id=document.doc_id, url=document.url,
                                          fetched_at=document.fetched_at)
            else:
                cleaned = cleaner.engine.process(document.text or "", doc_id=document.doc_id, url=document.url,
                                                 fetched_at=document.fetched_at, site=cleaner.site_profile)
        finally:
            if budget is not None:
                budget.stop()  # the rows below are written whole, never cut off by the timer
        removed = removal_rows(cleaned) if removals is not None else []
        rows = [record_values(record, document, record.published_at) for record in cleaned.records]
        bad = None
        for values in rows:
            if bad := unwritable_record_value(values):
                break
        else:
            for row in removed:
                if bad := unwritable_field(row):
                    break
        if bad:
            raise ValueError(f"field {bad!r} holds text that UTF-8 cannot encode (a lone surrogate?)")
    except Exception as exc:  # one document must never take the shard down; it is rejected with the cause
        counts.rejected += 1
        if isinstance(exc, DocumentTooSlow):
            _count_over_budget(report, exc)
        report.reject(rejects, Rejected(document.input_path, document.position, document.doc_id,
                                        f"could not be processed: {type(exc).__name__}: {exc}"))
        return
    if cleaned.removals:  # counted as Cleaned.hits counts them, without a Counter a document
        hits = report.hits
        for removal in cleaned.removals:  # (Counter.update's own checks cost more than this loop's few items)
            hits[removal.rule_id] += 1
    report.notices += len(cleaned.notices)
    if removals is not None:
        for row in removed:
            removals.add(row, len(row["text"]))
    if not cleaned.records:
        counts.empty += 1
        report.reject(rejects, Rejected(document.input_path, document.position, document.doc_id,
                                        "nothing left to keep after cleaning (empty or all junk)"), status="empty")
        return
    counts.with_records += 1
    counts.records += len(cleaned.records)
    # A part writer takes a row as its values (no dict made to be read back in order); another sink its dict.
    direct = isinstance(records, PartWriter)
    for values in rows:
        text = values[TEXT]
        if direct:
            records.add_values(values, len(text))  # type: ignore[attr-defined]
        else:
            records.add(dict(zip(RECORD_NAMES, values, strict=True)), len(text))
        if signatures is not None:  # its MinHash is computed chunk by chunk
            signature = signature_values(values[INPUT_PATH], values[INPUT_POSITION], values[RECORD_INDEX],
                                         values[CONTENT_HASH], text)
            if isinstance(signatures, PartWriter):
                signatures.add_values(signature, 600)
            else:
                signatures.add(dict(zip(SIGNATURE_SCHEMA, signature, strict=True)), 600)


def _count_over_budget(report: ShardReport, exc: DocumentTooSlow) -> None:
    if isinstance(exc, RuleTooSlow):
        report.over_budget[f"rule {exc.rule_id}"] += 1
        return
    report.over_budget[getattr(exc, "stage", None) or "rules"] += 1
    rule = getattr(exc, "rule_id", None)
    if rule:
        report.over_budget[f"rule {rule}"] += 1


def _over_budget(seconds: float, stage: str, rule_id: str | None) -> DocumentTooSlow:
    """A document past its time budget in the batch job: names the stage it was in, and the rule running."""
    running = f", rule {rule_id}" if rule_id else ""
    error = DocumentTooSlow(f"not cleaned within its budget of {seconds:.3g} s (stage: {stage}{running})")
    error.stage, error.rule_id = stage, rule_id  # type: ignore[attr-defined]
    return error


#: The stage a document is in, by the module of the innermost cleaner frame running.
_STAGES = {"cleaner.core.engine": "rules", "cleaner.core.segment": "rules", "cleaner.core.reltime": "rules",
           "cleaner.io.html": "html extraction", "cleaner.io.html_blocks": "html rules and detectors",
           "cleaner.io.readers": "decoding"}


def _stage_of(frame: Any) -> tuple[str, str | None]:
    """The stage and the rule (when one is running) of the code ``frame`` is in."""
    stage, rule_id = None, None
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if stage is None and module.startswith("cleaner."):
            stage = _STAGES.get(module, module)
        if rule_id is None and frame.f_code.co_name == "_classify":
            rule = frame.f_locals.get("rule")
            rule_id = getattr(rule, "id", None)
        frame = frame.f_back
    return stage or "rules", rule_id


#: What a budget counts: the CPU time of the thread cleaning (decoding, extraction and rules all run in it),
#: not the wall clock, so that other processes competing for the cores do not push a document over.
budget_clock = time.thread_time


class DocumentBudget:
    """The time budget of the document being cleaned, for one shard.

    Time is the CPU time of the cleaning thread (:data:`budget_clock`): a busy machine slows a document
    down, but does not make it spend more CPU, so it does not push it over. Where it can (the main thread
    of a POSIX process: a worker process, or the command itself) a CPU-time timer (SIGPROF) stops a
    document as soon as it runs past its budget, whatever stage it is in: one interval timer for the whole
    shard, whose handler raises only while a document is being cleaned and past its deadline (arming a
    timer per document would cost two system calls a document). The time is also checked when a document
    is done (it may end between two ticks; in a thread no timer runs). Either way a document over budget is
    rejected whole, never half-cleaned.
    """

    TICK = 0.05
    #: The most CPU time :meth:`cpu_at` may leave uncounted, and the share of the budget it may at most be.
    SLACK = 0.001
    SLACK_SHARE = 0.01

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.slack = min(self.SLACK, seconds * self.SLACK_SHARE) if seconds is not None else 0.0
        #: The CPU clock as last read, and the wall clock then (-inf: never read).
        self.cpu_read = 0.0
        self.wall_read = -math.inf
        self.deadline = math.inf
        self.started = 0.0
        self.wall = 0.0
        self.allowed = 0.0
        self.timer = False
        self.previous: Any = None

    def __enter__(self) -> DocumentBudget:
        if self.seconds is not None and hasattr(signal, "setitimer") \
                and threading.current_thread() is threading.main_thread():
            try:
                self.previous = signal.signal(signal.SIGPROF, self._expired)
            except ValueError:  # not the main interpreter
                return self
            signal.siginterrupt(signal.SIGPROF, False)  # system calls the tick lands in are restarted
            signal.setitimer(signal.ITIMER_PROF, self.TICK, self.TICK)
            self.timer = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self.timer:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, self.previous if self.previous is not None else signal.SIG_DFL)
            self.timer = False

    def cpu_at(self, wall: float) -> float:
        """The CPU clock (:data:`budget_clock`) when the wall clock (``time.perf_counter``) read ``wall``, just
        now: read, or (within :attr:`slack` of wall time since it was last read) its last reading plus the
        wall time since, which it cannot have passed. Reading it is a system call (about a microsecond, a
        third of what reading a tiny document costs); a bound that is late by at most the slack only lets a
        document spend that much more CPU than its budget (a millisecond of the default 2 s, less than the
        timer's tick), never charges it for another's."""
        if wall - self.wall_read > self.slack:
            self.cpu_read, self.wall_read = budget_clock(), wall
            return self.cpu_read
        return self.cpu_read + (wall - self.wall_read)

    def start(self, size: int, started: float, wall: float) -> None:
        """A document of ``size`` bytes starts cleaning; its reading began at ``started`` on
        :data:`budget_clock` and at ``wall`` on the wall clock (``time.perf_counter``).

        A thread's CPU clock is a system call (about half a microsecond, which counts on millions of tiny
        documents); the wall clock is not. A thread cannot spend more CPU time than wall time passes, so
        while the wall clock says the budget is not spent, neither is the CPU time, and the CPU clock is
        read only past that point: the same verdicts as reading it each time."""
        if self.seconds is None:
            return
        self.allowed = self.seconds * max(1.0, size / BUDGET_UNIT)
        self.started, self.wall = started, wall
        if time.perf_counter() - wall > self.allowed and budget_clock() - started > self.allowed:
            raise _over_budget(self.allowed, "decoding", None)
        self.deadline = started + self.allowed

    def stop(self) -> None:
        if self.seconds is None:
            return
        self.deadline = math.inf
        # It ended between two ticks, or no timer runs (the CPU clock read only when it may be over, see start).
        if time.perf_counter() - self.wall > self.allowed and budget_clock() - self.started > self.allowed:
            raise _over_budget(self.allowed, "cleaning (measured when it ended)", None)

    def _expired(self, signum: int, frame: Any) -> None:
        if budget_clock() > self.deadline:
            self.deadline = math.inf  # once per document
            raise _over_budget(self.allowed, *_stage_of(frame))
