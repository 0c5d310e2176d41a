"""The engine: one document in, its records and every removal (with the rule behind it) out.

Pure Python over strings. An :class:`Engine` compiles its rules once and keeps no per-document state (only
bounded memos of immutable answers: which rules a line's first words can start, and what the rules made of a line
already seen), so one instance can serve many threads.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import accumulate, compress, islice, repeat
from operator import is_not, itemgetter
from types import MappingProxyType

import regex

from cleaner._native import Classifier, split_document
from cleaner.core.analysis import FirstWords
from cleaner.core.errors import DocumentTooSlow, RuleError, RuleTooSlow
from cleaner.core.facts import PatternFacts
from cleaner.core.matcher import UNSURE, Hit, LineMatcher, MatcherBuild, native_patterns
from cleaner.core.records import NO_METADATA, Cleaned, Notice, Record, Removal
from cleaner.core.reltime import resolve_relative
from cleaner.core.rules import DEFAULT_MAX_CHARS, SENTENCE_END, BlockRule, Layout, LineRule, RuleSet, Scope
from cleaner.core.segment import (
    HEADER,
    JUNK,
    PLAIN,
    SegmentDoc,
    SegmentHost,
    SegmentItem,
    captures_from,
    captures_of,
    layout_table,
)
from cleaner.core.siterepeat import DETECTOR, SiteProfile, SiteRepeatSettings
from cleaner.core.structure import Detectors, Evidence, Found, LanguageTools
from cleaner.core.text import View, build_views, host_of, line_key, matching_view, normalize_line

#: Characters that print nothing: zero-width spaces and joiners, word joiner, byte-order mark, and the
#: direction marks, embeddings and isolates. At a line's edge they are padding, like whitespace.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u061c"
                       "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_EDGES = "".join(_INVISIBLE) + "".join(chr(c) for c in range(0x3000 + 1) if chr(c).isspace())

#: What a memo holds for a key it does not hold (None is an answer: no match).
_UNSEEN = object()
#: Makes a named tuple from a tuple of all its fields, in C (its class's own constructor is Python code).
_new = tuple.__new__

#: A Cleaned made without its dataclass constructor: a frozen dataclass sets each field through
#: ``object.__setattr__``, which cost a tiny document about as much as its language identification; its slots'
#: own setters give the same object (the same fields, equal and hashed alike).
_CLEANED_SLOTS = tuple(getattr(Cleaned, name).__set__ for name in ("doc_id", "records", "removals", "notices",
                                                                   "evidence"))


def _cleaned(doc_id: str | None, records: tuple[Record, ...], removals: tuple[Removal, ...],
             notices: tuple[Notice, ...], evidence: tuple[Evidence, ...]) -> Cleaned:
    cleaned = object.__new__(Cleaned)
    set_doc_id, set_records, set_removals, set_notices, set_evidence = _CLEANED_SLOTS
    set_doc_id(cleaned, doc_id)
    set_records(cleaned, records)
    set_removals(cleaned, removals)
    set_notices(cleaned, notices)
    set_evidence(cleaned, evidence)
    return cleaned
#: A line's first and last character (empty for an empty line), taken in C by ``map``.
_FIRST, _LAST = itemgetter(slice(None, 1)), itemgetter(slice(-1, None))


def _has_invisible_edge(lines: list[str]) -> bool:
    """Whether a (stripped) line starts or ends with an invisible character (see :data:`_INVISIBLE`)."""
    edges = "".join(map(_FIRST, lines)) + "".join(map(_LAST, lines))
    return not edges.isascii() and not _INVISIBLE.isdisjoint(edges)


# Line states. Junk states keep the rule that explains them in a parallel list.
_BLANK, _CONTENT, _STRONG, _WEAK, _REGION = 0, 1, 2, 3, 4
#: What the segmenter makes of a line in each state (a header line aside): junk it steps over, or a line it reads.
_ROLE_OF_STATE = bytes(JUNK if state in (_STRONG, _REGION) else PLAIN for state in range(256))


@dataclass(frozen=True, slots=True)
class Options:
    """How the engine reads a document. One object, passed once, shared by every call."""

    #: Take the first kept line as the main article's title (text dumps put the headline there).
    title_from_first_line: bool = True
    #: A first line longer than this, or ending like a sentence, is body text, not a title.
    max_title_chars: int = 250
    #: Seconds one pattern may spend on one line; past it :class:`RuleTooSlow` is raised (the batch job
    #: rejects the document, naming the rule).
    match_timeout: float = 0.05
    #: Reader comments found by a comments layout are removed instead of becoming ``comments`` records.
    drop_comments: bool = False
    #: Seconds one document may take; past it, :class:`DocumentTooSlow` is raised (the batch job makes the
    #: document a reject with the reason). None: no bound.
    time_budget: float | None = 60.0
    #: The page thresholds of ``struct:site-repeat`` for this engine instead of the rule files'
    #: ``[detector.site_repeat]`` (None: the rule files'); the counting ones come with the host profile.
    site_repeat: SiteRepeatSettings | None = None


@dataclass(frozen=True, slots=True)
class _Probe:
    """A pattern the engine tries on lines, and what a match means."""

    role: int
    rule: LineRule | BlockRule | Layout
    pattern: regex.Pattern[str]
    max_chars: int
    #: For a pattern that can start with any word: lower-cased words one of which a match must hold.
    required: tuple[str, ...] | None = None


_HEADER, _LINE, _BLOCK = 0, 1, 2
#: A removal's start (its field 1), what removals are sorted by (without a lambda made per document).
_START = itemgetter(1)
#: A probe flattened for the classification loop: role, bound on the line, the ASCII characters a match
#: can start with (None: any), the rule's scope (None when it applies everywhere), required words, pattern,
#: whether the pattern runs time-bounded, the rule, and whether the compiled matcher's verdict stands for
#: Python's (an exact translation of a pattern that captures nothing: listed as a candidate means it matches).
_Step = tuple[int, int, "frozenset[str] | None", "Scope | None", "tuple[str, ...] | None", "regex.Pattern[str]", bool,
              "LineRule | BlockRule | Layout", bool]


@dataclass(frozen=True, slots=True)
class _Plan:
    """The probes a line's first words allow, in rule order, split where exact lines are looked up."""

    probes: tuple[_Probe, ...]
    #: Each probe's position in the engine's rule order (what the compiled matcher names).
    positions: tuple[int, ...]
    #: Layout headers come first in rule order; the exact-line lookup happens after them.
    headers: tuple[_Step, ...]
    others: tuple[_Step, ...]
    #: The longest line any of these probes is tried on (0: none).
    longest: int = 0
    #: The plan for lines starting with an ASCII character: only the probes a match can start with it, by
    #: character (filled on first use; an immutable answer, so several threads may fill it at once).
    narrowed: dict[str, _Plan] = field(default_factory=dict, compare=False, hash=False)


