"""The compiled walk that tells which elements may be reply controls or avatars and which text nodes may be a
byline's date (src/tree.rs ``tree_signals``) leaves the comment signals as the Python tests find them: the same
elements on every page, edge cases of case, white space, labels and non-ASCII text included."""

from __future__ import annotations

import gzip
from pathlib import Path

from lxml import html as lxml_html

from cleaner.io.html import _load_html
from cleaner.io.html_blocks import (
    _ALL_NAMES,
    _body,
    _line_words,
    _NameSignals,
    _signal_candidates,
    _signalled,
    _signalled_by_python,
    _texts,
    _words,
)
from cleaner.io.page_types import default_page_types
from cleaner.io.selectors import PageIndex

ROOT = Path(__file__).resolve().parent.parent
#: Controls the walk must not pass over: labels, words split over elements, non-ASCII words and names, white
#: space Python strips but XML does not call white space, dates in tails; and near misses it may drop.
PAGE = """<html><body><div class="c"><p>Story text that is long enough to be a paragraph of its own.</p>
<ul><li><a href="#">Reply</a> <span>3 hours ago</span></li><li><span title="Répondre à ce message"></span>
(  Quote ) </li><li><img src="/u/AVATAR.png"> <span>↓ like ↓</span><button>  RÉPONDRE </button></li>
<li><span class="x-Reply-link">x</span><span>\u00a0Reply\u00a0</span><a>Antworten und mehr Text</a></li>
<li><a>Re<b>ply</b></a> <span aria-label="quote: this">q</span><img alt="Zitieren!" src="/i.png"></li>
<li><span>\x1crespond\x1f</span><span title="  ">flag</span><span>回复</span><a>ＲＥＰＬＹ</a></li>
<li><span>Replyx</span><a title="reply-all">x</a><span>likely</span><span id="ＡＶＡＴＡＲ">y</span></li>
<li><b>Ana</b> wrote 2 days ago<i>hace 2 días</i> <em>12.03.2021</em> posted 1 h ago tail</li>
<li><span class="İmg">avatar</span><img class="user-Profile" src="x.png"><img src="/p/ﬀ.png"></li>
</ul></div></body></html>"""


