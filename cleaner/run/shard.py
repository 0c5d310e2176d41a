"""One shard, start to finish: read, clean, write parts, then leave a completion marker.

The same function runs in-process, in a local worker process and as a Ray task. A shard either finishes
(parts renamed into place, or uploaded under names of their own; marker written last) or is redone from
scratch on the next run.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from typing import Any, Protocol

from cleaner._api import Cleaner
from cleaner._version import __version__
from cleaner.core.engine import Options
from cleaner.io.html import HtmlOptions
from cleaner.io.readers import Document, ReadOptions, Rejected, read_piece
from cleaner.io.rulefiles import RuleSnapshot, rules_from_snapshot, snapshot_rules
from cleaner.io.writers import (
    RECORD_SCHEMA,
    REJECT_SCHEMA,
    REMOVAL_SCHEMA,
    ROW_GROUP_ROWS,
    PartWriter,
    record_row,
    removal_rows,
    unwritable_field,
)
from cleaner.run.dedup import SIGNATURE_SCHEMA, signature_row
from cleaner.run.layout import RECORDS, REJECTS, REMOVALS, SIGNATURES
from cleaner.run.plan import Shard
from cleaner.run.report import FileCounts, RowSink, ShardReport
from cleaner.run.target import target_for

#: What an executor yields per shard: its report, or the exception that stopped it.
Outcomes = Iterator[tuple[Shard, "ShardReport | BaseException"]]
#: Rows are written in parts of about this much text per shard and output kind.
DEFAULT_PART_BYTES = 32 * 1024 * 1024


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
    #: Seconds one document may take to clean; a slower one becomes a reject (None: no bound).
    time_budget: float | None = 60.0
    #: Rows per Parquet row group.
    row_group_rows: int = ROW_GROUP_ROWS
    #: The rule files' bytes as read once at the start of the run (:meth:`with_rules_read`): every worker
    #: compiles these, and the fingerprint names these, whatever happens to the files meanwhile. Empty: the
    #: files are read where they are needed.
    rules: RuleSnapshot = ()

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
                   "time_budget": self.time_budget}
        digest.update(json.dumps(options, sort_keys=True).encode())
        return digest.hexdigest()


def cleaner_for(settings: JobSettings) -> Cleaner:
    return _compiled(settings.with_rules_read().rules, settings.disable, settings.html,
                     Options(drop_comments=settings.drop_comments, time_budget=settings.time_budget))


@lru_cache(maxsize=4)
def _compiled(rules: RuleSnapshot, disable: tuple[str, ...], html: HtmlOptions, options: Options) -> Cleaner:
    # One compiled Cleaner per worker process and rule settings, reused for every shard it runs (whatever
    # its output folder): compiling the rules takes about a second.
    return Cleaner(rules_from_snapshot(rules, disable), html_options=html, options=options)


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

    def part_writer(kind: str, schema: dict[str, Any]) -> PartWriter:
        return target.part_writer(kind, shard.key, schema, settings.part_bytes,
                                  row_group_rows=settings.row_group_rows, metadata=provenance(settings))

    records, rejects = part_writer(RECORDS, RECORD_SCHEMA), part_writer(REJECTS, REJECT_SCHEMA)
    removals = part_writer(REMOVALS, REMOVAL_SCHEMA) if settings.write_removals else None
    # Signatures are small (about 600 bytes a record): a part per 64 MB of records text is plenty.
    signatures = part_writer(SIGNATURES, SIGNATURE_SCHEMA)
    report = ShardReport(shard.key, shard.size)
    for piece in shard.pieces:
        clean_items(piece.path, piece.start, read_piece(piece, settings.read), cleaner, report, records, rejects,
                    removals, live, signatures)
    for writer in (records, rejects, removals, signatures):
        if writer is not None:
            writer.close()
            report.parts.extend(f"{writer.folder.name}/{p}" for p in writer.parts)
            report.sums.update({f"{writer.folder.name}/{p}": sums for p, sums in writer.sums.items()})
    report.seconds = round(time.perf_counter() - started, 3)
    target.write_marker(shard.key, report.to_json())
    return report


def clean_items(path: str, start: int, items: Iterator[Document | Rejected], cleaner: Cleaner, report: ShardReport,
                records: RowSink, rejects: RowSink, removals: RowSink | None, live: LiveCounter | None = None,
                signatures: RowSink | None = None) -> None:
    """Cleans what a reader yields for one input, counting every item under ``path`` in ``report``."""
    counts = report.files.setdefault(path, FileCounts())
    position = start
    while True:
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
            _clean_document(item, cleaner, counts, report, records, rejects, removals, signatures)
        if live is not None:
            live.add(1, item.size if isinstance(item, Document) else 0)


def _clean_document(document: Document, cleaner: Cleaner, counts: FileCounts, report: ShardReport,
                    records: RowSink, rejects: RowSink, removals: RowSink | None,
                    signatures: RowSink | None = None) -> None:
    """Cleans one document and writes its rows, all or none: whatever any step raises, or a row that could
    not be encoded, makes the document a reject with the reason, and the shard goes on."""
    try:
        # The records carry published_at, resolved as for a library call with the same fetch time.
        if document.html is not None:
            cleaned = cleaner.process(html=document.html, doc_id=document.doc_id, url=document.url,
                                      fetched_at=document.fetched_at)
        else:
            cleaned = cleaner.engine.process(document.text or "", doc_id=document.doc_id, url=document.url,
                                             fetched_at=document.fetched_at)
        removed = removal_rows(cleaned) if removals is not None else []
        rows = [record_row(record, document, record.published_at) for record in cleaned.records]
        bad = next(((i, name) for i, row in enumerate(rows + removed) if (name := unwritable_field(row))), None)
        if bad is not None:
            raise ValueError(f"field {bad[1]!r} holds text that UTF-8 cannot encode (a lone surrogate?)")
    except Exception as exc:  # one document must never take the shard down; it is rejected with the cause
        counts.rejected += 1
        report.reject(rejects, Rejected(document.input_path, document.position, document.doc_id,
                                        f"could not be processed: {type(exc).__name__}: {exc}"))
        return
    report.hits.update(cleaned.hits())
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
    for row in rows:
        records.add(row, len(row["text"]))
        if signatures is not None:
            signatures.add(signature_row(row), 600)
