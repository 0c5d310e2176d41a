"""The two real dumps must give exactly the records of gold.jsonl, through the library and the CLI."""

from __future__ import annotations

import polars as pl
import pytest

from cleaner.cli import main
from tests.conftest import SEEDS

FIELDS = ("kind", "source", "published", "title")


def _words(text: str) -> list[str]:
    return text.split()


def _assert_matches_gold(records: list[dict], expected: list[dict]) -> None:
    assert len(records) == len(expected)
    for index, (got, want) in enumerate(zip(records, expected, strict=True)):
        assert got["record_index"] == index
        assert {k: got[k] for k in FIELDS} == {k: want[k] for k in FIELDS}
        assert _words(got["text"]) == _words(want["text"]), f"text of record {index} differs"


@pytest.mark.parametrize("doc_id", ["000_5bf60654a78975c2", "001_e79dfb977574f8ce"])
def test_library_reproduces_gold(doc_id: str, gold, cleaner_builtin) -> None:
    text = (SEEDS / f"{doc_id}.txt").read_text(encoding="utf-8")
    records = [r.as_dict() for r in cleaner_builtin.clean(text, doc_id=doc_id)]
    assert all(r["doc_id"] == doc_id for r in records)
    _assert_matches_gold(records, gold[doc_id])


def test_cli_reproduces_gold_in_parquet(tmp_path, gold) -> None:
    assert main(["clean", str(SEEDS), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"]) == 0
    frame = pl.read_parquet(tmp_path / "out" / "records" / "*.parquet").sort("doc_id", "record_index")
    assert frame.schema["record_index"] == pl.Int32
    assert set(frame["doc_id"]) == set(gold)
    for doc_id, expected in gold.items():
        _assert_matches_gold(frame.filter(pl.col("doc_id") == doc_id).to_dicts(), expected)


@pytest.mark.parametrize("doc_id", ["000_5bf60654a78975c2", "001_e79dfb977574f8ce"])
def test_no_junk_line_survives(doc_id: str, cleaner_builtin) -> None:
    text = (SEEDS / f"{doc_id}.txt").read_text(encoding="utf-8")
    cleaned = cleaner_builtin.process(text, doc_id=doc_id)
    junk_lines = {r.text for r in cleaned.removals if r.rule_id != "AGG100" or r.text.startswith(("-", "Related"))}
    assert {"Try Our AI Features", "Comments", "No comments yet...", "Related Articles"} <= junk_lines
    for record in cleaned.records:
        kept = set(record.text.split("\n")) | {record.title}
        assert not kept & junk_lines
        assert "Read the original article" not in record.text


def test_syndication_notice_kept_as_metadata(cleaner_builtin) -> None:
    text = (SEEDS / "000_5bf60654a78975c2.txt").read_text(encoding="utf-8")
    main_record = cleaner_builtin.clean(text)[0]
    assert dict(main_record.metadata) == {"syndicated_from": "The Conversation", "license": "Creative Commons"}
