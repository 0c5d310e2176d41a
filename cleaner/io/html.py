"""HTML to text through trafilatura, configured once per :class:`HtmlOptions` and reused."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, cached_property
from itertools import islice
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections import Counter

    from cleaner.io.html_blocks import TreeFindings, TreeRules

from cleaner._native import crowded_attributes
from cleaner.core.errors import PageTooLarge
from cleaner.core.reltime import parse_time


@dataclass(frozen=True, slots=True)
class Page:
    """What extraction found on a page: the article text (paragraphs on their own lines) and metadata."""

    text: str
    title: str | None = None
    author: str | None = None
    date: str | None = None
    sitename: str | None = None
    url: str | None = None
    comments: str | None = None
    #: The publication time as the page's date tag wrote it ("2025-08-14T09:30:00+02:00"); ``date`` keeps
    #: only its day.
    stated_time: str | None = None
    #: What the tree step removed from the page and the records it made, before extraction.
    tree: TreeFindings | None = field(default=None, compare=False)
    #: The page's type as the tree step told it ("article", "forum", "qa", "product", "listing"), or None
    #: when it could not tell (or did not run).
    page_type: str | None = None

    def metadata(self) -> dict[str, str]:
        found = {"author": self.author, "date": self.date, "sitename": self.sitename, "page_type": self.page_type}
        return {k: v for k, v in found.items() if v}

    def published_at(self) -> datetime | None:
        """When the page says it was published, in UTC, or None when it does not say.

        The stated time when the tag gives one for the page's date (a time without an offset is taken as
        UTC); a page that states only a day gets midnight UTC of that day.
        """
        if not self.date:
            return None
        if self.stated_time and self.stated_time.startswith(self.date):
            stated = parse_time(self.stated_time)
            if stated is not None:
                return stated
        return parse_time(self.date)


@dataclass(frozen=True)
class HtmlOptions:
    """trafilatura settings, chosen on purpose: comments are left out unless asked for."""

    include_comments: bool = False
    include_tables: bool = True
    favor_precision: bool = False
    favor_recall: bool = False
    fast: bool = False
    #: Also run trafilatura's own metadata pass (JSON-LD, bylines, htmldate): richer author and date,
    #: about twice the time per page. Off, metadata comes from the page's meta tags.
    full_metadata: bool = False
    #: Pages larger than this, or whose tree holds more elements, are refused with ``PageTooLarge``.
    #: trafilatura's time grows about quadratically with the element count (20,000 small paragraphs take
    #: 1.2 s, 100,000 take 33 s); the largest of the 636 real evaluation pages holds about 9,000 elements.
    max_bytes: int = 16 * 1024 * 1024
    max_elements: int = 30_000
    #: Attributes, counted in the page's tags before it is parsed: the HTML parser's time grows with the
    #: square of one element's attribute count (50,000 on one element take 8 s to parse, a million hours).
    #: A page with an element of more than ``max_element_attributes``, or more than
    #: ``max_crowded_attributes`` on elements of more than 32 each, is refused; real pages stay far below
    #: (a few dozen on their most crowded element).
    max_element_attributes: int = 1_000
    max_crowded_attributes: int = 50_000
    #: Also look for teaser lists no HTML rule names, from the page's structure alone (the detector).
    #: Off by default: on the evaluation sets it cost word F1 (0.8332 to 0.8320 on WCXB) and removed
    #: no leaked snippet; see the README.
    detect_blocks: bool = False
    #: Also look for comment threads no HTML rule names (the comment detector): removed from the article,
    #: one ``comments`` record per comment when comments are kept.
    detect_comments: bool = True

    def detectors(self) -> tuple[str, ...]:
        """The ids of the detectors these options turn on."""
        from cleaner.io.html_blocks import COMMENT_DETECTOR, TEASER_DETECTOR

        return tuple(name for name, on in ((TEASER_DETECTOR, self.detect_blocks),
                                           (COMMENT_DETECTOR, self.detect_comments)) if on)

    @cached_property
    def extractor(self) -> Any:
        from trafilatura.settings import Extractor

        return Extractor(output_format="python", comments=self.include_comments, tables=self.include_tables,
                         precision=self.favor_precision, recall=self.favor_recall, fast=self.fast,
                         with_metadata=self.full_metadata)


DEFAULT_HTML_OPTIONS = HtmlOptions()
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TITLE_SUFFIX = re.compile(r"\s+[|\u2013\u2014\-:]\s+[^|\u2013\u2014]{1,60}$")
_META_DATE = ("article:published_time", "og:published_time", "og:article:published_time", "datepublished",
              "date", "pubdate", "publishdate", "publish-date", "dc.date", "dc.date.issued", "sailthru.date",
              "parsely-pub-date")
_META_AUTHOR = ("author", "article:author", "byl", "dc.creator", "parsely-author", "sailthru.author")


def extract(html: str | bytes, *, url: str | None = None, options: HtmlOptions = DEFAULT_HTML_OPTIONS,
            blocks: TreeRules | None = None) -> Page:
    """The article of an HTML page; an empty ``Page`` when trafilatura finds none.

    With ``blocks``, the tree step runs on the parsed tree first: related blocks, comment sections and
    furniture it finds are returned in ``Page.tree``, and their lines are left out of ``Page.text``.

    The page is parsed once. By default title, author, date and site name come from its meta tags
    (cheap), and the same tree goes to trafilatura without its metadata pass, whose category, tag,
    license and author searches cost more than the extraction of the text itself;
    ``HtmlOptions(full_metadata=True)`` runs that pass and prefers what it finds.
    """
    from trafilatura import bare_extraction

    if not html or html.isspace():  # ``not html.strip()`` without a copy of the page
        return Page("", url=url)
    size = len(html if isinstance(html, bytes) or html.isascii() else html.encode("utf-8", "surrogatepass"))
    if size > options.max_bytes:
        raise PageTooLarge(f"HTML page of {size} bytes, past the {options.max_bytes}-byte limit (before parsing)")
    #: The page's bytes while they are its text in UTF-8: the parser reads them as they are (libxml2 takes a
    #: text as UTF-16 or UCS-4 and converts it to UTF-8 first).
    raw: bytes | None = None
    if isinstance(html, bytes):
        from trafilatura.utils import handle_compressed_file

        from cleaner.io.readers import decode_html

        data = handle_compressed_file(html, options.max_bytes)
        decoded = decode_html(data)
        html, raw = decoded.text, data if decoded.source == "utf-8" else None
        # The text is decoded now: an encoding in an XML declaration would make the parser decode it again.
        if _XML_ENCODING.match(html, 0, 512):
            html, raw = _XML_ENCODING.sub(r"\1", html[:512], count=1) + html[512:], None
    crowded = _crowded_attributes(html, options, raw)
    if crowded:
        raise PageTooLarge(f"{crowded} (before parsing: the parser's time grows with the square of an "
                           "element's attributes)")
    tree = _load_html(html, raw)
    if tree is None:
        return Page("", url=url)
    elements = int(tree.xpath("count(//*)"))  # counted in C: no Python object per element
    if elements > options.max_elements:
        raise PageTooLarge(f"HTML page of {elements} elements, past the {options.max_elements}-element limit "
                           "(extraction time grows faster than the page)")
    meta = _metadata(tree)
    findings = blocks.apply(tree, url or meta.get("url"), keep_comments=options.include_comments) \
        if blocks is not None else None
    found: Any = bare_extraction(tree, url=url, options=_options_for(options, url))  # a Document, not as_dict
    stated = meta.get("stated_time")
    kind = str(findings.page_type) if findings is not None and findings.page_type != "unknown" else None
    extracted = (found.text or "") if found is not None else ""
    text = findings.strip(extracted) if findings is not None else extracted
    text = _never_empty(text, extracted, findings, tree)
    if found is None:
        return Page(text, meta.get("title"), meta.get("author"), meta.get("date"), meta.get("sitename"),
                    meta.get("url") or url, stated_time=stated, tree=findings, page_type=kind)
    if options.full_metadata:
        return Page(text, found.title or meta.get("title"), found.author or meta.get("author"),
                    found.date or meta.get("date"), found.sitename or meta.get("sitename"),
                    url or found.url or meta.get("url"), found.comments or None, stated, findings, kind)
    return Page(text, meta.get("title") or found.title or None, meta.get("author"), meta.get("date"),
                meta.get("sitename"), url or meta.get("url"), found.comments or None, stated, findings, kind)


def _load_html(html: str, raw: bytes | None = None) -> Any:
    """The page's tree as ``trafilatura.utils.load_html`` parses a text (its checks, repairs and fallback to
    bytes, its parser's settings), or None where it gives none, with differences that change nothing but
    time: each element's Python class (lxml.html's, by tag) is chosen in C (:func:`_html_parser`), and
    ``raw``, the text's own UTF-8 bytes when the caller has them, is what the parser reads while the repairs
    leave the text as it is (the parser then reads the same characters without converting them; where
    the text fails to parse, trafilatura too parses those bytes). A test holds the two to the same trees."""
    from lxml.html import fromstring
    from trafilatura.utils import is_dubious_html

    parser = _html_parser()
    beginning = html[:50].lower()
    dubious = is_dubious_html(beginning)
    html, raw = _repaired(html, beginning, raw)
    tree, tried_bytes = None, False
    if raw is not None and _full_html_bytes(raw) == _full_html_text(html):
        # lxml.html tells a document from a fragment by its start, the same way in both forms here.
        tree, tried_bytes = _from_bytes(raw, parser), True
    else:
        try:
            tree = fromstring(html, parser=parser)
        except ValueError:  # a text with an encoding declaration: parsed as bytes
            tree, tried_bytes = _from_bytes(html, parser), True
        except Exception:  # as trafilatura: a page lxml cannot parse has no tree
            tree = None
    if (tree is None or len(tree) < 1) and not tried_bytes:
        tree = _from_bytes(html, parser)
    if tree is not None and dubious and len(tree) < 2:
        return None  # not HTML at all (trafilatura's rejection test)
    return tree


def _full_html_text(html: str) -> bool:
    from lxml.html import _looks_like_full_html_unicode

    return _looks_like_full_html_unicode(html) is not None


def _full_html_bytes(raw: bytes) -> bool:
    from lxml.html import _looks_like_full_html_bytes

    return _looks_like_full_html_bytes(raw) is not None


#: The bytes of the characters ``trafilatura.utils.INVALID_XML_CHARS`` removes, in UTF-8: the control
#: characters but tab, newline and carriage return (one byte each, never part of a longer character).
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_NONCHARACTERS = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")  # U+FFFE and U+FFFF


def _repaired(html: str, beginning: str, raw: bytes | None) -> tuple[str, bytes | None]:
    """``trafilatura.utils.repair_faulty_html(html, beginning)``, and ``raw`` when the text is unchanged
    (else None): without a copy of the page where nothing is repaired, and with its search for invalid
    characters made on ``raw`` (one pass in C, a sixth of the time) when the caller has it. A test holds
    the text to trafilatura's."""
    from trafilatura.utils import DOCTYPE_TAG, FAULTY_HTML, INVALID_XML_CHARS

    if raw is None or len(raw.translate(None, _CONTROL_BYTES)) != len(raw) or \
            any(character in raw for character in _NONCHARACTERS):
        html, raw = INVALID_XML_CHARS.sub("", html), None
    if "doctype" in beginning:
        end = html.find("\n")
        first = html if end < 0 else html[:end]
        fixed = DOCTYPE_TAG.sub("", first, count=1)
        if end < 0 or fixed != first:  # trafilatura's line, rebuilt: a newline is added after a last line
            html, raw = fixed + "\n" + (html[end + 1:] if end >= 0 else ""), None
    for line in html[:4096].splitlines()[:4]:
        if "<html" in line and line.endswith("/>"):
            html, raw = FAULTY_HTML.sub(r"\1>", html, count=1), None
            break
    return html, raw


