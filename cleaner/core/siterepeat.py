"""Site repetition: lines that recur across many pages of one host are the site's furniture.

Navigation, footers and widgets repeat on every page of a host while articles do not (the CCNet idea).
This module is the pure part of the ``struct:site-repeat`` detector: how a line is keyed, which lines
read as prose (never removed, however often they recur), a bounded counter for the first look over a
dump, and the host profile that the engine consults line by line.

Counting is two looks over the same documents (the shells in ``cleaner.run.siterepeat`` read them):

1. :class:`Sketch`: per document, each distinct key of a short line is counted under its host in a
   lossy counter of at most ``max_keys`` entries. When the counter is full, every entry counted at
   most ``floor + 1`` times is dropped and the floor rises, so a key's true count is at most its count
   plus the floor. Sketches of different shards merge by adding counts and floors (commutative), and
   the bound still holds for the merged one.
2. the candidates (keys whose upper bound reaches the threshold of their host) are counted exactly in a
   second look; only exact counts go into the :class:`SiteProfile`. Since an upper bound never misses
   a key that passes, the profile does not depend on the order of documents, shards or workers.

Memory: a sketch holds at most ``max_keys`` entries (an int pair each, about 100 bytes in a dict) plus
one page count per host seen; the exact look holds at most ``max_candidates`` keys, and with
``keep_sheets`` at most as many values that follow them (at most :data:`FIELD_TRACK` per key), and with
``keep_embedded`` per key two counts of the page's own text around it and the followed keys next to it (at most
:data:`FIELD_TRACK` before and after; a key with more different followed neighbours counts the later ones as
own text, so only there can the order of the pages change a count).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Any

import regex

#: The detector's id, in removals and in ``disable`` lists.
DETECTOR = "struct:site-repeat"
PROFILE_FORMAT = "cleaner-site-profile"
PROFILE_VERSION = 1

_DIGITS = regex.compile(r"\d+")
_LETTER = regex.compile(r"\p{L}")
_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Thai}]")
_SENTENCE_END = (".", "!", "?", "…", "。", "！", "？", ".\"", ".”", "!\"", "?\"", ".)")
_CJK_STOPS = regex.compile(r"[。！？；]")
#: The colons of "Name: value" (half and full width).
_COLON = regex.compile(r"[:：]")
#: Marks the count key of a "Name:" (the names of "Name: value" lines), apart from the keys of whole lines.
NAMED_MARK = "\x00"
#: Different values followed per field name and host in the exact look; past it they are counted apart, as
#: different values (they then pass any setting of ``field_values`` anyway).
FIELD_TRACK = 64


@dataclass(frozen=True, slots=True)
class SiteRepeatSettings:
    """When a recurring line is the site's furniture. Every threshold is a setting, not code."""

    #: The detector runs (batch runs count hosts and remove; a library call uses a given profile).
    enabled: bool = True
    #: A host needs at least this many pages in the dump before any of its lines counts as repeated.
    min_pages: int = 10
    #: A line must be on at least this share of its host's pages.
    min_share: float = 0.5
    #: Lines of at least this many words that end like a sentence are prose: never removed.
    prose_words: int = 12
    #: Lines with at least this many CJK/Thai characters and a sentence stop are prose: never removed.
    prose_cjk_chars: int = 20
    #: A repeated line between the page's first and last anchor line is kept: a heading the site's template
    #: puts inside every article ("References", "Ingredients") is the article's, not furniture. Anchors are
    #: lines the host does not repeat that read as prose or are at least ``anchor_chars`` long (code, data).
    keep_inside_prose: bool = True
    anchor_chars: int = 100
    #: ... unless it is one of at least this many repeated lines in a row there (a menu, a tab bar).
    inside_run: int = 3
    #: ... but for the last ``heading_lines`` of such a run when the run leads into an anchor (a heading
    #: over the article's block: "Block diagram", then the code), inside the span or, for a run shorter than
    #: ``inside_run``, just above its first anchor (a field name over the first paragraph).
    heading_lines: int = 2
    #: A run of at most ``edge_run`` repeated lines within ``edge_reach`` lines after the last anchor or
    #: before the first is kept: the author's sign-off ("EOF") or a one-line heading next to the article.
    edge_run: int = 1
    edge_reach: int = 2
    #: Lines between two runs of at least ``menu_run`` repeated lines, outside the span, none an anchor nor
    #: longer than ``menu_words`` words, at most ``menu_lines`` of them, are removed too: the part of a menu
    #: that varies from page to page (a sidebar's open section). ``menu_run = 0`` (the default) switches this off:
    #: on the held-apart hosts of the site repetition benchmark it takes content lines even with the evidence below.
    menu_run: int = 0
    menu_lines: int = 400
    menu_words: int = 15
    #: ... and at least ``menu_min_lines`` of them, at least ``menu_recurring`` of which the host has on two pages
    #: or more (though on fewer than a repeated line is): a sidebar's open section lists the pages of one section
    #: of the site, on each of them, where a listing page's headlines, or a headline with its byline between a
    #: site's menu and its share bar, are that page's own (0: any gap). The first look then also follows the
    #: keys that may be on two pages (at most ``max_candidates`` more per shard; past that a gap keeps its lines).
    menu_min_lines: int = 4
    menu_recurring: float = 0.8
    #: ... or, whatever its lines, where the two runs close up elsewhere: the last line before the gap is followed
    #: right by the first line after it on at least ``menu_closed`` of the host's pages it is on (the gap is an
    #: insertion into a menu that is whole on the other pages: a section's pages listed under its heading; the
    #: article between a menu and a share bar is on every page). 0: off.
    menu_closed: float = 0.7
    #: A data sheet is the page's content although its field names repeat on every page of the host ("Brand",
    #: "Prep time", "Location: Berlin"): a repeated line is a field name where, across the host's pages, the
    #: line after it (or, for "Name: value", the text after the colon) varies. ``keep_sheets`` keeps the
    #: fields of a page's sheet: at least ``sheet_fields`` such fields in a row (name and value alternating,
    #: or "Name: value" lines), with the lines between them that pair the same way.
    keep_sheets: bool = True
    sheet_fields: int = 2
    #: A field name is followed by a short value (at most ``field_value_words`` words, not prose) on at least
    #: ``field_share`` of the pages it is on, ...
    field_share: float = 0.5
    field_value_words: int = 12
    #: ... its values take at least ``field_values`` different texts across the host ...
    field_values: int = 3
    #: ... at most ``field_repeated`` of them are lines the host repeats (a menu's next item is, on nearly all its
    #: pages; a field's common value such as "none" is a repeated line on some of them) ...
    field_repeated: float = 0.6
    #: ... and at least ``field_recurring`` of them are data: on more than one page (a brand, a type recur) or
    #: holding a digit (a number, a size, a code); the title of a previous/next link is neither.
    field_recurring: float = 0.3
    #: A "Name: value" line's name has at most this many words.
    field_label_words: int = 4
    #: A section heading is the article's although the host repeats it on every page ("Directions", "Arguments",
    #: "Value"): ``keep_sections`` keeps a repeated line that stands between two stretches of the page's own text
    #: (on either side, up to the next line the host repeats, at least ``section_lines`` lines it does not repeat,
    #: or one of them that reads as prose or is at least ``anchor_chars`` long; before it, past the other lines
    #: of its run when the run is shorter than ``inside_run``), where across the host's pages
    #: what follows it differs from page to page: at least ``field_values`` different short lines, at most
    #: ``field_repeated`` of them lines the host repeats, and on at least ``section_varied`` of its pages a text
    #: of that page's own (a short line without a digit that no other page has after it, or a line too long to
    #: be a value). A tag list's first tag and a byline's author recur, a date holds digits, a menu's next item
    #: is a repeated line; a previous/next link's label stands one line after the other's.
    keep_sections: bool = True
    section_lines: int = 2
    section_varied: float = 0.6
    #: A section that ends where a rule removed a line or where the page ends needs only this many lines of the
    #: page's own (0: as many as any other, ``section_lines``).
    section_closed: int = 1
    #: A section heading that the host prints right after a run of its furniture inside the article (a "Questions
    #: fréquentes" under a share bar, over the page's own questions and answers) has no text of the page's own
    #: before it: with ``keep_sections``, such a heading (what follows it varies from page to page, as above, and
    #: its section follows: ``section_lines`` lines of the page's own) is kept when it ends a run of repeated lines
    #: that starts below the page's first anchor, and the host has the page's own text right after it on at least
    #: this share of the pages it is on (a share bar's, a footer's or a menu's last line leads into more furniture,
    #: or into the headline only where the menu tops the page), and right after the page's own text on at least
    #: ``section_after_own`` of them (the run before it is not always there; the last line of a share bar, a
    #: login box or a menu always follows the lines of its block). 0: off.
    section_after_run: float = 0.9
    section_after_own: float = 0.2
    #: A block of the page's own text that the host prints on several pages (a class's inherited methods on a
    #: reference page, a series' table of contents) sits inside the pages' text, where furniture sits at its
    #: edges: ``keep_embedded`` keeps a run of repeated lines that, on this page, follows a line of the page's
    #: own, whose first line follows the page's own text on at least ``embedded_head`` of the host's pages it is
    #: on, and whose last line is followed by the page's own text on at least ``embedded_tail`` of them (a
    #: footer ends the page or leads into more furniture; a menu starts the page or follows the site's header).
    #: A repeated line that follows own text on at least ``embedded_head`` of its pages also starts a new run
    #: (a footer right after such a block is not part of it). With ``embedded_prose`` the run must hold a line
    #: that reads as prose (kept anyway): the block is text, not a list of links.
    keep_embedded: bool = True
    embedded_head: float = 0.5
    embedded_tail: float = 0.2
    embedded_prose: bool = True
    #: ... but one repeated line alone between lines of the page's own that ends like a sentence, though shorter
    #: than prose, is kept where the host has the page's own text on both sides of it on at least this share of
    #: its pages (0: off): a digest's call for submissions at the end of a section ("Please submit quotes!").
    embedded_lone: float = 0.9
    #: A run of at least ``inside_run`` repeated lines that the page already showed above (in its menu), between
    #: two lines of its own, is a list the page quotes (a package page lists its modules, the same lines as the
    #: sidebar's) where the host has its first line after its own text, and its last line before it, on at most
    #: this share of its pages (elsewhere the lines sit among its furniture). 0: off.
    embedded_displaced: float = 0.1
    #: A short run of repeated lines between two stretches of the page's own text is the article's (a reference
    #: page's table header "Modifier and Type", "Method", "Description"; "Methods inherited from ..." over its list):
    #: a run of two to ``interleaved_run`` repeated lines is kept when, on each side, the next
    #: ``interleaved_window`` lines hold at least ``interleaved_own`` lines of the page's own (or one that reads as
    #: prose or is at least ``anchor_chars`` long), past shorter runs of repeated lines but not past a rule's removal
    #: or ``inside_run`` repeated lines in a row (a menu, a footer); where across the host's pages its first line
    #: follows the page's own text, and its last line is followed by it, on at least ``interleaved_share`` of the
    #: pages each is on (a menu or a footer sits between furniture on most pages); and where the page has at least
    #: ``interleaved_inner`` lines of its own above it (a post's metadata right under its headline and date goes;
    #: 0: anywhere). One line alone is left to ``keep_sections``. ``interleaved_run = 0``: off.
    interleaved_run: int = 3
    interleaved_own: int = 2
    interleaved_window: int = 4
    interleaved_share: float = 0.5
    interleaved_inner: int = 3
    #: Lines longer than this are never counted (furniture is short; long lines cost memory).
    max_chars: int = 200
    #: Entries of the first look's lossy counter, per worker.
    max_keys: int = 200_000
    #: Keys followed in the exact second look, per shard.
    max_candidates: int = 100_000
    #: Hosts in the first look's lossy page counter, per worker.
    max_hosts: int = 100_000

    def __post_init__(self) -> None:
        if self.min_pages < 2:
            raise ValueError(f"site repeat: min_pages must be at least 2, not {self.min_pages}")
        if not 0.0 < self.min_share <= 1.0:
            raise ValueError(f"site repeat: min_share must be in (0, 1], not {self.min_share}")
        for name in ("prose_words", "prose_cjk_chars", "anchor_chars", "inside_run", "menu_lines", "menu_words",
                     "menu_min_lines", "max_chars", "max_keys", "max_candidates", "max_hosts", "sheet_fields",
                     "field_value_words", "field_values", "field_label_words", "section_lines", "interleaved_own",
                     "interleaved_window"):
            if getattr(self, name) < 1:
                raise ValueError(f"site repeat: {name} must be at least 1, not {getattr(self, name)}")
        for name in ("interleaved_run", "interleaved_inner"):
            if getattr(self, name) < 0:
                raise ValueError(f"site repeat: {name} must be at least 0, not {getattr(self, name)}")
        if self.section_closed < 0:
            raise ValueError(f"site repeat: section_closed must be at least 0, not {self.section_closed}")
        for name in ("field_share", "field_repeated", "field_recurring", "section_varied", "embedded_head",
                     "embedded_tail", "embedded_lone", "embedded_displaced", "menu_recurring", "menu_closed",
                     "interleaved_share", "section_after_run", "section_after_own"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"site repeat: {name} must be in [0, 1], not {getattr(self, name)}")

    def needed(self, pages: int) -> int:
        """Pages a line must be on, for a host with ``pages`` pages."""
        return max(2, math.ceil(self.min_share * pages - 1e-9))


