"""The compiled line matcher (``cleaner._native``), built from the engine's probes.

One call per document hands it the stripped lines; it answers, for the lines that need the engine, which
probes could match the whole (normalised) line and whether an exact-line rule could. Its answer is a superset
of what Python ``regex`` finds: the engine still confirms every candidate with Python ``regex`` (it needs the
match for what a rule captures), so the records are those of the pure-Python engine, by construction. What
the compiled matcher buys is that the lines no rule can match (nearly all of them) cost no Python at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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
#: A line as the scan hands it: (index, candidate probes, exact line possible, view or None).
Hit = tuple[int, tuple[int, ...], bool, ScannedView | None]


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
        self._compiled = _native.LineMatcher(patterns, longest, sorted(exact_keys), exact_longest,
                                             list(FOLDS_TO_ASCII), spaces, compiled)

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
        None when the lines cannot be handed over (a lone surrogate, which UTF-8 cannot hold): then the
        engine looks at every line itself."""
        try:
            return self.views.scan(self._compiled, lines)
        except UnicodeEncodeError:
            return None

    def matching(self, texts: list[str]) -> list[list[int]]:
        """For tests: the translated probes whose Rust form matches each text as a whole."""
        return self._compiled.matching(texts)

    def normalised(self, lines: list[str]) -> list[str]:
        """For tests: each line normalised as the matcher sees it."""
        return self._compiled.normalised(lines)

    def python_only(self) -> list[int]:
        """Positions of the probes with no translation (tried by Python on every line they may meet)."""
        return [n for n, t in enumerate(self.translations) if t.fidelity is Fidelity.PYTHON_ONLY]


#: How an engine gets its matcher from (probes, longest line, exact-line keys, longest exact key): the class
#: itself by default; a shell may hand the engine one that reuses what it built before (compiling the
#: built-in rules takes a good part of a second), as the library does for a process.
MatcherBuild = Callable[[tuple[ProbeSpec, ...], int, tuple[str, ...], int, PatternFacts], LineMatcher]
