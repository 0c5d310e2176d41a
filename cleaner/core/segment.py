"""Segmentation: turns a block of secondary articles or comments, laid out as a :class:`Layout` says, into items.

The grammar is a sequence of slots matched greedily, line by line, without backtracking, so a block
is parsed in time linear in its lines. A slot may be optional, repeated, bounded by a shape (length,
words, no sentence ending), or take the rest of the item; see :class:`~cleaner.core.rules.Slot`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import regex

from cleaner.core.rules import RECORD_FIELDS, Layout, Slot
from cleaner.core.text import line_key, normalize_line


@dataclass(slots=True)
class Item:
    """One secondary article: captured fields, the lines it spans, and lines that were only structure."""

    fields: dict[str, str]
    first: int
    last: int
    text_lines: list[int] = field(default_factory=list)
    structure_lines: list[int] = field(default_factory=list)
    #: The last line before the body.
    head_last: int = -1


#: Whole-line matching supplied by the engine (time-bounded where the pattern needs it).
FullMatch = Callable[[regex.Pattern[str], str], "regex.Match[str] | None"]

#: What the engine already knows of a line, for the segmenter: nothing, junk that may sit between items
#: (skipped, it stays junk), or the header of another block (items stop there).
PLAIN, JUNK, HEADER = 0, 1, 2
LineRole = Callable[[int], int]
#: At most this many short lines (of at most so many characters) between a header and its first item
#: are taken as the block's own controls; more, or longer, and the header heads no block.
_LEAD_LINES, _LEAD_CHARS = 2, 40


def captures_of(match: regex.Match[str]) -> dict[str, str]:
    """The record fields a match's named groups captured (empty groups ignored)."""
    return {name: normalize_line(value) for name, value in match.groupdict().items()
            if value and name in RECORD_FIELDS and value.strip()}


def parse_items(layout: Layout, lines: Sequence[str], header: int, fullmatch: FullMatch,
                role: LineRole, defaults: Mapping[str, str]) -> list[Item]:
    """Items that follow the header at index ``header``, in order, up to the first line that is not one.

    ``lines`` are normalised lines (inner whitespace one space), blank ones empty. ``defaults`` are fields
    the header captured (the source of "More from Reuters"), given to every item. Items follow each other
    directly or after blank lines; junk lines between items are stepped over; an item never starts on
    another header.
    """
    if layout.inline:
        return [Item(dict(defaults), header, header)] if "title" in defaults else []
    parser = _Parser(layout, lines, fullmatch, role, defaults)
    items: list[Item] = []
    position = header + 1
    skipped: list[int] = []
    dense = False  # items so far followed each other without blank lines
    while not layout.max_items or len(items) < layout.max_items:
        after = position
        position = parser.next_start(position)
        if position < 0:
            break
        if items:
            gap = any(not lines[i] for i in range(after, position))
            if len(items) == 1:
                dense = not gap
            elif dense and gap:
                break  # items of one block are spaced alike: a blank line after a dense list ends it
        item = parser.item(position)
        if item is None:
            if items or len(skipped) >= _LEAD_LINES or len(lines[position]) > _LEAD_CHARS:
                break
            # Between a header and its first item, a short control line ("(View all)", "See more") may sit.
            skipped.append(position)
            position += 1
            continue
        items.append(item)
        position = item.last + 1
    if items and skipped:
        items[0].first = skipped[0]
        items[0].structure_lines[:0] = skipped
    if parser.rest is not None and parser.rest.optional and len(items) > 1 and items[-1].text_lines and \
            not any(item.text_lines for item in items[:-1]):
        # Items of one block share their shape: when only the last has a body, that "body" is the text
        # that follows the block (the article going on), not a teaser. It goes back to normal processing.
        last = items[-1]
        last.text_lines = []
        last.last = last.head_last
        last.structure_lines = [i for i in last.structure_lines if i <= last.last]
    return items


