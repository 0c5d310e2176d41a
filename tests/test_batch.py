"""The batch job: every input format, compression, folders and globs, worker counts, splitting, resume."""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
import zstandard

from benchmarks.corpus import write_jsonl
from cleaner.cli import main
from cleaner.io.readers import ReadOptions, detect
from cleaner.run.plan import plan_shards
from tests.conftest import ROOT, SEEDS

SEED_ID = "000_5bf60654a78975c2"
SEED_TEXT = (SEEDS / f"{SEED_ID}.txt").read_text(encoding="utf-8")
KEY = ["doc_id", "record_index"]


def _run(inputs: list[Path | str], out: Path, *extra: str) -> dict:
    code = main(["clean", *map(str, inputs), "--out", str(out), "--quiet", *extra])
    assert code == 0
    return json.loads((out / "manifest.json").read_text())


def _records(out: Path) -> pl.DataFrame:
    return pl.read_parquet(out / "records" / "*.parquet").sort(KEY)


def _seed_records(cleaner_builtin) -> list[tuple]:
    return [(r.record_index, r.kind, r.source, r.published, r.title, r.text) for r in cleaner_builtin.clean(SEED_TEXT)]


def _as_tuples(frame: pl.DataFrame) -> list[tuple]:
    return list(frame.select("record_index", "kind", "source", "published", "title", "text").iter_rows())


def _warc_bytes(records: list[tuple[str, str, bytes, str]]) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    for url, content_type, payload, date in records:
        http = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        record = writer.create_warc_record(url, "response", payload=io.BytesIO(payload), http_headers=http,
                                           warc_headers_dict={"WARC-Date": date})
        writer.write_record(record)
    return buffer.getvalue()


def test_every_format_and_compression_gives_the_same_records(tmp_path, cleaner_builtin) -> None:
    data = tmp_path / "in"
    (data / "nested" / "deeper").mkdir(parents=True)
    line = json.dumps({"id": "j1", "text": SEED_TEXT, "url": "https://agg.example/1", "lang": "en"}) + "\n"
    (data / "a.jsonl").write_text(line)
    (data / "b.ndjson.gz").write_bytes(gzip.compress(line.replace('"j1"', '"j2"').encode()))
    (data / "nested" / "c.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(
        line.replace('"j1"', '"j3"').encode()))
    (data / "nested" / "deeper" / "d.txt.gz").write_bytes(gzip.compress(SEED_TEXT.encode()))
    (data / "nested" / "e.txt.zst").write_bytes(zstandard.ZstdCompressor().compress(SEED_TEXT.encode()))
    pl.DataFrame({"id": ["p1"], "text": [SEED_TEXT], "url": ["https://agg.example/p"]}).write_parquet(
        data / "f.parquet")
    (data / "g.warc.gz").write_bytes(_warc_bytes([("https://agg.example/w", "text/plain; charset=utf-8",
                                                   SEED_TEXT.encode(), "2025-08-15T12:00:00Z")]))
    html = (ROOT / "fixtures" / "html" / "aggregator_related_inside_article.html").read_bytes()
    (data / "h.warc.zst").write_bytes(zstandard.ZstdCompressor().compress(_warc_bytes(
        [("https://agg.example/h", "text/html; charset=utf-8", html, "2025-08-15T12:00:00Z")])))
    (data / "README").write_text("not an input: no known extension, skipped inside folders")
    (data / ".hidden.jsonl").write_text(line)
    manifest = _run([data], tmp_path / "out", "--workers", "1")
    frame = _records(tmp_path / "out")
    expected = _seed_records(cleaner_builtin)
    page = frame.filter(pl.col("url") == "https://agg.example/h")
    assert page["kind"].to_list() == ["main", "related", "related"]  # HTML inside a zstd WARC
    assert page["fetched_at"][0] == datetime(2025, 8, 15, 12, 0, tzinfo=UTC)
    doc_ids = sorted(set(frame["doc_id"]) - set(page["doc_id"]))
    assert len(doc_ids) == 7
    assert {"j1", "j2", "j3", "d", "e", "p1"} <= set(doc_ids)
    for doc_id in doc_ids:
        assert _as_tuples(frame.filter(pl.col("doc_id") == doc_id)) == expected, doc_id
    assert manifest["documents"] == {"read": 8, "with_records": 8, "empty": 0, "rejected": 0}
    assert len(manifest["files"]) == 8
    fields = frame.filter(pl.col("doc_id") == "j1")["fields"][0]
    assert json.loads(fields) == {"lang": "en"}


