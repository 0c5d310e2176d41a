"""struct:related-run (cleaner.core.relatedrun): a run of title-shaped lines after the article becomes related
records without a known header phrase; menus, directories and the article's own lists do not."""

from __future__ import annotations

import dataclasses

import pytest

import cleaner
from cleaner.core.relatedrun import RelatedRunSettings, Shape, beside, fast_runs, paired_end, related_runs
from cleaner.core.structure import RELATED_RUN

ARTICLE = """\
Home
News
Sport
Town opens a new library after three years of building
The new library on Mill Street opened its doors on Saturday, and hundreds of residents queued in the rain to see it.
It holds more than forty thousand books, a music room and a workshop where children can learn to repair bicycles.
The building was paid for by a local fund that collected small gifts from families over a period of ten years.
The mayor said the town had waited a long time for a place where people of every age could meet and read.
Opening hours are from nine in the morning until eight in the evening on every day of the week except Sunday.
Volunteers will run a reading club for children on Wednesday afternoons, starting in the first week of May.
"""
#: No header phrase names the block: its shape alone says it is other articles. (A title as long and as full of
#: stop words as a sentence, right after the last paragraph, reads as one more paragraph: these are shorter.)
RUN = """\
Farmers market moves to the old railway station
March 3, 2024
LOCAL
Swimming pool closes for repairs over the summer
March 2, 2024
New bus line links the hospital with the harbour
March 1, 2024
"""
MENU = "About us\nJobs\nPress room\nHelp\nShop online\nContact the newsroom\n"
DIRECTORY = ("Election results 2024 for Paris and its suburbs\nElection results 2024 for Lyon and its suburbs\n"
             "Election results 2024 for Marseille and its suburbs\nElection results 2024 for Nice and its suburbs\n")


@pytest.fixture(scope="module")
def standalone(tmp_path_factory) -> cleaner.Cleaner:
    """The span detector off, related runs found after an article found fast (without_span, as a user sets it)."""
    path = tmp_path_factory.mktemp("rules") / "related.toml"
    path.write_text("[detector.related_run]\nwithout_span = true\n", encoding="utf-8")
    return cleaner.Cleaner([path])


def test_a_run_of_titles_after_the_article_becomes_records_without_a_header(standalone) -> None:
    cleaned = standalone.process(ARTICLE + RUN)
    main_record, *related = cleaned.records
    assert [(r.kind, r.title, r.text) for r in related] == [
        ("related", "Farmers market moves to the old railway station", "March 3, 2024"),
        ("related", "Swimming pool closes for repairs over the summer", "March 2, 2024"),
        ("related", "New bus line links the hospital with the harbour", "March 1, 2024"),
    ]
    # The span only says where the article ends: the menu above it stays (the span detector is off) ...
    assert (main_record.title, main_record.text.split("\n")[:2]) == ("Home", ["News", "Sport"])
    # ... and the section label between two items is the block's furniture, removed with the detector's id.
    assert [(r.rule_id, r.text) for r in cleaned.removals if r.rule_id.startswith("struct:")] == [
        (RELATED_RUN, "LOCAL")]
    evidence, = cleaned.evidence
    assert (evidence.detector, evidence.first, evidence.last) == (RELATED_RUN, 11, 17)
    assert "3 title-shaped lines" in evidence.message


def test_a_menu_or_a_directory_after_the_article_stays_where_it_is(standalone) -> None:
    for tail in (MENU, DIRECTORY):
        cleaned = standalone.process(ARTICLE + tail)
        assert [r.kind for r in cleaned.records] == ["main"]
        assert cleaned.records[0].text.endswith(tail.rstrip("\n"))
        assert not cleaned.evidence


def test_titles_inside_the_article_are_not_read() -> None:
    """Runs start after the article's last paragraph: its own subheadings and lists above it are never read."""
    lines = ["Paragraph one is here.", "Step one of the recipe here", "Step two of the recipe here",
             "Step three of the recipe here", "The last paragraph ends here.", "Another paragraph ends here."]
    shapes = [Shape(5, not line.endswith("."), line.endswith("."), False) for line in lines]
    assert paired_end(shapes, [s.prose for s in shapes], 0, 5) == 5
    assert related_runs(lines, shapes, [], RelatedRunSettings()) == []