def _from_bytes(html: str | bytes, parser: Any) -> Any:
    from lxml.html import fromstring

    try:
        return fromstring(html if isinstance(html, bytes) else html.encode("utf8", "surrogatepass"), parser=parser)
    except Exception:  # as trafilatura: no tree
        return None


@cache
def _html_parser() -> Any:
    """trafilatura's HTML parser (the settings of ``trafilatura.utils.HTML_PARSER``) whose elements get
    lxml.html's classes from a lookup in C: lxml.html's own lookup is a Python method called for every
    element object made, by the tree step and by trafilatura, which cost about 7% of trafilatura's time.
    The classes are the same: HtmlElement, its form classes by tag, HtmlComment and the others."""
    from lxml import etree
    from lxml import html as lxml_html

    parser = lxml_html.HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8",
                                  remove_comments=True, remove_pis=True)
    lookup = etree.ElementNamespaceClassLookup(etree.ElementDefaultClassLookup(
        element=lxml_html.HtmlElement, comment=lxml_html.HtmlComment, pi=lxml_html.HtmlProcessingInstruction,
        entity=lxml_html.HtmlEntity))
    lookup.get_namespace(None).update(lxml_html.HtmlElementClassLookup._default_element_classes)
    parser.set_element_class_lookup(lookup)
    return parser


