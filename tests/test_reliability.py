"""Dirty input, faults and hostile documents: the run goes on, explains every failure, loses nothing."""

from __future__ import annotations

import errno
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
import zstandard

from benchmarks.corpus import generate, write_jsonl
from cleaner.cli import main
from cleaner.io.readers import Piece
from cleaner.run.plan import Shard
from cleaner.run.shard import JobSettings, process_shard
from tests.conftest import ROOT, SEEDS

SEED = (SEEDS / "000_5bf60654a78975c2.txt").read_text(encoding="utf-8")


def good_line(n: object) -> str:
    return json.dumps({"id": f"good-{n}", "text": SEED})


def _zero_stream_gz(path: Path, inflated_bytes: int) -> None:
    with gzip.open(path, "wb", compresslevel=9) as handle:
        chunk = b"\0" * (1 << 20)
        for _ in range(inflated_bytes >> 20):
            handle.write(chunk)


def _dirty_corpus(folder: Path) -> dict[str, dict]:
    """Bad inputs of every kind beside good documents; returns what each file must count."""
    folder.mkdir()
    expect: dict[str, dict] = {}

    def put(name: str, data: bytes, **counts: int) -> None:
        (folder / name).write_bytes(data)
        expect[name] = counts

    put("good.txt", SEED.encode(), read=1, with_records=1, rejected=0)
    put("latin1.txt", "Titre\nLe café était fermé à cause de la grève générale.\n".encode("latin-1"),
        read=1, with_records=1)
    put("invalid_utf8.txt", b"Title\nA line with a broken byte \xff\xfe here and more text after it.\n",
        read=1, with_records=1)
    put("image.txt", b"\x89PNG\r\n\x1a\n" + os.urandom(2000), read=1, rejected=1)
    put("empty.txt", b"", read=1, empty=1)
    put("all_junk.txt", b"Try Our AI Features\nComments\nNo comments yet...\n", read=1, empty=1)
    put("nul_and_control.txt", b"Title\nText with a NUL\x00 byte and a bell\x07 inside it.\n", read=1, with_records=1)
    lines = [good_line(1), "{not json", json.dumps({"id": "no-text", "body": "x"}),
             json.dumps({"id": "null-text", "text": None}), json.dumps([1, 2]), good_line(2),
             json.dumps({"id": "empty-doc", "text": ""}), good_line(3)]
    put("mixed.jsonl", ("\n".join(lines) + "\n").encode(), read=8, with_records=3, rejected=4, empty=1)
    varied = "".join(json.dumps(document) + "\n" for document, _ in generate(40, seed=9)).encode()
    whole = gzip.compress(varied)
    put("truncated.jsonl.gz", whole[: len(whole) * 9 // 10])
    zst = zstandard.ZstdCompressor().compress(varied)
    put("truncated.jsonl.zst", zst[: len(zst) * 9 // 10])
    put("broken.html", b"<html><body><div><p>unclosed" + b"<div>" * 3000 + b"</span>", read=1)
    return expect


def test_dirty_corpus_every_document_accounted_for(tmp_path) -> None:
    data = tmp_path / "dirty"
    expect = _dirty_corpus(data)
    _zero_stream_gz(data / "bomb.jsonl.gz", 200 << 20)
    big = data / "huge_line.jsonl"
    with open(big, "w") as handle:
        handle.write(json.dumps({"id": "huge", "text": "Title\n" + "word " * (10 << 20)}) + "\n")
        handle.write(good_line("after-huge") + "\n")
    out = tmp_path / "out"
    # The truncated streams lose data (their tails): the run says so with exit code 3.
    assert main(["clean", str(data), "--out", str(out), "--workers", "2", "--quiet", "--max-document-mb", "20"]) == 3
    manifest = json.loads((out / "manifest.json").read_text())
    files = {Path(p).name: c for p, c in manifest["files"].items()}
    assert set(files) == set(expect) | {"bomb.jsonl.gz", "huge_line.jsonl"}
    for name, counts in files.items():
        assert counts["balanced"], (name, counts)
        for key, value in expect.get(name, {}).items():
            assert counts[key] == value, (name, key, counts)
    # A truncated stream keeps the documents before the cut; the damaged range is one reject, and the line
    # the cut went through (when it went through one) another.
    for name in ("truncated.jsonl.gz", "truncated.jsonl.zst"):
        assert 1 <= files[name]["rejected"] <= 2 and 1 <= files[name]["with_records"] < 40, files[name]
        assert files[name]["damaged_ranges"] == 1 and files[name]["damaged_bytes"] > 0, files[name]
    assert files["bomb.jsonl.gz"]["rejected"] == 1
    assert files["huge_line.jsonl"] == {"read": 2, "with_records": 1, "empty": 0, "rejected": 1, "records": 4,
                                        "damaged_ranges": 0, "damaged_bytes": 0, "balanced": True}
    assert manifest["balanced"] and manifest["complete"] and manifest["data_lost"]
    assert manifest["damaged"]["ranges"] == 2
    rejects = pl.read_parquet(out / "rejects" / "*.parquet")
    reasons = " | ".join(rejects["reason"].to_list())
    for expected in ("malformed JSON", "text field 'text' is missing", "binary content", "decompression bomb",
                     "compressed stream is truncated", "line longer than", "not an object", "nothing left to keep"):
        assert expected in reasons, expected
    records = pl.read_parquet(out / "records" / "*.parquet")
    good = records.filter(pl.col("doc_id").str.starts_with("good-"))
    reference = records.filter(pl.col("doc_id") == "good").drop("doc_id", "input_path", "input_position", "fields")
    for doc_id in set(good["doc_id"]):
        assert good.filter(pl.col("doc_id") == doc_id).drop(
            "doc_id", "input_path", "input_position", "fields").sort("record_index").equals(
            reference.sort("record_index")), doc_id
    latin = records.filter(pl.col("doc_id") == "latin1")
    assert "Le café était fermé" in latin["text"][0]
    notes = json.loads(records.filter(pl.col("doc_id") == "invalid_utf8")["fields"][0])
    assert notes.get("decode_errors") or notes.get("encoding")
    nul = records.filter(pl.col("doc_id") == "nul_and_control")
    assert "\x00" not in nul["text"][0] and json.loads(nul["fields"][0])["control_chars_removed"] == 2


def test_file_that_disappears_is_rejected_not_fatal(tmp_path) -> None:
    present = tmp_path / "present.txt"
    present.write_text(SEED)
    shard = Shard("deadbeefdeadbeef", (Piece(str(tmp_path / "gone.txt")), Piece(str(present))), 1)
    report = process_shard(shard, JobSettings(out=str(tmp_path / "out")))
    gone = report.files[str(tmp_path / "gone.txt")]
    assert (gone.read, gone.rejected) == (1, 1)
    assert report.files[str(present)].with_records == 1
    rejects = pl.read_parquet(tmp_path / "out" / "rejects" / "*.parquet")
    assert "disappeared" in rejects["reason"][0]


def test_document_ids_cannot_escape_the_output_folder(tmp_path) -> None:
    data = tmp_path / "in.jsonl"
    data.write_text(json.dumps({"id": "../../../../escaped", "text": SEED}) + "\n")
    out = tmp_path / "deep" / "out"
    assert main(["clean", str(data), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    written = {p.resolve() for p in tmp_path.rglob("*") if p.is_file()}
    assert all(out.resolve() in p.parents or p == data.resolve() for p in written)
    assert pl.read_parquet(out / "records" / "*.parquet")["doc_id"][0] == "../../../../escaped"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict:
    return write_jsonl(tmp_path_factory.mktemp("faults") / "corpus.jsonl", 2500, seed=3)


def _records(out: Path) -> pl.DataFrame:
    return pl.read_parquet(out / "records" / "*.parquet").sort("doc_id", "record_index")


def _wait_for_markers(out: Path, count: int, process: subprocess.Popen) -> None:
    markers = out / "_state" / "shards"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if markers.is_dir() and len(list(markers.glob("*.json"))) >= count:
            return
        time.sleep(0.01)
    raise AssertionError("the run ended before the fault could be injected")


@contextmanager
def _reaped(process: subprocess.Popen) -> Iterator[None]:
    """Whatever happens in the test, no process of the run outlives it."""
    try:
        yield
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _run_in_background(corpus: dict, out: Path, *extra: str) -> subprocess.Popen:
    """The CLI on the shared corpus with two workers, in its own session, as a user would start it."""
    command = [sys.executable, "-m", "cleaner.cli", "clean", corpus["path"], "--out", str(out), "--workers", "2",
               "--shard-mb", "0.5", *extra]
    return subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _worker_pids(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children]


@pytest.mark.slow  # kills and resumes multi-worker runs: make test-slow and CI run it
def test_killed_worker_is_reported_and_resume_completes(tmp_path, corpus) -> None:
    reference = tmp_path / "reference"
    assert main(["clean", corpus["path"], "--out", str(reference), "--workers", "1", "--quiet",
                 "--shard-mb", "0.5"]) == 0
    out = tmp_path / "out"
    process = _run_in_background(corpus, out, "--quiet")
    with _reaped(process):
        _wait_for_markers(out, 2, process)
        workers = [p for p in _worker_pids(process.pid)
                   if "spawn_main" in Path(f"/proc/{p}/cmdline").read_text(errors="replace")]
        assert workers, "no worker process found"
        os.kill(workers[0], signal.SIGKILL)
        _, stderr = process.communicate(timeout=120)
    assert process.returncode == 1
    assert "worker process died" in stderr and "run the same command again" in stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert not manifest["complete"] and manifest["shards"]["failed"] >= 1
    assert main(["clean", corpus["path"], "--out", str(out), "--workers", "2", "--quiet", "--shard-mb", "0.5"]) == 0
    assert _records(out).equals(_records(reference))


@pytest.mark.slow  # kills and resumes multi-worker runs: make test-slow and CI run it
def test_ctrl_c_stops_cleanly_and_resumes(tmp_path, corpus) -> None:
    out = tmp_path / "out"
    process = _run_in_background(corpus, out)
    with _reaped(process):
        _wait_for_markers(out, 2, process)
        os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C sends: the whole foreground group
        _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "resumed by running the same command again" in stderr
    assert not list((out / "records").glob(".*.tmp"))
    assert main(["clean", corpus["path"], "--out", str(out), "--workers", "2", "--quiet", "--shard-mb", "0.5"]) == 0
    frame = _records(out)
    assert frame.height == corpus["records"]
    assert frame.select("doc_id", "record_index").n_unique() == frame.height


def test_disk_full_leaves_no_finished_looking_part(tmp_path, corpus, monkeypatch, capsys) -> None:
    original = pl.DataFrame.write_parquet
    calls = {"n": 0}

    def failing(self, file, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            Path(file).write_bytes(b"PAR1 half a file")
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, file, *args, **kwargs)

    monkeypatch.setattr(pl.DataFrame, "write_parquet", failing)
    out = tmp_path / "out"
    code = main(["clean", corpus["path"], "--out", str(out), "--workers", "1", "--shard-mb", "0.5"])
    assert code == 1
    assert "No space left on device" in capsys.readouterr().err
    for part in (out / "records").glob("*"):
        assert not part.name.startswith("."), "a temporary part was left behind"
        pl.read_parquet(part)  # every part that carries a final name is complete
    monkeypatch.setattr(pl.DataFrame, "write_parquet", original)
    assert main(["clean", corpus["path"], "--out", str(out), "--workers", "1", "--quiet", "--shard-mb", "0.5"]) == 0
    assert _records(out).height == corpus["records"]


@pytest.mark.slow  # starts a local Ray cluster: make test-slow and CI run it
def test_ray_executor_gives_the_same_output(tmp_path, corpus) -> None:
    pytest.importorskip("ray", reason="the Ray executor's tests need Ray: pip install 'cleaner[ray]'")
    local, distributed = tmp_path / "local", tmp_path / "ray"
    assert main(["clean", corpus["path"], "--out", str(local), "--workers", "1", "--quiet", "--shard-mb", "2",
                 "--dedup"]) == 0
    assert main(["clean", corpus["path"], "--out", str(distributed), "--executor", "ray", "--workers", "2",
                 "--quiet", "--shard-mb", "2", "--dedup"]) == 0
    assert _records(local).equals(_records(distributed))
    assert json.loads((distributed / "manifest.json").read_text())["balanced"]
    # Signatures are computed in the Ray tasks; the clusters they give are the same as a local run's.
    assert "dup_cluster" in _records(distributed).columns
    assert json.loads((local / "dedup.json").read_text()) == json.loads((distributed / "dedup.json").read_text())


def test_a_document_that_cannot_be_written_is_one_reject_not_a_lost_shard(tmp_path, monkeypatch) -> None:
    # A lone surrogate in an id once failed the whole shard at Parquet time, on every rerun. An id names the
    # document and is written escaped; text that cannot be encoded makes that one document a reject.
    import cleaner.core.engine as engine_module

    lines = [json.dumps({"id": f"d{i}", "text": f"Title\nBody of story {i}."}) for i in range(200)]
    lines.insert(100, '{"id": "\\ud800", "text": "Title\\nBody."}')
    lines.insert(50, json.dumps({"id": "poisoned", "text": "Title\nBody of the poisoned story."}))
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    real_process = engine_module.Engine.process

    def process(self, text, **kwargs):  # type: ignore[no-untyped-def]
        cleaned = real_process(self, text, **kwargs)
        if kwargs.get("doc_id") == "poisoned":  # text no reader lets through, as a bug upstream could make
            return replace(cleaned, records=tuple(r._replace(text=r.text + "\ud800") for r in cleaned.records))
        return cleaned

    monkeypatch.setattr(engine_module.Engine, "process", process)
    assert main(["clean", str(source), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"]) == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["documents"] == {"read": 202, "with_records": 201, "empty": 0, "rejected": 1}
    rejects = pl.read_parquet(tmp_path / "out" / "rejects" / "*.parquet")
    assert rejects["doc_id"].to_list() == ["poisoned"] and "UTF-8" in rejects["reason"][0]
    assert "\\ud800" in pl.read_parquet(tmp_path / "out" / "records" / "*.parquet")["doc_id"].to_list()


@pytest.mark.parametrize("step", ["clean", "row", "read"])
def test_a_failure_at_any_step_of_one_document_is_counted_and_the_shard_goes_on(tmp_path, monkeypatch,
                                                                              step) -> None:
    import cleaner.run.shard as shard_module

    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": f"d{i}", "text": f"Title {i}\nBody {i}."}) + "\n"
                              for i in range(20)), encoding="utf-8")
    if step == "clean":
        from cleaner.core.engine import Engine

        real_engine = Engine.process

        def process(self, text, **kwargs):  # type: ignore[no-untyped-def]
            if kwargs.get("doc_id") == "d7":
                raise RuntimeError("injected")
            return real_engine(self, text, **kwargs)

        monkeypatch.setattr(Engine, "process", process)
    if step == "row":
        real_row = shard_module.record_values

        def record_values(record, document, at):  # type: ignore[no-untyped-def]
            if document.doc_id == "d7":
                raise ValueError("injected")
            return real_row(record, document, at)

        monkeypatch.setattr(shard_module, "record_values", record_values)
    if step == "read":
        real_read = shard_module.read_piece

        def read_piece(piece, options):  # type: ignore[no-untyped-def]
            for number, item in enumerate(real_read(piece, options)):
                if number == 15:
                    raise OSError("injected")
                yield item

        monkeypatch.setattr(shard_module, "read_piece", read_piece)
    report = process_shard(Shard("k", (Piece(str(source)),), source.stat().st_size),
                           JobSettings(out=str(tmp_path / "out")))
    counts = report.files[str(source)]
    assert counts.read == counts.with_records + counts.empty + counts.rejected
    assert counts.rejected == 1
    assert counts.with_records == (15 if step == "read" else 19)
    reasons = pl.read_parquet(tmp_path / "out" / "rejects" / "*.parquet")["reason"].to_list()
    assert len(reasons) == 1 and "injected" in reasons[0]


def test_a_document_past_its_time_budget_is_a_reject_with_the_reason(tmp_path) -> None:
    import cleaner
    from cleaner.core.engine import Options

    slow = "Title\n" + "A line of the story that goes on and on.\n" * 5000
    with pytest.raises(cleaner.DocumentTooSlow, match="not cleaned within"):
        cleaner.Cleaner(options=Options(time_budget=1e-9)).engine.process(slow, doc_id="big")
    assert cleaner.Cleaner(options=Options(time_budget=None)).engine.process(slow).records  # no bound: cleaned

    # In a run, a budget of 10 ms of CPU for a document of up to 4 MiB: the big one (3.9 MB of lines) needs far
    # more at any speed the engine aims at, while a tiny one needs some 50 us once the line matcher's lazy
    # automaton has the states its lines lead to. (With a 1 ms budget the tiny document, the first of its shape,
    # was rejected: building those states took it 1-2 ms of CPU.)
    big = "Title\n" + "A line of the story that goes on and on.\n" * 95_000
    assert len(big.encode()) < 4 * 1024 * 1024
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "big", "text": big}) + "\n" + json.dumps({"id": "small", "text": "T\nB."})
                      + "\n", encoding="utf-8")
    assert main(["clean", str(source), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet",
                 "--time-budget", "0.01"]) == 0
    rejects = pl.read_parquet(tmp_path / "out" / "rejects" / "*.parquet")
    assert rejects["doc_id"].to_list() == ["big"] and "DocumentTooSlow" in rejects["reason"][0]
    assert pl.read_parquet(tmp_path / "out" / "records" / "*.parquet")["doc_id"].to_list() == ["small"]


@pytest.mark.parametrize("kind", ["trailing-bytes", "bz2", "xz", "zstd-skippable-frame"])
def test_every_common_compression_is_read_and_what_cannot_be_decoded_is_counted(tmp_path, kind) -> None:
    import bz2
    import lzma
    import struct

    lines = "".join(json.dumps({"id": f"d{i}", "text": f"Title {i}\nBody of story {i}."}) + "\n"
                    for i in range(300)).encode()
    name, data = {
        # `gzip -t` accepts bytes after the stream; they once cost every document decoded in the same read.
        "trailing-bytes": ("in.jsonl.gz", gzip.compress(lines) + b"not a gzip member"),
        "bz2": ("in.jsonl.bz2", bz2.compress(lines)),
        "xz": ("in.jsonl.xz", lzma.compress(lines)),
        # pzstd and the seekable format start with a skippable frame; it was read as raw bytes.
        "zstd-skippable-frame": ("in.jsonl.zst", struct.pack("<II", 0x184D2A50, 4) + b"skip"
                                 + zstandard.ZstdCompressor().compress(lines)),
    }[kind]
    source = tmp_path / name
    source.write_bytes(data)
    # Bytes after the last member are no data cleaner can read: a damaged range, counted, exit code 3.
    assert main(["clean", str(source), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"]) == \
        (3 if kind == "trailing-bytes" else 0)
    documents = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))["documents"]
    assert documents["with_records"] == 300
    assert documents["rejected"] == (1 if kind == "trailing-bytes" else 0)
    assert documents["read"] == documents["with_records"] + documents["empty"] + documents["rejected"]


@pytest.mark.parametrize("damage", ["deleted", "truncated", "replaced"])
def test_a_resume_redoes_a_finished_shard_whose_part_is_gone_or_changed(tmp_path, damage) -> None:
    source = tmp_path / "in.jsonl"
    write_jsonl(source, 600, seed=3)
    out = tmp_path / "out"
    arguments = ["clean", str(source), "--out", str(out), "--workers", "1", "--quiet", "--shard-mb", "0.1"]
    assert main(arguments) == 0
    whole = pl.read_parquet(out / "records" / "*.parquet").sort("doc_id", "record_index")
    part = sorted((out / "records").glob("*.parquet"))[1]
    if damage == "deleted":
        part.unlink()
    elif damage == "truncated":
        part.write_bytes(part.read_bytes()[:100])
    else:
        other = sorted((out / "records").glob("*.parquet"))[0]
        part.write_bytes(other.read_bytes())  # a valid Parquet file, but not the one the marker names
    assert main(arguments) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["shards"]["resumed"] == manifest["shards"]["total"] - 1  # only the damaged shard was redone
    again = pl.read_parquet(out / "records" / "*.parquet").sort("doc_id", "record_index")
    assert again.equals(whole)


def test_overwrite_removes_the_markers_before_the_data(tmp_path, monkeypatch) -> None:
    # A kill between the two deletions must leave data without markers (redone), never markers without data.
    # Every deletion of every file system passes through the storage layer's DataFolder.delete.
    from cleaner.io.storage import DataFolder

    source = tmp_path / "in.jsonl"
    write_jsonl(source, 200, seed=4)
    out = tmp_path / "out"
    arguments = ["clean", str(source), "--out", str(out), "--workers", "1", "--quiet"]
    assert main(arguments) == 0
    whole = pl.read_parquet(out / "records" / "*.parquet").sort("doc_id", "record_index")
    deleted: list[str] = []
    real_delete = DataFolder.delete

    def delete(self, names):  # type: ignore[no-untyped-def]
        if any(name.startswith("records/") for name in names):
            raise KeyboardInterrupt  # the kill, after the state went and before the records did
        deleted.extend(name.split("/", 1)[0] for name in names)
        return real_delete(self, names)

    monkeypatch.setattr(DataFolder, "delete", delete)
    assert main([*arguments, "--overwrite"]) == 130  # interrupted
    monkeypatch.setattr(DataFolder, "delete", real_delete)
    assert deleted and deleted[0] == "_state"
    assert not (out / "_state").exists() and any((out / "records").glob("*.parquet"))
    assert main(arguments) == 0
    assert pl.read_parquet(out / "records" / "*.parquet").sort("doc_id", "record_index").equals(whole)


@pytest.mark.parametrize("codec", ["zstd", "bz2", "xz", "gzip"])
def test_a_compression_bomb_is_stopped_before_it_is_held_in_memory(tmp_path, codec) -> None:
    # One ordinary read of a bomb once returned everything it inflated to (2 GiB from 1 MiB of zstd) before
    # the limit was checked. Output is now bounded per step: memory stays near the limit, not the bomb.
    import bz2
    import lzma
    import tracemalloc
    import zlib

    from cleaner.io.readers import ReadOptions, Rejected, read_piece

    inflated_mib = {"zstd": 1024, "bz2": 64, "xz": 256, "gzip": 128}[codec]
    compressor = {"zstd": lambda: zstandard.ZstdCompressor().compressobj(), "bz2": bz2.BZ2Compressor,
                  "xz": lambda: lzma.LZMACompressor(preset=0),
                  "gzip": lambda: zlib.compressobj(9, zlib.DEFLATED, 31)}[codec]()
    zeros = bytes(1 << 20)
    bomb = tmp_path / f"bomb.jsonl.{ {'zstd': 'zst', 'gzip': 'gz'}.get(codec, codec) }"
    bomb.write_bytes(b"".join(compressor.compress(zeros) for _ in range(inflated_mib)) + compressor.flush())
    options = ReadOptions(format="jsonl", inflate_slack=4 << 20)
    limit = bomb.stat().st_size * options.max_inflate_ratio + options.inflate_slack
    tracemalloc.start()
    try:
        results = list(read_piece(Piece(str(bomb)), options))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(results) == 1 and isinstance(results[0], Rejected), results
    assert "decompression bomb" in results[0].reason
    assert peak < limit + (48 << 20), (peak, limit)


def test_an_html_page_past_the_element_bound_is_a_reject_not_minutes_of_extraction(tmp_path) -> None:
    # 100,000 small paragraphs once took 33 s inside trafilatura (its time grows about quadratically).
    import cleaner

    source = tmp_path / "pages"
    source.mkdir()
    paragraphs = "".join(f"<p>Paragraph {i}.</p>" for i in range(100_000))
    huge = f"<html><body><article>{paragraphs}</article></body></html>"
    (source / "huge.html").write_text(huge, encoding="utf-8")
    (source / "fine.html").write_text("<html><body><article><h1>Title</h1><p>" + "A real sentence of the story. " * 30
                                      + "</p></article></body></html>", encoding="utf-8")
    started = time.perf_counter()
    assert main(["clean", str(source), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet",
                 "--max-html-elements", "20000"]) == 0
    print(f"run with a 100,000-paragraph page: {time.perf_counter() - started:.1f} s")
    rejects = pl.read_parquet(tmp_path / "out" / "rejects" / "*.parquet")
    assert rejects["doc_id"].to_list() == ["huge"]
    assert "PageTooLarge" in rejects["reason"][0] and "20000-element limit" in rejects["reason"][0]
    assert pl.read_parquet(tmp_path / "out" / "records" / "*.parquet")["doc_id"].to_list() == ["fine"]
    with pytest.raises(cleaner.PageTooLarge, match="elements"):
        cleaner.Cleaner(html_options=cleaner.HtmlOptions(max_elements=50)).clean(html=huge[:5000])


def test_parquet_rows_meet_the_same_limits_and_clean_up_as_json_lines(tmp_path) -> None:
    source = tmp_path / "in"
    source.mkdir()
    story = "Title\n" + "A sentence of the story, long enough to count as content. " * 5
    pl.DataFrame({"id": ["plain", "controls", "big", "null"],
                  "text": [story, story.replace("story", "st\x00o\x1bry"), story * 400, None]}
                 ).write_parquet(source / "strings.parquet")
    pl.DataFrame({"id": ["latin1", "image"], "text": [story.replace("story", "café").encode("latin-1"),
                                                      b"\x89PNG\r\n\x1a\n" + bytes(200)]},
                 schema={"id": pl.String, "text": pl.Binary}).write_parquet(source / "bytes.parquet")
    out = tmp_path / "out"
    assert main(["clean", str(source), "--out", str(out), "--workers", "1", "--quiet",
                 "--max-document-mb", "0.1"]) == 0
    records = pl.read_parquet(out / "records" / "*.parquet")
    texts = dict(zip(records["doc_id"], records["text"], strict=True))
    assert set(texts) == {"plain", "controls", "latin1"}
    assert "\x00" not in texts["controls"] and "\x1b" not in texts["controls"] and "story" in texts["controls"]
    assert "café" in texts["latin1"]
    reasons = dict(zip(*pl.read_parquet(out / "rejects" / "*.parquet")[["doc_id", "reason"]], strict=True))
    assert set(reasons) == {"big", "null", "image"}
    assert "byte limit" in reasons["big"] and "is null" in reasons["null"] and "binary content" in reasons["image"]


def test_a_corrupt_parquet_file_keeps_the_rows_before_the_damage_and_counts_the_rest(tmp_path) -> None:
    source = tmp_path / "in.parquet"
    story = "Title\n" + "A sentence of the story, long enough to count as content. " * 5
    frame = pl.DataFrame({"id": [f"d{i}" for i in range(30_000)], "text": [f"{story} {i}" for i in range(30_000)]})
    frame.write_parquet(source, row_group_size=10_000, compression="uncompressed")
    data = bytearray(source.read_bytes())
    middle = len(data) * 2 // 3  # inside the last row group's pages
    data[middle:middle + 4096] = os.urandom(4096)
    source.write_bytes(bytes(data))
    out = tmp_path / "out"
    assert main(["clean", str(source), "--out", str(out), "--workers", "1", "--quiet"]) == 3  # data lost
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["complete"] and manifest["balanced"], manifest
    assert manifest["documents"]["with_records"] >= 20_000  # the row groups the damage did not touch
    assert manifest["damaged"]["ranges"] >= 1
    reasons = pl.read_parquet(out / "rejects" / "*.parquet")["reason"].to_list()
    assert any(reason.startswith("damaged data skipped: row group") for reason in reasons), reasons


@pytest.mark.slow  # kills and resumes multi-worker runs: make test-slow and CI run it
def test_a_killed_main_process_takes_its_workers_and_resource_tracker_with_it(tmp_path, corpus) -> None:
    out = tmp_path / "out"
    process = _run_in_background(corpus, out, "--quiet")
    with _reaped(process):
        _wait_for_markers(out, 1, process)
        children = _worker_pids(process.pid)
        assert len(children) >= 2, children  # the workers and multiprocessing's resource tracker
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() and not _zombie(pid)
                                                   for pid in children):
            time.sleep(0.05)
        alive = [pid for pid in children if Path(f"/proc/{pid}").exists() and not _zombie(pid)]
        assert not alive, [Path(f"/proc/{pid}/cmdline").read_text(errors="replace") for pid in alive]
    # The lock went with the process: a rerun resumes and completes.
    assert main(["clean", corpus["path"], "--out", str(out), "--workers", "2", "--quiet", "--shard-mb", "0.5"]) == 0
    assert _records(out).height == corpus["records"]


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def test_a_second_run_into_the_same_output_is_refused(tmp_path, capsys) -> None:
    import fcntl

    source = tmp_path / "in.jsonl"
    write_jsonl(source, 20, seed=5)
    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".cleaner.lock", "a+", encoding="utf-8") as held:  # what a running job holds
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("pid 4242 on elsewhere\n")
        held.flush()
        assert main(["clean", str(source), "--out", str(out), "--workers", "1", "--quiet"]) == 2
        assert "being written by another cleaner run (pid 4242 on elsewhere)" in capsys.readouterr().err
        assert not (out / "records").exists()
    assert main(["clean", str(source), "--out", str(out), "--workers", "1", "--quiet"]) == 0


@pytest.mark.parametrize("out", ["/dev/null/out", "/proc/version/out"])
def test_an_output_folder_that_cannot_be_written_is_a_message_not_a_traceback(tmp_path, capsys, out) -> None:
    source = tmp_path / "in.jsonl"
    write_jsonl(source, 5, seed=5)
    assert main(["clean", str(source), "--out", out, "--workers", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "cannot be written" in err and "Traceback" not in err


def test_an_earlier_output_inside_the_input_folder_is_not_read_as_input(tmp_path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    write_jsonl(data / "in.jsonl", 50, seed=6)
    first = ["clean", str(data), "--out", str(data / "cleaned"), "--workers", "1", "--quiet"]
    assert main(first) == 0
    assert main(["clean", str(data), "--out", str(tmp_path / "second"), "--workers", "1", "--quiet"]) == 0
    manifest = json.loads((tmp_path / "second" / "manifest.json").read_text(encoding="utf-8"))
    assert list(manifest["files"]) == [str((data / "in.jsonl").resolve())]
    assert _records(tmp_path / "second").equals(_records(data / "cleaned"))


@pytest.mark.parametrize(("shards", "every"), [pytest.param(2, 3, id="2-shards-every-third-change"),
                                               pytest.param(6, 1, id="6-shards", marks=pytest.mark.slow)])
def test_a_kill_at_every_deletion_and_rename_of_an_overwrite_run_then_a_resume_gives_the_full_output(
        tmp_path, shards, every) -> None:
    # Every file-system change of the run (the deletions of the old output, each part's and marker's rename)
    # is a place a kill can land; each one is tried (every third one in the default run, the first included),
    # then a plain rerun must give the uninterrupted output.
    source = tmp_path / "in.jsonl"
    write_jsonl(source, 40 * shards, seed=8)
    shard_mb = source.stat().st_size / shards / 1e6 * 1.01
    # One small rule file instead of the built-in library: the run is about files, and each of the many runs
    # here then starts in a fraction of the time.
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rule]]\nid = "KIL001"\npurpose = "test"\nline = "Try Our AI Features"\n'
                     'examples.junk = ["Try Our AI Features"]\nexamples.keep = ["Our features"]\n', encoding="utf-8")
    arguments = ["clean", str(source), "--workers", "1", "--quiet", "--shard-mb", f"{shard_mb:.4f}", "--removals",
                 "--no-builtin-rules", "--rules", str(rules)]
    reference = tmp_path / "reference"
    assert main([*arguments, "--out", str(reference)]) == 0
    expected = _records(reference)

    def overwrite(out: Path, kill_at: int) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(ROOT / "tests" / "_kill_at.py"), str(kill_at), *arguments,
                               "--out", str(out), "--overwrite"], cwd=ROOT, capture_output=True, text=True,
                              timeout=300)

    counted = overwrite(reference, 0)  # an uninterrupted overwrite of a finished run: how many changes it makes
    assert counted.returncode == 0, counted.stderr
    changes = int(counted.stdout.split("file-system changes: ")[1])
    assert changes >= 10
    for kill_at in range(1, changes + 1, every):
        out = tmp_path / f"out-{kill_at}"
        shutil.copytree(reference, out)
        killed = overwrite(out, kill_at)
        assert killed.returncode == -signal.SIGKILL, (kill_at, killed.stderr)
        assert main([*arguments, "--out", str(out)]) == 0, kill_at
        assert _records(out).equals(expected), kill_at
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["complete"] and manifest["balanced"], (kill_at, manifest)
        assert manifest["records"] == expected.height, kill_at
        shutil.rmtree(out)
    print(f"killed at {len(range(1, changes + 1, every))} of the {changes} deletions and renames of an --overwrite "
          "run; every resume complete")


