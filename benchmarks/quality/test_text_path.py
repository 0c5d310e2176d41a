"""The text path on real pages: scraper-style dumps of the evaluation pages, before and after cleaning.

Needs the evaluation data (--eval-data or CLEANER_EVAL_DATA; CI points it at ../shared/eval). The table
is printed so the CI log shows the figures; the floors below are the issue's targets and what the rule
library reached, less a margin, so a regression fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.quality.text_path import STYLES, evaluate_text_path, table

pytestmark = pytest.mark.eval

#: Least gain in word F1 and in boilerplate ("without" snippets) removed over the raw dump, per style.
MIN_F1_GAIN = {"blocks": 0.015, "trafilatura": 0.0}
MIN_WITHOUT_REMOVED = {"blocks": 0.15, "trafilatura": 0.12}


@pytest.fixture(scope="module")
def figures(eval_data: Path, dumped: list) -> dict:
    results = evaluate_text_path(eval_data, dumps=dumped)
    print("\n" + table(results))
    return results


@pytest.mark.parametrize("style", STYLES)
def test_cleaning_beats_the_raw_dump(figures, style: str) -> None:
    every = figures[style]["all"]
    assert every["pages"] == 455 + 181
    assert every["f1_after"] >= every["f1_before"] + MIN_F1_GAIN[style]
    removed = 1 - every["without_after"] / every["without_before"]
    assert removed >= MIN_WITHOUT_REMOVED[style], f"only {removed:.1%} of the boilerplate snippets removed"


@pytest.mark.parametrize("style", STYLES)
def test_content_is_kept(figures, style: str) -> None:
    every = figures[style]["all"]
    assert every["with_after"] >= 0.98 * every["with_before"]
    assert every["content_in_no_record"] <= 0.01, "content lines in no record at all"
    # Forum replies leave the main record as comments records by design; on every other page, content
    # lines must stay in the main record.
    assert figures[style]["all but forum"]["content_line_loss"] <= 0.01