def _never_empty(text: str, extracted: str, findings: TreeFindings | None, tree: Any) -> str:
    """The main text, never (near) empty on a page with text.

    On a forum or Q&A page whose extracted text holds too little of its posts (trafilatura kept one post,
    or the page's chrome), the posts themselves, with author and date where printed. On any page whose
    text came out near empty: what trafilatura extracted before the tree step's blocks were stripped, and
    failing that trafilatura's baseline (the page's paragraphs).
    """
    from cleaner.io.page_types import default_page_types

    settings = default_page_types()
    if findings is not None and findings.posts and findings.posts_follow_text:
        # A thread told by its shape: its first post (the question, the story) is in the extracted text,
        # the replies trafilatura left out are added after it.
        text = _with_posts(text, findings)
    elif findings is not None and findings.posts:
        posts = findings.posts_text()
        if _coverage(posts, text) < settings.min_post_coverage:
            return posts
    if _has_words(text, settings.near_empty_words):
        return text
    if _has_words(extracted, settings.near_empty_words):
        if findings is not None:
            # The removed blocks' text is the main text now: their comments are not given twice.
            findings.records = [r for r in findings.records if r.kind != "comments"]
        return extracted
    from trafilatura import baseline

    _, fallback, _ = baseline(tree)
    return fallback if _word_count(fallback) > _word_count(text) else text


