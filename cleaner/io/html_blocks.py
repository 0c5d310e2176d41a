"""The tree step of the HTML path: blocks found in a page's structure, before trafilatura sees the page.

HTML rules (``[[html_rule]]`` in the rule files) name elements by CSS selector and say what they are:
furniture to drop, a block of related articles whose items become ``related`` records, or a comment
section whose comments become ``comments`` records. A detector finds teaser lists without a rule, from
the structure alone (repeated sibling items; see :func:`_detect`). The page is parsed once: the same
tree then goes to trafilatura, and the blocks' lines are removed from what it extracts
(:meth:`TreeFindings.strip`).

Selectors are translated to XPath by cssselect when a :class:`TreeRules` is built and compiled with lxml
on first use, so ``import cleaner`` loads neither lxml nor trafilatura.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Set
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any
from urllib.parse import urljoin

import regex

from cleaner._native import tree_signals, tree_units
from cleaner.core.examples import ExampleFailure
from cleaner.core.records import Kind
from cleaner.core.rules import HtmlRule, RuleSet
from cleaner.core.text import host_of
from cleaner.io.page_types import Classified, Declared, PageType, PageTypeRules, Post, ThreadShape, default_page_types
from cleaner.io.selectors import (
    Alternatives,
    NativeSpec,
    PageIndex,
    attribute_names,
    compile_selector,
    walk_layout_known,
)

#: Detector ids, as they appear in removals and ``cleaner explain``, with what each looks for.
TEASER_DETECTOR = "DETECT-TEASERS"
COMMENT_DETECTOR = "DETECT-COMMENTS"
DETECTORS = {
    TEASER_DETECTOR: "repeated sibling items, each a link with a headline-like text (a list of other articles)",
    COMMENT_DETECTOR: "repeated sibling items, each a short text with an author or time and a reply control or "
                      "avatar, after the article (a comment thread no rule names)",
}


_WORD = regex.compile(r"\w+")
#: Runs of characters that are neither word characters nor the unit separator of :func:`_units`.
_NON_WORD = regex.compile(r"[^\w\x00]+")


@dataclass(frozen=True, slots=True)
class BlockRecord:
    """One item found in the tree: a teaser (``related``) or a comment (``comments``)."""

    kind: Kind
    title: str | None
    link: str | None
    source: str | None
    published: str | None
    text: str


@dataclass(frozen=True, slots=True)
class TreeRemoval:
    """A block the tree step removes (its lines are left out of the extracted text): which rule or
    detector, and the block's text."""

    rule_id: str
    text: str


@dataclass
class TreeFindings:
    """What the tree step found on one page: the blocks to remove, with why, and the records they hold.

    The tree itself is left as it was: trafilatura weighs its own extraction against the whole page's
    text (to decide on its recall retry and its fallbacks), so a page with blocks cut out of it can make it
    choose differently and lose article text (measured on the evaluation sets). The blocks' lines are
    removed from the extracted text instead, by :meth:`strip`.
    """

    removals: list[TreeRemoval] = field(default_factory=list)
    records: list[BlockRecord] = field(default_factory=list)
    #: The words of every removed block (:func:`_words`), read two ways: all its text, and only what
    #: trafilatura extracts (no <time>, buttons, forms...), since its fallbacks keep some of what its own
    #: extraction drops.
    block_words: list[tuple[str, str]] = field(default_factory=list)
    #: The page's text (all of it, shown or not), against which blocks and lines are weighed.
    page_text: str = ""
    #: The page's body and the removed blocks, for counting text units (:func:`_units`) when a line needs
    #: them; trafilatura works on a copy of the tree it is given, so the tree is as the rules saw it.
    unit_source: tuple[Any, frozenset[Any]] | None = None
    _unit_counts: tuple[Counter[str], Counter[str]] | None = field(default=None, repr=False)
    #: The page's type (article, forum, qa, ...), told from its tree before any rule runs.
    page_type: PageType = PageType.UNKNOWN
    #: On forum and Q&A pages, the posts and answers in page order (author and date as printed).
    posts: list[Post] = field(default_factory=list)
    #: Why the page has its type (the schema.org type, the post selector, or the thread's shape).
    page_type_reason: str = ""
    #: The posts are a thread told by its shape: the thread's first post (its question, its article) stands
    #: before them, so the posts are added to the extracted text rather than put in its place.
    posts_follow_text: bool = False
    #: With ``posts_follow_text``: what stands before the thread in its container (its first post).
    thread_head: str = ""

    def posts_text(self) -> str:
        """The thread as text: per post a line with its author and date when printed, then its lines."""
        lines: list[str] = []
        for post in self.posts:
            header = " · ".join(part for part in (post.author, post.published) if part)
            lines.extend(([header] if header else []) + [post.text])
        return "\n".join(lines)

    def remove(self, element: Any, rule_id: str, taken: set[Any]) -> None:
        """Notes ``element`` as removed by ``rule_id`` (a rule or a detector): its text, its words for
        :meth:`strip`, and ``taken`` so that nothing inside it is looked at again."""
        taken.add(element)
        texts = " ".join(_texts(element))  # read once for both
        self.removals.append(TreeRemoval(rule_id, " ".join(texts.split())))
        self.block_words.append((_words(texts), _words(_extractable_text(element, texts))))

    def units(self) -> tuple[Counter[str], Counter[str]]:
        """How often each text unit occurs on the page, and inside removed blocks (counted once, on first
        use: most pages have no extracted line inside a removed block, and counting walks the whole page)."""
        if self._unit_counts is None:
            self._unit_counts = _units(*self.unit_source) if self.unit_source else (Counter(), Counter())
            self.unit_source = None  # the tree is not kept alive by the findings
        return self._unit_counts

    def strip(self, text: str) -> str:
        """The extracted text without the lines that came from a removed block.

        A line is matched first against the page's text units (the text between two block-level
        boundaries, see :func:`_units`): when the page holds the line as a whole unit, the line goes only
        if every such unit lies inside a removed block, so a one-word line ("Home", "Careers") is judged by
        where that unit sits, not by how often the word occurs in the page's sentences. A line that is no
        unit of the page (trafilatura joined or split units) falls back to word counts: its words occur
        in the blocks as often as on the whole page (a line also found outside the blocks is kept).
        """
        if not self.block_words:
            return text
        blocks = [" | ".join(words[way] for words in self.block_words) for way in (0, 1)]
        page_words: str | None = None  # read only when a line is found in a block
        kept = []
        lines = text.split("\n")
        for line, words in zip(lines, _line_words(text), strict=True):
            ways = [way for way in (0, 1) if words and words in blocks[way]]
            if not ways:  # not inside any removed block, as a unit or otherwise
                kept.append(line)
                continue
            page_units, removed_units = self.units()
            on_page = page_units.get(words, 0)
            if on_page:
                if removed_units.get(words, 0) < on_page:
                    kept.append(line)
                continue
            page_words = _words(self.page_text) if page_words is None else page_words
            if all(page_words.count(words) > blocks[way].count(words) for way in ways):
                kept.append(line)
        return "\n".join(kept)


@dataclass(frozen=True)
class _Compiled:
    rule: HtmlRule
    select: Alternatives
    item: Any
    #: Per part, one compiled XPath per alternative of its selector, tried in the order written.
    fields: tuple[tuple[str, tuple[Any, ...]], ...]
    unless: Alternatives | None


