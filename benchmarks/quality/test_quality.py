"""Extraction quality on the real evaluation pages, beside plain trafilatura in the same run.

The pages are not part of the project: pass their folder with --eval-data or CLEANER_EVAL_DATA
(CI points it at ../shared/eval). Without it this module is skipped, with that message.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from cleaner import Cleaner
from cleaner.evaluation import evaluate, scrapinghub_pages, wcxb_pages
from cleaner.io.html_blocks import TreeRules

pytestmark = pytest.mark.eval
THROUGHPUT_FLOOR = 0.9  # pages per second, relative to plain trafilatura in the same run
#: The issue's goal: at most half of trafilatura's share of WCXB `without` snippets leaked. Measured: 0.0308
#: against 0.0627 (0.49; 0.0525 before the HTML rules, 0.0456 with them in round 3): lines are judged by the
#: text unit they came from, class-named footers are dropped, and interface labels are line rules.
LEAK_RATIO_GOAL = 0.5
#: The tree step (HTML rules and detectors) may add at most this share to the HTML path's time.
TREE_STEP_COST = 0.25


@pytest.fixture(scope="module")
def figures(eval_data: Path) -> dict:
    results = evaluate(eval_data)
    print("\n" + json.dumps(results, indent=1))
    return results


def _speed(request, ours: dict, theirs: dict) -> None:
    """Pages per second beside trafilatura: reported always, a failure only with --speed-gate."""
    ratio = ours["pages_per_s"] / theirs["pages_per_s"]
    print(f"\npages/s: cleaner {ours['pages_per_s']}, trafilatura {theirs['pages_per_s']} ({ratio:.2f}x)")
    if request.config.getoption("--speed-gate"):
        assert ratio >= THROUGHPUT_FLOOR


def test_scrapinghub_matches_or_beats_trafilatura(figures, request) -> None:
    ours, theirs = figures["scrapinghub"]["cleaner"], figures["scrapinghub"]["trafilatura"]
    assert ours["pages"] == theirs["pages"] == 181
    assert ours["f1"] >= theirs["f1"]
    assert ours["precision"] > theirs["precision"]
    _speed(request, ours, theirs)


def test_wcxb_matches_or_beats_trafilatura(figures, request) -> None:
    ours, theirs = figures["wcxb"]["cleaner"], figures["wcxb"]["trafilatura"]
    assert ours["pages"] == theirs["pages"] == 455
    assert ours["word_f1"] >= theirs["word_f1"]
    # From the snippet counts (both sets of the same snippets), not the rounded shares.
    ratio = ours["without_snippets_leaked"] / theirs["without_snippets_leaked"]
    print(f"\nwithout leaked: cleaner {ours['without_leaked']} ({ours['without_snippets_leaked']} snippets), "
          f"trafilatura {theirs['without_leaked']} ({theirs['without_snippets_leaked']}) "
          f"({ratio:.3f}x; goal {LEAK_RATIO_GOAL}x)")
    assert ratio <= LEAK_RATIO_GOAL
    _speed(request, ours, theirs)


def test_tree_step_costs_at_most_a_quarter_of_the_html_path(eval_data: Path, request) -> None:
    """The same pages through the HTML path with and without the tree step, alternating page by page so
    that a busy machine slows both alike: reported always, a failure only with --speed-gate."""
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
    cost = spent["with"] / spent["without"] - 1
    print(f"\ntree step: {cost:+.1%} on the HTML path over {len(pages)} pages "
          f"({spent['without']:.1f}s without, {spent['with']:.1f}s with)")
    if request.config.getoption("--speed-gate"):
        assert cost <= TREE_STEP_COST
    assert spent["with"] > 0 and spent["without"] > 0
