"""Rule patterns (Python ``regex`` syntax) written in the syntax of Rust's ``regex`` crate, for the compiled
line matcher (``cleaner._native``).

The translation is made from the pattern's parse tree (the standard library's parser, as in
:mod:`cleaner.core.analysis`), never by editing the pattern's text, and says how faithful it is:

- ``exact``: every construct has the same meaning in both engines on the lines the engine matches (whitespace
  normalised, so no line break inside), and the compiled matcher's verdict equals Python's.
- ``superset``: constructs Rust's engine lacks were left out in a way that can only add matches: lookarounds
  dropped (a condition removed), atomic groups and possessive repeats read as ordinary ones. The compiled
  matcher then answers "may match", and Python ``regex`` confirms on those lines only. Two constructs Rust has
  are widened all the same, for speed: a word boundary (Unicode ``\\b`` makes Rust's fast engine give up on
  text past ASCII) is dropped, and a bounded repeat of a large class is read as unbounded (each count is a
  copy of the class's automaton: seconds to build).
- ``python-only``: no translation (backreferences, conditionals, ``regex``-only syntax such as ``\\p{..}`` or
  fuzzy matching, flags the matcher does not model): Python tries the pattern on every line its other gates
  allow, as before the compiled matcher existed.

A translation for the matcher's set only ever has to be a superset for the records to stay the same: its
candidates are confirmed. :func:`confirmation` writes the second, exact form a candidate is confirmed with by
the compiled core (bounded repeats, laziness, word boundaries and named groups kept; a lookaround where it
stands at the line's start or end, as a check beside the pattern; one inside a pattern without named groups,
by the pattern's arms: see :func:`_armed`); a pattern it cannot write exactly is confirmed by Python
``regex``. The differential tests (tests/test_native_matcher.py, tests/test_confirm_arms.py) check every
claim against Python ``regex``.
"""

from __future__ import annotations

import re
import sys
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

import regex

import cleaner._native as _native
from cleaner.core.analysis import C, parse_tree, sre_parse
from cleaner.core.text import ViewTables, build_views, view_tables

#: Flags the translation models. ``regex`` adds UNICODE and VERSION0 to every str pattern by default; VERBOSE
#: only changes how the pattern is read, which the parser has done.
_MODELLED = regex.IGNORECASE | regex.MULTILINE | regex.DOTALL | regex.VERBOSE | regex.UNICODE | regex.VERSION0
#: The inline flags that may change inside a group, and their letters in both syntaxes.
_LOCAL = {re.IGNORECASE: "i", re.MULTILINE: "m", re.DOTALL: "s"}
#: Each category and whether it is the complement of another: (its positive class, negated).
_CATEGORIES = {C.CATEGORY_DIGIT: (r"\d", False), C.CATEGORY_NOT_DIGIT: (r"\d", True),
               C.CATEGORY_SPACE: (r"\s", False), C.CATEGORY_NOT_SPACE: (r"\s", True),
               C.CATEGORY_WORD: (r"\w", False), C.CATEGORY_NOT_WORD: (r"\w", True)}
_ANCHORS = {C.AT_BEGINNING: "^", C.AT_BEGINNING_STRING: r"\A", C.AT_END: "$", C.AT_END_STRING: r"\z"}
_POSSESSIVE = getattr(C, "POSSESSIVE_REPEAT", None)
_ATOMIC = getattr(C, "ATOMIC_GROUP", None)


class Fidelity(Enum):
    """How far the compiled matcher's verdict on a pattern can be trusted (see the module's docstring)."""

    EXACT = "exact"
    SUPERSET = "superset"
    PYTHON_ONLY = "python-only"


