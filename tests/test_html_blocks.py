"""The tree step: HTML rules and what they make of each block shape, with exact expected records."""

from __future__ import annotations

import json

import polars as pl
import pytest

import cleaner
from cleaner.cli import main
from cleaner.core.records import IN_TREE
from cleaner.core.rules import parse_rule_file
from cleaner.io.html import HtmlOptions
from cleaner.io.html_blocks import check_html_examples
from cleaner.io.selectors import check_selector
from tests.conftest import FIXTURES

BLOCKS = FIXTURES / "html_blocks"
URL = "https://harbour.example/news/terminal"
ARTICLE_START = "The harbour authority confirmed on Monday"
ARTICLE_END = "could no longer handle the larger vessels now in service."
KEEPING = cleaner.Cleaner(html_options=HtmlOptions(include_comments=True))


def _page(name: str) -> bytes:
    return (BLOCKS / f"{name}.html").read_bytes()


def _fields(records) -> list[tuple]:
    return [(r.kind, r.title, r.link, r.source, r.published, r.text) for r in records]


def _assert_clean_main(record) -> None:
    assert record.kind == "main" and record.record_index == 0
    assert record.title == "New ferry terminal to open in June"
    assert record.text.startswith(ARTICLE_START) and record.text.endswith(ARTICLE_END)
    assert record.text.count("\n") == 3, record.text  # the four paragraphs, nothing else


TEASERS = [
    ("related", "Ferry fares to rise in autumn", "https://harbour.example/news/fares", "Coast Radio",
     "2025-08-13T18:00:00Z", "The operator said fares would rise by four percent."),
    ("related", "Storm delays morning crossings", "https://harbour.example/news/storm", "Harbour Times",
     "2025-08-12T07:30:00Z", "Two morning sailings were cancelled after gusts reached 90 km/h."),
    ("related", "Old pier to become a park", "https://other.example/pier", "Island News", "2025-08-10",
     "The council chose a design with trees and benches."),
]


@pytest.mark.parametrize("name", ["teaser_list_inside_article", "teaser_list_outside_article"])
def test_teaser_list_becomes_related_records_with_links(name: str) -> None:
    cleaned = cleaner.Cleaner().process(html=_page(name), doc_id=name)
    main_record, *related = cleaned.records
    _assert_clean_main(main_record)
    assert _fields(related) == TEASERS
    assert [r.record_index for r in related] == [1, 2, 3] and all(r.doc_id == name for r in related)
    assert all(r.url == URL for r in cleaned.records)  # the page's address; the teaser's is in link
    tree_removals = [r for r in cleaned.removals if r.start == IN_TREE and r.rule_id != "HTM020"]  # not the menu
    assert [r.rule_id for r in tree_removals] == ["HTM010"]
    assert tree_removals[0].text.startswith("Related articles Ferry fares to rise in autumn")


def test_link_title_list_gives_titles_and_links_without_text() -> None:
    main_record, *related = cleaner.clean(html=_page("link_title_list"))
    _assert_clean_main(main_record)
    assert _fields(related) == [
        ("related", title, f"https://harbour.example/news/{slug}", None, None, "")
        for title, slug in [("Bridge closes for repairs in May", "bridge"),
                            ("Council approves the harbour budget", "budget"),
                            ("School year starts a week late", "school"),
                            ("Tram line extension opens to the port", "tram")]]


def _expected_thread() -> list[tuple]:
    # The fixture's 50 comments: every fifth is a reply nested in the one before it, in page order.
    names = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jo"]
    return [("comments", None, None, f"{names[n % 10]} {n}", f"2025-08-{14 + n // 10:02d}T{n % 24:02d}:00:00+00:00",
             f"Comment number {n} about the terminal.") for n in range(1, 51)]


def test_wordpress_thread_of_50_comments_gives_one_record_per_comment() -> None:
    cleaned = KEEPING.process(html=_page("wordpress_thread_50_comments"))
    main_record, *comments = cleaned.records
    _assert_clean_main(main_record)
    assert _fields(comments) == _expected_thread()
    assert [r.record_index for r in comments] == list(range(1, 51))
    assert [r.rule_id for r in cleaned.removals if r.start == IN_TREE] == ["HTM001", "HTM020"]  # thread, menu


