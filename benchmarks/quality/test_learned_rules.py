"""Rules learned from the dump itself, on the text path: whole-page dumps of the evaluation pages.

`cleaner rules suggest` reads the dumps of one style (no ground truth: only the text a scraper wrote),
and the file it writes is applied beside the built-in rules. The figures are printed before and after;
every figure goes through its gate (benchmarks/gates.py), so a regression fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.gates import gate
from benchmarks.quality.text_path import STYLES, evaluate_text_path
from cleaner import Cleaner
from cleaner.core.rules import RuleSet, parse_rule_file
from cleaner.io.readers import Document
from cleaner.run.suggest import exact_keys, learn, page_of, suggest_rule_file

pytestmark = pytest.mark.eval


def _removed(figures: dict, style: str) -> float:
    every = figures[style]["all"]
    return 1 - every["without_after"] / every["without_before"]


@pytest.fixture(scope="module")
def compared(eval_data: Path, dumped: list) -> tuple[dict, dict, dict[str, str]]:
    builtin = Cleaner()
    files: dict[str, str] = {}
    cleaners: dict[str, Cleaner] = {}
    for style in STYLES:
        documents = [Document(page.page_id, page.set_name, n, text=dumps[style], url=page.url)
                     for n, (page, dumps) in enumerate(dumped)]
        pages = [p for p in (page_of(builtin, d) for d in documents) if p is not None]
        learned = learn(lambda pages=pages: pages, taken=exact_keys(builtin))
        files[style] = suggest_rule_file(learned, name=f"Learned from the {style} dumps")
        rule_file = parse_rule_file(files[style], f"learned-{style}.toml")
        cleaners[style] = Cleaner(RuleSet((*builtin.rules.files, rule_file)))
        print(f"\n{style}: {learned.summary()}")
    before = evaluate_text_path(eval_data, dumps=dumped)
    after = evaluate_text_path(eval_data, dumps=dumped, cleaners=cleaners)
    for style in STYLES:
        for name, figures in (("built-in rules", before), ("+ learned rules", after)):
            every, lost = figures[style]["all"], figures[style]["all but forum"]["content_line_loss"]
            print(f"{style:<12} {name:<16} boilerplate removed {_removed(figures, style):.3f}  "
                  f"word F1 {every['f1_after']:.3f}  with kept {every['with_after']:.3f}  "
                  f"content lines out of main (all but forum) {lost:.4f}"
                  f"  in no record {every['content_in_no_record']:.4f}")
    return before, after, files


@pytest.mark.parametrize("style", STYLES)
def test_learned_rules_remove_more_boilerplate(compared, style: str) -> None:
    before, after, _ = compared
    gate(f"quality.learned.{style}.boilerplate_removed_gain", _removed(after, style) - _removed(before, style))


@pytest.mark.parametrize("style", STYLES)
def test_learned_rules_keep_the_content(compared, style: str) -> None:
    before, after, _ = compared
    gate(f"quality.learned.{style}.content_line_loss", after[style]["all but forum"]["content_line_loss"])
    gate(f"quality.learned.{style}.content_in_no_record", after[style]["all"]["content_in_no_record"])
    gate(f"quality.learned.{style}.with_kept", after[style]["all"]["with_after"] / before[style]["all"]["with_after"])


def test_learned_files_pass_their_own_examples(compared) -> None:
    from cleaner.core.examples import check_examples

    _, _, files = compared
    for style, text in files.items():
        assert not list(check_examples(RuleSet((parse_rule_file(text, f"learned-{style}.toml"),)))), style
