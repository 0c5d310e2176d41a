"""Forum and Q&A pages: the page type told from the tree, posts and answers kept as the main record, and never
an empty main record on a page with text (fixtures written for this project, see fixtures/html_forums)."""

from __future__ import annotations

import pytest

import cleaner
from cleaner.io.html import HtmlOptions, extract
from cleaner.io.page_types import PageTypeError, PageTypeRules, Post, default_page_types, schema_types
from tests.conftest import FIXTURES

FORUMS = FIXTURES / "html_forums"
KEEPING = cleaner.Cleaner(html_options=HtmlOptions(include_comments=True))


def _page(name: str) -> bytes:
    return (FORUMS / f"{name}.html").read_bytes()


def _posts(name: str) -> list[Post]:
    page = extract(_page(name), options=KEEPING.html_options, blocks=KEEPING.tree_rules)
    assert page.tree is not None
    return page.tree.posts


@pytest.mark.parametrize(("folder", "name", "page_type"), [
    ("html_forums", "phpbb_topic", "forum"),  # by its post containers
    ("html_forums", "qa_page", "qa"),  # by its schema.org type
    ("html_forums", "forum_posts_in_comment_markup", "forum"),  # replies with no article before them
    ("html_forums", "article_whose_text_is_all_comments", None),
    ("html_blocks", "wordpress_thread_50_comments", None),  # an article with comments stays one
    ("html_blocks", "unnamed_comment_thread", None),
])
def test_page_type_is_told_from_the_tree_and_given_in_the_main_records_metadata(folder, name, page_type) -> None:
    html = (FIXTURES / folder / f"{name}.html").read_bytes()
    assert extract(html, blocks=KEEPING.tree_rules).page_type == page_type
    main = cleaner.clean(html=html)[0]
    assert main.kind == "main" and main.metadata.get("page_type") == page_type


def test_forum_topic_is_one_main_record_holding_every_post() -> None:
    records = KEEPING.clean(html=_page("phpbb_topic"))
    assert [r.kind for r in records] == ["main"]  # no post became a comment record
    text = records[0].text
    assert text.startswith("My trailer sat in salt water every weekend last summer")
    assert text.endswith("Thanks both, and I will start rinsing after every launch.")
    for reply in ("Surface rust is normal on a trailer", "Rinse the whole trailer with fresh water"):
        assert reply in text


def test_forum_posts_are_read_with_author_and_date_as_printed() -> None:
    first_post = ("My trailer sat in salt water every weekend last summer and the axle now shows orange rust along "
                  "the whole underside.\nIs a wire brush and a coat of zinc paint enough, or should I replace the "
                  "axle before the season starts?")
    posts = _posts("phpbb_topic")
    assert [(p.author, p.published) for p in posts] == [
        ("marta_k", "03 Mar 2024 09:12"), ("old_tom", "03 Mar 2024 10:40"), ("finn.sails", "04 Mar 2024 18:05"),
        ("marta_k", "06 Mar 2024 20:31")]
    assert posts[0].text == first_post


def test_qa_page_keeps_question_and_answers_in_the_main_record_and_splits_no_comments() -> None:
    records = KEEPING.clean(html=_page("qa_page"))
    assert [r.kind for r in records] == ["main", "related", "related", "related"]
    assert records[0].text == (
        "I am leaving for three weeks and nobody can feed my rye starter while I am away.\n"
        "Will it survive in the fridge that long, or should I dry some of it before I go?\n"
        "Three weeks in the fridge is fine for most starters. Feed it a stiff meal the day you leave and keep the "
        "lid loose.\n"
        "When you are back, discard all but a spoonful and feed it twice a day until it doubles again.\n"
        "As a backup, smear a thin layer on baking paper and let it dry at room temperature.\n"
        "Dried flakes keep for months in a jar and wake up after a day or two of feeding.")
    assert [r.title for r in records[1:]] == [
        "Why does my starter smell of nail polish remover?", "Can I use a starter straight from the fridge?",
        "How much rye flour does a starter need each day?"]
    assert [(p.author, p.published) for p in _posts("qa_page")] == [
        ("ines", "May 2, 2023 at 8:14"), ("bertrand", "May 2, 2023 at 10:30"), ("mirela", "May 3, 2023 at 16:05")]


def test_forum_printed_in_comment_markup_keeps_its_posts_as_the_main_record() -> None:
    # Before page types, the comment rule turned all four posts into comment records and the main record
    # was empty. trafilatura leaves a comment section out of its text unless comments are kept: the posts
    # themselves are then the main text, each after a line with its author and date.
    posts = ["I just swapped to summer tyres and the winter set is taking over the hallway. Do they need to hang, "
             "lie flat, or stand up?",
             "Tyres on their rims can hang or lie stacked. Without rims, store them standing and turn them every "
             "month.",
             "Keep them away from the boiler and out of the sun. Heat and light dry the rubber out faster than the "
             "miles do.",
             "Thanks all. They are on their rims, so they now hang on two hooks in the cool cellar."]
    headers = ["lena · 2 Oct 2024", "dario · 2 Oct 2024", "june · 3 Oct 2024", "lena · 3 Oct 2024"]
    records = cleaner.clean(html=_page("forum_posts_in_comment_markup"))
    assert [(r.kind, r.text.split("\n")) for r in records] == [
        ("main", [line for pair in zip(headers, posts, strict=True) for line in pair])]
    kept = KEEPING.clean(html=_page("forum_posts_in_comment_markup"))
    assert [(r.kind, r.text.split("\n")) for r in kept] == [("main", posts)]  # trafilatura's text holds them
    assert [(p.author, p.published) for p in _posts("forum_posts_in_comment_markup")] == [
        ("lena", "2 Oct 2024"), ("dario", "2 Oct 2024"), ("june", "3 Oct 2024"), ("lena", "3 Oct 2024")]