@dataclass(frozen=True, slots=True)
class Translation:
    """A pattern in Rust syntax (None when python-only), how faithful it is, and why it is not exact."""

    rust: str | None
    fidelity: Fidelity
    #: The constructs that made it a superset or python-only, comma-separated ("" when exact).
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A pattern as the compiled core confirms it on a line (see :func:`confirmation`): the whole-line match in
    Rust syntax, the named groups it hands back (in Python's group order), conditions checked beside it (a
    lookaround at the line's start or end), and whether it holds a word boundary (answered natively only on
    lines whose characters both engines class alike). ``rust`` is None when Python must confirm: ``reason``."""

    rust: str | None
    names: tuple[str, ...] = ()
    #: The name Python gives each group of ``names`` (the ``regex`` package allows a name twice: written in Rust
    #: syntax, each repeat gets a name of its own).
    python_names: tuple[str, ...] = ()
    #: (positive, pattern in Rust syntax): the line must (or must not) match each, searched as written.
    checks: tuple[tuple[bool, str], ...] = ()
    word_boundary: bool = False
    reason: str = ""
    #: The ways through a pattern with a lookahead inside it that hold one (``rust`` is then the others): each
    #: a list of (kind, pattern in Rust syntax) steps (see :func:`_arm_steps`). Only a verdict is given: a
    #: pattern with named groups has none.
    arms: tuple[tuple[tuple[int, str], ...], ...] = ()
    #: Lookaheads inside a pattern with named groups, each at a place every whole-line match passes at the same
    #: offset (see :func:`_junction`): (positive, the lookahead in Rust syntax, searched anchored there, the name
    #: of the empty group ``rust`` holds at that place).
    junctions: tuple[tuple[bool, str, str], ...] = ()
    #: For a junction whose preceding part may end at several places (see :func:`_junction`): that part, and the
    #: pattern's part after the junction up to the line's end (named groups kept), both in Rust syntax; empty
    #: when the junction's place is fixed.
    places: tuple[str, ...] = ()


class _Untranslatable(Exception):
    """A construct with no Rust equivalent, not even a wider one."""


#: The flags that change how the standard parser reads a pattern: a tree parsed with ``flags & PARSE_FLAGS``
#: is the one :func:`translate` reads.
PARSE_FLAGS = re.IGNORECASE | re.MULTILINE | re.DOTALL | re.VERBOSE
_UNPARSED = object()


def translate(pattern: str, flags: int, tables: CharacterTables | None = None, parsed: Any = _UNPARSED
              ) -> Translation:
    """The Rust-syntax form of ``pattern`` compiled by ``regex`` with ``flags``, matched as a whole line.
    ``tables``: the engines' character tables to reuse (built here when not given). ``parsed``: the pattern's
    tree as :func:`cleaner.core.analysis.parse_tree` gives it for ``flags & PARSE_FLAGS``, when the caller has
    it (parsed here when not given)."""
    if flags & ~_MODELLED:
        return Translation(None, Fidelity.PYTHON_ONLY, "flags other than IGNORECASE, MULTILINE, DOTALL, VERBOSE")
    if parsed is _UNPARSED:
        parsed = parse_tree(pattern, flags & PARSE_FLAGS)
    if parsed is None:
        return Translation(None, Fidelity.PYTHON_ONLY, "syntax of the regex package only (or read differently)")
    widened: set[str] = set()
    try:
        body = _sequence(list(parsed), widened, bool(parsed.state.flags & re.IGNORECASE), tables or CharacterTables())
    except _Untranslatable as exc:
        return Translation(None, Fidelity.PYTHON_ONLY, str(exc))
    letters = "".join(letter for bit, letter in _LOCAL.items() if parsed.state.flags & bit)
    rust = f"(?{letters}){body}" if letters else body
    if widened:
        return Translation(rust, Fidelity.SUPERSET, ", ".join(sorted(widened)))
    return Translation(rust, Fidelity.EXACT)


def _literal(code: int) -> str:
    char = chr(code)
    if char.isascii() and (char.isalnum() or char == " "):
        return char
    return f"\\x{{{code:X}}}"


def _python_char(code: int) -> str:
    return f"\\U{code:08x}"


# --- where the two engines' Unicode differs --------------------------------------------------------------
# Python ``regex`` follows a newer Unicode than Rust's regex crate (newly assigned letters and digits are \w and
# \d to it, not yet to Rust), and folds a few more characters together under IGNORECASE ("İ" with "i"). Each
# class is written with the characters Python's has and Rust's lacks added, asked of both engines themselves:
# so a class means the same set in both, and its complement too. Pure functions of the installed engines.


class CharacterTables:
    """Where the two engines' Unicode data differ, asked of both engines on first use and kept for this
    object's life (building them costs part of a second; a shell keeps one object for its process)."""

    def __init__(self) -> None:
        self._every: str | None = None
        self._cased: str | None = None
        self._category_extra: dict[str, str] = {}
        self._case_extra: dict[tuple[int, int], str] = {}
        self._members: dict[tuple[int, int, bool], str] = {}
        self._category: dict[Any, tuple[str, bool]] = {}
        self._views: _native.Views | None = None
        self._view_tables: ViewTables | None = None
        self._word_unsure: str | None = None
        self._confirmers: dict[tuple[str, int], _native.Confirmer | None] = {}

    def every_character(self) -> str:
        """Every code point a string handed to Rust can hold (no surrogates), in order."""
        if self._every is None:
            codes = array("I", range(0xD800))
            codes.extend(range(0xE000, sys.maxunicode + 1))
            self._every = codes.tobytes().decode("utf-32-le" if sys.byteorder == "little" else "utf-32-be")
        return self._every

    def views(self) -> _native.Views:
        """The compiled maker of matching views (:func:`cleaner.core.text.build_views`), told where Python's
        Unicode data and the compiled core's differ."""
        if self._views is None:
            self._views = build_views(self.view_tables())
        return self._views

    def view_tables(self) -> ViewTables:
        """Those differences (:func:`cleaner.core.text.view_tables`), as given or asked on first use."""
        if self._view_tables is None:
            self._view_tables = view_tables()
        return self._view_tables

    def offer_view_tables(self, tables: ViewTables) -> None:
        """Tables stored by an earlier build with this Python and compiled module (a shell's cache), used unless
        these tables already hold their own."""
        if self._view_tables is None:
            self._view_tables = tables

    def cased(self) -> str:
        """The characters whose case can change (in ``regex``'s own Unicode data): the only ones IGNORECASE
        relates to others."""
        if self._cased is None:
            self._cased = regex.sub(r"\P{Changes_When_Casemapped}+", "", self.every_character())
        return self._cased

    def category_extra(self, category: str) -> str:
        """The characters Python's ``category`` (\\w, \\d, \\s) matches and Rust's does not."""
        found = self._category_extra.get(category)
        if found is None:
            python = regex.sub(f"[^{category}]+", "", self.every_character())
            found = self._category_extra[category] = _native.remove_all(category, python)
        return found

    def case_extra(self, low: int, high: int) -> str:
        """The characters Python matches and Rust does not for the range (a character when equal) under
        IGNORECASE."""
        found = self._case_extra.get((low, high))
        if found is None:
            python = "".join(regex.findall(f"[{_python_char(low)}-{_python_char(high)}]", self.cased(),
                                           flags=regex.IGNORECASE))
            found = self._case_extra[(low, high)] = _native.remove_all(f"(?i)[{_literal(low)}-{_literal(high)}]",
                                                                       python)
        return found

    def members(self, low: int, high: int, ignore_case: bool) -> str:
        """A class's members for a range (a character when equal), in Rust syntax, with Python's extra folds."""
        found = self._members.get((low, high, ignore_case))
        if found is None:
            base = _literal(low) if low == high else f"{_literal(low)}-{_literal(high)}"
            found = base + (_ranges(self.case_extra(low, high)) if ignore_case else "")
            self._members[(low, high, ignore_case)] = found
        return found

    def word_unsure(self) -> str:
        """The characters Python's ``\\w`` and Rust's class differently: a word boundary next to one may be
        read differently (Python's ``\\b`` is its ``\\w`` boundary, a test checks it over every code point)."""
        if self._word_unsure is None:
            rust_words = _native.remove_all(r"\W", self.every_character())
            rust_only = regex.sub(r"\w+", "", rust_words)
            self._word_unsure = "".join(sorted(set(rust_only) | set(self.category_extra(r"\w"))))
        return self._word_unsure

    def confirmer(self, pattern: str, flags: int, found: Confirmation | None = None) -> _native.Confirmer | None:
        """The compiled core's exact confirmation of the pattern (see :func:`confirmation`; ``found``: the
        confirmation when the caller knows it), compiled once for this object's life; None when Python must
        confirm (no exact translation, or too large to compile)."""
        key = (pattern, flags)
        if key in self._confirmers:
            return self._confirmers[key]
        if found is None:
            found = confirmation(pattern, flags, self)
        # Compiled on first use (see src/confirm.rs: the pattern cut to the characters of most lines, the pattern
        # itself for the first other line): one past the size bound answers that Python confirms.
        compiled = None if found.rust is None else _native.Confirmer(
            found.rust, list(found.names), list(found.python_names), list(found.checks),
            self.word_unsure if found.word_boundary else None, [list(steps) for steps in found.arms],
            list(found.junctions), (found.places[0], found.places[1]) if found.places else None)
        self._confirmers[key] = compiled
        return compiled

    def category(self, argument: Any) -> tuple[str, bool]:
        """The category's class (with Python's extra characters), and whether it is negated."""
        found = self._category.get(argument)
        if found is None:
            name, negated = _CATEGORIES[argument]
            found = self._category[argument] = (name + _ranges(self.category_extra(name)), negated)
        return found