def test_format_detected_by_magic_bytes_and_overridable(tmp_path) -> None:
    disguised = tmp_path / "dump.bin"
    disguised.write_bytes(gzip.compress(b'{"id": "x", "text": "Title\\nBody."}\n'))
    assert detect(disguised) == ("jsonl", "gzip")
    named_wrong = tmp_path / "plain.txt.gz"
    named_wrong.write_text("Title\nBody.\n")
    assert detect(named_wrong) == ("text", None)
    assert detect(named_wrong, "jsonl") == ("jsonl", None)


def test_glob_inputs(tmp_path) -> None:
    for name in ("one", "two"):
        (tmp_path / f"{name}.txt").write_text(SEED_TEXT)
    (tmp_path / "three.md").write_text(SEED_TEXT)
    manifest = _run([str(tmp_path / "*.txt")], tmp_path / "out", "--workers", "1")
    assert manifest["documents"]["read"] == 2


def test_fetch_time_resolves_published_at(tmp_path) -> None:
    fetched = datetime(2025, 8, 15, 12, 0, tzinfo=UTC)
    (tmp_path / "in.jsonl").write_text(json.dumps({"id": "x", "text": SEED_TEXT, "fetched_at": fetched.isoformat()}))
    (tmp_path / "nofetch.jsonl").write_text(json.dumps({"id": "y", "text": SEED_TEXT}))
    _run([tmp_path / "in.jsonl", tmp_path / "nofetch.jsonl"], tmp_path / "out", "--workers", "1")
    frame = _records(tmp_path / "out")
    related = frame.filter((pl.col("doc_id") == "x") & (pl.col("kind") == "related"))
    assert related["published_at"].to_list() == [fetched - timedelta(hours=h) for h in (4, 6, 8)]
    assert frame.filter(pl.col("doc_id") == "y")["published_at"].null_count() == 4


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("corpus")
    return write_jsonl(folder / "corpus.jsonl", 3000, seed=11)


@pytest.mark.slow  # whole runs of a 3,000-document corpus: make test-slow and CI run it
def test_worker_count_does_not_change_output(tmp_path, corpus) -> None:
    one = _run([corpus["path"]], tmp_path / "one", "--workers", "1", "--shard-mb", "2")
    two = _run([corpus["path"]], tmp_path / "two", "--workers", "2", "--shard-mb", "2")
    assert one["shards"]["total"] > 3  # a single large file is split into shards
    assert _records(tmp_path / "one").equals(_records(tmp_path / "two"))
    parts = [sorted(p.name for p in (tmp_path / name / "records").glob("*.parquet")) for name in ("one", "two")]
    assert parts[0] == parts[1]
    assert one["records"] == two["records"] == corpus["records"]
    assert one["documents"]["read"] == corpus["documents"]


def test_split_file_reads_every_line_exactly_once(corpus) -> None:
    whole = plan_shards([corpus["path"]], ReadOptions(), shard_bytes=10**12)
    pieces = plan_shards([corpus["path"]], ReadOptions(), shard_bytes=100_000)
    assert len(whole) == 1 and len(pieces) > 20
    from cleaner.io.readers import Document, read_piece

    ids = [d.doc_id for shard in pieces for piece in shard.pieces for d in read_piece(piece, ReadOptions())
           if isinstance(d, Document)]
    assert len(ids) == len(set(ids)) == corpus["documents"]


