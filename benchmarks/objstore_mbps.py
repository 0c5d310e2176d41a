"""MB/s to and from a local S3-compatible store (SeaweedFS on 127.0.0.1, as the tests start it), and a
cleaning run in and out of the bucket against the same run on disk.

    .venv/bin/python -m benchmarks.objstore_mbps [--mb 64]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from benchmarks.corpus import write_jsonl
from tests.s3server import BUCKET, S3Server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=64, help="size of the object written and read (MiB)")
    parser.add_argument("--corpus-mb", type=float, default=16.0, help="JSON lines cleaned in the run (MiB)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="objstore-mbps") as temporary:
        folder = Path(temporary)
        server = S3Server.start(folder / "server")
        try:
            _measure(folder, server, args.mb, args.corpus_mb)
        finally:
            server.stop()


def _measure(folder: Path, server: S3Server, mb: int, corpus_mb: float) -> None:
    from cleaner.cli import main as cleaner
    from cleaner.io.storage import DataFolder, open_binary

    store = DataFolder(f"s3://{BUCKET}/bench")
    data = os.urandom(mb << 20)
    started = time.perf_counter()
    store.put("blob.bin", data)
    put = time.perf_counter() - started
    started = time.perf_counter()
    with open_binary(f"s3://{BUCKET}/bench/blob.bin") as handle:
        while handle.read(1 << 20):
            pass
    get = time.perf_counter() - started
    print(f"{server.kind} at {server.endpoint}: one {mb} MiB object")
    print(f"  write (one PUT, as a part):     {mb / put:7.1f} MiB/s")
    print(f"  read (8 MiB ranged GETs):       {mb / get:7.1f} MiB/s")

    corpus = write_jsonl(folder / "inputs.jsonl", target_bytes=int(corpus_mb * (1 << 20)), seed=4)
    import s3fs

    s3fs.S3FileSystem().put(corpus["path"], f"{BUCKET}/inputs/corpus.jsonl")
    size = corpus["bytes"] / (1 << 20)
    runs = {"disk -> disk": ([corpus["path"]], str(folder / "out")),
            "bucket -> bucket": ([f"s3://{BUCKET}/inputs/"], f"s3://{BUCKET}/out")}
    for name, (inputs, out) in runs.items():
        started = time.perf_counter()
        assert cleaner(["clean", *inputs, "--out", out, "--workers", "2", "--quiet", "--shard-mb", "4"]) == 0
        seconds = time.perf_counter() - started
        print(f"  clean {size:.1f} MiB, {name:<17} {size / seconds:7.2f} MiB/s ({seconds:.1f} s, 2 workers)")
    print(json.dumps({"put_mib_s": round(mb / put, 1), "get_mib_s": round(mb / get, 1)}))


if __name__ == "__main__":
    main()
