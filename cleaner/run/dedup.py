"""Duplicates across a whole output: exact (``content_hash``) and near (MinHash + LSH, ``dup_cluster``).

Each shard writes, beside its records, one signature row per record (``OUT/signatures/``): the record's
key (input path, input position, record index), its ``content_hash``, its length and a 128-permutation
MinHash of its 5-word shingles (rensa's ``RMinHash`` values, computed natively: src/minhash.rs). That is the
expensive part, and it runs where the shard runs
(a local worker or a Ray task). :func:`dedup` then works on the signatures alone:

1. LSH: for each of 16 bands of 8 rows (a curve whose midpoint is about 0.7), records whose band is the
   same (its 8 values compared as values, no hash of them) share a bucket, as do records of the same
   ``content_hash``. Each member of a bucket is paired with the bucket's leader, its member with the least
   ``content_hash``; the members that fail against it (step 2) are paired with the least of them, and so
   on, up to :data:`LEADER_ROUNDS` rounds; a bucket of at most :data:`ALL_PAIRS_UP_TO` members has every
   pair compared. So the pairs depend on the records alone: not on their order
   in the output (which shard keys, made from input paths, decide), nor on polars' hash function.
2. Every candidate pair is verified: its estimated Jaccard (the share of equal MinHash values) must reach
   the threshold (default 0.8). Exact duplicates (same ``content_hash``) always pair.
3. Connected components of the verified pairs are the clusters. The record kept is the longest text;
   on a tie, the earliest in input order (input path, then position, then record index). Every record
   gets ``dup_cluster`` = the ``content_hash`` of its cluster's kept record (its own, if it has no
   duplicate) and ``duplicate`` = true for every member but the kept one.
4. Each committed records part is rewritten with those two columns (or without the duplicates,
   ``drop=True``), atomically, and its shard's completion marker gets the new checksum so a resumed run
   trusts it (see :func:`dedup`).

Memory: about 100 bytes per record for the keys, plus one band's values at a time, the bucket members of
every band (16 bytes a member) and the pairs of one round.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from cleaner._native import MinHasher
from cleaner.core.corpus import SHINGLE_WORDS, shingle_words
from cleaner.core.errors import CleanerError
from cleaner.io.writers import ROW_GROUP_ROWS
from cleaner.run.layout import DEDUP_REPORT, MARKERS, RECORDS, SIGNATURES

if TYPE_CHECKING:
    import os

    from cleaner.io.storage import DataFolder

NUM_PERM = 128
BANDS, ROWS = 16, 8
#: Estimated Jaccard similarity (of 5-word shingles) at or above which two records are near duplicates.
DEFAULT_THRESHOLD = 0.8
MINHASH_SEED = 7
SIGNATURE_SCHEMA: dict[str, Any] = {
    "input_path": pl.String,
    "input_position": pl.Int64,
    "record_index": pl.Int32,
    "content_hash": pl.String,
    "chars": pl.Int64,
    "minhash": pl.List(pl.UInt32),
}
_KEYS = ["input_path", "input_position", "record_index"]
#: The codec of signature parts: none. MinHash values are near-random 32-bit integers: zstd (level 1) made a
#: part of real pages' signatures no smaller (526 bytes a row either way, 73 texts of fixtures/real_dumps
#: and the seeds), and one of the memory benchmark's tiny documents, whose texts share most words, 16%
#: smaller (455 against 545 bytes a row), for 1.3 us a record of the worker's CPU (2.1 against 0.9 us to
#: write a row): a tenth of a tiny document's whole cost. Before 2026-12-07 it was zstd level 1.
SIGNATURE_COMPRESSION = "uncompressed"


@cache
def _hasher() -> MinHasher:
    """The compiled signer (its permutations made once per process)."""
    return MinHasher(NUM_PERM, MINHASH_SEED, SHINGLE_WORDS)


def minhash_signature(text: str) -> bytes:
    """The MinHash of a text's shingles (:func:`cleaner.core.corpus.shingles`; an empty text's is that of one
    empty shingle), as :data:`NUM_PERM` unsigned 32-bit integers in the machine's byte order: the values
    rensa's ``RMinHash(NUM_PERM, MINHASH_SEED)`` gave, computed natively in one call (src/minhash.rs; on a
    tiny record rensa's objects and the shingles as Python strings cost about ten times as much)."""
    hasher = _hasher()
    if text.isascii():  # a flag of the string: its words are found natively
        found = hasher.signature(text)
        if found is not None:
            return found
    # Python's case folding and Unicode word characters, which the native code does not reproduce.
    return hasher.signature_of_words(shingle_words(text))


