"""``cleaner show``: the first records of an output folder, read like ``head``.

A record is shown as a short block (its document and kind, then title, source, time and the first words of
its text), so a user sees what a run kept without writing polars code; ``full`` prints whole texts and
``json`` writes JSON lines in the shape ``cleaner clean --out -`` streams.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from cleaner.core.errors import CleanerError

if TYPE_CHECKING:
    import polars as pl

#: How much of a text the default view shows: enough words to recognise an article, one screen line or two.
PREVIEW_WORDS, PREVIEW_CHARS = 30, 160


@dataclass(frozen=True)
class ShowOptions:
    limit: int = 20
    full: bool = False
    json: bool = False


def show(out: str | Path, options: ShowOptions, stream: TextIO) -> None:
    """Writes the first ``options.limit`` records of the output folder ``out`` (by document, then record index)
    to ``stream``, and in the text view a line of counts from the manifest."""
    records, manifest = _records(out)
    frame = records.sort("doc_id", "record_index").head(options.limit).collect()
    if options.json:
        from cleaner.run.stream import JsonLines

        lines = JsonLines(stream)
        for row in frame.iter_rows(named=True):
            lines.add(row, 0)
        return
    for row in frame.iter_rows(named=True):
        stream.write(record_block(row, options.full))
    total = manifest.get("records")
    if isinstance(total, int) and total > frame.height:
        stream.write(f"({frame.height} of {total:,} records shown; --limit N shows more)\n")
    documents = manifest.get("documents")
    if isinstance(documents, dict):
        stream.write(f"documents: {documents.get('read', 0):,} read, {documents.get('with_records', 0):,} with "
                     f"records, {documents.get('empty', 0):,} empty, {documents.get('rejected', 0):,} rejected; "
                     f"records: {manifest.get('records', 0):,}; balanced: {manifest.get('balanced')}\n")


def record_block(row: dict[str, Any], full: bool = False) -> str:
    """One record as a few labelled lines; fields the record lacks (no source, no time) are left out rather
    than printed as None."""
    lines = [f"{_printable(str(row['doc_id']))} #{row['record_index']} {row['kind']}"]
    if row.get("title"):
        lines.append(f"  title:  {_printable(row['title'])}")
    if row.get("source"):
        lines.append(f"  source: {_printable(row['source'])}")
    time = _time(row)
    if time:
        lines.append(f"  time:   {time}")
    text = row.get("text") or ""
    if full:
        lines.append(f"  text:   ({len(text):,} chars)")
        lines.extend(f"    {_printable(line)}" for line in text.split("\n"))
    else:
        lines.append(f"  text:   {_printable(first_words(text))} ({len(text):,} chars)")
    return "\n".join(lines) + "\n\n"


def first_words(text: str, words: int = PREVIEW_WORDS, chars: int = PREVIEW_CHARS) -> str:
    """The text's first words on one line, cut at a word boundary, with an ellipsis when something follows."""
    taken: list[str] = []
    size = 0
    all_words = text.split()
    for word in all_words:
        if len(taken) == words or (taken and size + 1 + len(word) > chars):
            break
        taken.append(word if len(word) <= chars else word[: chars - 1] + "…")
        size += len(taken[-1]) + (1 if len(taken) > 1 else 0)
    return " ".join(taken) + (" …" if len(taken) < len(all_words) else "")


def _time(row: dict[str, Any]) -> str:
    """The time as the page printed it, and the resolved UTC time beside it when the run could resolve it."""
    published, at = row.get("published"), row.get("published_at")
    resolved = at.strftime("%Y-%m-%d %H:%M UTC") if at is not None else None
    if published and resolved and published != resolved:
        return f"{_printable(published)} ({resolved})"
    return _printable(published) if published else (resolved or "")


def _printable(text: str) -> str:
    """Text safe to print on a terminal: control characters (an escape sequence in a document id) escaped."""
    if text.isprintable():
        return text
    return "".join(repr(c)[1:-1] if unicodedata.category(c) == "Cc" and c != "\t" else c for c in text)


def _records(out: str | Path) -> tuple[pl.LazyFrame, dict[str, Any]]:
    """The records of ``out`` and its manifest. A run's folder is read through its completion markers (a shard
    cut off mid-way may have left parts no marker names); a bare folder of records parts is read as it is."""
    import polars as pl

    from cleaner.io.storage import DataFolder
    from cleaner.run.layout import MANIFEST, RECORDS, STATE
    from cleaner.run.output import read_output

    folder = DataFolder(str(out))
    listing = folder.sizes()
    if any(name.startswith(f"{STATE}/") for name in listing):
        output = read_output(out)
        if output.records.select(pl.len()).collect().item() == 0:
            raise CleanerError(f"{folder.full(RECORDS)} holds no committed Parquet parts; run 'cleaner clean ... "
                               f"--out {folder.location}' first")
        return output.records, output.manifest
    parts = sorted(folder.full(name) for name in listing
                   if name.startswith(f"{RECORDS}/") and name.count("/") == 1 and name.endswith(".parquet")
                   and not name.startswith(f"{RECORDS}/."))
    if not parts:
        raise CleanerError(f"{folder.full(RECORDS)} holds no Parquet parts; run 'cleaner clean ... --out "
                           f"{folder.location}' first")
    manifest = folder.read_text(MANIFEST)
    return (pl.scan_parquet(parts, glob=False, hive_partitioning=False),
            json.loads(manifest) if manifest is not None else {})
