"""The names inside an output folder, shared by the modules that plan, write, resume, dedup and read it.

A leaf: it imports nothing of ``cleaner.run`` (nor polars), so every module of the run can name the same
folders and markers without importing another one's machinery.
"""

from __future__ import annotations

#: The run's own state: ``run.json`` (the inputs and settings a resume must match) and ``shards/<key>.json``,
#: the completion markers.
STATE = "_state"
RUN_IDENTITY = f"{STATE}/run.json"
MARKERS = f"{STATE}/shards"
#: Counts of the whole run, written when it ends.
MANIFEST = "manifest.json"
#: Counts of ``cleaner dedup``.
DEDUP_REPORT = "dedup.json"
#: Held (flock) by the run writing to the folder: a second run into the same OUT is refused, and the lock
#: goes with its process, however that ends. A dot file, so input discovery never reads it.
LOCK = ".cleaner.lock"
#: The folders of Parquet parts, one per kind of row; signatures (MinHash, for dedup) are the job's own.
RECORDS, REJECTS, REMOVALS = "records", "rejects", "removals"
SIGNATURES = "signatures"
KINDS = (RECORDS, REJECTS, REMOVALS, SIGNATURES)


def marker_name(key: str) -> str:
    """The completion marker of shard ``key``, relative to the output folder."""
    return f"{MARKERS}/{key}.json"
