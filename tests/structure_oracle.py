"""The structural detectors' per-line features as they were written in Python before the compiled core computed
them (src/spanfeat.rs): the definition tests/test_spanfeat.py checks the compiled features against; and the span
detector's passes over them (weights, best span, related runs' line shapes, table of contents, named headline) as
they were before src/spanrun.rs computed them, which tests/test_spanrun.py checks. Not used at run time.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise
from typing import NamedTuple

from cleaner.core.relatedrun import RelatedRunSettings, Shape
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


def best_span(feats: Sequence[object | None], weights: Sequence[float]) -> tuple[int, int, float]:
    """``Detectors._best_span`` as it was written in Python (src/spanrun.rs computes it now)."""
    best, best_start, best_end = 0.0, -1, -1
    total, start = 0.0, -1
    for index, f in enumerate(feats):
        if f is None:
            continue
        gain = weights[index]
        if total <= 0 and gain <= 0:
            continue  # a span starts on prose
        if total <= 0:
            total, start = gain, index
        else:
            total += gain
        if total > best:
            best, best_start, best_end = total, start, index
    return best_start, best_end, best


def weights(feats: Sequence[object | None], prose: Sequence[bool], s: MainSpanSettings) -> list[float]:
    """``Detectors._weights`` as it was written in Python (src/spanrun.rs computes it now)."""
    present = [i for i, f in enumerate(feats) if f is not None]
    weights = [0.0] * len(feats)
    for position, index in enumerate(present):
        if not prose[index]:
            weights[index] = -s.line_penalty
            continue
        before = position > 0 and prose[present[position - 1]]
        after = position + 1 < len(present) and prose[present[position + 1]]
        weights[index] = s.prose_weight if before or after else s.isolated_prose_weight
    if s.min_alternation:
        chain: list[tuple[int, int]] = []  # (position among the present lines, line index)
        for position, index in enumerate([*present, -1]):
            if index >= 0 and not prose[index]:
                continue
            isolated = index >= 0 and weights[index] == s.isolated_prose_weight != s.prose_weight
            if isolated and (not chain or chain[-1][0] == position - 2):
                chain.append((position, index))
                continue
            if len(chain) < s.min_alternation:
                for _, member in chain:
                    weights[member] = s.prose_weight
            chain = [(position, index)] if isolated else []
    return weights


def related_shapes(lines: Sequence[str], feats: Sequence[object | None], prose: Sequence[bool],
                   after: Sequence[int], s: RelatedRunSettings) -> list[Shape | None]:
    """The shapes ``Detectors._related_runs`` gave ``relatedrun.related_runs`` in Python (src/spanrun.rs makes them
    now, asking the date patterns only of lines with a digit or "ago")."""
    from cleaner.core.structure import _DATE, _READING_TIME

    shapes: list[Shape | None] = [None] * len(lines)
    for i in after:
        f = feats[i]
        if f is not None:
            words = max(f.words, int(f.dense / s.dense_per_word))  # type: ignore[attr-defined]
            meta = (not s.meta_words or words <= s.meta_words) and \
                bool(_DATE.search(lines[i]) or _READING_TIME.search(lines[i]))
            shapes[i] = Shape(words, f.title_shaped, prose[i], meta, f.code)  # type: ignore[attr-defined]
    return shapes


def toc_matches(lines: Sequence[str], feats: Sequence[object | None], prose: Sequence[bool],
                open_lines: Sequence[bool], claimed: Sequence[bool], start: int, keep_from: int, keep_to: int,
                reach: int) -> tuple[list[int], int]:
    """``Detectors._table_of_contents`` up to its count of entries, as it was written in Python (src/spanrun.rs
    computes it now): the lines above the span that repeat a heading kept below, and how many keys they hold."""
    from cleaner.core.structure import _letters

    keys = [_letters(line) if line and not taken else None for line, taken in zip(lines, claimed, strict=True)]
    counts = Counter(keys)
    kept = [i for i in range(keep_from, keep_to + 1) if feats[i] is not None]
    opening = [i for i, following in pairwise(kept) if not prose[i] and prose[following]]
    inside = Counter(keys[i] for i in opening)
    headings = {key for key, count in inside.items() if key and count == 1 and counts[key] == 2}
    taken = set(opening)
    present = [i for i in range(start) if feats[i] is not None]
    matches = [i for i in present[-reach:] if open_lines[i] and i not in taken and keys[i] in headings]
    return matches, len({keys[i] for i in matches})


def named_headline(lines: Sequence[str], feats: Sequence[object | None], prose: Sequence[bool],
                   open_lines: Sequence[bool], start: int, reach: int, s: MainSpanSettings, max_words: int) -> int:
    """``Detectors._named_headline`` as it was written in Python (src/spanrun.rs computes it now)."""
    from cleaner.core.structure import _name_tokens

    opening: set[str] = set()
    taken = 0
    for index in range(start, len(lines)):
        if taken >= s.headline_prose_lines:
            break
        if prose[index]:
            opening |= _name_tokens(lines[index])
            taken += 1
    if not opening:
        return -1
    seen = 0
    index = start - 1
    best, best_shared = -1, 0
    while index >= 0 and seen < reach:
        f = feats[index]
        if f is not None:
            seen += 1
            if open_lines[index] and not prose[index] and not f.sentence_end and \
                    max(f.words, f.dense // 2) <= max_words:  # type: ignore[attr-defined]
                tokens = _name_tokens(lines[index])
                shared = len(tokens & opening)
                if shared > best_shared and shared >= s.headline_overlap * len(tokens):
                    best, best_shared = index, shared
        index -= 1
    return best


#: A markdown link reference definition ("[3]: https://..."): the target of a link in the text, kept with it.
_LINK_DEFINITION = re.compile(r"\[[^\]]{1,40}\]:\s*\S+(?:\s+.*)?")


def outside(lines: Sequence[str], feats: Sequence[object | None], prose: Sequence[bool], open_lines: Sequence[bool],
            claimed: Sequence[bool], keep_from: int, keep_to: int, opening: int | None, s: MainSpanSettings
            ) -> tuple[list[int], int, float, float]:
    """``Detectors._outside`` (src/spantail.rs) as ``Detectors._run`` computed it in Python: the lines outside the
    kept article, how many are furniture-short, the kept article's mass and that of the long lines outside."""
    head: set[str] = set()
    if s.keep_repeated_titles:
        counts = Counter(line for line, f in zip(lines, feats, strict=True) if f is not None)
        head = {lines[i] for i in range(keep_from, keep_to + 1)
                if feats[i] is not None and not prose[i] and 2 <= counts[lines[i]] <= 3}
    found = [i for i in range(len(lines))
             if lines[i] and open_lines[i] and not claimed[i] and not keep_from <= i <= keep_to
             and not _LINK_DEFINITION.fullmatch(lines[i]) and i != opening and lines[i] not in head]
    short = sum(1 for i in found if (f := feats[i]) is not None and
                max(f.words, f.dense // 2) <= s.furniture_words)  # type: ignore[attr-defined]

    def mass(index: int) -> float:
        f = feats[index]
        return len(lines[index]) + (s.dense_char_weight - 1) * (f.dense if f is not None else 0)  # type: ignore

    kept_mass = sum(mass(i) for i in range(keep_from, keep_to + 1) if feats[i] is not None)
    outside_mass = sum(mass(i) for i in found if mass(i) >= s.mass_chars)
    return found, short, kept_mass, outside_mass
