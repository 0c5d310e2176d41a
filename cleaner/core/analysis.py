"""Static facts about a pattern, computed once at load time from its parse tree.

- :func:`first_words`: the two words a matching line can start with, so the engine tries a line only
  against the rules that can match its first two words (most lines of an article are tried against none).
- :func:`needs_timeout`: whether the pattern could backtrack badly. Patterns without nested or
  alternating repeats match in time polynomial in the (bounded) line length and run without the
  ``regex`` timeout, which costs more than the match itself; the others always run with it.

Both use the standard library's parser. A pattern it cannot parse (``regex``-only syntax) is treated
the safe way: it can start with anything and always runs with a timeout.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

try:  # Python 3.11+
    from re import _constants as C  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older layout
    import sre_constants as C  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

_DIGITS = frozenset("0123456789")
_SPACE = frozenset(" \t\n\r\f\v")
_REPEATS = {C.MAX_REPEAT, C.MIN_REPEAT} | ({C.POSSESSIVE_REPEAT} if hasattr(C, "POSSESSIVE_REPEAT") else set())
_WIDE_RANGE = 200
#: A fuzzy-matching constraint: "{e<=2}", "{i<=1,d<=1}", "{2i+2d+1s<=4}", "{1<=e<=3}", "{e}".
_FUZZY = re.compile(r"\{[\d\s<=+,]*[deis](?=[\s<=+,}])[^{}]*\}")


def parse_tree(pattern: str, flags: int) -> Any:
    """The standard library's parse tree of ``pattern`` read with ``flags`` (of IGNORECASE, MULTILINE, DOTALL,
    VERBOSE), or None where the parser refuses it or warns that ``regex`` may read it otherwise. The analyses
    here and the translation (cleaner.core.translate) only read a tree, so a build may parse a pattern once
    for all of them (cleaner.core.facts)."""
    try:
        with warnings.catch_warnings():
            # The standard parser warns where the regex package reads a pattern differently (a POSIX
            # class "[[:digit:]]" is a set of brackets and letters to it): unsure, so "could be anything".
            warnings.simplefilter("error", FutureWarning)
            return sre_parse.parse(pattern, flags)
    except (re.error, ValueError, OverflowError, RecursionError, FutureWarning):
        return None


def _parse(pattern: str, ignore_case: bool) -> Any:
    return parse_tree(pattern, re.IGNORECASE if ignore_case else 0)



#: A rule's possible leading words (the first two, lower-cased, joined by one space): ``(key, True)``
#: must equal the line's key, ``(prefix, False)`` must begin it. ``("", False)`` means any line.
FirstWords = frozenset[tuple[str, bool]]
ANY_LINE: FirstWords = frozenset({("", False)})
_ENUMERATION_LIMIT = 10000
_SMALL_CLASS = 12


def first_words(pattern: str, ignore_case: bool) -> FirstWords:
    """What the first two whitespace-delimited words of a matching line can be, lower-cased.

    Literal text, small character classes, alternations and short optional parts are enumerated;
    anything else ends the word early as a prefix. Used only to skip rules that cannot match, so every
    answer errs towards trying more rules.
    """
    return first_words_in(_parse(pattern, ignore_case))


def first_words_in(parsed: Any) -> FirstWords:
    """:func:`first_words` of a parse tree (None: a pattern the parser refused)."""
    if parsed is None:
        return ANY_LINE
    try:
        open_words, done = _expand(list(parsed), {""})
    except _TooMany:
        return ANY_LINE
    done |= {(word, True) for word in open_words}
    if any(not word for word, _ in done):
        return ANY_LINE
    return frozenset(done)


class _TooMany(Exception):
    pass


def _word_break(current: set[str]) -> tuple[set[str], set[tuple[str, bool]]]:
    """A space: the first word goes on to spell the second; after the second, the key is complete."""
    following = {word + " " for word in current if word and " " not in word}
    return following, {(word, True) for word in current if " " in word or not word}

def _expand(sequence: list[tuple[Any, Any]], starts: set[str]) -> tuple[set[str], set[tuple[str, bool]]]:
    """Words still being spelled after ``sequence`` from each of ``starts``, and words already ended."""
    current = set(starts)
    done: set[tuple[str, bool]] = set()
    for op, argument in sequence:
        if not current:
            break
        current, ended = _step(op, argument, current)
        done |= ended
        if len(current) + len(done) > _ENUMERATION_LIMIT:
            raise _TooMany
    return current, done


def _step(op: Any, argument: Any, current: set[str]) -> tuple[set[str], set[tuple[str, bool]]]:
    if op is C.LITERAL:
        char = chr(argument)
        if char.isspace():
            return _word_break(current)
        return {word + char.lower() for word in current}, set()
    if op is C.IN:
        chars = _class_chars(argument)
        if chars is None or len(chars) > _SMALL_CLASS:
            return set(), {(word, False) for word in current}
        following: set[str] = set()
        ended: set[tuple[str, bool]] = set()
        for char in chars:
            if char.isspace():
                more, stopped = _word_break(current)
                following |= more
                ended |= stopped
            else:
                following |= {word + char.lower() for word in current}
        return following, ended
    if op is C.SUBPATTERN:
        return _expand(list(argument[-1]), current)
    if op is C.BRANCH:
        following, ended = set(), set()
        for alternative in argument[1]:
            more, stopped = _expand(list(alternative), current)
            following |= more
            ended |= stopped
        return following, ended
    if op in _REPEATS:
        low, high, body = argument
        if high > 3:
            # A long repeat ends the word as a prefix. At the very start of the pattern, its first
            # round is spelled too, so a leading \d+ gives prefixes "0".."9" rather than "any line".
            ended = {(word, False) for word in current if word}
            if "" in current:
                once, stopped = _expand(list(body), {""})
                ended |= stopped | {(word, False) for word in once}
            return (set(current) if low == 0 else set()), ended
        following = set(current) if low == 0 else set()
        ended = set()
        spelled = set(current)
        for count in range(1, high + 1):
            spelled, stopped = _expand(list(body), spelled)
            ended |= stopped
            if count >= low:
                following |= spelled
        return following, ended
    if op is C.AT:
        return current, set()
    return set(), {(word, False) for word in current}


def _class_chars(items: list[tuple[Any, Any]]) -> set[str] | None:
    chars: set[str] = set()
    for op, argument in items:
        if op is C.LITERAL:
            chars.add(chr(argument))
        elif op is C.RANGE and argument[1] - argument[0] < _WIDE_RANGE:
            chars.update(map(chr, range(argument[0], argument[1] + 1)))
        elif op is C.CATEGORY and argument is C.CATEGORY_DIGIT:
            chars |= _DIGITS  # other Unicode digits: first_key sends non-ASCII lines to every rule
        elif op is C.CATEGORY and argument is C.CATEGORY_SPACE:
            chars |= _SPACE
        else:
            return None
    return chars




def needs_timeout(pattern: str, ignore_case: bool) -> bool:
    """True unless the pattern is free of the shapes that backtrack exponentially or steeply.

    Steep shapes: a long repeat (more than 16) holding another repeat or an alternation, nested bounded
    repeats whose bounds multiply past 256, or more than two long repeats in a row. Alternation or
    small repeats inside a short bounded repeat stay cheap: the ways to match are bounded by a constant.
    A fuzzy constraint of the regex package ("{e<=2}") is steep by nature, and the standard parser this
    analysis uses reads it as literal text, so it is looked for first.
    """
    return needs_timeout_in(pattern, _parse(pattern, ignore_case))


def needs_timeout_in(pattern: str, parsed: Any) -> bool:
    """:func:`needs_timeout` of a pattern and its parse tree (None: the parser refused it)."""
    if _FUZZY.search(pattern):
        return True
    if parsed is None:
        return True
    long_repeats = _count_long_repeats(list(parsed), 1)
    return long_repeats is None or long_repeats > 2


_LONG = 16
_MAX_NESTED_WAYS = 256


def _count_long_repeats(sequence: list[tuple[Any, Any]], ways: int) -> int | None:
    """How many long repeats there are; None when a steep nesting is found. ``ways`` is the product
    of the bounds of the repeats around ``sequence``."""
    total = 0
    for op, argument in sequence:
        if op in _REPEATS:
            _low, high, body = argument
            if high > 1 and ways > 1 and (high > _LONG or ways * high > _MAX_NESTED_WAYS):
                return None
            if high > _LONG and any(o is C.BRANCH or o in _REPEATS for o, _ in _flatten(body)):
                return None
            inner = _count_long_repeats(list(body), ways * high if high > 1 else ways)
            if inner is None:
                return None
            total += inner + (1 if high > _LONG else 0)
        elif op in (C.SUBPATTERN, C.ASSERT, C.ASSERT_NOT):
            inner = _count_long_repeats(list(argument[-1]), ways)
            if inner is None:
                return None
            total += inner
        elif op is C.BRANCH:
            counts = [_count_long_repeats(list(a), ways) for a in argument[1]]
            if any(c is None for c in counts):
                return None
            total += max(c for c in counts if c is not None)
        elif op is C.GROUPREF or getattr(C, "GROUPREF_EXISTS", None) is op:
            return None
    return total


def _flatten(sequence: Any) -> list[tuple[Any, Any]]:
    """Every node under ``sequence``, through groups."""
    found: list[tuple[Any, Any]] = []
    for op, argument in sequence:
        found.append((op, argument))
        if op in (C.SUBPATTERN, C.ASSERT, C.ASSERT_NOT):
            found += _flatten(argument[-1])
        elif op in _REPEATS:
            found += _flatten(argument[2])
        elif op is C.BRANCH:
            for alternative in argument[1]:
                found += _flatten(alternative)
    return found


#: Shortest literal worth gating a rule on: shorter ones occur in too many lines to save anything.
_MIN_REQUIRED = 3


def required_words(pattern: str, ignore_case: bool) -> frozenset[str] | None:
    """Lower-cased strings of which every match of ``pattern`` contains at least one, or None.

    Read from the parse tree: a run of literal characters must appear; an alternation needs one of its
    branches' strings; a repeat needs its body's only if it runs at least once. Used to skip a rule whose
    first words cannot be listed on lines that hold none of its words, so the answer errs towards None
    (try the rule) whenever it is unsure.
    """
    return required_words_in(_parse(pattern, ignore_case))


def required_words_in(parsed: Any) -> frozenset[str] | None:
    """:func:`required_words` of a parse tree (None: a pattern the parser refused)."""
    if parsed is None:
        return None
    try:
        found = _required(list(parsed))
    except RecursionError:
        return None
    if not found or min(map(len, found)) < _MIN_REQUIRED:
        return None
    return frozenset(found)


def _better(current: set[str] | None, candidate: set[str] | None) -> set[str] | None:
    if not candidate:
        return current
    if current is None:
        return candidate
    # The set whose shortest string is longest rules out the most lines; then the smaller set.
    return min((current, candidate), key=lambda s: (-min(map(len, s)), len(s)))


def _required(sequence: list[tuple[Any, Any]]) -> set[str] | None:
    best: set[str] | None = None
    run: list[str] = []
    for op, argument in [*sequence, (None, None)]:
        if op is C.LITERAL:
            char = chr(argument).lower()
            if len(char) == 1:
                run.append(char)
                continue
        if run:
            best = _better(best, {"".join(run)})
            run = []
        if op is C.SUBPATTERN:
            best = _better(best, _required(list(argument[-1])))
        elif op is C.BRANCH:
            branches = [_required(list(alternative)) for alternative in argument[1]]
            if all(branches):
                best = _better(best, set().union(*branches))  # type: ignore[arg-type]
        elif op in _REPEATS and argument[0] >= 1:
            best = _better(best, _required(list(argument[2])))
    return best
