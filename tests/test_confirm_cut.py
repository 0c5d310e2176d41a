"""A native confirmation's pattern cut to ASCII, Latin letters and general punctuation (src/confirm.rs
``common_cut``), which answers the lines of those characters while the pattern itself is compiled only when
another line comes, against Python ``regex``.

Proof-style: patterns whose classes, case folds (the Kelvin sign, the long s), literals past the cut and groups
the cut changes, run on every string up to a length over an alphabet that mixes ASCII, characters of the cut
and others, in both orders of first use (a line of the cut first, another first); the verdict and every named
group's text and span must be Python's. The built-in patterns meet every corpus line in
tests/test_native_matcher.py.
"""

from __future__ import annotations

import pytest
import regex

from cleaner.core.translate import CharacterTables, confirmation
from tests.confirm_compare import compare, short_strings

CASES = [
    ("(?P<a>é+)|(?P<b>[a-z]+)", regex.IGNORECASE, "aéÉk\u212a", 4),
    ("k\\w{1,3}", regex.IGNORECASE, "kK\u212aaé", 5),
    ("s{2}(?P<t>[^x]?)", regex.IGNORECASE, "sSſx\u212a", 4),
    ("(?:x(?P<g>[’ж])|x)y?", 0, "x’жy", 5),
    ("(?P<w>\\w+) (?P<n>\\d{1,2})", 0, "a1 é٣", 5),
    ("[^a-c]{2}(?P<r>.)", regex.IGNORECASE, "abdéж", 4),
    ("(?:by|от) (?P<who>[a-zа-я]+)", regex.IGNORECASE, "byотaа ", 6),
]


def _in_cut(line: str) -> bool:
    return all(ord(c) <= 0x24F or 0x2000 <= ord(c) <= 0x206F for c in line)


@pytest.mark.parametrize("cut_first", [True, False])
@pytest.mark.parametrize(("pattern", "flags", "alphabet", "longest"), CASES)
def test_the_cut_and_the_pattern_are_pythons_on_every_short_line(pattern: str, flags: int, alphabet: str,
                                                                 longest: int, cut_first: bool) -> None:
    tables = CharacterTables()
    found = confirmation(pattern, flags, tables)
    assert found.rust is not None, found.reason
    confirmer = tables.confirmer(pattern, flags, found)
    assert confirmer is not None and confirmer.prepare()
    lines = sorted(short_strings(alphabet, longest), key=lambda line: _in_cut(line) != cut_first)
    compared = compare(confirmer, regex.compile(pattern, flags), lines)
    assert compared.unsure == [] and compared.wrong == []
    assert {_in_cut(line) for line in compared.matched} == {True, False}  # met on lines of the cut and others
    assert confirmer.compiles()
