"""Where a batch run writes: its output folder, on the local disk or in object storage, through the one
storage layer (:class:`cleaner.io.storage.DataFolder`).

The promise is the same on every file system: a shard's parts are committed by its completion marker,
written last, and a resume trusts only shards whose marker is there and whose parts are as the marker says.
Each file appears whole or not at all (the storage layer renames it into place where the file system can,
else uploads it whole). Where a rename makes a retried attempt's part replace the earlier one atomically
(the local disk), a part has its shard's name (``<shard>-NNNN.parquet``); where there is no rename (object
storage), every attempt writes its parts under names of its own (``<shard>-<attempt>-NNNN.parquet``), so
that a retried or concurrent attempt (a Ray task retried while the first still ran) never overwrites
another's parts, and the marker names the parts of the attempt that finished. Parts no marker names are
never read and are deleted when their shard is next started. The output is locked for the run (flock on
the disk, a lease object in object storage). A resume checks each named part's size, and on the disk its
SHA-256 too (in object storage that would cost a full download of the output; the hash of the bytes sent
is in the marker for whoever wants to verify).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from cleaner.core.errors import CleanerError
from cleaner.io.storage import DataFolder
from cleaner.io.writers import PartWriter, SerialWrites
from cleaner.run.layout import DEDUP_REPORT, KINDS, LOCK, MANIFEST, RUN_IDENTITY, STATE, marker_name
from cleaner.run.report import ShardReport

log = logging.getLogger("cleaner")


class RunConflict(CleanerError):
    """The output folder holds a run made with other inputs or settings, or another run is writing to it."""


class OutputUnusable(CleanerError):
    """The output folder cannot be created or written."""


#: The files cleaner writes into an output's data folders: parts ``<shard>-NNNN.parquet`` (without renames
#: ``<shard>-<attempt>-NNNN.parquet``) and their temporary ``.<part>.tmp``. Anything else there is not ours.
_OUR_PART = re.compile(r"\.?[0-9a-f]{16}-(?:[0-9a-f]{12}-)?[0-9]{4}\.parquet(?:\.tmp)?")
#: What a folder may hold and still count as empty for --overwrite: this run's lock, and the rule file a
#: --learn run writes before the run starts.
_OURS_BEFORE_CLAIM = frozenset({LOCK, "learned-rules.toml"})


class Target:
    """The output of a batch run, as the run and its shards use it."""

    def __init__(self, out: str) -> None:
        self.folder = DataFolder(out)
        #: Shown in messages: the folder or the URL.
        self.location = self.folder.location
        #: Every file under OUT with its size, listed once per run (for checking the finished shards).
        self._listing: dict[str, int] | None = None
        #: Names this attempt's parts where the file system has no rename (see the module's docstring).
        self.attempt = uuid.uuid4().hex[:12]

    def exclusive(self) -> AbstractContextManager[None]:
        """Holds the output's lock for the run; refuses an output another run holds or nobody can write."""
        return self.folder.lock(LOCK, RunConflict, OutputUnusable)

    def claim(self, identity: dict[str, Any], overwrite: bool, kinds: tuple[str, ...]) -> None:
        """Checks (or writes) the run's identity; with ``overwrite``, first removes an earlier run."""
        try:
            if overwrite:
                self._forget_earlier_run()
            text = self.folder.read_text(RUN_IDENTITY)
            if text is not None:
                _same_run(self.location, json.loads(text), identity)
            else:
                self.folder.put_json(RUN_IDENTITY, identity)
            # The folders a reader of the output expects are there even when a run writes nothing into them.
            for kind in kinds:
                self.folder.makedirs(kind)
        except OSError as exc:
            raise OutputUnusable(f"output folder {self.location} cannot be written: {exc.strerror or exc}") from None

    def _forget_earlier_run(self) -> None:
        """--overwrite: removes what an earlier cleaner run wrote, and only that. A folder that holds no cleaner
        run is refused unless it is empty: --overwrite must never delete a user's own files."""
        everything = self.folder.sizes()
        if RUN_IDENTITY not in everything and MANIFEST not in everything:
            foreign = sorted({n.split("/", 1)[0] for n in everything} - _OURS_BEFORE_CLAIM)
            if foreign:
                shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
                raise RunConflict(f"--overwrite refuses {self.location}: it is not the output of a cleaner run (no "
                                  f"{STATE}/run.json or {MANIFEST}) and it is not empty ({shown}); give an empty or "
                                  "new folder")
            return
        # State first: a kill in the middle then leaves data without markers (redone), never markers vouching
        # for data already deleted.
        self.folder.remove_tree(STATE)
        self.folder.delete([n for n in (MANIFEST, DEDUP_REPORT) if n in everything])
        ours = [n for n in everything if n.count("/") == 1 and n.split("/", 1)[0] in KINDS
                and _OUR_PART.fullmatch(n.rsplit("/", 1)[-1]) is not None]
        self.folder.delete(ours)
        for kind in KINDS:
            kept = any(n.startswith(f"{kind}/") for n in everything if n not in ours)
            if kept or not self.folder.remove_empty_folder(kind):
                log.warning("--overwrite kept %s: it holds files cleaner did not write", self.folder.full(kind))
        self.folder.invalidate()

    def _sizes(self) -> dict[str, int]:
        if self._listing is None:
            self._listing = self.folder.sizes()
        return self._listing

    def finished(self, key: str) -> ShardReport | None:
        """The report of a shard whose marker is there and whose parts are all as written; else None, with the
        marker and whatever the shard left removed, so it is redone from scratch (each record once)."""
        name = marker_name(key)
        if name not in self._sizes():
            return None
        report, damage = _checked_marker(lambda: self.folder.read_text(name) or "", self._damage)
        if damage is None:
            return report
        log.warning("shard %s is redone: %s", key, damage)
        self.folder.delete([name])
        self.discard_partial(key)
        return None

    def _damage(self, report: ShardReport) -> str | None:
        """What is wrong with the parts a finished shard wrote (gone, or not what was written), or None."""
        sizes = self._sizes()
        for name in report.parts:
            if name not in sizes:
                return f"part {name} is missing"
            expected = report.sums.get(name)
            if expected is None:
                return f"the marker records no checksum for part {name}"
            if not self.folder.verify(name, expected, sizes[name]):
                return f"part {name} is not the file that was written"
        return None

    def has_marker(self, key: str) -> bool:
        return self.folder.exists(marker_name(key))

    def discard_partial(self, key: str) -> None:
        """Deletes what earlier attempts at this shard left (none is named by a marker: the shard has none, or
        it would not be run), so it is written exactly once."""
        for kind in KINDS:
            self.folder.discard(kind, f"{key}-")

    def part_writer(self, kind: str, key: str, schema: Mapping[str, Any], part_bytes: int, *,
                    row_group_rows: int, metadata: Mapping[str, str],
                    converters: Mapping[str, Callable[[list[Any]], Any]] | None = None,
                    compression_level: int | None = None, compression: str = "zstd",
                    writes: SerialWrites | None = None) -> PartWriter:
        prefix = f"{kind}/{key}" if self.folder.renames else f"{kind}/{key}-{self.attempt}"
        return PartWriter(self.folder, prefix, schema, part_bytes, row_group_rows=row_group_rows, metadata=metadata,
                          converters=converters, compression_level=compression_level, compression=compression,
                          writes=writes)

    def write_marker(self, key: str, report: dict[str, Any]) -> None:
        self.folder.put_json(marker_name(key), report)

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        self.folder.put_json(MANIFEST, manifest)


def target_for(out: str) -> Target:
    return Target(out)


def _checked_marker(read: Callable[[], str], damage: Callable[[ShardReport], str | None]
                    ) -> tuple[ShardReport | None, str | None]:
    """A shard's marker and what is wrong with the shard it vouches for (None when nothing is)."""
    try:
        report = ShardReport.from_json(json.loads(read()))
        return report, damage(report)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return None, f"its marker cannot be read: {exc}"


def _same_run(location: object, previous: dict[str, Any], identity: dict[str, Any]) -> None:
    """Refuses to resume a run whose inputs or settings differ from the one found in OUT."""
    if previous != identity:
        changed = [k for k in identity if previous.get(k) != identity[k]]
        raise RunConflict(f"{location} holds a run with different {', '.join(changed)}; resume needs the same "
                          "inputs and settings (use --overwrite to start over, or another --out)")
