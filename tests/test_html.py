"""HTML through trafilatura: records of the same shape as the text path, rules applied after extraction."""

from __future__ import annotations

import json

import polars as pl

import cleaner
from cleaner.cli import main
from cleaner.io.html import HtmlOptions
from tests.conftest import HTML

JUNK = {"Try Our AI Features", "Explore what Daily8 AI can do for you:", "Comments", "No comments yet...",
        "Related Articles"}


def _html(name: str) -> bytes:
    return (HTML / f"{name}.html").read_bytes()


def _assert_no_junk(records) -> None:
    for record in records:
        assert not set(record.text.split("\n")) & JUNK, record


def test_related_block_inside_article_becomes_secondary_records() -> None:
    records = cleaner.clean(html=_html("aggregator_related_inside_article"), url="https://daily8.example/a")
    main_record, *related = records
    assert main_record.kind == "main" and main_record.title == "New ferry terminal to open in June"
    assert main_record.text.startswith("The harbour authority confirmed on Monday")
    assert "Ferry fares" not in main_record.text and "Harbour Times" not in main_record.text
    assert dict(main_record.metadata) == {"author": "Ana Silva", "date": "2025-08-14", "sitename": "Daily8"}
    assert [(r.kind, r.source, r.published, r.title) for r in related] == [
        ("related", "Harbour Times", "2 hours ago", "Ferry fares to rise in autumn"),
        ("related", "Coast Radio", "5 hours ago", "Storm delays morning crossings")]
    assert related[0].text.startswith("The operator said fares")  # the repeated title is gone
    assert all(r.url == "https://daily8.example/a" for r in records)
    _assert_no_junk(records)


def test_related_block_outside_article_leaves_the_main_text_clean() -> None:
    records = cleaner.clean(html=_html("aggregator_related_outside_article"))
    assert records[0].text == cleaner.clean(html=_html("aggregator_related_inside_article"))[0].text
    _assert_no_junk(records)


def test_comments_dropped_by_default_and_kept_on_request() -> None:
    page = _html("article_with_comments")
    assert [r.kind for r in cleaner.clean(html=page)] == ["main"]
    keeping = cleaner.Cleaner(html_options=HtmlOptions(include_comments=True))
    records = keeping.clean(html=page)
    assert [(r.kind, r.record_index) for r in records] == [("main", 0), ("comments", 1), ("comments", 2)]
    assert records[1].text.startswith("I take this ferry every week")  # one record per comment
    assert records[2].text.startswith("Two months late")
    assert "I take this ferry every week" not in records[0].text


def test_non_utf8_charset_is_decoded() -> None:
    record, = cleaner.clean(html=_html("windows_1252"))
    assert record.title == "Café owners fear the summer rules"
    assert "café owners’ association" in record.text and "2,000 €" in record.text and "José Núñez" in record.text


def test_broken_markup_still_gives_the_article() -> None:
    record, = cleaner.clean(html=_html("broken_markup"))
    assert record.text.startswith("The market hall reopened on Saturday")
    assert "The council will review the rents" in record.text
    assert "Advertisement" not in record.text.split("\n")


def test_pathological_pages_do_not_raise() -> None:
    for page in [b"", b"   ", b"<html><head><title>Unclosed title<body><p>text", b"\x00\x01\x02", b"<" * 10_000,
                 b"<div>" * 5_000 + b"deep" + b"</div>" * 5_000, "<p>str input, not bytes</p>"]:
        records = cleaner.clean(html=page)
        assert all(r.kind in ("main", "related") for r in records)


def test_cli_runs_html_through_the_same_pipeline(tmp_path) -> None:
    out = tmp_path / "out"
    assert main(["clean", str(HTML), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    pages = len(list(HTML.glob("*.html")))
    assert manifest["documents"]["read"] == pages and manifest["balanced"]
    frame = pl.read_parquet(out / "records" / "*.parquet")
    inside = frame.filter(pl.col("doc_id") == "aggregator_related_inside_article").sort("record_index")
    assert inside["kind"].to_list() == ["main", "related", "related"]
    assert json.loads(inside["metadata"][0])["sitename"] == "Daily8"


def test_full_metadata_uses_trafilaturas_metadata_pass() -> None:
    page = _html("aggregator_related_inside_article")
    rich = cleaner.Cleaner(html_options=HtmlOptions(full_metadata=True)).clean(html=page)[0]
    fast = cleaner.clean(html=page)[0]
    assert rich.text == fast.text and rich.title == fast.title
    assert rich.metadata["author"] == "Ana Silva" and rich.metadata["date"] == "2025-08-14"
    assert rich.metadata["sitename"] == "Daily8"
