"""cleaner.read_output: lazy frames over the parts finished shards committed, with the right schemas when empty."""

from __future__ import annotations

import json
import shutil

import polars as pl
import pytest

import cleaner
from cleaner.cli import main
from cleaner.io.writers import RECORD_SCHEMA, REJECT_SCHEMA, REMOVAL_SCHEMA
from tests.conftest import DUMPS, SEEDS


def _clean(out, *inputs, options=()) -> None:  # type: ignore[no-untyped-def]
    assert main(["clean", *map(str, inputs), "--out", str(out), "--workers", "1", "--quiet", *options]) == 0


def test_frames_hold_what_the_run_wrote(tmp_path) -> None:
    out = tmp_path / "out"
    _clean(out, SEEDS, DUMPS, options=["--removals", "--shard-mb", "0.01"])
    output = cleaner.read_output(out)
    assert all(isinstance(f, pl.LazyFrame) for f in (output.records, output.rejects, output.removals))
    assert output.manifest == json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    records = output.records.collect()
    assert records.height == output.manifest["records"] > 0
    assert records.sort("doc_id", "record_index").equals(
        pl.read_parquet(out / "records" / "*.parquet").sort("doc_id", "record_index"))
    rejects = output.rejects.collect()
    documents = output.manifest["documents"]
    assert rejects.height == documents["empty"] + documents["rejected"] > 0
    removals = output.removals.collect()
    assert removals.height == sum(output.manifest["rule_hits"].values()) > 0
    assert dict(removals.schema) == REMOVAL_SCHEMA
    assert records.filter(pl.col("kind") == "related").height > 0


def test_absent_tables_are_empty_frames_with_their_schema(tmp_path) -> None:
    (tmp_path / "in").mkdir()
    shutil.copy(SEEDS / "000_5bf60654a78975c2.txt", tmp_path / "in")
    out = tmp_path / "out"
    _clean(out, tmp_path / "in")  # no --removals, nothing rejected
    output = cleaner.read_output(out)
    assert output.removals.collect().height == 0 and dict(output.removals.collect_schema()) == REMOVAL_SCHEMA
    assert output.rejects.collect().height == 0 and dict(output.rejects.collect_schema()) == REJECT_SCHEMA
    assert dict(output.records.collect_schema()) == RECORD_SCHEMA
    assert output.records.select(pl.len()).collect().item() == output.manifest["records"]


def test_only_parts_named_by_completion_markers_are_read(tmp_path) -> None:
    out = tmp_path / "out"
    _clean(out, SEEDS)
    committed = cleaner.read_output(out).records.collect()
    # A shard killed before its marker leaves a part of its own: the next run redoes it, readers skip it.
    part = next((out / "records").glob("*.parquet"))
    shutil.copy(part, out / "records" / "0123456789abcdef-0000.parquet")
    assert cleaner.read_output(out).records.collect().equals(committed)
    # Before the manifest of a first run exists, the committed parts are readable and the manifest is {}.
    (out / "manifest.json").unlink()
    interrupted = cleaner.read_output(out)
    assert interrupted.manifest == {} and interrupted.records.collect().equals(committed)


def test_a_missing_part_or_a_folder_that_is_no_output_is_an_error(tmp_path) -> None:
    with pytest.raises(cleaner.OutputReadError, match="not a cleaner output folder"):
        cleaner.read_output(tmp_path)
    out = tmp_path / "out"
    _clean(out, SEEDS)
    next((out / "records").glob("*.parquet")).unlink()
    with pytest.raises(cleaner.OutputReadError, match="is missing; run the same"):
        cleaner.read_output(out)