def test_comments_are_dropped_unless_kept() -> None:
    for name in ("wordpress_thread_50_comments", "disqus_comments", "schema_org_comments"):
        records = cleaner.clean(html=_page(name))
        assert len(records) == 1, name
        _assert_clean_main(records[0])


def test_disqus_thread_with_a_reply() -> None:
    main_record, *comments = KEEPING.clean(html=_page("disqus_comments"))
    _assert_clean_main(main_record)
    assert _fields(comments) == [
        ("comments", None, None, "Marta", "a year ago", "Finally some good news for commuters."),
        ("comments", None, None, "Tomas", "a year ago", "Good news, two months late.")]


def test_schema_org_comments() -> None:
    main_record, *comments = KEEPING.clean(html=_page("schema_org_comments"))
    _assert_clean_main(main_record)
    assert _fields(comments) == [
        ("comments", None, None, "Lena K.", "2025-08-14T12:00:00Z", "Will the old building be kept?"),
        ("comments", None, None, "Omar", "2025-08-14T13:15:00Z", "It is listed, so yes.")]


def test_a_page_whose_content_is_a_list_is_kept_whole() -> None:
    cleaned = KEEPING.process(html=_page("content_is_a_list"))
    record, = cleaned.records
    for line in ("Harbour to Gull Island", "Forty minutes past the lighthouse, with a café on board.",
                 "Gull Island to Farhaven", "Timetables change in winter, so check the operator before you travel."):
        assert line in record.text
    assert [r.rule_id for r in cleaned.removals if r.start == IN_TREE] == ["HTM020"]  # the menu only


def test_forum_thread_replies_are_content() -> None:
    page = ('<html><body><div itemscope itemtype="https://schema.org/DiscussionForumPosting">'
            '<h1 itemprop="headline">Which lens for birds?</h1><div itemprop="text"><p>I am choosing a lens for '
            'photographing birds in the marshes near my town, mostly in the early morning.</p></div>'
            + "".join(f'<div itemprop="comment" itemscope itemtype="https://schema.org/Comment">'
                      f'<span itemprop="author">User {n}</span><div itemprop="text"><p>Reply {n}: a long zoom lens '
                      f'of around 400mm works well for small birds, and a tripod helps at dawn.</p></div></div>'
                      for n in range(5))
            + "</div></body></html>")
    cleaned = KEEPING.process(html=page)
    assert [r.kind for r in cleaned.records] == ["main"]
    assert "Reply 4: a long zoom lens" in cleaned.records[0].text


def test_domain_scoped_rule_applies_only_on_its_domain(tmp_path) -> None:
    (tmp_path / "site.toml").write_text('''
[[html_rule]]
id = "SITE001"
purpose = "the site's partner box"
action = "drop"
select = ".partner-box"
domains = ["harbour.example"]
examples.junk = ['<p>Body.</p><div class="partner-box">Our partners</div>']
examples.keep = ['<p>Body.</p><div class="partner">Our partners</div>']
''', encoding="utf-8")
    scoped = cleaner.Cleaner(tmp_path)
    page = (f"<html><body><article><h1>T</h1><p>{ARTICLE_START} and more words to make a paragraph of text.</p>"
            "</article><div class='partner-box'>Visit our partners today</div></body></html>")
    here = scoped.process(html=page, url="https://www.harbour.example/a")
    elsewhere = scoped.process(html=page, url="https://other.example/a")
    assert "SITE001" in here.hits() and "SITE001" not in elsewhere.hits()


@pytest.mark.parametrize(("body", "line", "reason"), [
    ('[[html_rule]]\nid = "TST001"\npurpose = "x"\naction = "hide"\nselect = "div"\n', 4, "action must be one of"),
    ('[[html_rule]]\nid = "TST001"\npurpose = "x"\naction = "drop"\nselect = "div[["\n', 5, "not a valid CSS selector"),
    ('[[html_rule]]\nid = "TST001"\npurpose = "x"\naction = "drop"\n', 1, "select must be a non-empty CSS selector"),
    ('[[html_rule]]\nid = "TST001"\npurpose = "x"\naction = "drop"\nselect = "div"\nitem = "li"\n', 6,
     "'item' does not apply to a drop rule"),
    ('[[html_rule]]\nid = "TST001"\npurpose = "x"\naction = "related"\nselect = "div"\n', 1, "item must be"),
    ('[[html_rule]]\nid = "TST001"\npurpose = "x"\naction = "related"\nselect = "div"\nitem = "li"\n'
     'fields = { author = "b" }\n', 7, "unknown part(s) in fields of a related rule: author"),
    ('[[html_rule]]\nid = "TST001"\npurpose = "x"\naction = "comments"\nselect = "div"\nitem = "li"\n'
     'fields = { body = "p:nope" }\n', 7, "fields.body is not a valid CSS selector"),
    ('[[html_rule]]\nid = "TST001"\npurpose = "x"\naction = "drop"\nselect = "div"\ncolour = 1\n', 1,
     "unknown field(s) in [[html_rule]]: colour"),
])
def test_bad_html_rule_fails_at_load_with_file_line_and_reason(body: str, line: int, reason: str) -> None:
    with pytest.raises(cleaner.RuleError) as caught:
        parse_rule_file(body, "bad.toml", check_selector)
    assert (caught.value.source, caught.value.line) == ("bad.toml", line)
    assert reason in str(caught.value)