_WORDS = re.compile(r"\w+")
#: A post is in the extracted text already when the text holds this share of its words.
_POST_HELD = 0.8


def _with_posts(text: str, findings: TreeFindings) -> str:
    """The extracted text followed by each post it does not hold yet (author and date line, then its text);
    when the extracted text is nothing but posts, what stands before the thread (its first post) first."""
    from collections import Counter

    lines = [text] if text else []
    posts = "\n".join(post.text for post in findings.posts)
    held = Counter(_WORDS.findall(text.casefold()))  # counted once: a thread has hundreds of posts
    if findings.thread_head and _coverage(text, posts) >= _POST_HELD and \
            _coverage(findings.thread_head, text, held) < 0.5:
        lines.insert(0, findings.thread_head)
    for post in findings.posts:
        if _coverage(post.text, text, held) >= _POST_HELD:
            continue
        header = " · ".join(part for part in (post.author, post.published) if part)
        lines.extend(([header] if header else []) + [post.text])
    return "\n".join(lines)


def _word_count(text: str) -> int:
    return len(_WORDS.findall(text))


def _has_words(text: str, wanted: int) -> bool:
    """Whether the text holds at least ``wanted`` words: ``_word_count(text) >= wanted``, without reading a
    long text's words past the ones wanted."""
    return wanted <= 0 or next(islice(_WORDS.finditer(text), wanted - 1, None), None) is not None


def _coverage(reference: str, text: str, counted: Counter[str] | None = None) -> float:
    """The share of ``reference``'s words (counted with repeats) that ``text`` holds (``counted``: the
    text's words, when the caller counted them already)."""
    from collections import Counter

    wanted = Counter(_WORDS.findall(reference.casefold()))
    if not wanted:
        return 1.0
    held = counted if counted is not None else Counter(_WORDS.findall(text.casefold()))
    return sum(min(n, held[w]) for w, n in wanted.items()) / sum(wanted.values())


