"""The layout grammar: optional, repeated and shaped slots, bodies, inline references, comment threads."""

from __future__ import annotations

import textwrap

import pytest

import cleaner
from cleaner.core.engine import Engine, Options
from cleaner.core.rules import parse_rule_file
from tests.conftest import engine_from

TITLE = "{ field = 'title', min_words = 3, max_chars = 120, sentence_end = false }"
META = ("{ pattern = '(?P<published>\\d{1,2} (?:hours?|days?) ago)|by [A-Za-z. ]{2,40}', optional = true, "
        "repeat = true }")
TEASER = "{ field = 'text', rest = true, optional = true, max_lines = 2, min_words = 5 }"



LIST = engine_from(f'''
    [[rule]]
    id = "TST001"
    purpose = "ad label"
    line = "Advertisement"
    examples.junk = ["Advertisement"]
    examples.keep = ["Advertisement revenue fell."]

    [[layout]]
    id = "TST100"
    purpose = "related block"
    header = 'related articles|more from (?P<source>[A-Za-z ]+)'
    slots = [{TITLE}, {META}, {TEASER}]
''')


def _records(engine: Engine, text: str):
    return engine.process(textwrap.dedent(text).strip("\n")).records


def test_a_list_of_titles_becomes_one_record_per_title() -> None:
    records = _records(LIST, """
        Headline of the story
        The story itself, told in a sentence.
        Related Articles
        Storm knocks out power across the region
        Council approves the new budget after debate
        - Five things to know about the tax rules
    """)
    assert [r.kind for r in records] == ["main", "related", "related", "related"]
    assert [r.title for r in records[1:]] == ["Storm knocks out power across the region",
                                              "Council approves the new budget after debate",
                                              "- Five things to know about the tax rules"]
    assert records[0].text == "The story itself, told in a sentence."


def test_items_take_optional_meta_lines_and_a_teaser() -> None:
    records = _records(LIST, """
        Headline
        The story itself, told in a sentence.

        More from Reuters

        Oil prices climb as supply worries return
        2 hours ago
        by Jane Doe
        Traders weighed fresh signs of tight supply on Tuesday.

        Central bank holds rates steady again
        3 days ago
        Policy makers said inflation was cooling but not yet beaten.
    """)
    first, second = records[1], records[2]
    assert (first.title, first.published, first.source, first.text) == (
        "Oil prices climb as supply worries return", "2 hours ago", "Reuters",
        "Traders weighed fresh signs of tight supply on Tuesday.")
    assert (second.title, second.published) == ("Central bank holds rates steady again", "3 days ago")
    assert records[0].text == "The story itself, told in a sentence."


def test_the_article_going_on_after_a_list_is_not_a_teaser() -> None:
    records = _records(LIST, """
        Headline
        First paragraph of the story.
        Related Articles
        Storm knocks out power across the region
        Council approves the new budget after debate
        The story goes on here, and this sentence belongs to it.
    """)
    assert [r.title for r in records[1:]] == ["Storm knocks out power across the region",
                                              "Council approves the new budget after debate"]
    assert all(not r.text for r in records[1:])
    assert records[0].text.endswith("The story goes on here, and this sentence belongs to it.")


def test_the_article_going_on_after_bare_titles_leaves_the_block_with_its_headline() -> None:
    # Two titles without a teaser, then the article's own headline and paragraphs: the paragraphs run on
    # past a teaser's two lines, so the headline and them are the page going on, not items of the block.
    records = _records(LIST, """
        Related Articles
        Storm knocks out power across the region
        Council approves the new budget after debate
        Minister says the trips were paid by the firms
        The minister spoke to reporters in the capital on Friday.
        She said every company had paid for its own delegation.
        The office published the figures later that day.
    """)
    assert [r.title for r in records[1:]] == ["Storm knocks out power across the region",
                                              "Council approves the new budget after debate"]
    main = "\n".join(filter(None, [records[0].title, records[0].text])).split("\n")
    assert main == ["Minister says the trips were paid by the firms",
                    "The minister spoke to reporters in the capital on Friday.",
                    "She said every company had paid for its own delegation.",
                    "The office published the figures later that day."]