def test_html_example_checker_reports_wrong_examples() -> None:
    body = '''
[[html_rule]]
id = "TST001"
purpose = "related block that finds no teaser in its junk example"
action = "related"
select = ".more"
item = "li"
examples.junk = ['<div class="more"><ul><li>no link here</li></ul></div>']
examples.keep = ['<div class="more"><ul><li><a href="/x">A linked title</a></li></ul></div>']
'''
    rules = cleaner.RuleSet((parse_rule_file(body, "t.toml", check_selector),))
    problems = sorted(str(f) for f in check_html_examples(rules))
    assert any("did not remove anything from its junk example" in p for p in problems)
    assert any("found no related record in any junk example" in p for p in problems)
    assert any("removed an element from its keep example" in p for p in problems)


def test_cli_writes_links_and_tree_removals(tmp_path) -> None:
    out = tmp_path / "out"
    assert main(["clean", str(BLOCKS), "--out", str(out), "--workers", "1", "--quiet", "--removals",
                 "--keep-comments"]) == 0
    frame = pl.read_parquet(out / "records" / "*.parquet")
    teasers = frame.filter(pl.col("doc_id") == "teaser_list_inside_article").sort("record_index")
    assert teasers["kind"].to_list() == ["main", "related", "related", "related"]
    assert teasers["link"].to_list() == [None] + [t[2] for t in TEASERS]
    thread = frame.filter((pl.col("doc_id") == "wordpress_thread_50_comments") & (pl.col("kind") == "comments"))
    assert thread.height == 50 and thread["published"].null_count() == 0 and thread["source"].null_count() == 0
    removals = pl.read_parquet(out / "removals" / "*.parquet")
    tree = removals.filter(pl.col("start") == IN_TREE)
    assert set(tree["rule_id"]) >= {"HTM001", "HTM002", "HTM003", "HTM010"}
    assert json.loads((out / "manifest.json").read_text())["balanced"]


def test_explain_names_the_rule_that_removed_an_element(capsys) -> None:
    assert main(["explain", str(BLOCKS / "link_title_list.html")]) == 0
    shown = capsys.readouterr().out
    assert "removed by HTM010 (Related-posts block" in shown and "from the page's tree" in shown
    assert "link: https://harbour.example/news/bridge" in shown


DETECTING = cleaner.Cleaner(builtin=True, html_options=HtmlOptions(detect_blocks=True))


def test_teaser_detector_finds_an_unnamed_teaser_list() -> None:
    # The fixture's block, with its class renamed to a word no rule knows.
    page = _page("teaser_list_outside_article").replace(b'class="related-articles"', b'class="x9f2"')
    page = page.replace(b"</ul>", b'<li><a href="/news/tram"><img src="/i/4.jpg" alt=""></a><h3><a href="/news/tram">'
                        b"Tram line reaches the port</a></h3></li></ul>")
    # A news article is several times longer than the list beside it; this one is made so.
    more = b"".join(b"<p>The authority will publish the full report on the piers, paragraph %d of the appendix, "
                    b"next month, with the costs of the repairs and the new schedule for the works.</p>" % n
                    for n in range(8))
    page = page.replace(b"</article>", more + b"</article>")
    assert [r.kind for r in cleaner.clean(html=page)] == ["main"]  # off by default
    cleaned = DETECTING.process(html=page)
    main_record, *related = cleaned.records
    assert main_record.text.startswith(ARTICLE_START) and main_record.text.endswith("works.")
    assert "Ferry fares" not in main_record.text and "Tram line" not in main_record.text
    assert [(r.title, r.link, r.published) for r in related] == [(t[1], t[2], t[4]) for t in TEASERS] + [
        ("Tram line reaches the port", "https://harbour.example/news/tram", None)]
    assert [r.rule_id for r in cleaned.removals if r.start == IN_TREE] == ["HTM020", "HTM020", "DETECT-TEASERS"]


