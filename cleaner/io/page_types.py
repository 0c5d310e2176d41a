"""A page's type told from its HTML tree: article, forum thread, Q&A page, product, listing, or unknown.

The type decides what the page's content is. On forum and Q&A pages the posts and answers are the content:
the tree step splits no comment records off them, and the main record holds the thread. The signals (the
schema.org types a page declares, the repeated post containers of forum and Q&A software) are data, in
``page_types.toml`` beside this module, not code.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import regex

if TYPE_CHECKING:
    from cleaner.io.selectors import PageIndex

PAGE_TYPES_FILE = Path(__file__).with_name("page_types.toml")


class PageType(StrEnum):
    ARTICLE = "article"
    FORUM = "forum"
    QA = "qa"
    PRODUCT = "product"
    LISTING = "listing"
    UNKNOWN = "unknown"


#: The id under which ``cleaner explain`` says why a page has its type.
PAGE_TYPE_EVIDENCE = "PAGE-TYPE"

#: Page types whose posts are the content (never split off as comments).
DISCUSSIONS = frozenset({PageType.FORUM, PageType.QA})


@dataclass(frozen=True, slots=True)
class Post:
    """One post or answer of a discussion page: its author and date as printed (when they are), its text."""

    author: str | None
    published: str | None
    text: str


@dataclass(frozen=True)
class Classified:
    """A page's type, why (the schema.org type or the post selector that decided), and its post bodies (on
    forum and Q&A pages told by their posts or schema), in page order."""

    type: PageType
    reason: str
    post_elements: tuple[Any, ...] = ()
    #: Posts already read (a thread told by its shape, whose first post stands before the group and is
    #: kept from the extracted text); empty when they are to be read from ``post_elements``.
    posts: tuple[Post, ...] = ()
    #: With ``posts``: the text standing before the thread in its container (its first post).
    head: str = ""

    @property
    def is_discussion(self) -> bool:
        return self.type in DISCUSSIONS


@dataclass(frozen=True)
class ThreadShape:
    """How a thread is told by its shape (``[thread_shape]`` in ``page_types.toml``): a group of at least
    ``min_posts`` sibling posts, ``post_share`` of the group; a forum thread when less than
    ``article_before_chars`` of paragraphs come before it and its posts hold ``min_page_share`` of the
    page's text, else a comment thread (or no thread)."""

    min_posts: int = 3
    post_share: float = 0.6
    article_before_chars: int = 500
    date_chars: int = 80
    min_page_share: float = 0.4
    author_href: Any = None
    dates: Any = None
    posted_by: Any = None


@dataclass(frozen=True)
class PageTypeRule:
    type: PageType
    schema: frozenset[str]
    posts: str | None
    min_posts: int


class PageTypeError(ValueError):
    """The page-type file is not of the expected form; the message names the file and the entry."""


_LD_TYPE = regex.compile(r'"@type"\s*:\s*(\[[^\]]*\]|"[^"]*")')


class PageTypeRules:
    """The page types of ``page_types.toml``, with their selectors compiled on first use."""

    def __init__(self, rules: tuple[PageTypeRule, ...], *, near_empty_words: int, min_post_coverage: float,
                 thread_shape: ThreadShape | None = None) -> None:
        self.rules = rules
        self.near_empty_words = near_empty_words
        self.min_post_coverage = min_post_coverage
        self.thread_shape = thread_shape or ThreadShape()

    @classmethod
    def load(cls, path: Path = PAGE_TYPES_FILE) -> PageTypeRules:
        from cleaner.io.selectors import check_selector

        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise PageTypeError(f"{path}: {exc}") from exc
        settings = data.get("settings", {})
        rules = []
        for number, entry in enumerate(data.get("page_type", []), start=1):
            where = f"{path}: page_type #{number}"
            try:
                kind = PageType(entry["type"])
            except (KeyError, ValueError) as exc:
                raise PageTypeError(f"{where}: type must be one of {', '.join(PageType)}") from exc
            posts = entry.get("posts")
            if posts is not None and (problem := check_selector(posts)):
                raise PageTypeError(f"{where}: posts is no CSS selector: {problem}")
            rules.append(PageTypeRule(kind, frozenset(entry.get("schema", ())), posts, int(entry.get("min_posts", 2))))
        return cls(tuple(rules), near_empty_words=int(settings.get("near_empty_words", 10)),
                   min_post_coverage=float(settings.get("min_post_coverage", 0.5)),
                   thread_shape=_thread_shape(data.get("thread_shape", {}), path))

    @cached_property
    def _posts(self) -> tuple[Any, ...]:
        """Per rule, its post selector's alternatives, each with what it needs on the page (as the HTML rules
        are compiled: an alternative whose class or id the page lacks is not evaluated)."""
        from cleaner.io.selectors import compile_selector

        return tuple(compile_selector(rule.posts) if rule.posts else None for rule in self.rules)

    def posts_selectors(self) -> tuple[Any, ...]:
        """The post selectors' alternatives (None for an entry without one), for the page index to read what
        they need at once."""
        return self._posts

    def classify(self, tree: Any, page: PageIndex | None = None, declared: Declared | None = None) -> Classified:
        """The page's type: by the schema.org types it declares first (the first entry naming one), then by
        the repeated post containers of forum and Q&A software; ``unknown`` when neither tells.

        ``page``: the page's index, as the tree step makes it (made here when not given); ``declared``:
        what the page declares (:class:`Declared`, read here when not given)."""
        from cleaner.io.selectors import PageIndex as Index

        page = page if page is not None else Index(tree)
        declared_types = schema_types(tree, declared)
        for rule, posts in zip(self.rules, self._posts, strict=True):
            found = sorted(rule.schema & declared_types)
            if found:
                bodies = _outermost(posts(tree, page)) if posts is not None and rule.type in DISCUSSIONS \
                    else []
                return Classified(rule.type, f"schema.org {found[0]}", tuple(bodies))
        for rule, posts in zip(self.rules, self._posts, strict=True):
            if posts is None:
                continue
            bodies = _outermost(posts(tree, page))
            if len(bodies) >= rule.min_posts:
                return Classified(rule.type, f"{len(bodies)} posts", tuple(bodies))
        return Classified(PageType.UNKNOWN, "no signal")