def _ranges(chars: str) -> str:
    """Class members in Rust syntax for a sorted string of characters, runs written as ranges."""
    parts: list[str] = []
    codes = [ord(char) for char in chars]
    start = 0
    for end in range(1, len(codes) + 1):
        if end == len(codes) or codes[end] != codes[end - 1] + 1:
            low, high = codes[start], codes[end - 1]
            parts.append(_literal(low) if low == high else f"{_literal(low)}-{_literal(high)}")
            start = end
    return "".join(parts)


def _class_item(op: Any, argument: Any, ignore_case: bool, tables: CharacterTables) -> str:
    if op is C.LITERAL:
        return tables.members(argument, argument, ignore_case)
    if op is C.RANGE:
        return tables.members(argument[0], argument[1], ignore_case)
    if op is C.CATEGORY and argument in _CATEGORIES:
        members, negated = tables.category(argument)
        return f"[^{members}]" if negated else members
    raise _Untranslatable(f"character class item {op}")


def _wide(items: list[tuple[Any, Any]]) -> bool:
    """Whether the items hold a large character class: a Unicode category, a negated set, or any character."""
    for op, argument in items:
        if op in (C.NOT_LITERAL, C.ANY):
            return True
        if op is C.IN and any(o in (C.NEGATE, C.CATEGORY) for o, _ in argument):
            return True
        if op is C.IN and any(o is C.RANGE and a[1] - a[0] > 255 for o, a in argument):
            return True
        if op is C.BRANCH and any(_wide(list(alternative)) for alternative in argument[1]):
            return True
        if op is C.SUBPATTERN and _wide(list(argument[3])):
            return True
        repeat = op in (C.MAX_REPEAT, C.MIN_REPEAT) or (_POSSESSIVE is not None and op is _POSSESSIVE)
        if repeat and _wide(list(argument[2])):
            return True
        if _ATOMIC is not None and op is _ATOMIC and _wide(list(argument)):
            return True
    return False


def _sequence(items: list[tuple[Any, Any]], widened: set[str], ignore_case: bool, tables: CharacterTables) -> str:
    return "".join(_node(op, argument, widened, ignore_case, tables) for op, argument in items)


def _group(items: list[tuple[Any, Any]], widened: set[str], ignore_case: bool, tables: CharacterTables) -> str:
    return f"(?:{_sequence(items, widened, ignore_case, tables)})"


