"""The text path on real pages: scraper-style dumps of the evaluation pages, before and after cleaning.

Needs the evaluation data (--eval-data or CLEANER_EVAL_DATA; CI points it at ../shared/eval). The table
is printed so the CI log shows the figures; every figure goes through its gate (benchmarks/gates.py), so a
regression fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.gates import gate
from benchmarks.quality.text_path import STYLES, evaluate_text_path, table

pytestmark = pytest.mark.eval



@pytest.fixture(scope="module")
def figures(eval_data: Path, dumped: list) -> dict:
    results = evaluate_text_path(eval_data, dumps=dumped)
    print("\n" + table(results))
    return results


@pytest.mark.parametrize("style", STYLES)
def test_cleaning_beats_the_raw_dump(figures, style: str) -> None:
    every = figures[style]["all"]
    assert every["pages"] == 455 + 181
    gate(f"quality.text_path.{style}.f1_gain", every["f1_after"] - every["f1_before"])
    gate(f"quality.text_path.{style}.boilerplate_removed", 1 - every["without_after"] / every["without_before"])


@pytest.mark.parametrize("style", STYLES)
def test_content_is_kept(figures, style: str) -> None:
    every = figures[style]["all"]
    gate(f"quality.text_path.{style}.with_kept", every["with_after"] / every["with_before"])
    gate(f"quality.text_path.{style}.content_in_no_record", every["content_in_no_record"])
    # Forum replies leave the main record as comments records by design; on every other page, content
    # lines must stay in the main record.
    gate(f"quality.text_path.{style}.content_line_loss", figures[style]["all but forum"]["content_line_loss"])