@pytest.mark.parametrize(("title", "headline"), [
    ("港口新渡轮码头将于六月启用", True),  # Chinese: one "word" of 13 characters
    ("新しいフェリーターミナルが六月に開業", True),  # Japanese
    ("首页", False),  # a menu entry
    ("Ferry terminal opens in June", True),
    ("Home", False),
])
def test_a_teaser_title_is_as_long_as_a_headline_in_any_script(title: str, headline: bool) -> None:
    from lxml import html as lxml_html

    from cleaner.io.html_blocks import _teaser

    item = lxml_html.fragment_fromstring(f'<li><a href="/n/1">{title}</a> <span>3 条评论</span></li>')
    found = _teaser(item, "https://harbour.example/")
    assert (found is not None) == headline
    if headline:
        assert found is not None and found.title == title and found.link == "https://harbour.example/n/1"


def test_teaser_detector_keeps_a_page_whose_content_is_a_list() -> None:
    cleaned = DETECTING.process(html=_page("content_is_a_list"))
    assert [r.kind for r in cleaned.records] == ["main"]
    assert "DETECT-TEASERS" not in cleaned.hits()
    assert "Eastbay to the Seal Rocks" in cleaned.records[0].text


def test_a_line_is_judged_by_where_its_text_unit_sits() -> None:
    """A one-word line that extraction gave is removed when every element holding exactly that text lies
    in a removed block, even when the word also occurs inside sentences of the article; a line the page
    also holds outside the blocks is kept."""
    from lxml import html as lxml_html

    from cleaner.io.html_blocks import TreeRules

    page = lxml_html.document_fromstring(
        "<html><body><main><h1>Title</h1><p>Careers at the harbour pay well, and the authority said so on "
        "Monday, adding that the terminal will open in June.</p><p>Contact</p></main>"
        '<div id="navFooter"><ul><li><a href="/careers">Careers</a></li><li><a href="/c">Contact</a></li>'
        "</ul></div></body></html>")
    findings = TreeRules.from_ruleset(cleaner.Cleaner().rules).apply(page, None, keep_comments=False)
    assert "HTM025" in {r.rule_id for r in findings.removals}
    extracted = "Careers at the harbour pay well, and the authority said so on Monday.\nCareers\nContact"
    assert findings.strip(extracted) == "Careers at the harbour pay well, and the authority said so on Monday.\nContact"


def test_comment_detector_finds_an_unnamed_thread_with_its_reply() -> None:
    cleaned = KEEPING.process(html=_page("unnamed_comment_thread"))
    main_record, *comments = cleaned.records
    _assert_clean_main(main_record)
    assert _fields(comments) == [
        ("comments", None, None, "Ines", "August 14, 2025",
         "Finally a date. I have waited for this terminal for years."),
        ("comments", None, None, "Rui", "August 14, 2025", "Two months late is still late."),
        ("comments", None, None, "Joao", "August 15, 2025", "Will the old building be kept as a museum?"),
        ("comments", None, None, "Ana", "August 16, 2025", "The cracks were reported last winter by the divers.")]
    assert [r.rule_id for r in cleaned.removals if r.start == IN_TREE] == ["HTM020", "DETECT-COMMENTS"]
    dropped = cleaner.Cleaner().clean(html=_page("unnamed_comment_thread"))
    assert [r.kind for r in dropped] == ["main"] and dropped[0].text == main_record.text