def _thread_shape(entry: dict[str, Any], path: Path) -> ThreadShape:
    """The ``[thread_shape]`` table, its patterns compiled (case-insensitive); a bad one names the file."""
    where = f"{path}: thread_shape"
    try:
        dates = [regex.compile(p, regex.IGNORECASE) for p in entry.get("dates", [])]
        author_href = regex.compile(entry["author_href"], regex.IGNORECASE) if entry.get("author_href") else None
        posted_by = regex.compile(entry["posted_by"], regex.IGNORECASE) if entry.get("posted_by") else None
        if posted_by is not None and "author" not in posted_by.groupindex:
            raise PageTypeError(f"{where}: posted_by has no group named author")
        return ThreadShape(
            min_posts=int(entry.get("min_posts", 3)), post_share=float(entry.get("post_share", 0.6)),
            article_before_chars=int(entry.get("article_before_chars", 500)),
            date_chars=int(entry.get("date_chars", 80)), min_page_share=float(entry.get("min_page_share", 0.4)),
            author_href=author_href, posted_by=posted_by,
            dates=regex.compile("|".join(f"(?:{d.pattern})" for d in dates), regex.IGNORECASE) if dates else None)
    except regex.error as exc:
        raise PageTypeError(f"{where}: a pattern does not compile: {exc}") from exc
    except (TypeError, ValueError) as exc:
        raise PageTypeError(f"{where}: {exc}") from exc


@cache
def default_page_types() -> PageTypeRules:
    """The built-in page types, read once (immutable after loading, so shared)."""
    return PageTypeRules.load()


@dataclass(frozen=True)
class Declared:
    """What a page declares about itself, read in one pass over its tree for both the page's type
    (:func:`schema_types`) and the comment detector's check for a discussion page, which read it alike."""

    #: The root element's ``itemtype`` (None without one), kept apart: the comment detector looks only below it.
    root_itemtype: str | None
    #: The ``itemtype`` values of the elements below the root, in page order.
    itemtypes: tuple[str, ...]
    #: Each JSON-LD script with text: its ``type`` attribute lower-cased, unstripped (the comment detector
    #: takes only the exact type), and its text.
    json_ld: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, tree: Any) -> Declared:
        root = tree.getroot() if hasattr(tree, "getroot") else tree
        scripts = []
        for script in root.iter("script"):
            kind = (script.get("type") or "").lower()
            if kind.strip() == "application/ld+json" and script.text:
                scripts.append((kind, script.text))
        return cls(root.get("itemtype"), tuple(_itemtypes_below()(root)), tuple(scripts))


@cache
def _itemtypes_below() -> Any:
    from lxml import etree

    # The values as strings, read by XPath: iterating would make every element a Python object.
    return etree.XPath("descendant::*/@itemtype", smart_strings=False)


def schema_types(tree: Any, declared: Declared | None = None) -> frozenset[str]:
    """The schema.org types a page declares: in ``itemtype`` attributes and in JSON-LD ``@type`` values
    (the last part of a type's address: "https://schema.org/QAPage" is "QAPage").

    ``declared``: the page's declarations, when read already (read here when not given)."""
    declared = declared if declared is not None else Declared.of(tree)
    types: set[str] = set()
    own = () if declared.root_itemtype is None else (declared.root_itemtype,)  # the root too: <html itemtype=...>
    for itemtype in (*own, *declared.itemtypes):
        types.update(_type_name(value) for value in itemtype.split())
    for _, text in declared.json_ld:
        for match in _LD_TYPE.finditer(text):
            try:
                value = json.loads(match.group(1))
            except ValueError:
                continue
            types.update(_type_name(v) for v in (value if isinstance(value, list) else [value]) if isinstance(v, str))
    types.discard("")
    return frozenset(types)


def _type_name(value: str) -> str:
    return value.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def _outermost(elements: list[Any]) -> list[Any]:
    chosen = set(elements)
    return [e for e in elements if not any(a in chosen for a in e.iterancestors())]
