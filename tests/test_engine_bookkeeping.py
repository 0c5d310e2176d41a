"""The engine's per-document bookkeeping (its loops over every line, run in C) against the line-by-line form it
replaced (tests/engine_oracle.py): the same lines, records and removals over the fixtures, the seeds, the real
texts, a generated corpus and generated adversarial documents; and weak junk settled alike over generated
states."""

from __future__ import annotations

import random
from functools import cache

import pytest

from benchmarks.corpus import generate
from benchmarks.realtext import real_texts
from cleaner.core import engine as core_engine
from cleaner.core.engine import _BLANK, _CONTENT, _INVISIBLE, _REGION, _STRONG, _WEAK, Engine, _Pass
from cleaner.core.records import Cleaned
from cleaner.io.language import Languages
from cleaner.io.rulefiles import load_rules
from tests.engine_oracle import OraclePass, settle_weak_oracle
from tests.fixture_texts import text_folders
from tests.shares import SHARES, at_least

#: Pieces of generated documents: junk lines the built-in rules know, weak junk, every line break Python knows,
#: whitespace past ASCII, invisible characters, text in other scripts, a lone surrogate and long lines.
_PIECES = ["Advertisement", "Related Articles", "Share this", "Comments", "By John Smith", "5 hours ago",
           "Read more", "Follow us on Twitter", "Home", "Subscribe", "Photo: Reuters",
           "Cookie policy", "©2024 Example Media", "Tags:", "Previous article", "Next article", "Print",
           "The quick brown fox jumps over the lazy dog. ", "Тест статьи о погоде. ", "日本語の記事です。", "é",
           "Ａｄｖｅｒｔｉｓｅｍｅｎｔ", "\ud800", "x" * 300, " ", "  ", "\t", "\u3000", "\xa0", "\n", "\n\n", "\r\n",
           "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\x1f", *sorted(_INVISIBLE)]


@cache
def engine() -> Engine:
    return Engine(load_rules(), tools=Languages().tools())


def _adversarial(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    documents = []
    for _ in range(count):
        parts = [rng.choice(_PIECES) for _ in range(rng.randint(0, 80))]
        documents.append("".join(part + ("\n" if rng.random() < 0.4 else "") for part in parts))
    return ["", "\ufeff", "\ufeffAdvertisement\n\u200bShare this\u200b\nText.", *documents]


def _corpora() -> dict[str, list[str]]:
    folders = text_folders()
    return {
        "files": [p.read_text(encoding="utf-8", errors="replace") for f in folders for p in sorted(f.glob("*.txt"))],
        "real": real_texts(),
        "generated": [document["text"] for document, _ in generate(300, seed=7)],
        "adversarial": _adversarial(1500, seed=27),
    }


def _process(text: str, number: int) -> Cleaned:
    # Every other document with a title given, as the HTML path gives one.
    title = "Related Articles" if number % 2 else None
    return engine().process(text, doc_id=f"d{number}", url="https://news.example.com/a/1", title=title)


@pytest.mark.parametrize("share", SHARES)
def test_records_and_removals_match_the_line_by_line_engine(monkeypatch: pytest.MonkeyPatch, share: int) -> None:
    seen = {"removals": 0, "documents": 0}
    for name, every_text in _corpora().items():
        texts = every_text[::share]
        faster = [_process(text, number) for number, text in enumerate(texts)]
        with monkeypatch.context() as patch:
            patch.setattr(core_engine, "_Pass", OraclePass)
            reference = [_process(text, number) for number, text in enumerate(texts)]
        for number, (got, expected) in enumerate(zip(faster, reference, strict=True)):
            assert got == expected, f"{name} document {number}"
        seen["removals"] += sum(len(c.removals) for c in reference)
        seen["documents"] += len(texts)
    # The comparison covered documents with junk removed, not only clean ones.
    assert seen["removals"] > at_least(5000, share) and seen["documents"] > at_least(2000, share)


def test_every_invisible_edge_is_stripped_as_before() -> None:
    """Each invisible character at either edge of a line, inside one, and in a document without any."""
    for mark in sorted(_INVISIBLE):
        text = f"{mark}Advertisement\nShare this{mark}\nA line with a {mark} inside.\n \t{mark} Comments {mark}\t"
        faster = _Pass(engine(), text, None, None, None)
        reference = OraclePass(engine(), text, None, None, None)
        assert faster.lines == reference.lines, repr(mark)
        assert list(faster.state) == list(reference.state)
    plain = _Pass(engine(), "Advertisement \n  body\r\n", None, None, None)
    assert plain.lines == ["Advertisement", "body"]


def test_weak_lines_settle_as_line_by_line() -> None:
    rng = random.Random(5)
    states = [[_WEAK] * 5, [_BLANK, _WEAK, _BLANK], [_WEAK, _STRONG], [_CONTENT, _WEAK, _CONTENT, _REGION, _WEAK], []]
    for _ in range(20000):
        states.append([rng.choice((_BLANK, _CONTENT, _STRONG, _WEAK, _REGION)) for _ in range(rng.randint(1, 30))])
    settled = kept = 0
    for state in states:
        why: list[str | None] = [None if s in (_BLANK, _CONTENT) else f"R{n}" for n, s in enumerate(state)]
        expected_state, expected_why = list(state), list(why)
        settle_weak_oracle(expected_state, expected_why)
        faster = _Pass.__new__(_Pass)
        faster.state = bytearray(state)
        faster.why = list(why)
        faster._settle_weak_lines()
        assert (list(faster.state), faster.why) == (expected_state, expected_why), state
        settled += expected_state != state
        kept += _WEAK in expected_state
    # Both outcomes were met: weak lines back to content, and weak lines kept as junk beside strong junk.
    assert settled > 1000 and kept > 1000
