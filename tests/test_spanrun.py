"""The span detector's compiled passes (src/spanrun.rs) against their Python definitions: each line's weight in a
span and the best span (tests/structure_oracle.py), and the runs of title-shaped lines after the article
(``relatedrun.related_candidates`` with the shapes the span detector gave it, tests/structure_oracle.py), alike on
the real texts, the seeds, the fixtures, adversarial lines and many settings; the date patterns the compiled scan
asks only of lines with a digit or "ago" find nothing in any other line, whatever its case."""

from __future__ import annotations

import dataclasses
import random
import re
import sys
from collections.abc import Sequence
from functools import cache
from itertools import pairwise

import pytest

from cleaner._native import SpanRuns
from cleaner.core.relatedrun import Candidate, RelatedRunSettings, related_candidates
from cleaner.core.structure import (
    Detectors,
    MainSpanSettings,
    StructureSettings,
    _letters,
    _meta,
    _name_tokens,
)
from tests import structure_oracle as oracle
from tests.shares import SHARES, at_least
from tests.test_spanfeat import ADVERSARIAL, _documents

#: The span's weights at the built-in settings and others (isolated lines weighing as much as prose; teasers
#: counted whenever isolated; long chains only).
SPANS = (
    MainSpanSettings(line_penalty=0.15, prose_weight=1.0, isolated_prose_weight=0.3, min_alternation=6),
    MainSpanSettings(line_penalty=0.15, prose_weight=1.0, isolated_prose_weight=0.3, min_alternation=0),
    MainSpanSettings(line_penalty=0.0, prose_weight=1.0, isolated_prose_weight=1.0, min_alternation=2),
    MainSpanSettings(line_penalty=0.37, prose_weight=0.7, isolated_prose_weight=0.1, min_alternation=1),
)
#: The built-in related-run settings (rules/structure.toml, as far as the scan reads them) and looser and stricter.
RELATED = (
    RelatedRunSettings(min_titles=3, min_words=4, max_words=25, max_between=2, teaser_words=60, meta_words=5,
                       label_words=3, code_chars=2, max_number_share=0.4, dense_per_word=2.5),
    RelatedRunSettings(),
    RelatedRunSettings(min_titles=1, min_words=1, max_between=4, teaser_words=8, meta_words=0, label_words=0,
                       code_chars=1, max_number_share=0.0, dense_per_word=1.0),
    RelatedRunSettings(min_titles=2, min_words=2, max_between=0, teaser_words=0, meta_words=12, label_words=6,
                       code_chars=0, max_number_share=0.8, dense_per_word=3.3),
)


@cache
def _detectors() -> Detectors:
    return Detectors(StructureSettings(main_span=MainSpanSettings(), related_run=RelatedRunSettings()))


def _runs() -> SpanRuns:
    return _detectors()._runs()