class TreeRules:
    """The active HTML rules of a rule set, compiled once (on first use) and applied per page.

    Immutable after construction but for the compiled XPath expressions, which are built once on first
    use (lxml's compiled XPath objects are safe to share between threads for evaluation).
    """

    def __init__(self, rules: Iterable[HtmlRule], *, detectors: Iterable[str] = (),
                 page_types: PageTypeRules | None = None) -> None:
        self.rules = tuple(rules)
        self.detectors = frozenset(detectors)
        #: How pages are typed (``page_types.toml`` by default, read on first use).
        self._page_types = page_types
        unknown = self.detectors - DETECTORS.keys()
        if unknown:
            raise ValueError(f"unknown detector {', '.join(sorted(unknown))}; known: {', '.join(DETECTORS)}")

    @property
    def page_types(self) -> PageTypeRules:
        return self._page_types or default_page_types()

    @classmethod
    def from_ruleset(cls, ruleset: RuleSet, *, detectors: Iterable[str] = ()) -> TreeRules:
        return cls((r for r in ruleset if isinstance(r, HtmlRule)), detectors=detectors)

    @cached_property
    def _compiled(self) -> tuple[_Compiled, ...]:
        from cssselect import GenericTranslator, parse
        from lxml import etree

        translator = GenericTranslator()

        def xpath(css: str) -> Any:
            return etree.XPath(translator.css_to_xpath(css, prefix="descendant-or-self::"))

        def alternatives(css: str) -> tuple[Any, ...]:
            # "a, b": a part's alternatives in order of preference, not in page order.
            return tuple(etree.XPath(translator.selector_to_xpath(s, prefix="descendant-or-self::"))
                         for s in parse(css))

        return tuple(_Compiled(rule, compile_selector(rule.select), xpath(rule.item) if rule.item else None,
                               tuple((name, alternatives(css)) for name, css in rule.fields),
                               compile_selector(rule.unless) if rule.unless else None)
                     for rule in self.rules)

    @cached_property
    def _attribute_names(self) -> frozenset[str]:
        """The attribute names the rules' and page types' selectors ask about: the page index reads them all
        in one walk of the page."""
        return attribute_names([*(c.select for c in self._compiled), *(c.unless for c in self._compiled),
                                *self.page_types.posts_selectors()])

    @cached_property
    def _natives(self) -> tuple[NativeSpec, ...]:
        """The simple alternatives of the rules' and page types' selectors, which the compiled walk evaluates
        together, in one walk of the page (:meth:`PageIndex.native_selected`)."""
        selectors = [*(c.select for c in self._compiled), *(c.unless for c in self._compiled),
                     *self.page_types.posts_selectors()]
        return tuple(dict.fromkeys(spec for alternatives in selectors if alternatives is not None
                                   for spec in alternatives.natives if spec is not None))

    def apply(self, tree: Any, url: str | None, *, keep_comments: bool) -> TreeFindings:
        """What the rules and detectors find in ``tree``, which is left unchanged.

        Comment records are made only with ``keep_comments``; the comment sections are removed either way.
        On forum and Q&A pages (:mod:`cleaner.io.page_types`) the posts are the content: no comment rule or
        detector runs, and the posts are read into ``posts``.
        """
        host = host_of(url)
        protected = _protected(tree)
        taken: set[Any] = set()
        body = _body(tree)
        texts = _texts(body if body is not None else tree)
        page_text = " ".join(texts)
        page = PageIndex(tree, self._attribute_names, self._natives)
        declared = Declared.of(tree)  # read once for the page's type and the comment detector
        classified = self.page_types.classify(tree, page, declared)
        if not classified.is_discussion and body is not None:
            classified = self._thread_without_article(tree, body, page, host) or classified
        shape = self.page_types.thread_shape
        # Elements holding a reply control, an avatar or a byline's date: read once, for both the forum by
        # its shape and the comment detector.
        signalled = _signalled(body, shape, texts, _NameSignals.of(page)) if body is not None \
            and COMMENT_DETECTOR in self.detectors and not classified.is_discussion else set()
        bylines: dict[Any, Any] = {}  # each item's byline, read once for both
        if classified.type in (PageType.UNKNOWN, PageType.ARTICLE) and signalled:
            # A page declaring a discussion (schema.org) is typed already: only undeclared threads are left.
            classified = _thread_by_shape(body, protected, shape, signalled, bylines) or classified
        findings = TreeFindings(page_type=classified.type, page_type_reason=classified.reason,
                                posts_follow_text=bool(classified.posts), thread_head=classified.head)
        for compiled in self._compiled:
            if not compiled.rule.scope.applies(host):
                continue
            if classified.is_discussion and compiled.rule.action == "comments":
                continue  # on a forum or Q&A page the replies are the content, not comments
            matched = page.select(compiled.select)
            if not matched or (compiled.unless is not None and page.select(compiled.unless)):
                continue
            for element in matched:
                if element in protected or element in taken or any(a in taken for a in element.iterancestors()):
                    continue
                too_big = DROP_MAX_SHARE * len(page_text)
                if compiled.rule.action == "drop" and _joined_length(element) > too_big:
                    continue  # furniture is never most of a page: a class word on a wrapper misled the rule
                if compiled.rule.action != "drop":
                    items = compiled.item(element)
                    if compiled.rule.action == "related":
                        items = _outermost(items)  # a teaser's inner list is part of the teaser
                    if len(items) < compiled.rule.min_items:
                        continue
                    text = _spaced_text(element)
                    held = sum(len(_spaced_text(item)) for item in _outermost(items))
                    records = _block_records(compiled, items, url)
                    if not _is_block_of(compiled.rule.action, records, held, len(text), compiled.rule.min_items):
                        continue
                    if compiled.rule.action == "related" or keep_comments:
                        findings.records.extend(records)
                findings.remove(element, compiled.rule.id, taken)
        findings.page_text = page_text
        if TEASER_DETECTOR in self.detectors:
            _detect(tree, url, protected, findings, taken)
        if COMMENT_DETECTOR in self.detectors and not classified.is_discussion:
            _detect_comments(tree, protected, findings, taken, keep_comments=keep_comments, shape=shape,
                             signalled=signalled, bylines=bylines, declared=declared)
        if classified.is_discussion:
            findings.posts = list(classified.posts) or _posts(classified, taken)
        if taken:
            findings.unit_source = (body if body is not None else tree, frozenset(taken))
        return findings


    def _thread_without_article(self, tree: Any, body: Any, page: PageIndex,
                                host: str | None) -> Classified | None:
        """The page as a forum thread when a comment rule's section holds replies but no article comes before
        it (no <article> element and less than ``ARTICLE_BEFORE_CHARS`` of paragraphs): forum software whose
        posts carry comment class words. Its replies are then the content, not comments."""
        for compiled in self._compiled:
            if compiled.rule.action != "comments" or compiled.item is None or not compiled.rule.scope.applies(host):
                continue
            matched = page.select(compiled.select)
            if not matched or (compiled.unless is not None and page.select(compiled.unless)):
                continue
            for element in _outermost(matched):
                items = _outermost(compiled.item(element))
                if len(items) < THREAD_MIN_POSTS or _article_before(body, element):
                    continue
                chosen = set(items)
                xpaths = dict(compiled.fields).get("body", ())
                bodies = [_own_first(item, "body", xpaths, chosen) for item in items]
                return Classified(PageType.FORUM, f"{len(items)} replies and no article before them "
                                                  f"({compiled.rule.id})",
                                  tuple(b if b is not None else item for b, item in zip(bodies, items, strict=True)))
        return None


#: A comment section of at least this many replies with no article before it is a forum thread.
THREAD_MIN_POSTS = 2


def _article_before(body: Any, block: Any) -> bool:
    """Whether an article comes before ``block`` in page order: an <article> element outside it, or at least
    ``ARTICLE_BEFORE_CHARS`` of paragraph text."""
    total = 0
    for element in body.iter():
        if element is block:
            return False
        if element.tag == "article" and not any(a is element for a in block.iterancestors()):
            return True
        if element.tag == "p":
            total += len(_text(element))
            if total >= ARTICLE_BEFORE_CHARS:
                return True
    return False


# --- applying rules ----------------------------------------------------------------------------------



def _protected(tree: Any) -> set[Any]:
    """Elements no rule or detector may remove: the page's root and body, and every element holding the
    page's one main heading (a block that holds the headline holds the article)."""
    keep = {tree}
    body = _body(tree)
    if body is not None:
        keep.add(body)
    headings = tree.findall(".//h1")
    if len(headings) == 1:
        keep.update(headings[0].iterancestors())
        keep.add(headings[0])
    return keep


