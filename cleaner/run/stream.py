"""Streaming: documents from files or standard input, cleaned in this process, records written as JSON lines
to a text stream (standard output) as they are made. For pipes into other tools and for quick looks; the
batch job (sharded, parallel, resumable, Parquet) is the way to clean a large dump.

The same per-document steps as a shard (``clean_items``): every document ends as records, an empty
result or a reject, and the counts say so.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any, TextIO

from cleaner.io.readers import STDIN, Piece, read_piece, read_stream
from cleaner.run.plan import expand_inputs
from cleaner.run.report import FileCounts, ShardReport
from cleaner.run.shard import DocumentBudget, JobSettings, clean_items, cleaner_for

#: Row fields that the Parquet rows carry as JSON text and a JSON line carries as objects.
_NESTED = ("metadata", "fields")


@dataclass
class JsonLines:
    """A row sink writing each row as one JSON object on its own line."""

    stream: TextIO

    def add(self, row: dict[str, Any], size: int) -> None:
        shown = {key: (json.loads(value) if key in _NESTED and isinstance(value, str) else value)
                 for key, value in row.items()}
        self.stream.write(json.dumps(shown, ensure_ascii=False, default=_plain) + "\n")


@dataclass
class RejectLines:
    """A row sink for rejects: one readable line each on the error stream (documents left empty are counted,
    not shown)."""

    stream: TextIO
    shown: int = 0
    limit: int = 20

    def add(self, row: dict[str, Any], size: int) -> None:
        if row.get("status") != "rejected":
            return
        self.shown += 1
        if self.shown <= self.limit:
            where = f"{row['input_path']}:{row['input_position']}"
            who = f" {row['doc_id']}" if row.get("doc_id") else ""
            self.stream.write(f"cleaner: rejected {where}{who}: {row['reason']}\n")
        elif self.shown == self.limit + 1:
            self.stream.write("cleaner: (further rejects are counted, not shown)\n")


@dataclass
class StreamResult:
    report: ShardReport = field(default_factory=lambda: ShardReport("stream", 0))

    def total(self) -> FileCounts:
        return FileCounts.summed(self.report.files.values())


def stream_clean(inputs: Sequence[str], settings: JobSettings, out: TextIO, errors: TextIO,
                 stdin: IO[bytes] | None = None) -> StreamResult:
    """Cleans the inputs (files, folders, patterns, or ``-`` for ``stdin``) in order, writing records to
    ``out`` as JSON lines and rejects to ``errors``."""
    cleaner = cleaner_for(settings.with_rules_read())
    result = StreamResult()
    records, rejects = JsonLines(out), RejectLines(errors)
    with DocumentBudget(settings.time_budget) as budget:
        for spec in inputs:
            if spec == STDIN:
                if stdin is None:
                    raise ValueError("'-' names standard input, and none was given")
                clean_items(STDIN, 0, read_stream(stdin, settings.read), cleaner, result.report, records, rejects,
                            None, budget=budget)
                continue
            for path in expand_inputs([spec]):
                clean_items(path, 0, read_piece(Piece(path), settings.read), cleaner, result.report, records,
                            rejects, None, budget=budget)
            out.flush()
    return result


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
