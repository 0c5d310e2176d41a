"""Where a batch run writes: an output folder on disk, or one in object storage; chosen by ``OUT``'s scheme.

Both keep the same promise: a shard's parts are committed by its completion marker, written last, and a
resume trusts only shards whose marker is there and whose parts are as the marker says.

- On disk (:class:`LocalTarget`): parts are written under a temporary name, fsynced and renamed; the
  folder is locked with flock for the run.
- In object storage (:class:`ObjectTarget`): there is no rename, so every attempt at a shard writes its
  parts under names of its own (``<shard>-<attempt>-NNNN.parquet``), each by one PUT (an object appears
  whole or not at all), and the marker (one PUT, last) names the parts of the attempt that finished. Parts
  no marker names (an attempt killed, or a Ray task retried while the first one still ran) are never read,
  and are deleted when their shard is next started. The lock is a lease object (see
  :class:`cleaner.io.storage.Lease`). A resume checks each named part's presence and size (reading every
  part back to hash it would cost a full download of the output); the SHA-256 of the bytes sent is in the
  marker for whoever wants to verify.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from cleaner.core.errors import CleanerError
from cleaner.io.writers import PartWriter, write_json_atomically
from cleaner.run.layout import (
    DEDUP_REPORT,
    KINDS,
    LOCK,
    MANIFEST,
    RUN_IDENTITY,
    STATE,
    marker_name,
    marker_path,
)
from cleaner.run.report import ShardReport

log = logging.getLogger("cleaner")



class RunConflict(CleanerError):
    """The output folder holds a run made with other inputs or settings, or another run is writing to it."""


class OutputUnusable(CleanerError):
    """The output folder cannot be created or written."""


class Target(Protocol):
    """The output of a batch run, as the run and its shards use it."""

    #: Shown in messages: the folder or the URL.
    location: str

    def exclusive(self) -> AbstractContextManager[None]:
        """Holds the output's lock for the run; refuses an output another run holds or nobody can write."""
        ...

    def claim(self, identity: dict[str, Any], overwrite: bool, kinds: tuple[str, ...]) -> None:
        """Checks (or writes) the run's identity; with ``overwrite``, first removes an earlier run."""
        ...

    def finished(self, key: str) -> ShardReport | None:
        """The report of a shard that is done and intact; else None, and whatever it left is removed."""
        ...

    def has_marker(self, key: str) -> bool:
        ...

    def discard_partial(self, key: str) -> None:
        ...

    def part_writer(self, kind: str, key: str, schema: Mapping[str, Any], part_bytes: int, *,
                    row_group_rows: int, metadata: Mapping[str, str]) -> PartWriter:
        ...

    def write_marker(self, key: str, report: dict[str, Any]) -> None:
        ...

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        ...


def target_for(out: str) -> Target:
    from cleaner.io.storage import is_remote, local_path

    return ObjectTarget(out) if is_remote(out) else LocalTarget(Path(local_path(out)))