def _check(lines: Sequence[str], claimed: Sequence[bool], name: str) -> None:
    feats, prose = _detectors()._features().lines(lines, claimed)[:2]
    for s in SPANS:
        got = _runs().weights(feats, prose, s.line_penalty, s.prose_weight, s.isolated_prose_weight, s.min_alternation)
        wanted = oracle.weights(feats, prose, s)
        assert got == wanted, name
        assert _runs().best_span(feats, got) == oracle.best_span(feats, wanted), name
    present = [i for i, f in enumerate(feats) if f is not None]
    open_lines = [n % 7 != 3 for n in range(len(lines))]  # (some lines removed by the rules)
    start, end, _ = oracle.best_span(feats, oracle.weights(feats, prose, SPANS[0]))
    spans = {(start, end), (len(lines) // 2, len(lines) - 1), (len(lines) // 3, 2 * len(lines) // 3)}
    for first, last in sorted(spans):
        if not 0 <= first <= last < len(lines):
            continue
        for reach in (0, 3, 40):
            assert _runs().toc_matches(_detectors()._features(), lines, feats, prose, open_lines, first, first,
                                       last, reach, _letters) == \
                oracle.toc_matches(lines, feats, prose, open_lines, claimed, first, first, last, reach), name
        for overlap, prose_lines, max_words, reach in ((0.5, 3, 25, 12), (0.0, 1, 3, 2), (1.0, 5, 40, 40)):
            s = MainSpanSettings(headline_overlap=overlap, headline_prose_lines=prose_lines)
            assert _runs().named_headline(_detectors()._features(), lines, feats, prose, open_lines, first, reach,
                                          prose_lines, overlap, max_words, _name_tokens) == \
                oracle.named_headline(lines, feats, prose, open_lines, first, reach, s, max_words), name
    # The lines past the article at several ends (the whole document, its last two thirds, a few last lines).
    for cut in {-1, len(lines) // 3, 2 * len(lines) // 3, len(lines) - 8}:
        after = [i for i in present if i > cut]
        for s in RELATED:
            got_runs = [Candidate(*c) for c in _runs().related_candidates(
                lines, after, feats, prose, _meta, s.dense_per_word, s.meta_words, s.min_titles, s.min_words,
                s.max_between, s.teaser_words, s.label_words, s.code_chars, s.max_number_share)]
            shapes = oracle.related_shapes(lines, feats, prose, after, s)
            assert got_runs == related_candidates(lines, shapes, after, s), f"{name} after line {cut + 1}: {s}"


@pytest.mark.parametrize("share", SHARES)
def test_the_passes_are_pythons_on_every_real_text(share: int) -> None:
    chooser = random.Random(26)
    documents = _documents()[::share]
    assert len(documents) > at_least(300, share)
    for name, lines in documents:
        _check(lines, [False] * len(lines), name)
        # Claimed lines (a record holds them) have no features: they neither weigh nor join runs.
        _check(lines, [chooser.random() < 0.2 for _ in lines], f"{name} (some lines claimed)")


def test_the_passes_are_pythons_on_adversarial_and_random_documents() -> None:
    lines = list(ADVERSARIAL) + [f"{a} {b}" for a, b in pairwise(ADVERSARIAL)]
    _check(lines, [False] * len(lines), "adversarial lines")
    # Random documents of title-shaped lines, dates, teasers, prose, labels, code and blank lines: runs of every
    # length and shape, headers, wrapped sentences.
    pieces = ("Council approves the new budget for schools", "Mayor opens a new bridge over the river today",
              "3 hours ago", "2024-05-02", "5 min read", "hours ago", "By Jane Doe", "POLITICS", "Read more",
              "The council met on Monday and agreed to spend more on schools than it had planned to.",
              "continues the sentence above in lower case", "<div>{x}</div> markup line here", "24 00 10 00 55",
              "(Source: the agency's report on it)", "Rate this recipe from 1 to 5:", "© 2024 The Paper",
              "Picked for you", "", "", "关于我们的新闻标题在这里很长的一行", "Ab Cd Ef Gh", "a b c d e f g h i j")
    chooser = random.Random(7)
    for round_ in range(300):
        document = [chooser.choice(pieces) for _ in range(chooser.randint(0, 40))]
        claimed = [chooser.random() < 0.1 for _ in document]
        _check(document, claimed, f"random document {round_}: {document}")


def test_a_run_without_a_title_after_its_header_fails_as_python_does() -> None:
    """min_titles = 0 makes Python's header test take the minimum of no titles: both raise."""
    lines = ["Council approves the new budget for schools"]
    feats, prose = _detectors()._features().lines(lines, [False])[:2]
    s = RelatedRunSettings(min_titles=0, max_words=25)
    with pytest.raises(ValueError):
        related_candidates(lines, oracle.related_shapes(lines, feats, prose, [0], s), [0], s)
    with pytest.raises(ValueError):
        _runs().related_candidates(lines, [0], feats, prose, _meta, 2.0, 0, 0, 4, 2, 60, 0, 0, 1.0)


def test_the_date_patterns_need_a_digit_or_ago_in_every_case() -> None:
    """The compiled scan asks _DATE and _READING_TIME only of lines holding a decimal digit or "ago" (folded as
    their case-insensitive match folds it): every case variant of "ago" is asked (a date line between titles goes
    with the title above it, not to the block's labels), and a real line with neither matches neither pattern."""
    everything = "".join(chr(code) for code in range(sys.maxunicode + 1) if not 0xD800 <= code < 0xE000)
    variants = {x: re.findall(f"(?i){re.escape(x)}", everything) for x in "ago"}
    endings = [f"{a}{g}{o}" for a in variants["a"] for g in variants["g"] for o in variants["o"]]
    assert len(endings) >= 8
    titles = ("Council approves the new budget for schools", "Mayor opens a new bridge over the river today",
              "Town library reopens after three years of building")
    for ending in endings:
        lines = [titles[0], f"hours {ending}", titles[1], f"DAYS {ending}", titles[2], "Read more"]
        assert _meta(lines[1]) and _meta(lines[3])
        _check(lines, [False] * len(lines), f"dates ending {ending!r}")
    digits = set(re.findall(r"\d", everything))
    for _, document in _documents():
        for line in document:
            if not digits.intersection(line) and not re.search("(?i)ago", line):
                assert not _meta(line), line


def test_the_settings_reach_the_compiled_passes() -> None:
    """Each threshold is the caller's: changing one changes the compiled answer as it changes Python's."""
    lines = ["Menu", "A long paragraph of prose that ends like a sentence, with enough words to count.",
             "Caption", "Another paragraph of prose that ends like a sentence, with enough words to count.",
             "Council approves the new budget for schools", "3 hours ago",
             "Mayor opens a new bridge over the river today", "By Jane Doe",
             "Town library reopens after three years of building", "Read more"]
    feats, prose = _detectors()._features().lines(lines, [False] * len(lines))[:2]
    after = list(range(4, len(lines)))
    base = RELATED[0]
    for change in ({"min_titles": 4}, {"max_between": 0}, {"label_words": 0}, {"meta_words": 1}):
        s = dataclasses.replace(base, **change)
        got = _runs().related_candidates(lines, after, feats, prose, _meta, s.dense_per_word, s.meta_words,
                                         s.min_titles, s.min_words, s.max_between, s.teaser_words, s.label_words,
                                         s.code_chars, s.max_number_share)
        assert [Candidate(*c) for c in got] == related_candidates(
            lines, oracle.related_shapes(lines, feats, prose, after, s), after, s), change
