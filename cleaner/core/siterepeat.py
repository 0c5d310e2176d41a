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
one page count per host seen; the exact look holds at most ``max_candidates`` keys.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
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
    #: that varies from page to page (a sidebar's open section). ``menu_run = 0`` (the default) switches this
    #: off: it can take a headline that sits between a site's menu and its share bar.
    menu_run: int = 0
    menu_lines: int = 400
    menu_words: int = 15
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
                     "max_chars", "max_keys", "max_candidates", "max_hosts"):
            if getattr(self, name) < 1:
                raise ValueError(f"site repeat: {name} must be at least 1, not {getattr(self, name)}")

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


def page_keys(lines: Iterable[str], settings: SiteRepeatSettings) -> set[str]:
    """The distinct keys of a page's countable lines (a line twice on one page counts once)."""
    keys = set()
    for line in lines:
        key = line_key(line, settings.max_chars)
        if key is not None:
            keys.add(key)
    return keys


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


@dataclass
class Confirmed:
    """Second look: exact pages of the hosts and exact counts of the (host, key) pairs the sketch kept."""

    pages: dict[str, int] = field(default_factory=dict)
    pairs: dict[tuple[str, str], int] = field(default_factory=dict)

    def merge(self, other: Confirmed) -> None:
        for host, n in other.pages.items():
            self.pages[host] = self.pages.get(host, 0) + n
        for pair, n in other.pairs.items():
            self.pairs[pair] = self.pairs.get(pair, 0) + n


@dataclass(frozen=True)
class HostLines:
    """One host's repeated lines: the pages counted and, per line key, the pages it was on."""

    pages: int
    lines: Mapping[str, int]


@dataclass(frozen=True)
class SiteProfile:
    """The repeated lines of each host, with counts: what ``struct:site-repeat`` removes."""

    hosts: Mapping[str, HostLines]
    settings: SiteRepeatSettings = SiteRepeatSettings()

    def _applied(self, settings: SiteRepeatSettings | None) -> SiteRepeatSettings:
        """The thresholds a page is judged with: the counting ones (``min_pages``, ``min_share``,
        ``max_chars``) the profile was counted with, the others the engine's (its rule files')."""
        if settings is None or settings is self.settings:
            return self.settings
        own = self.settings
        return replace(settings, min_pages=own.min_pages, min_share=own.min_share, max_chars=own.max_chars)

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
                f"{s.edge_run}, edge_reach {s.edge_reach}, menu_run {s.menu_run}, max_chars {s.max_chars})")

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
        for index, line in enumerate(lines):
            if not line:
                continue
            seen = _seen(found, line, settings)
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
            removed.update(_menu_gaps(runs, lines, anchors, settings, host or ""))
        return removed

    def as_json(self) -> str:
        hosts = {host: {"pages": h.pages, "lines": dict(sorted(h.lines.items()))}
                 for host, h in sorted(self.hosts.items())}
        s = self.settings
        body = {"format": PROFILE_FORMAT, "version": PROFILE_VERSION,
                "settings": {"min_pages": s.min_pages, "min_share": s.min_share, "prose_words": s.prose_words,
                             "prose_cjk_chars": s.prose_cjk_chars, "keep_inside_prose": s.keep_inside_prose,
                             "anchor_chars": s.anchor_chars, "inside_run": s.inside_run, "max_chars": s.max_chars},
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
                     "inside_run", "max_chars"}
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
            found[host] = HostLines(entry["pages"], dict(lines))
        return cls(found, settings)


def _seen(found: HostLines, line: str, settings: SiteRepeatSettings) -> int:
    """Pages of the host the line is on, when that passes the thresholds; else 0."""
    if found.pages < settings.min_pages:
        return 0
    key = line_key(line, settings.max_chars)
    seen = 0 if key is None else found.lines.get(key, 0)
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
               host: str) -> dict[int, str]:
    """The lines of a menu that vary from page to page: between two long runs of repeated lines, outside
    the article's span (before its first anchor or after its last), none an anchor nor a long line."""
    first = anchors[0] if anchors else len(lines)
    last = anchors[-1] if anchors else -1
    found: dict[int, str] = {}
    for left, right in pairwise(runs):
        if len(left) < settings.menu_run or len(right) < settings.menu_run:
            continue
        gap = [i for i in range(left[-1] + 1, right[0]) if lines[i]]
        if not gap or len(gap) > settings.menu_lines or not (gap[-1] < first or gap[0] > last):
            continue
        if any(len((lines[i] or "").split()) > settings.menu_words for i in gap):
            continue
        why = (f"between {len(left)} and {len(right)} lines in a row that {host} repeats "
               f"({(lines[left[-1]] or '')[:40]!r} ... {(lines[right[0]] or '')[:40]!r})")
        found.update(dict.fromkeys(gap, why))
    return found


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


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _typed(saved: Mapping[str, Any], name: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in saved.items():
        if key == "keep_inside_prose":
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
    for (host, key), seen in sorted(confirmed.pairs.items()):
        total = pages.get(host, 0)
        if total >= settings.min_pages and seen >= settings.needed(total):
            hosts.setdefault(host, {})[key] = seen
    return SiteProfile({host: HostLines(pages[host], lines) for host, lines in sorted(hosts.items())}, settings)