def signature_row(row: dict[str, Any]) -> dict[str, Any]:
    """The signature row of a record row (as written to ``OUT/records``), one record at a time."""
    source = signature_source(row)
    return {**source, "minhash": np.frombuffer(source["minhash"], dtype=np.uint32).tolist()}


def signature_source(row: dict[str, Any]) -> dict[str, Any]:
    """The signature row of a record row with its MinHash as bytes (:func:`minhash_signature`), which a part
    writer given :data:`SIGNATURE_CONVERTERS` turns into the column a whole chunk at once. The same values as
    :func:`signature_row`."""
    return dict(zip(SIGNATURE_SCHEMA, signature_values(row["input_path"], row["input_position"],
                                                       row["record_index"], row["content_hash"], row["text"]),
                    strict=True))


def signature_values(input_path: str, input_position: int, record_index: int, content_hash: str, text: str
                     ) -> tuple[Any, ...]:
    """:func:`signature_source`'s values in :data:`SIGNATURE_SCHEMA`'s order, from a record's own values
    (what a part writer holds, :meth:`~cleaner.io.writers.PartWriter.add_values`)."""
    return (input_path, input_position, record_index, content_hash, len(text), minhash_signature(text))


def minhash_signatures(texts: list[str]) -> list[bytes]:
    """:func:`minhash_signature` of each text, the ASCII ones in one native call (a chunk of records)."""
    hasher = _hasher()
    found: list[bytes | None] = hasher.signatures(texts)
    if None in found:  # texts that are not ASCII: Python's words, as minhash_signature finds them
        for at, signature in enumerate(found):
            if signature is None:
                found[at] = hasher.signature_of_words(shingle_words(texts[at]))
    return found  # type: ignore[return-value]  # (no None left)


#: The size a signature row declares to its part writer (about what it takes in a part).
SIGNATURE_ROW_BYTES = 600


def signature_columns(records: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The signature rows of a chunk of record rows (their columns, as a records part writer makes a chunk of
    them, see :attr:`~cleaner.io.writers.PartWriter.on_chunk`), as columns in :data:`SIGNATURE_SCHEMA`'s order,
    the MinHash as bytes (:data:`SIGNATURE_CONVERTERS`): the values of :func:`signature_values` row by row."""
    texts = records["text"]
    return {"input_path": records["input_path"], "input_position": records["input_position"],
            "record_index": records["record_index"], "content_hash": records["content_hash"],
            "chars": list(map(len, texts)), "minhash": minhash_signatures(texts)}


def minhash_column(material: list[bytes]) -> pl.Series:
    """The ``minhash`` column of a chunk of rows from :func:`signature_source`."""
    # One flat array of the values, shaped as fixed-size rows, then the list type the parts have always had:
    # a list of Python lists of integers costs polars several times more.
    flat = np.frombuffer(b"".join(material), dtype=np.uint32)
    return pl.Series("minhash", flat.reshape(len(material), NUM_PERM)).cast(SIGNATURE_SCHEMA["minhash"])


#: The converters of a signatures part writer fed by :func:`signature_source`.
SIGNATURE_CONVERTERS = {"minhash": minhash_column}


@dataclass
class DedupResult:
    records: int
    clusters: int
    duplicates: int
    exact_duplicates: int
    dropped: int
    threshold: float

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def summary(self) -> str:
        verb = "dropped" if self.dropped else "marked"
        return (f"{self.records} records: {self.clusters} clusters of near duplicates (threshold {self.threshold}), "
                f"{self.duplicates} duplicates {verb} ({self.exact_duplicates} exact)")


class _Components:
    """Union-find over row numbers, only for rows that have a duplicate."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, item: int) -> int:
        parent = self.parent
        root = item
        while parent.get(root, root) != root:
            root = parent[root]
        while item != root:
            item, parent[item] = parent[item], root
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)
            self.parent.setdefault(min(ra, rb), min(ra, rb))


