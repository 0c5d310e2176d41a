"""A record's content hash computed natively for any text (src/batch.rs, :func:`cleaner.io.writers.record_hash`)
is the one Python computes (:func:`cleaner.core.corpus.content_hash`): every code point, Python's white space
and case folding past ASCII, random texts of every kind, and the fallback for a lone surrogate."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from cleaner._native import ContentHasher
from cleaner.core.corpus import content_hash
from cleaner.core.matcher import case_folds
from cleaner.core.records import Record
from cleaner.io.readers import Document
from cleaner.io.writers import CONTENT_HASH, record_hash, record_values

_HASHER = ContentHasher(case_folds())
#: Characters where Python and a naive port differ: its white space past ASCII (and the ASCII separators),
#: full case foldings (to several characters, to ASCII, of final sigma and dotted I), invisible marks.
_TRICKY = ("\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000\u180e\u200b\ufeff"
           "ßẞſﬁﬀΣσςİıǅǄǆΐᾈꭰＡＢ𐐀𞤀\U0001f600é中文")


def test_every_code_point_hashes_as_python_hashes_it() -> None:
    # Each code point between two letters and beside a space, in texts of 256 code points (a chunk's hash
    # differs if any one of its characters is split or folded otherwise than by Python).
    for start in range(0, 0x110000, 256):
        points = [p for p in range(start, start + 256) if not 0xD800 <= p < 0xE000]
        if not points:
            continue
        text = "".join(f"A{chr(p)}b {chr(p)}" for p in points)
        assert _HASHER.hash(text) == content_hash(text), hex(start)
        assert _HASHER.key(text) == " ".join(text.split()).casefold(), hex(start)


def test_random_texts_hash_as_python_hashes_them() -> None:
    r = random.Random(27)
    alphabet = "aZ09 .,\t\n\r" + _TRICKY
    texts = ["", " ", "\u3000", "ß", "ΣΑΣ", " İstanbul\u2028ŞEHİR ", "x" * 128 + "é", "é" * 200]
    texts += ["".join(r.choice(alphabet) for _ in range(r.randint(0, 400))) for _ in range(3000)]
    for text in texts:
        assert _HASHER.hash(text) == content_hash(text), repr(text)
        assert record_hash(text) == content_hash(text), repr(text)


def test_a_lone_surrogate_is_left_to_python() -> None:
    text = "a \ud800 B"
    assert _HASHER.hash(text) is None
    assert record_hash(text) == content_hash(text)


def test_a_record_row_carries_the_same_hash() -> None:
    document = Document("d1", "in.jsonl", 3, text="x", fetched_at=datetime(2024, 5, 1, tzinfo=UTC))
    for text in ("Straße  und\u00a0SPASS", "Ünïcödé ΣΑΣ\nтекст", "plain ASCII  text", "lone \udc00 half"):
        record = Record("d1", 0, "main", None, None, None, text)
        assert record_values(record, document, None)[CONTENT_HASH] == content_hash(text)