def test_the_article_ends_at_its_last_paragraph_with_a_paragraph_next_to_it() -> None:
    # paragraph, paragraph, then title/teaser pairs: the teasers, alone under their titles, are no paragraphs.
    prose = [True, True, False, True, False, True]
    present: list[object | None] = [1, 1, 1, 1, 1, 1]
    assert paired_end(present, prose, 0, 5) == 1
    # A blank line (None) stands between no two paragraphs: the lines on either side of it are neighbours.
    assert paired_end([1, 1, 1, 1, None, 1], prose, 0, 5) == 5
    assert paired_end(present, [True, False, True, False, True, False], 0, 5) == 5  # none paired: the end stays


def test_the_thresholds_are_settings() -> None:
    lines = ["Short title one here", "Short title two here", "Short title three here"]
    shapes = [Shape(4, True, False, False) for _ in lines]
    settings = RelatedRunSettings()
    assert len(related_runs(lines, shapes, [0, 1, 2], settings)) == 1
    assert related_runs(lines, shapes, [0, 1, 2], dataclasses.replace(settings, min_median_words=5)) == []
    assert related_runs(lines, shapes, [0, 1, 2], dataclasses.replace(settings, min_titles=4)) == []
    # Titles opening with the same two words ("Short title ...") are a directory once the share is bounded.
    assert related_runs(lines, shapes, [0, 1, 2], dataclasses.replace(settings, max_prefix_share=0.5)) == []


def test_notes_introductions_and_link_lists_are_no_titles() -> None:
    lines = ["(Source: agencies and our own reporting)", "Rate this recipe from one to five:",
             "Copyright © 2024 Example Media Group", "About us | Jobs | Press | Contact"]
    shapes = [Shape(6, True, False, False, code=line.count("|") >= 2) for line in lines]
    assert related_runs(lines, shapes, [0, 1, 2, 3], RelatedRunSettings()) == []


def test_it_can_be_switched_off(tmp_path) -> None:
    path = tmp_path / "related.toml"
    path.write_text("[detector.related_run]\nwithout_span = true\n", encoding="utf-8")
    off = cleaner.Cleaner([path], disable=[RELATED_RUN])
    cleaned = off.process(ARTICLE + RUN)
    assert [r.kind for r in cleaned.records] == ["main"]
    assert not any(r.rule_id.startswith("struct:") for r in cleaned.removals)
    built_in = cleaner.Cleaner().process(ARTICLE + RUN)  # the built-in rules: only with the span detector on
    assert [r.kind for r in built_in.records] == ["main"]


def test_a_listing_whose_items_outweigh_the_article_is_left_alone(standalone) -> None:
    """Items holding more text than the article are the page's content (search results), not a block beside it."""
    teaser = "A short teaser that runs on for a while, about as long as a sentence of the article above"
    items = "".join(f"Result number {n} of the search for the library\n{teaser}, item {n}.\n" for n in range(12))
    cleaned = standalone.process(ARTICLE + items)
    assert [r.kind for r in cleaned.records] == ["main"]


def test_the_fast_route_finds_where_the_article_ends() -> None:
    lines = [line.strip() for line in (ARTICLE + RUN).split("\n")]
    settings = dataclasses.replace(RelatedRunSettings(), min_span_weight=6.0, label_words=3, meta_words=5)
    runs, end = fast_runs(lines, [True] * len(lines), settings, lambda line: line.startswith("March"))
    assert end == 9  # the last paragraph
    assert [title for run in runs for title, _ in run.items] == [10, 13, 15]
    assert [run.labels for run in runs] == [[12]]
    settings = dataclasses.replace(settings, min_span_weight=7.0)  # six paragraphs weigh too little
    assert fast_runs(lines, [True] * len(lines), settings, lambda line: False) == ([], -1)


def _titles(runs) -> list[int]:  # type: ignore[no-untyped-def]
    return [title for run in runs for title, _ in run.items]


def test_a_run_in_the_pages_last_stretch_is_the_footers() -> None:
    """A run starting after max_tail_share of the lines past the article stands with the site's footer."""
    lines = [f"Filler line {n}" for n in range(8)] + ["Site map of the whole group", "Jobs at the group and its papers",
                                                     "Contact the customer service team"]
    shapes = [Shape(2, False, False, False) for _ in range(8)] + [Shape(6, True, False, False) for _ in range(3)]
    after = list(range(len(lines)))
    settings = RelatedRunSettings()
    assert _titles(related_runs(lines, shapes, after, settings)) == [8, 9, 10]
    run, = related_runs(lines, shapes, after, settings)
    assert run.position == 8 / 11
    assert beside([run], dataclasses.replace(settings, max_tail_share=0.8)) == [run]
    assert beside([run], dataclasses.replace(settings, max_tail_share=0.7)) == []