#: Rounds of leaders a bucket gets (see :func:`_verified_pairs`): the members that fail against the first
#: leader are compared with a second one, and so on, at most this many times. The cap bounds the pairs
#: compared (at most this many per bucket member): a bucket of records that share a band without being near
#: duplicates of one another (texts drawn from the same paragraphs) would otherwise take a round per member.
#: On 100 MB of the 1 GB check's generator (33,221 records), leader rounds alone: 1 round 60 clusters, 2: 67,
#: 4: 70, 8: 74, unbounded 78 (2.5 times the time of 8); with every pair of a bucket of at most 16 members
#: (:data:`ALL_PAIRS_UP_TO`) and 8 rounds, 75. Every cluster is made of verified pairs.
LEADER_ROUNDS = 8
#: A bucket of at most this many members (at the start of a round) has every pair of them compared: at most
#: 7.5 pairs a member, about what the rounds of a larger bucket cost, and no member left uncompared.
ALL_PAIRS_UP_TO = 16


def _buckets(scan: pl.LazyFrame, canon: pl.DataFrame, key: pl.Expr, first_group: int) -> pl.DataFrame:
    """The members of every bucket of two or more rows, as (group, rid, canon): ``group`` numbers the buckets
    from ``first_group`` on. Rows share a bucket when ``key`` gives them the same value: compared as
    values (a group-by), never through a hash of them, so no two different band values share a bucket
    whatever hash polars uses inside."""
    found = (scan.select("rid", key.alias("key")).group_by("key").agg("rid")
             .filter(pl.col("rid").list.len() > 1).select("rid").collect())
    # Bucket numbers that do not depend on the order of polars' groups: the bucket's least canonical rank.
    members = (found.with_row_index("bucket").explode("rid").join(canon, on="rid")
               .with_columns(pl.col("canon").min().over("bucket").alias("group")))
    return members.select((pl.col("group").cast(pl.Int64) + first_group).alias("group"), "rid", "canon")


def _verified_pairs(files: list[str], threshold: float) -> Iterable[pl.DataFrame]:
    """The verified pairs (a, b), a frame at a time. Candidates: records whose MinHash agrees on a whole
    band (the band's 8 values themselves), or whose content_hash is the same.

    In each bucket every member is compared with the bucket's leader: its member with the least
    ``content_hash`` (its canonical rank), so the pairs depend on the records alone, never on their order in
    the output (shard keys, part names) nor on a hash function. The members that fail against the leader are
    then compared with the least of them, and so on (:data:`LEADER_ROUNDS`): a leader that is no near
    duplicate of the others (a band shared by chance) does not keep the true duplicates of its bucket from
    being compared with one another. A bucket of at most :data:`ALL_PAIRS_UP_TO` members (at the start of
    any round) has every pair of its members compared instead."""
    scan = pl.scan_parquet(files).with_row_index("rid")
    # Canonical rank: content_hash order (identical texts have the same signature, so which of them comes
    # first changes no verdict).
    canon = (scan.select("rid", "content_hash").sort("content_hash", "rid")
             .with_row_index("canon").select("rid", "canon").collect())
    total = scan.select(pl.len()).collect().item()
    keys = [pl.col("minhash").list.slice(band * ROWS, ROWS) for band in range(BANDS)] + [pl.col("content_hash")]
    members = pl.concat([_buckets(scan, canon, key, at * total) for at, key in enumerate(keys)])
    for _ in range(LEADER_ROUNDS):
        if members.is_empty():
            return
        members = members.with_columns(pl.len().over("group").alias("size"))
        # A small bucket: every pair of its members (then it is done).
        small = members.filter(pl.col("size") <= ALL_PAIRS_UP_TO).select("group", "rid")
        every = (small.join(small, on="group").filter(pl.col("rid") < pl.col("rid_right"))
                 .select(pl.col("rid").alias("a"), pl.col("rid_right").alias("b")))
        # A larger one: its leader with each other member.
        members = members.filter(pl.col("size") > ALL_PAIRS_UP_TO).select("group", "rid", "canon")
        leaders = members.group_by("group").agg(pl.col("rid").sort_by("canon").first().alias("a"))
        paired = members.join(leaders, on="group").filter(pl.col("a") != pl.col("rid"))
        pairs = pl.concat([every, paired.select("a", pl.col("rid").alias("b"))]).unique()
        kept = pl.concat([pl.DataFrame(schema={"a": pl.UInt32, "b": pl.UInt32}),
                          *_verified(files, pairs, threshold)])
        yield kept
        # The members no leader took: the next round's buckets (those still of two or more).
        members = (paired.join(kept, left_on=["a", "rid"], right_on=["a", "b"], how="anti")
                   .filter(pl.len().over("group") > 1).select("group", "rid", "canon"))