def test_hostile_values_cost_at_most_their_own_document_and_the_output_reads_back(tmp_path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    story = "Title\n" + "A sentence of the story that is long enough to keep. " * 5
    hostile = [
        '{"id": "deep", "text": "T\\nB", "meta": ' + "[" * 50_000 + "]" * 50_000 + "}",  # RecursionError
        json.dumps({"id": "late", "text": story, "fetched_at": "9999-12-31T23:59:59-14:00"}),  # year 10000 in UTC
        json.dumps({"id": "early", "text": story, "fetched_at": "0001-01-01T00:00:00+14:00"}),
        json.dumps({"id": "ago", "text": "3 days ago\n" + story, "fetched_at": "0001-01-02T00:00:00Z"}),
        json.dumps({"id": "huge-epoch", "text": story, "timestamp": 1e20}),
        json.dumps({"id": "\ud800x", "text": story, "url": "\udfff"}),  # lone surrogates in identifiers
        json.dumps({"id": "keys", "text": story, "\ud800": 1, "": 2}),
        '{"id": "nan", "text": "T\\nB", "x": NaN, "y": Infinity}',
        json.dumps({"id": "big-number", "text": story, "n": 10**400}),
    ]
    lines = [good_line(i) for i in range(20)] + hostile + [good_line(i) for i in range(20, 40)]
    (folder / "a.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "b.warc").write_bytes(b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 99999999999\r\n\r\n"
                                    b"HTTP/1.1 200 OK\r\n\r\n<html>x</html>")
    odd = os.path.join(bytes(folder), b"name \xff\n\t-rf.txt")  # not UTF-8, a newline, a tab, a dash
    with open(odd, "wb") as handle:
        handle.write(story.encode())
    out = tmp_path / "out"
    # The WARC record that claims more bytes than the file holds is damage: counted, exit code 3.
    assert main(["clean", str(folder), "--out", str(out), "--workers", "1", "--quiet"]) == 3
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["complete"] and manifest["balanced"] and manifest["damaged"]["ranges"] == 1
    assert manifest["documents"]["read"] == len(lines) + 2
    records = pl.read_parquet(out / "records" / "*.parquet")
    rows = records.to_dicts()  # every stored time converts back to a datetime
    ids = {row["doc_id"] for row in rows}
    assert {f"good-{i}" for i in range(40)} <= ids
    assert {"late", "early", "ago", "huge-epoch", "keys", "nan", "big-number", "\\ud800x"} <= ids
    assert any(row["input_path"].endswith("name \\udcff\n\t-rf.txt") for row in rows)
    by_id = {row["doc_id"]: row for row in rows}
    assert by_id["late"]["fetched_at"] is None and by_id["ago"]["published_at"] is None
    reasons = pl.read_parquet(out / "rejects" / "*.parquet")["reason"].to_list()
    assert len(reasons) == 2 and "JSON nested too deeply to decode" in reasons
    assert any(reason.startswith("damaged data skipped") and "truncated" in reason for reason in reasons), reasons
