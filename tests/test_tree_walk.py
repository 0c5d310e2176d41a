"""The compiled walk of the page index (src/tree.rs): what it reads equals what XPath reads, and it declines
what it cannot read, so that XPath reads it instead."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html

from cleaner import Cleaner
from cleaner._native import tree_index
from cleaner.io.html import _load_html
from cleaner.io.selectors import PageIndex, _attribute_values, _walked

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "html"
PAGE = """<html><head><title>t</title></head><body><div id="a" class="x  y"><a href="/u?a=1&amp;b=2" role="button">
hi</a><p id="">t<!-- c --> u</p><svg><rect role="img"/></svg><span title="Reply" data-role="&lt;x&gt;">é</span>
</div><div class="x"></div></body></html>"""


def _trees() -> list[etree._Element]:
    trees = [lxml_html.document_fromstring(PAGE)]
    trees += [_load_html(path.read_text(encoding="utf-8", errors="replace"))
              for path in sorted(FIXTURES.glob("*.html"))]
    return [tree for tree in trees if tree is not None]


def _names() -> tuple[str, ...]:
    extra = Cleaner().tree_rules._attribute_names | {"href", "role", "title", "data-role"}
    return ("id", "class", *sorted(extra - {"id", "class"}))  # distinct, as the page index asks


@pytest.mark.parametrize("below", [False, True])
def test_walk_reads_what_xpath_reads(below: bool) -> None:
    names = _names()
    for tree in _trees():
        root = tree.find(".//body") if below else tree
        walked = _walked(root, names)
        assert walked is not None
        joined, tags = walked
        assert joined == [PageIndex._joined(_attribute_values(name)(root)) for name in names]
        assert set(tags) == {e.tag for e in root.iter() if isinstance(e.tag, str)}


def test_index_answers_as_with_xpath() -> None:
    """A page index built on the walk answers every need as the one built by XPath alone."""
    tree = lxml_html.document_fromstring(PAGE)
    walked, plain = PageIndex(tree, ("role", "data-role", "href")), PageIndex(tree)
    plain._tags = None  # the XPath path, as where the walk declines
    needs = [("tag", "svg"), ("tag", "nav"), ("attr", "role"), ("attr", "aria-label"), ("class", "x"),
             ("id", "a"), ("value", "role", "=", "button"), ("value", "data-role", "*=", "<x"),
             ("value", "href", "^=", "/u?a=1&b")]
    assert [need in walked for need in needs] == [need in plain for need in needs] == \
        [True, False, True, False, True, True, True, True, True]


def test_walk_declines_what_it_cannot_read() -> None:
    tree = lxml_html.document_fromstring(PAGE)
    # A tag other than the node's, or an object that is not the node's proxy: the guard says no.
    assert tree_index(tree, "body", ["id"]) is None
    comment = etree.Comment("x")
    assert _walked(comment, ("id",)) is None
    namespaced = etree.fromstring('<r xmlns="urn:x"><a id="1"/></r>')
    assert _walked(namespaced, ("id",)) is None
    # An attribute in a namespace is no plain @name to XPath, and is left out as XPath leaves it out.
    mixed = etree.fromstring('<r xmlns:p="urn:p"><a p:id="1" id="2"/></r>')
    assert _walked(mixed, ("id",)) == (["\x002\x00"], ["a", "r"])


def test_walk_declines_other_objects() -> None:
    assert tree_index("<html/>", "html", ["id"]) is None
    assert tree_index(object(), "html", ["id"]) is None