#: Candidate pairs verified per step: each step joins this many pairs with both their signatures, widened
#: to 64-bit integers to subtract them (about 2 KB a pair). 500,000 a step peaked at 2.3 GB on 1 GB of input.
VERIFY_BATCH = 100_000


def _verified(files: list[str], pairs: pl.DataFrame, threshold: float) -> Iterable[pl.DataFrame]:
    """The pairs whose estimated Jaccard (share of equal MinHash values) reaches the threshold, or that are
    exact duplicates. Verified in polars, a batch of pairs at a time."""
    scan = pl.scan_parquet(files).with_row_index("rid").select("rid", "minhash", "content_hash")
    needed = threshold * NUM_PERM
    wide = pl.List(pl.Int64)
    for start in range(0, pairs.height, VERIFY_BATCH):
        batch = pairs.slice(start, VERIFY_BATCH)
        wanted = pl.concat([batch["a"], batch["b"]]).unique()
        signatures = scan.filter(pl.col("rid").is_in(wanted.implode())).collect()
        joined = (batch.join(signatures, left_on="a", right_on="rid")
                  .join(signatures, left_on="b", right_on="rid", suffix="_b"))
        equal = (pl.col("minhash").cast(wide) - pl.col("minhash_b").cast(wide)).list.eval(pl.element() == 0).list.sum()
        yield joined.filter((equal >= needed) | (pl.col("content_hash") == pl.col("content_hash_b"))).select("a", "b")


def _clusters_of(files: list[str], threshold: float) -> tuple[pl.DataFrame, int]:
    if not 0 < threshold <= 1:
        raise CleanerError(f"the threshold must be in (0, 1], got {threshold}")
    components = _Components()
    for kept in _verified_pairs(files, threshold):
        for a, b in zip(kept["a"].to_list(), kept["b"].to_list(), strict=True):
            components.union(a, b)
    total = pl.scan_parquet(files).select(pl.len()).collect().item()
    members = sorted(components.parent)
    empty = pl.DataFrame(schema={**{k: SIGNATURE_SCHEMA[k] for k in _KEYS}, "dup_cluster": pl.String,
                                 "duplicate": pl.Boolean})
    if not members:
        return empty, total
    roots = pl.DataFrame({"rid": members, "root": [components.find(m) for m in members]},
                         schema={"rid": pl.UInt32, "root": pl.UInt32})
    table = (pl.scan_parquet(files).with_row_index("rid").select("rid", *_KEYS, "content_hash", "chars")
             .join(roots.lazy(), on="rid").collect()
             # longest first, then earliest in input order: the first row of each cluster is kept
             .sort(["root", "chars", "input_path", "input_position", "record_index"],
                   descending=[False, True, False, False, False]))
    table = table.with_columns(
        pl.col("content_hash").first().over("root").alias("dup_cluster"),
        (pl.int_range(pl.len()).over("root") > 0).alias("duplicate"))
    return table.select(*_KEYS, "dup_cluster", "duplicate"), total