def test_code_and_number_lines_are_no_titles() -> None:
    code = [">>> splitext('bar') ('bar', '')", '<Location "/one"> Redirect permanent </Location>',
            "RedirectMatch [status] regex URL"]
    numbers = ["Switchboard: 24 00 10 00", "Box 1184 Centre, 0107 Oslo 1", "1 2 3 4 5 Votes: 1335, average: 4.6"]
    for lines in (code, numbers):
        shapes = [Shape(5, True, False, False) for _ in lines]
        assert len(related_runs(lines, shapes, [0, 1, 2], RelatedRunSettings())) == 1  # without the tests: a run
    settings = dataclasses.replace(RelatedRunSettings(), code_chars=2, max_number_share=0.4)
    for lines in (code, numbers):
        shapes = [Shape(5, True, False, False) for _ in lines]
        assert related_runs(lines, shapes, [0, 1, 2], settings) == []
    # Headlines with a number, a quote or one sign stay titles (a bracketed tag, "[Video]", counts two signs).
    lines = ["5 salads that are in season in winter", "Council approves 2024 budget after a long night",
             "Mayor opens the \"open\" library today (for $5)"]
    shapes = [Shape(7, True, False, False) for _ in lines]
    assert len(related_runs(lines, shapes, [0, 1, 2], settings)) == 1


#: A Chinese article of whole sentences, and footer links of a dozen characters after it.
CHINESE = ["新闻首页", "本市新建的图书馆在周六正式开放，数百名居民冒雨排队参观这座建筑，并在现场领取了借书证。"] * 1 + [
    f"图书馆共收藏四万多册图书，设有音乐室和工作坊，孩子们可以在那里学习修理自行车和制作木工第{n}项。"
    for n in range(8)]
FOOTER = ["集团公司的招聘信息页面", "关于本报的联系方式与地址", "个人信息保护政策与说明"]


def test_dense_script_characters_per_word() -> None:
    lines = CHINESE + FOOTER
    settings = dataclasses.replace(RelatedRunSettings(), min_span_weight=6.0, min_median_words=5)
    runs, end = fast_runs(lines, [True] * len(lines), settings, lambda line: False)
    assert end == len(CHINESE) - 1 and _titles(runs) == [10, 11, 12]  # 11 and 12 characters: five words at 2.0
    runs, _ = fast_runs(lines, [True] * len(lines), dataclasses.replace(settings, dense_per_word=2.5),
                        lambda line: False)
    assert runs == []  # four words at 2.5: short of the median


def test_the_fast_route_looks_only_at_whole_pages() -> None:
    """An extracted article (mostly prose, or without the short lines of menus and footers) gets no runs."""
    lines = [line.strip() for line in (ARTICLE + RUN).split("\n")]
    settings = dataclasses.replace(RelatedRunSettings(), min_span_weight=6.0, label_words=3, meta_words=5)
    meta = lambda line: line.startswith("March")  # noqa: E731
    assert _titles(fast_runs(lines, [True] * len(lines), settings, meta)[0]) == [10, 13, 15]
    # Six paragraphs of 17 lines: a prose share of 0.35.
    assert fast_runs(lines, [True] * len(lines), dataclasses.replace(settings, fast_max_prose_share=0.35),
                     meta) == ([], -1)
    # Seven of the 17 lines have at most three words (the menu, the label, the dates).
    assert _titles(fast_runs(lines, [True] * len(lines), dataclasses.replace(settings, fast_min_short_share=0.4),
                             meta)[0]) == [10, 13, 15]
    assert fast_runs(lines, [True] * len(lines), dataclasses.replace(settings, fast_min_short_share=0.45),
                     meta) == ([], -1)


def test_the_fast_route_leaves_a_run_right_after_a_paragraph_it_left_out() -> None:
    """A paragraph past the article's end found, just above the run: the article goes on there (a recipe's last
    step), and the titles under it are its own."""
    gap = [f"Step {n}" for n in range(1, 25)]
    paragraph = ["Serve the soup hot with fresh bread and a little butter on the side."]
    lines = [line.strip() for line in ARTICLE.split("\n") if line] + gap + paragraph + \
        [line for line in RUN.split("\n") if line]
    settings = dataclasses.replace(RelatedRunSettings(), min_span_weight=6.0, label_words=3, meta_words=5)
    meta = lambda line: line.startswith("March")  # noqa: E731
    runs, end = fast_runs(lines, [True] * len(lines), settings, meta)
    first = len(lines) - 7
    assert end == 9 and _titles(runs) == [first, first + 3, first + 5]
    runs, end = fast_runs(lines, [True] * len(lines), dataclasses.replace(settings, fast_prose_gap=1), meta)
    assert end == 9 and runs == []