def test_a_one_title_box_inside_the_article_does_not_take_its_paragraphs() -> None:
    records = _records(LIST, """
        The story itself, told in a sentence.
        Related Articles
        Storm knocks out power across the region
        The minister spoke to reporters in the capital on Friday.
        She said every company had paid for its own delegation.
        The office published the figures later that day.
    """)
    assert [(r.title, r.text) for r in records[1:]] == [("Storm knocks out power across the region", "")]
    assert records[0].text.split("\n")[-3:] == ["The minister spoke to reporters in the capital on Friday.",
                                                "She said every company had paid for its own delegation.",
                                                "The office published the figures later that day."]


def test_teasers_under_later_titles_stay_when_the_text_stops_there() -> None:
    records = _records(LIST, """
        The story itself, told in a sentence.
        Related Articles
        Storm knocks out power across the region
        Council approves the new budget after debate
        Minister says the trips were paid by the firms
        The minister spoke to reporters in the capital on Friday.
        Rail strike ends after three weeks of talks
        Trains run again on every line from Monday morning.

        Contact us
    """)
    assert [r.title for r in records[1:]] == ["Storm knocks out power across the region",
                                              "Council approves the new budget after debate",
                                              "Minister says the trips were paid by the firms",
                                              "Rail strike ends after three weeks of talks"]
    assert [r.text for r in records[3:]] == ["The minister spoke to reporters in the capital on Friday.",
                                             "Trains run again on every line from Monday morning."]


def test_builtin_layouts_split_ranked_date_first_and_cjk_blocks() -> None:
    ranked = ("The story itself, in one sentence.\n\nMost read\n1\nStorm knocks out power to thousands\n"
              "Anna Berg\n2\nCouncil approves the new budget after a long night\nLocal news\n")
    records = cleaner.clean(ranked)
    assert records[0].text == "The story itself, in one sentence."
    assert [r.title for r in records[1:]] == ["Storm knocks out power to thousands",
                                              "Council approves the new budget after a long night"]
    dated = ("Die Geschichte selbst, in einem Satz.\n\nLesen Sie auch\nHeute, 12:34 Uhr\n"
             "Stadtrat beschließt den neuen Haushalt\nVor 3 Stunden\nSturm legt den Strom in der Region lahm\n")
    records = cleaner.clean(dated)
    assert records[0].text == "Die Geschichte selbst, in einem Satz."
    # The dates are the items' own lines, not titles of their own.
    assert [r.title for r in records[1:]] == ["Stadtrat beschließt den neuen Haushalt",
                                              "Sturm legt den Strom in der Region lahm"]
    cjk = ("会议在北京举行，代表们讨论了明年的预算。\n\n相关推荐\n暴雨导致多地停电数千户受影响\n"
           "2024-06-03 15:05\n市议会通过新预算案经过漫长讨论\n")
    records = cleaner.clean(cjk)
    assert records[0].text == "会议在北京举行，代表们讨论了明年的预算。"
    assert [r.title for r in records[1:]] == ["暴雨导致多地停电数千户受影响", "市议会通过新预算案经过漫长讨论"]


def test_a_blank_line_after_a_dense_list_ends_it() -> None:
    records = _records(LIST, """
        Headline
        First paragraph of the story.
        Related Articles
        Storm knocks out power across the region
        Council approves the new budget after debate

        A subheading of the story
        More of the story, in a sentence.
    """)
    assert len(records) == 3
    assert "A subheading of the story" in records[0].text


def test_junk_between_items_is_stepped_over_and_stays_junk() -> None:
    cleaned = LIST.process("Headline\nBody of the story.\nRelated Articles\nStorm knocks out power today\n"
                           "Advertisement\nCouncil approves the new budget")
    assert [r.title for r in cleaned.records[1:]] == ["Storm knocks out power today",
                                                      "Council approves the new budget"]
    assert {(r.rule_id, r.text) for r in cleaned.removals} == {("TST100", "Related Articles"),
                                                               ("TST001", "Advertisement")}


def test_a_header_with_nothing_under_it_stays_weak() -> None:
    records = _records(LIST, """
        Headline
        Related articles
        The story itself, told in a sentence.
    """)
    assert records[0].text == "Related articles\nThe story itself, told in a sentence."


INLINE = engine_from('''
    [[layout]]
    id = "TST110"
    purpose = "inline reference"
    header = '(?:also read|read more): (?P<title>[^\\n]{10,200}?(?<![.]))'
    max_chars = 250
''')


