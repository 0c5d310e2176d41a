"""Segmentation: turns a block of secondary articles, laid out as a :class:`Layout` says, into items."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import regex

from cleaner.core.rules import Layout, Slot
from cleaner.core.text import line_key, normalize_line


@dataclass(slots=True)
class Item:
    """One secondary article: captured fields, the lines it spans, and lines that were only structure."""

    fields: dict[str, str]
    first: int
    last: int
    text_lines: list[int] = field(default_factory=list)
    structure_lines: list[int] = field(default_factory=list)


#: Whole-line matching supplied by the engine (time-bounded where the pattern needs it).
FullMatch = Callable[[regex.Pattern[str], str], "regex.Match[str] | None"]


def parse_items(layout: Layout, lines: Sequence[str], after: int, fullmatch: FullMatch) -> list[Item]:
    """Items that follow the header at index ``after``, in order, up to the first line that is not one.

    ``lines`` are stripped lines, blank ones empty. Items are separated by blank lines, or follow each
    other directly when the next item's leading slots match (so a body never swallows the next item).
    """
    items: list[Item] = []
    position = _next_filled(lines, after + 1)
    while position < len(lines):
        item = _parse_item(layout, lines, position, fullmatch)
        if item is None:
            break
        items.append(item)
        position = _next_filled(lines, item.last + 1)
    return items


def _next_filled(lines: Sequence[str], position: int) -> int:
    while position < len(lines) and not lines[position]:
        position += 1
    return position


def _parse_item(layout: Layout, lines: Sequence[str], start: int, fullmatch: FullMatch) -> Item | None:
    captured: dict[str, str] = {}
    item = Item(captured, start, start)
    position = start
    for slot in layout.slots:
        if slot.rest:
            body: list[int] = []
            while position < len(lines) and lines[position] and not (
                body and _starts_item(layout, lines, position, fullmatch)
            ):
                body.append(position)
                position += 1
            item.text_lines = body
            item.last = body[-1] if body else position - 1
            return item
        if position >= len(lines) or not lines[position]:
            return None
        if not _slot_matches(slot, lines[position], captured, fullmatch):
            return None
        if slot.field is None:
            item.structure_lines.append(position)
        item.last = position
        position += 1
    return item


def _slot_matches(slot: Slot, line: str, captured: dict[str, str], fullmatch: FullMatch) -> bool:
    if slot.template is not None:
        expected = slot.template.format_map(captured)
        return line_key(line) == line_key(expected)
    if slot.pattern is None:
        return False
    if not fullmatch(slot.pattern, line):
        return False
    if slot.field is not None:
        captured[slot.field] = normalize_line(line)
    return True


def _starts_item(layout: Layout, lines: Sequence[str], position: int, fullmatch: FullMatch) -> bool:
    """Whether the slots before the body match from ``position``: a new item begins there."""
    captured: dict[str, str] = {}
    for slot in layout.slots:
        if slot.rest:
            return True
        if position >= len(lines) or not lines[position]:
            return False
        if not _slot_matches(slot, lines[position], captured, fullmatch):
            return False
        position += 1
    return True
