"""Native confirmation of patterns with a lookahead inside them (``cleaner.core.translate`` "arms", walked by
src/confirm.rs), against Python ``regex``.

Proof-style: each construct an arm is made of (a lookahead in an alternative, in an optional group, in a short
counted repeat; negative ones; two at one place; a word boundary beside one; a lookbehind at the line's end) is
run on every string up to a length over a small alphabet that holds the pattern's letters, a space, a
capital and a letter past ASCII, so every way the lookahead may hold or fail at every place is met. The
built-in patterns are run on every corpus line by tests/test_native_matcher.py.
"""

from __future__ import annotations

import random

import pytest
import regex

from cleaner.core.analysis import C, parse_tree
from cleaner.core.matcher import UNSURE
from cleaner.core.rules import BlockRule, Layout, LineRule
from cleaner.core.translate import PARSE_FLAGS, CharacterTables, confirmation
from cleaner.io.rulefiles import load_rules
from tests.confirm_compare import compare, short_strings

TABLES = CharacterTables()


#: (pattern, flags, alphabet, longest string): each holds a lookahead no check at the line's start or end can
#: stand for.
CASES = [
    ("a(?=b)b?[ab]*", regex.IGNORECASE, "abA ", 6),
    ("(?:a|b(?=a))[ab]{0,3}", 0, "ab ", 6),
    ("(?:a(?=b)|ab(?!a))[ab ]*", 0, "ab ", 6),
    ("[ab]{1,2}(?=[^ ]{0,2}b)[ab ]{0,3}", 0, "ab ", 6),
    ("(?:x(?:[ -]{1,2}|(?=[a-z]))){1,3}y?", 0, "xa- y", 6),
    ("(?:x(?:[ -]|(?=(?-i:[A-Z])))){0,3}a", regex.IGNORECASE, "xaA -", 6),
    ("a\\b(?=.{0,3}b)[^\\n]{0,4}", 0, "ab é", 7),
    ("(?:ab|a)\\b(?!b)[ab ]{0,3}", 0, "ab é", 6),
    ("(?:^|a)(?=b)(?=[ab]b)[ab]*$", 0, "ab", 6),
    ("a(?=b|$)b?", 0, "ab", 4),
    ("(?:a(?=b)[ab ]{0,4}|b)(?<!b a)", 0, "ab ", 6),
    ("(?:a|ab)(?=b)b[ab]{0,2}", 0, "ab", 6),
    ("(?:a(?=a)){2,3}a?", 0, "ab", 6),
    ("é(?=É)é?[éa]*", regex.IGNORECASE, "éÉa", 5),
]


@pytest.mark.parametrize(("pattern", "flags", "alphabet", "longest"), CASES)
def test_an_armed_confirmation_is_pythons_verdict_on_every_short_line(pattern: str, flags: int, alphabet: str,
                                                                     longest: int) -> None:
    found = confirmation(pattern, flags, TABLES)
    assert found.rust is not None and found.arms, found.reason
    confirmer = TABLES.confirmer(pattern, flags, found)
    assert confirmer is not None and confirmer.compiles()
    compared = compare(confirmer, regex.compile(pattern, flags), short_strings(alphabet, longest), captures=False)
    # Left to Python only where a part's word boundary meets a character past ASCII.
    assert all("\\b" in pattern and not line.isascii() for line in compared.unsure)
    assert compared.wrong == []
    assert 0 < len(compared.matched) < compared.asked  # both verdicts met


@pytest.mark.parametrize(("pattern", "reason"), [
    ("(?P<who>[a-z]+)(?= now) now", "named groups"),                # a verdict only: no captures
    ("(?:a(?=b)){1,9}b", "long repeat"),                            # unrolled to a few counts at most
    ("(?:(?=a)){2}a", "may match nothing"),                         # empty turns: the engines may part
    ("a(?<=a)b", "lookbehind before the line's end"),
    ("(?i:a(?=b))b", "flags of its own"),
])
def test_what_arms_leave_to_python(pattern: str, reason: str) -> None:
    found = confirmation(pattern, 0, TABLES)
    assert found.rust is None and reason in found.reason


def test_a_part_with_a_word_boundary_past_ascii_is_pythons_or_exact() -> None:
    """A word boundary inside a part (not at its edge) makes its lazy DFA give up past ASCII: the line is then
    Python's; at a part's edge the boundary is checked by the core's full regex, so the line is answered."""
    inner = TABLES.confirmer("a\\bé?(?=b)b", 0)
    edge = TABLES.confirmer("aé\\b(?=b)b", 0)
    assert inner is not None and edge is not None
    assert inner.fullmatch("aéb") is UNSURE
    assert edge.fullmatch("aéb") is None and regex.fullmatch("aé\\b(?=b)b", "aéb") is None
    assert edge.fullmatch("aé b") is None
    assert inner.fullmatch("ab") is None and regex.fullmatch("a\\bé?(?=b)b", "ab") is None