def test_an_inline_reference_becomes_a_record_and_leaves_the_text() -> None:
    cleaned = INLINE.process("Headline\nFirst paragraph.\nAlso read: Storm knocks out power across the region\n"
                             "Second paragraph.\nRead more: the mayor said, was what the sign said.")
    main, related = cleaned.records
    assert related.title == "Storm knocks out power across the region"
    assert main.text == "First paragraph.\nSecond paragraph.\nRead more: the mayor said, was what the sign said."
    assert [r.rule_id for r in cleaned.removals] == ["TST110"]


COMMENTS = '''
    [[layout]]
    id = "TST200"
    purpose = "comment thread"
    kind = "comments"
    header = '\\d+ comments'
    title_echo = "keep"
    slots = [
      { pattern = '(?P<source>[\\w ]{2,30}) says:' },
      { pattern = '(?P<published>\\w+ \\d{1,2}, \\d{4} at \\d{1,2}:\\d{2} [ap]m)' },
      { field = "text", rest = true },
      { pattern = 'reply', optional = true },
    ]
'''
THREAD = """
    Headline
    The story itself, told in a sentence.
    2 Comments
    jane says:
    March 3, 2024 at 10:15 am
    Great piece.
    I agree with all of it.
    Reply
    joe says:
    March 3, 2024 at 11:00 am
    Not so sure.
    Reply
"""


def test_comments_become_records_of_their_own() -> None:
    records = _records(engine_from(COMMENTS), THREAD)
    assert records[0].text == "The story itself, told in a sentence."
    assert [(r.kind, r.source, r.published, r.text) for r in records[1:]] == [
        ("comments", "jane", "March 3, 2024 at 10:15 am", "Great piece.\nI agree with all of it."),
        ("comments", "joe", "March 3, 2024 at 11:00 am", "Not so sure."),
    ]


def test_drop_comments_removes_them_with_the_layout_named() -> None:
    cleaned = engine_from(COMMENTS, drop_comments=True).process(textwrap.dedent(THREAD).strip())
    assert [r.kind for r in cleaned.records] == ["main"]
    assert cleaned.records[0].text == "The story itself, told in a sentence."
    assert {r.rule_id for r in cleaned.removals} == {"TST200"}
    assert "Great piece." in {r.text for r in cleaned.removals}


def test_the_best_of_several_layouts_under_one_header_wins() -> None:
    engine = engine_from(f'''
        [[layout]]
        id = "TST100"
        purpose = "titles only"
        header = 'related'
        slots = [{TITLE}]

        [[layout]]
        id = "TST101"
        purpose = "source, then title"
        header = 'related'
        slots = [{{ field = 'source', pattern = '[A-Z]{{2,8}}' }}, {TITLE}]
    ''')
    records = _records(engine, """
        Headline
        Body of the story.
        Related
        RTHK
        Storm knocks out power across the region
        BBC
        Council approves the new budget after debate
    """)
    assert [(r.source, r.title) for r in records[1:]] == [
        ("RTHK", "Storm knocks out power across the region"), ("BBC", "Council approves the new budget after debate")]


def test_builtin_layouts_split_real_shapes() -> None:
    text = ("Headline of the story\nThe story itself, in one sentence.\n\nYou may also like:\n\n"
            "- Five things to know about the new tax rules\n- How the city plans to fix its roads\n\n"
            "READ MORE: Storm knocks out power to thousands across the region\n")
    records = cleaner.clean(text)
    assert records[0].text == "The story itself, in one sentence."
    assert [r.title for r in records[1:]] == ["Five things to know about the new tax rules",
                                              "How the city plans to fix its roads",
                                              "Storm knocks out power to thousands across the region"]


