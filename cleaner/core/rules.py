"""Rule files: parsed from TOML text into frozen, compiled rules.

A rule file is data. It is parsed with :mod:`tomllib` (which cannot execute anything) and validated
field by field; any problem raises :class:`RuleError` naming the file, the line and the rule id.
This module does no file I/O: callers hand it the text and a name for the source.
"""

from __future__ import annotations

import re as _stdlib_re
import string
import time
import tomllib
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import regex

from cleaner.core.errors import RuleError
from cleaner.core.facts import PatternFacts
from cleaner.core.structure import DETECTOR_IDS, StructureSettings, setting_types
from cleaner.core.text import line_key

Strength = Literal["strong", "weak"]
RECORD_FIELDS = ("source", "published", "title", "text")
ID_SHAPE = _stdlib_re.compile(r"^[A-Z][A-Z0-9]{1,9}[0-9]{3}$")

#: Whole-line rules look only at lines up to this many characters unless a rule says otherwise:
#: junk lines are short, and a long paragraph is then never tried against any rule.
DEFAULT_MAX_CHARS = 200
#: A layout's header line ("Related Articles") is shorter still.
DEFAULT_HEADER_CHARS = 100
#: Inputs tried on every pattern at load time; a pattern that times out on one is rejected.
_PROBE_UNITS = ("a", " ", "a ", "1", "-", "a1", ". ", "ab")
_PROBE_TAILS = ("!", "\u2603")
#: Probe length for a pattern whose lines are not bounded; a bounded one is probed at twice its bound.
_UNBOUNDED_PROBE = 4000