def test_page_whose_only_text_is_a_removed_block_still_has_a_main_record() -> None:
    records = cleaner.clean(html=_page("article_whose_text_is_all_comments"))
    assert [r.kind for r in records] == ["main"]
    assert records[0].text == (
        "Rui November 4, 2024 The way the beam cuts through the fog here is wonderful, what time was it taken?\n"
        "Hanna November 4, 2024 I walked past that lighthouse every morning as a child and never saw it like this.")


def test_page_without_any_text_keeps_no_main_record() -> None:
    assert cleaner.clean(html="<html><body><div><img src='a.png'></div></body></html>") == []


def test_page_of_a_few_junk_words_keeps_no_main_record_but_a_page_of_text_keeps_one() -> None:
    assert cleaner.clean(html="<html><body><p>Advertisement</p><p>Comments</p></body></html>") == []
    lines = ["Advertisement"] * 12
    records = cleaner.clean(html="<html><body>" + "".join(f"<p>{line}</p>" for line in lines) + "</body></html>")
    assert [(r.kind, r.text.split("\n")) for r in records] == [("main", lines)]


def test_schema_types_are_read_from_itemtype_and_json_ld() -> None:
    from lxml import html as lxml_html

    tree = lxml_html.document_fromstring(
        '<html itemscope itemtype="https://schema.org/QAPage"><head><script type="application/ld+json">'
        '{"@context": "https://schema.org", "@type": ["WebPage", "BreadcrumbList"], "x": {"@type": "Person"}}'
        '</script><script type="application/ld+json">{"@type": "Article", </script></head><body></body></html>')
    # The second script is broken JSON: its type is still read, the value being whole.
    assert schema_types(tree) == {"QAPage", "WebPage", "BreadcrumbList", "Person", "Article"}


def test_one_read_of_the_declarations_serves_the_page_type_and_the_comment_detector() -> None:
    from lxml import html as lxml_html

    from cleaner.io.html_blocks import _is_discussion
    from cleaner.io.page_types import Declared

    def page(root: str, script_type: str = "application/ld+json") -> object:
        return lxml_html.document_fromstring(
            f'<html{root}><head><script type="{script_type}">{{"@type": "QAPage"}}</script>'
            '<script>var QAPage;</script></head><body><div itemtype="https://schema.org/Person"></div></body></html>')

    declared = Declared.of(page(""))
    assert declared.json_ld == (("application/ld+json", '{"@type": "QAPage"}'),)  # a plain script is no JSON-LD
    assert schema_types(page(""), declared) == schema_types(page("")) == {"QAPage", "Person"}
    assert _is_discussion(declared)
    # The root's item type is a schema type; the comment detector looks only below the root.
    rooted = page(' itemtype="https://schema.org/DiscussionForumPosting"', script_type="text/plain")
    assert schema_types(rooted) == {"DiscussionForumPosting", "Person"}
    assert not _is_discussion(Declared.of(rooted))
    # A padded script type counts for the page's type, not for the comment detector (as both read it before).
    padded = Declared.of(page("", script_type=" application/ld+json"))
    assert schema_types(page(""), padded) == {"QAPage", "Person"} and not _is_discussion(padded)


def test_page_type_file_errors_name_the_file_and_entry(tmp_path) -> None:
    bad_type = tmp_path / "types.toml"
    bad_type.write_text('[[page_type]]\ntype = "blog"\n', encoding="utf-8")
    with pytest.raises(PageTypeError, match=r"types\.toml: page_type #1: type must be one of article"):
        PageTypeRules.load(bad_type)
    bad_selector = tmp_path / "selector.toml"
    bad_selector.write_text('[[page_type]]\ntype = "forum"\nposts = "div["\n', encoding="utf-8")
    with pytest.raises(PageTypeError, match=r"selector\.toml: page_type #1: posts is no CSS selector"):
        PageTypeRules.load(bad_selector)
    broken = tmp_path / "broken.toml"
    broken.write_text("[[page_type]\n", encoding="utf-8")
    with pytest.raises(PageTypeError, match=r"broken\.toml"):
        PageTypeRules.load(broken)


def test_built_in_page_types_load() -> None:
    types = default_page_types()
    assert [r.type for r in types.rules] == ["qa", "forum", "article", "product", "listing"]
    assert types.near_empty_words > 0 and 0 < types.min_post_coverage < 1