def _node(op: Any, argument: Any, widened: set[str], ignore_case: bool, tables: CharacterTables) -> str:
    if op is C.LITERAL:
        members = tables.members(argument, argument, ignore_case)
        return members if members == _literal(argument) else f"[{members}]"
    if op is C.NOT_LITERAL:
        return f"[^{tables.members(argument, argument, ignore_case)}]"
    if op is C.ANY:
        return "."
    if op is C.IN:
        negated = bool(argument) and argument[0][0] is C.NEGATE
        items = argument[1:] if negated else argument
        if not items:
            raise _Untranslatable("empty character class")
        return ("[^" if negated else "[") + "".join(_class_item(o, a, ignore_case, tables) for o, a in items) + "]"
    if op is C.BRANCH:
        return "(?:" + "|".join(_sequence(list(alternative), widened, ignore_case, tables)
                                for alternative in argument[1]) + ")"
    if op is C.SUBPATTERN:
        _group_id, add, remove, items = argument
        if (add | remove) & ~(re.IGNORECASE | re.MULTILINE | re.DOTALL | re.VERBOSE | re.UNICODE):
            raise _Untranslatable("inline flags other than i, m, s, x")
        on = "".join(letter for bit, letter in _LOCAL.items() if add & bit)
        off = "".join(letter for bit, letter in _LOCAL.items() if remove & bit)
        flags = on + ("-" + off if off else "")
        inner = (ignore_case or bool(add & re.IGNORECASE)) and not remove & re.IGNORECASE
        return (f"(?{flags}:{_sequence(list(items), widened, inner, tables)})" if flags
                else _group(list(items), widened, inner, tables))
    if op in (C.MAX_REPEAT, C.MIN_REPEAT) or (_POSSESSIVE is not None and op is _POSSESSIVE):
        low, high, items = argument
        if op is not C.MAX_REPEAT and op is not C.MIN_REPEAT:
            widened.add("possessive repeat (read as greedy)")
        if high != C.MAXREPEAT and high > max(low, 1) and _wide(list(items)):
            # Each count of a bounded repeat is a copy of its automaton, and a Unicode class (\w, \d, a negated
            # set) is a large one: "[\w.-]{1,16}" inside "{0,12}" costs seconds to build. Unbounded, it is
            # one copy; the engine's bound on the line's length (max_chars) still holds.
            widened.add("bounded repeat of a Unicode class read as unbounded")
            high = C.MAXREPEAT
        bounds = f"{{{low},}}" if high == C.MAXREPEAT else f"{{{low},{high}}}" if high != low else f"{{{low}}}"
        # Laziness changes which match is found, never whether the whole line matches.
        return _group(list(items), widened, ignore_case, tables) + bounds
    if _ATOMIC is not None and op is _ATOMIC:
        widened.add("atomic group (read as plain)")
        return _group(list(argument), widened, ignore_case, tables)
    if op is C.AT:
        if argument in (C.AT_BOUNDARY, C.AT_NON_BOUNDARY):
            # Rust's fast (lazy DFA) engine gives up on a Unicode word boundary at the first character past
            # ASCII and falls back to one twenty times slower: dropped, the condition is Python's to check.
            widened.add("word boundary dropped")
            return ""
        if argument not in _ANCHORS:
            raise _Untranslatable(f"anchor {argument}")
        return _ANCHORS[argument]
    if op in (C.ASSERT, C.ASSERT_NOT):
        direction, _items = argument
        widened.add(("lookbehind" if direction < 0 else "lookahead") + (" (negative)" if op is C.ASSERT_NOT else "")
                    + " dropped")
        return ""
    if op is C.GROUPREF:
        raise _Untranslatable("backreference")
    if op is getattr(C, "GROUPREF_EXISTS", None):
        raise _Untranslatable("conditional group")
    raise _Untranslatable(f"construct {op}")


# --- exact confirmation -----------------------------------------------------------------------------------
# The line matcher's translation may widen a pattern (it only has to be a superset). The one below may not: a
# line it matches is one Python matches, with the same spans for every named group, so the compiled core can
# confirm a candidate without Python ``regex``. Both engines pick, of the ways a pattern can match the whole
# line, the first one a backtracking search would try (Rust's "leftmost-first" semantics), so kept greedy and
# lazy repeats capture the same; where the engines' rules might part (a repeat of something that can match
# the empty string, whose empty turns they treat differently) a pattern with named groups is left to Python.


class _Exact:
    """What one pattern's exact translation gathers on its way."""

    def __init__(self, tables: CharacterTables, names: dict[int, str], state: Any) -> None:
        self.tables = tables
        self.names = names
        self.state = state
        self.checks: list[tuple[bool, str]] = []
        self.word_boundary = False
        self.nullable_repeat = False
        self.letters = ""
        #: Inside a negative lookaround: its groups never take part in a match (written without a name).
        self.negative = False
        #: The numbers of the named groups that never take part.
        self.absent: set[int] = set()
        #: The pattern's top-level items (a lookahead among them may be a junction), and the junctions found.
        self.top: list[tuple[Any, Any]] | None = None
        self.junctions: list[tuple[bool, str, str]] = []
        #: A junction at several places (see :func:`_junction`): the part before it (set by ``_junction``), and
        #: the top-level index of its lookahead, then the part after it (set by ``_exact_sequence``).
        self.places_before: str | None = None
        self.places: tuple[str, ...] = ()


def confirmation(pattern: str, flags: int, tables: CharacterTables | None = None, parsed: Any = _UNPARSED
                 ) -> Confirmation:
    """How the compiled core confirms ``pattern`` (compiled by ``regex`` with ``flags``) on a whole line,
    exactly, captures included; ``rust`` None (with the reason) when only Python ``regex`` can."""
    if flags & ~_MODELLED:
        return Confirmation(None, reason="flags other than IGNORECASE, MULTILINE, DOTALL, VERBOSE")
    if parsed is _UNPARSED:
        parsed = parse_tree(pattern, flags & PARSE_FLAGS)
    aliases: dict[str, str] = {}
    if parsed is None:
        renamed, aliases = _renamed_repeats(pattern, flags)
        parsed = parse_tree(renamed, flags & PARSE_FLAGS) if aliases else None
    if parsed is None:
        return Confirmation(None, reason="syntax of the regex package only (or read differently)")
    state = parsed.state
    names = {number: name for name, number in state.groupdict.items()}
    work = _Exact(tables or CharacterTables(), names, state)
    work.letters = "".join(letter for bit, letter in _LOCAL.items() if state.flags & bit)
    work.top = list(parsed)
    try:
        body = _exact_sequence(work.top, work, bool(state.flags & re.IGNORECASE), True, True)
    except _Inside as exc:
        return _armed(parsed, work, str(exc))
    except _Untranslatable as exc:
        return Confirmation(None, reason=str(exc))
    if names and work.nullable_repeat:
        return Confirmation(None, reason="a repeat of what may match nothing, in a pattern with named groups")
    if work.places and len(work.junctions) > 1:
        return Confirmation(None, reason="lookahead inside the pattern, where what precedes it may end at two "
                                         "places, beside another one")
    prefix = f"(?{work.letters})" if work.letters else ""
    ordered = tuple(sorted(names.items()))
    return Confirmation(f"{prefix}\\A(?:{body})\\z", tuple("" if n in work.absent else name for n, name in ordered),
                        tuple(aliases.get(name, name) for _n, name in ordered), tuple(work.checks),
                        work.word_boundary, junctions=tuple(work.junctions), places=work.places)


