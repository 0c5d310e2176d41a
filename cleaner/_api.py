"""The library API: a reusable :class:`Cleaner` built once, and :func:`clean` for one-off calls."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from cleaner.core.engine import Engine, Options
from cleaner.core.records import IN_TREE, Cleaned, Record, Removal
from cleaner.core.rules import RuleSet
from cleaner.io.html import HtmlOptions, extract
from cleaner.io.html_blocks import TreeRules
from cleaner.io.rulefiles import load_rules

RuleSource = RuleSet | str | Path | Iterable[str | Path] | None


class Cleaner:
    """Rules compiled once, applied per document. Immutable after construction, so safe across threads.

    ``rules``: a :class:`RuleSet`, or rule files/folders added to the built-in ones (``builtin=False``
    leaves the built-ins out). ``disable``: rule ids to switch off.
    """

    def __init__(self, rules: RuleSource = None, *, disable: Iterable[str] = (), builtin: bool = True,
                 options: Options | None = None, html_options: HtmlOptions | None = None) -> None:
        if isinstance(rules, RuleSet):
            ruleset = RuleSet(rules.files, rules.disabled | frozenset(disable))
        else:
            paths = [rules] if isinstance(rules, str | Path) else list(rules or ())
            ruleset = load_rules(paths, builtin=builtin, disable=disable)
        self.engine = Engine(ruleset, options)
        self.html_options = html_options or HtmlOptions()
        #: The HTML rules and detectors, run on a page's tree before extraction (compiled on first page).
        self.tree_rules = TreeRules.from_ruleset(ruleset, detectors=self.html_options.detect_blocks)

    @property
    def rules(self) -> RuleSet:
        return self.engine.rules

    def process(self, text: str | None = None, *, html: str | bytes | None = None, doc_id: str | None = None,
                url: str | None = None) -> Cleaned:
        """Records and every removal of one document given as ``text`` or as ``html``."""
        if (text is None) == (html is None):
            raise TypeError("give exactly one of text or html")
        if html is not None:
            return self._process_html(html, doc_id, url)
        return self.engine.process(text, doc_id=doc_id, url=url)  # type: ignore[arg-type]

    def _process_html(self, html: str | bytes, doc_id: str | None, url: str | None) -> Cleaned:
        # extract imports trafilatura on its first call, so text-only users never pay for it.
        page = extract(html, url=url, options=self.html_options, blocks=self.tree_rules)
        page_url = page.url or url
        cleaned = self.engine.process(page.text, doc_id=doc_id, url=page_url, title=page.title)
        records = list(cleaned.records)
        found = page.metadata()
        if records and records[0].kind == "main" and found:
            records[0] = records[0]._replace(metadata=MappingProxyType({**found, **records[0].metadata}))
        tree = page.tree
        if tree is not None and records:  # a page with no article has no place for the blocks beside it
            blocks = sorted(tree.records, key=lambda b: b.kind == "comments")  # articles first, then comments
            first = len(records)
            records.extend(Record(doc_id, first + n, b.kind, b.source, b.published, b.title, b.text, page_url,
                                  link=b.link) for n, b in enumerate(blocks))
        if page.comments and not any(r.kind == "comments" for r in records):
            records.append(Record(doc_id, len(records), "comments", None, None, None, page.comments, page_url))
        removals = cleaned.removals
        if tree is not None and tree.removals:
            removals = tuple(Removal(r.rule_id, IN_TREE, IN_TREE, r.text) for r in tree.removals) + removals
        return replace(cleaned, records=tuple(records), removals=removals)

    def clean(self, text: str | None = None, *, html: str | bytes | None = None, doc_id: str | None = None,
              url: str | None = None) -> list[Record]:
        """The records of one document: the main article first, then secondary articles in page order."""
        return list(self.process(text, html=html, doc_id=doc_id, url=url).records)

    def clean_many(self, documents: Iterable[str | tuple[str, str | None] | tuple[str, str | None, str | None]]
                   ) -> Iterator[Record]:
        """Records of each text in turn, lazily; items are texts or ``(text, doc_id[, url])`` tuples."""
        return self.engine.clean_many(documents)


@lru_cache(maxsize=1)
def default_cleaner() -> Cleaner:
    """The built-in rules, compiled on first use and shared: the object is immutable."""
    return Cleaner()


def clean(text: str | None = None, *, html: str | bytes | None = None, doc_id: str | None = None,
          url: str | None = None) -> list[Record]:
    """Clean one document with the built-in rules. Build a :class:`Cleaner` to choose rules."""
    return default_cleaner().clean(text, html=html, doc_id=doc_id, url=url)