class _Parser:
    def __init__(self, layout: Layout, lines: Sequence[str], fullmatch: FullMatch, role: LineRole,
                 defaults: Mapping[str, str]) -> None:
        self.layout = layout
        self.lines = lines
        self.fullmatch = fullmatch
        self.role = role
        self.defaults = defaults
        self.skip_blanks = layout.blank_lines == "skip"
        rest = next((i for i, s in enumerate(layout.slots) if s.rest), len(layout.slots))
        self.head = layout.slots[:rest]
        self.rest = layout.slots[rest] if rest < len(layout.slots) else None
        self.tail = layout.slots[rest + 1:]

    def next_start(self, position: int) -> int:
        """Where the next item may start: past blank lines and junk; -1 at a header or the end."""
        lines = self.lines
        while position < len(lines):
            if lines[position]:
                found = self.role(position)
                if found == HEADER:
                    return -1
                if found == PLAIN:
                    return position
            position += 1
        return -1

    def item(self, start: int) -> Item | None:
        captured: dict[str, str] = {}
        item = Item(captured, start, start)
        position = self._slots(self.head, start, captured, item)
        if position is None:
            return None
        item.head_last = item.last
        if self.rest is not None:
            position = self._rest(position, item)
            if position is None:
                return None
            position = self._slots(self.tail, position, captured, item)
            if position is None:
                return None
        for name, value in self.defaults.items():
            captured.setdefault(name, value)
        return item

    def _slots(self, slots: Sequence[Slot], position: int, captured: dict[str, str], item: Item | None
               ) -> int | None:
        """Matches ``slots`` from ``position``; the position after them, or None when a required one fails."""
        lines = self.lines
        for slot in slots:
            count = 0
            while True:
                at = self._next_line(position)
                if at < 0 or self.role(at) == HEADER or not self._matches(slot, lines[at], captured):
                    break
                count += 1
                position = at + 1
                if item is not None:
                    item.last = at
                    if not slot.captures:
                        item.structure_lines.append(at)
                if not slot.repeat:
                    break
            if not count and not slot.optional:
                return None
        return position

    def _next_line(self, position: int) -> int:
        lines = self.lines
        if self.skip_blanks:
            while position < len(lines) and not lines[position]:
                position += 1
        return position if position < len(lines) and lines[position] else -1

    def _rest(self, position: int, item: Item) -> int | None:
        """Takes body lines up to a blank line (unless skipped), a bound, the next slot's line or a new item."""
        slot = self.rest
        assert slot is not None
        lines = self.lines
        body: list[int] = []
        stop = self.tail[0] if self.tail else None
        while True:
            at = self._next_line(position)
            if at < 0 or (slot.max_lines and len(body) >= slot.max_lines) or self.role(at) != PLAIN:
                break  # a header or a junk line ends a body: junk is never a teaser's or a comment's text
            line = lines[at]
            if stop is not None and self._matches(stop, line, dict(item.fields)):
                break
            # A required body always has a first line; an optional one may be empty, so a line that
            # starts the next item ends this one at once.
            if (body or slot.optional) and self._starts_item(at):
                break
            if not slot.shape.fits(line):
                break
            body.append(at)
            position = at + 1
        item.text_lines = body
        if body:
            item.last = body[-1]
        return position if body or slot.optional else None

    def _starts_item(self, position: int) -> bool:
        return self._slots(self.head, position, {}, None) is not None

    def _matches(self, slot: Slot, line: str, captured: dict[str, str]) -> bool:
        normal = line
        if slot.template is not None:
            try:
                expected = slot.template.format_map(captured)
            except KeyError:
                return False
            return line_key(normal) == line_key(expected)
        if not slot.shape.fits(normal):
            return False
        found: dict[str, str] = {}
        if slot.pattern is not None:
            match = self.fullmatch(slot.pattern, normal)
            if match is None:
                return False
            found = captures_of(match)
        if slot.field is not None and slot.field not in found:
            found[slot.field] = normal
        for name, value in found.items():
            if name == "text" and name in captured and slot.repeat:
                captured[name] += "\n" + value
            else:
                captured.setdefault(name, value)
        return True