_XML_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?)\s+encoding\s*=\s*["'][^"']*["']""")
#: A tag's attributes (quoted values may hold ``>``); comments and the content of scripts and styles, where
#: ``a<b`` is no tag, are matched whole so as to be passed over. Written as unrolled loops with possessive
#: quantifiers: one pass over the page, about 11 ms a megabyte.
_ATTRIBUTES = r"""((?:[^\s>"'=/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]*))?|\s+|["'=/])*)"""


def _raw_text(name: str) -> str:
    return rf"""<{name}\b{_ATTRIBUTES}>?[^<]*+(?:<(?!/{name}[\s>])[^<]*+)*+"""


_TAG = re.compile(r"""<!--[^-]*+(?:-(?!->)[^-]*+)*+|""" + _raw_text("script") + "|" + _raw_text("style")
                  + r"""|<[A-Za-z][^\s/>]*""" + _ATTRIBUTES, re.IGNORECASE)
#: One attribute: a name, and a value quoted or not (a quote is special only where a value begins).
_ATTRIBUTE = re.compile(r"""[^\s>"'=/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]*))?""")
#: Elements with more attributes than this count toward ``max_crowded_attributes``; fewer cost little
#: however many elements there are.
_CROWDED = 32


def _crowded_attributes(html: str, options: HtmlOptions, raw: bytes | None = None) -> str | None:
    """Why the page holds too many attributes for the parser to finish in good time, or None.

    Counted on the text of the tags (quoted values, which may hold ``>``, skipped), before any parsing; only
    tags long enough to hold more than ``_CROWDED`` attributes are looked into. The compiled scan reads the
    page as :func:`_crowded_attributes_by_regex` does (a test holds them to the same answers) in a tenth of
    its time; where it cannot tell a character as Python's ``re`` would, or the text holds a lone surrogate
    (no UTF-8), the regular expressions decide. ``raw``, the text's own UTF-8 bytes when the caller has them,
    is what the scan reads: the text is then not encoded again (about a third of the scan's time).
    """
    try:
        verdict, count, position = crowded_attributes(html if raw is None else raw,
                                                      options.max_element_attributes,
                                                      options.max_crowded_attributes, _CROWDED)
    except UnicodeError:
        return _crowded_attributes_by_regex(html, options)
    if verdict == _ELEMENT:
        return (f"HTML element with {count} attributes at character {position}, past the "
                f"{options.max_element_attributes}-attribute limit")
    if verdict == _PAGE:
        return (f"HTML page with more than {options.max_crowded_attributes} attributes on elements of "
                f"more than {_CROWDED} each")
    if verdict == _UNSURE:
        return _crowded_attributes_by_regex(html, options)
    return None


#: The compiled scan's verdicts (src/html_scan.rs): within the limits, one element past them, the page
#: past them, or a character it leaves to the regular expressions.
_FINE, _ELEMENT, _PAGE, _UNSURE = range(4)


def _crowded_attributes_by_regex(html: str, options: HtmlOptions) -> str | None:
    """:func:`_crowded_attributes` by regular expressions: one pass over the page, about 11 ms a megabyte."""
    crowded = 0
    for tag in _TAG.finditer(html):
        body = tag.group(tag.lastindex) if tag.lastindex else ""
        if len(body) <= 2 * _CROWDED:  # an attribute takes at least two characters (a space and a letter)
            continue
        count = len(_ATTRIBUTE.findall(body))
        if count > options.max_element_attributes:
            return (f"HTML element with {count} attributes at character {tag.start()}, past the "
                    f"{options.max_element_attributes}-attribute limit")
        if count > _CROWDED:
            crowded += count
            if crowded > options.max_crowded_attributes:
                return (f"HTML page with more than {options.max_crowded_attributes} attributes on elements of "
                        f"more than {_CROWDED} each")
    return None


def _metadata(tree: Any) -> dict[str, str]:
    values: dict[str, str] = {}
    for element in tree.iterfind(".//meta"):
        key = (element.get("property") or element.get("name") or element.get("itemprop") or "").strip().lower()
        content = (element.get("content") or element.get("datetime") or "").strip()
        if not key or not content:
            continue
        if key in ("og:title", "twitter:title"):
            values.setdefault("title", content)
        elif key in ("og:site_name", "application-name"):
            values.setdefault("sitename", content)
        elif key in _META_AUTHOR and "://" not in content:
            values.setdefault("author", content)
        elif key in _META_DATE and "date" not in values and _DATE.search(content):
            values["date"] = _DATE.search(content).group(0)  # type: ignore[union-attr]
            values["stated_time"] = content
    if "date" not in values:
        for element in tree.iterfind(".//time"):
            stated = (element.get("datetime") or "").strip()
            stamp = _DATE.search(stated)
            if stamp:
                values["date"] = stamp.group(0)
                values["stated_time"] = stated
                break
    if "title" not in values:
        headings = tree.findall(".//h1")
        text = headings[0].text_content() if len(headings) == 1 else (_first_title(tree) or "")
        title = " ".join(text.split())
        if title:
            values["title"] = _TITLE_SUFFIX.sub("", title) if len(headings) != 1 else title
    canonical = tree.find(".//link[@rel='canonical']")
    if canonical is not None and (canonical.get("href") or "").startswith("http"):
        values["url"] = canonical.get("href")
    return values


def _first_title(tree: Any) -> str | None:
    """``tree.findtext(".//title")``, found by XPath's first-position step, which stops at the first <title>
    (an lxml iterator reads ahead to a next match, through the whole page)."""
    found = _title_xpath()(tree)
    return (found[0].text or "") if found else None


@cache
def _title_xpath() -> Any:
    from lxml import etree

    return etree.XPath("descendant::title[1]")


def _options_for(options: HtmlOptions, url: str | None) -> Any:
    extractor = options.extractor
    if url is None:
        return extractor
    from copy import copy

    per_page = copy(extractor)
    per_page.url = url
    return per_page
