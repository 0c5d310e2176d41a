"""The Python state machine of layout segmentation: the definition the compiled one (src/segment.rs, used by
cleaner/core/segment.py) is tested against (tests/test_segment_native.py). Not used at run time.

Segmentation: turns a block of secondary articles or comments, laid out as a :class:`Layout` says, into items.

The grammar is a sequence of slots matched greedily, line by line, without backtracking, so a block
is parsed in time linear in its lines. A slot may be optional, repeated, bounded by a shape (length,
words, no sentence ending), or take the rest of the item; see :class:`~cleaner.core.rules.Slot`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import regex

from cleaner.core.rules import Layout, Shape, Slot, count_words
from cleaner.core.segment import captures_of
from cleaner.core.text import line_key


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
    #: The body stopped at its line bound with more lines of its shape after it: running text, not a teaser.
    overflow: bool = False
    #: Items folded into this one (see fold_bare_items): they count as items when layouts are compared.
    folded: int = 0


#: Whole-line matching supplied by the engine (time-bounded where the pattern needs it).
FullMatch = Callable[[regex.Pattern[str], str], "regex.Match[str] | None"]

#: What the engine already knows of a line, for the segmenter: nothing, junk that may sit between items
#: (skipped, it stays junk), or the header of another block (items stop there).
PLAIN, JUNK, HEADER = 0, 1, 2
#: At most this many control lines between a header and its first item belong to the block.
_LEAD_LINES = 2
#: After at least this many items without a teaser, items with one end the block (see parse_items).
_BARE_ITEMS = 2
#: Lines this long are body paragraphs: their words are counted only as far as a shape's bounds need.
_COUNTED = 400
#: List bullets and spaces before a title (what the title slots let stand before it).
_BULLETS = " -–—•*·▪►›»"
#: Not yet read (a line a slot does not fit is remembered as None).
_UNREAD: dict[str, str] = {}
#: A word, as a shape counts it (from a letter to the next space), and a character of an unspaced script.
_WORD = regex.compile(r"[^\W\d_]\S*")
_DENSE = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Thai}]")


@dataclass(slots=True)
class Lines:
    """A document's lines as the segmenter reads them: one object per document, shared by its headers and layouts.

    ``text`` are the stripped lines (blank ones empty); ``normals`` the same lines normalised (inner whitespace
    one space), each filled on first use, since a block reads a few lines of a long document; ``roles`` what
    the engine knows of each line (PLAIN, JUNK or HEADER), which the engine updates as blocks take lines.
    ``matched`` remembers, by slot and line, what a slot's shape and pattern make of the line: layouts that
    share a header share their title and meta slots, so each such line is matched once per document.
    ``counts`` and ``title_words`` are words counted once for all layouts: a line's (for slot shapes) and an
    item title's (for a layout's ``menu_words``).
    """

    text: Sequence[str]
    normals: list[str | None]
    roles: bytearray
    fullmatch: FullMatch
    matched: dict[tuple[int, int], dict[str, str] | None] = field(default_factory=dict)
    fits: dict[tuple[int, int], bool] = field(default_factory=dict)
    counts: dict[int, int] = field(default_factory=dict)
    title_words: dict[str, int] = field(default_factory=dict)

    def words(self, index: int) -> int | None:
        """The line's word count (see :meth:`Shape.fits`), counted once for every shape asked of it; None for a
        long line (a body paragraph), which a shape counts only as far as its bounds need."""
        found = self.counts.get(index)
        if found is None:
            normal = self.normal(index)
            if len(normal) >= _COUNTED:
                return None
            found = self.counts[index] = count_words(normal)
        return found

    def fit(self, shape: Shape, index: int) -> bool:
        """Whether the line fits the shape (its words counted only when its length fits)."""
        line = self.normal(index)
        if not shape.min_words and not shape.max_words:
            return shape.fits(line)
        size = len(line)
        if size < shape.min_chars or (shape.max_chars and size > shape.max_chars):
            return False
        return shape.fits(line, self.words(index))

    def normal(self, index: int) -> str:
        normal = self.normals[index]
        if normal is None:
            line = self.text[index]
            # A stripped line without two spaces in a row nor any other whitespace (every whitespace character
            # but the space is unprintable) is its own normal form: a long body line need not be split.
            normal = self.normals[index] = line if line.isprintable() and "  " not in line else " ".join(line.split())
        return normal


@dataclass(frozen=True, slots=True)
class Step:
    """A slot as the parser walks it, with what the walk asks of it at hand."""

    slot: Slot
    #: Equal for slots that make the same of a line alone (same field, pattern, template and shape): the
    #: answer :attr:`Lines.matched` holds for one serves them all.
    key: int
    template: str | None
    repeat: bool
    optional: bool


@dataclass(frozen=True, slots=True)
class Grammar:
    """A layout's slots as the parser walks them: those before the body, the body, and those after it."""

    layout: Layout
    head: tuple[Step, ...]
    rest: Step | None
    tail: tuple[Step, ...]
    #: The head's steps up to its first required one, when none of them is a template: an item starts only on a
    #: line one of them matches alone (those before the required one may all be absent). None: no such bound.
    opening: tuple[Step, ...] | None = None
    #: The head's steps up to its last required one: whether an item starts on a line depends on these alone
    #: (optional steps after them never fail), so asking it reads no line they would.
    probe: tuple[Step, ...] = ()


