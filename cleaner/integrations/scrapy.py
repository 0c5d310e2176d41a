"""A Scrapy item pipeline that cleans each scraped page as it arrives (``pip install 'cleaner[scrapy]'``).

Enable it in the project's settings::

    ITEM_PIPELINES = {"cleaner.integrations.scrapy.CleanerPipeline": 300}

For each item holding HTML (``html`` field) or text (``text`` field), it writes

- the main article's clean text into the text field (replacing the raw text, if any), and
- every record, the main article first, as a list of dicts into the ``records`` field (``kind``, ``title``,
  ``source``, ``published``, ``published_at`` as ISO 8601 text, ``text``, ``metadata``...).

A pipeline returns one item per item it receives, so the related articles a page embeds travel in that list;
a feed or a later pipeline can flatten it into one row per record. An item whose page held nothing to keep
is dropped (``DropItem``) unless ``CLEANER_DROP_EMPTY = False``; an item with neither field passes unchanged.
Items declared as ``scrapy.Item`` classes need the text and records fields declared.

Settings (all optional), with their defaults:

- ``CLEANER_RULES = []``: rule files or folders added to the built-in rules;
  ``CLEANER_BUILTIN_RULES = True`` (``False`` uses only ``CLEANER_RULES``); ``CLEANER_DISABLE = []``: rule ids.
- ``CLEANER_HTML_OPTIONS = {}``: :class:`cleaner.HtmlOptions` arguments, e.g. ``{"include_comments": True}``;
  ``CLEANER_OPTIONS = {}``: :class:`cleaner.Options` arguments, e.g. ``{"drop_comments": True}``.
- Field names: ``CLEANER_HTML_FIELD = "html"`` (str or bytes), ``CLEANER_TEXT_FIELD = "text"`` (text to clean,
  and where the clean text goes), ``CLEANER_URL_FIELD = "url"`` (scopes domain rules, fills ``url``),
  ``CLEANER_ID_FIELD = "id"`` (the records' ``doc_id``; the URL when absent), ``CLEANER_FETCHED_AT_FIELD =
  "fetched_at"`` (datetime or ISO 8601 text, resolves "4 hours ago"; absent, the moment the item is
  cleaned), ``CLEANER_RECORDS_FIELD = "records"``.
- ``CLEANER_DROP_EMPTY = True``: drop items that held nothing to keep.

The rules are compiled once, when the crawler starts (about a second); a bad rule file fails the start with a
``RuleError`` naming the file, line and reason. Cleaning runs in the reactor thread: about 1 ms for a text
page and 20-60 ms for an HTML page, which a crawl limited by the network seldom notices.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from cleaner._api import Cleaner
from cleaner.core.engine import Options
from cleaner.core.records import Record
from cleaner.io.html import HtmlOptions


class CleanerPipeline:
    """Cleans the HTML or text field of every item with one :class:`cleaner.Cleaner`, built at start-up."""

    def __init__(self, cleaner: Cleaner, *, html_field: str = "html", text_field: str = "text",
                 url_field: str = "url", id_field: str = "id", fetched_at_field: str = "fetched_at",
                 records_field: str = "records", drop_empty: bool = True) -> None:
        self.cleaner = cleaner
        self.html_field = html_field
        self.text_field = text_field
        self.url_field = url_field
        self.id_field = id_field
        self.fetched_at_field = fetched_at_field
        self.records_field = records_field
        self.drop_empty = drop_empty

    @classmethod
    def from_crawler(cls, crawler: Any) -> CleanerPipeline:
        settings = crawler.settings
        cleaner = Cleaner(settings.getlist("CLEANER_RULES"), builtin=settings.getbool("CLEANER_BUILTIN_RULES", True),
                          disable=settings.getlist("CLEANER_DISABLE"),
                          options=Options(**settings.getdict("CLEANER_OPTIONS")),
                          html_options=HtmlOptions(**settings.getdict("CLEANER_HTML_OPTIONS")))
        return cls(cleaner, html_field=settings.get("CLEANER_HTML_FIELD", "html"),
                   text_field=settings.get("CLEANER_TEXT_FIELD", "text"),
                   url_field=settings.get("CLEANER_URL_FIELD", "url"), id_field=settings.get("CLEANER_ID_FIELD", "id"),
                   fetched_at_field=settings.get("CLEANER_FETCHED_AT_FIELD", "fetched_at"),
                   records_field=settings.get("CLEANER_RECORDS_FIELD", "records"),
                   drop_empty=settings.getbool("CLEANER_DROP_EMPTY", True))

    # ``spider`` is optional: Scrapy before 2.13 passes it, later versions warn when a pipeline requires it.
    def process_item(self, item: Any, spider: Any = None) -> Any:
        adapter = ItemAdapter(item)
        html = adapter.get(self.html_field)
        text = adapter.get(self.text_field)
        if not html and not isinstance(text, str):
            return item
        url = adapter.get(self.url_field)
        fetched_at = adapter.get(self.fetched_at_field) or datetime.now(UTC)
        doc_id = adapter.get(self.id_field) or url
        if html:
            records = self.cleaner.clean(html=html, doc_id=doc_id, url=url, fetched_at=fetched_at)
        else:
            records = self.cleaner.clean(text, doc_id=doc_id, url=url, fetched_at=fetched_at)
        if not records and self.drop_empty:
            raise DropItem(f"nothing left to keep after cleaning {url or doc_id}")
        main = records[0] if records and records[0].kind == "main" else None
        adapter[self.text_field] = main.text if main else ""
        adapter[self.records_field] = [record_item(r) for r in records]
        return item


def record_item(record: Record) -> dict[str, Any]:
    """A record as an item field: plain values every feed exporter writes (the time as ISO 8601 text)."""
    value = record.as_dict()
    value["published_at"] = record.published_at.isoformat() if record.published_at else None
    return value
