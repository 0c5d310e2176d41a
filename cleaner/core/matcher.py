"""The compiled line matcher (``cleaner._native``), built from the engine's probes.

One call per document hands it the stripped lines; it answers, for the lines that need the engine, which
probes could match the whole (normalised) line and whether an exact-line rule could. Its answer is a superset
of what Python ``regex`` finds; what the compiled matcher buys is that the lines no rule can match (nearly all
of them) cost no Python at all.

Confirmation is native where it can be exact (:func:`cleaner.core.translate.confirmation`): the compiled core
matches the pattern as Python ``regex`` would, named groups' spans included, so the scan narrows a widened
translation's candidates to the probes that match and the engine asks the core, not Python, for a match's
groups (:func:`native_patterns`). Only the rest (a lookahead inside a pattern with named groups or in a long
repeat, a word boundary on a line with a character the two engines class differently) is confirmed by Python
``regex``, with its time bound. The differential tests (tests/test_native_matcher.py,
tests/test_confirm_arms.py) check every native answer against Python's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import cast

import regex

import cleaner._native as _native
from cleaner.core.facts import PatternFacts
from cleaner.core.translate import CharacterTables, Fidelity, Translation

#: The characters other than ASCII whose full case folding (``str.casefold``) is all ASCII: a line holding no
#: other non-ASCII character may fold to an ASCII exact-line key ("STRAẞE" to "strasse"). Checked against the
#: running Python's Unicode data by tests/test_native_matcher.py.
FOLDS_TO_ASCII = "ßſẞ\u212aﬀﬁﬂﬃﬄﬅﬆ"
#: Characters up to which ``str.isspace`` may hold (the engine strips the same range): a line is normalised
#: as ``" ".join(line.split())`` splits it.
_SPACES_BELOW = 0x3001

#: (pattern, flags, longest line it is tried on) of each probe, in the engine's rule order.
ProbeSpec = tuple[str, int, int]
#: A line's view as the scan hands it: (text, origin of each character, length of the normalised line,
#: candidate probes, exact line possible).
ScannedView = tuple[str, tuple[int, ...], int, tuple[int, ...], bool]
#: A line as the scan hands it: (index, candidate probes, exact line possible, view or None). Candidates None:
#: a line the engine tries as it does without the matcher (a native confirmation left it to Python).
Hit = tuple[int, tuple[int, ...] | None, bool, ScannedView | None]


#: No character from here on is changed by ``str.casefold`` (the cased scripts end in plane 1; checked against the
#: running Python by tests/test_native_matcher.py).
FOLDS_BELOW = 0x20000
#: Code points are folded in chunks of this many: a chunk ``str.casefold`` leaves as it is (most) is skipped.
_FOLD_CHUNK = 256


def case_folds() -> list[tuple[str, str]]:
    """Each character past ASCII that ``str.casefold`` changes, with its folding: the running Python's own
    (a line's casefold is its characters' foldings, one by one), for the scan to fold lines exactly."""
    found = []
    for start in range(0x80, FOLDS_BELOW, _FOLD_CHUNK):
        chunk = "".join(map(chr, range(start, start + _FOLD_CHUNK)))
        if chunk.casefold() != chunk:
            found += [(c, c.casefold()) for c in chunk if c.casefold() != c]
    return found


class LineMatcher:
    """The engine's probes compiled into one multi-pattern matcher (immutable; threads may share it)."""

    def __init__(self, probes: Sequence[ProbeSpec], longest: int, exact_keys: Sequence[str], exact_longest: int,
                 facts: PatternFacts | None = None, *, tables: CharacterTables | None = None,
                 compiled: bytes | None = None) -> None:
        """``facts``: the translations known from earlier builds (see :mod:`cleaner.core.facts`), used and added
        to. ``tables``: the engines' character tables to reuse (a shell keeps one for its process; built here
        when not given). ``compiled``: the compiled form of the set of these probes' translations, from
        :meth:`compiled_form` of an earlier matcher with the same ones (a shell's disk cache): used when it is
        one, else the set is compiled."""
        facts = facts if facts is not None else PatternFacts()
        if facts.tables is None:
            facts.tables = tables or CharacterTables()
        #: Makes each line's matching view (see :func:`cleaner.core.text.matching_view`), in the scan too.
        self.views: _native.Views = facts.tables.views()
        self.translations: tuple[Translation, ...] = tuple(facts.translate(pattern, flags)
                                                           for pattern, flags, _ in probes)
        patterns = [(n, t.rust, bound) for n, (t, (_, _, bound)) in enumerate(zip(self.translations, probes,
                                                                                   strict=True))]
        spaces = [c for c in map(chr, range(_SPACES_BELOW)) if c.isspace() and not c.isascii()]
        # Keys past ASCII (a user's exact lines in other languages): the scan folds lines as Python does and
        # looks them up, rather than handing Python every line past ASCII.
        folds = case_folds() if any(not key.isascii() for key in exact_keys) else None
        self._compiled = _native.LineMatcher(patterns, longest, sorted(exact_keys), exact_longest,
                                             list(FOLDS_TO_ASCII), spaces, compiled, folds)
        # The probes whose candidates the compiled core narrows to those that match (a translation widened
        # for the set's sake, confirmed exactly on the candidate lines): the scan's verdict on them is exact.
        tables = facts.tables
        confirmers = [None if t.fidelity is Fidelity.EXACT
                      else tables.confirmer(pattern, flags, facts.confirmation(pattern, flags))
                      for t, (pattern, flags, _) in zip(self.translations, probes, strict=True)]
        #: Positions of the probes the scan answers exactly (translated exactly, or narrowed).
        self.exact: frozenset[int] = frozenset(
            n for n, (t, c) in enumerate(zip(self.translations, confirmers, strict=True))
            if t.fidelity is Fidelity.EXACT or c is not None)
        self._refiner = _native.Refiner(confirmers, spaces) if any(c is not None for c in confirmers) else None

    def wait(self) -> None:
        """Returns once the pattern set is ready: one rebuilt from its compiled form is rebuilt on a thread of
        the compiled core's own, so that the caller's work goes on beside it (its first use waits too)."""
        self._compiled.wait()

    @property
    def from_compiled(self) -> bool:
        """Whether the pattern set was rebuilt from the compiled form given (False: compiled here)."""
        return self._compiled.from_compiled

    def compiled_form(self) -> bytes | None:
        """The pattern set's compiled form (a few MB for the built-in rules), for a shell to store: a matcher
        given it builds in a small fraction of the time (None when there is no pattern to compile)."""
        return self._compiled.compiled_form()

    def scan(self, lines: list[str]) -> list[Hit] | None:
        """``(index, candidate probes, exact possible, view)`` for each line that needs the engine, in line
        order; the lines left out are empty, longer than every bound, or lines that can match no probe and no
        exact line, as they are nor by their view (see :func:`cleaner.core.text.matching_view`). The view
        is None unless the line has one that a probe or an exact line may match: then ``(text, origin, length
        of the normalised line, the view's candidate probes, exact possible on the view)``.
        The candidates of the probes in :attr:`exact` are those that match (a widened translation's candidates
        are narrowed by native confirmation); a line on which a native confirmation cannot answer (see
        :data:`UNSURE`) is handed back with candidates None, for the engine to try as without the matcher.
        None when the lines cannot be handed over (a lone surrogate, which UTF-8 cannot hold): then the
        engine looks at every line itself."""
        try:
            hits = self.views.scan(self._compiled, lines)
        except UnicodeEncodeError:
            return None
        if self._refiner is None:
            return cast(list[Hit], hits)  # (candidates never None: the scan's own answer)
        return self._refiner.refine(lines, hits)

    def matching(self, texts: list[str]) -> list[list[int]]:
        """For tests: the translated probes whose Rust form matches each text as a whole."""
        return self._compiled.matching(texts)

    def normalised(self, lines: list[str]) -> list[str]:
        """For tests: each line normalised as the matcher sees it."""
        return self._compiled.normalised(lines)

    def python_only(self) -> list[int]:
        """Positions of the probes with no translation (tried by Python on every line they may meet)."""
        return [n for n, t in enumerate(self.translations) if t.fidelity is Fidelity.PYTHON_ONLY]