def grammars(layouts: Sequence[Layout]) -> dict[str, Grammar]:
    """Each layout's :class:`Grammar`, by layout id, slot keys shared across the layouts."""
    keys: dict[tuple[object, ...], int] = {}
    found: dict[str, Grammar] = {}
    for layout in layouts:
        steps = tuple(Step(slot, keys.setdefault((slot.field, slot.pattern, slot.template, slot.shape), len(keys)),
                           slot.template, slot.repeat, slot.optional) for slot in layout.slots)
        rest = next((i for i, step in enumerate(steps) if step.slot.rest), len(steps))
        head = steps[:rest]
        required = next((i for i, step in enumerate(head) if not step.optional), None)
        opening = head[:required + 1] if required is not None and \
            all(step.template is None for step in head[:required + 1]) else None
        last = max((i for i, step in enumerate(head) if not step.optional), default=-1)
        found[layout.id] = Grammar(layout, head, steps[rest] if rest < len(steps) else None, steps[rest + 1:],
                                   opening, head[:last + 1])
    return found


def choose(grammars: Mapping[str, Grammar], lines: Lines, header: int,
           layouts: Sequence[tuple[Layout, dict[str, str]]]) -> tuple[Layout, list[Item]] | None:
    """The layout, of those whose header line ``header`` is (with what the header captured for each), that
    explains the most lines, with its items; None when none finds enough items."""
    best: tuple[Layout, list[Item]] | None = None
    for layout, captured in layouts:
        found = items_under(grammars[layout.id], lines, header, captured)
        if len(found) < layout.min_items or not found:
            continue
        # The layout that explains the most lines wins; of two that explain the same lines, the one
        # with fewer, richer items (a kicker line is not a title of its own).
        if best is None or (found[-1].last, -parsed_items(found)) > (best[1][-1].last, -parsed_items(best[1])):
            best = (layout, found)
    return best


def parsed_items(items: Sequence[Item]) -> int:
    """How many items the parse found, those folded into others (fold_bare_items) counted: layouts are compared
    on what they read, before any item is judged no article."""
    return len(items) + sum(item.folded for item in items)


def items_under(grammar: Grammar, lines: Lines, header: int, defaults: Mapping[str, str]) -> list[Item]:
    """What :func:`parse_items` finds, without building its parser when the first lines already say nothing
    (most headings head no block of most layouts)."""
    if grammar.opening is not None and not _opens(grammar, lines, header):
        return []
    return parse_items(grammar, lines, header, defaults)


def _opens(grammar: Grammar, lines: Lines, header: int) -> bool:
    """False when :func:`parse_items` would find no item under the header, as its first lines alone show: no
    opening step matches the first line an item could start on, nor the next ones the layout's controls let
    the block start after. True when it may find one. (The same steps through the lines as parse_items takes,
    without the parser it builds.)"""
    assert grammar.opening is not None
    controls = grammar.layout.controls
    text, roles = lines.text, lines.roles
    position = header + 1
    for lead in range(_LEAD_LINES + 1):
        at = _next_start(text, roles, position)
        if at < 0:
            return False
        for step in grammar.opening:
            if _read_at(lines, step, at) is not None:
                return True
        if lead == _LEAD_LINES or controls is None or lines.fullmatch(controls, lines.normal(at)) is None:
            return False
        position = at + 1
    return False


def _next_start(text: Sequence[str], roles: bytearray, position: int) -> int:
    """Where the next item may start: past blank lines and junk; -1 at a header or the end.

    Junk lines are invisible to the segmenter everywhere (they stay junk): cleaning a document
    twice then segments it the same way.
    """
    end = len(text)
    while position < end:
        if text[position]:
            found = roles[position]
            if found == HEADER:
                return -1
            if found == PLAIN:
                return position
        position += 1
    return -1