@pytest.mark.parametrize(("body", "reason"), [
    ("header = 'x'\nkind = 'replies'\nslots = [{ field = 'title' , pattern = 'a'}]", "kind must be 'related' or"),
    ("header = 'x'\nblank_lines = 'skip'\nslots = [{ field = 'title', pattern = 'a' }, "
     "{ field = 'text', rest = true }]", "needs max_lines"),
    ("header = 'x'", "an inline reference"),
    ("header = 'x (?P<title>.+)'\nmin_items = 2", "an inline reference is one item"),
    ("header = 'x'\nslots = [{ field = 'title', pattern = 'a', optional = true }]", "first slot must be required"),
    ("header = 'x'\nslots = [{ field = 'title' }]", "first slot must be required and have a pattern or a shape"),
    ("header = 'x'\nslots = [{ field = 'source', pattern = 'a' }, { template = '{source:>999999999}' }]",
     "only plain {field} references"),
    ("header = 'x'\nslots = [{ field = 'title', pattern = 'a', max_words = 2, min_words = 5 }]",
     "max_words is below"),
    ("header = 'x'\nslots = [{ field = 'title', pattern = 'a', max_lines = 2 }]", "applies only to the rest"),
    ("header = 'x'\nslots = [{ field = 'title', pattern = 'a' }, { field = 'text', rest = true }, "
     "{ field = 'source' }]", "after the rest of the item needs a pattern"),
    ("header = 'x'\nmax_items = 1\nmin_items = 2\nslots = [{ field = 'title', pattern = 'a' }]", "below min_items"),
])
def test_bad_layouts_fail_at_load_with_a_reason(body: str, reason: str) -> None:
    with pytest.raises(cleaner.RuleError) as caught:
        parse_rule_file(f'[[layout]]\nid = "TST100"\npurpose = "x"\n{body}\n', "bad.toml")
    assert reason in str(caught.value)
    assert str(caught.value).startswith("bad.toml")


# --- found in review: every line accounted for, precedence, linear time ------------------------------

def _unaccounted(text: str, cleaned) -> list[str]:
    """Lines of the input in no record and in no removal."""
    covered = "\n".join(f"{r.title or ''}\n{r.source or ''}\n{r.published or ''}\n{r.text}" for r in cleaned.records)
    removed = {r.text for r in cleaned.removals}
    for removal in cleaned.removals:
        assert text[removal.start:removal.end] == removal.text
    return [line for line in (x.strip() for x in text.split("\n"))
            if line and line not in removed and line not in covered]


def test_repeated_meta_lines_are_structure_not_lost() -> None:
    text = ("Headline\nBody text of the article goes on here for a while.\n\nRelated Articles\n"
            "City council approves new budget plan\nBy Jane Doe\n4 hours ago\n"
            "Mayor unveils transit expansion for downtown\nBy John Roe\n2 days ago\n")
    cleaned = cleaner.Cleaner().engine.process(text)
    assert [r.title for r in cleaned.records[1:]] == ["City council approves new budget plan",
                                                      "Mayor unveils transit expansion for downtown"]
    assert not _unaccounted(text, cleaned)


def test_junk_under_a_header_keeps_its_own_removal() -> None:
    text = ("Headline\nBody text of the story.\n\nRelated Articles\nSee all\nAdvertisement\n"
            "City council approves new budget plan\nMayor unveils transit expansion for downtown\n")
    cleaned = cleaner.Cleaner().engine.process(text)
    assert ("WEB001", "Advertisement") in {(r.rule_id, r.text) for r in cleaned.removals}
    assert not _unaccounted(text, cleaned)


def test_junk_inside_a_comment_does_not_end_the_thread() -> None:
    text = ("The article ends here.\n\n3 Responses to “The article”\n\nthelastfan says:\n"
            "November 19, 2019 at 6:34 am\nIt is a good thing we have no fans left.\nAdvertisement\n"
            "And this is the second paragraph of the comment.\nReply\n\njoe says:\nNovember 19, 2019 at 6:44 am\n"
            "Time to come to grips with reality.\nReply")
    dropped = cleaner.Cleaner(options=Options(drop_comments=True)).engine.process(text)
    assert dropped.records[0].text == "The article ends here."
    kept = cleaner.Cleaner().engine.process(text)
    assert [r.source for r in kept.records if r.kind == "comments"] == ["thelastfan", "joe"]
    assert "second paragraph" in kept.records[1].text and "Advertisement" not in kept.records[1].text


def test_a_template_may_repeat_what_the_header_captured() -> None:
    engine = engine_from('''
        [[layout]]
        id = "TST100"
        purpose = "x"
        header = 'more from (?P<source>[a-z]+)'
        slots = [{ field = 'title', min_words = 3, sentence_end = false, max_chars = 80 },
                 { template = 'via {source}' }]
    ''')
    records = engine.process("Body text.\n\nMore from Reuters\nFirst related title here\nvia Reuters\n"
                             "Second related title here\nvia Reuters").records
    assert [(r.source, r.title) for r in records[1:]] == [("Reuters", "First related title here"),
                                                          ("Reuters", "Second related title here")]