@pytest.mark.parametrize("change", ["no article before it", "two threads", "a discussion page"])
def test_comment_detector_leaves_threads_that_are_the_content(change: str) -> None:
    page = _page("unnamed_comment_thread")
    if change == "no article before it":  # a forum thread: the first post is one of the items
        start, end = page.index(b"<p>The harbour"), page.index(b"</article>")
        page = page[:start] + page[end:]
    elif change == "two threads":  # comments under each answer of a Q&A page
        thread = page[page.index(b'<section class="talk">'):page.index(b"</main>")]
        page = page.replace(b"</main>", thread + b"</main>")
    else:
        page = page.replace(b"<main>", b'<main itemscope itemtype="https://schema.org/DiscussionForumPosting">')
    cleaned = KEEPING.process(html=page)
    assert "DETECT-COMMENTS" not in cleaned.hits()
    assert [r.kind for r in cleaned.records] == ["main"]
    without_detector = cleaner.Cleaner(html_options=HtmlOptions(include_comments=True, detect_comments=False))
    reference = without_detector.process(html=page).records
    if change == "no article before it":  # a forum thread told by its shape: the same text, typed a forum
        assert cleaned.records[0].metadata.get("page_type") == "forum"
        assert [r.text for r in cleaned.records] == [r.text for r in reference]
    else:
        assert cleaned.records == reference
    if change == "no article before it":  # the posts are the page's text (beside an article, trafilatura
        assert "Two months late is still late." in cleaned.records[0].text  # leaves them out itself)


def test_a_removed_element_whose_text_is_never_shown_leaves_later_text_alone() -> None:
    from lxml import html as lxml_html

    from cleaner.io.html_blocks import _units

    page = lxml_html.document_fromstring(
        '<html><body><p>Before</p><noscript class="x">Enable scripts</noscript> tail<p>After</p>'
        '<div class="gone"><p>Inside</p></div></body></html>')
    removed = {page.find(".//noscript"), page.find(".//div")}
    units, inside = _units(page.find(".//body"), removed)
    assert units == {" before ": 1, " tail ": 1, " after ": 1, " inside ": 1}
    assert inside == {" inside ": 1}
    empty = lxml_html.document_fromstring('<html><body><div class="gone"><img src="a.png"></div></body></html>')
    assert _units(empty.find(".//body"), {empty.find(".//div")}) == ({}, {})


def test_a_comment_body_does_not_depend_on_the_order_of_its_byline_texts() -> None:
    # The byline texts come in a set, whose order follows string hashes (different in every process): a
    # box around the whole comment that counts as byline furniture must not take the comment with it.
    from lxml import html as lxml_html

    from cleaner.io.html_blocks import _comment_body

    item = lxml_html.fragment_fromstring(
        '<div class="comment"><div class="comment-meta"><a class="author">Ana</a> 3 May 2021 '
        "Thanks, this fixed my build on the first try.</div></div>")
    whole = "Ana 3 May 2021 Thanks, this fixed my build on the first try."
    bodies = {_comment_body(item, meta) for meta in (  # type: ignore[arg-type]
        ["Ana", "3 May 2021", whole], [whole, "3 May 2021", "Ana"], ["3 May 2021", whole, "Ana"])}
    assert bodies == {"Thanks, this fixed my build on the first try."}


@pytest.mark.parametrize("names", [
    'class="post" id="main"', 'class="comment-REPLY-link"', 'id="Respond"', 'class="user-avatar"',
    'class="GRAVATAR"', 'class="userp\u0130c"', 'class="USERP\u0130C"', 'id="pro\u0130le-x"', 'class="rep ly"',
    'class="repl\u0307y"', ""])
def test_the_name_signals_prefilter_agrees_with_the_expressions(names: str) -> None:
    # The case-folded substring test lets the expressions run only where a word can match; it must never
    # say no where they say yes ("İ" matches "i" case-insensitively but folds to "i" and a dot above).
    from lxml import html as lxml_html

    from cleaner.io.html_blocks import _AVATAR, _REPLY_CLASS, _NameSignals
    from cleaner.io.selectors import PageIndex

    page = lxml_html.document_fromstring(f"<html><body><div {names}>x</div><span class=other>y</span></body></html>")
    index = PageIndex(page)
    values = [index.attribute_values(name) for name in ("class", "id")]
    expected = (any(_REPLY_CLASS.search(v) for v in values), any(_AVATAR.search(v) for v in values))
    found = _NameSignals.of(index)
    assert (found.reply, found.avatar) == expected


def test_at_least_so_many_words_is_told_as_the_count_tells_it() -> None:
    from cleaner.io.html import _has_words, _word_count

    for text in ("", "one", "  two words ", "x, " * 9 + "x", "déjà vu " * 6, "\u4e2d\u6587 \u6587\u5b57"):
        for wanted in range(-1, 14):
            assert _has_words(text, wanted) == (_word_count(text) >= wanted), (text, wanted)