_NAMED_GROUP = re.compile(r"\(\?P<([^\W\d]\w*)>")


def _renamed_repeats(pattern: str, flags: int) -> tuple[str, dict[str, str]]:
    """The pattern with each repeat of a group name (which the ``regex`` package allows and the standard parser
    refuses) renamed, and each new name's original; no names when there is none or the renaming is not proven
    to have renamed groups only: ``regex`` must read the renamed pattern with the same groups, the repeats as
    groups of their own."""
    seen: set[str] = set()
    aliases: dict[str, str] = {}
    parts: list[str] = []
    last = 0
    for found in _NAMED_GROUP.finditer(pattern):
        name = found.group(1)
        if name not in seen:
            seen.add(name)
            continue
        alias = f"{name}_{len(aliases) + 1}"
        while alias in seen or alias in aliases or f"(?P<{alias}>" in pattern:
            alias += "_"
        aliases[alias] = name
        parts.append(pattern[last:found.start()] + f"(?P<{alias}>")
        last = found.end()
    if not aliases:
        return pattern, {}
    renamed = "".join(parts) + pattern[last:]
    try:
        original, written = regex.compile(pattern, flags), regex.compile(renamed, flags)
    except (regex.error, ValueError):
        return pattern, {}
    if set(written.groupindex) != set(original.groupindex) | set(aliases) or \
            written.groups != original.groups + len(aliases):
        return pattern, {}
    return renamed, aliases


def _width(items: list[tuple[Any, Any]], work: _Exact) -> tuple[int, int]:
    return sre_parse.SubPattern(work.state, items).getwidth()  # type: ignore[no-any-return]


def _exact_sequence(items: list[tuple[Any, Any]], work: _Exact, ignore_case: bool, start: bool, end: bool) -> str:
    """``start``/``end``: every path through the pattern reaches these items at the line's start (nothing taken
    before them) / leaves them at its end (nothing taken after)."""
    # Widths only where a place can be fixed (most sequences stand in a branch or a repeat: none is).
    zero = [_width([item], work)[1] == 0 for item in items] if start or end else []
    parts: list[str] = []
    placed = -1  # the index in ``parts`` of a junction at several places, if one is among these items
    skip = False
    for number, (op, argument) in enumerate(items):
        if skip:
            skip = False
            continue
        at_start = start and all(zero[:number])
        at_end = end and all(zero[number + 1:])
        if items is work.top and work.names and op in (C.ASSERT, C.ASSERT_NOT) and argument[0] > 0 \
                and not at_start and not at_end:
            several = work.places_before is None
            if several:
                placed = len(parts)
            parts.append(_junction(op is C.ASSERT, list(argument[1]), items[:number], work, ignore_case))
            continue
        folded = _last_not(items, number, work, ignore_case, end and all(zero[number + 2:]))
        if folded is not None:
            parts.append(folded)
            skip = True
            continue
        parts.append(_exact_node(op, argument, work, ignore_case, at_start, at_end))
    if items is work.top and work.places_before is not None:
        # The part after the junction, matched from the place the core picks up to the line's end.
        prefix = f"(?{work.letters})" if work.letters else ""
        work.places = (work.places_before, f"{prefix}(?:{''.join(parts[placed + 1:])})\\z")
    return "".join(parts)


#: The nodes that match one character, written as a class (or a literal) by :func:`_node`.
_ONE_CHARACTER = (C.LITERAL, C.NOT_LITERAL, C.IN)


def _last_not(items: list[tuple[Any, Any]], number: int, work: _Exact, ignore_case: bool, at_end: bool
              ) -> str | None:
    """A repeat of one character's class X (at least once) followed by a negative lookbehind for one
    character's class C, as REL110's title ``[^\\n]{10,250}?(?<![.,;:])``, written without the lookbehind:
    X one count fewer, then one character of X and not of C. Each count n the repeat tries (in its order, lazy
    or greedy) is count n-1 then that last character, which the lookbehind only ever read: the same ways in
    the same order, the same captures. None when the items there are not of that shape (or the lookbehind
    stands at the line's end on every path, where it is checked beside the pattern)."""
    if number + 1 >= len(items) or at_end:
        return None
    (op, argument), (look, behind) = items[number], items[number + 1]
    if op not in (C.MAX_REPEAT, C.MIN_REPEAT) or look is not C.ASSERT_NOT or behind[0] >= 0:
        return None
    low, high, repeated = argument
    repeated, checked = list(repeated), list(behind[1])
    if low < 1 or len(repeated) != 1 or len(checked) != 1 or repeated[0][0] not in _ONE_CHARACTER \
            or checked[0][0] not in _ONE_CHARACTER:
        return None

    def bracketed(node: tuple[Any, Any]) -> str:
        written = _node(*node, set(), ignore_case, work.tables)
        return written if written.startswith("[") else f"[{written}]"

    if high == low:
        bounds = f"{{{low - 1}}}"
    else:
        rest = "" if high == C.MAXREPEAT else str(high - 1)
        bounds = f"{{{low - 1},{rest}}}" + ("?" if op is C.MIN_REPEAT else "")
    return f"(?:{bracketed(repeated[0])}){bounds}[{bracketed(repeated[0])}&&[^{bracketed(checked[0])}]]"


