"""HTML to text through trafilatura, configured once per :class:`HtmlOptions` and reused."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any


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

    def metadata(self) -> dict[str, str]:
        found = {"author": self.author, "date": self.date, "sitename": self.sitename}
        return {k: v for k, v in found.items() if v}


@dataclass(frozen=True)
class HtmlOptions:
    """trafilatura settings, chosen on purpose: comments are left out unless asked for."""

    include_comments: bool = False
    include_tables: bool = True
    favor_precision: bool = False
    favor_recall: bool = False
    fast: bool = False

    @cached_property
    def extractor(self) -> Any:
        from trafilatura.settings import Extractor

        return Extractor(output_format="python", comments=self.include_comments, tables=self.include_tables,
                         precision=self.favor_precision, recall=self.favor_recall, fast=self.fast,
                         with_metadata=True)


DEFAULT_HTML_OPTIONS = HtmlOptions()


def extract(html: str | bytes, *, url: str | None = None, options: HtmlOptions = DEFAULT_HTML_OPTIONS) -> Page:
    """The article of an HTML page; an empty ``Page`` when trafilatura finds none."""
    from trafilatura import bare_extraction

    if not html.strip():
        return Page("", url=url)
    found = bare_extraction(html, url=url, options=_options_for(options, url))
    if found is None:
        return Page("", url=url)
    return Page(found.text or "", found.title or None, found.author or None, found.date or None,
                found.sitename or None, found.url or url, found.comments or None)


def _options_for(options: HtmlOptions, url: str | None) -> Any:
    extractor = options.extractor
    if url is None:
        return extractor
    from copy import copy

    per_page = copy(extractor)
    per_page.url = url
    return per_page
