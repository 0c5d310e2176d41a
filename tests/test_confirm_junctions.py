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

import pytest
import regex

from cleaner import _native
from cleaner.core.analysis import parse_tree
from cleaner.core.rules import Layout, LineRule
from cleaner.core.translate import PARSE_FLAGS, CharacterTables, confirmation
from cleaner.io.rulefiles import load_rules
from tests.confirm_compare import compare, short_strings
from tests.test_confirm_arms import _pieces, _sample

TABLES = CharacterTables()


@pytest.mark.parametrize(("pattern", "alphabet"), [
    ("abc", "abc"), ("ab|abc", "abc"), ("a*", "ab"), ("a+b", "ab"), ("(?:on|in) ", "oin "), ("a\\s*", "a "),
    ("x(?:a|ab)", "xab"), ("x(?:a|ba)", "xab"), ("(?i)k", "kK\u212a"), ("(?:a|b)c?", "abc"), ("[ab]{1,3}c", "abc"),
    ("(?:ab)?a", "ab"), ("(?:a )?b ", "ab "), ("", "ab"), ("a(?:b|)", "ab"), ("é|éa", "éa"),
])
def test_prefix_freedom_is_what_a_search_of_short_strings_finds(pattern: str, alphabet: str) -> None:
    """Proven (True) only where no string of the language is a proper prefix of another; refuted (False) where a
    short pair exists."""
    compiled = regex.compile(pattern)
    words = [s for s in short_strings(alphabet, 6) if compiled.fullmatch(s)]
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
     7),  # (8: ten times the strings, 30 s; the dotted month "on ja. 1" it adds is met by SYN002's made lines)
    ("(?P<a>[ab])(?=b)(?P<b>b+)a?", 0, "ab", 7),                   # after a group of one character
    ("k (?=\\w)(?P<g>[a-z]+)", regex.IGNORECASE, "kK\u212aé ", 5),   # Kelvin sign, a letter past ASCII
    ("a (?!b)(?P<g>[ab]+) (?=a)(?P<h>[ab ]*)", 0, "ab ", 8),      # two junctions
    ("a(?=\\b)(?P<g>[aé ]*)", 0, "aé ", 6),                      # a word boundary in the lookahead
    ("(?:ab|c)(?!(?P<no>a))(?P<g>[abc]*)", 0, "abc", 6),         # a group in a negative one never takes part
    # The part before the lookahead may end at several places (src/confirm.rs Places): main's place, the
    # others where main's fails.
    ("a+(?=b)(?P<g>[ab]+)", 0, "ab", 8),
    ("a\\s*(?!b)(?P<g>.+)", 0, "ab ", 7),
    ("x[:-]*\\s*(?=\\S+ \\S)(?P<t>[^\\n]{2,5}?(?<![.:]))\\s*[)]?", 0, "x: -.)a", 7),   # REL110's shape
    ("n ?[:-]? ?(?=\\S+(?:\\s+\\S+){1})(?P<t>[^\\n]{3,6}?(?<![.,]))", 0, "n :-.a", 8),  # REL111's
    ("(?:a|ab|abb)(?=b)(?P<g>b*?)(?P<h>a?)", 0, "ab", 8),
    ("k\\s*(?=\\w)(?P<g>[a-z]+)", regex.IGNORECASE, "kK\u212a\xe9 ", 6),
]


@pytest.mark.parametrize(("pattern", "flags", "alphabet", "longest"), CASES)
def test_a_junction_is_pythons_match_on_every_short_line(pattern: str, flags: int, alphabet: str,
                                                         longest: int) -> None:
    found = confirmation(pattern, flags, TABLES)
    assert found.rust is not None and found.junctions and not found.arms, found.reason
    confirmer = TABLES.confirmer(pattern, flags, found)
    assert confirmer is not None and confirmer.compiles()
    compared = compare(confirmer, regex.compile(pattern, flags), short_strings(alphabet, longest))
    # Only a word boundary past ASCII, or two places where the lookahead holds and the rest matches.
    assert all(("\\b" in pattern and not line.isascii()) or found.places for line in compared.unsure)
    assert compared.wrong == []
    assert 0 < len(compared.matched) < compared.asked  # both verdicts met
    assert len(compared.unsure) <= compared.asked // 10  # Python's to say on few lines