def test_thread_of_an_unnamed_engine_is_a_forum_by_its_shape_with_every_reply_in_the_main_record() -> None:
    page = extract(_page("unnamed_engine_thread"), options=KEEPING.html_options, blocks=KEEPING.tree_rules)
    assert page.page_type == "forum"
    assert page.tree is not None and "told by their shape" in page.tree.page_type_reason
    assert [(p.author, p.published) for p in page.tree.posts] == [
        ("pieter", "4 hours ago"), ("amaka", "3 hours ago"), ("lena_w", "2 hours ago"), ("joao.b", "1 hour ago")]
    assert page.tree.posts[0].text == ("That smell is acetone from a starving starter. Feed it twice a day at a "
                                       "higher ratio and it goes away within two days.")
    records = KEEPING.clean(html=_page("unnamed_engine_thread"))
    assert [r.kind for r in records] == ["main"]  # no reply became a comment record
    text = records[0].text
    assert "this morning it smelled sharply of nail polish remover" in text  # the first post
    for reply in ("Feed it twice a day", "switched to whole rye flour", "already smells of yoghurt",
                  "Keep a spoonful in the fridge"):
        assert reply in text
    assert "Reply" not in text.split("\n") and "Share" not in text.split("\n")  # the controls are no content


def test_explain_says_why_a_page_is_a_forum() -> None:
    cleaned = KEEPING.process(html=_page("unnamed_engine_thread"))
    said = [e.message for e in cleaned.evidence if e.detector == "PAGE-TYPE"]
    assert len(said) == 1 and said[0].startswith("forum: 4 posts told by their shape")


def test_posted_by_lines_make_a_comment_thread_after_an_article() -> None:
    records = KEEPING.clean(html=_page("posted_by_comments"))
    assert [r.kind for r in records] == ["main", "comments", "comments", "comments"]
    assert "Volunteers dried and sorted more than four thousand books" in records[0].text
    assert "Posted by" not in records[0].text and "hair dryer" not in records[0].text
    assert [(r.source, r.published) for r in records[1:]] == [
        ("Margit Olsen", "14 March 2025"), ("D. Adeyemi", "14 March 2025"), ("Carla R.", "15 March 2025")]
    assert records[3].text == ("Thanks to every volunteer who spent their weekends with a hair dryer and a stack of "
                               "wet pages.")
    assert records[0].metadata.get("page_type") is None


def test_dated_widget_beside_an_article_makes_no_forum() -> None:
    records = KEEPING.clean(html=_page("dated_widget_beside_article"))
    assert records[0].kind == "main" and records[0].metadata.get("page_type") is None
    assert "press the epoxy in with a putty knife" in records[0].text


@pytest.mark.parametrize(("line", "author", "date"), [
    ('<span class="c-author">Alcalino</span> <span>Hace 28 minutos</span>', "Alcalino", "Hace 28 minutos"),
    ('<a href="/u/kasia">kasia</a> <span>il y a 3 jours</span>', "kasia", "il y a 3 jours"),
    ('<a href="/members/bo.12/">bo</a> <span>vor 2 Stunden</span>', "bo", "vor 2 Stunden"),
    ('<a href="/user/li">li</a> <span>3 天前</span>', "li", "3 天前"),
    ("<p>Geschrieben von Uwe am 3. Mai 2024</p>", "Uwe", "3. Mai 2024"),
])
def test_bylines_are_read_in_several_languages(line: str, author: str, date: str) -> None:
    from lxml import html as lxml_html

    from cleaner.io.html_blocks import _byline

    item = lxml_html.fragment_fromstring(f"<div>{line}<p>Some words of the post itself, long enough.</p></div>")
    found = _byline(item, default_page_types().thread_shape)
    assert found is not None and found[:2] == (author, date)
    assert _byline(item) is None  # without the thread shape's patterns, no control and no avatar: no comment


def test_thread_shape_patterns_that_do_not_compile_name_the_file(tmp_path) -> None:
    bad = tmp_path / "page_types.toml"
    bad.write_text('[thread_shape]\ndates = ["(unclosed"]\n', encoding="utf-8")
    with pytest.raises(PageTypeError, match=r"page_types.toml: thread_shape: a pattern does not compile"):
        PageTypeRules.load(bad)
    bad.write_text('[thread_shape]\nposted_by = "posted by (.+) on"\n', encoding="utf-8")
    with pytest.raises(PageTypeError, match="posted_by has no group named author"):
        PageTypeRules.load(bad)


def test_a_comments_byline_paragraph_is_not_part_of_its_text() -> None:
    from lxml import html as lxml_html

    from cleaner.io.html_blocks import _comment_item

    item = lxml_html.fragment_fromstring(
        '<div><p class="info"><span class="c-author">Ana</span> <span class="date">hace 3 horas</span></p>'
        "<p>I disagree with the second point, the ferry never ran on Sundays.</p></div>")
    record = _comment_item(item, default_page_types().thread_shape)
    assert record is not None and (record.source, record.published) == ("Ana", "hace 3 horas")
    assert record.text == "I disagree with the second point, the ferry never ran on Sundays."
