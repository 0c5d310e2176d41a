"""Near-duplicate clusters depend on the records alone (cleaner/run/dedup.py, issue #29).

The same records must give the same clusters whatever their order in the output: the order of signature
parts follows the shard keys, which are made from input paths, so the same corpus at another path reads its
records in another order. Before, each bucket's records were paired only with its first row: an unrelated
record that shares one band by chance, read first, kept the true near duplicates of the bucket from being
compared with one another, and only in that order.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from cleaner.run.dedup import ALL_PAIRS_UP_TO, BANDS, NUM_PERM, ROWS, SIGNATURE_SCHEMA, _clusters_of

KEYS = ["input_path", "input_position", "record_index"]


def _row(name: str, content_hash: str, minhash: np.ndarray) -> dict:
    return {"input_path": "in.jsonl", "input_position": int(name), "record_index": 0,
            "content_hash": content_hash, "chars": 100, "minhash": minhash.tolist()}


def _parts(tmp_path: Path, tag: str, rows: list[dict], parts: int) -> list[str]:
    files = []
    for number in range(parts):
        path = tmp_path / f"{tag}-{number}.parquet"
        pl.DataFrame(rows[number::parts], schema=SIGNATURE_SCHEMA).write_parquet(path)
        files.append(str(path))
    return files


def _clusters(files: list[str]) -> dict[int, str]:
    """Each clustered record's position and the content_hash of its cluster's kept record."""
    table, _ = _clusters_of(files, 0.8)
    return dict(zip(table["input_position"].to_list(), table["dup_cluster"].to_list(), strict=True))


def _intruder_case(intruders: int) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """B and C are near duplicates (113 of 128 values equal) that agree on band 0 only (one value of each
    other band differs); each intruder shares band 0 with them and nothing else."""
    rng = np.random.default_rng(5)
    b = rng.integers(0, 2**32, NUM_PERM, dtype=np.uint32)
    c = b.copy()
    for band in range(1, BANDS):
        c[band * ROWS] ^= 1
    others = []
    for _ in range(intruders):
        other = rng.integers(0, 2**32, NUM_PERM, dtype=np.uint32)
        other[:ROWS] = b[:ROWS]
        others.append(other)
    return others, b, c


# One intruder: a bucket small enough for every pair; more: the bucket's leaders take several rounds.
@pytest.mark.parametrize("intruders", [1, ALL_PAIRS_UP_TO + 2])
def test_an_unrelated_leader_does_not_hide_a_buckets_near_duplicates(tmp_path: Path, intruders: int) -> None:
    others, b, c = _intruder_case(intruders)
    # The intruders have the least content_hashes: they lead the bucket, and B and C fail against them.
    rows = [_row(str(10 + at), f"{at + 1:016x}", other) for at, other in enumerate(others)]
    rows += [_row("2", "f0000000000000b0", b), _row("3", "f0000000000000c0", c)]
    for tag, ordered in (("intruders first", rows), ("intruders last", rows[-2:] + rows[:-2]),
                         ("shuffled", random.Random(1).sample(rows, len(rows)))):
        found = _clusters(_parts(tmp_path, tag, ordered, parts=1))
        # B and C are one cluster (kept: the earliest of equal length, B), no intruder is in any: in every order.
        assert found == {2: "f0000000000000b0", 3: "f0000000000000b0"}, tag


def _families(seed: int) -> list[dict]:
    """Records in families of near duplicates (a few values of each member changed), with unrelated records
    that share one band with a family, and exact duplicates."""
    rng = np.random.default_rng(seed)
    rows = []
    for _family in range(12):
        base = rng.integers(0, 2**32, NUM_PERM, dtype=np.uint32)
        for _member in range(int(rng.integers(2, 7))):
            value = base.copy()
            changed = rng.choice(NUM_PERM, size=int(rng.integers(0, 40)), replace=False)
            value[changed] = rng.integers(0, 2**32, changed.size, dtype=np.uint32)
            rows.append(value)
        for _ in range(int(rng.integers(0, 3))):  # intruders: one band of the family, the rest their own
            value = rng.integers(0, 2**32, NUM_PERM, dtype=np.uint32)
            band = int(rng.integers(0, BANDS))
            value[band * ROWS:(band + 1) * ROWS] = base[band * ROWS:(band + 1) * ROWS]
            rows.append(value)
    rows += [rows[3], rows[3], rows[10]]  # exact duplicates
    hashes = [f"{rng.integers(0, 2**63):016x}" for _ in rows]
    for at, source in ((len(rows) - 3, 3), (len(rows) - 2, 3), (len(rows) - 1, 10)):
        hashes[at] = hashes[source]
    return [_row(str(at), hashes[at], value) for at, value in enumerate(rows)]


def test_clusters_do_not_depend_on_the_order_of_records_or_parts(tmp_path: Path) -> None:
    for seed in range(3):
        rows = _families(seed)
        expected = _clusters(_parts(tmp_path, f"{seed}-in-order", rows, parts=1))
        assert len(set(expected.values())) >= 6  # clusters were found
        shuffler = random.Random(seed)
        for attempt in range(2):
            shuffled = rows[:]
            shuffler.shuffle(shuffled)
            files = _parts(tmp_path, f"{seed}-{attempt}", shuffled, parts=3)
            assert _clusters(files) == expected, (seed, attempt)
            assert _clusters(files[::-1]) == expected, (seed, attempt, "parts reversed")
