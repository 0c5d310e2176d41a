"""Parquet output with polars: rows are buffered and written as part files that appear atomically.

A part is committed by the storage layer (:meth:`cleaner.io.storage.DataFolder.write_parquet`): a crash
leaves either a complete part or none; a half-written file never carries a final name.
"""

from __future__ import annotations

import json
import os
import queue
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import polars as pl

from cleaner._native import ContentHasher, ascii_content_hash
from cleaner.core.corpus import content_hash
from cleaner.core.matcher import case_folds
from cleaner.core.records import Cleaned, Record, Removal
from cleaner.io.readers import Document, Rejected

if TYPE_CHECKING:
    from cleaner.io.storage import DataFolder

RECORD_SCHEMA: dict[str, Any] = {
    "doc_id": pl.String,
    "record_index": pl.Int32,
    "kind": pl.Enum(["main", "related", "comments"]),
    "source": pl.String,
    "published": pl.String,
    "published_at": pl.Datetime("us", "UTC"),
    "title": pl.String,
    "text": pl.String,
    "url": pl.String,
    "link": pl.String,
    "language": pl.String,
    "fetched_at": pl.Datetime("us", "UTC"),
    "input_path": pl.String,
    "input_position": pl.Int64,
    "metadata": pl.String,
    "fields": pl.String,
    "content_hash": pl.String,
}
REJECT_SCHEMA: dict[str, Any] = {
    "input_path": pl.String,
    "input_position": pl.Int64,
    "doc_id": pl.String,
    "status": pl.String,
    "reason": pl.String,
    "sample": pl.String,
}
REMOVAL_SCHEMA: dict[str, Any] = {
    "doc_id": pl.String,
    "rule_id": pl.String,
    "start": pl.Int64,
    "end": pl.Int64,
    "text": pl.String,
    #: Why a detector removed the span ("seen on 37 of 40 pages of example.com"); null for a rule.
    "evidence": pl.String,
}
#: Rows per Parquet row group: big enough for scans to be fast, small enough to read one at a time.
ROW_GROUP_ROWS = 65_536


