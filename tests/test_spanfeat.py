"""The structural detectors' compiled line features (src/spanfeat.rs) against their Python definition
(tests/structure_oracle.py): every feature, the prose test's answer without stop words, the language sample, the
number test, the question and code counts, the lines of wrapped paragraphs and the letter keys of the table of
contents, alike on the structure benchmark's page texts, the seeds, the fixtures, the real dumps, adversarial lines
and every code point."""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Sequence
from functools import cache
from itertools import pairwise

import pytest

from benchmarks.realtext import real_texts
from cleaner._native import LineFeatures, SpanFeatures
from cleaner.core.relatedrun import RelatedRunSettings
from cleaner.core.structure import (
    _COUNT,
    _DATE,
    _FOLDED_CHARACTERS,
    _PRICE,
    _THREAD,
    Detectors,
    MainSpanSettings,
    PythonCharacters,
    StructureSettings,
    _letters,
)
from tests import structure_oracle as oracle
from tests.fixture_texts import text_folders
from tests.shares import SHARES

#: The built-in settings (rules/structure.toml's, as far as the features read them) and others.
SETTINGS = (
    (MainSpanSettings(min_words=5, min_dense_chars=15, min_stop_words=12),
     RelatedRunSettings(min_words=4, max_words=25)),
    (MainSpanSettings(min_words=1, min_dense_chars=2, min_stop_words=3),
     RelatedRunSettings(min_words=1, max_words=3)),
)

#: Lines that test the Unicode corners: scripts without spaces, marks, right-to-left text, emoji, digits of other
#: scripts, spaces Python splits on and Rust's tables do not hold, case mappings that grow or depend on context,
#: lone surrogates, very long lines.
ADVERSARIAL = (
    "", " ", "\t", "\x1c\x1d\x1e\x1f", "a\x1cb\x1fc d", "\u00a0", "a\u00a0b c", "a\u3000b", "\u200b\u200bword",
    "a\u180eb", "\u2028x\u2029y", "\x85z", "- item", "-\u00a0item", "-\x1citem", "* x", "• x", "–\u2003dash item",
    "1. one", "12) two", "123. three", "1234. four", "١. عربي", "३) हिन्दी", "１. ｆｕｌｌ", "²) super", "(1) x",
    "(12)\u3000y", "(1234) z", "[1] ref", "[12]: https://example.com", "[1]:x", "[1]:", "a. b", "z) c", "A. upper",
    "é. accent", "“Quoted,” he said.", "„Zitat“", "«Citation»", "— dash", "> quote", "「日本語」", "『本』",
    "中文句子，没有空格。", "这是一个很长的中文句子，用来测试密集脚本的字符计数和标题形状的判断。",
    "ภาษาไทยไม่มีช่องว่างระหว่างคำ", "한국어 문장입니다.", "日本語の文章です。", "カタカナ", "ລາວ", "ខ្មែរ", "မြန်မာ",
    "مرحبا بالعالم؟", "שלום עולם.", "\u202eevil\u202c text", "e\u0301te\u0301 de\u0301ja\u0300", "a\u0308bc",
    "\u0301leading mark", "ﬁnance oﬃce", "😀 emoji 👍🏽 and 👨‍👩‍👧 family.", "🇫🇷 flag", "Ⅻ roman Ⅻ", "ⅻ small",
    "ΟΔΟΣ ΟΔΟΣ.", "ΣΑΣ", "Σ", "aΣ", "Σa", "İstanbul İZMİR", "Kelvin \u212a", "Straße STRASSE", "ſtraſſe",
    "ᾼ ᾳ ǅ ǈ", "Ꭰ Ꮿ ꭰ", "𐐀𐐨 deseret", "𞤀𞤢 adlam", "ꓐ lisu", "ªº ordinals", "a_b c__d", "x = {", "def f():",
    "SELECT * FROM t", "$ ls -l", ">>> print(1)", "a | b | c", "a\tb\tc", "x;", "f();", "},", "```python", "~~~",
    "#include <stdio.h>", "Quote", "QUOTE", "qUoTe", "ſhare", "Share", "Reply", "RE: the thread", "Re: x y",
    "Aw: Antwort darauf", "SV: svar", "Joined: Jan 2020", "joined 3 years", "Posted by someone", "PoſTED by x",
    "Asked yesterday", "aſked by her", "anſwered by", "Edited", "edited by X", "İİ wrote:", "John wrote:", "Jane WROTE",
    "Пётр писал:", "ПИСАЛ", "Ivan ПИСАᲃ", "Marie a écrit :", "Marie A ÉCRIT:", "Hans schrieb:", "Hans SCHRİEB",
    "Ana escribió:", "Ana ESCRIBIÓ", "Bob said", "Bob ſaid:", "#12", "#123456", "Posts: 41", "12 answers",
    "3 votes", "2 replies", "Permalink", "PERMALİNK", "Report", "report abuse", "Modified 3 days ago",
    "Kelvin Keeps said", "x wrote::", "wrote", " wrote", "said:", "a" * 61 + " wrote",
    "Price: $10.99", "USD 5", "5 EUR", "Rs. 100", "R$ 10", "10 kr", "5 zł", "100円", "5元", "10 руб", "5 usd",
    "2024-01-02", "1/2/24", "3.4.2024", "2024年5月", "Jan 3, 2024", "3 JANUARY 2024", "ſep 3, 2024",
    "5 minutes ago", "5 MINUTES AGO", "12 VİEWS", "1.2k views", "3 ᲃomments", "١٢/٣/٢٠٢٤", "۱۲-۳-۲۰۲۴",
    "€ 5", "½ cup sugar", "⅓ tsp", "Posted 3 days ago", "Why?", "なぜ？",
    "¿Qué? ¡Sí!", "end...", "end…", "end.)", "end.”", "end.」", "end!»", "end?”’", "end;", "end；", "end。", "हाँ।",
    "հա։", "نعم۔", "\ud800 lone surrogate", "a\udfffb c.", "\ud83d\ude00 pair of surrogates", "\uffff\ufffe",
    "word " * 60, "longword" * 40, ("Ω " * 101).strip(), "a " * 100 + "b", " ".join(["x"] * 100) + "|" * 3,
    "\u0e01" * 300, "Ab. " * 70,
)