def test_a_weak_exact_line_does_not_beat_a_run_rule() -> None:
    engine = engine_from('''
        [[rule]]
        id = "TST001"
        purpose = "x"
        line = "Comments"
        strength = "weak"
        [[rule]]
        id = "TST002"
        purpose = "x"
        pattern = 'comments|share|print'
        min_run = 2
    ''')
    assert engine.process("Title\nBody text.\nShare\nComments\nMore body.").records[0].text == "Body text.\nMore body."


def test_a_posix_class_makes_a_rule_tried_on_every_line() -> None:
    engine = engine_from('''
        [[rule]]
        id = "TST001"
        purpose = "x"
        pattern = '[[:digit:]]+ comments'
    ''')
    assert engine.process("Title\nBody text.\n12 comments\nMore body.").records[0].text == "Body text.\nMore body."


def test_controls_under_a_header_belong_to_the_block_only_when_the_layout_names_them() -> None:
    body = '''
        [[layout]]
        id = "TST100"
        purpose = "x"
        header = 'related'
        {controls}
        slots = [{{ field = 'title', min_words = 3, sentence_end = false, max_chars = 80 }}]
    '''
    text = "Body text.\nrelated\n(View all)\nFirst related title here\nSecond related title here"
    with_controls = engine_from(body.format(controls="controls = '\\(view all\\)'")).process(text)
    assert [r.title for r in with_controls.records[1:]] == ["First related title here", "Second related title here"]
    assert ("TST100", "(View all)") in {(r.rule_id, r.text) for r in with_controls.removals}
    without = engine_from(body.format(controls="")).process(text)
    assert len(without.records) == 1 and "(View all)" in without.records[0].text


def test_layouts_sharing_a_pattern_under_one_header_keep_their_own_shapes() -> None:
    # Layouts under one header share what a slot makes of a line (matched once per document) only when the
    # slots are alike: the same pattern with another shape is asked again, so each layout finds what it
    # would find alone.
    shaped = '''
        [[layout]]
        id = "TST10{n}"
        purpose = "titles of {words} words or more"
        header = 'related'
        slots = [{{ field = 'title', pattern = '[^\\n]+', min_words = {words} }}]
    '''
    text = """
        Headline
        Body of the story.
        Related
        Storm hits the coast
        Council approves the new budget after debate
    """
    both = _records(engine_from(shaped.format(n=0, words=5) + shaped.format(n=1, words=2)), text)
    short_only = _records(engine_from(shaped.format(n=1, words=2)), text)
    long_only = _records(engine_from(shaped.format(n=0, words=5)), text)
    assert [r.title for r in both[1:]] == ["Storm hits the coast", "Council approves the new budget after debate"]
    assert both == short_only
    assert [r.title for r in long_only[1:]] == []


@pytest.mark.parametrize("line", [
    "plain words only", "two  spaces", "a\ttab", "no\u00a0break", "ideographic\u3000space", "zero\u200bwidth",
    "thin\u2009space and  more", "line\u2028separator", "x" * 500 + " y", ("word " * 120).strip(),
])
def test_the_segmenter_reads_each_line_normalised(line: str) -> None:
    from cleaner.core.text import normalize_line
    from tests.segment_python import Lines

    lines = Lines([line], [None], bytearray(1), lambda pattern, text: None)
    assert lines.normal(0) == normalize_line(line)


@pytest.mark.parametrize("min_words,max_words", [(6, 0), (0, 5), (3, 8), (120, 0), (0, 119), (0, 120)])
def test_a_shape_counts_words_on_long_lines_as_on_short_ones(min_words: int, max_words: int) -> None:
    from cleaner.core.rules import _WORD, Shape

    shape = Shape(min_words=min_words, max_words=max_words)
    for count in (0, 1, 5, 6, 8, 9, 119, 120, 121):
        for word in ("w", "longer-word", "2024", "x" * 60):
            line = " ".join([word] * count) + " " + "." * 450  # long: past the length the count may stop early
            words = len(_WORD.findall(line))
            expected = words >= min_words and (not max_words or words <= max_words)
            assert shape.fits(line) is expected, (count, word)


MENU = engine_from(f'''
    [[layout]]
    id = "TST120"
    purpose = "related block that is not a menu"
    header = 'more from (?P<source>[A-Za-z ]+)|related'
    menu_words = 3
    slots = [{TITLE.replace("min_words = 3", "min_words = 2")}]
''')


