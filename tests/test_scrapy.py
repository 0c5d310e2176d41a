"""A real Scrapy crawl through cleaner's item pipeline, against pages served on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytest.importorskip("scrapy", reason="the Scrapy pipeline's tests need Scrapy: pip install 'cleaner[scrapy]'")

import cleaner
from cleaner.integrations.scrapy import CleanerPipeline, record_item  # after the skip: it imports scrapy
from tests.conftest import HTML

FETCHED = "2025-08-15T12:00:00+00:00"
TEXT_PAGE = ("Harbour bank opens branch\nThe bank opened its first island branch on Friday.\n"
             "Sponsored by Harbour Bank\nIt will open on Saturdays too.\nTry Our AI Features\n\n"
             "Related Articles\n\nWire A\n2 hours ago\n- Wire A\nFerry fares to rise\nFares rise in October.\n"
             "Wire B\n3 days ago\n- Wire B\nStorm delays crossings\nThree ferries stayed in port.\n")
RULES = '''
[[rule]]
id = "TST001"
purpose = "a sponsor line only this test's site prints"
line = "Sponsored by Harbour Bank"
examples.junk = ["Sponsored by Harbour Bank"]
examples.keep = ["Sponsored by Harbour Bank, the new fund will pay for the pier."]
'''
SPIDER = '''
import sys

from scrapy import Spider
from scrapy.crawler import CrawlerProcess


class NewsSpider(Spider):
    name = "news"

    def __init__(self, start: str, **kwargs):
        super().__init__(**kwargs)
        self.start_urls = [start]

    def parse(self, response):
        if response.url.endswith("/"):
            yield from response.follow_all(css="a", callback=self.parse)
        elif response.url.endswith(".html"):
            yield {"url": response.url, "html": response.text, "fetched_at": FETCHED}
        else:
            yield {"url": response.url, "text": response.text, "fetched_at": FETCHED}


start, feed, rules = sys.argv[1:]
process = CrawlerProcess(settings={
    "ITEM_PIPELINES": {"cleaner.integrations.scrapy.CleanerPipeline": 300},
    "CLEANER_RULES": [rules],
    "CLEANER_DISABLE": ["AGG001"],
    "FEEDS": {feed: {"format": "jsonlines"}},
    "LOG_LEVEL": "WARNING",
    "TELNETCONSOLE_ENABLED": False,
    "ROBOTSTXT_OBEY": False,
})
process.crawl(NewsSpider, start=start)
process.start()
'''


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # one line per request would bury failures
        pass


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "site"
    root.mkdir()
    (root / "article.html").write_bytes((HTML / "aggregator_related_inside_article.html").read_bytes())
    (root / "bank.txt").write_text(TEXT_PAGE, encoding="utf-8")
    (root / "junk.txt").write_text("Advertisement\nComments\nNo comments yet...\n", encoding="utf-8")
    (root / "index.html").write_text('<a href="article.html">a</a> <a href="bank.txt">b</a> '
                                     '<a href="junk.txt">c</a>', encoding="utf-8")
    handler = partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_a_crawl_emits_the_cleaned_records(site: str, tmp_path: Path) -> None:
    rules = tmp_path / "site_rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    script = tmp_path / "crawl.py"
    script.write_text(f"FETCHED = {FETCHED!r}\n" + textwrap.dedent(SPIDER), encoding="utf-8")
    feed = tmp_path / "items.jsonl"
    subprocess.run([sys.executable, str(script), site, str(feed), str(rules)], check=True, timeout=300,
                   cwd=Path(__file__).resolve().parents[1])
    items = {item["url"].rsplit("/", 1)[1]: item for item in map(json.loads, feed.read_text().splitlines())}
    assert sorted(items) == ["article.html", "bank.txt"]  # junk.txt held nothing to keep: dropped

    bank = items["bank.txt"]
    assert bank["text"] == ("The bank opened its first island branch on Friday.\nIt will open on Saturdays too.\n"
                            "Try Our AI Features")  # TST001 from CLEANER_RULES removed; AGG001 disabled
    assert [(r["kind"], r["title"], r["source"], r["published"], r["published_at"]) for r in bank["records"]] == [
        ("main", "Harbour bank opens branch", None, None, None),
        ("related", "Ferry fares to rise", "Wire A", "2 hours ago", "2025-08-15T10:00:00+00:00"),
        ("related", "Storm delays crossings", "Wire B", "3 days ago", "2025-08-12T12:00:00+00:00")]
    assert [r["text"] for r in bank["records"][1:]] == ["Fares rise in October.", "Three ferries stayed in port."]
    assert all(r["doc_id"] == r["url"] == bank["url"] for r in bank["records"])

    article = items["article.html"]
    records = article["records"]
    assert [(r["kind"], r["source"], r["published"], r["published_at"]) for r in records] == [
        ("main", None, None, "2025-08-14T09:30:00+00:00"),  # the page's article:published_time
        ("related", "Harbour Times", "2 hours ago", "2025-08-15T10:00:00+00:00"),
        ("related", "Coast Radio", "5 hours ago", "2025-08-15T07:00:00+00:00")]
    assert article["text"] == records[0]["text"] and "Try Our AI Features" in article["text"].split("\n")
    assert "Comments" not in article["text"].split("\n") and "Ferry fares" not in article["text"]
    assert article["html"].startswith("<!")  # the source field is left as it was

    # Exactly what the library returns for the same page, rules and fetch time.
    library = cleaner.Cleaner(rules=[rules], disable=["AGG001"])
    pages = {"article.html": {"html": article["html"]}, "bank.txt": {"text": TEXT_PAGE}}
    for name, item in items.items():
        expected = library.clean(**pages[name], doc_id=item["url"], url=item["url"], fetched_at=FETCHED)
        assert item["records"] == [record_item(r) for r in expected], name


def test_pipeline_settings_and_items_without_a_page() -> None:
    from scrapy.exceptions import DropItem
    from scrapy.utils.test import get_crawler

    crawler = get_crawler(settings_dict={"CLEANER_TEXT_FIELD": "body", "CLEANER_RECORDS_FIELD": "articles",
                                         "CLEANER_OPTIONS": {"drop_comments": True}, "CLEANER_DROP_EMPTY": False})
    pipeline = CleanerPipeline.from_crawler(crawler)
    assert pipeline.cleaner.engine.options.drop_comments
    untouched = {"url": "https://example.com/", "title": "no page here"}
    assert pipeline.process_item(dict(untouched)) == untouched
    kept_empty = pipeline.process_item({"body": "Try Our AI Features\n", "fetched_at": datetime.now(UTC)})
    assert kept_empty["body"] == "" and kept_empty["articles"] == []
    with pytest.raises(DropItem):
        CleanerPipeline(pipeline.cleaner).process_item({"text": "Try Our AI Features\n"})
    with pytest.raises(ValueError, match="fetched_at"):
        pipeline.process_item({"body": TEXT_PAGE, "fetched_at": "last Tuesday"})
