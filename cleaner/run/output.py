"""Reading a batch run's output folder back: lazy polars frames over the parts its finished shards committed.

Only parts that a completion marker (``OUT/_state/shards/<key>.json``) names are read: a shard that was
running when a run stopped may have left parts beside them, and those are redone by the next run, so reading
them would count their records twice. polars is imported on the first call, never by ``import cleaner``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cleaner.core.errors import CleanerError
from cleaner.run.layout import MANIFEST, MARKERS, RECORDS, REJECTS, REMOVALS, SIGNATURES, STATE

if TYPE_CHECKING:
    import os

    import polars as pl




class OutputReadError(CleanerError):
    """The folder is not a cleaner output, or a part its markers name is gone."""


@dataclass(frozen=True)
class Output:
    """A run's output. Each frame is lazy (nothing is read before ``collect``) and has its table's schema,
    also when the run wrote no such rows (``removals`` without ``--removals``, ``rejects`` of a clean run)."""

    records: pl.LazyFrame
    rejects: pl.LazyFrame
    removals: pl.LazyFrame
    #: ``OUT/manifest.json``: counts, rule hits, failures; ``{}`` while a first run has not ended.
    manifest: dict[str, Any]


def read_output(out: str | os.PathLike[str]) -> Output:
    """The records, rejects and removals of the output folder ``out`` (a path, or a URL such as
    ``s3://bucket/clean``) as lazy polars frames, and its manifest.

    >>> output = cleaner.read_output("out/demo")
    >>> output.records.filter(pl.col("kind") == "related").select("title", "published_at").collect()
    """
    import polars as pl

    from cleaner.io.storage import DataFolder, explain
    from cleaner.io.writers import RECORD_SCHEMA, REJECT_SCHEMA, REMOVAL_SCHEMA
    from cleaner.run.report import ShardReport

    folder = DataFolder(str(out))
    location = folder.location
    try:
        listing = folder.sizes()  # once: a part's presence is then known without a request per part
    except Exception as exc:
        raise OutputReadError(str(explain(location, exc))) from None
    if not any(n.startswith(f"{STATE}/") for n in listing) and MANIFEST not in listing:
        raise OutputReadError(f"{location} is not a cleaner output folder (no {STATE}/ and no {MANIFEST})")
    # Signatures (MinHash, for dedup) are the job's own working data: committed like the rest, not returned.
    parts: dict[str, list[str]] = {RECORDS: [], REJECTS: [], REMOVALS: [], SIGNATURES: []}
    markers = sorted(n for n in listing if n.startswith(f"{MARKERS}/") and n.endswith(".json"))
    for marker in markers:
        marker_name = marker.rsplit("/", 1)[-1]
        try:
            report = ShardReport.from_json(json.loads(folder.read_text(marker) or ""))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise OutputReadError(f"completion marker {folder.full(marker)} cannot be read ({exc}); run the same "
                                  "`cleaner clean` command again to redo its shard") from None
        for name in report.parts:
            kind, _, _ = name.partition("/")
            if kind not in parts or not name.endswith(".parquet"):
                raise OutputReadError(f"marker {marker_name} names {name}, which read_output cannot read")
            if name not in listing:
                raise OutputReadError(f"part {folder.full(name)} named by marker {marker_name} is missing; run the "
                                      "same `cleaner clean` command again to redo its shard")
            parts[kind].append(folder.full(name))
    manifest_text = folder.read_text(MANIFEST) if MANIFEST in listing else None
    manifest = json.loads(manifest_text) if manifest_text is not None else {}

    def frame(kind: str, schema: dict[str, Any]) -> pl.LazyFrame:
        if not parts[kind]:
            return pl.LazyFrame(schema=schema)
        # Literal paths: an output folder named "runs[1]" or "date=2025-08-15" is neither a glob nor a hive.
        return pl.scan_parquet(parts[kind], glob=False, hive_partitioning=False)

    return Output(frame(RECORDS, RECORD_SCHEMA), frame(REJECTS, REJECT_SCHEMA), frame(REMOVALS, REMOVAL_SCHEMA),
                  manifest)
