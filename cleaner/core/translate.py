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

The engine confirms every candidate with Python ``regex`` whatever the fidelity (a matching line needs its
match object for what the rule captures), so a translation only ever has to be a superset for the records to
stay the same; ``exact`` is what a later stage may trust without confirming. The differential test
(tests/test_native_matcher.py) checks both claims against Python ``regex``.
"""

from __future__ import annotations

import re
import sys
from array import array
from dataclasses import dataclass
from enum import Enum
from typing import Any

import regex

import cleaner._native as _native
from cleaner.core.analysis import C, parse_tree
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
