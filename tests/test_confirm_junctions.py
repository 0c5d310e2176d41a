"""Native confirmation of a lookahead inside a pattern with named groups, at a place every whole-line match
passes at the same offset (``cleaner.core.translate`` "junctions", checked by src/confirm.rs), against Python
``regex``.

The translator writes such a lookahead as an empty group and checks it beside the match only when the compiled
core proves (``_native.prefix_free``) that no string the pattern's part before it matches is a proper prefix of
another: then every whole-line match leaves that part at one place. Both halves are held to a definition here:
the proof to a brute-force search over short strings, the confirmation to Python ``regex`` on every string up to
a length over a small alphabet (verdict, every named group's text and span), and the built-in patterns
confirmed so (SYN002's "originally published on <not a date>") on lines made from them. The built-in patterns
are also run on every corpus line by tests/test_native_matcher.py.
"""

from __future__ import annotations

import random
from itertools import product

import pytest
import regex

from cleaner import _native
from cleaner.core.analysis import parse_tree
from cleaner.core.matcher import UNSURE
from cleaner.core.rules import Layout, LineRule
from cleaner.core.translate import PARSE_FLAGS, CharacterTables, confirmation
from cleaner.io.rulefiles import load_rules
from tests.test_confirm_arms import _pieces, _sample

TABLES = CharacterTables()


def _strings(alphabet: str, longest: int) -> list[str]:
    return ["".join(chars) for size in range(longest + 1) for chars in product(alphabet, repeat=size)]


@pytest.mark.parametrize(("pattern", "alphabet"), [
    ("abc", "abc"), ("ab|abc", "abc"), ("a*", "ab"), ("a+b", "ab"), ("(?:on|in) ", "oin "), ("a\\s*", "a "),
    ("x(?:a|ab)", "xab"), ("x(?:a|ba)", "xab"), ("(?i)k", "kK\u212a"), ("(?:a|b)c?", "abc"), ("[ab]{1,3}c", "abc"),
    ("(?:ab)?a", "ab"), ("(?:a )?b ", "ab "), ("", "ab"), ("a(?:b|)", "ab"), ("é|éa", "éa"),
])
def test_prefix_freedom_is_what_a_search_of_short_strings_finds(pattern: str, alphabet: str) -> None:
    """Proven (True) only where no string of the language is a proper prefix of another; refuted (False) where a
    short pair exists."""
    compiled = regex.compile(pattern)
    words = [s for s in _strings(alphabet, 6) if compiled.fullmatch(s)]
    witness = any(other != word and other.startswith(word) for word in words for other in words)
    found = _native.prefix_free(pattern)
    assert found is not None
    assert found == (not witness)


#: (pattern, flags, alphabet, longest string): a lookahead among the top-level items of a pattern with named
#: groups, after a part whose strings are prefix-free.
CASES = [
    ("a (?!b)(?P<g>[ab ]{1,4})", 0, "ab ", 7),
    ("a (?=b)(?P<g>[ab ]{0,3}?)(?P<t> b)?", 0, "ab ", 7),
    ("(?:x|y)(?!a|b b)(?P<g>[^x]*)", 0, "xyab ", 6),
    ("on (?!(?:ja|fe)[a-z]*\\.? \\d|\\d)(?P<s>[^\\s*][^!?;]{0,5}?)(?:,? on \\d)?\\.?", regex.IGNORECASE, "ojaF1 .,n",
     8),
    ("(?P<a>[ab])(?=b)(?P<b>b+)a?", 0, "ab", 7),                   # after a group of one character
    ("k (?=\\w)(?P<g>[a-z]+)", regex.IGNORECASE, "kK\u212aé ", 5),   # Kelvin sign, a letter past ASCII
    ("a (?!b)(?P<g>[ab]+) (?=a)(?P<h>[ab ]*)", 0, "ab ", 8),      # two junctions
    ("a(?=\\b)(?P<g>[aé ]*)", 0, "aé ", 6),                      # a word boundary in the lookahead
    ("(?:ab|c)(?!(?P<no>a))(?P<g>[abc]*)", 0, "abc", 6),         # a group in a negative one never takes part
]