#: Distinct two-word line starts whose candidate rules are remembered per engine (a few MB at most).
_WORD_MEMO_LIMIT = 100_000
#: Distinct (probes, line, host) whose verdict is remembered per engine: lines some rule may match, mostly short
#: junk lines (a real corpus fills a few thousand). A line is at most the longest rule bound (1,200 characters in
#: the built-in rules), so a full memo of long lines would hold some tens of MB: the bound is the entry count.
_VERDICT_MEMO_LIMIT = 50_000

#: What the rules make of a line (see :meth:`_Pass._decide`): the layouts whose header it is, each with what
#: its header captured; the line rule marking it as (rule, state, what it captured or None, fallback rule or
#: None), or None; the block rule it starts, or None.
_Verdict = tuple[tuple[tuple[Layout, dict[str, str]], ...], tuple[LineRule, int, "dict[str, str] | None",
                                                                   "LineRule | None"] | None, "BlockRule | None"]


class Engine:
    """Compiled rules and the procedure that applies them. Build once, call :meth:`process` per document."""

    def __init__(self, rules: RuleSet, options: Options | None = None, *, tools: LanguageTools | None = None,
                 native: bool = True, build_matcher: MatcherBuild | None = None,
                 facts: PatternFacts | None = None) -> None:
        """``tools``: language identification and stop words for the structural detectors and each record's
        ``language`` (none given: every record's language is "und" and the prose test counts no stop words).
        ``native``: lines are sorted by the compiled matcher (cleaner._native), which hands the Python loop only
        the lines some rule could match; False keeps the pure-Python loop over every line, the oracle the
        tests compare it with (the records are the same either way). ``build_matcher``: how the compiled
        matcher is made (see :data:`MatcherBuild`; built afresh when not given). ``facts``: what earlier builds
        learned about the patterns (see :mod:`cleaner.core.facts`), used and added to; by default those the rule
        set carries."""
        facts = facts if facts is not None else rules.facts if rules.facts is not None else PatternFacts()
        self.rules = rules
        self.options = options or Options()
        #: The structural detectors (cleaner.core.structure), with the settings the rule files give.
        self.detectors = Detectors(rules.structure, tools)
        #: The thresholds ``struct:site-repeat`` applies with a host profile (the rule files', or the options').
        self.site_settings = self.options.site_repeat or rules.structure.site_repeat
        self._exact: dict[str, LineRule] = {}
        probes: list[_Probe] = []
        blocks: list[_Probe] = []
        headers: list[_Probe] = []
        for rule in rules:
            if isinstance(rule, LineRule) and rule.exact is not None:
                twin = self._exact.get(rule.exact)
                if twin is not None:
                    raise RuleError(rule.source, f"matches the same line as {twin.id} ({twin.location})",
                                    line=rule.line, rule_id=rule.id)
                self._exact[rule.exact] = rule
            elif isinstance(rule, LineRule):
                probes.append(_Probe(_LINE, rule, rule.pattern, rule.max_chars))  # type: ignore[arg-type]
            elif isinstance(rule, BlockRule):
                blocks.append(_Probe(_BLOCK, rule, rule.start, DEFAULT_MAX_CHARS))
            elif isinstance(rule, Layout):
                headers.append(_Probe(_HEADER, rule, rule.header, rule.max_chars))
        # Headers first: the same words ("Related Articles") mean more when a block of items follows.
        for probe in headers + probes + blocks:
            facts.prepare(probe.pattern.pattern, probe.pattern.flags, translation=native)
        starts = {p.pattern: facts.first_words(p.pattern.pattern, bool(p.pattern.flags & regex.IGNORECASE))
                  for p in headers + probes + blocks}
        ordered = [self._gated(probe, starts[probe.pattern], facts) for probe in headers + probes + blocks]
        self._exact_longest = max((len(k) for k in self._exact), default=0)
        #: The exact lines whose rule applies to some domains only (most apply everywhere: no scope test).
        self._exact_scoped = frozenset(key for key, rule in self._exact.items()
                                       if rule.scope.include or rule.scope.exclude)
        # Lines longer than every rule's bound are body text: they are never tried against any rule.
        self._longest = max([self._exact_longest, *(p.max_chars for p in ordered)], default=0)
        # The compiled matcher first: one rebuilt from a stored form finishes on a thread of its own while the
        # rest of this build goes on (it is waited for at the end).
        self.matcher: LineMatcher | None = None
        if native:
            build = build_matcher or LineMatcher
            self.matcher = build(tuple((p.pattern.pattern, p.pattern.flags, p.max_chars) for p in ordered),
                                 self._longest, tuple(sorted(self._exact)), self._exact_longest, facts)
        try:
            self._timed = self._timing(rules, facts)
            #: The patterns the compiled core confirms exactly, captures included (see cleaner.core.matcher).
            self._native = {} if self.matcher is None else native_patterns(self._timed, facts)
            self._probes = tuple(ordered)
            #: The probes by the first words a match can start with (see :meth:`_build_index`), made on the first
            #: line that needs it: only an engine without the compiled matcher (whose candidates stand for it) and
            #: :meth:`candidates` read it, and making it was a third of a warm build's time (the built-in rules
            #: list some 26,000 words).
            self._index: tuple[dict[str, tuple[int, ...]], tuple[tuple[int, dict[str, tuple[int, ...]]], ...]] | None \
                = None
            self._first_words = starts
            self._by_word: dict[str, _Plan] = {}
            self._by_candidates: dict[tuple[int, ...], _Plan] = {}
            #: Verdicts on lines already classified (see :meth:`_Pass._classify`), by (probes, line, host).
            self._verdicts: dict[tuple[tuple[int, ...], str, str | None], _Verdict] = {}
            self._firsts = {p.pattern: facts.first_characters(p.pattern) for p in ordered}
            self._positions = {id(probe): n for n, probe in enumerate(ordered)}
            #: The probes (positions) whose candidacy the compiled matcher decides alone: its scan's verdict is
            #: exact (an exact translation, or candidates narrowed by native confirmation; the differential
            #: tests check both), capturing nothing (no match object is needed) and not time-bounded (Python's
            #: time bound may refuse a line; the scan never would) unless confirmed natively (linear time).
            self._confirmed = frozenset() if self.matcher is None else frozenset(
                n for n, probe in enumerate(ordered)
                if not probe.pattern.groupindex and n in self.matcher.exact
                and (probe.pattern in self._native or not self._timed.get(probe.pattern, True)))
            #: The line classification over the scan's hits, compiled (see :meth:`_classifier_of`).
            self._classifier = None if self.matcher is None else self._classifier_of(ordered, facts)
            #: The layouts as the compiled segmenter reads them (handed to it once, here).
            self._layouts = layout_table([rule for rule in rules if isinstance(rule, Layout)], self._native)
            #: Makes lines' matching views (the matcher's, which its scan uses; built here without a matcher).
            self.views = self.matcher.views if self.matcher is not None else build_views()
        finally:
            # Even when this build fails: no rebuild outlives it unfinished (a shell may keep the matcher, and a
            # process forked later would have no thread to wait for).
            if self.matcher is not None:
                self.matcher.wait()

    def _classifier_of(self, ordered: list[_Probe], facts: PatternFacts) -> Classifier:
        """The compiled form of :meth:`_Pass._decide` (src/classify.rs): each probe's role, bound, gates and native
        confirmation, and the exact-line rules. It decides a line wherever every answer it needs is native, and
        leaves the rest to :meth:`_Pass._decide`."""
        assert facts.tables is not None  # (the matcher's build made them)
        spaces = [c for c in map(chr, range(0x3001)) if c.isspace() and not c.isascii()]

        def scoped(rule: LineRule | BlockRule | Layout) -> bool:
            return bool(rule.scope.include or rule.scope.exclude)

        probes = [(probe.role, probe.max_chars, scoped(probe.rule),
                   None if probe.required is None else list(probe.required), n in self._confirmed,
                   self._native.get(probe.pattern),
                   isinstance(probe.rule, LineRule) and probe.rule.strength == "weak",
                   isinstance(probe.rule, LineRule) and probe.rule.min_run > 1, probe.rule)
                  for n, probe in enumerate(ordered)]
        exact = [(key, rule, rule.strength == "weak", rule.min_run > 1, key in self._exact_scoped)
                 for key, rule in self._exact.items()]
        return Classifier(probes, exact, self._exact_longest, spaces)

    @staticmethod
    def _gated(probe: _Probe, starts: FirstWords, facts: PatternFacts) -> _Probe:
        """The probe, with the words a match must hold when its first words cannot be listed."""
        if ("", False) not in starts:
            return probe
        required = facts.required_words(probe.pattern.pattern, bool(probe.pattern.flags & regex.IGNORECASE))
        return probe if required is None else replace(probe, required=tuple(sorted(required)))

    @staticmethod
    def _timing(rules: RuleSet, facts: PatternFacts) -> dict[regex.Pattern[str], bool]:
        patterns: list[regex.Pattern[str]] = []
        for rule in rules:
            if isinstance(rule, LineRule) and rule.pattern is not None:
                patterns.append(rule.pattern)
            elif isinstance(rule, BlockRule):
                patterns += [rule.start, rule.end]
            elif isinstance(rule, Layout):
                patterns.append(rule.header)
                patterns += [slot.pattern for slot in rule.slots if slot.pattern is not None]
                patterns += [rule.controls] if rule.controls is not None else []
        return {p: facts.needs_timeout(p.pattern, bool(p.flags & regex.IGNORECASE)) for p in patterns}

    @staticmethod
    def _build_index(probes: list[_Probe], starts: dict[regex.Pattern[str], FirstWords]
                     ) -> tuple[dict[str, tuple[int, ...]], tuple[tuple[int, dict[str, tuple[int, ...]]], ...]]:
        """Probe positions by the first word a match can start with (whole words, and prefixes by length)."""
        words: dict[str, tuple[int, ...]] = {}
        prefixes: dict[int, dict[str, tuple[int, ...]]] = {}
        for position, probe in enumerate(probes):
            for word, whole in starts[probe.pattern]:
                table = words if whole else prefixes.setdefault(len(word), {})
                # Tuples as they grow, not lists turned into tuples after: nearly every word starts one probe's
                # matches only, and the built-in rules list some 26,000 words.
                found = table.get(word)
                table[word] = (position,) if found is None else (*found, position)
        # Each tuple is in ascending order, without repeats: positions are visited in order, and a probe's first
        # words are a set.
        return words, tuple(sorted(prefixes.items()))

    def candidates(self, line: str) -> tuple[_Probe, ...]:
        """The probes that can match a (stripped, non-empty) line, in rule order."""
        return self._plan(line).probes

    def _plan(self, line: str) -> _Plan:
        head = line[:64]  # the first two words without copying a long line
        words = head.split(None, 2)
        if len(words) < 3 and len(head) < len(line):
            words = line.split(None, 2)
        key = " ".join(words[:2]).lower()
        found = self._by_word.get(key)
        if found is None:
            found = self._planned(self._lookup(key))
            if len(self._by_word) < _WORD_MEMO_LIMIT:
                # A memo of an immutable answer: safe to fill from several threads at once.
                self._by_word[key] = found
        return found

    def _planned(self, probes: tuple[_Probe, ...], confirmed: frozenset[int] = frozenset()) -> _Plan:
        """The plan of ``probes`` (in rule order); those at the positions ``confirmed`` need no Python ``regex``
        (see :attr:`_confirmed`: only for a plan of the compiled matcher's candidates)."""
        steps = [(p.role, p.max_chars, self._firsts[p.pattern],
                  p.rule.scope if p.rule.scope.include or p.rule.scope.exclude else None, p.required, p.pattern,
                  self._timed.get(p.pattern, True) or p.pattern in self._native, p.rule,
                  self._positions[id(p)] in confirmed) for p in probes]
        split = next((n for n, step in enumerate(steps) if step[0] != _HEADER), len(steps))
        if any(step[0] == _HEADER for step in steps[split:]):
            raise AssertionError("layout headers must come first in rule order")
        return _Plan(probes, tuple(self._positions[id(p)] for p in probes), tuple(steps[:split]),
                     tuple(steps[split:]), max((step[1] for step in steps), default=0))  # type: ignore[arg-type]

    @staticmethod
    def _narrow(plan: _Plan, first: str) -> _Plan:
        """``plan`` for lines starting with the ASCII character ``first``: the probes that cannot start a
        match with it are left out (their first-character gate), which may shorten the longest bound."""
        found = plan.narrowed.get(first)
        if found is None:
            steps = (*plan.headers, *plan.others)
            keep = [n for n, step in enumerate(steps) if step[2] is None or first in step[2]]
            headers = tuple(steps[n] for n in keep if n < len(plan.headers))
            others = tuple(steps[n] for n in keep if n >= len(plan.headers))
            found = plan.narrowed[first] = _Plan(tuple(plan.probes[n] for n in keep),
                                                 tuple(plan.positions[n] for n in keep), headers, others,
                                                 max((steps[n][1] for n in keep), default=0))
        return found

    def _candidate_plan(self, candidates: tuple[int, ...]) -> _Plan:
        """The plan of the probes the compiled matcher found possible on a line (``candidates``, positions in
        rule order). The first-word and first-character gates are not asked again: the matcher's candidates
        are probes whose whole-line form matched, and a probe those gates leave out cannot match the line, so
        Python ``regex`` refuses it all the same (the same records, without a word split and two look-ups a
        line)."""
        found = self._by_candidates.get(candidates)
        if found is None:
            found = self._planned(tuple(self._probes[n] for n in candidates), self._confirmed)
            if len(self._by_candidates) < _WORD_MEMO_LIMIT:
                # A memo of an immutable answer: safe to fill from several threads at once.
                self._by_candidates[candidates] = found
        return found

    def _lookup(self, key: str) -> tuple[_Probe, ...]:
        index = self._index
        if index is None:
            # An immutable answer: two threads making it at once make the same index, and either one stays.
            index = self._index = self._build_index(list(self._probes), self._first_words)
        words, prefixes = index
        positions = set(words.get(key, ()))
        size = len(key)
        for length, table in prefixes:
            if length > size:
                break  # tables are by increasing length: no longer prefix can begin this key
            found = table.get(key[:length])
            if found:
                positions.update(found)
        return tuple(self._probes[i] for i in sorted(positions))

    # --- public ----------------------------------------------------------------------------------

    def clean(self, text: str, *, doc_id: str | None = None, url: str | None = None) -> list[Record]:
        return list(self.process(text, doc_id=doc_id, url=url).records)

    def clean_many(self, documents: Iterable[str | tuple[str, str | None] | tuple[str, str | None, str | None]]
                   ) -> Iterator[Record]:
        """Records of each document in turn; items are texts or ``(text, doc_id[, url])`` tuples."""
        for document in documents:
            if isinstance(document, str):
                yield from self.process(document).records
            else:
                text, doc_id, *rest = document
                yield from self.process(text, doc_id=doc_id, url=rest[0] if rest else None).records

    def compile_confirmations(self) -> None:
        """Compiles now everything every native confirmation may need, which is otherwise compiled the first
        time a line needs it: the pattern cut to Latin-script characters when the first such line reaches it,
        the whole pattern when the first other line does (src/confirm.rs). A batch worker pays it all before any
        document's time budget starts (:meth:`Cleaner.warm_up`): about a second of CPU for the built-in rules,
        which on a busy machine a document's budget cannot absorb."""
        for confirmer in self._native.values():
            confirmer.compiles()

    def process(self, text: str, *, doc_id: str | None = None, url: str | None = None,
                title: str | None = None, fetched_at: datetime | None = None,
                site: SiteProfile | None = None, language: str | None = None) -> Cleaned:
        """Records and removals of one document. ``title``, when known (HTML metadata), is used as given;
        ``fetched_at`` (UTC) resolves each record's ``published`` ("4 hours ago") into ``published_at``;
        ``site``: the repeated lines of the document's host, removed by ``struct:site-repeat``;
        ``language``: the document's language (ISO 639-1) when the caller knows it: not identified again."""
        work = _Pass(self, text, doc_id, url, title, site, language)
        try:
            cleaned = work.run()
        finally:
            work.release()
        if fetched_at is None or not any(record.published for record in cleaned.records):
            # Nothing to resolve: the engine's records have no ``published_at`` yet, and a record without
            # ``published`` keeps None (most documents: no copies of their records and result).
            return cleaned
        records = tuple(r._replace(published_at=resolve_relative(r.published, fetched_at)) for r in cleaned.records)
        return replace(cleaned, records=records)