def _outermost(elements: list[Any]) -> list[Any]:
    """The elements that are not inside another one of the list (a reply nested in a comment is its own
    item when the selector finds it, but a teaser's inner link list is not)."""
    chosen = set(elements)
    return [e for e in elements if not any(a in chosen for a in e.iterancestors())]


@cache
def _first_body() -> Any:
    from lxml import etree

    # XPath's first-position step stops at the first match; ``find(".//body")`` walks the whole page, as
    # every lxml iterator reads ahead to the next match (there is none after the body).
    return etree.XPath("descendant::body[1]")


def _body(tree: Any) -> Any:
    """The page's first <body> below its root, in page order: what ``tree.find(".//body")`` finds."""
    found = _first_body()(tree)
    return found[0] if found else None


@cache
def _text_xpaths() -> tuple[Any, Any]:
    """The element's text nodes, and the length of their text joined with spaces, read in C (compiled once,
    on first use: ``import cleaner`` loads no lxml)."""
    from lxml import etree

    return (etree.XPath("descendant-or-self::text()", smart_strings=False),
            etree.XPath("string-length(.) + count(descendant::text()) - 1"))


def _texts(element: Any) -> list[str]:
    """The element's text nodes in page order: what ``element.itertext()`` gives, read by XPath, which makes
    no Python object per element inside (itertext makes one for each, through lxml.html's class lookup)."""
    return _text_xpaths()[0](element)  # type: ignore[no-any-return]


def _joined_length(element: Any) -> int:
    """``len(" ".join(element.itertext()))``, counted in C without reading the text out."""
    return max(0, int(_text_xpaths()[1](element)))


def _text(element: Any) -> str:
    return " ".join(element.text_content().split())


def _words(text: str) -> str:
    """The text's words, case-folded, one space apart, with a space at each end: what lines are matched on,
    whatever spacing and punctuation extraction gave them."""
    words = _WORD.findall(text.casefold())
    return f" {' '.join(words)} " if words else ""


#: Runs of characters that are neither word characters nor a line break.
_NON_WORD_LINE = regex.compile(r"[^\w\n]+")


def _line_words(text: str) -> list[str]:
    """:func:`_words` of each line of ``text`` (split on "\n"), read in one pass over the whole text: the runs of
    non-word characters within a line made one space, as joining its words with one does."""
    pieces = _NON_WORD_LINE.sub(" ", text.casefold()).split("\n")
    return [f" {words} " if (words := piece.strip(" ")) else "" for piece in pieces]


def _extractable_text(element: Any, texts: str | None = None) -> str:
    """The element's text without what trafilatura never extracts (its MANUALLY_CLEANED tags: <time>,
    buttons, forms...), so a comment's line "Ana Great piece." matches its extracted form even when a
    <time> sat between the name and the text. ``texts``: the element's text nodes joined with spaces, when the
    caller read them already.

    An element with no such tag inside it is its whole text (found by lxml's tag filter, in C, which makes an
    object only for the first such tag); else the element is walked (:func:`_extractable_text_walked`). A test
    holds the two to the same text on every element of the test pages."""
    dropped = _manually_cleaned()
    if not isinstance(element.tag, str):
        return _extractable_text_walked(element)
    if element.tag in dropped:
        return ""  # the walk skips the element's whole subtree: nothing of it is extracted
    if next(element.iter(*dropped), None) is not None:
        return _extractable_text_walked(element)
    return texts if texts is not None else " ".join(_texts(element))


@cache
def _manually_cleaned() -> frozenset[str]:
    from trafilatura.settings import MANUALLY_CLEANED

    return frozenset(MANUALLY_CLEANED)


def _extractable_text_walked(element: Any) -> str:
    """:func:`_extractable_text` walked element by element in Python."""
    from lxml import etree

    dropped = _manually_cleaned()
    pieces: list[str] = []
    walk = etree.iterwalk(element, events=("start", "end"))
    for event, inner in walk:
        if event == "start":
            if inner.tag in dropped:
                walk.skip_subtree()
            elif isinstance(inner.tag, str) and inner.text:
                pieces.append(inner.text)
        elif inner is not element and inner.tail:
            pieces.append(inner.tail)
    return " ".join(pieces)