@cache
def _compiled(settings: int) -> SpanFeatures:
    span, related = SETTINGS[settings]
    return Detectors(StructureSettings(main_span=span, related_run=related))._features()


def _as_tuple(f: LineFeatures | oracle.LineFeatures | None) -> tuple[object, ...] | None:
    return None if f is None else (f.words, f.dense, f.sentence_end, f.title_shaped, f.attached, f.code)


def _check(lines: Sequence[str], claimed: Sequence[bool], settings: int, name: str) -> None:
    span, related = SETTINGS[settings]
    feats, prose, unsure, sentences, numeric, questions, code, thread, priced, dated = \
        _compiled(settings).lines(lines, claimed)
    want = oracle.document(lines, claimed, span, related)
    for index, (got, wanted) in enumerate(zip(feats, want.feats, strict=True)):
        assert _as_tuple(got) == _as_tuple(wanted), f"{name}, line {index + 1}: {lines[index]!r}"
    assert (prose, unsure, sentences, numeric, questions, code) == tuple(want[1:]), name
    # The lines the page intent tries as post frames: every one _THREAD matches (others are left out to save time).
    framed = [i for i, (line, f) in enumerate(zip(lines, want.feats, strict=True))
              if f is not None and len(line) <= 80 and _THREAD.fullmatch(line)]
    assert set(framed) <= set(thread), f"{name}: {[lines[i] for i in set(framed) - set(thread)]}"
    # ... and as prices, dates and counts: every line their patterns find something in.
    for index, (line, f) in enumerate(zip(lines, want.feats, strict=True)):
        if f is not None:
            assert priced[index] or not _PRICE.search(line), f"{name}: {line!r}"
            assert dated[index] or not (_DATE.search(line) or _COUNT.search(line)), f"{name}: {line!r}"
    for furniture in (0, 3):
        assert _compiled(settings).wrapped(lines, feats, span.min_words, furniture) == \
            oracle.wrapped(lines, want.feats, span.min_words, furniture), name
    keys = _compiled(settings).letters(lines, claimed, _letters)
    assert keys == [_letters(line) if line and not taken else None
                    for line, taken in zip(lines, claimed, strict=True)], name


def _documents() -> list[tuple[str, list[str]]]:
    texts = [(f"real text {n}", text) for n, text in enumerate(real_texts())]
    texts += [(path.name, path.read_text(encoding="utf-8")) for folder in text_folders() if folder.is_dir()
              for path in sorted(folder.glob("*.txt"))]
    return [(name, [line.strip() for line in text.split("\n")]) for name, text in texts]


