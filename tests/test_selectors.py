"""The selector needs that spare the tree step XPath evaluations: a need may only skip an alternative that
matches nothing on the page."""

from __future__ import annotations

import pytest
from lxml import etree
from lxml import html as lxml_html

from cleaner.io.selectors import PageIndex, compile_selector

PAGE = """<html><body>
<div class="site-footer main" id="page-Footer-1" data-x="a b"><p itemprop="text comment">Hi</p></div>
<section itemtype="https://schema.org/Comment" role="navigation" lang="en-GB"><a href="#main">Skip</a></section>
<span class="tab\tsep">x</span>
</body></html>"""

SELECTORS = [
    # met on PAGE
    ("[class*=footer]", 1), ("[id*=Footer]", 1), ("[class~=main]", 1), ("[itemprop~=comment]", 1),
    ("[itemtype$='schema.org/Comment']", 1), ("[role=navigation]", 1), ("a[href='#main']", 1),
    ("[lang|=en]", 1), ("[class^=site]", 1), ("[data-x='a b']", 1), (":has(> [itemprop~=comment])", 1),
    ("[class~=sep]", 1),
    # not met
    ("[class*=header]", 0), ("[id*=footer]", 0), ("[class~=site]", 0), ("[itemprop~=comments]", 0),
    ("[itemtype$='schema.org/UserComments']", 0), ("[role=banner]", 0), ("a[href='#content']", 0),
    ("[lang|=en-US]", 0), ("[class^=main]", 0), ("[data-x=a]", 0), (":has(> [itemprop~=answer])", 0),
    # needs that cannot be told from values: the plain attribute, or nothing
    ("[class*='']", 0), ("[class~='a b']", 0), ("[data-x]", 1), ("[class!=x]", 3),
]


@pytest.mark.parametrize(("css", "count"), SELECTORS)
def test_a_need_skips_only_what_matches_nothing(css: str, count: int) -> None:
    tree = lxml_html.document_fromstring(PAGE)
    alternatives = compile_selector(css)
    page = PageIndex(tree)
    ((need, xpath),) = alternatives.compiled
    matched = xpath(tree)
    assert len(matched) >= count and (count == 0) == (not matched)
    # the need is met exactly where the alternative matches something (a value need is the operator's test)
    if need is not None and need[0] == "value":
        assert (need in page) == bool(matched)
    assert alternatives(tree, page) == matched


def test_value_needs_are_made_for_attribute_operators() -> None:
    assert compile_selector("[class*=comments-list]").compiled[0][0] == ("value", "class", "*=", "comments-list")
    assert compile_selector("[itemprop~=comment]").compiled[0][0] == ("value", "itemprop", "~=", "comment")
    assert compile_selector("[data-spotim-module]").compiled[0][0] == ("attr", "data-spotim-module")
    assert compile_selector("[class~='a b']").compiled[0][0] == ("attr", "class")


def test_a_name_xpath_cannot_spell_is_evaluated() -> None:
    tree = lxml_html.document_fromstring(PAGE)
    page = PageIndex(tree)
    assert ("value", "a[", "=", "x") in page  # unknown: the alternative itself decides
    with pytest.raises(etree.XPathError):
        etree.XPath("descendant-or-self::*/@a[")(tree)


# --- reading text in C: the same strings itertext and text_content give -------------------------------

TEXT_PAGE = """<html><body><div id="d">a<!-- c -->b<?pi x?>d<script>s()</script><p>p <b>q</b></p>t&amp;u<br>
<span class="r"> Reply </span><span class="r"><i>↓</i> Reply</span><a> (Antworten) </a><div></div></div>tail
</body></html>"""


def test_text_nodes_and_joined_length_are_itertexts() -> None:
    from cleaner.io.html_blocks import _joined_length, _texts

    tree = lxml_html.document_fromstring(TEXT_PAGE)
    for element in tree.iter():
        if isinstance(element.tag, str):
            assert _texts(element) == list(element.itertext())
            assert _joined_length(element) == len(" ".join(element.itertext()))


def test_reply_controls_with_and_without_children() -> None:
    from cleaner.io.html_blocks import _is_reply_or_avatar

    tree = lxml_html.document_fromstring(TEXT_PAGE)
    assert [_is_reply_or_avatar(e) for e in tree.iter("span", "a")] == [True, True, True]
    assert not _is_reply_or_avatar(lxml_html.fragment_fromstring("<span>Replying to</span>"))


@pytest.mark.parametrize("tag", ["html", "body", "div", "section", "a", "nav", "dialog", "NAV", "fb:like"])
def test_a_tag_need_is_met_exactly_where_an_element_has_the_tag(tag: str) -> None:
    # the root element counts, as descendant-or-self:: counts it; a name XPath cannot spell stays unknown (met)
    tree = lxml_html.document_fromstring(PAGE)
    expected = tag == "fb:like" or bool(etree.XPath(f"boolean(descendant-or-self::*[name() = '{tag}'])")(tree))
    assert (("tag", tag) in PageIndex(tree)) == expected


def test_word_needs_on_one_attribute_are_each_told_from_its_values() -> None:
    tree = lxml_html.document_fromstring(PAGE)
    page = PageIndex(tree)
    asked = [("value", "class", "~=", word) for word in ("sep", "main", "site", "tab", "site-footer", "footer")]
    assert [need in page for need in asked] == [True, True, False, True, True, False]


# --- the first match of a tag, found by XPath: what lxml's find() finds ----------------------------------

FIRST_MATCH_PAGES = [
    PAGE,
    "<p>a fragment, no body</p>",
    "<html><head><title>One</title><title>Two</title></head><body><div><body>inner</body></div></body></html>",
    "<html><head><title></title></head><body><p>an empty title</p></body></html>",
    "<html><head>" + "<meta name='m'>" * 40 + "</head><body class='late'><p>a body after a long head</p></body></html>",
]


@pytest.mark.parametrize("page", FIRST_MATCH_PAGES)
def test_the_first_body_and_title_are_what_find_gives(page: str) -> None:
    from cleaner.io.html import _first_title
    from cleaner.io.html_blocks import _body

    for tree in (lxml_html.document_fromstring(page), lxml_html.fromstring(page)):
        assert _body(tree) is tree.find(".//body")
        assert _first_title(tree) == tree.findtext(".//title")
