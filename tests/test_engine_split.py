"""The compiled split of a document into its stripped lines (cleaner._native.split_document) against the Python
definition it replaced: ``str.splitlines(keepends=True)``, ``str.strip`` and the invisible marks stripped at a
line's edges, each stripped line's start found in its raw line."""

from __future__ import annotations

import random
from itertools import accumulate

from cleaner import _native
from cleaner.core.engine import _EDGES, _INVISIBLE, Engine, _Pass
from cleaner.core.rules import RuleSet
from tests.engine_oracle import OraclePass
from tests.test_engine_bookkeeping import engine


def _reference(text: str) -> tuple[list[str], list[int], bytearray]:
    offset = 1 if text.startswith("\ufeff") else 0
    raw = (text[offset:] if offset else text).splitlines(keepends=True) or [""]
    lines = [line.strip() for line in raw]
    lines = [line.strip(_EDGES) if line and (line[0] in _INVISIBLE or line[-1] in _INVISIBLE) else line
             for line in lines]
    starts = accumulate(map(len, raw[:-1]), initial=offset)
    return lines, [start + piece.find(line) for start, piece, line in zip(starts, raw, lines, strict=True)], \
        bytearray(map(bool, lines))


def _split(text: str) -> tuple[list[str], list[int], bytearray]:
    return _native.split_document(text)


#: Every character Python splits lines at or strips, the invisible marks, and a few letters and line breaks.
_PIECES = (["a", "é", "中", "😀", "x y", "\r\n", "\u180e", "\u00ad", "\ufeff"] + sorted(_INVISIBLE)
           + [chr(c) for c in range(0x3001) if chr(c).isspace()])


def test_random_documents_split_as_python_splits_them() -> None:
    rng = random.Random(7)
    for _ in range(30000):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 14)))
        assert _split(text) == _reference(text), repr(text)


def test_every_character_splits_and_strips_as_in_python() -> None:
    """Each code point (surrogates aside) inside a line, at its edges and alone on a line."""
    for first in range(0, 0x110000, 4096):
        characters = [chr(c) for c in range(first, first + 4096) if not 0xD800 <= c < 0xE000]
        text = "".join(f"x{c}y\n{c}z{c}\n{c}\n" for c in characters)
        assert _split(text) == _reference(text), hex(first)


def test_edge_cases() -> None:
    for text in ("", "\n", "\r\n", "\r", "\ufeff", "\ufeff\n", " a \n\n b", "a\r\r\nb", "\u2028\u2029", "  \n"):
        assert _split(text) == _reference(text), repr(text)


def test_lone_surrogates_split_as_python_splits_them() -> None:
    for text in ("Advertisement\nbody \ud800 text\n", "\udfff\n\ud800", " \ud800 \u200b\n\ufeff"):
        assert _split(text) == _reference(text), repr(text)
    text = "Advertisement\nbody \ud800 text\n"
    work = _Pass(engine(), text, None, None, None)
    assert work.lines == OraclePass(engine(), text, None, None, None).lines == ["Advertisement", "body \ud800 text"]
    assert work._line_starts() == _reference(text)[1]


def test_the_oracle_engine_splits_in_python_as_the_compiled_split_does() -> None:
    """An engine without the compiled matcher splits the text itself: the same lines and starts."""
    python = Engine(RuleSet(()), native=False)
    for text in ("\ufeffTitle\r\n \u200bAdvertisement\u200e \n\n body\u2028end", "", "\n\n"):
        work = _Pass(python, text, None, None, None)
        assert work.raw is not None
        assert (work.lines, work._line_starts(), work.state) == _split(text), repr(text)
