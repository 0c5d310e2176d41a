"""The small records the engine returns. Immutable; tuples, because a document makes several of each."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Literal, NamedTuple

from cleaner.core.structure import Evidence

Kind = Literal["main", "related", "comments"]
NO_METADATA: Mapping[str, str] = MappingProxyType({})


class Record(NamedTuple):
    """One article found in a document: the main one (``record_index`` 0) or a secondary one (1..n).

    HTML pages cleaned with comments kept add ``comments`` records (one per comment) after the articles.
    ``link`` is the address a related record's teaser points to (HTML pages only).
    """

    doc_id: str | None
    record_index: int
    kind: Kind
    source: str | None
    published: str | None
    title: str | None
    text: str
    url: str | None = None
    #: What removed lines said about the article, e.g. ``{"syndicated_from": "The Conversation"}``.
    metadata: Mapping[str, str] = NO_METADATA
    #: When the article was published, in UTC: ``published`` ("4 hours ago") resolved against the document's
    #: fetch time, or for an HTML page's main record the date the page states. None when unknown.
    published_at: datetime | None = None
    #: The absolute URL a teaser of another article links to (records found in an HTML page's tree).
    link: str | None = None
    #: The document's language (ISO 639-1 code), detected once per document; "und" when unsure.
    language: str = "und"

    def as_dict(self) -> dict[str, object]:
        return {
            "doc_id": self.doc_id,
            "record_index": self.record_index,
            "kind": self.kind,
            "source": self.source,
            "published": self.published,
            "title": self.title,
            "text": self.text,
            "url": self.url,
            "metadata": dict(self.metadata),
            "published_at": self.published_at,
            "link": self.link,
            "language": self.language,
        }


class Removal(NamedTuple):
    """A span of the input that a rule removed; ``start``/``end`` index the text given to the engine.

    An element an HTML rule or detector removed from a page's tree, before extraction, has no place in
    that text: its ``start`` and ``end`` are :data:`IN_TREE`.
    """

    rule_id: str
    start: int
    end: int
    text: str
    #: Why a detector removed it, when a detector did ("seen on 37 of 40 pages of example.com").
    evidence: str | None = None


IN_TREE = -1


class Notice(NamedTuple):
    """Something the engine wants a person to know: a pattern that timed out, a block it could not parse."""

    line: int
    rule_id: str
    message: str


@dataclass(frozen=True, slots=True)
class Cleaned:
    """Everything the engine made of one document: its records and every span it removed, with why."""

    doc_id: str | None
    records: tuple[Record, ...]
    removals: tuple[Removal, ...]
    notices: tuple[Notice, ...] = ()
    #: Why the structural detectors acted (or stood down): shown by ``cleaner explain``.
    evidence: tuple[Evidence, ...] = ()

    def hits(self) -> Counter[str]:
        return Counter(r.rule_id for r in self.removals)