def line_key(line: str, max_chars: int = 200) -> str | None:
    """What is counted for a line: whitespace collapsed, case folded, digits folded to one ``0``; None for
    a line that is never counted (empty, no letter, or longer than ``max_chars``)."""
    if len(line) > max_chars * 2:
        return None
    key = _DIGITS.sub("0", " ".join(line.split()).casefold())
    if not key or len(key) > max_chars or not _LETTER.search(key):
        return None
    return key


def reads_as_prose(line: str, settings: SiteRepeatSettings) -> bool:
    """A sentence, not a label: enough words ending like a sentence, or a CJK/Thai sentence."""
    text = line.strip()
    if len(text.split()) >= settings.prose_words and text.endswith(_SENTENCE_END):
        return True
    return len(_CJK.findall(text)) >= settings.prose_cjk_chars and bool(_CJK_STOPS.search(text))


def key_hash(host: str, key: str) -> int:
    """A 63-bit hash of (host, key), the same in every process (Python's str hash is salted)."""
    digest = hashlib.blake2b(f"{host}\x00{key}".encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def keyed_lines(lines: Iterable[str], settings: SiteRepeatSettings) -> list[tuple[str, str | None]]:
    """A page's non-blank lines with their keys (None: not counted), computed once for both uses of a look."""
    return [(line, line_key(line, settings.max_chars)) for line in lines if line.strip()]


def page_keys(lines: Iterable[str], settings: SiteRepeatSettings,
              keyed: Sequence[tuple[str, str | None]] | None = None) -> set[str]:
    """The distinct keys of a page's countable lines (a line twice on one page counts once), and with
    ``keep_sheets`` the names of its "Name: value" lines (marked with :data:`NAMED_MARK`)."""
    keys = set()
    for line, key in keyed if keyed is not None else keyed_lines(lines, settings):
        if key is not None:
            keys.add(key)
        if settings.keep_sheets:
            named = named_value(line, settings)
            if named is not None:
                keys.add(named[0])
    return keys


def value_key(text: str) -> str:
    """What is compared of a field's value: whitespace collapsed and case folded, digits kept ("ISO 100" and
    "ISO 400" are two values, though one line key)."""
    return " ".join(text.split()).casefold()


def is_value(text: str, settings: SiteRepeatSettings) -> bool:
    """A field's value is short and not a sentence."""
    return (0 < len(text) <= settings.max_chars and len(text.split()) <= settings.field_value_words
            and not reads_as_prose(text, settings))


def named_value(line: str, settings: SiteRepeatSettings) -> tuple[str, str] | None:
    """(the marked key of the name, the value) of a "Name: value" line with a short name and value, or None."""
    if ":" not in line and "：" not in line:
        return None  # most lines
    colon = _COLON.search(line)
    assert colon is not None
    name, value = line[:colon.start()].strip(), line[colon.end():].strip()
    if (not name or len(name) > 60 or value.startswith("//") or len(name.split()) > settings.field_label_words
            or not _LETTER.search(name) or not is_value(value, settings)):
        return None  # a URL's scheme, a sentence with a colon
    key = line_key(name, settings.max_chars)
    return None if key is None else (NAMED_MARK + key, value)


def page_values(keyed: Sequence[tuple[str, str | None]], settings: SiteRepeatSettings,
                wanted: Callable[[str], bool] = lambda key: True) -> dict[str, str]:
    """Per key (of those ``wanted``: the followed ones), the value that follows it on this page (its first
    occurrence with one): the next non-blank line when that is short, and for a "Name: value" line, its value
    under the name's marked key. ``keyed``: the page's :func:`keyed_lines`."""
    found: dict[str, str] = {}
    for at, (line, key) in enumerate(keyed):
        named = named_value(line, settings)
        if named is not None and wanted(named[0]):
            found.setdefault(named[0], value_key(named[1]))
        if key is not None and at + 1 < len(keyed) and key not in found and wanted(key):
            after = keyed[at + 1][0]
            if is_value(after.strip(), settings):
                found[key] = value_key(after)
    return found


#: A neighbour that is the page's own text: a line no host could repeat (not counted, or not followed in the exact
#: look because the first look's bound says it cannot pass).
OWN = "\x01"


def page_edges(keyed: Sequence[tuple[str, str | None]],
               followed: Callable[[str], bool]) -> dict[str, tuple[str | None, str | None]]:
    """Per followed key (its first occurrence on the page), the lines before and after it: :data:`OWN` for a line
    the host cannot repeat, the key of a followed line (whether it repeats is known once all pages are counted),
    None at the page's start or end. ``keyed``: the page's :func:`keyed_lines`."""

    def neighbour(at: int) -> str | None:
        if not 0 <= at < len(keyed):
            return None
        key = keyed[at][1]
        return key if key is not None and followed(key) else OWN

    found: dict[str, tuple[str | None, str | None]] = {}
    for at, (_, key) in enumerate(keyed):
        if key is not None and key not in found and followed(key):
            found[key] = (neighbour(at - 1), neighbour(at + 1))
    return found


@dataclass
class Sketch:
    """First look, in bounded memory: a lossy count of pages per host (at most ``max_hosts`` entries) and
    of (host, key) pairs (at most ``max_keys``). A true count is at most the count plus its floor."""

    max_keys: int = 200_000
    max_hosts: int = 100_000
    pages: dict[str, int] = field(default_factory=dict)
    counts: dict[int, int] = field(default_factory=dict)
    floor: int = 0
    host_floor: int = 0

    def add_page(self, host: str, keys: Iterable[str]) -> None:
        self.pages[host] = self.pages.get(host, 0) + 1
        counts = self.counts
        for key in keys:
            at = key_hash(host, key)
            counts[at] = counts.get(at, 0) + 1
        self._prune()

    def _prune(self) -> None:
        while len(self.counts) > self.max_keys:
            self.floor += 1
            self.counts = {k: n for k, n in self.counts.items() if n > self.floor}
        while len(self.pages) > self.max_hosts:
            self.host_floor += 1
            self.pages = {h: n for h, n in self.pages.items() if n > self.host_floor}

    def merge(self, other: Sketch) -> None:
        """Adds another sketch (of other documents): counts and floors add, so the bounds still hold."""
        for host, n in other.pages.items():
            self.pages[host] = self.pages.get(host, 0) + n
        for at, n in other.counts.items():
            self.counts[at] = self.counts.get(at, 0) + n
        self.floor += other.floor
        self.host_floor += other.host_floor
        self._prune()

    def may_count(self, host: str, settings: SiteRepeatSettings) -> bool:
        """Whether the host may have ``min_pages`` pages (an upper bound of its count reaches it)."""
        return self.pages.get(host, 0) + self.host_floor >= settings.min_pages

    def any_host_may_count(self, settings: SiteRepeatSettings) -> bool:
        return self.host_floor >= settings.min_pages or any(self.may_count(h, settings) for h in self.pages)

    def may_repeat(self, host: str, key: str, settings: SiteRepeatSettings) -> bool:
        """Whether (host, key) may pass the thresholds: an upper bound of its count reaches what a lower
        bound of the host's pages asks for (the share asked for grows with the pages)."""
        if not self.may_count(host, settings):
            return False
        return self.counts.get(key_hash(host, key), 0) + self.floor >= settings.needed(self.pages.get(host, 0))

    def may_recur(self, host: str, key: str, settings: SiteRepeatSettings) -> bool:
        """Whether (host, key) may be on two pages of a host that may be counted (``menu_recurring``'s evidence)."""
        return self.may_count(host, settings) and self.counts.get(key_hash(host, key), 0) + self.floor >= 2


@dataclass
class Confirmed:
    """Second look: exact pages of the hosts and exact counts of the (host, key) pairs the sketch kept, and
    per pair the values that followed the key (pages per value, at most :data:`FIELD_TRACK` values; the
    pages of further values in ``overflow``)."""

    pages: dict[str, int] = field(default_factory=dict)
    pairs: dict[tuple[str, str], int] = field(default_factory=dict)
    values: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    overflow: dict[tuple[str, str], int] = field(default_factory=dict)

    #: Per pair, the pages where the line before it, and the line after it, is the page's own text, and the
    #: followed lines before and after it (pages per key, at most :data:`FIELD_TRACK` keys each; further keys
    #: count as own text: as for values, a bound that keeps lines rather than removes them).
    edges: dict[tuple[str, str], EdgeTally] = field(default_factory=dict)

    #: Values followed in all (this look's bound: ``budget`` of :meth:`add_value`).
    tracked: int = 0
    #: Exact pages of the (host, key) pairs that may be on two pages but not on enough to repeat (``menu_recurring``).
    recur: dict[tuple[str, str], int] = field(default_factory=dict)

    def add_value(self, pair: tuple[str, str], value: str, budget: int) -> None:
        """Counts a page's value of a pair; a new value past :data:`FIELD_TRACK` for the pair, or past
        ``budget`` values in all, is counted apart: as a different value, neither a repeated line nor data
        (the first look's bound on a very large shard can thus change which keys are fields)."""
        tally = self.values.setdefault(pair, {})
        if value in tally:
            tally[value] += 1
        elif len(tally) < FIELD_TRACK and self.tracked < budget:
            tally[value] = 1
            self.tracked += 1
        else:
            self.overflow[pair] = self.overflow.get(pair, 0) + 1

    def add_edges(self, pair: tuple[str, str], before: str | None, after: str | None) -> None:
        """Counts a page's neighbours of a pair (see :func:`page_edges`)."""
        tally = self.edges.get(pair)
        if tally is None:
            tally = self.edges[pair] = EdgeTally()
        tally.add(before, after)

    def merge(self, other: Confirmed) -> None:
        for pair, around in other.edges.items():
            self.edges.setdefault(pair, EdgeTally()).merge(around)
        for host, n in other.pages.items():
            self.pages[host] = self.pages.get(host, 0) + n
        for pair, n in other.pairs.items():
            self.pairs[pair] = self.pairs.get(pair, 0) + n
        for pair, n in other.recur.items():
            self.recur[pair] = self.recur.get(pair, 0) + n
        for pair, n in other.overflow.items():
            self.overflow[pair] = self.overflow.get(pair, 0) + n
        for pair, tally in other.values.items():
            mine = self.values.setdefault(pair, {})
            for value, n in tally.items():
                mine[value] = mine.get(value, 0) + n
            if len(mine) > FIELD_TRACK:  # keep the most frequent values (ties by text), count the rest apart
                ranked = sorted(mine.items(), key=lambda item: (-item[1], item[0]))
                self.values[pair] = dict(ranked[:FIELD_TRACK])
                self.overflow[pair] = self.overflow.get(pair, 0) + sum(n for _, n in ranked[FIELD_TRACK:])


@dataclass
class EdgeTally:
    """The neighbours of one (host, key) pair over the pages counted: own text before and after it, and the
    followed keys before and after it (pages per key)."""

    own_before: int = 0
    own_after: int = 0
    before: dict[str, int] = field(default_factory=dict)
    after: dict[str, int] = field(default_factory=dict)

    def add(self, before: str | None, after: str | None) -> None:
        if before == OWN:
            self.own_before += 1
        elif before is not None:
            self.own_before += _tally(self.before, before)
        if after == OWN:
            self.own_after += 1
        elif after is not None:
            self.own_after += _tally(self.after, after)

    def merge(self, other: EdgeTally) -> None:
        self.own_before += other.own_before
        self.own_after += other.own_after
        for key, n in other.before.items():
            self.own_before += _tally(self.before, key, n)
        for key, n in other.after.items():
            self.own_after += _tally(self.after, key, n)


def _tally(tally: dict[str, int], key: str, n: int = 1) -> int:
    """Adds ``n`` pages to ``key``; returns the pages not kept (past :data:`FIELD_TRACK` keys: own text)."""
    if key in tally or len(tally) < FIELD_TRACK:
        tally[key] = tally.get(key, 0) + n
        return 0
    return n


@dataclass(frozen=True, slots=True)
class EdgeStats:
    """What a host's pages say of the neighbours of one repeated line: the pages it is on, and those where the
    line before it, and the line after it, is the page's own text (a line the host does not repeat)."""

    pages: int
    own_before: int
    own_after: int

    def heads(self, settings: SiteRepeatSettings) -> bool:
        """Whether the line follows the page's own text on at least ``embedded_head`` of its pages."""
        return self.own_before >= settings.embedded_head * self.pages

    def leads_on(self, settings: SiteRepeatSettings) -> bool:
        """Whether the page's own text follows the line on at least ``embedded_tail`` of its pages."""
        return self.own_after > 0 and self.own_after >= settings.embedded_tail * self.pages

    def lone(self, settings: SiteRepeatSettings) -> bool:
        """Whether the page's own text is both before and after the line on ``embedded_lone`` of its pages."""
        least = settings.embedded_lone * self.pages
        return min(self.own_before, self.own_after) >= least

    def as_list(self) -> list[int]:
        return [self.pages, self.own_before, self.own_after]


@dataclass(frozen=True, slots=True)
class FieldStats:
    """What a host's pages say of one repeated key as a data sheet's field name (see the ``field_*`` settings)."""

    #: Pages the key is on, pages where a short value follows it, different values, and the pages whose value
    #: is a line the host repeats, or is data (on more than one page, or holding a digit).
    pages: int
    valued: int
    values: int
    repeated: int
    recurring: int

    def _varied(self, s: SiteRepeatSettings) -> bool:
        """What follows the key varies from page to page and is seldom a line the host repeats: the evidence
        a field name and a section heading share."""
        return self.values >= s.field_values and self.repeated <= s.field_repeated * self.valued

    def is_field(self, settings: SiteRepeatSettings) -> bool:
        s = settings
        return (self.valued > 0 and self.valued >= s.field_share * self.pages and self._varied(s)
                and self.recurring >= s.field_recurring * self.valued)

    def is_heading(self, settings: SiteRepeatSettings) -> bool:
        """Whether what follows the line differs from page to page as a section's first line does (see
        ``keep_sections``)."""
        s = settings
        # The page's own text: a short line on no other page and without a digit (a date, a count, a size are a
        # field's values), or a line too long to be a value (a first step, a paragraph).
        own = self.pages - self.recurring
        return self._varied(s) and own >= s.section_varied * self.pages

    def describe(self) -> str:
        return (f"a value on {self.valued} of {self.pages} pages, {self.values} different, {self.recurring} of them "
                f"data (recurring or with a digit), {self.repeated} of them lines the host repeats")

    def as_list(self) -> list[int]:
        return [self.pages, self.valued, self.values, self.repeated, self.recurring]


@dataclass(frozen=True)
class HostLines:
    """One host's repeated lines: the pages counted and, per line key, the pages it was on; and what its pages
    say of the keys that may be a data sheet's field names (``fields``: whole lines, ``named``: the names of
    "Name: value" lines, without :data:`NAMED_MARK`)."""

    pages: int
    lines: Mapping[str, int]
    fields: Mapping[str, FieldStats] = field(default_factory=dict)
    named: Mapping[str, FieldStats] = field(default_factory=dict)
    #: Per repeated line whose neighbours are the page's own text on some pages, that evidence (``keep_embedded``).
    edges: Mapping[str, EdgeStats] = field(default_factory=dict)
    #: The keys on at least two pages but fewer than a repeated line is on (``menu_recurring``).
    recurring: frozenset[str] = frozenset()
    #: Per repeated line, the repeated line that follows it right on most of its pages, and on how many pages
    #: (``menu_closed``).
    next: Mapping[str, tuple[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class SiteProfile:
    """The repeated lines of each host, with counts: what ``struct:site-repeat`` removes."""

    hosts: Mapping[str, HostLines]
    settings: SiteRepeatSettings = SiteRepeatSettings()

    def _applied(self, settings: SiteRepeatSettings | None) -> SiteRepeatSettings:
        """The thresholds a page is judged with: the counting ones (``min_pages``, ``min_share``,
        ``max_chars``, and what a field's name and value are: ``field_value_words``, ``field_label_words``) the
        profile was counted with, the others the engine's (its rule files')."""
        if settings is None or settings is self.settings:
            return self.settings
        own = self.settings
        return replace(settings, min_pages=own.min_pages, min_share=own.min_share, max_chars=own.max_chars,
                       field_value_words=own.field_value_words, field_label_words=own.field_label_words)

    def evidence(self, host: str | None, line: str, settings: SiteRepeatSettings | None = None) -> str | None:
        """Why the line is the site's furniture ("seen on 37 of 40 pages of example.com"), or None.
        ``settings``: the page thresholds to apply (an engine's, from its rule files); the profile's by default."""
        settings = self._applied(settings)
        if host is None or not settings.enabled:
            return None
        found = self.hosts.get(host)
        if found is None:
            return None
        seen = _seen(found, line, settings)
        if seen == 0 or reads_as_prose(line, settings):
            return None
        return f"seen on {seen} of {found.pages} pages of {host}"

    def summary(self, host: str | None, settings: SiteRepeatSettings | None, removed: int) -> str | None:
        """What the detector did on a page of ``host`` and with which thresholds (``cleaner explain``), or
        None when the profile does not know the host."""
        settings = self._applied(settings)
        found = self.hosts.get(host) if host is not None else None
        if found is None:
            return None
        s = settings
        return (f"{removed} line(s) removed of the {len(found.lines)} that {host} repeats "
                f"({found.pages} pages counted; settings: min_pages {s.min_pages}, min_share {s.min_share} -> on "
                f"at least {s.needed(found.pages)} pages, prose_words {s.prose_words}, prose_cjk_chars "
                f"{s.prose_cjk_chars}, keep_inside_prose {str(s.keep_inside_prose).lower()}, anchor_chars "
                f"{s.anchor_chars}, inside_run {s.inside_run}, heading_lines {s.heading_lines}, edge_run "
                f"{s.edge_run}, edge_reach {s.edge_reach}, menu_run {s.menu_run}, menu_min_lines {s.menu_min_lines}, "
                f"menu_recurring {s.menu_recurring}, max_chars {s.max_chars}, keep_sheets "
                f"{str(s.keep_sheets).lower()}, sheet_fields {s.sheet_fields}, field_share {s.field_share}, "
                f"field_values {s.field_values}, field_repeated {s.field_repeated}, field_recurring "
                f"{s.field_recurring}, keep_sections {str(s.keep_sections).lower()}, section_lines {s.section_lines}, "
                f"section_varied {s.section_varied}, section_after_run {s.section_after_run}, section_after_own "
                f"{s.section_after_own}, keep_embedded {str(s.keep_embedded).lower()}, embedded_head "
                f"{s.embedded_head}, embedded_tail {s.embedded_tail}, embedded_prose "
                f"{str(s.embedded_prose).lower()}, embedded_lone {s.embedded_lone}, embedded_displaced "
                f"{s.embedded_displaced}, interleaved_run {s.interleaved_run}, interleaved_own {s.interleaved_own}, "
                f"interleaved_window {s.interleaved_window}, interleaved_share {s.interleaved_share}, "
                f"interleaved_inner {s.interleaved_inner})"
                f"{_sheet_summary(found, settings)}")

    def removals(self, host: str | None, lines: Sequence[str | None],
                 settings: SiteRepeatSettings | None = None) -> dict[int, str]:
        """The lines of one page (by index) that are the host's furniture, with their evidence. An empty string
        is a blank line; None a line that is not the detector's to judge (a rule removed it, or it is in
        another record): skipped like a blank one, but it parts the article from a line next to it.
        ``settings``: the page thresholds to apply (an engine's); the profile's by default."""
        settings = self._applied(settings)
        found = self.hosts.get(host) if host is not None and settings.enabled else None
        if found is None:
            return {}
        removed = {}
        anchors = []
        keys: dict[int, str | None] = {}  # the line keys of the page's lines, for the data sheets
        for index, line in enumerate(lines):
            if not line:
                continue
            keys[index] = key = line_key(line, settings.max_chars)
            seen = _seen_key(found, key, settings)
            prose = reads_as_prose(line, settings)
            if seen and not prose:
                removed[index] = f"seen on {seen} of {found.pages} pages of {host}"
            elif not seen and (prose or len(line) >= settings.anchor_chars):
                anchors.append(index)
        runs = _runs(removed, lines)
        if removed and settings.keep_inside_prose and len(anchors) >= 2:
            kept = _article_lines(runs, lines, anchors, settings)
            removed = {i: why for i, why in removed.items() if i not in kept}
        if settings.menu_run:
            removed.update(_menu_gaps(runs, lines, anchors, settings, host or "", found))
        if removed and settings.keep_sheets and (found.fields or found.named):
            sheet = _sheet_lines(found, lines, keys, settings)
            removed = {i: why for i, why in removed.items() if i not in sheet}
        embedded: set[int] = set()
        if removed and settings.keep_embedded and found.edges:
            embedded = _embedded_lines(found, lines, keys, settings)
            removed = {i: why for i, why in removed.items() if i not in embedded}
        if removed and settings.interleaved_run and found.edges:
            # A run kept this way is the page's text for the runs next to it, and for the section headings below
            # (a heading over a table's header row): again until nothing more is kept.
            while inner := _interleaved(found, lines, keys, removed, embedded, settings):
                embedded |= inner
                removed = {i: why for i, why in removed.items() if i not in inner}
        if removed and settings.keep_sections and found.fields:
            heads = _section_heads(found, lines, keys, removed, embedded, settings, anchors[0] if anchors else None)
            removed = {i: why for i, why in removed.items() if i not in heads}
        return removed

    def as_json(self) -> str:
        hosts: dict[str, dict[str, Any]] = {}
        for host, h in sorted(self.hosts.items()):
            entry: dict[str, Any] = {"pages": h.pages, "lines": dict(sorted(h.lines.items()))}
            for name, stats in (("fields", h.fields), ("named", h.named)):
                if stats:  # [pages, valued, values, repeated, recurring] per key (FieldStats)
                    entry[name] = {key: found.as_list() for key, found in sorted(stats.items())}
            if h.edges:  # [pages, own text before, own text after] per key (EdgeStats)
                entry["edges"] = {key: found.as_list() for key, found in sorted(h.edges.items())}
            if h.recurring:
                entry["recurring"] = sorted(h.recurring)
            if h.next:  # [the next repeated line, pages] per key
                entry["next"] = {key: [after, n] for key, (after, n) in sorted(h.next.items())}
            hosts[host] = entry
        s = self.settings
        body = {"format": PROFILE_FORMAT, "version": PROFILE_VERSION,
                "settings": {"min_pages": s.min_pages, "min_share": s.min_share, "prose_words": s.prose_words,
                             "prose_cjk_chars": s.prose_cjk_chars, "keep_inside_prose": s.keep_inside_prose,
                             "anchor_chars": s.anchor_chars, "inside_run": s.inside_run, "max_chars": s.max_chars,
                             "keep_sheets": s.keep_sheets, "field_value_words": s.field_value_words,
                             "field_label_words": s.field_label_words},
                "hosts": hosts}
        return json.dumps(body, ensure_ascii=False, indent=1, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text: str, *, name: str = "profile",
                  settings: SiteRepeatSettings | None = None) -> SiteProfile:
        """A profile from its JSON text; :class:`ProfileError` naming ``name`` and the bad field.
        ``settings``, when given, replace the thresholds saved in the file."""
        try:
            body = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProfileError(f"{name}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
        if not isinstance(body, dict) or body.get("format") != PROFILE_FORMAT:
            raise ProfileError(f"{name}: not a site profile (no \"format\": \"{PROFILE_FORMAT}\")")
        if body.get("version") != PROFILE_VERSION:
            raise ProfileError(f"{name}: profile version {body.get('version')!r}; this cleaner reads "
                               f"version {PROFILE_VERSION}")
        if settings is None:
            saved = body.get("settings", {})
            if not isinstance(saved, dict):
                raise ProfileError(f"{name}: \"settings\" must be an object")
            known = {"min_pages", "min_share", "prose_words", "prose_cjk_chars", "keep_inside_prose", "anchor_chars",
                     "inside_run", "max_chars", "keep_sheets", "field_value_words", "field_label_words"}
            unknown = set(saved) - known
            if unknown:
                raise ProfileError(f"{name}: unknown setting(s) {', '.join(sorted(unknown))}")
            try:
                settings = SiteRepeatSettings(**_typed(saved, name))
            except (TypeError, ValueError) as exc:
                raise ProfileError(f"{name}: {exc}") from None
        hosts = body.get("hosts")
        if not isinstance(hosts, dict):
            raise ProfileError(f"{name}: \"hosts\" must be an object of host names")
        found: dict[str, HostLines] = {}
        for host, entry in hosts.items():
            where = f"{name}: host {host!r}"
            if (not isinstance(entry, dict) or not _count(entry.get("pages"))
                    or not isinstance(entry.get("lines"), dict)):
                raise ProfileError(f"{where}: needs \"pages\" (a positive integer) and \"lines\" (an object)")
            lines = entry["lines"]
            for key, seen in lines.items():
                if not _count(seen) or seen > entry["pages"]:
                    raise ProfileError(f"{where}: line {key!r} has count {seen!r}, not an integer from 1 to "
                                       f"{entry['pages']}")
            sheets = [_field_stats(entry.get(name, {}), f"{where}: {name}") for name in ("fields", "named")]
            recurring = entry.get("recurring", [])
            if not isinstance(recurring, list) or not all(isinstance(key, str) for key in recurring):
                raise ProfileError(f"{where}: \"recurring\" must be a list of line keys")
            found[host] = HostLines(entry["pages"], dict(lines), sheets[0], sheets[1],
                                    _edge_stats(entry.get("edges", {}), lines, f"{where}: edges"), frozenset(recurring),
                                    _next_lines(entry.get("next", {}), lines, f"{where}: next"))
        return cls(found, settings)


def _seen(found: HostLines, line: str, settings: SiteRepeatSettings) -> int:
    """Pages of the host the line is on, when that passes the thresholds; else 0."""
    return _seen_key(found, line_key(line, settings.max_chars), settings)


def _seen_key(found: HostLines, key: str | None, settings: SiteRepeatSettings) -> int:
    if found.pages < settings.min_pages or key is None:
        return 0
    seen = found.lines.get(key, 0)
    return seen if seen >= settings.needed(found.pages) else 0


def _runs(removed: Mapping[int, str], lines: Sequence[str | None]) -> list[list[int]]:
    """The removable lines in runs: consecutive ones, empty lines between them skipped."""
    runs: list[list[int]] = []
    current: list[int] = []
    for index, line in enumerate(lines):
        if index in removed:
            current.append(index)
        elif not line:
            continue
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _article_lines(runs: list[list[int]], lines: Sequence[str | None], anchors: list[int],
                   settings: SiteRepeatSettings) -> set[int]:
    """The repeated lines that belong to the article although the host repeats them (see the settings)."""
    first, last = anchors[0], anchors[-1]
    anchored = set(anchors)
    kept: set[int] = set()
    for run in runs:
        heads = _next_line(lines, run[-1]) in anchored  # the run leads into an anchor
        headings = run[-settings.heading_lines:] if settings.heading_lines and heads else []
        if first < run[0] and run[-1] < last:
            # Inside the span a repeated line goes only in a run (a menu), but for the headings over a block.
            kept.update(run if len(run) < settings.inside_run else headings)
        elif run[-1] < first and len(run) < settings.inside_run and headings:
            kept.update(headings)  # just above the article: the headings of its first block
        elif len(run) <= settings.edge_run and (
                (run[0] > last and _close(lines, last, run[0], settings.edge_reach))
                or (run[-1] < first and _close(lines, run[-1], first, settings.edge_reach))):
            kept.update(run)  # a line on its own right next to the article: a sign-off, a heading
    return kept


def _menu_gaps(runs: list[list[int]], lines: Sequence[str | None], anchors: list[int], settings: SiteRepeatSettings,
               host: str, found: HostLines) -> dict[int, str]:
    """The lines of a menu that vary from page to page: between two long runs of repeated lines, outside
    the article's span (before its first anchor or after its last), none an anchor nor a long line, enough of
    them, and most on other pages of the host too or the two runs one menu on most of the host's other pages."""
    first = anchors[0] if anchors else len(lines)
    last = anchors[-1] if anchors else -1
    gaps: dict[int, str] = {}
    # A shorter run between two long ones is part of the gap (an open section that lists a page whose title is
    # also a section's): its lines go anyway, the others are judged.
    repeated = {i for run in runs for i in run}
    for left, right in pairwise([run for run in runs if len(run) >= settings.menu_run]):
        gap = [i for i in range(left[-1] + 1, right[0]) if lines[i] and i not in repeated]
        if not gap:
            continue
        if not settings.menu_min_lines <= len(gap) <= settings.menu_lines or not (gap[-1] < first or gap[0] > last):
            continue
        if any(len((lines[i] or "").split()) > settings.menu_words for i in gap):
            continue
        recurs = not settings.menu_recurring or sum(
            line_key(lines[i] or "", settings.max_chars) in found.recurring for i in gap
        ) >= settings.menu_recurring * len(gap)
        if not recurs and not _closes(found, lines, left[-1], right[0], settings):
            continue  # most of its lines are this page's own, and the menu is not whole elsewhere: a listing
        why = (f"between {len(left)} and {len(right)} lines in a row that {host} repeats "
               f"({(lines[left[-1]] or '')[:40]!r} ... {(lines[right[0]] or '')[:40]!r})")
        gaps.update(dict.fromkeys(gap, why))
    return gaps


def _closes(found: HostLines, lines: Sequence[str | None], last: int, first: int, settings: SiteRepeatSettings) -> bool:
    """Whether the host's line at ``last`` is followed right by the one at ``first`` on at least ``menu_closed`` of
    its pages (two parts of one menu that this page opens between them)."""
    if not settings.menu_closed:
        return False
    before, after = line_key(lines[last] or "", settings.max_chars), line_key(lines[first] or "", settings.max_chars)
    if before is None or after is None:
        return False
    nxt, n = found.next.get(before, ("", 0))
    return nxt == after and n >= settings.menu_closed * found.lines.get(before, 0)


def _next_line(lines: Sequence[str | None], index: int) -> int:
    after = index + 1
    while after < len(lines) and not lines[after]:
        after += 1
    return after


def _close(lines: Sequence[str | None], start: int, end: int, reach: int) -> bool:
    """Whether ``end`` is at most ``reach`` non-blank lines after ``start`` with only the article's lines
    between them (no line a rule removed: a repeated line after the rules' footer is the footer's)."""
    between = [lines[at] for at in range(start + 1, end) if lines[at] != ""]
    return len(between) < reach and None not in between


def _field_stats(table: Any, where: str) -> dict[str, FieldStats]:
    if not isinstance(table, dict):
        raise ProfileError(f"{where}: must be an object of line keys")
    found = {}
    for key, counts in table.items():
        if not isinstance(counts, list) or len(counts) != 5 or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts):
            raise ProfileError(f"{where}: key {key!r} needs five counts (pages, valued, values, repeated, "
                               f"recurring), not {counts!r}")
        found[key] = FieldStats(*counts)
    return found


def _next_lines(table: Any, lines: Mapping[str, Any], where: str) -> dict[str, tuple[str, int]]:
    if not isinstance(table, dict):
        raise ProfileError(f"{where}: must be an object of line keys")
    found = {}
    for key, pair in table.items():
        ok = isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str) and _count(pair[1])
        if not ok or key not in lines or pair[0] not in lines or pair[1] > lines[key]:
            raise ProfileError(f"{where}: line {key!r} needs [a repeated line, pages up to its own], not {pair!r}")
        found[key] = (pair[0], pair[1])
    return found


def _edge_stats(table: Any, lines: Mapping[str, Any], where: str) -> dict[str, EdgeStats]:
    if not isinstance(table, dict):
        raise ProfileError(f"{where}: must be an object of line keys")
    found = {}
    for key, counts in table.items():
        if (key not in lines or not isinstance(counts, list) or len(counts) != 3
                or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts)
                or counts[0] != lines[key] or max(counts[1:]) > counts[0]):
            raise ProfileError(f"{where}: key {key!r} needs a line of the host and three counts (its pages, then "
                               f"those with own text before and after it, at most its pages), not {counts!r}")
        found[key] = EdgeStats(*counts)
    return found


def _sheet_summary(found: HostLines, settings: SiteRepeatSettings) -> str:
    """The host's data-sheet fields and their evidence, for ``cleaner explain``."""
    if not settings.keep_sheets:
        return ""
    named = [(f"{key}: ...", stats) for key, stats in found.named.items() if stats.is_field(settings)]
    fields = [(key, stats) for key, stats in found.fields.items() if stats.is_field(settings)] + named
    if not fields:
        return ""
    shown = "; ".join(f"{key!r} ({stats.describe()})" for key, stats in sorted(fields)[:6])
    more = f" and {len(fields) - 6} more" if len(fields) > 6 else ""
    return f"; a data sheet's field names, kept where {settings.sheet_fields} sit in a row: {shown}{more}"


def _sheet_lines(found: HostLines, lines: Sequence[str | None], keys: Mapping[int, str | None],
                 settings: SiteRepeatSettings) -> set[int]:
    """The lines of the page's data sheets: runs of name/value units with at least ``sheet_fields`` units whose
    name is a field of the host. A unit is a "Name: value" line, or a repeated line with the short lines after
    it that the host does not repeat (its value or values; the first may be repeated: "none", "35mm"), or a
    repeated line alone where the next line is a "Name: value" line or the next name (the name after it has a
    value)."""
    fields = {key for key, stats in found.fields.items() if stats.is_field(settings)}
    named = {NAMED_MARK + key for key, stats in found.named.items() if stats.is_field(settings)}
    if not fields and not named:
        return set()
    order = [at for at, line in enumerate(lines) if line != ""]
    # Nothing to keep on a page without one of the host's field names (most pages of most hosts).
    if not any(keys.get(at) in fields for at in order) and not (named and any(
            (pair := named_value(lines[at] or "", settings)) is not None and pair[0] in named for at in order)):
        return set()

    def text(pos: int) -> str | None:
        return lines[order[pos]] if pos < len(order) else None

    def key(pos: int) -> str | None:
        return keys.get(order[pos]) if pos < len(order) else None

    def repeated(pos: int) -> bool:
        return _seen_key(found, key(pos), settings) > 0

    def is_name(pos: int) -> bool:
        return key(pos) in fields

    def unit_at(pos: int) -> tuple[list[int], bool]:
        line = text(pos)
        if line is None:
            return [], False
        pair = named_value(line, settings)
        if pair is not None:
            return [order[pos]], pair[0] in named
        after = text(pos + 1)
        if not repeated(pos) or after is None:
            return [], False
        if named_value(after, settings) is not None:
            return [order[pos]], False  # a heading over the sheet's "Name: value" lines
        is_field = key(pos) in fields
        if not is_value(after.strip(), settings) or (not is_field and repeated(pos + 1)):
            return [], False  # not a name and its value; two repeated lines in a row are a menu's
        following = text(pos + 2)
        if is_name(pos + 1) and following is not None and is_value(following.strip(), settings) and not is_name(
                pos + 2):
            return [order[pos]], False  # a name without a value: the next line is the next name, with its value
        unit = [order[pos], order[pos + 1]]
        more = pos + 2
        while (more < len(order) and (extra := text(more)) is not None and is_value(extra.strip(), settings)
               and not repeated(more) and named_value(extra, settings) is None):
            unit.append(order[more])  # further values of the name (two speeds, three colours)
            more += 1
        return unit, is_field

    def before(at: int) -> bool:
        """Whether the line before ``at`` is furniture (repeated, or removed by a rule)."""
        previous = next((i for i in range(at - 1, -1, -1) if lines[i] != ""), None)
        return previous is not None and (lines[previous] is None
                                         or _seen_key(found, keys.get(previous), settings) > 0)

    kept: set[int] = set()
    run: list[tuple[list[int], bool]] = []

    def close() -> None:
        # The sheet runs from its first field to its last: a unit of another name at either end is as likely
        # the menu's last item over the headline, or the footer's first line; and a sheet does not start right
        # after a line the host repeats or a rule removed: that unit is a menu's last item and the headline.
        while run and (not run[0][1] or before(run[0][0][0])):
            run.pop(0)
        while run and not run[-1][1]:
            run.pop()
        if sum(is_field for _, is_field in run) >= settings.sheet_fields:
            for unit, _ in run:
                kept.update(unit)
        run.clear()

    pos = 0
    while pos < len(order):
        unit, is_field = unit_at(pos)
        if not unit:
            close()
            pos += 1
            continue
        run.append((unit, is_field))
        pos += len(unit)
    close()
    return kept


def _section_heads(found: HostLines, lines: Sequence[str | None], keys: Mapping[int, str | None],
                   removed: Mapping[int, str], embedded: set[int], settings: SiteRepeatSettings,
                   first_anchor: int | None = None) -> set[int]:
    """The removable lines that head a section of the page's own text (see ``keep_sections``); the lines of
    ``embedded`` blocks (``keep_embedded``) are the page's text although the host repeats them. ``first_anchor``:
    the page's first anchor line (``section_after_run``), None when it has none."""
    heads = {key for key, stats in found.fields.items() if stats.is_heading(settings)}
    if not heads:
        return set()
    order = [at for at, line in enumerate(lines) if line != ""]

    def own_text(positions: Iterable[int]) -> bool:
        """Whether the lines at ``positions``, up to the first one the host repeats (or a rule removed), are
        ``section_lines`` lines of the page's own or hold one that reads as prose or is ``anchor_chars`` long; or
        ``section_closed`` lines when a rule's removal or the page's edge comes next (the section is closed:
        a one-line "Value" over the return value, then the "See also" a rule takes)."""
        count = 0
        for count, pos in enumerate(positions, 1):
            at = order[pos]
            line = lines[at]
            if line is None:  # a rule's removal closes the section: at least section_closed lines before it
                return 0 < settings.section_closed <= count - 1
            if at not in embedded and _seen_key(found, keys.get(at), settings):
                return False
            if reads_as_prose(line, settings) or len(line) >= settings.anchor_chars or count >= settings.section_lines:
                return True
        return 0 < settings.section_closed <= count  # the page's edge closes it

    # Both sides: a heading stands between two stretches of the page's text (a recipe's ingredients, then its
    # steps); a previous/next link's label, a byline's or a tag list's name follows one short line after
    # another such label, or the menu.
    def before(pos: int) -> range:
        """The lines before ``pos``, past the repeated lines of its run (the heading is the last line of a run
        shorter than ``inside_run``, as a call for submissions over "Quote of the Week")."""
        start = pos - 1
        while start >= 0 and pos - start < settings.inside_run - 1 and order[start] in removed:
            start -= 1
        return range(start, -1, -1)

    def after_run(pos: int) -> bool:
        """Whether the line ends a run of repeated lines inside the article, and the host has its own text right
        after it on ``section_after_run`` of its pages, and right before it on ``section_after_own`` of them."""
        if not settings.section_after_run or first_anchor is None or pos == 0 or order[pos - 1] not in removed:
            return False
        start = pos - 1
        while start > 0 and order[start - 1] in removed:
            start -= 1
        stats = found.edges.get(keys.get(order[pos]) or "")
        return (first_anchor < order[start] and stats is not None and stats.own_before > 0
                and stats.own_after >= settings.section_after_run * stats.pages
                and stats.own_before >= settings.section_after_own * stats.pages)

    return {at for pos, at in enumerate(order) if at in removed and keys.get(at) in heads
            and (own_text(before(pos)) or after_run(pos)) and own_text(range(pos + 1, len(order)))}


def _embedded_lines(found: HostLines, lines: Sequence[str | None], keys: Mapping[int, str | None],
                    settings: SiteRepeatSettings) -> set[int]:
    """The repeated lines of blocks that sit inside the pages' own text (see ``keep_embedded``). A block is a run
    of lines the host repeats (prose among them: kept anyway, but part of the block), ended by a line of the
    page's own, a line a rule removed, or a repeated line that starts blocks (it follows own text on at least
    ``embedded_head`` of its pages: a footer's first line after such a block)."""
    edges = found.edges
    order = [at for at, line in enumerate(lines) if line != ""]

    def repeated(at: int) -> bool:
        return lines[at] is not None and _seen_key(found, keys.get(at), settings) > 0

    def heads(at: int) -> bool:
        stats = edges.get(keys.get(at) or "")
        return stats is not None and stats.heads(settings)

    kept: set[int] = set()
    if settings.embedded_displaced:
        kept.update(_displaced(found, lines, keys, order, repeated, settings))
    pos = 0
    while pos < len(order):
        at = order[pos]
        # a block starts right after a line of the page's own (not the page's first line, not a rule's removal)
        if not (pos > 0 and repeated(at) and heads(at) and lines[order[pos - 1]] is not None
                and not repeated(order[pos - 1])):
            pos += 1
            continue
        block = [at]
        pos += 1
        while pos < len(order) and repeated(order[pos]) and not heads(order[pos]):
            block.append(order[pos])
            pos += 1
        tail = edges.get(keys.get(block[-1]) or "")
        if tail is None or not tail.leads_on(settings):
            continue
        if (len(block) == 1 and settings.embedded_lone and tail.lone(settings) and pos < len(order)
                and lines[order[pos]] is not None and not repeated(order[pos])
                and (lines[at] or "").strip().endswith(_SENTENCE_END)):
            kept.update(block)  # a sentence between the page's own lines, as on nearly every page the host has it
            continue
        if settings.embedded_prose and not any(reads_as_prose(lines[i] or "", settings) for i in block):
            continue
        if _longest_menu(block, lines, settings) >= settings.inside_run:
            continue  # a menu inside the text (a tab bar), as inside the span
        kept.update(block)
    return kept


def _interleaved(found: HostLines, lines: Sequence[str | None], keys: Mapping[int, str | None],
                 removed: Mapping[int, str], embedded: set[int], settings: SiteRepeatSettings) -> set[int]:
    """The short runs of removable lines that stand between two stretches of the page's own text, where the host's
    pages have its own text around them too (see ``interleaved_run``)."""
    order = [at for at, line in enumerate(lines) if line != ""]
    edges = found.edges

    def furniture(at: int) -> bool:
        """A line a rule removed, or one the host repeats (prose too: a repeated disclaimer is no article's)."""
        return lines[at] is None or (at not in embedded and _seen_key(found, keys.get(at), settings) > 0)

    def own_text(positions: Iterable[int]) -> bool:
        """At least ``interleaved_own`` lines of the page's own among the next ``interleaved_window`` lines on that
        side (or one that reads as prose or is long), past short runs of repeated lines but not past a rule's
        removal or a run of ``inside_run`` repeated lines (a menu, a footer)."""
        count = seen = furniture_run = 0
        for pos in positions:
            at = order[pos]
            seen += 1
            if seen > settings.interleaved_window or lines[at] is None:
                return False
            if furniture(at):
                furniture_run += 1
                if furniture_run >= settings.inside_run:
                    return False
                continue
            furniture_run = 0
            count += 1
            line = lines[at] or ""
            if (count >= settings.interleaved_own or reads_as_prose(line, settings)
                    or len(line) >= settings.anchor_chars):
                return True
        return False

    def share(stats: EdgeStats | None, own: int) -> bool:
        return stats is not None and own > 0 and own >= settings.interleaved_share * stats.pages

    own_above = [0]  # lines of the page's own above each position
    for at in order:
        own_above.append(own_above[-1] + (not furniture(at)))
    kept: set[int] = set()
    pos = 0
    while pos < len(order):
        if order[pos] not in removed:
            pos += 1
            continue
        start = pos
        while pos < len(order) and order[pos] in removed:
            pos += 1
        run = order[start:pos]
        if not 2 <= len(run) <= settings.interleaved_run:
            continue  # one line alone is a section heading's or a label's: keep_sections tells them apart
        head, tail = edges.get(keys.get(run[0]) or ""), edges.get(keys.get(run[-1]) or "")
        if not (share(head, head.own_before if head else 0) and share(tail, tail.own_after if tail else 0)):
            continue
        if own_above[start] < settings.interleaved_inner:
            continue  # right under the headline: a post's metadata (a date, a source, a byline)
        if own_text(range(start - 1, -1, -1)) and own_text(range(pos, len(order))):
            kept.update(run)
    return kept


def _displaced(found: HostLines, lines: Sequence[str | None], keys: Mapping[int, str | None], order: list[int],
               repeated: Callable[[int], bool], settings: SiteRepeatSettings) -> set[int]:
    """Runs of repeated lines between two lines of the page's own, where on the host's pages they sit among its
    furniture: own text before the first and after the last on at most ``embedded_displaced`` of them."""
    found_edges = found.edges
    kept: set[int] = set()
    pos = 1
    while pos < len(order):
        if not repeated(order[pos]) or lines[order[pos - 1]] is None or repeated(order[pos - 1]):
            pos += 1
            continue
        start = pos
        while pos < len(order) and repeated(order[pos]):
            pos += 1
        if pos >= len(order) or lines[order[pos]] is None:
            continue
        if pos - start < settings.inside_run:
            continue  # a list the page quotes, not a line its menu prints twice
        earlier = {keys.get(at) for at in order[:start]}
        if not all(keys.get(at) in earlier for at in order[start:pos]):
            continue  # not a copy of lines the page shows before (its menu)
        first = found_edges.get(keys.get(order[start]) or "")
        last = found_edges.get(keys.get(order[pos - 1]) or "")
        limit = settings.embedded_displaced
        if ((first.own_before if first else 0) <= limit * found.lines.get(keys.get(order[start]) or "", 0)
                and (last.own_after if last else 0) <= limit * found.lines.get(keys.get(order[pos - 1]) or "", 0)):
            kept.update(order[start:pos])
    return kept


def _longest_menu(block: Sequence[int], lines: Sequence[str | None], settings: SiteRepeatSettings) -> int:
    """The most lines of ``block`` in a row that are not prose."""
    longest = current = 0
    for at in block:
        current = 0 if reads_as_prose(lines[at] or "", settings) else current + 1
        longest = max(longest, current)
    return longest


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _typed(saved: Mapping[str, Any], name: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in saved.items():
        if key in ("keep_inside_prose", "keep_sheets"):
            if not isinstance(value, bool):
                raise ProfileError(f"{name}: setting {key} must be true or false, not {value!r}")
            out[key] = value
            continue
        wanted = float if key == "min_share" else int
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or (wanted is int and not isinstance(value, int)):
            raise ProfileError(f"{name}: setting {key} must be a number, not {value!r}")
        out[key] = wanted(value)
    return out


class ProfileError(ValueError):
    """A site profile that cannot be used (its file names the problem)."""


def build_profile(confirmed: Confirmed, settings: SiteRepeatSettings) -> SiteProfile:
    """The profile from the exact counts of the second look: the pairs that pass the thresholds."""
    pages = confirmed.pages
    hosts: dict[str, dict[str, int]] = {}
    below: dict[str, set[str]] = {}  # the keys on two pages or more that do not repeat (menu_recurring)
    for (host, key), seen in sorted(confirmed.pairs.items()):
        total = pages.get(host, 0)
        if total >= settings.min_pages and seen >= settings.needed(total):
            hosts.setdefault(host, {})[key] = seen
        elif (total >= settings.min_pages and seen >= 2 and settings.menu_run and settings.menu_recurring
              and not key.startswith(NAMED_MARK)):
            below.setdefault(host, set()).add(key)
    for (host, key), seen in confirmed.recur.items():
        if pages.get(host, 0) >= settings.min_pages and seen >= 2:
            below.setdefault(host, set()).add(key)
    recurring = {host: frozenset(keys) for host, keys in below.items()}
    built = {}
    for host, passing in sorted(hosts.items()):
        lines = {key: n for key, n in passing.items() if not key.startswith(NAMED_MARK)}
        fields: dict[str, FieldStats] = {}
        named: dict[str, FieldStats] = {}
        for key, seen in passing.items():
            stats = _stats(confirmed, host, key, seen, lines, settings)
            if stats is not None:
                if key.startswith(NAMED_MARK):
                    named[key[len(NAMED_MARK):]] = stats
                else:
                    fields[key] = stats
        edges = {}
        following: dict[str, tuple[str, int]] = {}
        for key in lines:
            edge = confirmed.edges.get((host, key))
            if edge is not None and settings.menu_run and settings.menu_closed:
                # the repeated line that follows it most often (ties by text): is the menu whole on most pages?
                best = min(((-n, k) for k, n in edge.after.items() if k in lines), default=None)
                if best is not None:
                    following[key] = (best[1], -best[0])
            if edge is not None:  # a followed neighbour that did not pass is the page's own text
                before = edge.own_before + sum(n for k, n in edge.before.items() if k not in lines)
                after = edge.own_after + sum(n for k, n in edge.after.items() if k not in lines)
                around = EdgeStats(lines[key], before, after)
                if around.own_before or around.own_after:
                    edges[key] = around
        built[host] = HostLines(pages[host], lines, fields, named, edges, recurring.get(host, frozenset()), following)
    return SiteProfile(built, settings)


def _stats(confirmed: Confirmed, host: str, key: str, seen: int, lines: Mapping[str, int],
           settings: SiteRepeatSettings) -> FieldStats | None:
    """The evidence of a repeated key as a field name, kept in the profile when its values differ at all."""
    tally = confirmed.values.get((host, key), {})
    overflow = confirmed.overflow.get((host, key), 0)
    values = len(tally) + overflow
    if values < 2 or "0" in key:
        return None  # a line with digits is data ("30ft. walking", "Level 14"), not a field's name
    # A value is the host's furniture (a menu's next item) when its very text follows the key on as many pages
    # as a repeated line is on: the line key folds digits, so "17 (d6)" and "20 (d8)" would be one line.
    needed = settings.needed(confirmed.pages.get(host, 0))
    repeated = sum(n for value, n in tally.items()
                   if n >= needed and line_key(value, settings.max_chars) in lines)
    recurring = sum(n for value, n in tally.items() if n > 1 or _DIGITS.search(value))
    return FieldStats(seen, sum(tally.values()) + overflow, values, repeated, recurring)
