"""Library parity with the batch job: fetch times resolve "4 hours ago" into published_at the same way, and an
HTML page's stated date becomes its main record's published_at."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import polars as pl
import pytest

import cleaner
from cleaner.cli import main
from tests.conftest import HTML

FETCHED = datetime(2025, 8, 15, 12, 0, tzinfo=UTC)
TEXT = ("Ferry terminal opens\nThe terminal opened on Monday.\nTry Our AI Features\n\nRelated Articles\n\n"
        "Wire A\n2 hours ago\n- Wire A\nFirst headline\nFirst body.\n"
        "Wire B\n3 days ago\n- Wire B\nSecond headline\nSecond body.\n")


@pytest.mark.parametrize("fetched_at", [FETCHED, "2025-08-15T12:00:00Z", "2025-08-15T14:00:00+02:00",
                                        datetime(2025, 8, 15, 12, 0), "2025-08-15 12:00"])
def test_fetch_time_resolves_relative_times_in_utc(fetched_at) -> None:
    records = cleaner.clean(TEXT, fetched_at=fetched_at)
    assert [(r.kind, r.published, r.published_at) for r in records] == [
        ("main", None, None),
        ("related", "2 hours ago", datetime(2025, 8, 15, 10, 0, tzinfo=UTC)),
        ("related", "3 days ago", datetime(2025, 8, 12, 12, 0, tzinfo=UTC))]
    assert records[1].as_dict()["published_at"] == records[1].published_at


def test_without_a_fetch_time_nothing_is_resolved() -> None:
    records = cleaner.Cleaner().process(TEXT).records
    assert [r.published for r in records[1:]] == ["2 hours ago", "3 days ago"]
    assert all(r.published_at is None for r in records)


@pytest.mark.parametrize(("value", "error"), [("yesterday", ValueError), ("2025-13-01", ValueError),
                                              (1755259200, TypeError), (b"2025-08-15", TypeError)])
def test_a_fetch_time_that_is_not_a_time_is_an_error(value, error) -> None:
    with pytest.raises(error, match="fetched_at"):
        cleaner.clean(TEXT, fetched_at=value)


def test_html_main_record_takes_the_pages_stated_time() -> None:
    page = (HTML / "aggregator_related_inside_article.html").read_bytes()
    main_record, *related = cleaner.clean(html=page, fetched_at=FETCHED)
    # <meta property="article:published_time" content="2025-08-14T09:30:00Z">
    assert main_record.published_at == datetime(2025, 8, 14, 9, 30, tzinfo=UTC)
    assert [(r.published, r.published_at) for r in related] == [
        ("2 hours ago", FETCHED - timedelta(hours=2)), ("5 hours ago", FETCHED - timedelta(hours=5))]
    # The stated date needs no fetch time; the relative ones do.
    unfetched = cleaner.clean(html=page)
    assert unfetched[0].published_at == main_record.published_at
    assert all(r.published_at is None for r in unfetched[1:])


@pytest.mark.parametrize(("head", "expected"), [
    ('<meta name="pubdate" content="2024-03-01T23:30:00-05:00">', datetime(2024, 3, 2, 4, 30, tzinfo=UTC)),
    ('<meta name="date" content="2024-03-01">', datetime(2024, 3, 1, tzinfo=UTC)),
    ('<meta name="dc.date" content="published 2024-03-01, updated later">', datetime(2024, 3, 1, tzinfo=UTC)),
    ("", None),
])
def test_html_stated_time_in_utc_or_the_day_at_midnight(head: str, expected: datetime | None) -> None:
    body = "".join(f"<p>Paragraph {i} of the council story, long enough to be kept as text.</p>" for i in range(6))
    page = f"<html><head><title>Council story</title>{head}</head><body><article>{body}</article></body></html>"
    main_record = cleaner.clean(html=page, fetched_at=datetime(2024, 3, 5, tzinfo=timezone(timedelta(hours=1))))[0]
    assert main_record.published_at == expected


def test_batch_rows_hold_the_records_published_at(tmp_path) -> None:
    """The batch job writes what the library returns for the same document and fetch time."""
    (tmp_path / "in.jsonl").write_text(json.dumps({"id": "t", "text": TEXT, "fetched_at": "2025-08-15T12:00:00Z"}))
    page = HTML / "aggregator_related_inside_article.html"
    (tmp_path / "page.html").write_bytes(page.read_bytes())
    out = tmp_path / "out"
    assert main(["clean", str(tmp_path / "in.jsonl"), str(tmp_path / "page.html"), "--out", str(out),
                 "--workers", "1", "--quiet"]) == 0
    frame = pl.read_parquet(out / "records" / "*.parquet").sort("doc_id", "record_index")
    written = {doc_id: group["published_at"].to_list() for (doc_id,), group in frame.group_by("doc_id")}
    assert written == {
        "t": [r.published_at for r in cleaner.clean(TEXT, fetched_at=FETCHED)],
        "page": [r.published_at for r in cleaner.clean(html=page.read_bytes())],  # HTML files carry no fetch time
    }
    assert written["page"][0] == datetime(2025, 8, 14, 9, 30, tzinfo=UTC)
