"""The HTML path's faster readings of a page give what the slower ones gave: the compiled attribute guard
(src/html_scan.rs) against the guard's regular expressions, the page's parse against trafilatura's."""

from __future__ import annotations

import random
import sys

import pytest

from cleaner._native import crowded_attributes as native_crowded_attributes
from cleaner.io import html
from cleaner.io.html import HtmlOptions, _crowded_attributes, _crowded_attributes_by_regex, _load_html
from cleaner.io.readers import decode_html
from tests.conftest import FIXTURES

#: Limits low enough that short pages reach them, so the two readings are compared on their counts and
#: positions, not only on "within the limits".
TIGHT = HtmlOptions(max_element_attributes=6, max_crowded_attributes=12)
LOOSE = HtmlOptions(max_element_attributes=40, max_crowded_attributes=100)


@pytest.fixture
def small_crowd(monkeypatch: pytest.MonkeyPatch) -> None:
    """Elements of more than 2 attributes count as crowded (bodies of more than 4 characters are read)."""
    monkeypatch.setattr(html, "_CROWDED", 2)


def _both(page: str, options: HtmlOptions) -> tuple[str | None, str | None]:
    return _crowded_attributes(page, options), _crowded_attributes_by_regex(page, options)


def test_every_white_space_character_separates_attributes_as_re_reads_it(small_crowd: None) -> None:
    # Python's \s (str.isspace) and a few characters that look like space but are not.
    characters = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()] + ["\u200b", "\ufeff", "\u180e"]
    for character in characters:
        page = "<div" + "".join(f"{character}a{n}" for n in range(8)) + ">text</div>"
        native, by_regex = _both(page, TIGHT)
        assert native == by_regex, repr(character)
        assert (native is not None) == character.isspace(), repr(character)


def test_tag_names_match_case_insensitively_as_re_does(small_crowd: None) -> None:
    # re's IGNORECASE pairs s with U+017F and i with U+0130/U+0131, and [A-Za-z] takes U+212A too.
    attributes = " ".join(f"a{n}" for n in range(8))
    for name in ("script", "SCRIPT", "\u017fcript", "scr\u0131pt", "SCR\u0130PT", "style", "STYLE", "\u212aey",
                 "\u0130mg", "scripts", "script_", "script-x", "script\u00e9", "script\u0660", "x"):
        for closing in ("</script>", "</SCR\u0130PT >", "</style>", "</\u017ftyle\n", "</script", ""):
            page = f"<{name} {attributes}>a<b c d e f g h> {closing}<p {attributes}>"
            assert _both(page, TIGHT)[0] == _both(page, TIGHT)[1], page


def test_comments_quotes_and_unclosed_values_read_alike(small_crowd: None) -> None:
    pages = [
        '<!-- <a b c d e f g h i> --><a b c d e f g h i>',
        '<!-- <a b c d e f g h i> -- ><a b c d e f g h i>',
        '<!---><a b c d e f g h i j>--><a b c>',
        '<a b="x>y" c d e f g h>',
        "<a b='x>y' c d e f g h i>",
        '<a b="unclosed c d e f g h i> <a j k l m n o p q>',
        "<a b='unclosed c d e f g h i> <a j k l m n o p q>",
        '<a b = "x" c= d =e f/g/h"i\'j k l m>',
        '<a b="x"c="y"d="z"e f g h>',
        '<a ====== b c d e f g>',
        '<a b=>c d e f g h i j>',
        '<a\u00a0b\u3000c d e f g h>',
        '<<a b c d e f g h i>',
        '<1 b c d e f g h i><a b c d e f g h i>',
        '<script b c d e f g h i>',
        '<style>a<b c d e f g h i></style ><a b c d e f g h>',
    ]
    for page in pages:
        for options in (TIGHT, LOOSE):
            native, by_regex = _both(page, options)
            assert native == by_regex, page


def test_random_pages_read_alike(small_crowd: None) -> None:
    pieces = ["<", ">", "<a ", "<div ", "<script", "</script>", "<style ", "</style", "<!--", "-->", "-", "=",
              '"', "'", "/", " ", "\n", "\t", "\u00a0", "b", "c1", "data-x", "\u017f", "\u0130", "\u212a", "\u00e9",
              "\u4e2d", "x=1 ", 'y="v" ', "z='w' "]
    generator = random.Random(20251207)
    for _ in range(3_000):
        page = "".join(generator.choice(pieces) for _ in range(generator.randrange(1, 120)))
        for options in (TIGHT, LOOSE):
            native, by_regex = _both(page, options)
            assert native == by_regex, page


def test_a_lone_surrogate_is_read_by_the_regular_expressions() -> None:
    page = "<div " + " ".join(f"a{n}" for n in range(1_001)) + ">\udcff</div>"
    assert _crowded_attributes(page, HtmlOptions()) == _crowded_attributes_by_regex(page, HtmlOptions())
    assert "1001 attributes" in (_crowded_attributes(page, HtmlOptions()) or "")