# --- the built-in patterns with arms, on lines made from the patterns themselves ---------------------------


def _pieces(items: list, found: set[str]) -> None:  # type: ignore[type-arg]
    """The literal runs a pattern holds (its words): the filler a lookahead's window is made of."""
    run = ""
    for op, argument in items:
        if op is C.LITERAL:
            run += chr(argument)
            continue
        if len(run.strip()) > 1:
            found.add(run.strip())
        run = ""
        if op is C.BRANCH:
            for alternative in argument[1]:
                _pieces(list(alternative), found)
        elif op is C.SUBPATTERN:
            _pieces(list(argument[3]), found)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            _pieces(list(argument[2]), found)
        elif op in (C.ASSERT, C.ASSERT_NOT):
            _pieces(list(argument[1]), found)
    if len(run.strip()) > 1:
        found.add(run.strip())


def _sample(items: list, rng: random.Random, words: list[str], out: list[str]) -> None:  # type: ignore[type-arg]
    """A random line the pattern with its lookarounds left out matches, or nearly."""
    for op, argument in items:
        if op is C.LITERAL:
            char = chr(argument)
            out.append(char.upper() if rng.random() < 0.1 else char)
        elif op is C.NOT_LITERAL or op is C.ANY:
            out.append(rng.choice(" abc,.'’é"))
        elif op is C.IN:
            negated = argument and argument[0][0] is C.NEGATE
            members = [a for o, a in argument if o is C.LITERAL]
            members += [a[0] for o, a in argument if o is C.RANGE]
            members += [ord(c) for o, _ in argument if o is C.CATEGORY for c in "abx"]
            if negated or not members:
                out.append(rng.choice(" abc,.-'’é1"))
            else:
                out.append(chr(rng.choice(members)))
        elif op is C.BRANCH:
            _sample(list(rng.choice(argument[1])), rng, words, out)
        elif op is C.SUBPATTERN:
            _sample(list(argument[3]), rng, words, out)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            low, high, inner = argument
            high = min(high, low + 400)
            count = rng.choice([low, high, rng.randint(low, high), rng.randint(low, min(high, low + 3))])
            if count > 6 and len(inner) == 1 and inner[0][0] in (C.IN, C.NOT_LITERAL, C.ANY):
                # A long window: words of the pattern, so what a lookahead looks for may fall inside it.
                text = rng.choice(["", " "])
                while len(text) < count:
                    text += rng.choice(words) + " "
                out.append(text[:count] if rng.random() < 0.5 else text[:max(low, count - 1)])
                continue
            for _ in range(count):
                _sample(list(inner), rng, words, out)
        # Lookarounds, anchors and word boundaries write nothing: what a lookahead looks for is met (or not)
        # as the words of the windows fall.


def _armed_builtins() -> list[regex.Pattern[str]]:
    rules = load_rules()
    patterns = []
    for rule in rules:
        pattern = rule.pattern if isinstance(rule, LineRule) else rule.start if isinstance(rule, BlockRule) \
            else rule.header if isinstance(rule, Layout) else None
        if pattern is not None and confirmation(pattern.pattern, pattern.flags, TABLES).arms:
            patterns.append(pattern)
    return patterns


def test_built_in_armed_patterns_on_lines_made_from_them() -> None:
    """Every built-in pattern confirmed by its arms, on lines made from its own parse tree (its words in the
    lookaheads' windows, case changed here and there) and their
    variants: the core's verdict is Python's, and both verdicts are met."""
    patterns = _armed_builtins()
    assert len(patterns) >= 10
    rng = random.Random(27)
    for pattern in patterns:
        tree = parse_tree(pattern.pattern, pattern.flags & PARSE_FLAGS)
        words: set[str] = set()
        _pieces(list(tree), words)
        vocabulary = [*sorted(words), "the", "a", "of", "and"]
        confirmer = TABLES.confirmer(pattern.pattern, pattern.flags)
        assert confirmer is not None and confirmer.compiles()
        made = []
        for _ in range(400):
            out: list[str] = []
            _sample(list(tree), rng, vocabulary, out)
            made.append(" ".join("".join(out).split()))
        lines = made + [variant for line in made[:60] for variant in (line.upper(), line + " x", "x " + line,
                                                                      line.replace(" ", "  ", 1), line[:-1])]
        compared = compare(confirmer, pattern, lines, captures=False)
        assert compared.wrong == [], pattern.pattern[:60]
        assert len(compared.matched) > 5 and compared.refused > 5, pattern.pattern[:60]