def _marked(part: str, table: pl.DataFrame, drop: bool) -> tuple[pl.DataFrame, int, int]:
    """A records part with ``dup_cluster`` and ``duplicate`` (without the duplicates, ``drop``); the exact
    duplicates and the rows dropped in it."""
    frame = pl.read_parquet(part).drop(["dup_cluster", "duplicate"], strict=False)
    marked = (frame.join(table, on=_KEYS, how="left")
              .with_columns(pl.col("dup_cluster").fill_null(pl.col("content_hash")),
                            pl.col("duplicate").fill_null(False)))
    exact = marked.filter(pl.col("duplicate") & (pl.col("dup_cluster") == pl.col("content_hash"))).height
    dropped = 0
    if drop:
        dropped = marked.filter(pl.col("duplicate")).height
        marked = marked.filter(~pl.col("duplicate"))
    return marked, exact, dropped


def dedup(out: str | os.PathLike[str], threshold: float = DEFAULT_THRESHOLD, *, drop: bool = False) -> DedupResult:
    """Marks (or drops) near duplicates in every committed records part of ``out`` (a folder, or a URL in
    object storage); writes ``out/dedup.json``.

    Only the parts the completion markers commit are read. For each shard, its marked parts are written
    (each whole, see :class:`cleaner.io.storage.DataFolder`), then its marker (written whole) is rewritten
    to name them with their checksums, then the parts it no longer names are deleted. Where the file system
    renames, a marked part replaces the old one under its name; where it does not (object storage), it gets
    a name of its own. A kill at any point leaves every marker naming parts that are there (old or new:
    a part replaced before its marker was rewritten fails the marker's checksum, and the next run redoes
    its shard); parts a marker no longer names are never read."""
    from cleaner.run.target import target_for

    # The output's lock, as a run holds it: parts a running shard writes, and markers it is about to write,
    # are not rewritten under it (a second `cleaner clean` or `dedup` is refused meanwhile).
    target = target_for(str(out))
    with target.exclusive():
        return _dedup_locked(target.folder, threshold, drop)


def _dedup_locked(folder: DataFolder, threshold: float, drop: bool) -> DedupResult:
    markers = sorted(n for n in folder.sizes(MARKERS) if n.endswith(".json"))
    reports = {name: json.loads(folder.read_text(name) or "{}") for name in markers}
    signatures = [folder.full(p) for report in reports.values() for p in report.get("parts", [])
                  if p.startswith(f"{SIGNATURES}/")]
    if not signatures:
        raise CleanerError(f"{folder.full(SIGNATURES)} holds no committed signatures; run 'cleaner clean ... --out "
                           f"{folder.location}' first (this version writes them for every record)")
    table, total = _clusters_of(signatures, threshold)
    exact = dropped = 0
    for name, report in reports.items():
        key = name.rsplit("/", 1)[1].removesuffix(".json")
        attempt = uuid.uuid4().hex[:12]
        old = [p for p in report["parts"] if p.startswith(f"{RECORDS}/")]
        new: dict[str, str] = {}
        for number, part in enumerate(old):
            marked, exact_here, dropped_here = _marked(folder.full(part), table, drop)
            exact += exact_here
            dropped += dropped_here
            new[part] = part if folder.renames else f"{RECORDS}/{key}-{attempt}-{number:04d}.parquet"
            sums = folder.write_parquet(new[part], marked, row_group_rows=ROW_GROUP_ROWS, metadata=None)
            report["sums"].pop(part, None)
            report["sums"][new[part]] = list(sums)
        report["parts"] = [new.get(p, p) for p in report["parts"]]
        folder.put_json(name, report)
        folder.delete([p for p in old if p != new[p]])
    duplicates = int(table["duplicate"].sum()) if table.height else 0
    result = DedupResult(records=total, clusters=table.filter(~pl.col("duplicate")).height,
                         duplicates=duplicates, exact_duplicates=exact, dropped=dropped, threshold=threshold)
    folder.put_json(DEDUP_REPORT, result.to_json())
    return result
