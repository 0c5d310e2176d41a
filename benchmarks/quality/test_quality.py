"""Extraction quality on the real evaluation pages, beside plain trafilatura in the same run.

The pages are not part of the project: pass their folder with --eval-data or CLEANER_EVAL_DATA
(CI points it at ../shared/eval). Without it this module is skipped, with that message. They measure only:
no rule is picked from their failures. Every figure goes through its gate (benchmarks/gates.py).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from benchmarks.gates import gate
from cleaner import Cleaner
from cleaner.evaluation import evaluate, scrapinghub_pages, wcxb_pages
from cleaner.io.html_blocks import TreeRules

pytestmark = pytest.mark.eval


@pytest.fixture(scope="module")
def figures(eval_data: Path) -> dict:
    results = evaluate(eval_data)
    print("\n" + json.dumps(results, indent=1))
    return results


def test_scrapinghub_beside_trafilatura(figures) -> None:
    ours, theirs = figures["scrapinghub"]["cleaner"], figures["scrapinghub"]["trafilatura"]
    assert ours["pages"] == theirs["pages"] == 181
    print(f"\nscrapinghub: cleaner F1 {ours['f1']} P {ours['precision']} R {ours['recall']}; "
          f"trafilatura F1 {theirs['f1']} P {theirs['precision']} R {theirs['recall']}")
    gate("quality.scrapinghub.f1", ours["f1"])
    gate("quality.scrapinghub.f1_minus_trafilatura", ours["f1"] - theirs["f1"])
    gate("speed.html_scrapinghub_vs_trafilatura", ours["pages_per_s"] / theirs["pages_per_s"])


def test_wcxb_beside_trafilatura(figures) -> None:
    ours, theirs = figures["wcxb"]["cleaner"], figures["wcxb"]["trafilatura"]
    assert ours["pages"] == theirs["pages"] == 455
    # From the snippet counts (both sets of the same snippets), not the rounded shares.
    ratio = ours["without_snippets_leaked"] / theirs["without_snippets_leaked"]
    print(f"\nwcxb: word F1 cleaner {ours['word_f1']}, trafilatura {theirs['word_f1']}; with found cleaner "
          f"{ours['with_found']}, trafilatura {theirs['with_found']}; without leaked: cleaner "
          f"{ours['without_leaked']} ({ours['without_snippets_leaked']} snippets), trafilatura "
          f"{theirs['without_leaked']} ({theirs['without_snippets_leaked']}) ({ratio:.3f}x)")
    theirs_by_type = theirs["word_f1_by_page_type"]
    print("wcxb word F1 by page type (pages): " + "; ".join(
        f"{kind} ({ours['pages_by_page_type'][kind]}) cleaner {f1} vs trafilatura {theirs_by_type[kind]}"
        for kind, f1 in ours["word_f1_by_page_type"].items()))
    gate("quality.wcxb.word_f1", ours["word_f1"])
    gate("quality.wcxb.word_f1_minus_trafilatura", ours["word_f1"] - theirs["word_f1"])
    gate("quality.wcxb.with_found_minus_trafilatura", ours["with_found"] - theirs["with_found"])
    gate("quality.wcxb.without_leaked_vs_trafilatura", ratio)
    gate("speed.html_wcxb_vs_trafilatura", ours["pages_per_s"] / theirs["pages_per_s"])


def test_tree_step_cost(eval_data: Path) -> None:
    """The same pages through the HTML path with and without the tree step, alternating page by page so
    that a busy machine slows both alike. The figure is the path's speed with the step over its speed
    without it (1.0: the step is free; 0.8: it adds a quarter)."""
    with_step = Cleaner()
    without_step = Cleaner()
    without_step.tree_rules = TreeRules(())
    pages = [*scrapinghub_pages(eval_data / "scrapinghub-aeb"), *wcxb_pages(eval_data / "wcxb-dev", limit=120)]
    spent = {"with": 0.0, "without": 0.0}
    for _page_id, html, url, _truth in pages:
        for name, chosen in (("without", without_step), ("with", with_step)):
            started = time.perf_counter()
            chosen.process(html=html, url=url)
            spent[name] += time.perf_counter() - started
    print(f"\ntree step: {spent['with'] / spent['without'] - 1:+.1%} on the HTML path over {len(pages)} pages "
          f"({spent['without']:.1f}s without, {spent['with']:.1f}s with)")
    gate("speed.html_tree_step", spent["without"] / spent["with"])