class PartWriter:
    """Buffers rows and writes them as ``<prefix>-NNNN.parquet`` parts of about ``part_bytes`` each, into
    ``folder`` (``prefix`` is a name in it, such as ``records/<shard>``).

    Memory is bounded by bytes held, not by rows: rows arrive as Python dicts (a few hundred bytes of
    objects for a record of twenty characters, five kilobytes for a signature's 128 integers), so they are
    turned into a compact columnar chunk every ``CHUNK_ROWS`` rows or ``CHUNK_BYTES`` of declared size, and
    a part is written once its chunks hold ``part_bytes`` in memory (or its rows declared that much text).
    Counting only the text, as before, let a part of tiny documents hold millions of rows (2.8 GiB for five
    million one-line documents); counting the chunks' real size keeps a worker flat at any document count.
    Rows, their order and their values are the same as one frame of every row would give; only where parts
    are cut can differ.

    ``metadata`` goes into every part's key-value metadata (the cleaner version, the rule-set fingerprint),
    so a file found alone still says what made it.

    ``compression``: the parts' codec (polars' name: zstd by default, "uncompressed" for values that do not
    compress, such as MinHash signatures); ``compression_level``: its level (None: polars' default).

    ``converters`` turn a column's values, as rows gave them, into its column when a chunk is made (a list
    or a Series of the column's type): what is cheap to compute for a chunk at once and costly row by row
    (the MinHash signatures) is computed there, on raw material the rows carry.
    """

    #: Rows held as Python objects before they become one columnar chunk.
    CHUNK_ROWS = 2048
    #: Declared size (mostly text) held as Python objects before it becomes one columnar chunk.
    CHUNK_BYTES = 4 * 1024 * 1024

    def __init__(self, folder: DataFolder, prefix: str, schema: Mapping[str, Any], part_bytes: int, *,
                 row_group_rows: int = ROW_GROUP_ROWS, metadata: Mapping[str, str] | None = None,
                 converters: Mapping[str, Callable[[list[Any]], Any]] | None = None,
                 compression_level: int | None = None, compression: str = "zstd",
                 writes: SerialWrites | None = None) -> None:
        self.folder = folder
        #: Where parts are written (see :class:`SerialWrites`); None: here, at once.
        self.writes = writes
        self.compression = compression
        self.compression_level = compression_level
        self.converters = dict(converters or {})
        self.prefix = prefix
        self.schema = dict(schema)
        self.part_bytes = part_bytes
        self.row_group_rows = row_group_rows
        self.metadata = dict(metadata or {})
        self.names = tuple(self.schema)
        #: A row's values in schema order, as one C call (a row missing a name is read with .get, see add).
        self._values: Callable[[Mapping[str, Any]], Any] = itemgetter(*self.names) if len(self.names) > 1 \
            else (lambda row: (row[self.names[0]],))
        #: The rows not yet in a chunk, as tuples of their values in schema order.
        self.held: list[tuple[Any, ...]] = []
        #: Rows (and their declared size) still held as Python objects, not yet in a chunk.
        self.pending = 0
        self.pending_bytes = 0
        #: Columnar chunks of the part being filled, and the memory they hold.
        self.chunks: list[pl.DataFrame] = []
        self.chunk_bytes = 0
        #: Declared size of every row of the part being filled (what parts were cut by before).
        self.buffered = 0
        self.parts: list[str] = []
        #: Size and SHA-256 of each part, so a resume can tell a finished shard from one whose parts are gone.
        self.sums: dict[str, tuple[int, str]] = {}
        self.rows = 0
        #: Rows handed as columns (:meth:`add_columns`) not yet in a chunk: a list of values per column.
        self.held_columns: dict[str, list[Any]] = {}
        #: Called with the columns of each chunk this writer makes, as its rows gave them (before
        #: ``converters``): another writer whose rows follow from these, fed a chunk at a time (a shard's
        #: signatures from its records) instead of a row at a time.
        self.on_chunk: Callable[[dict[str, list[Any]]], None] | None = None

    def add(self, row: Mapping[str, Any], size: int) -> None:
        try:
            values = self._values(row)
        except KeyError:  # a row without some column: null there
            values = tuple(row.get(name) for name in self.names)
        self.add_values(values, size)

    def add_values(self, values: tuple[Any, ...], size: int) -> None:
        """:meth:`add` of a row given as its values in the schema's order (no dict made and read back)."""
        self.held.append(values)
        self.pending += 1
        self.pending_bytes += size
        self.buffered += size
        if self.pending >= self.CHUNK_ROWS or self.pending_bytes >= self.CHUNK_BYTES:
            self._compact()
        if self.buffered >= self.part_bytes or self.chunk_bytes + self.pending_bytes >= self.part_bytes:
            self.flush()

    def add_columns(self, columns: Mapping[str, list[Any]], row_size: int) -> None:
        """:meth:`add_values` of every row of ``columns`` (a list of values for each name of the schema, all
        of one length), each row declaring ``row_size``: the same chunks and the same parts, cut at the same
        rows, as adding the rows one by one, with a few list slices for a run of rows between two cuts."""
        if self.held:
            raise ValueError("a part writer takes rows as values or as columns, not both at once")
        total = len(columns[self.names[0]])
        at = 0
        while at < total:
            # The first row after which add_values would make a chunk, or write a part: rows before it only
            # add to the counts. Its checks come in the same order, on the same counts, at that row.
            step = min(total - at, self.CHUNK_ROWS - self.pending)
            if row_size > 0:
                step = min(step, -(-(self.CHUNK_BYTES - self.pending_bytes) // row_size),
                           -(-(self.part_bytes - self.buffered) // row_size),
                           -(-(self.part_bytes - self.chunk_bytes - self.pending_bytes) // row_size))
            step = max(1, step)
            held = self.held_columns
            if not held:
                self.held_columns = {name: columns[name][at:at + step] for name in self.names}
            else:
                for name in self.names:
                    held[name].extend(columns[name][at:at + step])
            at += step
            self.pending += step
            self.pending_bytes += step * row_size
            self.buffered += step * row_size
            if self.pending >= self.CHUNK_ROWS or self.pending_bytes >= self.CHUNK_BYTES:
                self._compact()
            if self.buffered >= self.part_bytes or self.chunk_bytes + self.pending_bytes >= self.part_bytes:
                self.flush()

    def _compact(self) -> None:
        """The rows held as Python objects become one columnar chunk."""
        if not self.pending:
            return
        columns: dict[str, Any]
        if self.held_columns:
            if self.held:
                raise ValueError("a part writer takes rows as values or as columns, not both at once")
            columns, self.held_columns = self.held_columns, {}
        else:
            # Rows to columns in C (zip), not a Python append per value of every row.
            columns = dict(zip(self.names, map(list, zip(*self.held, strict=True)), strict=True))
        if self.on_chunk is not None:
            self.on_chunk(columns)
        if self.converters:
            columns = {name: convert(values) if (convert := self.converters.get(name)) else values
                       for name, values in columns.items()}
        chunk = pl.DataFrame(columns, schema=self.schema)
        self.chunks.append(chunk)
        self.chunk_bytes += int(chunk.estimated_size())
        self.held = []
        self.pending = self.pending_bytes = 0

    def flush(self) -> None:
        self._compact()
        if not self.chunks:
            return
        frame = self.chunks[0] if len(self.chunks) == 1 else pl.concat(self.chunks, rechunk=True)
        self.chunks = []
        name = f"{self.prefix}-{len(self.parts):04d}.parquet"
        if self.writes is None:
            self.sums[name] = self.write_part(name, frame)
        else:  # its sums are there once the writes are waited for (SerialWrites.wait)
            self.writes.submit(lambda: self.sums.__setitem__(name, self.write_part(name, frame)))
        self.parts.append(name)
        self.rows += frame.height
        self.chunk_bytes = self.buffered = 0

    def write_part(self, name: str, frame: pl.DataFrame) -> tuple[int, str]:
        """Writes one part, atomically, into the folder; its size and SHA-256."""
        return self.folder.write_parquet(name, frame, row_group_rows=self.row_group_rows, metadata=self.metadata,
                                         compression_level=self.compression_level, compression=self.compression)

    def close(self) -> None:
        self.flush()


#: The name of the thread of :class:`SerialWrites` (the fault-injection tests tell its steps by it).
WRITER_THREAD = "cleaner-part-writes"


class SerialWrites:
    """Parts written by one thread of their own, one at a time and in the order they were given, while the
    shard goes on cleaning: writing a part (polars' Parquet encoder, the fsync, the SHA-256 read back) lets go
    of the GIL, so on tiny documents it overlaps the cleaning (about 2 us a document of wall time).

    The file system sees the same steps in the same order as when each part was written at once: one thread
    takes the parts first in, first out; at most ``depth`` wait (memory: that many parts more); the shard does
    no other write meanwhile and :meth:`wait` for them all before its marker. A part that fails stops the
    writes: the parts given after it are dropped unwritten, and the error is raised in the shard at its next
    :meth:`submit` or :meth:`wait`, as it would have been raised there. :meth:`close` (always, in a
    ``finally``) ends the thread: what waits is dropped, the part being written is finished first.
    """

    def __init__(self, depth: int = 1) -> None:
        self._tasks: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        #: Set when :meth:`close` begins: parts still waiting are dropped from then on.
        self.closing = threading.Event()
        self._thread: threading.Thread | None = None

    def submit(self, write: Callable[[], None]) -> None:
        self._raise()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=WRITER_THREAD, daemon=True)
            self._thread.start()
        self._tasks.put(write)

    def wait(self) -> None:
        """Returns once every part given is written; raises the error of one that failed."""
        if self._thread is not None:
            self._tasks.join()
        self._raise()

    def close(self) -> None:
        if self._thread is None:
            return
        self.closing.set()
        self._tasks.put(None)
        self._thread.join()
        self._thread = None

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while True:
            write = self._tasks.get()
            try:
                if write is None:
                    return
                if self._error is None and not self.closing.is_set():
                    write()
            except BaseException as exc:  # raised in the shard's thread (see _raise)
                self._error = exc
            finally:
                self._tasks.task_done()


def write_json_atomically(final: str | os.PathLike[str], value: Any) -> None:
    write_text_atomically(final, json.dumps(value, indent=2, sort_keys=True, default=str))


def write_text_atomically(final: str | os.PathLike[str], text: str) -> None:
    """Writes a whole file atomically (see :meth:`DataFolder.put`): readers see the old file or the new one."""
    from cleaner.io.storage import DataFolder

    folder, name = os.path.split(os.fspath(final))
    DataFolder(folder or ".").put(name, text.encode("utf-8"))


def record_row(record: Record, document: Document, published_at: datetime | None) -> dict[str, Any]:
    """The row of a record, by column name (:data:`RECORD_SCHEMA`)."""
    return dict(zip(RECORD_NAMES, record_values(record, document, published_at), strict=True))


def record_values(record: Record, document: Document, published_at: datetime | None) -> tuple[Any, ...]:
    """The values of :func:`record_row` in :data:`RECORD_SCHEMA`'s order, what a part writer holds
    (:meth:`PartWriter.add_values`): a batch run makes one a record, and a dict of 17 names read back in order
    cost a tiny document's row about twice as much."""
    # Identifiers and pass-through fields that UTF-8 cannot encode (a file name with undecodable bytes, a
    # JSON "\ud800" in an id or a key) are written escaped: they name the document, they are not its text.
    return (
        _writable(record.doc_id),
        record.record_index,
        record.kind,
        record.source,
        record.published,
        published_at,
        record.title,
        record.text,
        _writable(record.url),
        _writable(record.link),
        record.language,
        document.fetched_at,
        _writable(document.input_path),
        document.position,
        json.dumps(dict(record.metadata), ensure_ascii=False) if record.metadata else None,
        _writable(json.dumps(dict(document.fields), ensure_ascii=False, default=str)) if document.fields else None,
        # An ASCII text's hash natively (src/jsonl.rs, the same digest): a third of a tiny record's row.
        ascii_content_hash(record.text) if record.text.isascii() else record_hash(record.text),
    )


def record_hash(text: str) -> str:
    """:func:`cleaner.core.corpus.content_hash` of a record's text past ASCII, natively (src/batch.rs, the same
    digest): Python's split, join and casefold of a long text cost more than the rest of its record's row. A
    text with a lone surrogate is hashed by Python."""
    return _content_hasher().hash(text) or content_hash(text)


@lru_cache(maxsize=1)
def _content_hasher() -> ContentHasher:
    # Python's own case folding of the characters past ASCII it changes, read once per process (tens of ms),
    # when a first text past ASCII comes.
    return ContentHasher(case_folds())


RECORD_NAMES: tuple[str, ...] = tuple(RECORD_SCHEMA)
#: Where :func:`record_values` puts the text, the input's path and position, the record index, the hash.
TEXT, INPUT_PATH, INPUT_POSITION, RECORD_INDEX, CONTENT_HASH = (
    RECORD_NAMES.index(name) for name in ("text", "input_path", "input_position", "record_index", "content_hash"))


def reject_row(rejected: Rejected, status: str = "rejected") -> dict[str, Any]:
    # A reject row is a diagnosis: what cannot be written as it is (a lone surrogate in an id) is written
    # escaped, so the row itself always encodes.
    return {
        "input_path": _writable(rejected.input_path),
        "input_position": rejected.position,
        "doc_id": _writable(rejected.doc_id),
        "status": status,
        "reason": _writable(rejected.reason),
        "sample": _writable(rejected.sample[:200]) if rejected.sample else None,
    }


def _encodes(text: str) -> bool:
    """Whether UTF-8 can encode the text (a lone surrogate, from a JSON "\\ud800" escape, cannot)."""
    if text.isascii():  # most text: a flag of the string, read without looking at its characters
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _writable(text: str | None) -> str | None:
    if text is None or _encodes(text):
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def unwritable_field(row: dict[str, Any]) -> str | None:
    """The name of the first text field of ``row`` that UTF-8 cannot encode, or None."""
    if all(map(str.isascii, [value for value in row.values() if isinstance(value, str)])):
        return None  # most rows: every text ASCII, a flag of each string
    return next((name for name, value in row.items() if isinstance(value, str) and not _encodes(value)), None)


#: The text fields of a :func:`record_row` row that are written as they are: the others are identifiers it
#: escapes (always writable) or not text.
_RECORD_TEXT_NAMES = ("kind", "source", "published", "title", "text", "language", "metadata", "content_hash")
_RECORD_TEXTS = itemgetter(*_RECORD_TEXT_NAMES)
_RECORD_TEXT_VALUES = itemgetter(*(RECORD_NAMES.index(name) for name in _RECORD_TEXT_NAMES))


def unwritable_record_field(row: dict[str, Any]) -> str | None:
    """:func:`unwritable_field` of a row :func:`record_row` made, at a glance (a few C calls) when the texts
    it writes as they are are all ASCII, as most are."""
    try:
        if "".join(filter(None, _RECORD_TEXTS(row))).isascii():
            return None
    except TypeError:  # a value that is not text: every field looked at, one by one
        pass
    return unwritable_field(row)


def unwritable_record_value(values: tuple[Any, ...]) -> str | None:
    """:func:`unwritable_record_field` of the row whose :func:`record_values` these are."""
    try:
        if "".join(filter(None, _RECORD_TEXT_VALUES(values))).isascii():
            return None
    except TypeError:
        pass
    return unwritable_field(dict(zip(RECORD_NAMES, values, strict=True)))


def removal_rows(cleaned: Cleaned) -> list[dict[str, Any]]:
    return [_removal_row(cleaned.doc_id, r) for r in cleaned.removals]


def _removal_row(doc_id: str | None, removal: Removal) -> dict[str, Any]:
    return {"doc_id": _writable(doc_id), "rule_id": removal.rule_id, "start": removal.start, "end": removal.end,
            "text": removal.text, "evidence": removal.evidence}
