"""The span's lines outside the kept article, compiled (src/spantail.rs, ``Detectors._outside``), against their
Python definition (tests/structure_oracle.py): the lines, the furniture count and both masses, alike on the real
texts, the fixtures, the structure benchmark's page texts (tuned and held apart, as inputs only), adversarial
Unicode lines, link definitions and random documents, with several kept ranges, open and claimed lines and
settings; and the detectors' whole finding with the compiled part against the same detectors with the Python one."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from functools import cache
from itertools import pairwise
from pathlib import Path

import pytest

from cleaner.core.relatedrun import RelatedRunSettings
from cleaner.core.structure import Detectors, MainSpanSettings, PageIntentSettings, StructureSettings
from tests import structure_oracle as oracle
from tests.shares import SHARES, at_least
from tests.test_spanfeat import ADVERSARIAL, _documents

STRUCTURE = Path(__file__).resolve().parents[1] / "benchmarks" / "structure"
#: The built-in settings as far as this part reads them, and others.
SETTINGS = (
    MainSpanSettings(keep_repeated_titles=True, dense_char_weight=3.0, mass_chars=60, furniture_words=3),
    MainSpanSettings(keep_repeated_titles=False, dense_char_weight=1.0, mass_chars=0, furniture_words=0),
    MainSpanSettings(keep_repeated_titles=True, dense_char_weight=2.5, mass_chars=7, furniture_words=12),
)
#: Link definitions and lines that nearly are: spaces of every kind, a line feed, labels of 40 and 41 characters.
LINKS = ("[3]: https://example.org", "[3]:https://example.org", "[3]:", "[3]: ", "[]: x", "[a]b: x", "[3]: x y z",
         "[3]:\u3000x\u2028y", "[3]: x \n y", "[3]: x\ny", "[3]:\nx", "[3]:\x1cx\x1c", "[" + "a" * 40 + "]: x",
         "[" + "a" * 41 + "]: x", "[a\nb]: x", "[[a]: x", "[a]]: x", "[a]: \ud800", "[\ud800]: x", "[a]:\x85x")


@cache
def _detectors() -> Detectors:
    return Detectors(StructureSettings(main_span=MainSpanSettings(), related_run=RelatedRunSettings()))


def _pages() -> list[tuple[str, list[str]]]:
    return [(path.name, [line.strip() for line in path.read_text(encoding="utf-8").split("\n")])
            for part in ("tuned", "heldapart") for path in sorted((STRUCTURE / part).glob("*.txt"))]


def _check(lines: Sequence[str], claimed: Sequence[bool], name: str, chooser: random.Random) -> None:
    detectors = _detectors()
    feats, prose = detectors._features().lines(lines, claimed)[:2]
    count = len(lines)
    opens = ([True] * count, [chooser.random() < 0.8 for _ in lines])
    ranges = {(0, -1), (count // 3, 2 * count // 3), (0, count - 1), (count // 2, count // 2)}
    if count:
        ranges |= {tuple(sorted((chooser.randrange(count), chooser.randrange(count)))) for _ in range(3)}
    for open_lines in opens:
        first = next((i for i, free in enumerate(open_lines) if free and lines[i]), None)
        for keep_from, keep_to in sorted(ranges):
            if keep_to >= count:
                continue
            for s in SETTINGS:
                for opening in (None, first):
                    got = detectors._outside(lines, feats, prose, open_lines, claimed, keep_from, keep_to, opening, s)
                    wanted = oracle.outside(lines, feats, prose, open_lines, claimed, keep_from, keep_to, opening, s)
                    assert got == wanted, f"{name}: lines {keep_from}-{keep_to}, {s}"


@pytest.mark.parametrize("share", SHARES)
def test_the_outside_lines_are_pythons_on_every_real_text_and_page(share: int) -> None:
    chooser = random.Random(26)
    documents = (_documents() + _pages())[::share]
    assert len(documents) > at_least(500, share)
    for name, lines in documents:
        _check(lines, [False] * len(lines), name, chooser)
        _check(lines, [chooser.random() < 0.2 for _ in lines], f"{name} (some lines claimed)", chooser)


def test_the_outside_lines_are_pythons_on_adversarial_and_random_documents() -> None:
    chooser = random.Random(7)
    lines = [*ADVERSARIAL, *LINKS, *(f"{a} {b}" for a, b in pairwise(ADVERSARIAL))]
    _check(lines, [False] * len(lines), "adversarial lines", chooser)
    _check(lines, [n % 3 == 0 for n in range(len(lines))], "adversarial lines, some claimed", chooser)
    # Random documents where lines repeat (titles printed two, three or four times), long lines, dense scripts.
    pieces = ("Council approves the new budget for schools", "Home", "Politics", "Share", "", "",
              "The council met on Monday and agreed to spend more on schools than it had planned to, at length.",
              "关于我们的新闻标题在这里很长的一行", "[1]: https://example.org/a", "[note]: see below", "a" * 130,
              "Ab Cd Ef Gh", "\ud800 lone", "ΣΑΣ ΟΔΟΣ")
    for round_ in range(400):
        document = [chooser.choice(pieces) for _ in range(chooser.randint(0, 30))]
        claimed = [chooser.random() < 0.1 for _ in document]
        _check(document, claimed, f"random document {round_}: {document}", chooser)


@pytest.mark.parametrize("variant", range(3))
def test_the_detectors_find_the_same_with_the_python_definition(variant: int,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole finding (removals, related records, evidence) on every real text and page, with the span's
    built-in guards and with variants of them."""
    span = (MainSpanSettings(min_furniture_share=0.6, max_outside_mass=0.5, keep_repeated_titles=True),
            MainSpanSettings(min_furniture_share=0.0, max_outside_mass=0.0, keep_repeated_titles=False),
            MainSpanSettings(min_furniture_share=0.3, max_outside_mass=2.0, mass_chars=20, furniture_words=6))[variant]
    settings = StructureSettings(main_span=dataclasses.replace(span, min_span_weight=2.0, min_span_share=0.3),
                                 page_intent=PageIntentSettings(), related_run=RelatedRunSettings())
    compiled, python = Detectors(settings), Detectors(settings)

    def by_python(lines: Sequence[str], feats: Sequence[object | None], prose: Sequence[bool],
                  open_lines: Sequence[bool], claimed: Sequence[bool], keep_from: int, keep_to: int,
                  opening: int | None, s: MainSpanSettings) -> tuple[list[int], int, float, float]:
        return oracle.outside(lines, feats, prose, open_lines, claimed, keep_from, keep_to, opening, s)

    monkeypatch.setattr(python, "_outside", by_python, raising=False)
    chooser = random.Random(variant)
    acted = 0
    for name, lines in _documents() + _pages():
        open_lines = [chooser.random() < 0.95 for _ in lines]
        claimed = [False] * len(lines)
        got, wanted = compiled.run(lines, open_lines, claimed), python.run(lines, open_lines, claimed)
        assert got == wanted, name
        acted += bool(got.removed)
    assert acted > 50  # (the span removed lines on many documents: the part was exercised)