#: What a confirmation (:meth:`cleaner._native.Confirmer.fullmatch`) answers when the line is Python's to confirm:
#: it holds a character the two engines class differently beside a word boundary.
UNSURE = False


def native_patterns(patterns: Iterable[regex.Pattern[str]], facts: PatternFacts
                    ) -> dict[regex.Pattern[str], _native.Confirmer]:
    """The patterns the compiled core confirms exactly, captures included (see
    :func:`cleaner.core.translate.confirmation`), each with its confirmation: bounded by construction (the
    core's engines take time linear in the line), so it needs no time bound. Compiled once per character
    tables of ``facts``, which a shell keeps for its process; a confirmation's ``fullmatch`` answers None (no
    match), :data:`UNSURE`, or a match read as a ``regex`` match is (``groupdict``, ``span``, ``start``)."""
    if facts.tables is None:
        facts.tables = CharacterTables()
    tables = facts.tables
    found: dict[regex.Pattern[str], _native.Confirmer] = {}
    for pattern in patterns:
        confirmer = tables.confirmer(pattern.pattern, pattern.flags,
                                     facts.confirmation(pattern.pattern, pattern.flags))
        if confirmer is not None:
            found[pattern] = confirmer
    return found


#: How an engine gets its matcher from (probes, longest line, exact-line keys, longest exact key): the class
#: itself by default; a shell may hand the engine one that reuses what it built before (compiling the
#: built-in rules takes a good part of a second), as the library does for a process.
MatcherBuild = Callable[[tuple[ProbeSpec, ...], int, tuple[str, ...], int, PatternFacts], LineMatcher]