def _junction(positive: bool, items: list[tuple[Any, Any]], before: list[tuple[Any, Any]], work: _Exact,
              ignore_case: bool) -> str:
    """A lookahead among the pattern's top-level items (``before``: the items ahead of it), in a pattern with
    named groups, checked beside the match: every whole-line match takes ``before`` over a prefix of the line,
    and when no string ``before`` matches is a proper prefix of another (proven on its automaton by the
    compiled core; a wider translation of ``before`` serves, its strings holding every string of the
    pattern's), two matches cannot leave it at two places. Then the lookahead holds at that one place for every
    whole-line match or for none, and Python's match is the first whole-line match of the pattern without it
    (the exact translation's), when it holds there. Written as an empty group marking the place."""
    if positive and not items:
        return ""  # an empty lookahead always holds
    if positive and any(op is C.SUBPATTERN and arg[0] in work.names for op, arg in _walk(items)):
        raise _Untranslatable("named group inside a positive lookaround")
    prefix = f"(?{work.letters})" if work.letters else ""
    try:
        ahead = prefix + _sequence(before, set(), bool(work.state.flags & re.IGNORECASE), work.tables)
    except _Untranslatable as exc:
        raise _Inside(f"lookahead inside the pattern ({exc})") from exc
    if _native.prefix_free(ahead) is not True:
        _several_places(before, ahead, work, ignore_case)
    body = _lookaround_body(positive, items, work, ignore_case)
    taken = set(work.names.values()) | {name for _p, _b, name in work.junctions}
    marker = f"look{len(work.junctions)}"
    while marker in taken:
        marker += "_"
    work.junctions.append((positive, f"{prefix}{body})", marker))
    return f"(?P<{marker}>)"


def _several_places(before: list[tuple[Any, Any]], ahead: str, work: _Exact, ignore_case: bool) -> None:
    """A junction whose preceding part (``before``, ``ahead`` its Rust form) may end at several places of a line
    (REL110's ``\\s*`` before its lookahead). Python's match is the first way through the pattern whose place
    the lookahead accepts, and the core finds it when no way through ``before`` captures anything: its first
    match without the lookahead when the lookahead holds at its place; otherwise the places ``before`` can end
    at (read from its automaton: ``ahead`` must then be its exact form, which the wide translation is when it
    widened nothing) where the lookahead holds and the rest of the pattern matches up to the line's end. None:
    no match; one: the rest's match from there (its captures are all the pattern's); more: Python's to say,
    which of those ways it meets first."""
    if work.places_before is not None or work.junctions:
        raise _Inside("lookahead inside the pattern, where what precedes it may end at two places, beside another")
    if any(op is C.SUBPATTERN and arg[0] in work.names for op, arg in _walk(before)):
        raise _Inside("lookahead inside the pattern, where what precedes it may end at two places and captures")
    widened: set[str] = set()
    prefix = f"(?{work.letters})" if work.letters else ""
    exact = prefix + _sequence(before, widened, bool(work.state.flags & re.IGNORECASE), work.tables)
    if widened or exact != ahead:
        raise _Inside("lookahead inside the pattern, where what precedes it may end at two places (" +
                      ", ".join(sorted(widened)) + ")")
    work.places_before = ahead


def _exact_node(op: Any, argument: Any, work: _Exact, ignore_case: bool, start: bool, end: bool) -> str:
    if op is C.SUBPATTERN:
        group_id, add, remove, items = argument
        if (add | remove) & ~(re.IGNORECASE | re.MULTILINE | re.DOTALL | re.VERBOSE | re.UNICODE):
            raise _Untranslatable("inline flags other than i, m, s, x")
        if (add | remove) & (re.MULTILINE | re.DOTALL):
            # A lookaround checked beside the pattern is written with the whole pattern's flags only.
            start = end = False
        on = "".join(letter for bit, letter in _LOCAL.items() if add & bit)
        off = "".join(letter for bit, letter in _LOCAL.items() if remove & bit)
        flags = on + ("-" + off if off else "")
        inner = (ignore_case or bool(add & re.IGNORECASE)) and not remove & re.IGNORECASE
        body = _exact_sequence(list(items), work, inner, start, end)
        body = f"(?{flags}:{body})" if flags else f"(?:{body})"
        name = work.names.get(group_id) if group_id is not None else None
        if name is not None and work.negative:
            work.absent.add(group_id)
            return body
        return f"(?P<{name}>{body})" if name is not None else body
    if op is C.BRANCH:
        return "(?:" + "|".join(_exact_sequence(list(alternative), work, ignore_case, False, False)
                                for alternative in argument[1]) + ")"
    if op in (C.MAX_REPEAT, C.MIN_REPEAT):
        low, high, items = argument
        if work.names and not work.nullable_repeat and _width(list(items), work)[0] == 0:
            work.nullable_repeat = True
        bounds = f"{{{low},}}" if high == C.MAXREPEAT else f"{{{low},{high}}}" if high != low else f"{{{low}}}"
        lazy = "?" if op is C.MIN_REPEAT and high != low else ""
        return f"(?:{_exact_sequence(list(items), work, ignore_case, False, False)}){bounds}{lazy}"
    if (_POSSESSIVE is not None and op is _POSSESSIVE) or (_ATOMIC is not None and op is _ATOMIC):
        raise _Untranslatable("atomic group or possessive repeat")
    if op is C.AT and argument in (C.AT_BOUNDARY, C.AT_NON_BOUNDARY):
        work.word_boundary = True
        return r"\b" if argument is C.AT_BOUNDARY else r"\B"
    if op in (C.ASSERT, C.ASSERT_NOT):
        return _exact_lookaround(op is C.ASSERT, argument, work, ignore_case, start, end)
    if op in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN) or op is C.AT:
        return _node(op, argument, set(), ignore_case, work.tables)
    if op is C.GROUPREF:
        raise _Untranslatable("backreference")
    raise _Untranslatable(f"construct {op}")


