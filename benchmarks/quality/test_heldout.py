"""Related-article and comment leaks on held-out labelled pages, beside plain trafilatura in the same run.

The pages (benchmarks/quality/heldout/pages, real English news, blog and magazine pages kept as unit-test
fixtures by other extraction libraries (newspaper, Postlight Parser), not pages of a published extraction
benchmark; origins and
licences in heldout/SOURCES.md) were labelled by reading their HTML, never with this project's output:
each page lists the titles of its related/recommended teasers, a span of each user comment's body and a
few sentences of its article (heldout/labels.jsonl, rebuilt from heldout/label_specs.jsonl by
heldout/make_labels.py).

A snippet leaks when its text is found in the main record (whitespace and case ignored, as
``snippet_share`` does); shares are micro-averaged over snippets. Issue #10's goals are printed beside the
figures, not asserted: related blocks leaked below 8% and comments below 5%. The pages have no full
reference text, so word F1 cannot be computed here; the article sentences kept stand in for it.

The benchmark once asserted only that cleaner leaks no more than trafilatura. On these pages that cannot
tell the two apart: neither leaks a related teaser, and trafilatura's comment leaks are one page's thread
(androidcentral) that an HTML rule was written from after reading it. So cleaner's own figures go through
gates (benchmarks/figures.toml: committed figure and tolerance, about one snippet each); trafilatura's
figures are printed for comparison, not asserted.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from benchmarks.gates import gate
from benchmarks.quality.heldout.make_labels import load
from cleaner.evaluation import _normal, cleaner_extractor, snippet_share, trafilatura_extractor

pytestmark = pytest.mark.eval
HELDOUT = Path(__file__).parent / "heldout"
KINDS = ("related", "comments", "article")
#: Issue #10's goals on held-out pages: shares of related and comment snippets leaked into the main record.
GOALS = {"related": 0.08, "comments": 0.05}
PAGES = 10

def _labels() -> list[dict]:
    lines = (HELDOUT / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _html(page_id: str) -> bytes:
    return gzip.decompress((HELDOUT / "pages" / f"{page_id}.html.gz").read_bytes())


def _share(counts: list[int]) -> float:
    return counts[0] / counts[1] if counts[1] else 0.0


@pytest.fixture(scope="module")
def figures() -> dict:
    """Per extractor: snippets found in the main record and snippets asked, per kind and per page."""
    extractors = {"trafilatura": trafilatura_extractor(), "cleaner": cleaner_extractor()}
    totals = {name: {kind: [0, 0] for kind in KINDS} for name in extractors}
    pages: list[tuple[str, dict[str, dict[str, tuple[int, int]]]]] = []
    for label in _labels():
        html = _html(label["id"])
        per_page: dict[str, dict[str, tuple[int, int]]] = {}
        for name, extract in extractors.items():
            main = extract(html, label.get("url"))
            per_page[name] = {kind: snippet_share(label[kind], main) for kind in KINDS}
            for kind in KINDS:
                totals[name][kind][0] += per_page[name][kind][0]
                totals[name][kind][1] += per_page[name][kind][1]
        pages.append((label["id"], per_page))

    print("\nper page, found in the main record / labelled (related leaked, comments leaked, article kept):")
    for page_id, per_page in pages:
        shown = "   ".join(f"{name} " + " ".join(f"{kind[:3]} {found}/{asked}" for kind, (found, asked)
                                                   in counts.items()) for name, counts in per_page.items())
        print(f"  {page_id:<40} {shown}")
    results = {name: {kind: round(_share(counts), 4) for kind, counts in by_kind.items()}
               | {f"{kind}_counts": counts for kind, counts in by_kind.items()}
               for name, by_kind in totals.items()}
    ours, theirs = results["cleaner"], results["trafilatura"]
    print(f"\nheld-out, {len(pages)} pages: related leaked: cleaner {ours['related']:.3f} "
          f"({ours['related_counts'][0]}/{ours['related_counts'][1]}), trafilatura {theirs['related']:.3f} "
          f"({theirs['related_counts'][0]}/{theirs['related_counts'][1]}), goal < {GOALS['related']}; "
          f"comments leaked: cleaner {ours['comments']:.3f} "
          f"({ours['comments_counts'][0]}/{ours['comments_counts'][1]}), trafilatura {theirs['comments']:.3f} "
          f"({theirs['comments_counts'][0]}/{theirs['comments_counts'][1]}), goal < {GOALS['comments']}; "
          f"article kept: cleaner {ours['article']:.3f} "
          f"({ours['article_counts'][0]}/{ours['article_counts'][1]}), trafilatura {theirs['article']:.3f} "
          f"({theirs['article_counts'][0]}/{theirs['article_counts'][1]})")
    return {"results": results, "pages": len(pages)}


def test_labels_occur_in_their_pages() -> None:
    """Every label is on its page: each snippet in the visible text (whitespace and case ignored)."""
    labels = _labels()
    assert len(labels) == PAGES
    assert len({label["id"] for label in labels}) == PAGES
    for label in labels:
        doc = load(HELDOUT / "pages" / f"{label['id']}.html.gz")
        visible = (_normal(doc.text_content()), _normal(" ".join(doc.itertext())))
        assert label["article"], label["id"]
        assert label["related"] or label["comments"], label["id"]
        for kind in KINDS:
            for snippet in label[kind]:
                assert any(_normal(snippet) in text for text in visible), (label["id"], kind, snippet)


def test_related_teasers_stay_out_of_the_main_record(figures) -> None:
    assert figures["pages"] == PAGES
    gate("quality.heldout_html.related_leaked", figures["results"]["cleaner"]["related"])


def test_comments_stay_out_of_the_main_record(figures) -> None:
    gate("quality.heldout_html.comments_leaked", figures["results"]["cleaner"]["comments"])


def test_article_sentences_are_kept(figures) -> None:
    gate("quality.heldout_html.article_kept", figures["results"]["cleaner"]["article"])