@pytest.mark.parametrize(("pattern", "reason"), [
    ("(?P<g>[a-z]+)(?= now) now", "two places"),       # a part that may end at two places and captures
    ("a\\b\\s*(?!b)(?P<g>.+)", "two places"),            # ... or whose translation is wider than it
    ("a\\s*(?!b)(?P<g>.+)(?=x)(?P<h>x)", "two places"),    # ... beside another junction
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
        compared = compare(confirmer, pattern, lines)
        assert compared.wrong == [], (rule_id, compared.wrong[:5])
        assert len(compared.matched) > 20 and compared.refused > 20, rule_id


@pytest.mark.parametrize(("pattern", "alphabet"), [
    ("(?P<t>[^\\n]{2,5}?(?<![.,;:]))\\s*[)]?", "a., )"),
    ("(?P<t>[^x]{1,4}(?<![.]))(?P<u>.*)", "ax. "),
    ("(?P<t>[a-z.]{3}(?<!\\.))z?", "a.z"),
    ("(?P<t>(?:[^\\n]){2,}?(?<![Kk]))(?P<u>k*)", "kK\u212a."),
])
def test_a_lookbehind_for_one_character_after_a_repeat_is_its_last_character(pattern: str, alphabet: str
                                                                               ) -> None:
    """REL110's title (``[^\\n]{10,250}?(?<![.,;:])``, not at the line's end): the repeat one count fewer, then a
    character of its class and not the lookbehind's, on every short line (verdict, every group's text and
    span), with and without IGNORECASE."""
    for flags in (0, regex.IGNORECASE):
        found = confirmation(pattern, flags, TABLES)
        assert found.rust is not None and "&&" in found.rust, found.reason
        confirmer = TABLES.confirmer(pattern, flags, found)
        assert confirmer is not None
        compared = compare(confirmer, regex.compile(pattern, flags), short_strings(alphabet, 6))
        assert compared.unsure == [] and compared.wrong == [] and compared.matched


def test_rel110_and_rel111_on_lines_made_from_them() -> None:
    """REL110 and REL111 (a lookahead after a part that may end at several places) on lines made from their
    parse trees and variants with doubled separators, spaces and short tails: the core's verdict and captures
    are Python's; both verdicts are met; Python is asked on few lines."""
    rules = {rule.id: rule for rule in load_rules()}
    rng = random.Random(110)
    tails = ["Storm knocks out power to thousands", "a b", "Council: approves it.", "x y z w v u", "One two",
             "Ten words here, it is said.", "»", ") »", "- - -", ":: a b c", "...", "… ok then go now"]
    for rule_id in ("REL110", "REL111"):
        rule = rules[rule_id]
        assert isinstance(rule, Layout)
        pattern = rule.header
        found = confirmation(pattern.pattern, pattern.flags, TABLES)
        assert found.rust is not None and found.places, found.reason
        confirmer = TABLES.confirmer(pattern.pattern, pattern.flags, found)
        assert confirmer is not None and confirmer.compiles()
        tree = parse_tree(pattern.pattern, pattern.flags & PARSE_FLAGS)
        words: set[str] = set()
        _pieces(list(tree), words)
        vocabulary = [*sorted(words), "the", "a", "of", "and", "3", "2021", ":", "-", "»", ".", ","]
        lines: list[str] = []
        for _ in range(600):
            out: list[str] = []
            _sample(list(tree), rng, vocabulary, out)
            made = "".join(out)
            lines += [made, " ".join(made.split())]
        for line in list(lines[:400]):
            for separator in (":", " :", ": ", "::", " - ", "--", "...", "…", " » ", ":  "):
                head = line.split(" ", 2)
                if len(head) == 3:
                    lines.append(f"{head[0]} {head[1]}{separator}{rng.choice(tails)}")
            lines += [line.upper(), line + " x", line + ".", line[:-3], line.replace(" ", "  ", 2)]
        compared = compare(confirmer, pattern, lines)
        assert compared.wrong == [], (rule_id, compared.wrong[:5])
        assert len(compared.matched) > 100 and compared.refused > 100, rule_id
        assert len(compared.unsure) <= len(lines) // 50, (rule_id, len(compared.unsure), len(lines))
