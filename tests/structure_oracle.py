"""The structural detectors' per-line features as they were written in Python before the compiled core computed
them (src/spanfeat.rs): the definition tests/test_spanfeat.py checks the compiled features against. Not used at
run time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from cleaner.core.relatedrun import RelatedRunSettings
from cleaner.core.structure import MainSpanSettings

#: (As in cleaner/core/structure.py when this was written.)
_DENSE = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
                    "\uf900-\ufaff\uac00-\ud7af]")
_SENTENCE_MARKS = frozenset(".!?…。！？؟۔।॥։;；")
_UNPUNCTUATE = str.maketrans(dict.fromkeys("\"“”‘«»()[]{}.,;:!?¡¿…*/|", " "))
_CLOSERS = "\"'”’»)]）」』】›"
_LIST_ITEM = re.compile(r"(?:[-*•·▪◦‣–]\s|\d{1,3}[.)]\s|[a-z][.)]\s|\(\d{1,3}\)\s|\[\d{1,3}\]:?\s)")
_QUOTE = re.compile("[\"“„«‘'—–>「『]")
_CODE_START = ("```", "~~~", "def ", "class ", "import ", "from ", "return ", "function ", "var ", "let ",
               "const ", "public ", "private ", "#include", "SELECT ", "$ ", ">>> ")
_CODE_END = ("{", "}", ";", "},", ");", ",")
#: What _PRICE, _DATE, _COUNT and _quantity need somewhere in a line: a decimal digit or a vulgar fraction.
_NUMERIC = re.compile(r"[\d½¼¾⅓⅔⅛]")


class LineFeatures(NamedTuple):
    words: int
    dense: int
    sentence_end: bool
    title_shaped: bool
    attached: bool
    code: bool


def _code_or_table(line: str) -> bool:
    return (line.startswith(_CODE_START) or line.endswith(_CODE_END) or "={" in line or line.count("|") >= 2
            or line.count("\t") >= 2)


def _sentence_end(line: str) -> bool:
    tail = line.rstrip(_CLOSERS)
    return bool(tail) and tail[-1] in _SENTENCE_MARKS and not tail.endswith(("...", "…"))


def features(line: str, related: RelatedRunSettings) -> LineFeatures:
    words = line.count(" ") + 1 if len(line) > 200 else \
        sum(1 for t in line.translate(_UNPUNCTUATE).split() if t[0].isalpha())
    dense = len(_DENSE.findall(line)) if not line.isascii() else 0
    ending = _sentence_end(line)
    if dense >= 2 * max(words, 1):
        title = related.min_words * 2.5 <= dense <= related.max_words * 2.5 and not ending
    else:
        title = related.min_words <= words <= related.max_words and not ending
    code = _code_or_table(line)
    attached = code or bool(_LIST_ITEM.match(line) or _QUOTE.match(line))
    return LineFeatures(words, dense, ending, title, attached, code)


class Answer(NamedTuple):
    """What ``SpanFeatures.lines`` answers for a document, as Python computed it."""

    feats: list[LineFeatures | None]
    #: Prose without asking stop words (long enough and ending like a sentence).
    prose: list[bool]
    #: Lines whose stop words decide (long enough for that, no sentence end).
    unsure: list[int]
    #: Lines long enough that end like a sentence (the language's sample).
    sentences: list[int]
    numeric: list[bool]
    questions: int
    code: int


def document(lines: Sequence[str], claimed: Sequence[bool], span: MainSpanSettings,
             related: RelatedRunSettings) -> Answer:
    feats = [features(line, related) if line and not taken else None
             for line, taken in zip(lines, claimed, strict=True)]
    prose, unsure, sentences = [False] * len(lines), [], []
    for index, f in enumerate(feats):
        if f is None or not (f.words >= span.min_words or f.dense >= span.min_dense_chars):
            continue
        if f.sentence_end:
            prose[index] = True
            sentences.append(index)
        elif f.words >= span.min_stop_words:
            unsure.append(index)
    numeric = [f is not None and bool(_NUMERIC.search(line)) for line, f in zip(lines, feats, strict=True)]
    questions = sum(1 for line, f in zip(lines, feats, strict=True)
                    if f is not None and line.endswith(("?", "？", "؟")))
    code = sum(1 for f in feats if f is not None and f.code)
    return Answer(feats, prose, unsure, sentences, numeric, questions, code)


def wrapped(lines: Sequence[str], feats: Sequence[LineFeatures | None], min_words: int,
            furniture_words: int) -> list[int]:
    """The lines of paragraphs a dump broke at line ends (``Detectors._wrapped`` as it was), in order."""
    prose = [False] * len(lines)
    group: list[int] = []
    words = opening = 0
    last_end = True

    def close() -> None:
        if len(group) >= 2 and words >= min_words:
            tail = lines[group[-1]].rstrip(_CLOSERS)
            if tail and (tail[-1] in _SENTENCE_MARKS or tail[-1] == ":"):
                for member in group:
                    prose[member] = True

    for index, f in enumerate(feats):
        if f is None:
            continue
        line = lines[index]
        head = line.lstrip("(\"'“‘«")
        if not last_end and group and head[:1].islower() and opening > furniture_words:
            group.append(index)
            words += f.words
        else:
            close()
            group = [index]
            words = opening = f.words
        last_end = f.sentence_end or line.endswith(":")
    close()
    return [index for index, p in enumerate(prose) if p]
