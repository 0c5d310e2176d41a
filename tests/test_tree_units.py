"""The compiled walk of a page's text units (src/tree.rs ``tree_units``) reads what the ``etree.iterwalk`` loop
reads, and declines what it cannot read, so that the loop reads it instead."""

from __future__ import annotations

import gzip
from pathlib import Path

from lxml import etree
from lxml import html as lxml_html

from cleaner._native import tree_units
from cleaner.io.html import _load_html
from cleaner.io.html_blocks import _UNIT_BREAKS, _UNSEEN, _body, _native_units, _unit_texts_walked

ROOT = Path(__file__).resolve().parent.parent
PAGE = """<html><head><title>t</title><style>p{}</style></head><body>lead<div id="c" class="x">
<p>One <b>two</b> three<br>four<!-- c --> tail</p><script>var a=1;</script>after script
<ul class="related"><li><a href="/a">Reply</a></li><li><span title="Répondre à ce message"></span>(  Quote ) </li>
<li><img src="/u/avatar.png"> <span>↓ like ↓</span><button>  RÉPONDRE </button> 3 hours ago</li></ul>
<span class="reply-link">x</span><span>\u00a0Reply\u00a0</span><a>Antworten und mehr Text</a>
<![CDATA[ignored]]><p>last</p></div>tail of div<noscript>n</noscript>end</body></html>"""


def _trees() -> list[etree._Element]:
    trees = [lxml_html.document_fromstring(PAGE)]
    trees += [_load_html(path.read_text(encoding="utf-8", errors="replace"))
              for path in sorted((ROOT / "fixtures" / "html").glob("*.html"))]
    pages = sorted((ROOT / "benchmarks" / "structure" / "pages").glob("*.html.gz"))[:40]
    trees += [_load_html(gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")) for path in pages]
    return [tree for tree in trees if tree is not None]


def _removed_sets(tree: etree._Element) -> list[set[etree._Element]]:
    """No block, a few blocks of the page (nested ones too), and the body itself."""
    elements = [e for e in tree.iter() if isinstance(e.tag, str)]
    some = set(elements[3::17][:12])
    nested = {e for e in elements if e.tag in ("div", "ul", "li", "section")}
    body = _body(tree)
    return [set(), some, nested, {body} if body is not None else set()]


def test_native_units_are_the_walked_units() -> None:
    for tree in _trees():
        for root in (tree, _body(tree)):
            if root is None:
                continue
            for removed in _removed_sets(tree):
                native = _native_units(root, frozenset(removed))
                assert native is not None
                assert native == _unit_texts_walked(root, removed)


def test_units_walk_declines_what_it_cannot_read() -> None:
    tree = lxml_html.document_fromstring(PAGE)
    assert tree_units(tree, "body", [], _UNSEEN, _UNIT_BREAKS) is None  # not the node's tag
    assert tree_units(tree, "html", [etree.Comment("x")], _UNSEEN, _UNIT_BREAKS) is None  # not an element block
    assert tree_units("<html/>", "html", [], _UNSEEN, _UNIT_BREAKS) is None
    namespaced = etree.fromstring('<r xmlns="urn:x"><a>1</a></r>')
    assert _native_units(namespaced, frozenset()) is None
    # An entity reference (an XML parser keeps it when asked) is no node of this walk: the loop reads the page.
    kept = etree.fromstring('<!DOCTYPE r [<!ENTITY e "x">]><r><p>a&e;b</p></r>',
                            etree.XMLParser(resolve_entities=False))
    assert tree_units(kept, "r", [], _UNSEEN, _UNIT_BREAKS) is None
    assert _unit_texts_walked(kept, set())[0] == ["a b"]