class _Pass:
    """The working state of one :meth:`Engine.process` call; thrown away after it."""

    # Slots: a pass is made per document and its fields are read in every step (a tiny document's whole
    # cleaning is a few microseconds, of which a dictionary per pass and its look-ups were a visible share).
    __slots__ = ("_matches", "_segmented", "_starts", "_view", "doc_id", "engine", "evidence", "fallbacks",
                 "given_title", "headers", "host", "language", "line_metadata", "lines", "metadata", "normals",
                 "notices", "offset", "raw", "removals", "runs", "site", "site_evidence", "state", "url", "why")

    def __init__(self, engine: Engine, text: str, doc_id: str | None, url: str | None, title: str | None,
                 site: SiteProfile | None = None, language: str | None = None):
        self.engine = engine
        self.site = site if site is not None and engine.site_settings.enabled else None
        self.language = language
        #: What ``struct:site-repeat`` did on the document, with its thresholds (for ``cleaner explain``).
        self.site_evidence: Evidence | None = None
        #: Evidence of detector removals, by line.
        self.evidence: dict[int, str] = {}
        self.doc_id = doc_id
        self.url = url
        self.given_title = title
        self.host = host_of(url)
        # The lines, each stripped line's start and the first states in one compiled pass (an engine without the
        # compiled matcher, the tests' oracle, splits the text here).
        split = None if engine.matcher is None else split_document(text)
        self.raw: list[str] | None
        self._starts: list[int] | None
        if split is not None:
            lines, self._starts, state = split
            self.raw = None
            self.offset = 0
        else:
            offset = 1 if text.startswith("\ufeff") else 0
            # Every line break Unicode knows ends a line: "\r" alone (old Mac files), U+2028/2029, NEL...
            raw = (text[offset:] if offset else text).splitlines(keepends=True) or [""]
            self.raw = raw
            self.offset = offset
            lines = list(map(str.strip, raw))
            # Only a line's edges are stripped of marks: the lines' first and last characters, gathered in C, are
            # searched (not the whole text, whose 15 searches for the marks cost as much as splitting it), and an
            # ASCII text (known without a look at its characters) holds none.
            if not text.isascii() and _has_invisible_edge(lines):
                for index, line in enumerate(lines):
                    if line and (line[0] in _INVISIBLE or line[-1] in _INVISIBLE):
                        # Zero-width and direction marks (and byte-order marks of concatenated files) at a line's
                        # edges are invisible padding: stripped like whitespace, so "Advertisement\u200b" is junk.
                        lines[index] = line.strip(_EDGES)
            self._starts = None
            state = bytearray(map(bool, lines))
        self.lines = lines
        #: Each line's state: _BLANK or _CONTENT to begin with (the numbers of False and True).
        self.state = state
        self.why: list[str | None] = [None] * len(lines)
        self.metadata: dict[str, str] = {}
        self.line_metadata: dict[int, tuple[str, dict[str, str]]] = {}
        #: Each line normalised (inner whitespace one space), filled as lines are first normalised.
        self.normals: list[str | None] = [None] * len(lines)
        self._matches: dict[tuple[regex.Pattern[str], str], regex.Match[str] | None] = {}
        self.notices: list[Notice] = []
        self.removals: list[Removal] = []
        #: Lines matched by rules that count only in runs (min_run > 1), by rule.
        self.runs: dict[str, tuple[LineRule, list[int]]] = {}
        #: Lines of a run-only rule that a weak rule also matched: what they are if the run falls short.
        self.fallbacks: dict[int, LineRule] = {}
        #: Header lines, with each layout whose header the line matched and what the header captured.
        self.headers: dict[int, list[tuple[Layout, dict[str, str]]]] = {}
        #: The lines as the segmenter reads them, once a header is segmented (see :meth:`_segment_lines`).
        self._segmented: SegmentDoc | None = None
        #: While a line's view is classified: the view and the line's own normalised text.
        self._view: tuple[View, str] | None = None

    def release(self) -> None:
        """Breaks the one reference cycle of a pass (its segmenter's lines hold its bound match method), so the
        pass and every line, list and removal it holds are freed as soon as the call returns. Left to the cycle
        collector, the garbage of a dozen documents was freed at once, in a young-generation collection that
        cost more than cleaning a document, and pushed the older generations' collections on."""
        self._segmented = None

    def run(self) -> Cleaned:
        engine = self.engine
        blocks: list[tuple[int, BlockRule]] = []
        longest = engine._longest
        weak = False
        exact_longest = engine._exact_longest
        budget = engine.options.time_budget
        deadline = None if budget is None else time.perf_counter() + budget
        lines = self.lines
        scanned = None if engine.matcher is None else engine.matcher.scan(lines)
        # Without the matcher's answer: every line, each with every probe its first words and first character
        # allow (candidates None), its view made below when it needs one.
        hits: Sequence[Hit | tuple[int, None, bool, None]] = (
            [(index, None, True, None) for index in range(len(lines))] if scanned is None else scanned)
        # The time budget is checked every 1024 lines, as the loop reaches them: lines the matcher skipped count
        # (the loop below is checked when it passes a multiple of 1024, the rest once after it).
        check = 1024
        planned = engine._by_candidates
        # What the rules make of each hit line, decided natively where every answer needed is native (None: the
        # line is decided below, in Python, as without it).
        decided: Sequence[_Verdict | None] = [None] * len(hits) if scanned is None or engine._classifier is None \
            else engine._classifier.decide(lines, scanned)  # type: ignore[assignment]
        for (index, candidates, exact, scanned_view), verdict in zip(hits, decided, strict=True):
            if index >= check:
                check = (index // 1024 + 1) * 1024
                self._within(deadline, budget, index)
            line = lines[index]
            if not line or len(line) > longest:
                continue  # (the scan lists no such line)
            if verdict is not None:
                # (An empty verdict where the loop below tries nothing: a line too long for every probe, or with
                # no candidate; both change nothing, and a line past ASCII goes on to its view alike.)
                block = self._apply(index, verdict)
            else:
                if candidates is not None and not candidates and not exact:
                    # A line with characters other than ASCII that no probe can match as it is: only its view
                    # is left to try (the loop below would find nothing and change nothing).
                    plan = None
                elif candidates is not None:
                    plan = planned.get(candidates) or engine._candidate_plan(candidates)
                else:
                    plan = engine._plan(line)
                    if line[0] < "\x80":  # the stripped line starts as its normalised form does
                        plan = engine._narrow(plan, line[0])
                if plan is None:
                    block = None
                elif len(line) > plan.longest and len(line) > exact_longest:
                    if line.isascii():
                        continue  # no probe is tried on a line this long, and no exact line is this long
                    block = None  # (its view may be shorter)
                else:
                    block = self._classify(index, line, plan)
            if block is None and not line.isascii() and self.state[index] == _CONTENT \
                    and index not in self.headers:
                # Nothing matched the line as it is: match its view (invisible characters removed,
                # compatibility forms and look-alike letters folded), if it has one. ASCII lines, most
                # lines, have none and cost nothing more.
                normal = self.normals[index] or " ".join(line.split())
                if candidates is None:
                    view = matching_view(normal, engine.views)
                    if view is not None and view.text:
                        self._view = (view, normal)
                        block = self._probe(index, view.text, view, exact_longest)
                        self._view = None
                elif scanned_view is not None:
                    # The matcher made the view and found what may match it (a view nothing can match
                    # is not handed over).
                    text, origin, size, view_candidates, view_exact = scanned_view
                    view = View(text, origin, size)
                    self._view = (view, normal)
                    block = self._probe(index, text, view, exact_longest, view_candidates, view_exact)
                    self._view = None
            weak = weak or self.state[index] == _WEAK
            if block is not None:
                blocks.append((index, block))
        if check < len(lines):
            self._within(deadline, budget, len(lines) - 1)
        for index, rule in blocks:
            self._apply_block(index, rule)
        items: list[tuple[Layout, SegmentItem]] = []
        for index, layouts in self.headers.items():
            if self.state[index] != _REGION:
                found = self._apply_layouts(index, layouts)
                weak = weak or found is None
                if found is not None:
                    items.extend((found[0], item) for item in found[1])
        if self.runs:
            self._settle_runs()
        if weak or self.fallbacks:
            self._settle_weak_lines()
        detectors = engine.detectors
        shape: Found | None = None
        if detectors.language_only:
            # The detectors would only tell the language (the built-in settings): asked of the open lines
            # directly, without a Found, the lists of open and claimed lines, nor copies of empty findings (they
            # remove and move nothing, and have no evidence).
            language = self.language or detectors.language(list(compress(lines, map(_CONTENT.__eq__, self.state))))
        else:
            shape = self._structure()
            language = shape.language
        # Each record is made with the document's language ("und" when unsure): a record rebuilt for it
        # (NamedTuple._replace) cost as much as making it.
        records = self._main_record(language)
        # (Most documents have no item and no related record: no calls for empty lists.)
        if items:
            records += self._item_records(items, language)
        if shape is not None and shape.related:
            records += self._structure_records(shape, len(items))
        found_evidence: tuple[Evidence, ...] = tuple(shape.evidence) if shape is not None else ()
        evidence = (*found_evidence, self.site_evidence) if self.site_evidence else found_evidence
        removals = self.removals
        if len(removals) > 1:
            removals.sort(key=_START)
        return _cleaned(self.doc_id, tuple(records), tuple(removals), tuple(self.notices), evidence)

    def _within(self, deadline: float | None, budget: float | None, index: int) -> None:
        if deadline is not None and time.perf_counter() > deadline:
            raise DocumentTooSlow(f"{self.doc_id or 'document'}: not cleaned within {budget:g} s "
                                  f"(stopped at line {index + 1} of {len(self.lines)})")

    # --- structural detectors (cleaner.core.structure) ----------------------------------------------

    def _structure(self) -> Found:
        """Runs the structural detectors once the rules are settled: they act only on lines still content. (Not
        called when they would only tell the language: :meth:`run` asks it directly.)"""
        state = self.state
        detectors = self.engine.detectors
        # Most documents have no line in a layout's record: a search (in C) spares them a comparison a line.
        claimed = list(map(_REGION.__eq__, state)) if _REGION in state else [False] * len(state)
        found = detectors.run(self.lines, list(map(_CONTENT.__eq__, state)), claimed, self.language)
        for index, detector in found.removed.items():
            state[index] = _STRONG
            self.why[index] = detector
        for title, rest in found.related:
            for index in (title, *rest):
                state[index] = _REGION  # moved into a related record: not removed, not in the main record
        return found

    def _structure_records(self, found: Found, after: int) -> list[Record]:
        if not found.related:
            return []
        return [Record(self.doc_id, after + number, "related", None, None, normalize_line(self.lines[title]),
                       "\n".join(self.lines[i] for i in rest), self.url, language=found.language)
                for number, (title, rest) in enumerate(found.related, start=1)]

    # --- classification ------------------------------------------------------------------------

    def _probe(self, index: int, line: str, view: View | None, exact_longest: int,
               candidates: tuple[int, ...] | None = None, exact: bool = True) -> BlockRule | None:
        """Classifies the line (or, with ``view``, its view, which ``line`` then is) by the rules its first
        words and first character allow (and, when the compiled matcher has said, only its ``candidates``)."""
        engine = self.engine
        if candidates is not None and not candidates and not exact:
            return None
        if candidates is not None:
            plan = engine._candidate_plan(candidates)
        else:
            plan = engine._plan(line)
            if line[0] < "\x80":  # the stripped line starts as its normalised form does
                plan = engine._narrow(plan, line[0])
        if len(line) > plan.longest and len(line) > exact_longest:
            return None  # no probe is tried on a line this long, and no exact line is this long
        return self._classify(index, line, plan, view)

    def _classify(self, index: int, line: str, plan: _Plan, view: View | None = None) -> BlockRule | None:
        """Marks a junk line and notes the layouts whose header it is; returns a block rule it starts.

        Of the line rules that match, one that explains the line on its own (strong) wins over one that
        counts only in runs (min_run), which wins over a weak one; exact lines and patterns alike.
        With ``view``, ``line`` is the view's text: rules match it, and what they capture is taken from the
        line's own characters.
        """
        if view is not None:
            return self._apply(index, self._decide(index, line, view.text, plan))
        normal = self.normals[index] = " ".join(line.split())
        # What the rules make of a line is a function of the line, the probes tried and the host (scopes): junk
        # lines recur across a site's and a corpus's documents, so the engine remembers the verdict (the
        # Python ``regex`` confirmations and what they captured) instead of matching them again.
        key = (plan.positions, line, self.host)
        memo = self.engine._verdicts
        verdict = memo.get(key)
        if verdict is None:
            verdict = self._decide(index, line, normal, plan)
            if len(memo) < _VERDICT_MEMO_LIMIT:
                memo[key] = verdict  # an immutable answer: safe to fill from several threads at once
        return self._apply(index, verdict)

    def _apply(self, index: int, verdict: _Verdict) -> BlockRule | None:
        """Applies what :meth:`_decide` found to line ``index``."""
        headers, marked, block = verdict
        if headers:
            self.headers.setdefault(index, []).extend(headers)
        if marked is not None:
            rule, state, found, fallback = marked
            self.state[index] = state
            self.why[index] = rule.id
            if rule.min_run > 1:
                self.runs.setdefault(rule.id, (rule, []))[1].append(index)
                if fallback is not None:
                    self.fallbacks[index] = fallback
            if found:
                # Kept until the line is known to stay junk by this rule: a weak line settled back to content,
                # or a line that moved into a record, says nothing about the main article.
                self.line_metadata[index] = (rule.id, found)
        return block

    def _decide(self, index: int, line: str, normal: str, plan: _Plan) -> _Verdict:
        """What the rules of ``plan`` make of a line (``normal``: its normalised form, or its view's text while
        :attr:`_view` is set): the layouts whose header it is with what each captured, the line rule that marks
        it (rule, state, what it captured, the weak rule to fall back on) and the block rule it starts. Changes
        nothing (:meth:`_apply` does); ``index`` only names the line when a rule is too slow."""
        host = self.host
        size = len(line)
        lower: str | None = None
        headers: list[tuple[Layout, dict[str, str]]] = []
        # What each header pattern tried on this line captured (None: no match), made on the first match tried.
        seen: dict[regex.Pattern[str], dict[str, str] | None] | None = None
        # ``plan`` holds only the probes a match can start with the line's first character, when that is ASCII
        # (other characters may fold to ASCII letters under IGNORECASE: they rule nothing out).
        for _role, max_chars, _firsts, scope, required, pattern, timed, rule, confirmed in plan.headers:
            if size > max_chars or (scope is not None and not scope.applies(host)):
                continue
            if required is not None:
                if lower is None:
                    lower = normal.lower()
                if not any(map(lower.__contains__, required)):
                    continue  # the line holds none of the words every match of this pattern holds
            if confirmed:
                # Matched, as the compiled matcher found: a pattern without groups captures nothing.
                headers.append((rule, {}))  # type: ignore[arg-type]
                continue
            if seen is not None and pattern in seen:
                # Layouts sharing a header pattern (one compiled object: the related-articles layouts share
                # theirs) are matched once a line: the same answer, each layout with its own copy of the fields.
                captured = seen[pattern]
                if captured is not None:
                    headers.append((rule, dict(captured)))  # type: ignore[arg-type]
                continue
            match = self.fullmatch(pattern, normal, index, rule.id) if timed else pattern.fullmatch(normal)
            captured = None
            if match is not None:
                # Every layout whose header this is gets a try later; line rules still classify the line,
                # for when no layout finds items under it.
                captured = captures_of(match) if self._view is None else captures_from(self._groups(match))
                headers.append((rule, dict(captured)))  # type: ignore[arg-type]
            if seen is None:
                seen = {}
            seen[pattern] = captured
        found = tuple(headers)
        weak: tuple[LineRule, regex.Match[str] | None] | None = None
        in_runs: tuple[LineRule, regex.Match[str] | None] | None = None
        if size <= self.engine._exact_longest:
            exact = self._exact_rule(normal)
            if exact is not None:
                if exact.strength == "weak":
                    weak = (exact, None)
                elif exact.min_run > 1:
                    in_runs = (exact, None)
                else:
                    return found, (exact, _STRONG, None, None), None
        for role, max_chars, _firsts, scope, required, pattern, timed, rule, confirmed in plan.others:
            if size > max_chars or (scope is not None and not scope.applies(host)):
                continue
            if required is not None:
                if lower is None:
                    lower = normal.lower()
                if not any(map(lower.__contains__, required)):
                    continue  # the line holds none of the words every match of this pattern holds
            if role == _BLOCK and (weak is not None or in_runs is not None):
                continue  # a line rule already explains the line
            if confirmed:
                match = None  # matched, as the compiled matcher found (a match without groups is not needed)
            else:
                match = self.fullmatch(pattern, normal, index, rule.id) if timed else pattern.fullmatch(normal)
                if match is None:
                    continue
            if role == _LINE:
                if rule.strength == "weak":  # type: ignore[union-attr]
                    weak = weak or (rule, match)  # type: ignore[assignment]
                    continue
                if rule.min_run > 1:  # type: ignore[union-attr]
                    in_runs = in_runs or (rule, match)  # type: ignore[assignment]
                    continue
                return found, (rule, _STRONG, self._captured(match), None), None  # type: ignore[return-value]
            return found, None, rule  # type: ignore[return-value]
        if in_runs is not None:
            return found, (in_runs[0], _STRONG, self._captured(in_runs[1]), weak[0] if weak else None), None
        if weak is not None:
            return found, (weak[0], _WEAK, self._captured(weak[1]), None), None
        return found, None, None

    def _captured(self, match: regex.Match[str] | None) -> dict[str, str] | None:
        """What a line rule's match captured (non-empty groups), or None (no match object: an exact line, or a
        pattern the compiled matcher confirmed)."""
        if match is None:
            return None
        groups = match.groupdict() if self._view is None else self._groups(match)
        return {name: value for name, value in groups.items() if value} or None  # type: ignore[misc]

    def _groups(self, match: regex.Match[str]) -> dict[str, str | None]:
        """What a match's named groups captured, in the line's own characters when it matched a view."""
        if self._view is None:
            return match.groupdict()
        view, original = self._view
        return {name: None if match.start(name) < 0 else view.original(original, *match.span(name))
                for name in match.groupdict()}

    def _exact_rule(self, normal: str) -> LineRule | None:
        key = normal.casefold()
        rule = self.engine._exact.get(key)
        if rule is None or (key in self.engine._exact_scoped and not rule.scope.applies(self.host)):
            return None
        return rule

    def fullmatch(self, pattern: regex.Pattern[str], line: str, index: int = -1,
                  rule_id: str = "") -> regex.Match[str] | None:
        """The pattern's whole-line match, time-bounded for patterns that could backtrack badly."""
        native = self.engine._native.get(pattern)
        if native is not None:
            found = native.fullmatch(line)
            if found is not UNSURE:
                return found  # type: ignore[return-value]  # (read as a match: its groups and their spans)
        if not self.engine._timed.get(pattern, True):
            return pattern.fullmatch(line)
        limit = self.engine.options.match_timeout
        try:
            return pattern.fullmatch(line, timeout=limit)
        except TimeoutError:
            pass
        # regex's timeout counts wall-clock time, which other threads of the process (a library called from
        # many) and other processes stretch: a timeout is confirmed by this thread's CPU time, on a second try
        # under a wall-clock bound ten times as long, so a busy machine refuses no line an idle one matches.
        started = time.thread_time()
        try:
            match = pattern.fullmatch(line, timeout=10 * limit)
            slow = time.thread_time() - started > limit
        except TimeoutError:
            match, slow = None, True
        if slow:
            # Never half-cleaned: keeping the line would make the records depend on the machine's load.
            raise RuleTooSlow(rule_id or "?", index + 1, limit)
        return match

    def _mark(self, index: int, rule: LineRule | BlockRule | Layout, state: int) -> None:
        self.state[index] = state
        self.why[index] = rule.id

    def _apply_block(self, first: int, rule: BlockRule) -> None:
        if self.state[first] == _REGION:
            return
        last_allowed = min(len(self.lines), first + rule.max_lines)
        for index in range(first + 1, last_allowed):
            line = self.lines[index]
            if line and len(line) <= DEFAULT_MAX_CHARS and (
                    self.fullmatch(rule.end, " ".join(line.split()), index, rule.id)
                    or (not line.isascii() and self._view_ends(rule, index, " ".join(line.split())))):
                for covered in range(first, index + 1):
                    if self.lines[covered]:
                        self._mark(covered, rule, _REGION)
                return

    def _view_ends(self, rule: BlockRule, index: int, normal: str) -> bool:
        """Whether the line's view (see :func:`matching_view`) ends the block."""
        view = matching_view(normal, self.engine.views)
        return view is not None and self.fullmatch(rule.end, view.text, index, rule.id) is not None

    def _segment_lines(self) -> SegmentDoc:
        """The document's segmentation, made at the first header and kept for the document's others."""
        if self._segmented is None:
            roles = bytes(self.state).translate(_ROLE_OF_STATE)
            if self.headers:
                marked = bytearray(roles)
                for index in self.headers:
                    marked[index] = HEADER
                roles = bytes(marked)
            host = SegmentHost(self.engine._layouts, self._memo_fullmatch)
            self._segmented = host.document(self.lines, roles)
        return self._segmented

    def _memo_fullmatch(self, pattern: regex.Pattern[str], line: str) -> regex.Match[str] | None:
        # Layouts sharing a header try the same title and meta patterns on the same lines: match once.
        key = (pattern, line)
        matches = self._matches
        found = matches.get(key, _UNSEEN)
        if found is not _UNSEEN:
            return found  # type: ignore[return-value]
        # The compiled confirmation asked here, not through :meth:`fullmatch` (a call less for most of the
        # segmenter's matches); a line it leaves to Python goes there.
        native = self.engine._native.get(pattern)
        if native is not None:
            found = native.fullmatch(line)
            if found is not UNSURE:
                matches[key] = found  # type: ignore[assignment]
                return found  # type: ignore[return-value]
        found = matches[key] = self.fullmatch(pattern, line)
        return found

    def _apply_layouts(self, header: int, layouts: list[tuple[Layout, dict[str, str]]]
                       ) -> tuple[Layout, list[SegmentItem]] | None:
        """Applies the layout, of those whose header this line is, that explains the most lines."""
        segmented = self._segment_lines()
        table = self.engine._layouts
        chosen = segmented.choose(header, [(table.positions[layout.id], captured) for layout, captured in layouts])
        if chosen is None:
            if self.state[header] == _CONTENT:
                # A header with nothing under it is junk only beside other junk.
                self._mark(header, layouts[0][0], _WEAK)
            return None
        position, items = chosen
        layout = table.layouts[position]
        self._mark(header, layout, _REGION)
        dropped = layout.record_kind == "comments" and self.engine.options.drop_comments
        if not layout.inline:
            claimed: list[int] = []
            for item in items:
                # Only the lines the item claims move: junk it stepped over stays junk, removed by its own rule.
                lines = item.lines
                for index in lines:
                    self.state[index] = _REGION
                    # Item lines move into a record: only structure (and dropped comments) counts as removed.
                    self.why[index] = layout.id if dropped else None
                for index in item.structure_lines:
                    self.why[index] = layout.id
                claimed += lines
            # (an item holds no header line: its lines are junk to the segmenter from now on)
            segmented.claim(claimed)
        return (layout, []) if dropped else (layout, items)

    def _settle_runs(self) -> None:
        """Lines of a run-only rule stay junk only in runs of at least ``min_run`` of them."""
        for rule, indexes in self.runs.values():
            run: list[int] = []
            for index in [*indexes, None]:
                # Blank lines and other junk may sit between the lines of a run: "X / Advertisement / X" is a
                # run of two, as it is once the advertisement is gone (cleaning twice changes nothing).
                if index is not None and run and all(not self.lines[i] or self.state[i] in (_STRONG, _REGION)
                                                     for i in range(run[-1] + 1, index)):
                    run.append(index)
                    continue
                if len(run) < rule.min_run:
                    for lonely in run:
                        if self.why[lonely] == rule.id:
                            # Alone, the line is what a weak rule said of it, if one did; else content.
                            fallback = self.fallbacks.get(lonely)
                            self.state[lonely] = _CONTENT if fallback is None else _WEAK
                            self.why[lonely] = None if fallback is None else fallback.id
                run = [index] if index is not None else []

    def _settle_weak_lines(self) -> None:
        """Weak junk stays junk only in a run of junk (blank lines between allowed) holding strong junk.

        Only the runs holding weak lines are visited (found by searches of the states, in C), each once: a
        document of many weak lines costs linear time.
        """
        state = self.state
        start = state.find(_WEAK)
        while start >= 0:
            # The run: the lines between the content lines around the weak line (blank and junk lines).
            first = state.rfind(_CONTENT, 0, start) + 1
            end = state.find(_CONTENT, start)
            end = len(state) if end < 0 else end
            if state.find(_STRONG, first, end) < 0 and state.find(_REGION, first, end) < 0:
                for index in range(start, end):
                    if state[index] == _WEAK:
                        state[index] = _CONTENT
                        self.why[index] = None
            start = state.find(_WEAK, end)

    # --- assembly --------------------------------------------------------------------------------

    def _remove_site_repeats(self) -> None:
        """Lines still content that the host's profile knows as its furniture (only lines of the main
        record: lines a layout made into related items stay with segmentation)."""
        site = self.site
        assert site is not None
        content = [line if state == _CONTENT else (None if line else "")
                   for line, state in zip(self.lines, self.state, strict=True)]
        settings = self.engine.site_settings
        removed = site.removals(self.host, content, settings)
        for index, found in removed.items():
            self.state[index] = _STRONG
            self.why[index] = DETECTOR
            self.evidence[index] = found
        summary = site.summary(self.host, settings, len(removed))
        if summary is not None:
            self.site_evidence = Evidence(DETECTOR, 0, 0, summary)

    def _line_starts(self) -> list[int]:
        """Where each (stripped) line starts in the text given to the engine: made with the lines by the compiled
        split, else here on the first removal."""
        if self._starts is None:
            raw = self.raw
            assert raw is not None
            # What was stripped in front of a line holds only whitespace and marks, so the line's first
            # occurrence in its raw line is where it starts.
            self._starts = [start + piece.find(line) for start, piece, line in
                            zip(accumulate(map(len, raw[:-1]), initial=self.offset), raw, self.lines, strict=True)]
        return self._starts

    def _remove(self, index: int, rule_id: str, start: int = 0, end: int | None = None,
                evidence: str | None = None) -> None:
        line = self.lines[index]
        end = len(line) if end is None else end
        at = self._line_starts()[index]
        self.removals.append(_new(Removal, (rule_id, at + start, at + end, line[start:end], evidence)))

    def _remove_lines(self) -> None:
        """Each line that stays junk, whole, as a removal: :meth:`_remove` for every such line, in one loop (a
        document removes many lines, and a call per line cost more than the removal)."""
        state, lines, evidence, removals, why = self.state, self.lines, self.evidence, self.removals, self.why
        if why.count(None) == len(why):
            return  # no line was named by a rule or detector (a search in C)
        starts = self._starts
        # Only the lines a rule or detector named are visited (picked out in C): most lines are named by none.
        for index in compress(range(len(why)), map(is_not, why, repeat(None))):
            if state[index] != _CONTENT:
                if starts is None:
                    starts = self._line_starts()
                line = lines[index]
                at = starts[index]
                # (tuple.__new__ makes the named tuple without its Python-level constructor: a third of the time)
                removals.append(_new(Removal, (why[index], at, at + len(line), line, evidence.get(index))))

    def _main_record(self, language: str) -> list[Record]:
        why = self.why
        if self.line_metadata:  # most documents have no line whose rule captured anything
            for index in sorted(self.line_metadata):
                producer, found = self.line_metadata[index]
                if self.state[index] != _CONTENT and why[index] == producer:
                    for name, value in found.items():
                        self.metadata.setdefault(name, value)
        if self.site is not None and self.host is not None:
            # (A document without a host is no page of a profiled host: the profile finds nothing in it.)
            self._remove_site_repeats()
        self._remove_lines()
        title = self.given_title
        options = self.engine.options
        state, lines = self.state, self.lines
        # The kept lines are found by searches of the states and picked out in C, not visited one by one.
        first = state.find(_CONTENT)
        start = first
        if first < 0:
            pass
        elif title is not None:
            if line_key(lines[first]) == line_key(title):
                start = first + 1  # the headline printed above the text is the title, not body
        elif options.title_from_first_line and state.find(_CONTENT, first + 1) >= 0:
            line = lines[first]
            if len(line) <= options.max_title_chars and not line.endswith(SENTENCE_END):
                title = normalize_line(line)
                start = first + 1
        if first < 0:
            text = ""
        elif start == 0:
            text = "\n".join(compress(lines, map(_CONTENT.__eq__, state)))
        else:
            text = "\n".join(compress(islice(lines, start, None), map(_CONTENT.__eq__, islice(state, start, None))))
        if not text:
            return []
        metadata = MappingProxyType(self.metadata) if self.metadata else NO_METADATA
        # (tuple.__new__ with every field: the named tuple's Python-level constructor filling in its defaults cost
        # a tiny document more than a microsecond)
        return [_new(Record, (self.doc_id, 0, "main", None, None, title, text, self.url, metadata, None, None,
                              language))]

    def _item_records(self, items: Sequence[tuple[Layout, SegmentItem]], language: str) -> list[Record]:
        records: list[Record] = []
        for number, (layout, item) in enumerate(items, start=1):
            fields = item.fields
            title = fields.get("title")
            body = [self.lines[i] for i in item.text_lines]
            if title and body and layout.title_echo == "strip":
                echo = _echo_length(body[0], title)
                if echo:
                    self._remove(item.text_lines[0], layout.id, 0, echo)
                    body[0] = body[0][echo:].lstrip()
                    if not body[0]:
                        body.pop(0)
            text = "\n".join(body)
            if "text" in fields:
                text = "\n".join(filter(None, (fields["text"], text)))
            records.append(Record(self.doc_id, number, layout.record_kind, fields.get("source"),
                                  fields.get("published"), title, text, self.url, language=language))
        return records


def _echo_length(line: str, title: str) -> int:
    """How many leading characters of ``line`` repeat ``title`` (whitespace may differ), or 0."""
    if title and line.startswith(title) and (len(line) == len(title) or line[len(title)].isspace()) and \
            title == " ".join(title.split()):
        # The usual echo: the title as it is, then a space (the walk below would take the same characters).
        return len(title)
    position = 0
    for word in title.split():
        while position < len(line) and line[position].isspace():
            position += 1
        if not line.startswith(word, position):
            return 0
        position += len(word)
    if position < len(line) and not line[position].isspace():
        return 0
    return position