def _read_at(lines: Lines, step: Step, at: int) -> dict[str, str] | None:
    """What a step without a template makes of line ``at`` alone (None: the line does not fit it), remembered."""
    key = (step.key, at)
    try:
        return lines.matched[key]
    except KeyError:  # not asked yet
        found = lines.matched[key] = _read(step.slot, lines, at)
        return found


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
            gap = "" in text[after:position]
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
    if layout.menu_words and items and _median_title_words(items, lines.title_words) < layout.menu_words:
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
    return fold_bare_items(layout, items, lines, len(skipped))


def fold_bare_items(layout: Layout, items: list[Item], lines: Lines, lead: int = 0) -> list[Item]:
    """The items without those that are a short title alone (``layout.bare_words``).

    Items of one block share their shape. An item that is a title alone (its one line holds nothing but the title
    and a list bullet: no date, byline, teaser, rank or count with it), with fewer than ``bare_words`` words and
    under half as long (in characters) as the block's titles of ``bare_words`` words or more at the median, is
    no article: a link of a menu or footer the block ran into ("Quem somos", "App Store"), a section label
    between the items ("Beste van Plus"), a source name under a title. It stays the block's (removed with the
    layout's id, as a line that fills no field is) but makes no record. A block with no title of that size is a
    list of short titles, left as it is (``menu_words`` judges it). "Half" is ``layout.bare_share``. ``lead``:
    control lines the first item holds before its title."""
    if not layout.bare_words or not items:
        return items
    known = lines.title_words
    titles = [item.fields.get("title", "") for item in items]
    long = sorted(len(title) for title in titles if _title_words(title, known) >= layout.bare_words)
    if not long:
        return items
    bound = layout.bare_share * long[len(long) // 2]
    kept: list[Item] = []
    loose: list[int] = []
    for number, item in enumerate(items):
        own = item.lines[lead:] if number == 0 else item.lines
        title = titles[number]
        if len(own) == 1 and not item.text_lines and len(title) < bound and \
                _title_words(title, known) < layout.bare_words and \
                not lines.normal(own[0]).removesuffix(title).strip(_BULLETS):
            if kept:
                kept[-1].lines += item.lines
                kept[-1].structure_lines += item.lines
                kept[-1].folded += 1
            else:
                loose += item.lines
            continue
        if loose:
            item.lines[:0] = loose
            item.structure_lines[:0] = loose
            item.folded += number
            loose = []
        kept.append(item)
    if kept:
        # The block ends where its last line is, whether or not that line makes a record (see choose).
        kept[-1].last = max(kept[-1].last, items[-1].last)
    return kept


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
        self.probe = grammar.probe
        self.rest = grammar.rest
        self.tail = grammar.tail
        self._starts: dict[int, bool] = {}
        self._runs: dict[tuple[int, int], int] = {}

    def next_start(self, position: int) -> int:
        """Where the next item may start (:func:`_next_start`)."""
        return _next_start(self.text, self.roles, position)

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
        lines, matched = self.lines, self.matched
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
                if step.template is None:
                    # (_matches without the call: this loop reads every line of every item)
                    found = matched.get((step.key, at), _UNREAD)
                    if found is _UNREAD:
                        found = matched[(step.key, at)] = _read(step.slot, lines, at)
                    if found is None:
                        break
                    added = False
                    for name, value in found.items():  # type: ignore[union-attr]
                        if name not in captured:
                            captured[name] = value
                            added = True
                        elif name == "text" and step.repeat:
                            captured[name] += "\n" + value
                            added = True
                else:
                    checked = self._matches(step, at, captured)
                    if checked is None:
                        break
                    added = checked
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
                    fit = fits[(key, at)] = self.lines.fit(slot.shape, at)
                item.overflow = fit and not self._starts_item(at)
                break
            if slot.optional and JUNK in roles[position:at]:
                # An optional body (a teaser) is a guess: junk before it means the block is over, and the
                # text after the junk is the article going on. A required body (a comment's text) belongs
                # to an item already recognised, so junk inside it is stepped over.
                break
            # A line that does not fit the body, one the next slot matches and one that starts the next item
            # each end the body the same way: the check without a pattern goes first.
            fit = fits.get((key, at))
            if fit is None:
                fit = fits[(key, at)] = self.lines.fit(slot.shape, at)
            if not fit:
                break
            if stop is not None and (self._matches(stop, at, item.fields) if stop.template is not None
                                     else _read_at(self.lines, stop, at)) is not None:
                break  # (a template only reads the captures; a slot without one captures nothing here)
            # A required body always has a first line; an optional one may be empty, so a line that
            # starts the next item ends this one at once.
            if (body or slot.optional) and self._starts_item(at):
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
            found = self._starts[position] = self._slots(self.probe, position, {}, None) is not None
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
            found = self.matched[(step.key, at)] = _read(step.slot, self.lines, at)
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


def _median_title_words(items: Sequence[Item], known: dict[str, int] | None = None) -> int:
    """The median number of words of the items' titles; a Chinese, Japanese, Korean or Thai character counts
    half a word (their words are not spaced). ``known``: sizes already counted (layouts sharing a header mostly
    find the same titles)."""
    if known is None:
        known = {}
    sizes = sorted(_title_words(item.fields.get("title", ""), known) for item in items)
    return sizes[len(sizes) // 2]


def _title_words(title: str, known: dict[str, int] | None = None) -> int:
    """A title's words, a Chinese, Japanese, Korean or Thai character counting half a word (remembered in
    ``known``)."""
    size = None if known is None else known.get(title)
    if size is None:
        size = max(len(_WORD.findall(title)), 0 if title.isascii() else len(_DENSE.findall(title)) // 2)
        if known is not None:
            known[title] = size
    return size


def _read(slot: Slot, lines: Lines, at: int) -> dict[str, str] | None:
    """What a slot (without a template) captures from line ``at`` alone: None when the line does not fit it."""
    if not lines.fit(slot.shape, at):
        return None
    line = lines.normal(at)
    fullmatch = lines.fullmatch
    found: dict[str, str] = {}
    if slot.pattern is not None:
        match = fullmatch(slot.pattern, line)
        if match is None:
            return None
        found = captures_of(match)
    if slot.field is not None and slot.field not in found:
        found[slot.field] = line
    return found


# --- the engine's segmentation step as it was written in Python (for the differential tests) -------------------


def python_segmentation(pass_: object, header: int, layouts: list[tuple[Layout, dict[str, str]]]
                        ) -> tuple[Layout, list[Item]] | None:
    """``_Pass._apply_layouts`` of cleaner/core/engine.py as it was before the state machine was compiled: the
    items of the layout chosen by :func:`choose`, over a :class:`Lines` made at the document's first header and
    kept for its others. Patched over the engine's by tests/test_segment_native.py."""
    from cleaner.core import engine as core  # (tests only: the engine's line states and its memo of matches)

    work = pass_
    held = _PYTHON_LINES.get(id(work))
    lines = held[1] if held is not None and held[0] is work else None
    if lines is None:
        roles = bytearray(bytes(work.state).translate(core._ROLE_OF_STATE))  # type: ignore[attr-defined]
        for index in work.headers:  # type: ignore[attr-defined]
            roles[index] = HEADER
        lines = Lines(work.lines, list(work.normals), roles, work._memo_fullmatch)  # type: ignore[attr-defined]
        _PYTHON_LINES[id(work)] = (work, lines)
    engine = work.engine  # type: ignore[attr-defined]
    table = _GRAMMARS.get(id(engine))
    if table is None:
        table = _GRAMMARS[id(engine)] = grammars(engine._layouts.layouts)
    best = choose(table, lines, header, layouts)
    if best is None:
        if work.state[header] == core._CONTENT:  # type: ignore[attr-defined]
            work._mark(header, layouts[0][0], core._WEAK)  # type: ignore[attr-defined]
        return None
    layout, items = best
    work._mark(header, layout, core._REGION)  # type: ignore[attr-defined]
    dropped = layout.record_kind == "comments" and engine.options.drop_comments
    for item in items:
        if layout.inline:
            break
        for index in item.lines:
            work.state[index] = core._REGION  # type: ignore[attr-defined]
            lines.roles[index] = JUNK
            work.why[index] = layout.id if dropped else None  # type: ignore[attr-defined]
        for index in item.structure_lines:
            work.why[index] = layout.id  # type: ignore[attr-defined]
    return (layout, []) if dropped else best


#: The Python lines of the passes segmented by :func:`python_segmentation`, and each engine's grammars (tests only).
_PYTHON_LINES: dict[int, tuple[object, Lines]] = {}
_GRAMMARS: dict[int, dict[str, Grammar]] = {}
