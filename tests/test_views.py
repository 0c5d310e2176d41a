"""The matching views of lines, made by the compiled core (src/views.rs), against their definition in Python
(tests/view_oracle.py, the pure-Python engine's function): over every code point, the real texts, and lines
built to catch a difference (invisible characters, look-alike letters beside Latin ones, compatibility forms,
combining marks, characters Python's Unicode does not know yet, lone surrogates)."""

from __future__ import annotations

import random
import sys
import unicodedata
from functools import cache

import pytest

from benchmarks.realtext import real_texts
from cleaner import _native
from cleaner.core.text import CONFUSABLE, INVISIBLE, View, build_views, matching_view
from tests.conftest import DUMPS, SEEDS
from tests.shares import SHARES, at_least
from tests.view_oracle import matching_view as oracle

#: Every code point a Python string handed to Rust can hold (no surrogates), in order.
EVERY_CHARACTER = "".join(map(chr, [*range(0xD800), *range(0xE000, sys.maxunicode + 1)]))


@cache
def views() -> _native.Views:
    return build_views()


def _normal(line: str) -> str:
    return " ".join(line.split())


def _differences(lines: list[str]) -> list[str]:
    """The lines whose view differs between the core and the oracle (each normalised first, as the engine
    hands lines over)."""
    wrong = []
    made = views()
    for line in lines:
        normal = _normal(line)
        expected = oracle(normal)
        got = matching_view(normal, made)
        if (None if got is None else (got.text, got.origin)) != expected:
            wrong.append(repr(normal))
        elif got is not None and got.size != len(normal):
            wrong.append(f"size of {normal!r}")
    return wrong


def test_the_tables_are_pythons_over_every_code_point() -> None:
    """Letters (``str.isalpha``) and each character's NFKC form, as the core answers them."""
    made = views()
    assert made.letters(EVERY_CHARACTER) == "".join(filter(str.isalpha, EVERY_CHARACTER))
    expected = [unicodedata.normalize("NFKC", char) for char in EVERY_CHARACTER]
    got = made.nfkc_each(EVERY_CHARACTER)
    wrong = [f"U+{ord(char):04X}" for char, a, b in zip(EVERY_CHARACTER, expected, got, strict=True) if a != b]
    assert wrong == []


def test_normalisation_checks_are_pythons_over_every_code_point() -> None:
    """Whether a text is NFKC-normalised, for each character alone, after a letter that composes, and before
    combining marks (which reorder and compose across characters)."""
    made = views()
    texts = [text for char in EVERY_CHARACTER for text in (char, "e" + char, char + "\u0301", char + "\u0316\u0301")]
    expected = [unicodedata.is_normalized("NFKC", text) for text in texts]
    got = made.normalized(texts)
    assert sum(expected) < len(texts)  # not all normalised already
    assert [t for t, a, b in zip(texts, expected, got, strict=True) if a != b] == []


@pytest.mark.parametrize("share", SHARES)
@pytest.mark.parametrize("template", ["a{}\u0430", "\u0435{}x", "x {} y", "{}\u0301a\u0430", "{}{}"])
def test_views_over_every_code_point(template: str, share: int) -> None:
    """Each code point inside a line shaped to make it count: beside a Latin and a look-alike letter (is it a
    letter, joining them into one word?), between spaces (does its form hold a space?), before a combining
    mark, doubled."""
    lines = [template.format(char, char) for char in EVERY_CHARACTER[::share]]
    assert _differences(lines) == []
    assert sum(oracle(_normal(line)) is not None for line in lines) > at_least(1000, share)


@cache
def _corpus_lines() -> tuple[str, ...]:
    texts = real_texts()
    texts += [p.read_text(encoding="utf-8") for folder in (DUMPS, SEEDS) for p in sorted(folder.glob("*.txt"))]
    return tuple(sorted({_normal(line) for text in texts for line in text.splitlines() if line.strip()}))


def test_views_of_the_real_texts() -> None:
    lines = list(_corpus_lines())
    assert len(lines) > 10000
    assert sum(oracle(line) is not None for line in lines) > 500
    assert _differences(lines) == []


def _spoiled(line: str, rng: random.Random) -> str:
    """The line with characters that change its view put in: invisible ones, look-alike letters, fullwidth and
    compatibility forms, decomposed accents, spaces of other kinds."""
    invisible = [*sorted(INVISIBLE), "\U000e0041", "\U000e007f"]
    latin = {latin: look for look, latin in CONFUSABLE.items()}
    out = []
    for char in line:
        roll = rng.random()
        if roll < 0.08:
            out.append(rng.choice(invisible))
        if char in latin and roll < 0.3:
            out.append(latin[char])
        elif char.isascii() and "!" <= char <= "~" and roll < 0.4:
            out.append(chr(ord(char) + 0xFEE0))  # fullwidth
        elif char in "ae" and roll < 0.5:
            out.append(char + "\u0301")
        elif char == " " and roll < 0.6:
            out.append(rng.choice(["\u00a0", "\u2009", "\u3000", " \u200b ", "\u00ad "]))
        else:
            out.append(char)
        if roll > 0.97:
            out.append(rng.choice(["\ufb01", "\u2474", "\u00a8", "\u3392", "\ufdfa", "\U0001e030", "\u1100\u1161",
                                   "\u0345\u0316"]))
    return "".join(out)


def test_views_of_adversarial_lines() -> None:
    rng = random.Random(27)
    lines = [line for line in _corpus_lines() if line.isascii()]
    spoiled = [_spoiled(line, rng) for line in rng.sample(lines, min(len(lines), 20000))]
    assert sum(oracle(_normal(line)) is not None for line in spoiled) > 5000
    assert _differences(spoiled) == []


def test_a_lone_surrogate_is_a_character_like_any_other() -> None:
    lines = ["Ad\u200bvert \ud800isement", "\ud800", "\udfff \u0430bc", "a\ud800\u0430", "\uff21\ud800", "x\ud800y",
             "\ufffe\ud800\uffff\u200b"]
    assert _differences(lines) == []
    line = "Ad\u200bvert \ud800isement"
    expected = View("Advert \ud800isement", tuple(n for n in range(len(line)) if n != 2), len(line))
    assert matching_view(line, views()) == expected