def test_a_menu_under_a_related_heading_is_not_segmented() -> None:
    records = _records(MENU, """
        The story itself, told in a sentence.
        More from Phones
        Phone Deals
        Phone Reviews
        Phone Buying Guides
    """)
    assert [r.kind for r in records] == ["main"]
    assert records[0].text.split("\n")[-3:] == ["Phone Deals", "Phone Reviews", "Phone Buying Guides"]
    records = _records(MENU, """
        The story itself, told in a sentence.
        Related
        Storm knocks out power across the region
        Council approves the new budget
    """)
    assert [r.title for r in records[1:]] == ["Storm knocks out power across the region",
                                              "Council approves the new budget"]


def test_an_unspaced_title_counts_a_word_for_two_characters() -> None:
    from tests.segment_python import Item, _median_title_words

    items = [Item({"title": title}, 0) for title in ("暴雨导致多地停电", "市议会通过新预算案", "Phone Deals")]
    assert _median_title_words(items) == 4


def test_menu_words_must_be_a_count() -> None:
    with pytest.raises(cleaner.RuleError, match="menu_words must be a whole number"):
        engine_from('''
            [[layout]]
            id = "TST121"
            purpose = "bad"
            header = 'related'
            menu_words = -1
            slots = [{ field = 'title', pattern = 'a' }]
        ''')


BARE = engine_from('''
    [[layout]]
    id = "TST122"
    purpose = "related block whose short titles alone are no articles"
    header = 'related|popular posts'
    bare_words = 4
    bare_share = 0.5
    slots = [
      { field = 'title', pattern = '(?P<title>[^\\n]+?)(?:\\s*\\(\\d{1,6}\\))?', min_words = 2, sentence_end = false },
    ]
''')


def test_a_short_title_alone_among_headlines_is_removed_with_the_block_and_makes_no_record() -> None:
    cleaned = BARE.process(textwrap.dedent("""\
        The story itself, told in a sentence.
        Related
        Storm knocks out power to thousands across the region
        App Store
        Council approves the new budget after a long night
        About us
    """))
    records = list(cleaned.records)
    assert [r.title for r in records[1:]] == ["Storm knocks out power to thousands across the region",
                                              "Council approves the new budget after a long night"]
    assert records[0].text == "The story itself, told in a sentence."
    assert sorted(r.text for r in cleaned.removals if r.rule_id == "TST122") == ["About us", "App Store", "Related"]


def test_a_list_of_short_titles_or_a_short_title_with_a_count_stays_records() -> None:
    # No title of the block is article-sized: a blog's list of short titles, not a menu the block ran into.
    records = _records(BARE, """
        The story itself, told in a sentence.
        Popular posts
        Humble pride
        The beginning
        Starting over
    """)
    assert [r.title for r in records[1:]] == ["Humble pride", "The beginning", "Starting over"]
    # A count on the title's line is the item's own: it is no title alone.
    records = _records(BARE, """
        The story itself, told in a sentence.
        Popular posts
        What kind of council wants its budget to be late again (33)
        Humble pride (31)
    """)
    assert [r.title for r in records[1:]] == ["What kind of council wants its budget to be late again", "Humble pride"]


def test_bare_share_must_be_a_share() -> None:
    with pytest.raises(cleaner.RuleError, match="bare_share must be a number from 0 to 1"):
        engine_from('''
            [[layout]]
            id = "TST123"
            purpose = "bad"
            header = 'related'
            bare_words = 4
            bare_share = 2
            slots = [{ field = 'title', pattern = 'a' }]
        ''')


def test_the_cjk_letter_ranges_are_the_four_scripts() -> None:
    """rules/related.toml spells the Han, Hiragana, Katakana and Hangul scripts as ranges (the standard parser
    the rule analysis uses cannot read the regex package's script names): the same characters, every one."""
    import tomllib
    from pathlib import Path

    import regex

    table = tomllib.loads((Path(__file__).parents[1] / "rules" / "related.toml").read_text(encoding="utf-8"))
    ranges = regex.compile("".join(table["define"]["cjk_letter"]))
    scripts = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]")
    letters = [chr(point) for point in range(0x110000) if not 0xD800 <= point <= 0xDFFF]
    assert [c for c in letters if ranges.match(c)] == [c for c in letters if scripts.match(c)]


# --- a reference page's "See Also" names are no related articles (name_list) --------------------------