@pytest.mark.slow  # whole runs of a 3,000-document corpus: make test-slow and CI run it
def test_part_files_roll_over_and_row_groups_are_large(tmp_path, corpus) -> None:
    _run([corpus["path"]], tmp_path / "out", "--workers", "1", "--part-mb", "4")
    parts = sorted((tmp_path / "out" / "records").glob("*.parquet"))
    assert len(parts) > 3
    assert all(not p.name.startswith(".") for p in parts)
    assert pl.read_parquet(tmp_path / "out" / "records" / "*.parquet").height == corpus["records"]


@pytest.mark.slow  # whole runs of a 3,000-document corpus: make test-slow and CI run it
def test_resume_after_kill_gives_exactly_the_uninterrupted_output(tmp_path, corpus) -> None:
    reference = tmp_path / "reference"
    _run([corpus["path"]], reference, "--workers", "1", "--shard-mb", "0.5")
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "cleaner.cli", "clean", corpus["path"], "--out", str(out), "--workers", "2",
               "--shard-mb", "0.5", "--quiet"]
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    markers = out / "_state" / "shards"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if markers.is_dir() and len(list(markers.glob("*.json"))) >= 3:
                break
            time.sleep(0.01)
        assert process.poll() is None, "the run finished before it could be killed; make the corpus larger"
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # kill -9 of the whole run: main process and workers
        process.wait()
    done_before = len(list(markers.glob("*.json")))
    total = json.loads((reference / "manifest.json").read_text())["shards"]["total"]
    assert 0 < done_before < total
    resumed = _run([corpus["path"]], out, "--workers", "2", "--shard-mb", "0.5")
    assert resumed["shards"]["resumed"] >= done_before
    assert _records(out).equals(_records(reference))
    assert not list((out / "records").glob(".*"))  # no temporary part left behind
    assert resumed["documents"] == json.loads((reference / "manifest.json").read_text())["documents"]


def test_resume_refuses_changed_settings(tmp_path, capsys) -> None:
    (tmp_path / "a.txt").write_text(SEED_TEXT)
    _run([tmp_path / "a.txt"], tmp_path / "out", "--workers", "1")
    assert main(["clean", str(tmp_path / "a.txt"), "--out", str(tmp_path / "out"), "--quiet",
                 "--disable", "AGG001"]) == 2
    assert "different settings" in capsys.readouterr().err
    _run([tmp_path / "a.txt"], tmp_path / "out", "--workers", "1", "--disable", "AGG001", "--overwrite")


@pytest.mark.slow  # cleans a 3,000-document corpus in one process: make test-slow and CI run it
def test_library_clean_many_is_lazy(corpus) -> None:
    import cleaner

    def texts():
        with open(corpus["path"], encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                yield record["text"], record["id"]

    stream = cleaner.Cleaner().clean_many(texts())
    assert sum(1 for _ in stream) == corpus["records"]


def _count_then_die(counter, documents: int) -> None:  # type: ignore[no-untyped-def]
    counter.claim()
    for _ in range(documents):
        counter.add(1, 10)
    os.kill(os.getpid(), signal.SIGKILL)


def test_live_counts_of_workers_add_up_and_stay_readable_after_a_kill() -> None:
    """Each worker counts in its own slot, without a lock a killed worker could leave held (the main
    process asking for the counts would then wait forever)."""
    import multiprocessing

    from cleaner.run.batch import _SharedCounter

    context = multiprocessing.get_context("spawn")
    counter = _SharedCounter(context.Array("q", _SharedCounter.CELLS * 4, lock=False))
    workers = [context.Process(target=_count_then_die, args=(counter, n)) for n in (7, 11)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == -signal.SIGKILL
    assert counter.counts() == (18, 180)