@pytest.mark.parametrize(("pattern", "flags", "alphabet", "longest"), CASES)
def test_a_junction_is_pythons_match_on_every_short_line(pattern: str, flags: int, alphabet: str,
                                                         longest: int) -> None:
    found = confirmation(pattern, flags, TABLES)
    assert found.rust is not None and found.junctions and not found.arms, found.reason
    confirmer = TABLES.confirmer(pattern, flags, found)
    assert confirmer is not None and confirmer.compiles()
    compiled = regex.compile(pattern, flags)
    wrong, asked, positives = [], 0, 0
    for line in _strings(alphabet, longest):
        native = confirmer.fullmatch(line)
        if native is UNSURE:
            assert "\\b" in pattern and not line.isascii(), line  # only a word boundary past ASCII
            continue
        asked += 1
        expected = compiled.fullmatch(line)
        assert confirmer.is_match(line) == (native is not None), line
        if (native is None) != (expected is None):
            wrong.append(line)
            continue
        if expected is None:
            continue
        assert native is not None
        positives += 1
        groups = expected.groupdict()
        if native.groupdict() != groups or any(native.span(name) != expected.span(name) for name in groups):
            wrong.append(line)
    assert wrong == []
    assert 0 < positives < asked  # both verdicts met


@pytest.mark.parametrize(("pattern", "reason"), [
    ("a+(?=b)(?P<g>[ab]+)", "two places"),              # "a" and "aa" both end the part before it
    ("(?P<g>[a-z]+)(?= now) now", "two places"),
    ("a\\s*(?!b)(?P<g>.+)", "two places"),
    ("(?:a(?=b)(?P<g>b))?c", "named groups"),            # not among the top-level items: no fixed place
    ("a(?=(?P<g>b))b", "named group inside a positive lookaround"),
])
def test_what_junctions_leave_to_python(pattern: str, reason: str) -> None:
    found = confirmation(pattern, 0, TABLES)
    assert found.rust is None and reason in found.reason


def _junction_builtins() -> list[tuple[str, regex.Pattern[str]]]:
    found = []
    for rule in load_rules():
        pattern = rule.pattern if isinstance(rule, LineRule) else rule.header if isinstance(rule, Layout) else None
        if pattern is not None and confirmation(pattern.pattern, pattern.flags, TABLES).junctions:
            found.append((rule.id, pattern))
    return found


def test_built_in_junction_patterns_on_lines_made_from_them() -> None:
    """SYN002 and SYN004 (a negative lookahead for a date before the name of the source) on lines made from
    their parse trees, with a date, a number or a name after the preposition, and variants: the core's verdict
    and captures are Python's, and both verdicts are met."""
    patterns = _junction_builtins()
    assert {rule_id for rule_id, _ in patterns} >= {"SYN002", "SYN004"}
    rng = random.Random(27)
    after = ["", "March 3, 2020 ", "mar. 3 ", "12 ", "2020 ", "Marchand ", "may 2 ", "Mayo Clinic ", "jun ",
             "The Conversation ", "*x ", "1843 Magazine "]
    for rule_id, pattern in patterns:
        tree = parse_tree(pattern.pattern, pattern.flags & PARSE_FLAGS)
        words: set[str] = set()
        _pieces(list(tree), words)
        vocabulary = [*sorted(words), "the", "a", "of", "and", "3", "2021"]
        confirmer = TABLES.confirmer(pattern.pattern, pattern.flags)
        assert confirmer is not None and confirmer.compiles()
        made = []
        for _ in range(400):
            out: list[str] = []
            _sample(list(tree), rng, vocabulary, out)
            made.append(" ".join("".join(out).split()))
        lines = list(made)
        for line in made[:150]:
            for preposition in (" on ", " in ", " at ", " by ", " from ", " for "):
                at = line.find(preposition)
                if at >= 0:
                    cut = at + len(preposition)
                    lines += [line[:cut] + rng.choice(after) + line[cut:] for _ in range(3)]
            lines += [line.upper(), line + " x", "x " + line, line[:-1], line.replace(" ", "  ", 1)]
        verdicts = {True: 0, False: 0}
        wrong = []
        for line in lines:
            native = confirmer.fullmatch(line)
            if native is UNSURE:
                continue
            expected = pattern.fullmatch(line)
            verdicts[expected is not None] += 1
            if (native is None) != (expected is None):
                wrong.append(line)
                continue
            if expected is not None and native is not None and (
                    native.groupdict() != expected.groupdict()
                    or any(native.span(n) != expected.span(n) for n in expected.groupdict())):
                wrong.append(line)
        assert wrong == [], (rule_id, wrong[:5])
        assert verdicts[True] > 20 and verdicts[False] > 20, (rule_id, verdicts)
