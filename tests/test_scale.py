"""What keeps a worker flat and fast at millions of documents, checked on small inputs.

The full-size figures (peak RSS and documents a second at 100k, 1M and 5M documents) are measured by
benchmarks/test_memory_scale.py (--runslow); these tests pin the mechanisms.
"""

from __future__ import annotations

import re
import re._parser as sre_parse
from datetime import UTC, datetime

import polars as pl
import regex

from cleaner.core.engine import Engine
from cleaner.core.rules import BlockRule, Layout, LineRule
from cleaner.io.rulefiles import load_rules
from cleaner.io.writers import RECORD_SCHEMA, PartWriter


def _row(number: int) -> dict[str, object]:
    return {"doc_id": f"d{number}", "record_index": 0, "kind": "main", "source": None, "published": None,
            "published_at": None, "title": None, "text": f"Line {number}.", "url": None, "link": None,
            "fetched_at": datetime(2025, 1, 1, tzinfo=UTC), "input_path": "in/tiny.jsonl",
            "input_position": number + 1, "metadata": None, "fields": None, "content_hash": f"{number:016x}"}


class _Kept(PartWriter):
    """A part writer that keeps its parts in memory (as frames) instead of writing files."""

    def __init__(self, part_bytes: int) -> None:
        super().__init__(None, "p", RECORD_SCHEMA, part_bytes)  # type: ignore[arg-type]
        self.frames: list[pl.DataFrame] = []
        self.chunk_sizes: list[int] = []  # the memory its chunks held after each row

    def add(self, row, size) -> None:  # type: ignore[no-untyped-def]
        super().add(row, size)
        self.chunk_sizes.append(self.chunk_bytes)

    def write_part(self, name: str, frame: pl.DataFrame) -> tuple[int, str]:
        self.frames.append(frame)
        return frame.height, name


def test_a_part_writer_holds_at_most_a_part_of_tiny_rows_in_memory() -> None:
    # 60,000 rows of ten characters declare 600 KB of text, under the 2 MiB part: cut by text alone, as it
    # was, every row stayed in memory until the shard ended. Counted by what the rows hold in memory, the
    # writer cuts parts of about 2 MiB, and the rows, their order and their values do not change.
    part = 2 * 2**20
    writer = _Kept(part)
    rows = [_row(n) for n in range(60_000)]
    for row in rows:
        writer.add(row, len(str(row["text"])))
    writer.close()
    assert len(writer.frames) > 2
    assert max(writer.chunk_sizes) <= part
    assert all(frame.estimated_size() <= part + 2**20 for frame in writer.frames)  # a part plus one chunk
    together = pl.concat(writer.frames)
    assert together.equals(pl.DataFrame(rows, schema=RECORD_SCHEMA))
    assert writer.rows == len(rows) and writer.parts == [f"p-{n:04d}.parquet" for n in range(len(writer.frames))]


def test_a_part_writer_still_cuts_parts_by_text() -> None:
    # Long texts reach the part size by their declared size before their chunk is made.
    writer = _Kept(100_000)
    for number in range(30):
        writer.add({**_row(number), "text": "x" * 20_000}, 20_000)
    writer.close()
    assert [frame.height for frame in writer.frames] == [5, 5, 5, 5, 5, 5]


def _builtin_patterns() -> list[tuple[str, regex.Pattern[str]]]:
    found: list[tuple[str, regex.Pattern[str]]] = []
    for rule in load_rules():
        if isinstance(rule, LineRule) and rule.pattern is not None:
            found.append((rule.id, rule.pattern))
        elif isinstance(rule, BlockRule):
            found += [(rule.id, rule.start), (rule.id, rule.end)]
        elif isinstance(rule, Layout):
            found += [(rule.id, rule.header), *((rule.id, s.pattern) for s in rule.slots if s.pattern is not None)]
    return found


def test_every_builtin_pattern_is_readable_by_the_rule_analysis() -> None:
    # The engine reads each pattern with the standard parser to learn its first words, the words every match
    # holds, and whether it needs a match timeout. A pattern that parser cannot read is tried on every line,
    # under a timeout (about 80 us a line on a busy machine): one such rule ("[\d-–]", a range the regex
    # package reads as a literal hyphen) made tiny documents several times slower. Named groups reused in
    # alternatives are a regex-package feature the standard parser refuses; they are the one exception.
    unreadable = []
    for rule_id, pattern in _builtin_patterns():
        try:
            sre_parse.parse(pattern.pattern, re.IGNORECASE if pattern.flags & regex.IGNORECASE else 0)
        except re.error as exc:
            if "redefinition of group name" not in str(exc):
                unreadable.append(f"{rule_id}: {exc}")
    assert not unreadable


def test_plain_prose_lines_meet_no_timed_pattern_without_required_words() -> None:
    # A pattern that needs a timeout and has no words to gate it on costs a timed match on every line it is
    # a candidate for; no built-in rule may be one for ordinary sentences (INT003 was, for every line).
    engine = Engine(load_rules())
    costly = set()
    for line in ["Short line 12 of a tiny document.", "It has a second sentence, number 12.",
                 "The minister said on Tuesday that the bridge would reopen.", "Another short line of document 7."]:
        plan = engine._narrow(engine._plan(line), line[0])
        costly |= {rule.id for *_, required, _, timed, rule in (*plan.headers, *plan.others)
                   if required is None and timed}
    assert not costly