@pytest.mark.parametrize("settings", range(len(SETTINGS)))
def test_the_features_are_pythons_on_every_real_text(settings: int) -> None:
    chooser = random.Random(26)
    documents = _documents()
    assert len(documents) > 300
    for name, lines in documents:
        _check(lines, [False] * len(lines), settings, name)
        # Claimed lines (a record holds them) have no features.
        _check(lines, [chooser.random() < 0.2 for _ in lines], settings, f"{name} (some lines claimed)")


@pytest.mark.parametrize("settings", range(len(SETTINGS)))
def test_the_features_are_pythons_on_adversarial_lines(settings: int) -> None:
    lines = list(ADVERSARIAL)
    lines += [line.strip() for line in ADVERSARIAL] + [f"{a} {b}" for a, b in pairwise(ADVERSARIAL)]
    _check(lines, [False] * len(lines), settings, "adversarial lines")
    _check(lines, [n % 3 == 0 for n in range(len(lines))], settings, "adversarial lines, some claimed")


@pytest.mark.parametrize("share", SHARES)
def test_the_features_are_pythons_for_every_code_point(share: int) -> None:
    """Each character in the places where its Unicode data counts: opening a token, between two, after a
    bullet, as a list item's digit, beside a sentence mark, and in the letter keys (lower case, word
    characters)."""
    # (Beyond planes 0 to 3 and 14 no character is a letter, digit, space or cased: the next test checks it.)
    every = [chr(code) for code in (*range(0x40000), *range(0xE0000, 0xE1000))][::share]
    for template in ("{0}a b{0}c{0}", "-{0}x{0}.", "{0}. x", "[{0}{0}]:{0}x", "(“{0}x y z."):
        lines = [template.format(c) for c in every]
        if template.startswith("("):  # each after a line that ends no sentence: a wrapped paragraph's line?
            lines = [line for c in lines for line in ("One two three four five", c)]
        _check(lines, [False] * len(lines), 0, f"every code point in {template!r}")


def test_pythons_characters_lie_in_the_planes_asked() -> None:
    """PythonCharacters asks planes 0 to 3 (case mappings: planes 0 and 1) only: no letter, space, digit, word
    character or case mapping lies beyond them."""
    beyond = "".join(chr(code) for code in range(0x40000, sys.maxunicode + 1))
    assert not any(c.isalnum() or c.isspace() or c.islower() for c in beyond)
    assert all(chr(code).lower() == chr(code) for code in range(0x20000, sys.maxunicode + 1) if
               not 0xD800 <= code < 0xE000)
    characters = PythonCharacters.asked()
    assert "Σ" in dict(characters.lower) and " " in characters.spaces and "\x1c" in characters.spaces


def test_every_case_variant_of_a_post_frame_date_or_count_word_is_tried() -> None:
    """The words of post-frame lines, dates and counts with each character replaced by every character Python's
    case-insensitive match takes for it (asked of every code point here, not of the table the features were built
    with)."""
    everything = "".join(chr(code) for code in range(sys.maxunicode + 1) if not 0xD800 <= code < 0xE000)
    variants = {x: re.findall(f"(?i){re.escape(x)}", everything) for x in _FOLDED_CHARACTERS}
    frames = ("3 Jan. 12, 2024", "feb 3, 2024", "3 march 2024", "Apr 1, 2024", "4 may 2024", "1 june 2020",
              "jul 4, 1776", "9 aug 2021", "sept 9, 2021", "10 october 2010", "nov 5, 2005", "24 december 2024",
              "2 days ago", "12 views", "3 replies", "1 reply", "4 posts", "5 comments", "6 answers", "7 votes",
              "8 reviews", "9 ratings", "10 topics", "11 members", "12 items", "13 results", "14 jobs", "15 downloads",
              "16 likes", "quote", "reply", "report", "permalink", "share", "joined: 2020", "re: a b", "aw: a b",
              "sv: a b", "asked by", "answered by", "edited by", "modified x", "posted by", "x wrote", "x said:",
              "x писал", "x a écrit:", "x schrieb", "x escribió")
    lines = [frame[:at] + variant + frame[at + 1:] for frame in frames for at, c in enumerate(frame)
             for variant in variants.get(c, [c])]
    assert all(_THREAD.fullmatch(line) or _DATE.search(line) or _COUNT.search(line) for line in lines)
    assert len(lines) > 300 and "ᲃ" in variants["с"] and "\u212a" in variants["k"]
    _check(lines, [False] * len(lines), 0, "post-frame words in every case")