def _lookaround_body(positive: bool, items: list[tuple[Any, Any]], work: _Exact, ignore_case: bool) -> str:
    """A lookaround's body, exactly, opened with the case-sensitivity in force where it stands (the caller closes
    it). The groups of a negative one never take part in a match: Python reports them as None, as the checks
    leave them."""
    outer, work.negative = work.negative, work.negative or not positive
    try:
        body = _exact_sequence(items, work, ignore_case, False, False)
    finally:
        work.negative = outer
    return ("(?i:" if ignore_case else "(?-i:") + body


def _exact_lookaround(positive: bool, argument: Any, work: _Exact, ignore_case: bool, start: bool, end: bool
                      ) -> str:
    """A lookaround, exactly: nothing where it always holds, a check beside the pattern where it is met at the
    line's start or end on every path (its verdict is then the same for every way the pattern may match)."""
    direction, items = argument
    items = list(items)
    low, _high = _width(items, work)
    if not items and positive:
        return ""  # an empty lookahead or lookbehind always holds
    if positive and any(op is C.SUBPATTERN and arg[0] in work.names for op, arg in _walk(items)):
        raise _Untranslatable("named group inside a positive lookaround")
    if start and direction < 0 and low > 0:
        # Nothing precedes the line's start: a lookbehind that must take a character fails there.
        if positive:
            raise _Untranslatable("lookbehind at the start (never holds)")
        return ""
    if end and direction > 0 and low > 0:
        if positive:
            raise _Untranslatable("lookahead at the end (never holds)")
        return ""
    if (start and direction > 0) or (end and direction < 0):
        # Checked with the pattern's flags and the case-sensitivity in force where the lookaround stands.
        # (A lookaround inside this one stands at no fixed place of the line: refused, unless empty.)
        body = _lookaround_body(positive, items, work, ignore_case)
        prefix = f"(?{work.letters})" if work.letters else ""
        written = f"{prefix}\\A{body})" if direction > 0 else f"{prefix}{body})\\z"
        work.checks.append((positive, written))
        return ""
    raise _Inside(("lookbehind" if direction < 0 else "lookahead") + " inside the pattern")


class _Inside(_Untranslatable):
    """A lookaround at no fixed place of the line: the pattern may still be confirmed by its arms."""


# --- lookaheads inside the pattern: arms -----------------------------------------------------------------
# A pattern with no named groups only needs a verdict, and Python's backtracking finds a whole-line match
# whenever one way through the pattern has one. The alternatives, optional groups and short counted repeats
# holding a lookaround are unrolled into "arms" (each one way through them, the rest of the pattern kept as it
# is), and each arm is split at its lookarounds into lookaround-free parts: the compiled core walks an arm as
# the set of places each part may end at (every end, not the first: src/confirm.rs), keeping the places where
# a lookahead's body matches (or does not). The arms without a lookaround are matched as one pattern.

#: The most arms a pattern is unrolled into, and the most counts a repeat holding a lookaround is unrolled to:
#: past them the pattern stays Python's (the core's cost grows with the arms).
_MOST_ARMS = 64
_MOST_COUNT = 4
_LOOKS = (C.ASSERT, C.ASSERT_NOT)


def _has_look(items: list[tuple[Any, Any]]) -> bool:
    return any(op in _LOOKS for op, _ in _walk(items))


def _unrolled(items: list[tuple[Any, Any]], work: _Exact) -> list[list[tuple[Any, Any]]]:
    """The ways through ``items`` with every construct holding a lookaround unrolled: each a flat list whose
    lookarounds all stand at its top."""
    arms: list[list[tuple[Any, Any]]] = [[]]
    for op, argument in items:
        if op in _LOOKS or not _has_look([(op, argument)]):
            options = [[(op, argument)]]
        elif op is C.SUBPATTERN:
            _group_id, add, remove, inner = argument
            if (add | remove) & ~re.UNICODE:
                raise _Untranslatable("a lookaround inside a group with flags of its own")
            options = _unrolled(list(inner), work)
        elif op is C.BRANCH:
            options = [arm for alternative in argument[1] for arm in _unrolled(list(alternative), work)]
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            low, high, inner = argument
            if high > _MOST_COUNT:
                raise _Untranslatable("a lookaround inside a long repeat")
            if high > 1 and _width(list(inner), work)[0] == 0:
                raise _Untranslatable("a lookaround inside a repeat of what may match nothing")
            once = _unrolled(list(inner), work)
            options = []
            for count in range(low, high + 1):
                ways: list[list[tuple[Any, Any]]] = [[]]
                for _ in range(count):
                    ways = [way + arm for way in ways for arm in once]
                    if len(ways) > _MOST_ARMS:
                        raise _Untranslatable("too many ways through the lookarounds")
                options += ways
        else:
            raise _Untranslatable(f"a lookaround inside {op}")
        arms = [arm + option for arm in arms for option in options]
        if len(arms) > _MOST_ARMS:
            raise _Untranslatable("too many ways through the lookarounds")
    return arms


