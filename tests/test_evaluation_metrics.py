"""The evaluation metrics, on cases small enough to check by hand."""

from __future__ import annotations

import pytest

from cleaner.evaluation import shingle_match, snippet_share, word_f1


def test_shingle_match_counts_multisets_and_normalises() -> None:
    truth = "a b c d e"          # shingles: abcd, bcde
    prediction = "a b c d x"     # shingles: abcd, bcdx
    assert shingle_match(truth, prediction) == pytest.approx((1 / 3, 1 / 3, 1 / 3))
    assert shingle_match(truth, truth) == (1.0, 0.0, 0.0)
    assert shingle_match(truth, "") == (0.0, 0.0, 1.0)
    assert shingle_match("A b c d", "a b c d") == (0.0, 0.5, 0.5)  # case is kept


def test_word_f1_is_case_insensitive_bag_of_words() -> None:
    assert word_f1("The cat sat", "the CAT sat") == 1.0
    assert word_f1("cat", "cat dog") == pytest.approx(2 * 1.0 * 0.5 / 1.5)
    assert word_f1("", "") == 1.0 and word_f1("x", "") == 0.0 and word_f1("", "x") == 0.0


def test_snippets_ignore_case_and_spacing() -> None:
    assert snippet_share(["Related  Articles", "not there"], "…\nrelated articles\n") == (1, 2)