def test_the_pages_utf8_bytes_read_as_its_text(small_crowd: None) -> None:
    # The guard reads the page's own bytes when it came as UTF-8: every verdict, count and position (in
    # characters, past multi-byte ones) is the text's, and bytes that are no UTF-8 go to the expressions.
    pieces = ["<", ">", "<a ", "<div ", "<script", "</script>", "<style ", "</style", "<!--", "-->", "=", '"', "'",
              " ", "\u00a0", "\u3000", "\u2028", "b", "\u017f", "\u0130", "\u212a", "\u00e9", "\u4e2d", "\U0001f600",
              "x=1 ", 'y="\u00e9v" ']
    generator = random.Random(20261207)
    pages = [*_pages(), *("".join(generator.choice(pieces) for _ in range(generator.randrange(1, 120)))
                          for _ in range(2_000))]
    verdicts = set()
    for page in pages:
        for options in (TIGHT, LOOSE):
            expected = _crowded_attributes_by_regex(page, options)
            assert _crowded_attributes(page, options, page.encode()) == expected, page
            assert _crowded_attributes(page, options) == expected, page
            verdicts.add(expected.split(" ")[1] if expected else None)
    assert verdicts == {None, "element", "page"}  # every kind of answer was compared
    assert native_crowded_attributes(b"<div \xff a b c d e f g>", 6, 12, 2) == (html._UNSURE, 0, 0)


def _pages() -> list[str]:
    pages = [decode_html(path.read_bytes()).text for folder in ("html", "html_blocks", "html_forums")
             for path in sorted((FIXTURES / folder).glob("*.html"))]
    declared = ("<?xml version='1.0' encoding='utf-8'?><html><body><p>declared</p><form><input name=q><select>"
                "<option>x</select><textarea>t</textarea><label>l</label></form><!-- c --></body></html>")
    return [*pages, "<p>a fragment, no document</p>", "plain text", declared]


def test_the_page_is_parsed_as_trafilatura_parses_it() -> None:
    from lxml import etree
    from trafilatura.utils import load_html

    for page in _pages():
        ours, theirs = _load_html(page), load_html(page)
        assert (ours is None) == (theirs is None), page[:80]
        if ours is None:
            continue
        assert etree.tostring(ours) == etree.tostring(theirs), page[:80]
        # Every node gets the same Python class (lxml.html's form classes by tag, comments...).
        assert [type(node) for node in ours.iter()] == [type(node) for node in theirs.iter()], page[:80]


def _odd_pages() -> list[str]:
    """Pages the repairs and the document-or-fragment test treat apart: control characters, U+FFFE/U+FFFF,
    a doctype with a slash, one line only, a self-closing <html/>, a start in non-ASCII white space, a charset
    declaration other than the bytes' (the parser reads UTF-8 whatever the page declares), text beyond
    Latin-1 and beyond the BMP."""
    body = "<body><p>caf\u00e9 \u2019 \u4e2d \U0001f600</p><p>second</p></body>"
    return [
        f"<html>{body}</html>",
        f'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "http://www.w3.org/x.dtd" />\n<html>{body}</html>',
        f"<!DOCTYPE html/><html>{body}</html>",
        f"<!doctype html><html>{body}</html>",
        f"<!doctype html>\n<html>{body}</html>",
        f"<html lang=en />\n{body}",
        f"<html>\x00\x01{body}\x0b\x1f</html>",
        f"<html>{body}\ufffe\uffff</html>",
        f"<html><head><meta charset=\"iso-8859-1\"></head>{body}</html>",
        f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=koi8-r"></head>{body}</html>',
        f"\u00a0<html>{body}</html>",
        "\u2028<p>x</p><p>y</p>",
        f"  <p>a fragment</p>{body}",
        "<div>\u00e9</div>",
        "plain text \u00e9",
    ]


def test_the_repairs_are_trafilaturas_with_or_without_the_bytes() -> None:
    from trafilatura.utils import repair_faulty_html

    for page in [*_odd_pages(), *_pages()]:
        beginning = page[:50].lower()
        expected = repair_faulty_html(page, beginning)
        for raw in (None, page.encode("utf-8")):
            repaired, kept = html._repaired(page, beginning, raw)
            assert repaired == expected, page[:80]
            # The bytes are kept only when they still are the text's.
            assert kept is None or kept == repaired.encode("utf-8"), page[:80]


def test_the_page_read_from_its_bytes_is_parsed_as_trafilatura_parses_its_text() -> None:
    from lxml import etree
    from trafilatura.utils import load_html

    for page in [*_odd_pages(), *_pages()]:
        ours, theirs = _load_html(page, page.encode("utf-8")), load_html(page)
        assert (ours is None) == (theirs is None), page[:80]
        if ours is None:
            continue
        assert etree.tostring(ours) == etree.tostring(theirs), page[:80]
        assert [type(node) for node in ours.iter()] == [type(node) for node in theirs.iter()], page[:80]