def _bodies() -> list[object]:
    trees = [lxml_html.document_fromstring(PAGE)]
    for folder in ("html", "html_blocks", "html_forums"):
        trees += [_load_html(path.read_text(encoding="utf-8", errors="replace"))
                  for path in sorted((ROOT / "fixtures" / folder).glob("*.html"))]
    pages = sorted((ROOT / "benchmarks" / "structure" / "pages").glob("*.html.gz"))[:60]
    trees += [_load_html(gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")) for path in pages]
    return [body for tree in trees if tree is not None and (body := _body(tree)) is not None]


def test_the_walk_finds_what_every_test_finds() -> None:
    shape = default_page_types().thread_shape
    found = 0
    for body in _bodies():
        page = PageIndex(body.getroottree().getroot())
        for names in (_NameSignals.of(page), _ALL_NAMES, _NameSignals(False, False)):
            assert _signal_candidates(body, shape, names) is not None  # the walk read the page
            signalled = _signalled(body, shape, _texts(body), names)
            assert signalled == _signalled_by_python(body, shape, names, _texts(body))
            found += len(signalled)
    assert found > 0


def test_the_walk_passes_over_what_cannot_signal() -> None:
    body = _body(lxml_html.document_fromstring(
        "<html><body><p><a>a long link text, no control</a><span>no digit here</span><img src='/x.png'></p>"
        "<span>Reply</span></body></html>"))
    candidates = _signal_candidates(body, default_page_types().thread_shape, _ALL_NAMES)
    assert candidates is not None
    count, positions, dated = candidates
    assert (count, positions, dated) == (4, [3], [])  # only the last span is tested in Python


def test_line_words_are_each_lines_words() -> None:
    text = "Héllo, World!\n\n  — ÉTÉ-2021 \x00x\n İstanbul ß\t\u00a0end.\n"
    assert _line_words(text) == [_words(line) for line in text.split("\n")]


#: Selector edge cases for the compiled selection: class words among other white space, a word only as a part of
#: a class, upper case, an attribute with an empty value, nested matches, names in other attributes.
SELECT_PAGE = """<html><body><div class="footer\tsite-footer" id="footer"><nav role="navigation">
<div class="Footer x\rsr-only\n">a</div><span class="sr-only-focusable">b</span><aside class="">c</aside>
<div id="comments" class="comments"><div class="comments"><p data-x="comments">d</p></div></div>
<a href="#content" class=" skip-link  ">skip</a><footer title="footer">e</footer></nav></div></body></html>"""


def test_native_selection_is_what_the_xpath_selects() -> None:
    from lxml import etree

    from cleaner import Cleaner
    from cleaner.io.selectors import PageIndex

    rules = Cleaner().tree_rules
    selectors = [a for a in (*(c.select for c in rules._compiled), *(c.unless for c in rules._compiled),
                             *rules.page_types.posts_selectors()) if a is not None]
    checked = 0
    for body in [_body(lxml_html.document_fromstring(SELECT_PAGE)), *_bodies()]:
        tree = body.getroottree().getroot()
        page = PageIndex(tree, (), rules._natives)
        for alternatives in selectors:
            specs = [spec for spec in alternatives.natives if spec is not None]
            paths = [xpath.path for (_need, xpath), spec in zip(alternatives.compiled, alternatives.natives,
                                                                 strict=True) if spec is not None]
            for spec, path in zip(specs, paths, strict=True):
                assert page.native_selected([spec]) == etree.XPath(path)(tree)
                checked += 1
            if len(specs) > 1:
                assert page.native_selected(specs) == etree.XPath(" | ".join(paths))(tree)
    assert checked > 1000


def test_a_child_selector_is_selected_natively_as_xpath_selects_it() -> None:
    from lxml import etree

    from cleaner._native import tree_select
    from cleaner.io.selectors import compile_selector, native_spec

    assert native_spec("descendant-or-self::body/header") == ("header", 4, "body", "")
    tree = lxml_html.document_fromstring(
        "<html><body><header>a</header><div><header>b</header><footer>c</footer></div><footer>d</footer>"
        "<nav><body><header>e</header></body></nav></body></html>")
    alternatives = compile_selector("body > header, body > footer, nav")
    assert all(alternatives.natives)
    page = PageIndex(tree, (), tuple(spec for spec in alternatives.natives if spec is not None))
    assert page.native_selected(list(alternatives.natives)) == \
        etree.XPath(" | ".join(xpath.path for _need, xpath in alternatives.compiled))(tree)
    # From an element below the body, its parent is outside the walk, as it is outside XPath's step.
    header = tree.find(".//header")
    read = tree_select(header, header.tag, [("header", 4, "body", "")])
    assert read is not None and read[0] == [[]]
    assert etree.XPath("descendant-or-self::body/header")(header) == []


def test_extractable_text_is_the_walked_text() -> None:
    from cleaner.io.html_blocks import _extractable_text, _extractable_text_walked, _manually_cleaned, _texts

    tree = lxml_html.document_fromstring(
        "<html><body><form><div>in <b>form</b> tail</div></form><div>a<time>t</time>b<nav>n<i>i</i></nav>c"
        "<span>s<svg><text>x</text></svg>z</span><p>plain <b>text</b> only</p></div></body></html>")
    compared = walked = 0
    for body in [_body(tree), *_bodies()]:
        for element in list(body.iter())[::5]:  # every fifth element: a whole page's are many
            expected = _extractable_text_walked(element)
            assert _extractable_text(element) == expected
            assert _extractable_text(element, " ".join(_texts(element))) == expected
            compared += 1
            walked += next(element.iter(*_manually_cleaned()), None) is not None
    assert compared > 3_000 and 100 < walked < compared


def test_signal_holders_in_page_order_are_the_walks_order() -> None:
    from cleaner.io.html_blocks import _in_page_order

    shape = default_page_types().thread_shape
    ordered = 0
    for body in _bodies():
        signalled = _signalled(body, shape, _texts(body), _ALL_NAMES)
        assert _in_page_order(body, signalled) == [e for e in body.iter() if e in signalled]
        ordered += len(signalled)
        inner = [e for e in body.iter() if len(e) > 0 and e is not body][:3]
        if inner:  # a set without the parents of its elements is not put in order from itself
            children = {child for element in inner for child in element}
            assert _in_page_order(body, children) is None
    assert ordered > 1000