NAMES = engine_from(f'''
    [[layout]]
    id = "TST124"
    purpose = "related block whose titles may be a reference page's list of names"
    header = 'see also|related'
    name_list = '(?:[a-z_]+|\\p{{Lu}}+(?: \\p{{Lu}}+)?)(?:, (?:[a-z_]+|\\p{{Lu}}+(?: \\p{{Lu}}+)?))+'
    slots = [{TITLE.replace("min_words = 3", "min_words = 2")}]
''')


def test_a_see_also_list_of_names_stays_in_the_text() -> None:
    records = _records(NAMES, """
        The command removes a widget and its parts.
        See Also
        mkwidget, SHOW WIDGETS
    """)
    assert [r.kind for r in records] == ["main"]
    assert records[0].text.split("\n")[-1] == "mkwidget, SHOW WIDGETS"
    # Matched with case, though the layout's other patterns ignore it: "Storm Damage" is neither a name in
    # lower case nor one in capitals, so the block is related articles.
    records = _records(NAMES, """
        The command removes a widget and its parts.
        Related
        Storm Damage, Power Cuts
    """)
    assert [r.title for r in records[1:]] == ["Storm Damage, Power Cuts"]


def test_a_block_with_one_headline_among_names_is_still_segmented() -> None:
    # Every title must be a list of names: one headline makes the block a related block.
    records = _records(NAMES, """
        The story itself, told in a sentence.
        Related
        mkwidget, rmwidget
        Council approves the new budget after a long night
    """)
    assert [r.title for r in records[1:]] == ["mkwidget, rmwidget",
                                              "Council approves the new budget after a long night"]


def test_builtin_layouts_keep_see_also_names_and_split_headlines_with_commas() -> None:
    # A reference page's "See Also" line of command and keyword names is the page's text, not related articles.
    text = ("Widget manual\nThe frob command removes a widget and every part it holds.\n\nSee Also\n\n"
            "mkwidget, rmwidget, SHOW WIDGETS, Section 4.2\n")
    records = cleaner.clean(text)
    assert [r.kind for r in records] == ["main"]
    assert "mkwidget, rmwidget, SHOW WIDGETS, Section 4.2" in records[0].text.split("\n")
    # Real related headlines are phrases, commas or not: they still become records.
    text = ("Headline of the story\nThe story itself, in one sentence.\n\nRelated Articles\n\n"
            "Storm, floods leave thousands without power across the region\n"
            "Council, mayor agree on a new budget after a long night\n")
    records = cleaner.clean(text)
    assert records[0].text == "The story itself, in one sentence."
    assert [r.title for r in records[1:]] == ["Storm, floods leave thousands without power across the region",
                                              "Council, mayor agree on a new budget after a long night"]


def test_name_list_must_be_a_pattern() -> None:
    with pytest.raises(cleaner.RuleError, match="name_list does not compile"):
        engine_from('''
            [[layout]]
            id = "TST125"
            purpose = "bad"
            header = 'related'
            name_list = '(?:a'
            slots = [{ field = 'title', pattern = 'a' }]
        ''')


def test_a_faq_s_questions_after_related_titles_stay_in_the_article(cleaner_builtin) -> None:
    # An accordion FAQ prints an expand mark after each question ("...?+"): the page's own questions and answers,
    # no related items, even right after a related block's titles.
    faq = ["Comment conserver ce pain sans gluten ?+",
           "Dans un torchon propre, à température ambiante, jusqu'à trois jours au plus.",
           "Peut-on congeler la pâte à pain sans gluten ?+",
           "Oui, formez la boule, emballez-la bien et gardez-la un mois au congélateur."]
    text = "\n".join(["Le pain sans gluten demande une farine de riz, de la fécule et du psyllium pour bien lever.",
                      "Laissez reposer la pâte une heure dans un endroit tiède avant de la façonner et de la cuire.",
                      "À lire aussi", "Pâtes fraîches sans gluten : recette facile et réussie",
                      "Biscuits sablés sans gluten : recette traditionnelle", *faq])
    cleaned = cleaner_builtin.process(text)
    main, *related = cleaned.records
    assert [r.title for r in related] == ["Pâtes fraîches sans gluten : recette facile et réussie",
                                          "Biscuits sablés sans gluten : recette traditionnelle"]
    assert main.text.split("\n")[-4:] == faq