def _backtracking_probes(length: int) -> list[str]:
    return [unit * (length // len(unit)) + tail for unit in _PROBE_UNITS for tail in _PROBE_TAILS]
_PROBE_TIMEOUT = 0.2


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a rule applies: ``include`` domains (empty: everywhere) minus ``exclude`` domains."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def applies(self, host: str | None) -> bool:
        if host is None:
            # Unknown origin: an include list cannot be verified, an exclusion cannot trigger.
            return not self.include
        if any(_host_in(host, d) for d in self.exclude):
            return False
        return not self.include or any(_host_in(host, d) for d in self.include)

    def narrowed_by(self, other: Scope) -> Scope:
        return Scope(self.include or other.include, self.exclude + other.exclude)

    def example_host(self) -> str | None:
        """A host the scope applies to, for running a rule's examples: its first included domain, or none (an
        unknown origin, where a rule without an include list applies)."""
        return self.include[0] if self.include else None

    def describe(self) -> str:
        parts = list(self.include) + [f"~{d}" for d in self.exclude]
        return ", ".join(parts) if parts else "all domains"


def _host_in(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


#: The parts of a record an example may state (the others are the engine's bookkeeping).
EXAMPLE_RECORD_FIELDS = ("title", "source", "published", "text")


@dataclass(frozen=True, slots=True)
class Cut:
    """An example stated with its output: the input ``lines`` and exactly the ``remains`` (the main record's
    lines, title first), the ``records`` the rule makes of the rest (a layout's items, each as the record
    parts it has) and the ``metadata`` it finds; ``None`` for either: not stated, so not checked."""

    lines: tuple[str, ...]
    remains: tuple[str, ...]
    #: Each record as (part, value) pairs; pairs rather than dicts keep a rule hashable.
    records: tuple[tuple[tuple[str, str], ...], ...] | None = None
    metadata: tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True, slots=True)
class Examples:
    """A rule's own examples: ``junk`` documents it removes whole (nothing of them remains), ``keep``
    documents it leaves alone, and ``cut`` documents stated with exactly what remains of them."""

    junk: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()
    cut: tuple[Cut, ...] = ()

    @property
    def count(self) -> int:
        return len(self.junk) + len(self.keep) + len(self.cut)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    id: str
    purpose: str
    source: str
    line: int | None
    scope: Scope = Scope()
    examples: Examples = Examples()

    @property
    def kind(self) -> str:
        raise NotImplementedError

    def describe_match(self) -> str:
        raise NotImplementedError

    @property
    def location(self) -> str:
        return self.source if self.line is None else f"{self.source}:{self.line}"


@dataclass(frozen=True, slots=True, kw_only=True)
class LineRule(Rule):
    """A whole line that is junk: an exact text (case and spacing ignored) or a pattern."""

    exact: str | None = None
    pattern: regex.Pattern[str] | None = None
    strength: Strength = "strong"
    max_chars: int = DEFAULT_MAX_CHARS
    #: Junk only where at least this many matching lines follow each other (blank lines between allowed).
    min_run: int = 1

    @property
    def kind(self) -> str:
        return "line" if self.exact is not None else "pattern"

    def describe_match(self) -> str:
        target = repr(self.exact) if self.exact is not None else f"/{self.pattern.pattern}/"  # type: ignore[union-attr]
        run = f", in runs of at least {self.min_run} lines" if self.min_run > 1 else ""
        return f"whole line {target}, {self.strength}{run}"


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockRule(Rule):
    """A run of lines from a ``start`` line to an ``end`` line, at most ``max_lines`` long."""

    start: regex.Pattern[str]
    end: regex.Pattern[str]
    max_lines: int = 30

    @property
    def kind(self) -> str:
        return "block"

    def describe_match(self) -> str:
        return f"block from /{self.start.pattern}/ to /{self.end.pattern}/ within {self.max_lines} lines"


#: Characters that end a sentence when they end a line. An ellipsis ends a truncated title, not a sentence.
SENTENCE_END = (".", ",", ";", ":")
_ELLIPSIS = ("...", "…")
_WORD = _stdlib_re.compile(r"[^\W\d_]\S*")  # from a token's first letter to its end: one match a word


@dataclass(frozen=True, slots=True)
class Shape:
    """Bounds on a line's length and words, and whether it may end like a sentence (a title may not)."""

    min_chars: int = 0
    max_chars: int = 0  # 0: unbounded
    min_words: int = 0
    max_words: int = 0  # 0: unbounded
    sentence_end: bool = True

    def fits(self, line: str, words: int | None = None) -> bool:
        """Whether the line fits; ``words``, when given, is the line's word count (:func:`count_words`), which a
        caller asking several shapes of one line counts once."""
        size = len(line)
        if size < self.min_chars or (self.max_chars and size > self.max_chars):
            return False
        if self.min_words or self.max_words:
            # A word holds a letter: "June 3, 2024" is one word, so a date is never a three-word title. (A count
            # past ``enough`` decides as ``enough`` does: the full count may stand for the bounded one.)
            if words is None:
                words = _count_words(line, self.max_words + 1 if self.max_words else self.min_words)
            if words < self.min_words or (self.max_words and words > self.max_words):
                return False
        return self.sentence_end or not line.endswith(SENTENCE_END) or line.endswith(_ELLIPSIS)

    def describe(self) -> str:
        parts = []
        if self.min_chars or self.max_chars:
            parts.append(f"{self.min_chars}-{self.max_chars or '∞'} chars")
        if self.min_words or self.max_words:
            parts.append(f"{self.min_words}-{self.max_words or '∞'} words")
        if not self.sentence_end:
            parts.append("no sentence end")
        return ", ".join(parts)


ANY_SHAPE = Shape()


def count_words(line: str) -> int:
    """All the line's words, as a shape counts them."""
    return len(_WORD.findall(line))


def _count_words(line: str, enough: int) -> int:
    """The line's words, counted up to ``enough`` (past it the count says no more about the bounds)."""
    if len(line) < 400:
        return len(_WORD.findall(line))
    # A long line (a body paragraph) is not split into all its words to learn it holds six.
    count = 0
    for _ in _WORD.finditer(line):
        count += 1
        if count >= enough:
            break
    return count


@dataclass(frozen=True, slots=True)
class Slot:
    """One line (or, with ``repeat``, a run of lines) of an item.

    A slot captures its line into ``field``, and a pattern's named groups called like record fields
    capture those parts; a slot with neither is structure (checked, then dropped with the layout's id).
    ``template`` checks the line against earlier captures; ``rest`` takes the item's remaining lines
    as its body, up to a line the next slot matches.
    """

    field: str | None
    pattern: regex.Pattern[str] | None = None
    template: str | None = None
    rest: bool = False
    optional: bool = False
    repeat: bool = False
    shape: Shape = ANY_SHAPE
    #: For ``rest``: at most this many lines (0: until the item ends).
    max_lines: int = 0

    def describe(self) -> str:
        name = self.field or (f"'{self.template}'" if self.template else
                              "+".join(_captured_groups(self.pattern)) if self.pattern is not None and
                              _captured_groups(self.pattern) else "structure")
        if self.rest:
            name = f"{name} (rest{f', at most {self.max_lines} lines' if self.max_lines else ''})"
        shape = self.shape.describe()
        mark = "*" if self.repeat and self.optional else "+" if self.repeat else "?" if self.optional else ""
        return name + (f" [{shape}]" if shape else "") + mark


def _captured_groups(pattern: regex.Pattern[str]) -> tuple[str, ...]:
    return tuple(name for name in pattern.groupindex if name in RECORD_FIELDS)


LayoutKind = Literal["related", "comments"]
BlankLines = Literal["end_item", "skip"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Layout(Rule):
    """How a block of secondary articles (or of reader comments) is laid out: a header line, then items.

    A layout without slots is an inline reference ("Also read: TITLE"): its header pattern captures the
    title, and the header line is itself the one item.
    """

    header: regex.Pattern[str]
    slots: tuple[Slot, ...]
    title_echo: Literal["strip", "keep"] = "strip"
    #: Bound on the header line; item lines are bounded by their slot patterns and shapes.
    max_chars: int = DEFAULT_HEADER_CHARS
    #: Items become records of this kind: "related" (other articles) or "comments" (reader comments).
    record_kind: LayoutKind = "related"
    #: With fewer items than this, the header does not start a block of this layout.
    min_items: int = 1
    max_items: int = 0  # 0: unbounded
    #: "end_item": a blank line ends an item; "skip": blank lines are ignored (pages dumped with a blank
    #: line after every block), so an item ends where the next one starts or where a bound is reached.
    blank_lines: BlankLines = "end_item"
    #: Lines that may sit between the header and the first item as the block's own controls ("(View all)").
    controls: regex.Pattern[str] | None = None
    #: A block whose titles hold fewer words than this at the median is a menu under a heading ("More from
    #: Phones": "Phone Deals", "Phone Reviews"), not other articles: it is not segmented (0: no bound). A
    #: Chinese, Japanese, Korean or Thai title counts one word for every two of its characters.
    menu_words: int = 0
    #: An item that is its title alone (no date, byline, teaser or rank line with it) needs a title of at least
    #: this many words (counted as for ``menu_words``): a shorter one is a link of the page's menus or footer
    #: ("Quem somos", "App Store", a topic tag) that the block ran into, removed with the block's id instead of
    #: becoming a record (0: no bound).
    bare_words: int = 0
    #: ... and is under this share of the length (in characters) of the block's titles of ``bare_words`` words or
    #: more, at the median: a list of short titles of one size (a blog's) is left as it is.
    bare_share: float = 0.5
    #: A title this pattern matches whole is a list of names, not an article's title: a reference page's "See
    #: Also" line of command, function or page names ("ALTER TABLE, CREATE TABLE", "pg_dump, psql"). A block
    #: whose every title is one is not segmented: it stays where it is, with the page's text. Matched with
    #: case (names are told by their capitals), whatever ``case_sensitive`` says.
    name_list: regex.Pattern[str] | None = None

    @property
    def kind(self) -> str:
        return "layout"

    @property
    def inline(self) -> bool:
        return not self.slots

    def describe_match(self) -> str:
        if self.inline:
            return f"a line /{self.header.pattern}/ naming one {self.record_kind} article"
        names = " / ".join(s.describe() for s in self.slots)
        bounds = f", {self.min_items}-{self.max_items or '∞'} items" if self.min_items > 1 or self.max_items else ""
        gaps = ", blank lines ignored" if self.blank_lines == "skip" else ""
        return f"header /{self.header.pattern}/ then {self.record_kind} items of {names}{bounds}{gaps}"


HtmlAction = Literal["drop", "related", "comments"]
#: The parts an HTML rule may name inside each item, by action: what each becomes in the item's record.
HTML_FIELDS: Mapping[str, tuple[str, ...]] = {
    "drop": (),
    "related": ("title", "link", "source", "time", "teaser"),
    "comments": ("author", "time", "body"),
}
#: Checks one CSS selector: why it is malformed, or None. Given by the caller, since parsing CSS needs a
#: library the core does not import.
SelectorCheck = Callable[[str], "str | None"]


@dataclass(frozen=True, slots=True, kw_only=True)
class HtmlRule(Rule):
    """An element of a page's tree and what it is, found by CSS selectors before text extraction.

    ``drop``: furniture, removed. ``related``: a block of other articles; each ``item`` becomes a related
    record, its parts found by the ``fields`` selectors (inside the item). ``comments``: a comment section;
    each ``item`` is a comment. Examples are HTML fragments.
    """

    action: HtmlAction
    select: str
    item: str | None = None
    #: (part name, CSS selector tried inside each item) pairs; part names are listed in :data:`HTML_FIELDS`.
    fields: tuple[tuple[str, str], ...] = ()
    #: A block holding fewer items than this is left alone (a lone link is no list). 0: the block is removed
    #: even when it holds no item (an empty comment section, "Be the first to comment").
    min_items: int = 1
    #: A CSS selector naming pages this rule leaves alone: on a forum thread the replies are the content.
    unless: str | None = None

    @property
    def kind(self) -> str:
        return "html"

    def describe_match(self) -> str:
        if self.action == "drop":
            return f"HTML elements '{self.select}', removed" + (f", not on pages with '{self.unless}'"
                                                                 if self.unless else "")
        parts = ", ".join(f"{name} '{css}'" for name, css in self.fields)
        if self.unless:
            parts += f"; not on pages with '{self.unless}'"
        return (f"HTML block '{self.select}' of {self.action} items '{self.item}'"
                f"{', at least ' + str(self.min_items) if self.min_items > 1 else ''}{'; ' + parts if parts else ''}")


@dataclass(frozen=True, slots=True)
class RuleFile:
    source: str
    name: str
    description: str
    rules: tuple[Rule, ...]
    #: ``[detector.NAME]`` tables: the structural detectors' settings this file gives, by detector name.
    detectors: Mapping[str, Mapping[str, object]] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleSet:
    """Rules from one or more files, ids unique across them, with some ids switched off."""

    files: tuple[RuleFile, ...]
    disabled: frozenset[str] = frozenset()
    #: What parsing these files learned about their patterns, for the engine built from them to reuse (and a
    #: shell to store); None: an engine computes its own.
    facts: PatternFacts | None = field(default=None, compare=False, repr=False)
    by_id: Mapping[str, Rule] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Ids are capitals and digits; "agg001" names AGG001 wherever a person types an id.
        object.__setattr__(self, "disabled", frozenset(rule_id.upper() for rule_id in self.disabled))
        by_id: dict[str, Rule] = {}
        for rule_file in self.files:
            for rule in rule_file.rules:
                if rule.id in by_id:
                    raise RuleError(
                        rule.source,
                        f"duplicate rule id {rule.id}, already defined at {by_id[rule.id].location}",
                        line=rule.line,
                        rule_id=rule.id,
                    )
                by_id[rule.id] = rule
        detector_ids = {DETECTOR_IDS[name].upper() for f in self.files for name in f.detectors}
        unknown = sorted(self.disabled - by_id.keys() - detector_ids)
        if unknown:
            raise RuleError("disabled rules", f"no rule has the id(s) {', '.join(unknown)}")
        object.__setattr__(self, "by_id", by_id)
        # Two active rules for the same exact line would make the engine's verdict depend on file order:
        # refused here, at load, with both places named.
        exact: dict[str, LineRule] = {}
        for rule in self.active:
            if isinstance(rule, LineRule) and rule.exact is not None:
                twin = exact.setdefault(rule.exact, rule)
                if twin is not rule:
                    raise RuleError(rule.source, f"matches the same line as {twin.id} ({twin.location})",
                                    line=rule.line, rule_id=rule.id)

    @property
    def active(self) -> tuple[Rule, ...]:
        return tuple(r for f in self.files for r in f.rules if r.id not in self.disabled)

    @property
    def structure(self) -> StructureSettings:
        """The structural detectors' settings: each file's ``[detector.NAME]`` keys over the earlier files';
        a detector no file names, or whose id is disabled, is off."""
        merged: dict[str, dict[str, object]] = {}
        for rule_file in self.files:
            for name, values in rule_file.detectors.items():
                merged.setdefault(name, {}).update(values)
        return StructureSettings.from_tables(merged, self.disabled)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.active)

    def __len__(self) -> int:
        return len(self.active)

    def only(self, rule_file: RuleFile) -> RuleSet:
        ids = {r.id for r in rule_file.rules} | {DETECTOR_IDS[name].upper() for name in rule_file.detectors}
        return RuleSet((rule_file,), self.disabled & ids, self.facts)


# --- parsing -----------------------------------------------------------------------------------------

_FILE_KEYS = {"name", "description", "domains"}
_COMMON_KEYS = {"id", "purpose", "domains", "examples"}
_RULE_KEYS = _COMMON_KEYS | {"line", "pattern", "block", "strength", "max_chars", "case_sensitive", "min_run"}
_LAYOUT_KEYS = _COMMON_KEYS | {"header", "slots", "title_echo", "max_chars", "case_sensitive", "kind", "min_items",
                               "menu_words", "bare_words", "bare_share",
                               "max_items", "blank_lines", "controls", "name_list"}
_BLOCK_KEYS = {"start", "end", "max_lines"}
_SLOT_KEYS = {"field", "pattern", "template", "rest", "optional", "repeat", "min_chars", "max_chars", "min_words",
              "max_words", "sentence_end", "max_lines"}
_EXAMPLE_KEYS = {"junk", "keep", "cut"}
_CUT_KEYS = {"lines", "remains", "records", "metadata"}
_HTML_RULE_KEYS = _COMMON_KEYS | {"action", "select", "item", "fields", "min_items", "unless"}


#: A table header ("[file]", "[[rule]]", "[[rule.examples.cut]]"), not a line of a multi-line array.
_TABLE_START = _stdlib_re.compile(r"\s*\[\[?\s*[A-Za-z0-9_-]+\s*[\].]")
_TOP_TABLE = _stdlib_re.compile(r"\s*\[\[?\s*[A-Za-z0-9_-]+\s*\]")


#: A key as a line starts with it ("key =", "key.part =") and a key inside an inline table ("{ a = 1, key = 2 }"):
#: what :meth:`_Locator.key` looks for, listed for every line at once.
_KEY_AT_START = _stdlib_re.compile(r"\s*([A-Za-z0-9_-]+)\s*[=.]")
_KEY_INLINE = _stdlib_re.compile(r"[{,]\s*([A-Za-z0-9_-]+)\s*=")
_PLAIN_KEY = _stdlib_re.compile(r"[A-Za-z0-9_-]+")
_ARRAY_TABLE = _stdlib_re.compile(r"\s*\[\[\s*([A-Za-z_]+)\s*\]\]")
_DEFINE_TABLE = _stdlib_re.compile(r"\s*\[\s*define\s*\]")
_DETECTOR_TABLE = _stdlib_re.compile(r"\s*\[\s*detector\s*\.\s*([A-Za-z_]+)\s*\]")


#: The same shapes as above, found over the whole text at once (each line after a "\n"): ``[^\S\n]`` is what
#: ``\s`` matches within one line, so no match runs across a line end and each line gets the matches it had alone.
#: A line's start is matched as its "\n", not as ``^``: the search then skips to the next "\n" at C speed.
_KEY_AT_START_TEXT = _stdlib_re.compile(r"\n[^\S\n]*([A-Za-z0-9_-]+)[^\S\n]*[=.]")
_KEY_INLINE_TEXT = _stdlib_re.compile(r"[{,][^\S\n]*([A-Za-z0-9_-]+)[^\S\n]*=")
#: A line that may be a table header: every header shape above starts so.
_BRACKET_LINE = _stdlib_re.compile(r"\n[^\S\n]*\[.*")


class _Locator:
    """Finds the line a table or key sits on, since tomllib does not report positions."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        # Indexed in one pass over the text by a few whole-text searches (a Python loop over every line cost more
        # than the TOML parse with many rules, issue #27); numbered as ``splitlines`` numbers lines, since the
        # text searched is its lines, each after a "\n" (a line's number is the count of "\n" up to its own).
        joined = "\n" + "\n".join(self.lines)
        self.headers: dict[str, list[int]] = {}
        #: The lines that may be headers (they start with "["), in order, with their text.
        self._bracket_lines: list[int] = []
        self._bracket_rows: list[str] = []
        #: Lines starting a table (the ends of a table's key range).
        tables: list[int] = []
        number, at = 0, 0
        for m in _BRACKET_LINE.finditer(joined):
            number += joined.count("\n", at, m.start() + 1)
            at = m.start() + 1
            row = m.group()[1:]
            self._bracket_lines.append(number)
            self._bracket_rows.append(row)
            if _TABLE_START.match(row):
                tables.append(number)
            found = _ARRAY_TABLE.match(row)
            if found:
                self.headers.setdefault(found.group(1), []).append(number)
            if _DEFINE_TABLE.match(row):
                self.headers.setdefault("define", []).append(number)
            found = _DETECTOR_TABLE.match(row)
            if found:
                self.headers.setdefault("detector." + found.group(1), []).append(number)
        self._tables = tables
        # For each table, the first line of its range (up to the next table) holding each plain key, at a line's
        # start or inside an inline table: what :meth:`key` answers for a table's own line, the usual question.
        self._first_in_table: dict[int, dict[str, int]] = {number: {} for number in tables}
        outside: dict[str, int] = {}  # keys before the first table: no table's
        for pattern in (_KEY_AT_START_TEXT, _KEY_INLINE_TEXT):
            number, at, table_at, current = 0, 0, 0, outside
            for m in pattern.finditer(joined):
                number += joined.count("\n", at, m.start() + 1)
                at = m.start() + 1
                while table_at < len(tables) and tables[table_at] <= number:
                    current = self._first_in_table[tables[table_at]]
                    table_at += 1
                key = m.group(1)
                if current.get(key, number + 1) > number:
                    current[key] = number
        #: For each plain key, the lines it is written on: for a key asked from a line that starts no table
        #: (rare), made on first use.
        self._key_lines: dict[str, list[int]] | None = None
        self._subtable_headers: dict[str, _stdlib_re.Pattern[str]] = {}

    def _lines_of_keys(self) -> dict[str, list[int]]:
        if self._key_lines is None:
            self._key_lines = {}
            for number, raw in enumerate(self.lines, start=1):
                if "=" in raw:
                    keys = set(_KEY_INLINE.findall(raw))
                elif "." in raw:
                    keys = set()
                else:
                    continue
                at_start = _KEY_AT_START.match(raw)
                if at_start:
                    keys.add(at_start.group(1))
                for key in keys:
                    self._key_lines.setdefault(key, []).append(number)
        return self._key_lines

    def _next_table(self, start: int) -> int:
        """The first line after ``start`` that starts a table (past the last line: none)."""
        at = bisect_right(self._tables, start)
        return self._tables[at] if at < len(self._tables) else len(self.lines) + 1

    def table(self, kind: str, index: int) -> int | None:
        found = self.headers.get(kind, [])
        return found[index] if index < len(found) else None

    def subtables(self, start: int | None, name: str) -> list[int]:
        """The lines of the ``[[name]]`` headers (a sub-table such as ``[[rule.examples.cut]]``) that follow the
        table starting at ``start``, up to the next top-level table."""
        if start is None:
            return []
        header = self._subtable_headers.get(name)
        if header is None:
            header = _stdlib_re.compile(rf"\s*\[\[\s*{_stdlib_re.escape(name)}\s*\]\]")
            self._subtable_headers[name] = header
        found = []
        for at in range(bisect_right(self._bracket_lines, start), len(self._bracket_lines)):
            row = self._bracket_rows[at]
            if _TOP_TABLE.match(row):
                break
            if header.match(row):
                found.append(self._bracket_lines[at])
        return found

    def key(self, start: int | None, key: str) -> int | None:
        if start is None:
            return None
        first = self._first_in_table.get(start)
        if first is not None and key in first:  # the usual question: a key of the table on line ``start``
            return first[key]
        if _PLAIN_KEY.fullmatch(key):
            if first is not None:  # not in the table's range
                return start
            # The first line from ``start`` on, before the next table, holding the key as below.
            found = self._lines_of_keys().get(key, [])
            at = bisect_left(found, start)
            if at < len(found) and found[at] < self._next_table(start):
                return found[at]
            return start
        # "key =", "key.part =" (a dotted key: examples.junk) or the key inside an inline table
        probe = _stdlib_re.compile(rf"\s*{_stdlib_re.escape(key)}\s*[=.]|.*[{{,]\s*{_stdlib_re.escape(key)}\s*=")
        for number in range(start, len(self.lines) + 1):
            if number > start and _TABLE_START.match(self.lines[number - 1]):
                break
            if probe.match(self.lines[number - 1]):
                return number
        return start


def parse_rule_file(text: str, source: str, check_selector: SelectorCheck | None = None,
                    facts: PatternFacts | None = None) -> RuleFile:
    """Parse and validate one rule file's text. ``source`` names it in errors (usually its path).

    ``check_selector`` validates the CSS selectors of ``[[html_rule]]`` tables (none given: only their
    presence and shape are checked). ``facts``: what earlier builds learned about patterns (a shell's stored
    answers, see :mod:`cleaner.core.facts`), used and added to; none given: everything is computed here.
    """
    facts = facts if facts is not None else PatternFacts()
    try:
        data = facts.document(text, tomllib.loads)
    except tomllib.TOMLDecodeError as exc:
        m = _stdlib_re.search(r"at line (\d+)", str(exc))
        raise RuleError(source, f"not valid TOML: {exc}", line=int(m.group(1)) if m else None) from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        line = next((n for n, row in enumerate(text.splitlines(), 1) if "[[[[[[[[" in row or "{{{{{{{{" in row), None)
        raise RuleError(source, "not a usable rule file: arrays or tables nested too deeply", line=line) from None
    locate = _Locator(text)
    unknown = set(data) - {"file", "define", "rule", "layout", "html_rule", "detector"}
    if unknown:
        raise RuleError(source, f"unknown top-level table(s): {', '.join(sorted(unknown))}; "
                        "expected [file], [define], [[rule]], [[layout]], [[html_rule]] and [detector.NAME]")
    defines = _parse_defines(data.get("define", {}), source, locate)
    for kind in ("rule", "layout"):
        for index, table in enumerate(_array_of_tables(data, kind, source)):
            _use_defines(table, defines, source, locate, locate.table(kind, index))
    header = data.get("file", {})
    _expect_table(header, source, None, None, "[file]")
    _check_keys(header, _FILE_KEYS, source, None, None, "[file]")
    file_scope = _scope(header.get("domains", []), source, None, None)
    rules: list[Rule] = []
    for index, table in enumerate(_array_of_tables(data, "rule", source)):
        rules.append(_parse_line_or_block(table, source, locate, locate.table("rule", index), file_scope,
                                          facts))
    for index, table in enumerate(_array_of_tables(data, "layout", source)):
        rules.append(_parse_layout(table, source, locate, locate.table("layout", index), file_scope, facts))
    for index, table in enumerate(_array_of_tables(data, "html_rule", source)):
        rules.append(_parse_html_rule(table, source, locate, locate.table("html_rule", index), file_scope,
                                      check_selector, facts))
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            raise RuleError(source, f"duplicate rule id {rule.id} (first at line {seen[rule.id].line})",
                            line=rule.line, rule_id=rule.id)
        seen[rule.id] = rule
    detectors = _parse_detectors(data.get("detector", {}), source, locate)
    return RuleFile(source, _optional_text(header, "name", source) or source,
                    _optional_text(header, "description", source) or "", tuple(rules), detectors)


def _parse_detectors(data: Any, source: str, locate: _Locator) -> dict[str, dict[str, object]]:
    """``[detector.NAME]`` tables: known names, known keys, each value of its setting's type."""
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise RuleError(source, "detector settings must be written as [detector.NAME] tables")
    parsed: dict[str, dict[str, object]] = {}
    for name, table in data.items():
        where = locate.table(f"detector.{name}", 0)
        if name not in DETECTOR_IDS:
            raise RuleError(source, f"unknown detector {name!r} (known: {', '.join(DETECTOR_IDS)})", line=where)
        types = setting_types(name)
        _check_keys(table, set(types), source, where, DETECTOR_IDS[name], f"[detector.{name}]")
        values: dict[str, object] = {}
        for key, value in table.items():
            wanted = types[key]
            at = locate.key(where, key)
            if wanted is bool:
                ok = isinstance(value, bool)
            elif wanted is int:
                ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
            else:  # float: a whole number is a number too
                ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
                value = float(value) if ok else value
            if not ok:
                kind = {bool: "true or false", int: "a whole number (0 or more)"}.get(wanted, "a number (0 or more)")
                raise RuleError(source, f"[detector.{name}] {key} must be {kind}, got {value!r}", line=at,
                                rule_id=DETECTOR_IDS[name])
            values[key] = value
        try:  # a setting's own bounds (a share within 0..1): refused here, with the table's place
            StructureSettings.settings_class(name)(**values)
        except ValueError as exc:
            raise RuleError(source, f"[detector.{name}] {exc}", line=where, rule_id=DETECTOR_IDS[name]) from None
        parsed[name] = values
    return parsed


def _array_of_tables(data: dict[str, Any], key: str, source: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise RuleError(source, f"'{key}' must be written as [[{key}]] tables")
    return value


def _common(table: dict[str, Any], keys: set[str], source: str, locate: _Locator, line: int | None,
            file_scope: Scope, what: str) -> dict[str, Any]:
    rule_id = table.get("id")
    if not isinstance(rule_id, str) or not ID_SHAPE.match(rule_id):
        raise RuleError(source, f"{what} needs an id of capitals then three digits (like AGG001), got {rule_id!r}",
                        line=locate.key(line, "id"))
    _check_keys(table, keys, source, line, rule_id, what)
    purpose_at = locate.key(line, "purpose")
    purpose = _text_field(table, "purpose", source, purpose_at, rule_id)
    if "\n" in purpose:
        raise RuleError(source, "purpose must be one line", line=purpose_at, rule_id=rule_id)
    examples = table.get("examples", {})
    examples_at = locate.key(line, "examples")  # located once: every rule asks (issue #27)
    _expect_table(examples, source, examples_at, rule_id, "examples")
    _check_keys(examples, _EXAMPLE_KEYS, source, examples_at, rule_id, "examples")
    junk = _string_list(examples.get("junk", []), source, examples_at, rule_id, "examples.junk")
    keep = _string_list(examples.get("keep", []), source, examples_at, rule_id, "examples.keep")
    raw_cut = examples.get("cut", [])
    # Written as [[rule.examples.cut]] tables (each error names its own header's line) or as a list.
    headers = locate.subtables(line, f"{what.strip('[]')}.examples.cut")
    if not isinstance(raw_cut, list):
        raise RuleError(source, "examples.cut must be a list of tables", line=examples_at, rule_id=rule_id)
    cut = tuple(_cut_example(raw, f"examples.cut[{n}]", source,
                             headers[n - 1] if len(headers) == len(raw_cut) else examples_at,
                             rule_id)
                for n, raw in enumerate(raw_cut, start=1))
    scope = _scope(table.get("domains", []), source, locate.key(line, "domains"), rule_id).narrowed_by(file_scope)
    return {"id": rule_id, "purpose": purpose, "source": source, "line": line, "scope": scope,
            "examples": Examples(tuple(junk), tuple(keep), cut)}


def _cut_example(raw: Any, what: str, source: str, line: int | None, rule_id: str) -> Cut:
    """One ``examples.cut`` table: the input lines and what remains of them, checked for shape here and run
    by :func:`cleaner.core.examples.check_examples`."""
    _expect_table(raw, source, line, rule_id, what)
    _check_keys(raw, _CUT_KEYS, source, line, rule_id, what)
    for key in ("lines", "remains"):
        if key not in raw:
            raise RuleError(source, f"{what} needs '{key}' (a list of lines)", line=line, rule_id=rule_id)
    lines = _string_list(raw["lines"], source, line, rule_id, f"{what}.lines")
    if not lines:
        raise RuleError(source, f"{what}.lines is empty", line=line, rule_id=rule_id)
    remains = _string_list(raw["remains"], source, line, rule_id, f"{what}.remains")
    records = None
    if "records" in raw:
        if not isinstance(raw["records"], list):
            raise RuleError(source, f"{what}.records must be a list of tables", line=line, rule_id=rule_id)
        records = tuple(_string_table(record, EXAMPLE_RECORD_FIELDS, source, line, rule_id, f"{what}.records[{n}]")
                        for n, record in enumerate(raw["records"], start=1))
    metadata = None
    if "metadata" in raw:
        metadata = _string_table(raw["metadata"], (), source, line, rule_id, f"{what}.metadata")
    return Cut(tuple(lines), tuple(remains), records, metadata)


def _string_table(raw: Any, allowed: tuple[str, ...], source: str, line: int | None, rule_id: str,
                  what: str) -> tuple[tuple[str, str], ...]:
    """A table of strings; ``allowed`` names its keys (empty: any key)."""
    _expect_table(raw, source, line, rule_id, what)
    if allowed:
        _check_keys(raw, set(allowed), source, line, rule_id, what)
    for key, value in raw.items():
        if not isinstance(value, str):
            raise RuleError(source, f"{what}.{key} must be a string", line=line, rule_id=rule_id)
    return tuple(raw.items())


def _parse_line_or_block(table: dict[str, Any], source: str, locate: _Locator, line: int | None,
                         file_scope: Scope, facts: PatternFacts) -> Rule:
    common = _common(table, _RULE_KEYS, source, locate, line, file_scope, "[[rule]]")
    rule_id = common["id"]
    given = [k for k in ("line", "pattern", "block") if k in table]
    if len(given) != 1:
        raise RuleError(source, "a rule needs exactly one of 'line', 'pattern' or 'block'"
                        + (f", got {', '.join(given)}" if given else ""), line=line, rule_id=rule_id)
    flags = _flags(table, source, locate.key(line, "case_sensitive"), rule_id)
    strength = table.get("strength", "strong")
    if strength not in ("strong", "weak"):
        raise RuleError(source, f"strength must be 'strong' or 'weak', got {strength!r}",
                        line=locate.key(line, "strength"), rule_id=rule_id)
    if "block" in table:
        block = table["block"]
        where = locate.key(line, "block")
        _expect_table(block, source, where, rule_id, "block")
        _check_keys(block, _BLOCK_KEYS, source, where, rule_id, "block")
        for unwanted in ("strength", "max_chars", "min_run"):
            if unwanted in table:
                raise RuleError(source, f"'{unwanted}' does not apply to a block rule", line=where, rule_id=rule_id)
        max_lines = _positive_int(block.get("max_lines", 30), source, where, rule_id, "block.max_lines")
        return BlockRule(**common, max_lines=max_lines,
                         start=_compile(block.get("start"), flags, source, where, rule_id, "block.start",
                                        DEFAULT_MAX_CHARS, facts),
                         end=_compile(block.get("end"), flags, source, where, rule_id, "block.end",
                                      DEFAULT_MAX_CHARS, facts))
    max_chars = _positive_int(table.get("max_chars", DEFAULT_MAX_CHARS), source, locate.key(line, "max_chars"),
                              rule_id, "max_chars")
    min_run = _positive_int(table.get("min_run", 1), source, locate.key(line, "min_run"), rule_id, "min_run")
    if "line" in table:
        exact = _text_field(table, "line", source, locate.key(line, "line"), rule_id)
        key = line_key(exact)
        if not key:
            raise RuleError(source, "'line' is blank", line=locate.key(line, "line"), rule_id=rule_id)
        return LineRule(**common, exact=key, strength=strength, max_chars=max(max_chars, len(key)), min_run=min_run)
    pattern = _compile(table["pattern"], flags, source, locate.key(line, "pattern"), rule_id, "pattern", max_chars,
                       facts)
    return LineRule(**common, pattern=pattern, strength=strength, max_chars=max_chars, min_run=min_run)


def _parse_layout(table: dict[str, Any], source: str, locate: _Locator, line: int | None,
                  file_scope: Scope, facts: PatternFacts) -> Layout:
    common = _common(table, _LAYOUT_KEYS, source, locate, line, file_scope, "[[layout]]")
    rule_id = common["id"]
    flags = _flags(table, source, locate.key(line, "case_sensitive"), rule_id)
    max_chars = _positive_int(table.get("max_chars", DEFAULT_HEADER_CHARS), source, locate.key(line, "max_chars"),
                              rule_id, "max_chars")
    header = _compile(table.get("header"), flags, source, locate.key(line, "header"), rule_id, "header", max_chars,
                      facts)
    where = locate.key(line, "slots")
    raw_slots = table.get("slots", [])
    if not isinstance(raw_slots, list):
        raise RuleError(source, "'slots' must be a list of tables", line=where, rule_id=rule_id)
    if not raw_slots and "title" not in header.groupindex:
        raise RuleError(source, "a layout needs a non-empty list 'slots', or a header that captures "
                        "(?P<title>...) (an inline reference)", line=where or line, rule_id=rule_id)
    captured = set(_captured_groups(header))
    slots: list[Slot] = []
    for position, raw in enumerate(raw_slots, start=1):
        slot = _parse_slot(raw, f"slots[{position}]", flags, captured, slots, source, where, rule_id, facts)
        captured.update(_captured_groups(slot.pattern) if slot.pattern is not None else ())
        captured.update([slot.field] if slot.field else [])
        slots.append(slot)
    if slots:
        first = slots[0]
        if first.optional or first.rest or first.template is not None or \
                (first.pattern is None and first.shape == ANY_SHAPE):
            raise RuleError(source, "the first slot must be required and have a pattern or a shape "
                            "(min_words, max_chars...), so items can be recognised", line=where, rule_id=rule_id)
        rests = [s for s in slots if s.rest]
        if len(rests) > 1:
            raise RuleError(source, "only one slot may take the rest of the item", line=where, rule_id=rule_id)
        after_rest = slots[slots.index(rests[0]) + 1:] if rests else []
        if any(s.pattern is None for s in after_rest):
            raise RuleError(source, "a slot after the rest of the item needs a pattern (the body ends at "
                            "the line it matches)", line=where, rule_id=rule_id)
    title_echo = table.get("title_echo", "strip")
    if title_echo not in ("strip", "keep"):
        raise RuleError(source, f"title_echo must be 'strip' or 'keep', got {title_echo!r}",
                        line=locate.key(line, "title_echo"), rule_id=rule_id)
    record_kind = table.get("kind", "related")
    if record_kind not in ("related", "comments"):
        raise RuleError(source, f"kind must be 'related' or 'comments', got {record_kind!r}",
                        line=locate.key(line, "kind"), rule_id=rule_id)
    blank_lines = table.get("blank_lines", "end_item")
    if blank_lines not in ("end_item", "skip"):
        raise RuleError(source, f"blank_lines must be 'end_item' or 'skip', got {blank_lines!r}",
                        line=locate.key(line, "blank_lines"), rule_id=rule_id)
    if blank_lines == "skip" and any(s.rest and not s.max_lines for s in slots):
        raise RuleError(source, "with blank_lines = 'skip' the rest of an item needs max_lines, or it would "
                        "run to the end of the document", line=where, rule_id=rule_id)
    min_items = _positive_int(table.get("min_items", 1), source, locate.key(line, "min_items"), rule_id,
                              "min_items")
    max_items = _count(table.get("max_items", 0), source, locate.key(line, "max_items"), rule_id, "max_items")
    if max_items and max_items < min_items:
        raise RuleError(source, f"max_items ({max_items}) is below min_items ({min_items})",
                        line=locate.key(line, "max_items"), rule_id=rule_id)
    if not slots and (min_items > 1 or max_items > 1):
        raise RuleError(source, "an inline reference is one item: min_items and max_items do not apply",
                        line=locate.key(line, "min_items"), rule_id=rule_id)
    menu_words = _count(table.get("menu_words", 0), source, locate.key(line, "menu_words"), rule_id, "menu_words")
    bare_words = _count(table.get("bare_words", 0), source, locate.key(line, "bare_words"), rule_id, "bare_words")
    bare_share = table.get("bare_share", 0.5)
    if not isinstance(bare_share, int | float) or isinstance(bare_share, bool) or not 0 <= bare_share <= 1:
        raise RuleError(source, f"bare_share must be a number from 0 to 1, got {bare_share!r}",
                        line=locate.key(line, "bare_share"), rule_id=rule_id)
    controls = None
    if "controls" in table:
        controls = _compile(table["controls"], flags, source, locate.key(line, "controls"), rule_id, "controls",
                            DEFAULT_HEADER_CHARS, facts)
    name_list = None
    if "name_list" in table:
        # Names are told from words by their capitals ("CREATE TABLE", "Section 21.1"): never case-folded.
        name_list = _compile(table["name_list"], flags & ~regex.IGNORECASE, source, locate.key(line, "name_list"),
                             rule_id, "name_list",
                             max((slot.shape.max_chars for slot in slots if slot.field == "title"), default=0), facts)
    return Layout(**common, header=header, slots=tuple(slots), title_echo=title_echo, max_chars=max_chars,
                  record_kind=record_kind, min_items=min_items, max_items=max_items, blank_lines=blank_lines,
                  controls=controls, menu_words=menu_words, bare_words=bare_words,
                  bare_share=float(bare_share), name_list=name_list)


def _parse_html_rule(table: dict[str, Any], source: str, locate: _Locator, line: int | None, file_scope: Scope,
                     check_selector: SelectorCheck | None, facts: PatternFacts) -> HtmlRule:
    common = _common(table, _HTML_RULE_KEYS, source, locate, line, file_scope, "[[html_rule]]")
    rule_id = common["id"]
    if any(cut.records is not None or cut.metadata is not None for cut in common["examples"].cut):
        raise RuleError(source, "an HTML rule's examples.cut states a page (lines: its HTML) and the text that "
                        "remains of it (remains), not records or metadata", line=locate.key(line, "examples"),
                        rule_id=rule_id)
    action: HtmlAction = table.get("action")  # type: ignore[assignment]  # checked on the next line
    if action not in HTML_FIELDS:
        raise RuleError(source, f"action must be one of {', '.join(HTML_FIELDS)}, got {action!r}",
                        line=locate.key(line, "action") if "action" in table else line, rule_id=rule_id)

    def selector(value: Any, what: str, where: int | None) -> str:
        if not isinstance(value, str) or not value.strip():
            raise RuleError(source, f"{what} must be a non-empty CSS selector", line=where, rule_id=rule_id)
        problem = None
        if check_selector is not None and value not in facts.selectors:
            problem = check_selector(value)
            if not problem:
                facts.record_selector(value)
        if problem:
            raise RuleError(source, f"{what} is not a valid CSS selector: {problem}", line=where, rule_id=rule_id)
        return value.strip()

    select = selector(table.get("select"), "select", locate.key(line, "select") if "select" in table else line)
    unless = selector(table["unless"], "unless", locate.key(line, "unless")) if "unless" in table else None
    allowed = HTML_FIELDS[action]
    if action == "drop":
        for unwanted in ("item", "fields", "min_items"):
            if unwanted in table:
                raise RuleError(source, f"'{unwanted}' does not apply to a drop rule", line=locate.key(line, unwanted),
                                rule_id=rule_id)
        return HtmlRule(**common, action=action, select=select, unless=unless)
    item = selector(table.get("item"), "item", locate.key(line, "item") if "item" in table else line)
    where = locate.key(line, "fields")
    raw_fields = table.get("fields", {})
    _expect_table(raw_fields, source, where, rule_id, "fields")
    unknown = sorted(set(raw_fields) - set(allowed))
    if unknown:
        raise RuleError(source, f"unknown part(s) in fields of a {action} rule: {', '.join(unknown)} "
                        f"(allowed: {', '.join(allowed)})", line=where, rule_id=rule_id)
    fields = tuple((name, selector(raw_fields[name], f"fields.{name}", where))
                   for name in allowed if name in raw_fields)
    min_items = _count(table.get("min_items", 1), source, locate.key(line, "min_items"), rule_id, "min_items")
    return HtmlRule(**common, action=action, select=select, item=item, fields=fields,
                    min_items=min_items, unless=unless)


def _parse_slot(raw: Any, what: str, flags: int, captured: set[str], earlier: list[Slot], source: str,
                where: int | None, rule_id: str, facts: PatternFacts) -> Slot:
    _expect_table(raw, source, where, rule_id, what)
    _check_keys(raw, _SLOT_KEYS, source, where, rule_id, what)
    name = raw.get("field")
    if name is not None and name not in RECORD_FIELDS:
        raise RuleError(source, f"{what}.field must be one of {', '.join(RECORD_FIELDS)}, got {name!r}",
                        line=where, rule_id=rule_id)
    if name is not None and any(s.field == name for s in earlier):
        raise RuleError(source, f"{what}: field {name!r} is captured twice", line=where, rule_id=rule_id)
    flags_given = {key: raw.get(key, False) for key in ("rest", "optional", "repeat", "sentence_end")}
    flags_given["sentence_end"] = raw.get("sentence_end", True)
    for key, value in flags_given.items():
        if not isinstance(value, bool):
            raise RuleError(source, f"{what}.{key} must be true or false", line=where, rule_id=rule_id)
    rest, optional, repeat = flags_given["rest"], flags_given["optional"], flags_given["repeat"]
    bounds = {key: _count(raw.get(key, 0), source, where, rule_id, f"{what}.{key}")
              for key in ("min_chars", "max_chars", "min_words", "max_words", "max_lines")}
    for low, high in (("min_chars", "max_chars"), ("min_words", "max_words")):
        if bounds[high] and bounds[high] < bounds[low]:
            raise RuleError(source, f"{what}.{high} is below {what}.{low}", line=where, rule_id=rule_id)
    shape = Shape(bounds["min_chars"], bounds["max_chars"], bounds["min_words"], bounds["max_words"],
                  flags_given["sentence_end"])
    if bounds["max_lines"] and not rest:
        raise RuleError(source, f"{what}.max_lines applies only to the rest of an item", line=where, rule_id=rule_id)
    template = raw.get("template")
    if template is not None:
        if name is not None or "pattern" in raw or rest or repeat:
            raise RuleError(source, f"{what}: a template slot has no field, pattern, rest or repeat",
                            line=where, rule_id=rule_id)
        if not isinstance(template, str) or not template.strip():
            raise RuleError(source, f"{what}.template must be a non-empty string", line=where, rule_id=rule_id)
        try:
            parts = list(string.Formatter().parse(template))
        except ValueError as exc:
            raise RuleError(source, f"{what}.template is malformed: {exc}", line=where, rule_id=rule_id) from None
        for _literal, ref, spec, conversion in parts:
            if ref is None:
                continue
            if spec or conversion or not ref.isidentifier():
                raise RuleError(source, f"{what}.template may hold only plain {{field}} references, got "
                                f"{{{ref}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}",
                                line=where, rule_id=rule_id)
            if ref not in captured:
                raise RuleError(source, f"{what}.template refers to {{{ref}}}, which no earlier slot captures",
                                line=where, rule_id=rule_id)
        return Slot(None, template=template, optional=optional, shape=shape)
    if rest:
        if name is None or "pattern" in raw or repeat:
            raise RuleError(source, f"{what}: the rest of an item needs a field, and takes no pattern or repeat",
                            line=where, rule_id=rule_id)
        return Slot(name, rest=True, optional=optional, shape=shape, max_lines=bounds["max_lines"])
    pattern = None
    if "pattern" in raw:
        # The segmenter checks a slot's shape before its pattern, so the shape bounds the lines it meets.
        pattern = _compile(raw["pattern"], flags, source, where, rule_id, f"{what}.pattern", bounds["max_chars"],
                           facts)
    if pattern is None and name is None:
        raise RuleError(source, f"{what} needs a 'field', a 'pattern' or a 'template'", line=where, rule_id=rule_id)
    return Slot(name, pattern=pattern, optional=optional, repeat=repeat, shape=shape)


# --- field checks ------------------------------------------------------------------------------------

def _check_keys(table: Mapping[str, Any], allowed: set[str], source: str, line: int | None,
                rule_id: str | None, what: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise RuleError(source, f"unknown field(s) in {what}: {', '.join(unknown)} "
                        f"(allowed: {', '.join(sorted(allowed))})", line=line, rule_id=rule_id)


def _expect_table(value: Any, source: str, line: int | None, rule_id: str | None, what: str) -> None:
    if not isinstance(value, dict):
        raise RuleError(source, f"{what} must be a table", line=line, rule_id=rule_id)


def _text_field(table: Mapping[str, Any], key: str, source: str, line: int | None, rule_id: str | None) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RuleError(source, f"'{key}' must be a non-empty string", line=line, rule_id=rule_id)
    return value.strip()


def _optional_text(table: Mapping[str, Any], key: str, source: str) -> str | None:
    return None if table.get(key) is None else _text_field(table, key, source, None, None)


def _string_list(value: Any, source: str, line: int | None, rule_id: str | None, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleError(source, f"{what} must be a list of strings", line=line, rule_id=rule_id)
    return value


def _positive_int(value: Any, source: str, line: int | None, rule_id: str | None, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise RuleError(source, f"{what} must be a positive integer, got {value!r}", line=line, rule_id=rule_id)
    return value


def _count(value: Any, source: str, line: int | None, rule_id: str | None, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise RuleError(source, f"{what} must be a whole number (0 or more), got {value!r}", line=line, rule_id=rule_id)
    return value


def _scope(value: Any, source: str, line: int | None, rule_id: str | None) -> Scope:
    domains = _string_list(value, source, line, rule_id, "domains")
    include: list[str] = []
    exclude: list[str] = []
    for domain in domains:
        name = domain.strip().lower()
        target = exclude if name.startswith("~") else include
        name = name.lstrip("~")
        if not _stdlib_re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)*", name):
            raise RuleError(source, f"not a domain name: {domain!r}", line=line, rule_id=rule_id)
        target.append(name)
    return Scope(tuple(include), tuple(exclude))


def _flags(table: Mapping[str, Any], source: str, line: int | None, rule_id: str) -> int:
    sensitive = table.get("case_sensitive", False)
    if not isinstance(sensitive, bool):
        raise RuleError(source, "case_sensitive must be true or false", line=line, rule_id=rule_id)
    return 0 if sensitive else regex.IGNORECASE


#: The largest count a pattern may repeat something ({n}, {m,n}): the regex package builds a count into the
#: compiled pattern, and compiling a{1000000000} takes gigabytes (a line is at most a few thousand characters).
MAX_REPEAT = 10_000
_REPEAT_COUNT = _stdlib_re.compile(r"(?<!\\)\{\s*(\d*)\s*(?:,\s*(\d*)\s*)?\}")
#: A call of the pattern itself or of a group ((?R), (?1), (?&name)): recursion without end grows memory
#: until the process dies, and a line rule never needs it.
_RECURSION = _stdlib_re.compile(r"(?<!\\)\(\?(?:R|[+-]?\d+|&\w+|P>\w+)\)")


def _refuse_costly(value: str, source: str, line: int | None, rule_id: str, what: str) -> None:
    """Refuses, before compiling, what costs memory without bound: huge repeat counts, recursion."""
    for match in _REPEAT_COUNT.finditer(value):
        for count in match.groups():
            if count and (len(count) > 6 or int(count) > MAX_REPEAT):
                raise RuleError(source, f"{what} repeats {count} times ({match.group(0)}); at most {MAX_REPEAT:,} "
                                "are allowed", line=line, rule_id=rule_id)
    recursion = _RECURSION.search(value)
    if recursion is not None:
        raise RuleError(source, f"{what} calls itself or a group ({recursion.group(0)}); recursive patterns are "
                        "not allowed in rules", line=line, rule_id=rule_id)


def _compile(value: Any, flags: int, source: str, line: int | None, rule_id: str, what: str,
             bound: int, facts: PatternFacts) -> regex.Pattern[str]:
    """The compiled pattern, checked. ``bound``: the longest line it is ever tried on (0: any). A pattern
    ``facts`` knows was compiled and probed before (by this version of everything) is not compiled or probed
    again; the checks that cost nothing are made all the same."""
    if isinstance(value, list | dict):
        plain = _joined_plain(value)
        value = plain if plain is not None else _joined(value, source, line, rule_id, what)
    if not isinstance(value, str) or not value.strip():
        raise RuleError(source, f"{what} must be a non-empty pattern", line=line, rule_id=rule_id)
    if not facts.compiled_before(value, flags):  # a pattern compiled before was refused or passed then
        _refuse_costly(value, source, line, rule_id, what)
    try:
        compiled = facts.pattern_of(value, flags)
    except regex.error as exc:
        raise RuleError(source, f"{what} does not compile: {exc}", line=line, rule_id=rule_id) from None
    except (RecursionError, OverflowError, MemoryError):
        raise RuleError(source, f"{what} is nested too deeply to compile", line=line, rule_id=rule_id) from None
    if compiled.fullmatch(""):
        raise RuleError(source, f"{what} matches an empty line, so it would match nothing useful",
                        line=line, rule_id=rule_id)
    if not facts.needs_timeout(value, bool(flags & regex.IGNORECASE)):
        return compiled  # no nested or alternating repeats: cannot backtrack exponentially
    if facts.probe_passed(value, flags, bound):
        return compiled
    # Probed at twice the longest line the engine ever tries the pattern on: what is slow there is slow
    # in a run; what only explodes on longer lines never meets one.
    length = min(_UNBOUNDED_PROBE, 2 * bound) if bound else _UNBOUNDED_PROBE
    for probe in _backtracking_probes(length):
        if _backtracks(compiled, probe):
            raise RuleError(source, f"{what} backtracks catastrophically (took over {_PROBE_TIMEOUT}s on a "
                            f"{len(probe)}-character line); rewrite it without nested quantifiers or wide "
                            "fuzzy matching",
                            line=line, rule_id=rule_id)
    facts.record_probe(value, flags, bound)
    return compiled


_DEFINE_NAME = _stdlib_re.compile(r"[a-z][a-z0-9_]{0,39}")
#: The keys of a rule or layout table whose values are patterns (a block's and a slot's are one level down).
_PATTERN_KEYS = ("pattern", "header", "controls", "name_list")


def _parse_defines(data: Any, source: str, locate: _Locator) -> dict[str, Any]:
    """``[define]``: named pattern parts a file's patterns use as ``{ use = "name" }``, so a list of phrases
    several rules share is written once. A definition may use the definitions written before it."""
    where = locate.table("define", 0)
    _expect_table(data, source, where, None, "[define]")
    defines: dict[str, Any] = {}
    for name, value in data.items():
        at = locate.key(where, name)
        if not _DEFINE_NAME.fullmatch(name):
            raise RuleError(source, f"[define] name {name!r} must be lower-case letters, digits and _", line=at)
        value = _substitute(value, defines, source, at, None, f"[define] {name}")
        _joined(value, source, at, None, f"[define] {name}")  # a malformed definition fails where it is written
        defines[name] = value
    return defines


def _use_defines(table: dict[str, Any], defines: Mapping[str, Any], source: str, locate: _Locator,
                 line: int | None) -> None:
    """Puts the definitions in place of the ``{ use = "name" }`` parts of a rule's patterns (in the table
    tomllib made for this parse, so nothing shared is changed)."""
    rule_id = table.get("id") if isinstance(table.get("id"), str) else None
    for key in _PATTERN_KEYS:
        if key in table:
            table[key] = _substitute(table[key], defines, source, locate.key(line, key), rule_id, key)
    block = table.get("block")
    if isinstance(block, dict):
        for key in ("start", "end"):
            if key in block:
                block[key] = _substitute(block[key], defines, source, locate.key(line, "block"), rule_id,
                                         f"block.{key}")
    slots = table.get("slots")
    if isinstance(slots, list):
        for position, slot in enumerate(slots, start=1):
            if isinstance(slot, dict) and "pattern" in slot:
                slot["pattern"] = _substitute(slot["pattern"], defines, source, locate.key(line, "slots"), rule_id,
                                              f"slots[{position}].pattern")


def _substitute(value: Any, defines: Mapping[str, Any], source: str, line: int | None, rule_id: str | None,
                what: str, depth: int = 0) -> Any:
    if depth > _MAX_PART_DEPTH:
        raise RuleError(source, f"{what} nests parts more than {_MAX_PART_DEPTH} deep", line=line, rule_id=rule_id)
    if isinstance(value, str):  # most parts: first
        return value
    if isinstance(value, list):
        return [_substitute(v, defines, source, line, rule_id, what, depth + 1) for v in value]
    if isinstance(value, dict):
        if "use" not in value:
            return {k: _substitute(v, defines, source, line, rule_id, what, depth + 1) for k, v in value.items()}
        name = value["use"]
        if set(value) != {"use"}:
            raise RuleError(source, f"{what}: a {{ use = NAME }} part takes no other key", line=line, rule_id=rule_id)
        if name not in defines:
            known = ", ".join(defines) or "none"
            raise RuleError(source, f"{what} uses {name!r}, which no earlier [define] entry names (defined: {known})",
                            line=line, rule_id=rule_id)
        return defines[name]
    return value


#: A pattern written in parts nests at most this deep (a bound on the recursion a malformed file can cause).
_MAX_PART_DEPTH = 32


def _joined_plain(value: Any, depth: int = 0) -> str | None:
    """:func:`_joined` of a pattern in parts as the rules write them (strings, non-empty lists, ``{ any = [...] }``
    tables), without naming each part for an error; None for anything else, which :func:`_joined` reports."""
    if depth > _MAX_PART_DEPTH:
        return None
    if type(value) is str:
        return value
    if type(value) is list and value:
        parts = [_joined_plain(part, depth + 1) for part in value]
        return None if None in parts else "".join(parts)  # type: ignore[arg-type]
    if type(value) is dict and len(value) == 1 and type(value.get("any")) is list and value["any"]:
        alternatives = [_joined_plain(alternative, depth + 1) for alternative in value["any"]]
        return None if None in alternatives else "|".join(alternatives)  # type: ignore[arg-type]
    return None


def _joined(value: Any, source: str, line: int | None, rule_id: str | None, what: str, depth: int = 0) -> str:
    """The pattern text of a pattern written in parts, so a long pattern reads one alternative a line.

    A list of parts is joined as written, with nothing between them; a part is a string (a regex fragment,
    used as it stands: nothing is escaped) or a table ``{ any = [...] }``, whose alternatives (each a string
    or a list of parts) are joined with ``|``. ``any`` adds no group: the ``(?:`` and ``)`` around it are
    parts of their own, so the joined text is exactly the pattern a reader sees, fragment by fragment.
    (``{ use = "name" }`` parts were replaced by their ``[define]`` entries before this runs.)
    """
    if depth > _MAX_PART_DEPTH:
        raise RuleError(source, f"{what} nests parts more than {_MAX_PART_DEPTH} deep", line=line, rule_id=rule_id)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        if not value:
            raise RuleError(source, f"{what} is an empty list of parts", line=line, rule_id=rule_id)
        return "".join(_joined(part, source, line, rule_id, f"{what}[{n}]", depth + 1)
                       for n, part in enumerate(value, start=1))
    if isinstance(value, dict):
        if set(value) != {"any"}:
            raise RuleError(source, f"{what}: a table in a pattern takes one key, 'any' (a list of alternatives), "
                            f"got {', '.join(sorted(value)) or 'none'}", line=line, rule_id=rule_id)
        alternatives = value["any"]
        if not isinstance(alternatives, list) or not alternatives:
            raise RuleError(source, f"{what}.any must be a non-empty list of alternatives", line=line,
                            rule_id=rule_id)
        return "|".join(_joined(alternative, source, line, rule_id, f"{what}.any[{n}]", depth + 1)
                        for n, alternative in enumerate(alternatives, start=1))
    raise RuleError(source, f"{what} must be a string, a list of parts or {{ any = [...] }}, got {value!r}",
                    line=line, rule_id=rule_id)


def _backtracks(compiled: regex.Pattern[str], probe: str) -> bool:
    """Whether matching ``probe`` as a whole line takes over the probe limit. regex's timeout counts wall-clock
    time, which a busy machine stretches; so a timeout is confirmed on a second try by the thread's own CPU
    time, under a wall-clock bound ten times as long, and the same rule file loads alike on a busy machine and
    an idle one. The engine only ever matches whole lines, so only whole-line matching is probed."""
    try:
        compiled.fullmatch(probe, timeout=_PROBE_TIMEOUT)
        return False
    except TimeoutError:
        pass
    started = time.thread_time()
    try:
        compiled.fullmatch(probe, timeout=10 * _PROBE_TIMEOUT)
    except TimeoutError:
        return True
    return time.thread_time() - started > _PROBE_TIMEOUT