#: Tags that end a text unit (:func:`_units`): elements laid out as blocks, line breaks and controls.
_UNIT_BREAKS = frozenset({
    "a", "address", "article", "aside", "blockquote", "body", "br", "button", "caption", "center", "dd", "details",
    "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
    "h5", "h6", "header", "hr", "html", "label", "legend", "li", "main", "menu", "nav", "ol", "option", "p",
    "pre", "section", "select", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
#: Tags whose text is never shown.
_UNSEEN = frozenset({"script", "style", "template", "noscript", "head", "title"})


def _unit_texts(root: Any, removed: Set[Any]) -> tuple[list[str], list[bool]]:
    """The page's text units in page order, as raw text, and whether each lies inside a removed block.

    A unit is the text between two block-level boundaries (:data:`_UNIT_BREAKS`): what extraction gives as
    a line (a paragraph, a heading, a list item, a link alone in a menu's item). The start and end of a
    removed block are boundaries too, so a unit is wholly inside or wholly outside the removed blocks.

    Read in one walk of libxml2's tree by the compiled core where it can read the page (src/tree.rs), else by
    :func:`_unit_texts_walked` (a test holds the two to the same units).
    """
    native = _native_units(root, removed)
    return native if native is not None else _unit_texts_walked(root, removed)


def _native_units(root: Any, removed: Set[Any]) -> tuple[list[str], list[bool]] | None:
    """:func:`_unit_texts` read by the compiled core, or None where it cannot read this tree."""
    from lxml import etree

    if not walk_layout_known() or not isinstance(root, etree._Element):
        return None
    tag = root.tag
    if not isinstance(tag, str) or tag.startswith("{"):
        return None
    return tree_units(root, tag, list(removed), _UNSEEN, _UNIT_BREAKS)


def _unit_texts_walked(root: Any, removed: Set[Any]) -> tuple[list[str], list[bool]]:
    """:func:`_unit_texts` read by ``etree.iterwalk``."""
    from lxml import etree

    units: list[str] = []
    inside_flags: list[bool] = []
    pieces: list[str] = []
    append = pieces.append
    depth = 0  # how many removed blocks hold the current position
    # One loop over every start and end of the page's elements: written flat (bound methods, each
    # attribute read once, the boundary flushed inline), as it runs on every page with a removed block.
    walk = etree.iterwalk(root, events=("start", "end"))
    skip = walk.skip_subtree
    for event, element in walk:
        tag = element.tag
        if type(tag) is not str:  # comments, processing instructions: only their tail is text
            if event == "end":
                tail = element.tail
                if tail:
                    append(tail)
            continue
        if tag in _UNSEEN:  # its text is never shown: skipped, but its tail is text
            if event == "start":
                skip()
            else:
                tail = element.tail
                if tail:
                    append(tail)
            continue
        edge = element in removed
        if pieces and (edge or tag in _UNIT_BREAKS):  # a boundary: the unit so far ends
            units.append(" ".join(pieces))
            inside_flags.append(depth > 0)
            pieces.clear()
        if event == "start":
            if edge:
                depth += 1
            text = element.text
            if text:
                append(text)
        else:
            if edge:
                depth -= 1
            tail = element.tail
            if tail and element is not root:
                append(tail)
    if pieces:
        units.append(" ".join(pieces))
        inside_flags.append(depth > 0)
    return units, inside_flags


def _units(root: Any, removed: Set[Any]) -> tuple[Counter[str], Counter[str]]:
    """The page's text units (see :func:`_unit_texts`), as words (:func:`_words`), and how many of each lie
    inside removed blocks."""
    units, inside_flags = _unit_texts(root, removed)
    page: Counter[str] = Counter()
    inside: Counter[str] = Counter()
    if not units:  # a page without text ("".split() would still give one empty unit)
        return page, inside
    # Turned into words in one pass (one substitution over the whole page instead of one per unit: pages
    # hold thousands), with a unit separator no page text holds after the substitution.
    spoken = _NON_WORD.sub(" ", "\x00".join(units).casefold())
    # Counted by Counter's own loop (in C): a unit without words counts nowhere.
    keys = [f" {words} " if words else "" for words in map(str.strip, spoken.split("\x00"))]
    page.update(key for key in keys if key)
    inside.update(key for key, is_inside in zip(keys, inside_flags, strict=True) if is_inside and key)
    return page, inside


def _spaced_text(element: Any) -> str:
    """The element's text with its parts a space apart ("Comments" and the first comment stay two words)."""
    return " ".join(" ".join(_texts(element)).split())


def _body_text(element: Any) -> str:
    """The element's text, one line per paragraph when it has paragraphs."""
    paragraphs = [_text(p) for p in element.iter("p")]
    paragraphs = [p for p in paragraphs if p]
    return "\n".join(paragraphs) if paragraphs else _text(element)


#: A block is what a rule says only when its items hold at least this share of its text: a "related"
#: wrapper that also holds paragraphs of the article, or a comment box around the whole page, is not.
MIN_ITEM_SHARE = 0.6
#: A drop rule leaves alone an element holding more than this share of the page's text.
DROP_MAX_SHARE = 0.4
#: A comment section with no comment in it is removed only when this short: a heading, a count, a prompt.
EMPTY_SECTION_CHARS = 300


def _is_block_of(action: str, records: list[BlockRecord], held: int, size: int, min_items: int) -> bool:
    """Whether a block of ``size`` characters, ``held`` of them in its items, is what the rule says."""
    if action == "related" and len(records) < min_items:
        return False  # items without a linked title (a box of bullet points) are no teasers
    if not records:
        return size <= EMPTY_SECTION_CHARS
    return held >= MIN_ITEM_SHARE * size


def _block_records(compiled: _Compiled, items: list[Any], url: str | None) -> list[BlockRecord]:
    """One record per item, in page order; a teaser whose link an earlier one of the block already gave
    (an image link and a title link to the same article) is not repeated."""
    chosen = set(items)
    made: list[BlockRecord | None] = []
    for item in items:
        parts = {name: _own_first(item, name, xpaths, chosen) for name, xpaths in compiled.fields}
        made.append(_related(item, parts, url) if compiled.rule.action == "related" else
                    _comment(item, parts, chosen))
    records: list[BlockRecord] = []
    links: set[str] = set()
    for record in made:
        if record is None or (record.link is not None and record.link in links):
            continue
        if record.link is not None:
            links.add(record.link)
        records.append(record)
    return records


def _own_first(item: Any, name: str, xpaths: tuple[Any, ...], items: set[Any]) -> Any:
    """The first element the part's selector alternatives (in order) find in the item that has what the
    part needs (text; or an address for a link, a datetime for a time) and is not inside another item
    nested in this one (a reply inside a comment has its own author)."""
    for xpath in xpaths:
        for found in xpath(item):
            owner = found if found in items else next((a for a in found.iterancestors() if a in items), None)
            if owner is not item:
                continue
            if (name == "link" and found.get("href")) or (name == "time" and found.get("datetime")) \
                    or _text(found):
                return found
    return None


def _related(item: Any, parts: dict[str, Any], url: str | None) -> BlockRecord | None:
    title_element = parts.get("title")
    link_element = parts.get("link")
    if link_element is None:
        link_element = _link_of(title_element) if title_element is not None else None
    if link_element is None:
        link_element = item if item.tag == "a" and item.get("href") else _first_link(item)
    if title_element is None:
        title_element = link_element
    title = _text(title_element) if title_element is not None else ""
    if not title:
        return None
    href = link_element.get("href") if link_element is not None else None
    teaser = parts.get("teaser")
    return BlockRecord("related", title, _absolute(href, url), _optional_text(parts.get("source")),
                       _time(parts.get("time")), _body_text(teaser) if teaser is not None else "")


def _link_of(element: Any) -> Any:
    """The link a title is, sits in, or holds."""
    if element.tag == "a" and element.get("href"):
        return element
    outer = next((a for a in element.iterancestors("a") if a.get("href")), None)
    return outer if outer is not None else _first_link(element)


def _comment(item: Any, parts: dict[str, Any], items: set[Any]) -> BlockRecord | None:
    body = parts.get("body")
    text = _body_text(body) if body is not None else _own_text(item, items)
    if not text:
        return None
    return BlockRecord("comments", None, None, _optional_text(parts.get("author")), _time(parts.get("time")), text)


def _own_text(item: Any, items: set[Any]) -> str:
    """The item's text without the items nested in it (a comment without its replies)."""
    from lxml import etree

    pieces: list[str] = []
    walk = etree.iterwalk(item, events=("start", "end"))
    for event, element in walk:
        if event == "start":
            if element is not item and element in items:
                walk.skip_subtree()  # its end event still comes, with the tail that belongs to this item
            elif isinstance(element.tag, str) and element.text:
                pieces.append(element.text)
        elif element is not item and element.tail:
            pieces.append(element.tail)
    return " ".join(" ".join(pieces).split())


def _first_link(item: Any) -> Any:
    for link in item.iter("a"):
        if link.get("href") and _text(link):
            return link
    return None


def _optional_text(element: Any) -> str | None:
    return (_text(element) or None) if element is not None else None


def _time(element: Any) -> str | None:
    if element is None:
        return None
    return (element.get("datetime") or "").strip() or _text(element) or None


def _absolute(href: str | None, url: str | None) -> str | None:
    if not href or href.startswith(("javascript:", "#")):
        return None
    return urljoin(url, href) if url else href


# --- posts of discussion pages ----------------------------------------------------------------------

def _posts(classified: Classified, taken: set[Any]) -> list[Post]:
    """The posts of a forum or Q&A page, from their bodies: each post's container is the largest element
    around its body holding no other post, where its author and date are looked for."""
    bodies = classified.post_elements
    holding: Counter[Any] = Counter(a for b in bodies for a in b.iterancestors())
    posts = []
    for element in bodies:
        if element in taken or any(a in taken for a in element.iterancestors()):
            continue
        text = _lines(element, taken)
        if not text:
            continue
        container = element
        for ancestor in element.iterancestors():
            if holding[ancestor] > 1 or ancestor.tag in ("body", "html"):
                break
            container = ancestor
        author, published = _author_and_date(container, element)
        posts.append(Post(author, published, text))
    return posts


def _author_and_date(container: Any, body: Any) -> tuple[str | None, str | None]:
    """The author and date a post's container prints outside its body (None where it prints none): the
    author marked ``itemprop=author`` (its name), else the first short text in an element named for a user
    or author; the date of a <time>, else the first date printed outside the body."""
    inside = set(body.iter())
    outside = [e for e in container.iter() if isinstance(e.tag, str) and e not in inside]
    author = None
    for element in outside:
        if element.get("itemprop") == "author" and element.tag != "meta":
            named = next((n for n in element.iter() if n.get("itemprop") == "name" and _text(n)), None)
            link = next((a for a in element.iter("a") if _text(a)), None)
            chosen = named if named is not None else link if link is not None else element
            author = _text(chosen)[:60] or None
            break
    if author is None:
        for element in outside:
            names = f"{element.get('class') or ''} {element.get('id') or ''}"
            if element.tag != "meta" and _AUTHOR_CLASS.search(names) and not _TIME_CLASS.search(names):
                text = _text(element)
                if 0 < len(text) <= 60 and not _POST_DATE.search(text):
                    author = text
                    break
    published = next((_text(t) for t in outside if t.tag == "time" and _text(t)), None)
    if published is None:
        date = _POST_DATE.search(_text_outside(container, inside))
        published = date.group(0) if date else None
    return author, published


def _text_outside(container: Any, inside: set[Any]) -> str:
    """The container's text without the elements of ``inside`` (the post's body)."""
    from lxml import etree

    pieces: list[str] = []
    walk = etree.iterwalk(container, events=("start", "end"))
    for event, element in walk:
        if event == "start":
            if element in inside or element.tag in _UNSEEN:
                walk.skip_subtree()
            elif isinstance(element.tag, str) and element.text:
                pieces.append(element.text)
        elif element is not container and element.tail:
            pieces.append(element.tail)
    return " ".join(" ".join(pieces).split())


def _lines(element: Any, taken: set[Any]) -> str:
    """The element's text, a line per block (paragraph, line break, list item...), without removed blocks."""
    from lxml import etree

    pieces: list[str] = []
    walk = etree.iterwalk(element, events=("start", "end"))
    for event, inner in walk:
        tag = inner.tag
        if not isinstance(tag, str):
            if event == "end" and inner.tail:
                pieces.append(inner.tail)
            continue
        if event == "start":
            if tag in _UNSEEN or inner in taken:
                walk.skip_subtree()
                continue
            if tag in _LINE_BREAKS:
                pieces.append("\n")
            if inner.text:
                pieces.append(inner.text)
        else:
            if tag in _LINE_BREAKS:
                pieces.append("\n")
            if inner.tail and inner is not element:
                pieces.append(inner.tail)
    lines = (" ".join(line.split()) for line in "".join(pieces).split("\n"))
    return "\n".join(line for line in lines if line)


#: Tags that end a line of a post's text (links and buttons do not, unlike the units of :func:`_units`).
_LINE_BREAKS = _UNIT_BREAKS - {"a", "button", "label"}


# --- detectors ---------------------------------------------------------------------------------------

#: Teaser-list detector bounds (a list of other articles, found without a rule, after MDR's idea of
#: repeated sibling records): at least this many sibling items of one tag and class...
TEASER_MIN_ITEMS = 4
#: ...whose linked headline has this many words (menus and tag clouds have one to three)...
HEADLINE_WORDS = (4, 20)
#: ...(in Chinese or Japanese, written without spaces, this many characters)...
HEADLINE_CHARS = (8, 40)
#: ...in an item of at most this many characters (a teaser, not a section of the article)...
TEASER_MAX_CHARS = 350
#: ...and the page outside the list holds at least this many times its text: a page whose content is a
#: list (an index, a listicle) is never stripped of it.
CONTENT_OVER_LIST = 3.0


def _detect(tree: Any, url: str | None, protected: set[Any], findings: TreeFindings, taken: set[Any]) -> None:
    """Structure-based detection of teaser lists, for blocks no rule names (see the constants above)."""
    body = _body(tree)
    if body is None:
        return
    page_chars = len(findings.page_text)
    for parent, items in _repeated_items(body, TEASER_MIN_ITEMS, protected, taken):
        teasers = [t for t in (_teaser(item, url) for item in items) if t is not None]
        if len(teasers) < TEASER_MIN_ITEMS or len(teasers) < 0.8 * len(items):
            continue
        text = _spaced_text(parent)
        held = sum(len(_spaced_text(item)) for item in items)
        if held < MIN_ITEM_SHARE * len(text) or page_chars - len(text) < CONTENT_OVER_LIST * len(text):
            continue
        findings.records.extend(teasers)
        findings.remove(parent, TEASER_DETECTOR, taken)


def _repeated_items(body: Any, min_items: int, protected: set[Any], taken: set[Any], within: Set[Any] | None = None
                    ) -> Iterator[tuple[Any, list[Any]]]:
    """Each element of the page with at least ``min_items`` children of one tag and class (the largest
    such group: MDR's repeated records), outside what is protected or already removed (``taken`` is read
    as the caller adds to it); with ``within``, only the elements of that set (those holding a signal)."""
    ordered = _in_page_order(body, within) if within is not None else None
    for parent in ordered if ordered is not None else body.iter():
        if not isinstance(parent.tag, str) or len(parent) < min_items or parent in protected:
            continue
        if within is not None and parent not in within:
            continue
        if parent in taken or any(a in taken for a in parent.iterancestors()):
            continue
        groups: dict[tuple[str, str], list[Any]] = {}
        for child in parent:
            if isinstance(child.tag, str):
                groups.setdefault((child.tag, child.get("class") or ""), []).append(child)
        items = max(groups.values(), key=len, default=[])
        if len(items) >= min_items:
            yield parent, items


def _in_page_order(body: Any, within: Set[Any]) -> list[Any] | None:
    """The elements of ``within`` that are ``body`` or inside it, in page order (``body.iter()``'s), found
    from ``within`` itself rather than from every element of the page; None where ``within`` does not hold
    the parent of each of its elements but ``body``'s (then only a walk of the page finds them all). The sets
    of signal holders hold each holder's ancestors, a small part of a page's elements."""
    below: dict[Any, list[Any]] = {}
    for element in within:
        if element is body:
            continue
        parent = element.getparent()
        if parent is None:
            continue  # the root, above the body
        if parent not in within and parent is not body:
            return None
        below.setdefault(parent, []).append(element)
    ordered: list[Any] = []
    stack = [body]
    while stack:
        element = stack.pop()
        if element is not body or body in within:
            ordered.append(element)
        children = below.get(element)
        if children:
            children.sort(key=element.index, reverse=True)  # popped first to last
            stack.extend(children)
    return ordered


def _teaser(item: Any, url: str | None) -> BlockRecord | None:
    """The item as a teaser: a link whose text reads like a headline, little else."""
    text = _spaced_text(item)
    if len(text) > TEASER_MAX_CHARS:
        return None
    links = [a for a in item.iter("a") if a.get("href")]
    if not links:
        return None
    headline = max(links, key=lambda a: len(_text(a)))
    title = _text(headline)
    if not _headline_length(title) or title.endswith((".", "!", "?", ":", "。")):
        return None
    rest = " ".join(text.replace(title, " ", 1).split())
    time = next(iter(item.iter("time")), None)
    return BlockRecord("related", title, _absolute(headline.get("href"), url), None, _time(time), rest)


def _headline_length(title: str) -> bool:
    """Whether a title is as long as a headline: ``HEADLINE_WORDS`` words, or in a script written without
    spaces (Chinese, Japanese: a whole title is one "word") ``HEADLINE_CHARS`` characters."""
    words = len(title.split())
    if words <= 2 and sum(ch.isalpha() and not ch.isascii() and ord(ch) >= 0x2E80 for ch in title) >= len(title) / 2:
        return HEADLINE_CHARS[0] <= len(title) <= HEADLINE_CHARS[1]
    return HEADLINE_WORDS[0] <= words <= HEADLINE_WORDS[1]


#: Comment-thread detector bounds (a thread no rule names, after MDR's repeated records): at least this
#: many sibling items of one tag and class look like comments...
COMMENT_MIN_ITEMS = 3
#: ...and at least this share of the group does...
COMMENT_SHARE = 0.6
#: ...an item being a comment when its own text (replies left out) is this long...
COMMENT_CHARS = (15, 4000)
#: ...and the page holds an article before the thread: paragraphs outside it with at least this much text.
#: A forum or Q&A page, whose first post is one of the items, has none (its replies are its content).
ARTICLE_BEFORE_CHARS = 500
#: An item whose one link of four words or more holds this share of its text is a teaser, not a comment.
TEASER_LINK_SHARE = 0.3
_REPLY_WORDS = frozenset({"reply", "replies", "respond", "antworten", "répondre", "responder", "rispondi",
                          "beantwoorden", "report", "flag", "quote", "permalink", "like", "upvote", "downvote",
                          "citer", "zitieren", "citar", "回复", "返信"})
_REPLY_LABELS = frozenset({"reply", "respond", "antworten", "répondre", "responder", "rispondi", "beantwoorden",
                           "quote", "citer", "zitieren", "citar", "回复", "返信"})
_AUTHOR_CLASS = regex.compile(r"author|user|name|nick|commenter|poster|byline", regex.I)
_TIME_CLASS = regex.compile(r"date|time|ago|posted|published|meta|when", regex.I)
_AVATAR = regex.compile(r"avatar|gravatar|userpic|profile", regex.I)
_REPLY_CLASS = regex.compile(r"reply|respond", regex.I)
_REPLY_CHARS = 20  # the longest own text a reply control is looked at with
#: The words of the avatar and reply-class expressions, as the compiled walk looks for them: it can tell where they
#: cannot match only while they are plain lower-case ASCII words (else every element is tested).
_AVATAR_WORDS = _AVATAR.pattern.split("|")
_REPLY_CLASS_WORDS = _REPLY_CLASS.pattern.split("|")
_SIGNAL_WORDS_PLAIN = all(word.isascii() and word.isalpha() and word.islower()
                          for word in (*_AVATAR_WORDS, *_REPLY_CLASS_WORDS))
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE_TEXT = regex.compile(
    rf"\b(?:\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}}|{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)? {_MONTH} \d{{4}}|\d{{1,3}} (?:second|minute|hour|day|week|month|year)s? ago"
    r"|(?:yesterday|today) at)\b", regex.I)
_DISCUSSION = ("DiscussionForumPosting", "QAPage")
#: A date as forums print one beside a post: the comment detector's dates, "Nov 30 '19", and a time of day
#: after any of them ("06 Sep 2018 13:44", "Jun 21, 2013 at 1:08").
_POST_DATE = regex.compile(rf"(?:{_DATE_TEXT.pattern}|\b{_MONTH} \d{{1,2}},? '\d{{2}}\b)"
                           r"(?:,? (?:at )?\d{1,2}:\d{2}(?: ?[ap]m)?)?", regex.I)


def _detect_comments(tree: Any, protected: set[Any], findings: TreeFindings, taken: set[Any], *,
                     keep_comments: bool, shape: ThreadShape | None = None,
                     signalled: set[Any] | None = None, bylines: dict[Any, Any] | None = None,
                     declared: Declared | None = None) -> None:
    """Structure-based detection of comment threads no rule names (see the constants above).

    A comment has a reply control or an avatar, and an author or a time: what a thread's items share and
    an article's list items, teasers and live-blog entries do not. The thread must come after an article
    outside it, so forum and Q&A pages, whose posts are the content, keep them; so do pages that say they
    are discussions (schema.org ``DiscussionForumPosting`` or ``QAPage``).
    """
    body = _body(tree)
    if body is None or _is_discussion(declared if declared is not None else Declared.of(tree)):
        return
    shape = shape or ThreadShape()
    signalled = _signalled(body, shape) if signalled is None else signalled
    if not signalled:
        return
    threads: list[tuple[Any, list[BlockRecord]]] = []
    for parent, items in _repeated_items(body, COMMENT_MIN_ITEMS, protected, taken, within=signalled):
        if any(a is thread for thread, _ in threads for a in parent.iterancestors()):
            continue  # replies nested in a thread already found belong to it
        if sum(item in signalled for item in items) < COMMENT_MIN_ITEMS:
            continue
        found = [_comment_item(item, shape, bylines) if item in signalled else None for item in items]
        if sum(r is not None for r in found) < max(COMMENT_MIN_ITEMS, COMMENT_SHARE * len(items)):
            continue
        # Replies nested in a comment, in the comment's own markup, are comments too (in page order).
        records = [r for item, comment in zip(items, found, strict=True)
                   for r in (comment, *(_comment_item(n, shape) for n in _nested_like(item))) if r is not None]
        threads.append((parent, records))
    # An article has one comment section. Several threads on a page are a discussion or Q&A page (comments
    # under each answer), or a listing whose cards look like comments: their items are the content.
    if len(threads) != 1:
        return
    parent, records = threads[0]
    if _article_text_before(body, parent) < ARTICLE_BEFORE_CHARS:
        return
    if keep_comments:
        findings.records.extend(records)
    findings.remove(parent, COMMENT_DETECTOR, taken)


def _thread_by_shape(body: Any, protected: set[Any], shape: ThreadShape, signalled: set[Any],
                     bylines: dict[Any, Any] | None = None) -> Classified | None:
    """The page as a forum thread told by its shape, for software no page-type entry names: its largest
    group of sibling posts (:func:`_byline`: an author or date with a control or avatar, or an author and
    a date) with less than ``shape.article_before_chars`` of paragraphs before it. A group after an article
    is a comment thread, left to the comment detector. ``signalled``: :func:`_signalled` of the page."""
    best: tuple[Any, list[Any], list[tuple[str | None, str | None, list[Any]]]] | None = None
    for parent, items in _repeated_items(body, shape.min_posts, protected, set(), within=signalled):
        if sum(item in signalled for item in items) < shape.min_posts:
            continue
        read = [(item, _byline(item, shape, bylines)) for item in items if item in signalled]
        found = [(item, byline) for item, byline in read if byline is not None]
        # Judged by text, not by count: a thread's "load more replies" and "[deleted]" stubs are items too.
        if len(found) < shape.min_posts or sum(len(_text(item)) for item, _ in found) < \
                shape.post_share * sum(len(_text(item)) for item in items):
            continue
        if best is None or len(found) > len(best[1]):
            best = (parent, [item for item, _ in found], [byline for _, byline in found])
    if best is None:
        return None
    parent, items, read_bylines = best
    before = _article_text_before(body, parent)
    if before >= shape.article_before_chars:
        return None  # comments under an article: the comment detector splits them off
    page_chars = len(_text(body))
    share = sum(len(_text(item)) for item in items) / page_chars if page_chars else 0.0
    if share < shape.min_page_share:
        return None  # a widget of dated items beside the page's own text
    chosen = set(items)
    posts: list[Post] = []
    for item, (author, published, furniture) in zip(items, read_bylines, strict=True):
        skipped = set(furniture) | {n for n in item.iterdescendants() if n in chosen}
        text = _lines(_post_body(item, skipped), skipped)
        if text:
            posts.append(Post(author, published, text))
    if len(posts) < shape.min_posts:
        return None
    # What stands before the thread in its container (the first post, the question), in case the extracted
    # text holds nothing but the replies.
    head = [_lines(e, set()) for e in reversed(list(parent.itersiblings(preceding=True)))
            if isinstance(e.tag, str) and e.tag not in ("h1", "form", "nav") and e.tag not in _UNSEEN]
    where = f"<{parent.tag}{' class=' + repr(parent.get('class')) if parent.get('class') else ''}>"
    return Classified(PageType.FORUM, f"{len(posts)} posts told by their shape (author, date, reply or vote "
                                      f"controls) in {where}, {share:.0%} of the page's text, {before} characters of "
                                      f"paragraphs before them",
                      tuple(items), tuple(posts), head="\n".join(line for line in head if line))


def _post_body(item: Any, furniture: set[Any]) -> Any:
    """The part of a post holding its text: the element with the most text that holds none of the post's
    byline and controls (the outermost one of equal text), else the post itself."""
    best, size = item, 0
    holding = set(furniture).union(*(f.iterancestors() for f in furniture))  # elements holding furniture
    for element in item.iterdescendants():
        if not isinstance(element.tag, str) or element.tag in _UNSEEN or element in holding:
            continue
        length = len(_text(element))
        if length > size:
            best, size = element, length
    return best if size else item


@dataclass(frozen=True, slots=True)
class _NameSignals:
    """Whether any class or id on the page holds a reply word (:data:`_REPLY_CLASS`) or an avatar word
    (:data:`_AVATAR`). Told once from the page's class and id values (:class:`PageIndex`), so that the
    element-by-element tests of :func:`_is_reply_or_avatar` leave out the names on the many pages where they
    cannot match (neither word spans the space between a class and an id)."""

    reply: bool = True
    avatar: bool = True

    @classmethod
    def of(cls, page: PageIndex) -> _NameSignals:
        values = [page.attribute_values(name) for name in ("class", "id")]
        # The expressions run only where a word of theirs is in the case-folded values, a test in C (the
        # expressions read long values slowly): every character they take for one of a word's letters folds
        # to that letter, but for "İ" ("i" and a combining dot above), whose dots are dropped first.
        folded = "\x00".join(values).casefold().replace("\u0307", "")
        return cls(_may_hold(folded, _REPLY_CLASS) and any(_REPLY_CLASS.search(v) for v in values),
                   _may_hold(folded, _AVATAR) and any(_AVATAR.search(v) for v in values))


def _may_hold(folded: str, words: regex.Pattern[str]) -> bool:
    """Whether the case-folded text holds one of the words of ``words``, an alternation of plain lower-case
    words (a test that is true wherever ``words`` with IGNORECASE matches the text before folding)."""
    return any(word in folded for word in words.pattern.split("|"))


_ALL_NAMES = _NameSignals()


def _signalled(body: Any, shape: ThreadShape | None = None, texts: list[str] | None = None,
               names: _NameSignals = _ALL_NAMES) -> set[Any]:
    """The elements holding a reply control or an avatar, or a short dated text (what every comment or
    post has: its byline's date): found in one pass each, so that only the items holding one are read as
    comments. ``texts``: the body's text nodes (:func:`_texts`), when the caller read them already;
    ``names``: which name tests can match on the page.

    One compiled walk of the body (:func:`_signal_candidates`) tells first which elements and text nodes may
    pass the tests; only those are tested here, with the same tests, so the same elements are found
    (:func:`_signalled_by_python` tests every one, where the walk cannot read the tree)."""
    candidates = _signal_candidates(body, shape, names)
    if candidates is None:
        return _signalled_by_python(body, shape, names, texts)
    holders: set[Any] = set()
    count, positions, dated = candidates
    if positions:
        wanted, seen = set(positions), 0
        for seen, element in enumerate(body.iter(*_SIGNAL_TAGS), 1):
            if seen - 1 in wanted and element not in holders and _is_reply_or_avatar(element, names):
                holders.add(element)
                holders.update(element.iterancestors())
        if seen != count:  # the walk read another tree than lxml iterates: every element is tested
            return _signalled_by_python(body, shape, names, texts)
    if shape is not None and shape.dates is not None:
        for element in _dated_owners(dated, shape):
            if element not in holders:
                holders.add(element)
                holders.update(element.iterancestors())
    return holders


#: The elements a reply control or an avatar is looked for in.
_SIGNAL_TAGS = ("a", "button", "span", "img")


def _signalled_by_python(body: Any, shape: ThreadShape | None, names: _NameSignals,
                         texts: list[str] | None = None) -> set[Any]:
    """:func:`_signalled` testing every element and text node in Python (no compiled walk)."""
    holders: set[Any] = set()
    for element in body.iter(*_SIGNAL_TAGS):
        if element in holders:
            continue
        if _is_reply_or_avatar(element, names):
            holders.add(element)
            holders.update(element.iterancestors())
    if shape is not None and shape.dates is not None and (texts is None or _may_be_dated(texts, shape)):
        for element in _dated(body, shape):
            if element not in holders:
                holders.add(element)
                holders.update(element.iterancestors())
    return holders


def _signal_candidates(body: Any, shape: ThreadShape | None, names: _NameSignals
                       ) -> tuple[int, list[int], list[tuple[str, Any]]] | None:
    """From one compiled walk of the body (src/tree.rs ``tree_signals``): how many elements of
    :data:`_SIGNAL_TAGS` it holds, the positions among them of those that may pass :func:`_is_reply_or_avatar`,
    and the text nodes that may pass :func:`_dated`'s tests, each with the element holding it; supersets (the
    walk answers "may" for any text it cannot test as Python does, such as non-ASCII names and words), never
    missing one that passes. None where the walk cannot read this tree; then every element is tested."""
    from cleaner.io.selectors import walk_layout_known

    if not walk_layout_known() or not _SIGNAL_WORDS_PLAIN:
        return None
    from lxml import etree

    if not isinstance(body, etree._Element) or not isinstance(body.tag, str) or body.tag.startswith("{"):
        return None
    longest = 4 * shape.date_chars if shape is not None else 0
    date_chars = shape.date_chars if shape is not None else 0
    return tree_signals(body, body.tag, set(_SIGNAL_TAGS), names.reply, names.avatar, _AVATAR_WORDS,
                        _REPLY_CLASS_WORDS, set(_REPLY_LABELS), set(_REPLY_WORDS), _REPLY_CHARS,
                        max(len(word) for word in _REPLY_WORDS), longest, date_chars)


def _dated(root: Any, shape: ThreadShape) -> Iterator[Any]:
    """The elements of ``root`` whose own text is a date as a byline prints it (``shape.dates``: "3 hours
    ago", "hace 2 días", "Posted by ... on") and whose whole text is short (a byline, not a paragraph)."""
    assert shape.dates is not None
    # Only short text nodes holding a digit are tried (filtered in C: most of a page's text has none); a
    # byline dated "yesterday" alone is signalled by its reply control or avatar, if it has one.
    for text in root.xpath(f".//text()[string-length(.) > 2 and string-length(.) <= {4 * shape.date_chars} "
                           "and translate(., '0123456789', '') != .]"):
        if len(text.strip()) > shape.date_chars or not shape.dates.search(text):
            continue
        owner = text.getparent()
        if owner is None:
            continue
        if text.is_tail:
            owner = owner.getparent()
            if owner is None:
                continue
        if isinstance(owner.tag, str) and owner.tag not in _UNSEEN and len(_text(owner)) <= shape.date_chars:
            yield owner


def _dated_owners(texts: list[tuple[str, Any]], shape: ThreadShape) -> Iterator[Any]:
    """:func:`_dated` over text nodes the compiled walk read (each with its parent element, the element
    :func:`_dated` takes as its owner, a tail's or not): the same tests on those that may pass its XPath."""
    assert shape.dates is not None
    for text, owner in texts:
        if len(text.strip()) > shape.date_chars or not shape.dates.search(text):
            continue
        if isinstance(owner.tag, str) and owner.tag not in _UNSEEN and len(_text(owner)) <= shape.date_chars:
            yield owner


_ASCII_DIGIT = re.compile(r"[0-9]")  # what XPath's translate() tests; re is quicker than regex for it


def _may_be_dated(texts: list[str], shape: ThreadShape) -> bool:
    """Whether :func:`_dated` can find anything, told from the text nodes it would look at (the same tests on
    the same strings): most pages hold no byline date, and its XPath, which finds the text nodes' elements,
    costs more than these tests on strings already read."""
    assert shape.dates is not None
    longest = 4 * shape.date_chars
    return any(2 < len(text) <= longest and len(text.strip()) <= shape.date_chars and _ASCII_DIGIT.search(text)
               and shape.dates.search(text) for text in texts)


def _is_reply_or_avatar(element: Any, signals: _NameSignals = _ALL_NAMES) -> bool:
    names = f"{element.get('class') or ''} {element.get('id') or ''}" if signals.reply or signals.avatar else ""
    if element.tag == "img" and ((signals.avatar and _AVATAR.search(names))
                                 or _AVATAR.search(element.get("src") or "")):
        return True
    if signals.reply and _REPLY_CLASS.search(names):
        return True
    # A reply control drawn as an icon says so in its label: title="Répondre à ce message", alt="Quote".
    # Only replying and quoting: "Like" and "Report" labels sit on every share bar and ad.
    label = (element.get("title") or element.get("aria-label") or element.get("alt") or "").split(maxsplit=1)
    if label and label[0].casefold().strip(".:!") in _REPLY_LABELS:
        return True
    # Reply words are short: an element whose own text is already longer is no control (read cheaply
    # before its whole text, which holds its descendants').
    own = element.text or ""
    if len(own.strip()) > _REPLY_CHARS:
        return False
    # An element without children holds only its own text: read without evaluating its string value.
    text = " ".join(own.split()) if not len(element) else _text(element)
    return text.casefold().strip("↓ ()") in _REPLY_WORDS


def _is_discussion(declared: Declared) -> bool:
    """Whether the page names a discussion type anywhere in its JSON-LD or in an item type below its root."""
    for kind, text in declared.json_ld:
        if kind == "application/ld+json" and any(name in text for name in _DISCUSSION):
            return True
    return any(name in itemtype for itemtype in declared.itemtypes for name in _DISCUSSION)


def _comment_item(item: Any, shape: ThreadShape | None = None, bylines: dict[Any, Any] | None = None
                  ) -> BlockRecord | None:
    """The item as a comment (author, time, text), or None when it does not look like one."""
    found = _byline(item, shape, bylines)
    if found is None:
        return None
    author, time, furniture = found
    # The byline's own lines ("Posted by Ana on 3 May") are no part of the comment's text.
    text = _comment_body(item, {author or "", time or ""} | {_text(e) for e in furniture})
    if not COMMENT_CHARS[0] <= len(text) <= COMMENT_CHARS[1]:
        return None
    return BlockRecord("comments", None, None, author, time, text)


def _byline(item: Any, shape: ThreadShape | None = None, memo: dict[Any, Any] | None = None
            ) -> tuple[str | None, str | None, list[Any]] | None:
    """The item's author and time, and the elements that print them and its controls, when the item looks
    like a comment or post: a reply, quote or vote control or an avatar, and an author or a time; or, with
    ``shape``, a byline: an author (named for one, or a link to a user's page) and a date as ``shape``
    reads them. None when it does not look like one (or is led by a linked headline, as a teaser is).
    ``memo``: bylines already read on this page (the same shape), by item."""
    if memo is not None:
        if item not in memo:
            memo[item] = _byline(item, shape)
        return memo[item]  # type: ignore[no-any-return]
    author = time = None
    reply = avatar = False
    furniture: list[Any] = []
    dates = shape.dates if shape is not None else None
    author_href = shape.author_href if shape is not None else None
    posted_by = shape.posted_by if shape is not None else None
    for element in item.iter():
        tag = element.tag
        if not isinstance(tag, str):
            continue
        names = f"{element.get('class') or ''} {element.get('id') or ''}"
        if tag == "img":
            if _is_reply_or_avatar(element):
                avatar = True
                furniture.append(element)
            continue
        if tag in ("a", "button", "span") and _is_reply_or_avatar(element):
            reply = True
            furniture.append(element)
        if author is None and (tag == "cite" or element.get("itemprop") == "author" or
                               (_AUTHOR_CLASS.search(names) and 0 < len(_text(element)) <= 60) or
                               (tag == "a" and author_href is not None and author_href.search(element.get("href") or "")
                                and 0 < len(_text(element)) <= 60)):
            author = _text(element) or None
            if author:
                furniture.append(element)
        if (author is None or time is None) and posted_by is not None and element.text \
                and (line := posted_by.search(element.text)) and len(_text(element)) <= 2 * shape.date_chars:  # type: ignore[union-attr]
            # "Posted by Ana on 3 May 2021": author and date in one line.
            author = author or line.group("author")
            time = time or " ".join(element.text[line.end() - 1:].split()) or None
            furniture.append(element)
        if time is None and (tag == "time" or (_TIME_CLASS.search(names) and _DATE_TEXT.search(_text(element)))
                             or (dates is not None and element.text and dates.search(element.text)
                                 and len(_text(element)) <= shape.date_chars)):  # type: ignore[union-attr]
            time = _time(element)
            furniture.append(element)
    byline = dates is not None and author is not None and time is not None
    if not (reply or avatar or byline) or (author is None and time is None) or _is_teaser_like(item):
        return None
    return author, time, furniture


def _is_teaser_like(item: Any) -> bool:
    """Whether the item is led by a linked headline (a teaser or a listed post, not a comment): a link of
    at least four words holding a good part of the item's text."""
    size = len(_text(item))
    return any(len(title.split()) >= 4 and len(title) >= TEASER_LINK_SHARE * size
               for title in (_text(link) for link in item.iter("a") if link.get("href")))


def _nested_like(item: Any) -> list[Any]:
    """Elements inside ``item`` of its own tag and class: the replies to a comment. An item without a class
    has none (a plain <div> holds plain <div>s that are no replies)."""
    if not item.get("class"):
        return []
    kind = (item.tag, item.get("class"))
    return [inner for inner in item.iterdescendants() if (inner.tag, inner.get("class")) == kind]


def _comment_body(item: Any, meta: set[str]) -> str:
    """The comment's own paragraphs (its replies left out), or its own text less its author and time."""
    replies = set(_nested_like(item))
    paragraphs = [_text(p) for p in item.iter("p") if not any(a in replies for a in p.iterancestors())]
    # A byline paragraph ("Ana 3 hours ago", the author and time printed together) is no part of the text.
    meta_words = set(_WORD.findall(" ".join(meta).casefold()))
    paragraphs = [p for p in paragraphs if p and p not in meta
                  and not set(_WORD.findall(p.casefold())) <= meta_words]
    if paragraphs:
        return "\n".join(paragraphs)
    text = _own_text(item, replies) if replies else _text(item)
    # Shortest first, in a fixed order: the text must not depend on the set's order (string hashes differ
    # from one process to the next), and a furniture element holding the whole comment (its author's box
    # around it) must not take the comment's text with it: once the author is out, its text no longer occurs.
    for value in sorted(meta, key=lambda v: (len(v), v)):
        if value:
            text = text.replace(value, " ", 1)
    return " ".join(text.split())


def _article_text_before(body: Any, block: Any) -> int:
    """How much paragraph text the page holds before ``block``, in page order."""
    total = 0
    for element in body.iter():
        if element is block:
            break
        if element.tag == "p":
            total += len(_text(element))
    return total


# --- rule examples -----------------------------------------------------------------------------------

def check_html_examples(rules: RuleSet) -> Iterator[ExampleFailure]:
    """Failures of every active HTML rule's examples, each run with the HTML rules of its own file and no
    detectors: a junk fragment must be changed by the rule (and give a record of the rule's kind), a keep
    fragment must not be touched by it, and a cut example (a page's HTML as ``lines``) must be changed by it
    leaving exactly its ``remains``: the page's text units outside the removed blocks, in page order, each
    with its white space collapsed."""
    from lxml import html as lxml_html

    for rule_file in rules.files:
        own = [r for r in rule_file.rules if isinstance(r, HtmlRule) and r.id not in rules.disabled]
        if not own:
            continue
        tree_rules = TreeRules(own)
        for rule in own:
            if not rule.examples.junk and not rule.examples.cut:
                yield ExampleFailure(rule, None, "has no junk example (examples.junk or examples.cut)")
            if not rule.examples.keep:
                yield ExampleFailure(rule, None, "has no keep example (examples.keep)")
            made_records = False
            host = rule.scope.example_host()  # a rule scoped to some domains applies to no page of unknown origin
            url = None if host is None else f"https://{host}/"
            for example in rule.examples.junk:
                found = tree_rules.apply(lxml_html.document_fromstring(example), url, keep_comments=True)
                if rule.id not in {r.rule_id for r in found.removals}:
                    yield ExampleFailure(rule, example, "did not remove anything from its junk example")
                made_records = made_records or any(r.kind == rule.action for r in found.records)
            for cut in rule.examples.cut:
                page = "\n".join(cut.lines)
                found = tree_rules.apply(lxml_html.document_fromstring(page), url, keep_comments=True)
                if rule.id not in {r.rule_id for r in found.removals}:
                    yield ExampleFailure(rule, page, "did not remove anything from its cut example")
                    continue
                made_records = made_records or any(r.kind == rule.action for r in found.records)
                remains = html_remains(found)
                if remains != cut.remains:
                    yield ExampleFailure(rule, page, f"left {list(remains)!r} of its cut example, not the "
                                                     f"stated {list(cut.remains)!r}")
            # An empty comment section is junk too, so one junk example giving records is enough.
            if rule.action != "drop" and (rule.examples.junk or rule.examples.cut) and not made_records:
                yield ExampleFailure(rule, None, f"found no {rule.action} record in any junk example")
            for example in rule.examples.keep:
                found = tree_rules.apply(lxml_html.document_fromstring(example), url, keep_comments=True)
                if rule.id in {r.rule_id for r in found.removals}:
                    yield ExampleFailure(rule, example, "removed an element from its keep example")


def html_remains(found: TreeFindings) -> tuple[str, ...]:
    """What the tree step leaves of a page: its text units outside the removed blocks, in page order, white
    space collapsed (what an HTML rule's cut example states)."""
    if found.unit_source is None:
        return ()
    root, removed = found.unit_source
    units, inside = _unit_texts(root, removed)
    return tuple(text for text in (" ".join(unit.split()) for unit, held in zip(units, inside, strict=True)
                                   if not held) if text)
