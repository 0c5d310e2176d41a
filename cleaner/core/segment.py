"""Segmentation: turns a block of secondary articles or comments, laid out as a :class:`Layout` says, into items.

The grammar is a sequence of slots matched greedily, line by line, without backtracking, so a block
is parsed in time linear in its lines. A slot may be optional, repeated, bounded by a shape (length,
words, no sentence ending), or take the rest of the item; see :class:`~cleaner.core.rules.Slot`.

The state machine is compiled (``Segmenter`` in ``src/segment.rs``): the layouts are handed to it once, as data,
when an engine is built (:func:`layout_table`), and a document's headers are segmented by one ``SegmentDoc``.
What depends on Python's own data stays here and is asked by the compiled side through :class:`SegmentHost`:
a slot pattern's match (the engine's), a line's and a title's words, a template's expected line. The Python
state machine is kept under tests/ (tests/segment_python.py) as the definition the compiled one is tested
against.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import regex

from cleaner._native import SegmentDoc, Segmenter, SegmentItem
from cleaner.core.rules import RECORD_FIELDS, Layout, _count_words, count_words
from cleaner.core.text import line_key, normalize_line

#: What the engine already knows of a line, for the segmenter: nothing, junk that may sit between items
#: (skipped, it stays junk), or the header of another block (items stop there).
PLAIN, JUNK, HEADER = 0, 1, 2
#: A word, as a title's size counts it (from a letter to the next space), and a character of an unspaced script.
_WORD = regex.compile(r"[^\W\d_]\S*")
_DENSE = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Thai}]")

__all__ = ["HEADER", "JUNK", "PLAIN", "LayoutTable", "SegmentDoc", "SegmentHost", "SegmentItem", "captures_from",
           "captures_of", "layout_table", "title_words"]


def captures_of(match: regex.Match[str]) -> dict[str, str]:
    """The record fields a match's named groups captured (empty groups ignored)."""
    return {name: normalize_line(value) for name, value in match.groupdict().items()
            if value and name in RECORD_FIELDS and value.strip()}


def captures_from(groups: Mapping[str, str | None]) -> dict[str, str]:
    """The record fields among named groups' values (empty ones ignored)."""
    return {name: normalize_line(value) for name, value in groups.items()
            if value and name in RECORD_FIELDS and value.strip()}


def title_words(title: str) -> int:
    """A title's words, a Chinese, Japanese, Korean or Thai character counting half a word (what ``menu_words``
    and ``bare_words`` count)."""
    return max(len(_WORD.findall(title)), 0 if title.isascii() else len(_DENSE.findall(title)) // 2)


def line_words(line: str, enough: int | None) -> int:
    """A line's words as a shape counts them: all of them (``enough`` None), or up to ``enough`` (a long line)."""
    return count_words(line) if enough is None else _count_words(line, enough)


@dataclass(frozen=True, slots=True)
class LayoutTable:
    """An engine's layouts as the compiled segmenter reads them, made once per engine."""

    layouts: tuple[Layout, ...]
    #: Each layout's position in :attr:`layouts` (what the segmenter names), by layout id.
    positions: Mapping[str, int]
    #: The patterns the segmenter asks to match (slot patterns, controls, name lists), by the number it gives.
    patterns: tuple[regex.Pattern[str], ...]
    #: The slot templates, by the number the segmenter gives.
    templates: tuple[str, ...]
    segmenter: Segmenter

    def template_matches(self, template: int, fields: dict[str, str], line: str) -> bool:
        """Whether the (normalised) line is the template filled with the fields (compared as exact lines are)."""
        try:
            expected = self.templates[template].format_map(fields)
        except KeyError:
            return False
        return line_key(line) == line_key(expected)


def layout_table(layouts: Sequence[Layout], native: Mapping[regex.Pattern[str], object] | None = None) -> LayoutTable:
    """The layouts' :class:`LayoutTable`: their slots as data for the compiled segmenter, slot keys shared across
    the layouts (slots that make the same of a line alone share its answer). ``native``: the engine's native
    confirmations by pattern (``Confirmer``), asked before Python ``regex`` (see cleaner.core.matcher)."""
    keys: dict[tuple[object, ...], int] = {}
    patterns: dict[regex.Pattern[str], int] = {}
    templates: dict[str, int] = {}
    specs = []
    for layout in layouts:
        slots = []
        for slot in layout.slots:
            key = keys.setdefault((slot.field, slot.pattern, slot.template, slot.shape), len(keys))
            shape = slot.shape
            slots.append((key, slot.field,
                          None if slot.pattern is None else patterns.setdefault(slot.pattern, len(patterns)),
                          None if slot.template is None else templates.setdefault(slot.template, len(templates)),
                          slot.rest, slot.optional, slot.repeat,
                          (shape.min_chars, shape.max_chars, shape.min_words, shape.max_words, shape.sentence_end),
                          slot.max_lines))
        controls = None if layout.controls is None else patterns.setdefault(layout.controls, len(patterns))
        names = None if layout.name_list is None else patterns.setdefault(layout.name_list, len(patterns))
        specs.append((layout.inline, layout.min_items, layout.max_items, layout.blank_lines == "skip", controls,
                      layout.menu_words, layout.bare_words, layout.bare_share, names, slots))
    for template in templates:
        # (str.format_map reads conversions and format specs too; a template that is no format string fails here,
        # when the engine is built, not on a document.)
        list(string.Formatter().parse(template))
    confirmers = [None if native is None else native.get(pattern) for pattern in patterns]
    return LayoutTable(tuple(layouts), {layout.id: n for n, layout in enumerate(layouts)}, tuple(patterns),
                       tuple(templates), Segmenter(specs, confirmers))


@dataclass(frozen=True, slots=True)
class SegmentHost:
    """What the compiled segmenter asks of Python for one document: whole-line matches of the table's patterns
    (through ``fullmatch``, the engine's memo of Python ``regex`` and native confirmations)."""

    table: LayoutTable
    fullmatch: Callable[[regex.Pattern[str], str], regex.Match[str] | None]

    def match(self, pattern: int, text: str) -> dict[str, str] | None:
        """What pattern ``pattern`` captured of the whole of ``text`` (record fields), or None: no match."""
        found = self.fullmatch(self.table.patterns[pattern], text)
        return None if found is None else captures_of(found)

    def document(self, lines: list[str], roles: bytes | bytearray) -> SegmentDoc:
        """The segmentation of a document's (stripped) lines, ``roles`` saying what the engine knows of each."""
        return self.table.segmenter.document(lines, roles, self.match, line_words, title_words,
                                             self.table.template_matches, normalize_line)
