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
    """One secondary article: captured fields, its last line, and which lines were body or only structure."""

    fields: dict[str, str]
    last: int
    text_lines: list[int] = field(default_factory=list)
    structure_lines: list[int] = field(default_factory=list)
    #: Every line the item claims (captured, structure or body), in order; junk stepped over is not one.
    lines: list[int] = field(default_factory=list)
    #: The last line before the body, and what had been captured by then.
    head_last: int = -1
    head_fields: dict[str, str] = field(default_factory=dict)


#: Whole-line matching supplied by the engine (time-bounded where the pattern needs it).
FullMatch = Callable[[regex.Pattern[str], str], "regex.Match[str] | None"]

#: What the engine already knows of a line, for the segmenter: nothing, junk that may sit between items
#: (skipped, it stays junk), or the header of another block (items stop there).
PLAIN, JUNK, HEADER = 0, 1, 2
LineRole = Callable[[int], int]
#: At most this many control lines between a header and its first item belong to the block.
_LEAD_LINES = 2


def captures_of(match: regex.Match[str]) -> dict[str, str]:
    """The record fields a match's named groups captured (empty groups ignored)."""
    return {name: normalize_line(value) for name, value in match.groupdict().items()
            if value and name in RECORD_FIELDS and value.strip()}


def captures_from(groups: Mapping[str, str | None]) -> dict[str, str]:
    """The record fields among named groups' values (empty ones ignored)."""
    return {name: normalize_line(value) for name, value in groups.items()
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
        return [Item(dict(defaults), header)] if "title" in defaults else []
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
            if items or len(skipped) >= _LEAD_LINES or layout.controls is None or \
                    fullmatch(layout.controls, lines[position]) is None:
                break
            # Between a header and its first item, a control of the block ("(View all)", "Sort by: Newest")
            # may sit: the layout's `controls` pattern says which lines those are.
            skipped.append(position)
            position += 1
            continue
        items.append(item)
        position = item.last + 1
    if items and skipped:
        items[0].structure_lines[:0] = skipped
        items[0].lines[:0] = skipped
    if parser.rest is not None and parser.rest.optional and len(items) > 1 and items[-1].text_lines and \
            not any(item.text_lines for item in items[:-1]):
        # Items of one block share their shape: when only the last has a body, that "body" is the text
        # that follows the block (the article going on), not a teaser. It goes back to normal processing.
        last = items[-1]
        last.text_lines = []
        last.last = last.head_last
        last.structure_lines = [i for i in last.structure_lines if i <= last.last]
        last.lines = [i for i in last.lines if i <= last.last]
        last.fields.clear()
        last.fields.update(last.head_fields)
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
        self._starts: dict[int, bool] = {}
        self._runs: dict[tuple[int, int], int] = {}

    def next_start(self, position: int) -> int:
        """Where the next item may start: past blank lines and junk; -1 at a header or the end.

        Junk lines are invisible to the segmenter everywhere (they stay junk): cleaning a document
        twice then segments it the same way.
        """
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
        item = Item(captured, start)
        position = self._slots(self.head, start, captured, item)
        if position is None:
            return None
        item.head_last = item.last
        item.head_fields = {**self.defaults, **captured}
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
            if slot.repeat and item is None:
                # Only asking whether an item starts here: the run a repeated slot matches ends where it
                # ends from any of its lines, so it is walked once and remembered for all of them.
                at = self._next_line(position)
                if at >= 0 and self.role(at) != HEADER and self._matches(slot, lines[at], captured) is not None:
                    count, position = 1, self._run_end(slot, at) + 1
                if not count and not slot.optional:
                    return None
                continue
            while True:
                at = self._next_line(position)
                if at < 0 or self.role(at) == HEADER:
                    break
                added = self._matches(slot, lines[at], captured)
                if added is None:
                    break
                count += 1
                position = at + 1
                if item is not None:
                    item.last = at
                    item.lines.append(at)
                    if not added:
                        # A line that filled no field (a "- source" echo, a second byline) is structure:
                        # removed with the layout's id, so no text goes unaccounted for.
                        item.structure_lines.append(at)
                if not slot.repeat:
                    break
            if not count and not slot.optional:
                return None
        return position

    def _run_end(self, slot: Slot, start: int) -> int:
        """The last line of the run of lines ``slot`` matches from ``start`` (which it matches)."""
        key = (id(slot), start)
        end = self._runs.get(key)
        if end is None:
            visited = [start]
            while True:
                at = self._next_line(visited[-1] + 1)
                if at < 0 or self.role(at) == HEADER or self._matches(slot, self.lines[at], {}) is None:
                    break
                visited.append(at)
            end = visited[-1]
            for line in visited:
                self._runs[(id(slot), line)] = end
        return end

    def _next_line(self, position: int) -> int:
        """The next line an item can use: junk is stepped over, and blank lines too when they are skipped."""
        lines, role = self.lines, self.role
        while position < len(lines):
            if lines[position]:
                if role(position) != JUNK:
                    return position
            elif not self.skip_blanks:
                return -1
            position += 1
        return -1

    def _rest(self, position: int, item: Item) -> int | None:
        """Takes body lines up to a blank line (unless skipped), a bound, the next slot's line or a new item."""
        slot = self.rest
        assert slot is not None
        lines = self.lines
        body: list[int] = []
        stop = self.tail[0] if self.tail else None
        while True:
            at = self._next_line(position)
            if at < 0 or (slot.max_lines and len(body) >= slot.max_lines) or self.role(at) == HEADER:
                break
            if slot.optional and any(self.role(i) == JUNK for i in range(position, at)):
                # An optional body (a teaser) is a guess: junk before it means the block is over, and the
                # text after the junk is the article going on. A required body (a comment's text) belongs
                # to an item already recognised, so junk inside it is stepped over.
                break
            line = lines[at]
            if stop is not None and self._matches(stop, line, dict(item.fields)) is not None:
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
        item.lines += body
        if body:
            item.last = body[-1]
        return position if body or slot.optional else None

    def _starts_item(self, position: int) -> bool:
        # Memoised by position: a body asks this of each of its lines, and a repeated head slot would
        # otherwise rescan the lines after it every time (quadratic).
        found = self._starts.get(position)
        if found is None:
            found = self._starts[position] = self._slots(self.head, position, {}, None) is not None
        return found

    def _matches(self, slot: Slot, line: str, captured: dict[str, str]) -> bool | None:
        """None when the line does not fit the slot; else whether it filled a field not filled before."""
        if slot.template is not None:
            try:
                expected = slot.template.format_map({**self.defaults, **captured})
            except KeyError:
                return None
            return False if line_key(line) == line_key(expected) else None
        if not slot.shape.fits(line):
            return None
        found: dict[str, str] = {}
        if slot.pattern is not None:
            match = self.fullmatch(slot.pattern, line)
            if match is None:
                return None
            found = captures_of(match)
        if slot.field is not None and slot.field not in found:
            found[slot.field] = line
        added = False
        for name, value in found.items():
            if name == "text" and name in captured and slot.repeat:
                captured[name] += "\n" + value
                added = True
            elif name not in captured:
                captured[name] = value
                added = True
        return added
