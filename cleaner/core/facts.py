"""What building rules learns about each pattern, kept in one object so that a shell can store it and hand it
back: a fresh process with the answers for its patterns skips the costly steps of a build (Python ``regex``
compiles, the backtracking probe, the parse-tree analyses and the translation to Rust syntax).

Every answer is a pure function of the pattern text, its flags and the installed engines (``regex``, this
package's own code and its compiled core), so a shell that keys what it stores by those versions may reuse
it; the core itself does no I/O and keeps nothing beyond this object. An answer missing from the object is
computed as without it, and recorded, so :attr:`PatternFacts.learned` says whether there is anything new.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import regex

from cleaner.core.analysis import FirstWords, first_words_in, needs_timeout_in, parse_tree, required_words_in
from cleaner.core.translate import PARSE_FLAGS, CharacterTables, Confirmation, Translation, confirmation, translate

_K = TypeVar("_K")
_V = TypeVar("_V")
#: A pattern as compiled: its text and its ``regex`` flags.
PatternKey = tuple[str, int]
_ASCII = tuple(map(chr, range(128)))


_MISSING = object()


def _case(ignore_case: bool) -> int:
    return re.IGNORECASE if ignore_case else 0


@dataclass(slots=True)
class PatternFacts:
    """Answers about patterns, by pattern; filled on demand (not thread-safe while filling: one build at a time
    uses one object, as a shell hands each build its own or a loaded copy)."""

    #: Compiled ``regex`` patterns (a shell may fill this with patterns it rebuilt from stored data).
    compiled: dict[PatternKey, regex.Pattern[str]] = field(default_factory=dict)
    #: (pattern, flags, longest line) whose backtracking probe passed (a pattern that failed never loads).
    probed: set[tuple[str, int, int]] = field(default_factory=set)
    timeouts: dict[tuple[str, bool], bool] = field(default_factory=dict)
    starts: dict[tuple[str, bool], FirstWords] = field(default_factory=dict)
    required: dict[tuple[str, bool], frozenset[str] | None] = field(default_factory=dict)
    #: The ASCII characters a whole-line match can start with (None: any), as the engine asks.
    firsts: dict[PatternKey, frozenset[str] | None] = field(default_factory=dict)
    translations: dict[PatternKey, Translation] = field(default_factory=dict)
    #: How the compiled core confirms each pattern exactly (see :func:`cleaner.core.translate.confirmation`).
    confirmations: dict[PatternKey, Confirmation] = field(default_factory=dict)
    #: Whether an answer was computed here rather than found (then a shell has something new to store).
    learned: bool = False
    #: The translator's character tables, built only when a translation is missing.
    tables: CharacterTables | None = None
    #: What a shell names these answers by (its cache key; "": they are not stored).
    key: str = ""
    #: Parse trees of the standard parser, by (pattern, parse flags), held only while :meth:`prepare` answers
    #: from one (the trees of the built-in rules are a few MB of small objects: kept alive, they slow every
    #: pass of the garbage collector more than parsing again would cost).
    trees: dict[tuple[str, int], Any] = field(default_factory=dict, repr=False)
    #: Rule files' TOML as parsed, written as JSON (which Python parses in C), by the SHA-256 of their text.
    documents: dict[str, str] = field(default_factory=dict, repr=False)
    #: CSS selectors the rule loader's check found valid.
    selectors: set[str] = field(default_factory=set)

    def _get(self, table: dict[_K, _V], key: _K, compute: Callable[[], _V]) -> _V:
        if key in table:
            return table[key]
        value = table[key] = compute()
        self.learned = True
        return value

    def document(self, text: str, parse: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
        """``parse(text)`` (a TOML parser), or the same tables decoded from the JSON of an earlier parse: a
        fresh object each time, since loading rules edits the tables it is given. TOML the JSON cannot hold
        as it is (dates, times) is parsed each time."""
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        known = self.documents.get(digest)
        if known is not None:
            data: dict[str, Any] = json.loads(known)
            return data
        data = parse(text)
        try:
            self.documents[digest] = json.dumps(data, ensure_ascii=False, allow_nan=False)
            self.learned = True
        except (TypeError, ValueError):  # a date or time, or a float JSON writes otherwise (inf, nan)
            pass
        return data

    def record_selector(self, selector: str) -> None:
        self.selectors.add(selector)
        self.learned = True

    def tree(self, pattern: str, flags: int) -> Any:
        """The pattern's parse tree for ``flags & PARSE_FLAGS`` (None: the parser refuses it): the one held by
        :meth:`prepare`, else parsed for the caller alone."""
        key = (pattern, flags & PARSE_FLAGS)
        found = self.trees.get(key, _MISSING)
        return parse_tree(pattern, key[1]) if found is _MISSING else found

    def prepare(self, pattern: str, flags: int, translation: bool = True) -> None:
        """Everything an engine and its matcher ask about a pattern they try on lines (first words, required
        words and, with ``translation``, the Rust-syntax form and the native confirmation), from one parse: each
        answer would otherwise parse the pattern again."""
        ignore_case = bool(flags & re.IGNORECASE)
        known = (pattern, ignore_case) in self.starts and (pattern, ignore_case) in self.required
        if known and (not translation or ((pattern, flags) in self.translations
                                          and (pattern, flags) in self.confirmations)):
            return
        self.trees[(pattern, flags & PARSE_FLAGS)] = parse_tree(pattern, flags & PARSE_FLAGS)
        try:
            self.first_words(pattern, ignore_case)
            self.required_words(pattern, ignore_case)
            if translation:
                self.translate(pattern, flags)
                # (An engine with the compiled matcher asks every pattern it tries on lines for its
                # confirmation: asked here, it reads the tree parsed for the rest.)
                self.confirmation(pattern, flags)
        finally:
            self.trees.clear()

    def pattern_of(self, pattern: str, flags: int) -> regex.Pattern[str]:
        """``regex.compile(pattern, flags)``; raises ``regex.error`` as it does."""
        found = self.compiled.get((pattern, flags))
        if found is None:
            found = self.compiled[(pattern, flags)] = regex.compile(pattern, flags)
            self.learned = True
        return found

    def compiled_before(self, pattern: str, flags: int) -> bool:
        """Whether the pattern was compiled by an earlier build (which checked it as this one would)."""
        return (pattern, flags) in self.compiled

    def probe_passed(self, pattern: str, flags: int, bound: int) -> bool:
        return (pattern, flags, bound) in self.probed

    def record_probe(self, pattern: str, flags: int, bound: int) -> None:
        self.probed.add((pattern, flags, bound))
        self.learned = True

    def needs_timeout(self, pattern: str, ignore_case: bool) -> bool:
        return self._get(self.timeouts, (pattern, ignore_case),
                         lambda: needs_timeout_in(pattern, self.tree(pattern, _case(ignore_case))))

    def first_words(self, pattern: str, ignore_case: bool) -> FirstWords:
        return self._get(self.starts, (pattern, ignore_case),
                         lambda: first_words_in(self.tree(pattern, _case(ignore_case))))

    def required_words(self, pattern: str, ignore_case: bool) -> frozenset[str] | None:
        return self._get(self.required, (pattern, ignore_case),
                         lambda: required_words_in(self.tree(pattern, _case(ignore_case))))

    def first_characters(self, pattern: regex.Pattern[str]) -> frozenset[str] | None:
        """The ASCII characters a whole-line match can start with, asked of the pattern itself (a partial
        match of one character: could a match begin so?); None when it can start with any of them."""
        def compute() -> frozenset[str] | None:
            allowed = frozenset(c for c in _ASCII if pattern.fullmatch(c, partial=True) is not None)
            return None if len(allowed) == len(_ASCII) else allowed
        return self._get(self.firsts, (pattern.pattern, pattern.flags), compute)

    def confirmation(self, pattern: str, flags: int) -> Confirmation:
        def compute() -> Confirmation:
            if self.tables is None:
                self.tables = CharacterTables()
            return confirmation(pattern, flags, self.tables, self.tree(pattern, flags))
        return self._get(self.confirmations, (pattern, flags), compute)

    def translate(self, pattern: str, flags: int) -> Translation:
        def compute() -> Translation:
            if self.tables is None:
                self.tables = CharacterTables()
            return translate(pattern, flags, self.tables, self.tree(pattern, flags))
        return self._get(self.translations, (pattern, flags), compute)