class LocalTarget:
    """An output folder on a local or shared POSIX file system."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.location = str(out)

    def exclusive(self) -> AbstractContextManager[None]:
        return _exclusive(self.out)

    def claim(self, identity: dict[str, Any], overwrite: bool, kinds: tuple[str, ...]) -> None:
        try:
            _claim(self.out, identity, overwrite)
            # The folders a reader of the output expects are there even when a run writes nothing into them.
            for kind in kinds:
                (self.out / kind).mkdir(exist_ok=True)
        except OSError as exc:
            raise OutputUnusable(f"output folder {self.out} cannot be written: {exc.strerror or exc}") from None

    def finished(self, key: str) -> ShardReport | None:
        return _finished(self.out, marker_path(self.out, key))

    def has_marker(self, key: str) -> bool:
        return marker_path(self.out, key).is_file()

    def discard_partial(self, key: str) -> None:
        discard_partial(self.out, key)

    def part_writer(self, kind: str, key: str, schema: Mapping[str, Any], part_bytes: int, *,
                    row_group_rows: int, metadata: Mapping[str, str]) -> PartWriter:
        return PartWriter(self.out / kind, key, schema, part_bytes, row_group_rows=row_group_rows, metadata=metadata)

    def write_marker(self, key: str, report: dict[str, Any]) -> None:
        write_json_atomically(marker_path(self.out, key), report)

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        write_json_atomically(self.out / MANIFEST, manifest)


class ObjectTarget:
    """An output "folder" in object storage (a prefix of a bucket). See the module's docstring."""

    def __init__(self, out: str) -> None:
        from cleaner.io.storage import ObjectStore

        self.location = out.rstrip("/")
        self.store = ObjectStore(self.location)
        self._listing: dict[str, int] | None = None
        #: Names this attempt's parts: a retried or concurrent attempt never overwrites another's parts.
        self.attempt = uuid.uuid4().hex[:12]

    def exclusive(self) -> AbstractContextManager[None]:
        return self.store.lease(LOCK, RunConflict)

    def claim(self, identity: dict[str, Any], overwrite: bool, kinds: tuple[str, ...]) -> None:
        state = RUN_IDENTITY
        if overwrite:
            self._forget_earlier_run()
        text = self.store.read_text(state)
        if text is not None:
            _same_run(self.location, json.loads(text), identity)
            return
        self.store.put_json(state, identity)

    def _forget_earlier_run(self) -> None:
        """As :func:`_forget_earlier_run` on disk: only what cleaner wrote, and never in a prefix that holds
        no cleaner run but other objects."""
        everything = self.store.sizes("")
        if RUN_IDENTITY not in everything and MANIFEST not in everything:
            foreign = sorted(n for n in everything if n not in _OURS_BEFORE_CLAIM)
            if foreign:
                raise RunConflict(f"--overwrite refuses {self.location}: it is not the output of a cleaner run "
                                  f"(no {STATE}/run.json or {MANIFEST}) and it is not empty ({foreign[0]}, ...)")
            return
        # State first, as on disk: a kill in the middle leaves data without markers (never read, redone).
        self.store.remove_tree(STATE)
        ours = [n for n in everything if n in (MANIFEST, DEDUP_REPORT)
                or (n.split("/", 1)[0] in KINDS and _OUR_PART.fullmatch(n.rsplit("/", 1)[-1]) is not None)]
        self.store.delete(ours)
        self.store.invalidate()

    def _sizes(self) -> dict[str, int]:
        """Every object under OUT with its size, listed once per run (for checking the finished shards)."""
        if self._listing is None:
            self._listing = self.store.sizes("")
        return self._listing

    def finished(self, key: str) -> ShardReport | None:
        name = marker_name(key)
        if name not in self._sizes():
            return None
        report, damage = _checked_marker(lambda: self.store.read_text(name) or "", self._damage)
        if damage is None:
            return report
        log.warning("shard %s is redone: %s", key, damage)
        self.store.delete([name])
        self.discard_partial(key)
        return None

    def _damage(self, report: ShardReport) -> str | None:
        sizes = self._sizes()
        for name in report.parts:
            if name not in sizes:
                return f"part {name} is missing"
            expected = report.sums.get(name)
            if expected is None:
                return f"the marker records no checksum for part {name}"
            if sizes[name] != expected[0]:
                return f"part {name} is not the object that was written"
        return None

    def has_marker(self, key: str) -> bool:
        return self.store.read_text(marker_name(key)) is not None

    def discard_partial(self, key: str) -> None:
        """Deletes the parts earlier attempts at this shard left (none is named by a marker: the shard has
        none, or it would not be run)."""
        stale = [name for kind in KINDS for name in self.store.sizes(kind, prefix=f"{key}-")]
        self.store.delete(stale)

    def part_writer(self, kind: str, key: str, schema: Mapping[str, Any], part_bytes: int, *,
                    row_group_rows: int, metadata: Mapping[str, str]) -> PartWriter:
        return ObjectPartWriter(self.store, kind, f"{key}-{self.attempt}", schema, part_bytes,
                                row_group_rows=row_group_rows, metadata=metadata)

    def write_marker(self, key: str, report: dict[str, Any]) -> None:
        self.store.put_json(marker_name(key), report)

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        self.store.put_json(MANIFEST, manifest)


class ObjectPartWriter(PartWriter):
    """A part writer whose parts are objects, each uploaded whole by one PUT."""

    def __init__(self, store: Any, kind: str, prefix: str, schema: Mapping[str, Any], part_bytes: int, *,
                 row_group_rows: int, metadata: Mapping[str, str]) -> None:
        super().__init__(Path(kind), prefix, schema, part_bytes, row_group_rows=row_group_rows, metadata=metadata)
        self.store = store

    def write_part(self, name: str, frame: Any) -> tuple[int, str]:
        sums: tuple[int, str] = self.store.write_parquet(f"{self.folder.name}/{name}", frame,
                                                         row_group_rows=self.row_group_rows,
                                                         metadata=self.metadata)
        return sums