def _armed(parsed: Any, work: _Exact, inside: str) -> Confirmation:
    """The confirmation by arms of a pattern with a lookaround inside it (``inside``: why it has no plain one)."""
    if work.names:
        return Confirmation(None, reason=f"{inside}, in a pattern with named groups")
    work.checks, work.word_boundary = [], False
    ignore_case = bool(work.state.flags & re.IGNORECASE)
    prefix = f"(?{work.letters})" if work.letters else ""
    # The arms share their nodes (each is the pattern's other parts around one way through its lookarounds):
    # each node is written once, by identity, for every arm it stands in. A node's text depends only on the
    # node here (no arm node is at a fixed place of the line, and no arm has named groups), and writing it
    # twice would only set the same flags on ``work`` again; writing every arm afresh cost a cold build of the
    # built-in rules some 15% more (issue #27).
    # (Each node is held beside its text, so that no other node can take its identity while this lives.)
    written: dict[int, tuple[tuple[Any, Any], str]] = {}

    def sequence(items: list[tuple[Any, Any]]) -> str:
        parts = []
        for node in items:
            found = written.get(id(node))
            if found is None:
                found = written[id(node)] = (node, _exact_node(*node, work, ignore_case, False, False))
            parts.append(found[1])
        return "".join(parts)

    try:
        arms = _unrolled(list(parsed), work)
        # (An arm's lookarounds all stand at its top: whether it holds one is a look at its top nodes.)
        plain = [sequence(arm) for arm in arms if not _top_look(arm)]
        steps = tuple(_arm_steps(arm, work, ignore_case, prefix, sequence) for arm in arms if _top_look(arm))
    except _Untranslatable as exc:
        return Confirmation(None, reason=f"{inside} ({exc})")
    # (No plain arm: a pattern that never matches, an empty class.)
    body = "|".join(f"(?:{part})" for part in plain) if plain else "[a&&b]"
    return Confirmation(f"{prefix}\\A(?:{body})\\z", checks=tuple(work.checks), word_boundary=work.word_boundary,
                        arms=steps)


#: The kinds of an arm's steps (src/confirm.rs): a lookaround-free part; a lookahead that must hold, or must
#: not; a lookbehind at the line's end that must hold, or must not.
PART, AHEAD, NOT_AHEAD, BEHIND_END, NOT_BEHIND_END = range(5)
_BOUNDARIES = (C.AT_BOUNDARY, C.AT_NON_BOUNDARY)


def _top_look(arm: list[tuple[Any, Any]]) -> bool:
    """Whether an unrolled arm holds a lookaround (:func:`_unrolled` leaves them all at its top)."""
    return any(op in _LOOKS for op, _ in arm)


def _arm_steps(arm: list[tuple[Any, Any]], work: _Exact, ignore_case: bool, prefix: str,
               sequence: Callable[[list[tuple[Any, Any]]], str]) -> tuple[tuple[int, str], ...]:
    """An arm as the core walks it: its parts between lookarounds, and the lookarounds. ``sequence``: writes a
    lookaround-free run of nodes (as :func:`_exact_sequence` does at no fixed place of the line)."""
    steps: list[tuple[int, str]] = []
    part: list[tuple[Any, Any]] = []

    def close() -> None:
        # A word boundary at a part's edge is checked as a lookahead at that place, where the core's regex
        # reads it past ASCII too (a part's lazy DFA gives up on it there).
        edge = []
        while part and part[-1][0] is C.AT and part[-1][1] in _BOUNDARIES:
            edge.append(part.pop())
        while part and part[0][0] is C.AT and part[0][1] in _BOUNDARIES:
            steps.append((AHEAD, _exact_node(*part.pop(0), work, ignore_case, False, False)))
        if part:
            steps.append((PART, prefix + sequence(part)))
        steps.extend((AHEAD, _exact_node(op, argument, work, ignore_case, False, False))
                     for op, argument in reversed(edge))
        part.clear()

    for number, node in enumerate(arm):
        op, argument = node
        if op not in _LOOKS:
            part.append(node)  # the node itself: ``sequence`` knows a node by its identity
            continue
        close()
        positive = op is C.ASSERT
        direction, items = argument
        items = list(items)
        if positive and not items:
            continue  # an empty lookaround always holds
        body = _lookaround_body(positive, items, work, ignore_case)
        if direction > 0:
            steps.append((AHEAD if positive else NOT_AHEAD, f"{prefix}{body})"))
        elif number == len(arm) - 1:
            steps.append((BEHIND_END if positive else NOT_BEHIND_END, f"{prefix}{body})\\z"))
        else:
            raise _Untranslatable("a lookbehind before the line's end")
    close()
    return tuple(steps)


def _walk(items: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every node of a tree, nested ones included."""
    found: list[tuple[Any, Any]] = []
    for op, argument in items:
        found.append((op, argument))
        if op is C.SUBPATTERN:
            found += _walk(list(argument[3]))
        elif op is C.BRANCH:
            for alternative in argument[1]:
                found += _walk(list(alternative))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT) or (_POSSESSIVE is not None and op is _POSSESSIVE):
            found += _walk(list(argument[2]))
        elif op in (C.ASSERT, C.ASSERT_NOT):
            found += _walk(list(argument[1]))
        elif _ATOMIC is not None and op is _ATOMIC:
            found += _walk(list(argument))
    return found
