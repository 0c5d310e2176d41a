"""Forum, Q&A and news pages with comment threads and related teasers, labelled for this project, beside
plain trafilatura in the same run (benchmarks/quality/threads; sources, licences and the split in
threads/SOURCES.md).

The pages are other projects' unit-test fixtures (saved forum threads, Q&A pages and news articles), none
from a published extraction benchmark. They are split by site before any figure was looked at: ``tuned``
(sites read while writing the thread-shape detection) and ``apart`` (sites nobody read for it). Labels
were made by reading the pages' HTML (threads/label_specs.jsonl, threads/make_labels.py), never from this
project's output: the reference text of the main content (the article, or every post of a thread), a few
article sentences, a span of each reply (kept on forum and Q&A pages), of each user comment under an
article (to be split off) and the titles of related teasers (to be left out).

The figures are printed per split and page type (word F1 against the reference, leaks and kept shares) for
the lead to record; what is asserted here can fail on its own: the labels occur in their pages, the split
is by site, and no page with text is left without a main record.
"""

from __future__ import annotations

import pytest

from benchmarks.quality.heldout.make_labels import load
from benchmarks.quality.threads.measure import HERE, KINDS, SPLITS, labels, measure, report
from cleaner.evaluation import _normal

pytestmark = pytest.mark.eval
PAGES = 21


@pytest.fixture(scope="module")
def figures() -> dict:
    found = measure()
    print("\n" + report(found))
    return found


def test_labels_occur_in_their_pages_and_the_split_is_by_site() -> None:
    found = labels()
    assert len(found) == PAGES and len({label["id"] for label in found}) == PAGES
    sites = {split: {label["site"] for label in found if label["split"] == split} for split in SPLITS}
    assert sites["tuned"] and sites["apart"] and not sites["tuned"] & sites["apart"]
    assert sum(label["type"] in ("forum", "qa") for label in found) >= 8
    for label in found:
        doc = load(HERE / "pages" / f"{label['id']}.html.gz")
        visible = (_normal(doc.text_content()), _normal(" ".join(doc.itertext())))
        assert label["reference"].strip(), label["id"]
        assert label["article"] or label["replies"], label["id"]
        for kind in KINDS:
            for snippet in label[kind]:
                assert any(_normal(snippet) in text for text in visible), (label["id"], kind, snippet)


def test_no_page_with_text_is_left_without_a_main_record(figures) -> None:
    for split in SPLITS:
        assert figures["cleaner"][split]["all"]["empty"] == 0, split
