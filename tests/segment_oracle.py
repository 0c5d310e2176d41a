"""Layout segmentation as it was written before layouts sharing a header were parsed with shared work: each
layout's items parsed on their own, one layout after another, the one that explains the most lines chosen. The
definition the faster form in cleaner/core/segment.py is tested against (tests/test_segment_oracle.py). Not used
at run time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import regex

from cleaner.core.rules import Layout, Slot
from cleaner.core.text import line_key
from tests.segment_python import (
    HEADER,
    JUNK,
    PLAIN,
    FullMatch,
    Grammar,
    Item,
    Lines,
    Step,
    captures_of,
    fold_bare_items,
    parsed_items,
)

#: (As in cleaner/core/segment.py when this was written.)
_LEAD_LINES = 2
_BARE_ITEMS = 2
_WORD = regex.compile(r"[^\W\d_]\S*")
_DENSE = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Thai}]")




def choose_sequential(grammars: Mapping[str, Grammar], lines: Lines, header: int,
                      layouts: Sequence[tuple[Layout, dict[str, str]]]) -> tuple[Layout, list[Item]] | None:
    """The layout, of those whose header line ``header`` is, that explains the most lines, with its items (the
    engine's choice as it was written: every layout parsed in turn)."""
    best: tuple[Layout, list[Item]] | None = None
    for layout, captured in layouts:
        found = parse_items(grammars[layout.id], lines, header, captured)
        if len(found) < layout.min_items or not found:
            continue
        # (items folded into others as no articles count: layouts are compared on what they read)
        if best is None or (found[-1].last, -parsed_items(found)) > (best[1][-1].last, -parsed_items(best[1])):
            best = (layout, found)
    return best


def parse_items(grammar: Grammar, lines: Lines, header: int, defaults: Mapping[str, str]) -> list[Item]:
    """Items that follow the header at index ``header``, in order, up to the first line that is not one.

    ``defaults`` are fields the header captured (the source of "More from Reuters"), given to every item.
    Items follow each other directly or after blank lines; junk lines between items are stepped over; an
    item never starts on another header.
    """
    layout = grammar.layout
    if layout.inline:
        return [Item(dict(defaults), header)] if "title" in defaults else []
    parser = _Parser(grammar, lines, defaults)
    text = lines.text
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
            gap = any(not text[i] for i in range(after, position))
            if len(items) == 1:
                dense = not gap
            elif dense and gap:
                break  # items of one block are spaced alike: a blank line after a dense list ends it
        item = parser.item(position)
        if item is None:
            if items or len(skipped) >= _LEAD_LINES or layout.controls is None or \
                    lines.fullmatch(layout.controls, lines.normal(position)) is None:
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
    if layout.menu_words and items and _median_title_words(items) < layout.menu_words:
        return []  # a menu under a heading ("More from Phones": "Phone Deals", ...), not other articles
    if layout.name_list is not None and items and all(
            lines.fullmatch(layout.name_list, item.fields.get("title", "")) for item in items):
        return []  # a reference page's "See Also" names ("ALTER TABLE, CREATE TABLE"): the page's own text
    rest = grammar.rest
    if rest is not None and rest.optional:
        first = next((n for n, item in enumerate(items) if item.text_lines), len(items))
        if _BARE_ITEMS <= first < len(items) and items[-1].overflow:
            # Items of one block share their shape: after a run of items without a teaser, items with one, the
            # last running on past a teaser's length, are the page going on (the article's kicker, headline
            # and first paragraphs under a block of titles), not more of the block. The block ends before
            # them; they go back to normal processing.
            del items[first:]
    if rest is not None and rest.optional and items and items[-1].text_lines and (
            items[-1].overflow or (len(items) > 1 and not any(item.text_lines for item in items[:-1]))):
        # Items of one block share their shape: when only the last has a body, that "body" is the text
        # that follows the block (the article going on), not a teaser. So is a last body that runs on past
        # a teaser's bound (a one-title box inside an article, its paragraphs after it). It goes back to
        # normal processing.
        last = items[-1]
        last.text_lines = []
        last.last = last.head_last
        last.structure_lines = [i for i in last.structure_lines if i <= last.last]
        last.lines = [i for i in last.lines if i <= last.last]
        last.fields.clear()
        last.fields.update(last.head_fields)
    # Items that are a short title alone are no articles (the layout's bare_words): the same step as the engine's.
    return fold_bare_items(layout, items, lines, len(skipped))


class _Parser:
    def __init__(self, grammar: Grammar, lines: Lines, defaults: Mapping[str, str]) -> None:
        self.lines = lines
        self.text = lines.text
        self.end = len(lines.text)
        self.roles = lines.roles
        self.matched = lines.matched
        self.defaults = defaults
        self.skip_blanks = grammar.layout.blank_lines == "skip"
        self.head = grammar.head
        self.rest = grammar.rest
        self.tail = grammar.tail
        self._starts: dict[int, bool] = {}
        self._runs: dict[tuple[int, int], int] = {}

    def next_start(self, position: int) -> int:
        """Where the next item may start: past blank lines and junk; -1 at a header or the end.

        Junk lines are invisible to the segmenter everywhere (they stay junk): cleaning a document
        twice then segments it the same way.
        """
        text, roles, end = self.text, self.roles, self.end
        while position < end:
            if text[position]:
                found = roles[position]
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

    def _slots(self, steps: Sequence[Step], position: int, captured: dict[str, str], item: Item | None
               ) -> int | None:
        """Matches ``steps`` from ``position``; the position after them, or None when a required one fails."""
        text, roles, end = self.text, self.roles, self.end
        for step in steps:
            count = 0
            if step.repeat and item is None:
                # Only asking whether an item starts here: the run a repeated slot matches ends where it
                # ends from any of its lines, so it is walked once and remembered for all of them.
                at = self._next_line(position)
                if at >= 0 and roles[at] != HEADER and self._matches(step, at, captured) is not None:
                    count, position = 1, self._run_end(step, at) + 1
                if not count and not step.optional:
                    return None
                continue
            while True:
                if position < end and text[position] and roles[position] == PLAIN:
                    at = position  # (the common case of _next_line, without the call)
                else:
                    at = self._next_line(position)
                    if at < 0 or roles[at] == HEADER:
                        break
                added = self._matches(step, at, captured)
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
                if not step.repeat:
                    break
            if not count and not step.optional:
                return None
        return position

    def _run_end(self, step: Step, start: int) -> int:
        """The last line of the run of lines the step's slot matches from ``start`` (which it matches)."""
        key = (step.key, start)
        end = self._runs.get(key)
        if end is None:
            visited = [start]
            while True:
                at = self._next_line(visited[-1] + 1)
                if at < 0 or self.roles[at] == HEADER or self._matches(step, at, {}) is None:
                    break
                visited.append(at)
            end = visited[-1]
            for line in visited:
                self._runs[(step.key, line)] = end
        return end

    def _next_line(self, position: int) -> int:
        """The next line an item can use: junk is stepped over, and blank lines too when they are skipped."""
        text, roles, end = self.text, self.roles, self.end
        while position < end:
            if text[position]:
                if roles[position] != JUNK:
                    return position
            elif not self.skip_blanks:
                return -1
            position += 1
        return -1

    def _rest(self, position: int, item: Item) -> int | None:
        """Takes body lines up to a blank line (unless skipped), a bound, the next slot's line or a new item."""
        assert self.rest is not None
        slot, key = self.rest.slot, self.rest.key
        roles = self.roles
        fits = self.lines.fits
        body: list[int] = []
        stop = self.tail[0] if self.tail else None
        while True:
            at = self._next_line(position)
            if at < 0 or roles[at] == HEADER:
                break
            if slot.max_lines and len(body) >= slot.max_lines:
                fit = fits.get((key, at))
                if fit is None:
                    fit = fits[(key, at)] = slot.shape.fits(self.lines.normal(at))
                item.overflow = fit and not self._starts_item(at)
                break
            if slot.optional and any(roles[i] == JUNK for i in range(position, at)):
                # An optional body (a teaser) is a guess: junk before it means the block is over, and the
                # text after the junk is the article going on. A required body (a comment's text) belongs
                # to an item already recognised, so junk inside it is stepped over.
                break
            if stop is not None and self._matches(stop, at, dict(item.fields)) is not None:
                break
            # A required body always has a first line; an optional one may be empty, so a line that
            # starts the next item ends this one at once.
            if (body or slot.optional) and self._starts_item(at):
                break
            fit = fits.get((key, at))
            if fit is None:
                fit = fits[(key, at)] = slot.shape.fits(self.lines.normal(at))
            if not fit:
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

    def _matches(self, step: Step, at: int, captured: dict[str, str]) -> bool | None:
        """None when line ``at`` does not fit the slot; else whether it filled a field not filled before."""
        if step.template is not None:
            try:
                expected = step.template.format_map({**self.defaults, **captured})
            except KeyError:
                return None
            return False if line_key(self.lines.normal(at)) == line_key(expected) else None
        try:
            found = self.matched[(step.key, at)]
        except KeyError:  # not asked yet
            found = self.matched[(step.key, at)] = _read(step.slot, self.lines.normal(at), self.lines.fullmatch)
        if found is None:
            return None
        added = False
        for name, value in found.items():
            if name == "text" and name in captured and step.repeat:
                captured[name] += "\n" + value
                added = True
            elif name not in captured:
                captured[name] = value
                added = True
        return added


def _median_title_words(items: Sequence[Item]) -> int:
    """The median number of words of the items' titles; a Chinese, Japanese, Korean or Thai character counts
    half a word (their words are not spaced)."""
    sizes = sorted(max(len(_WORD.findall(title)), len(_DENSE.findall(title)) // 2)
                   for title in (item.fields.get("title", "") for item in items))
    return sizes[len(sizes) // 2]


def _read(slot: Slot, line: str, fullmatch: FullMatch) -> dict[str, str] | None:
    """What a slot (without a template) captures from a line alone: None when the line does not fit it."""
    if not slot.shape.fits(line):
        return None
    found: dict[str, str] = {}
    if slot.pattern is not None:
        match = fullmatch(slot.pattern, line)
        if match is None:
            return None
        found = captures_of(match)
    if slot.field is not None and slot.field not in found:
        found[slot.field] = line
    return found
