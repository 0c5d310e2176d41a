"""Quality on labelled real dumps (fixtures/real_dumps: 66 sites). The figures are printed so the CI log
shows them; the floors sit a little under what the rule library measures, so a regression fails."""

from __future__ import annotations

import pytest

from benchmarks.quality.real_dumps import FIXTURES, LabelError, load, parse_labelled, report, score

UNSEEN = FIXTURES.parent / "real_dumps_unseen"
# On the development set the floors are tighter than the targets (0.60 / 0.01 / 0.50): what the
# library reaches, less a margin. The unseen set (14 sites nobody read while writing rules) was measured
# once when it arrived; its floors guard that figure. Read it only to measure: once it is used to write
# rules it is no longer unseen, and a fresh one should take its place.
FLOORS = {
    # Without the twelve Scrapinghub benchmark dumps the development set measures junk recall 0.557 (367/659)
    # and embedded articles 0.721 (137/190): those dumps were the ones the rules fitted best.
    FIXTURES: {"junk_recall": 0.54, "content_loss": 0.005, "article_recall": 0.70, "dumps": 66},
    UNSEEN: {"junk_recall": 0.40, "content_loss": 0.01, "article_recall": 0.50, "dumps": 14},
}


@pytest.fixture(scope="module", params=[FIXTURES, UNSEEN], ids=["development", "unseen"])
def measured(request):
    dumps = load(request.param)
    figures = score(dumps)
    print(f"\n{request.param.name} ({len(dumps)} dumps):\n{report(figures)}")
    return request.param, dumps, figures


def test_fixtures_are_many_sites_with_sources(measured) -> None:
    folder, dumps, _ = measured
    assert len(dumps) >= FLOORS[folder]["dumps"]
    assert len({d.site for d in dumps}) == len(dumps), "one dump per site"
    for path in folder.glob("*.txt"):
        header = path.read_text(encoding="utf-8").split("\n", 3)
        assert header[0].startswith("# source: ") and len(header[0]) > 12, f"{path.name} names no source"


def test_junk_is_removed(measured) -> None:
    folder, _, figures = measured
    assert figures.recall(figures.targeted) >= FLOORS[folder]["junk_recall"]


def test_content_is_kept(measured) -> None:
    folder, _, figures = measured
    assert figures.content >= 80
    assert figures.content_loss <= FLOORS[folder]["content_loss"], "\n".join(figures.lost_lines)


def test_embedded_articles_become_records(measured) -> None:
    folder, _, figures = measured
    assert figures.titles >= 10
    assert figures.article_recall >= FLOORS[folder]["article_recall"]


def test_labelled_format_errors_name_the_file_and_line() -> None:
    with pytest.raises(LabelError, match=r"x\.txt:3: no label"):
        parse_labelled("# source: s\nC|Title\nunlabelled line\n", "x.txt")
    with pytest.raises(LabelError, match=r"x\.txt:2: unknown family 'adz'"):
        parse_labelled("# source: s\nJ:adz|Advertisement\n", "x.txt")


def test_scoring_counts_what_it_should() -> None:
    dump = parse_labelled("# site: example.com\nC|Headline of the story\nC|The story, told in a sentence.\n"
                          "J:related|Related Articles\nT|Storm knocks out power across the region\n"
                          "J:share|Share this article\nC|A closing sentence that is kept.\n", "x.txt")
    figures = score([dump])
    assert (figures.content, figures.content_lost) == (3, 0)
    assert (figures.titles, figures.titles_found) == (1, 1)
    assert figures.junk["related"] == 2 and figures.junk_out["related"] == 2
    assert figures.junk["share"] == 1 and figures.recall() == 1.0