@contextmanager
def _exclusive(out: Path) -> Iterator[None]:
    """Holds the output folder's lock for the run; refuses a folder another run holds or nobody can write."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, as before
        out.mkdir(parents=True, exist_ok=True)
        yield
        return
    try:
        out.mkdir(parents=True, exist_ok=True)
        handle = open(out / LOCK, "a+", encoding="utf-8")  # noqa: SIM115 - closed below, after the run
    except OSError as exc:
        raise OutputUnusable(f"output folder {out} cannot be written: {exc.strerror or exc}") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise RunConflict(f"{out} is being written by another cleaner run ({holder}); wait for it to end "
                              "or give another --out") from None
        except OSError as exc:  # a file system without locks
            log.warning("output folder %s cannot be locked (%s): make sure no other run writes to it", out, exc)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
        handle.flush()
        yield


def _checked_marker(read: Callable[[], str], damage: Callable[[ShardReport], str | None]
                    ) -> tuple[ShardReport | None, str | None]:
    """A shard's marker and what is wrong with the shard it vouches for (None when nothing is)."""
    try:
        report = ShardReport.from_json(json.loads(read()))
        return report, damage(report)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return None, f"its marker cannot be read: {exc}"


def discard_partial(out: Path, key: str) -> None:
    """Remove whatever an unfinished earlier attempt at this shard left, so it is written exactly once."""
    for kind in KINDS:
        folder = out / kind
        if folder.is_dir():
            for stale in [*folder.glob(f"{key}-*.parquet"), *folder.glob(f".{key}-*.tmp")]:
                stale.unlink(missing_ok=True)


def _finished(out: Path, marker: Path) -> ShardReport | None:
    """The report of a shard whose marker is there and whose parts are all as written; else None, with the
    marker and whatever the shard left removed, so it is redone from scratch (each record once)."""
    if not marker.is_file():
        return None
    report, damage = _checked_marker(lambda: marker.read_text(encoding="utf-8"), lambda r: r.damage(out))
    if damage is None:
        return report
    log.warning("shard %s is redone: %s", marker.stem, damage)
    marker.unlink(missing_ok=True)
    discard_partial(out, marker.stem)
    return None


def _claim(out: Path, identity: dict[str, Any], overwrite: bool) -> None:
    state = out / RUN_IDENTITY
    if overwrite and out.exists():
        _forget_earlier_run(out)
    if state.is_file():
        _same_run(out, json.loads(state.read_text(encoding="utf-8")), identity)
        return
    write_json_atomically(state, identity)


#: The files cleaner writes into an output's data folders: parts ``<shard>-NNNN.parquet`` (in object storage
#: ``<shard>-<attempt>-NNNN.parquet``) and their temporary ``.<part>.tmp``. Anything else there is not ours.
_OUR_PART = re.compile(r"\.?[0-9a-f]{16}-(?:[0-9a-f]{12}-)?[0-9]{4}\.parquet(?:\.tmp)?")
#: What a folder may hold and still count as empty for --overwrite: this run's lock, and the rule file a
#: --learn run writes before the run starts.
_OURS_BEFORE_CLAIM = frozenset({LOCK, "learned-rules.toml"})


def is_cleaner_output(out: Path) -> bool:
    """Whether the folder holds a cleaner run: its identity (``_state/run.json``) or its manifest."""
    return (out / RUN_IDENTITY).is_file() or (out / MANIFEST).is_file()


def _forget_earlier_run(out: Path) -> None:
    """--overwrite: removes what an earlier cleaner run wrote, and only that. A folder that holds no cleaner
    run is refused unless it is empty: --overwrite must never delete a user's own files."""
    if not is_cleaner_output(out):
        foreign = sorted(p.name for p in out.iterdir() if p.name not in _OURS_BEFORE_CLAIM)
        if foreign:
            shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
            raise RunConflict(f"--overwrite refuses {out}: it is not the output of a cleaner run (no {STATE}/run.json "
                              f"or {MANIFEST}) and it is not empty ({shown}); give an empty or new folder")
        return
    # State first: a kill in the middle then leaves data without markers (redone), never markers vouching
    # for data already deleted.
    if (out / STATE).is_dir():
        shutil.rmtree(out / STATE)
    for name in (MANIFEST, DEDUP_REPORT):
        (out / name).unlink(missing_ok=True)
    for kind in KINDS:
        folder = out / kind
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            if path.is_file() and _OUR_PART.fullmatch(path.name):
                path.unlink()
        if not any(folder.iterdir()):
            folder.rmdir()
        else:
            log.warning("--overwrite kept %s: it holds files cleaner did not write", folder)


def _same_run(location: object, previous: dict[str, Any], identity: dict[str, Any]) -> None:
    """Refuses to resume a run whose inputs or settings differ from the one found in OUT."""
    if previous != identity:
        changed = [k for k in identity if previous.get(k) != identity[k]]
        raise RunConflict(f"{location} holds a run with different {', '.join(changed)}; resume needs the same "
                          "inputs and settings (use --overwrite to start over, or another --out)")


