"""Planning a batch run: which files, cut into which shards. A plan depends only on the inputs and the
shard size, never on the number of workers, so every worker count writes the same output."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cleaner.core.errors import CleanerError
from cleaner.io.readers import INPUT_SUFFIXES, Piece, ReadOptions, splittable
from cleaner.run.layout import STATE

if TYPE_CHECKING:
    import os

    from cleaner.io.storage import Entry

log = logging.getLogger("cleaner")
#: Default amount of input per shard: big enough to amortise start-up, small enough to redo quickly.
DEFAULT_SHARD_BYTES = 64 * 1024 * 1024
#: Many small files (one article per file) are grouped, but not into shards of more than this many.
MAX_FILES_PER_SHARD = 2000


class InputSpecError(CleanerError):
    """An input argument names nothing that can be read."""


@dataclass(frozen=True, slots=True)
class Shard:
    key: str
    pieces: tuple[Piece, ...]
    size: int


def expand_inputs(inputs: Sequence[str], exclude: str | os.PathLike[str] | None = None) -> list[str]:
    """The files that inputs name: files, folders (recursively) and glob patterns, on the disk (absolute
    paths) or in object storage (URLs); each named the way records then name it.

    Inside a folder, hidden files and the output folders of earlier cleaner runs (and ``exclude``, this run's
    own) are skipped: their Parquet parts are records, not input. A file named on its own is always read.
    """
    from cleaner.io.storage import canonical, check_scheme, expand, noun

    found: set[str] = set()
    skip = canonical(str(exclude)) + "/" if exclude is not None else None
    for spec in inputs:
        check_scheme(spec)
        kind, root, entries = expand(spec)
        what = noun(spec)
        if kind == "missing":
            raise InputSpecError(f"{spec}: no such {what}{', folder or bucket' if what == 'object' else ' or folder'}")
        if kind == "glob" and not entries:
            raise InputSpecError(f"{spec}: the pattern matches no {what}")
        if kind == "folder":
            entries = _in_folder(root, entries, skip)
            if not entries:
                raise InputSpecError(f"{spec}: the folder holds no input {what} (names ending in "
                                     f"{', '.join(sorted(INPUT_SUFFIXES))}; hidden {what}s and earlier outputs "
                                     "are skipped)")
        found.update(entry.location for entry in entries)
    return sorted(found)


def _in_folder(root: str, entries: list[Entry], skip: str | None) -> list[Entry]:
    """The input files of a folder's listing: not hidden, not in ``skip`` (this run's output), not in an
    earlier cleaner run's output (its ``_state/run.json``, or its manifest beside a records folder), and
    with a name that says an input format."""
    outputs = {"/".join(e.parts[:-2]) for e in entries if e.parts[-2:] == (STATE, "run.json")}
    with_records = {"/".join(e.parts[:-2]) for e in entries if len(e.parts) > 1 and e.parts[-2] == "records"}
    outputs |= {"/".join(e.parts[:-1]) for e in entries
                if e.parts[-1] == "manifest.json" and "/".join(e.parts[:-1]) in with_records}
    for folder in sorted(outputs):
        log.warning("skipping %s: it holds the output of an earlier cleaner run, not input",
                    f"{root}/{folder}" if folder else root)
    return [e for e in entries
            if not any(p.startswith(".") for p in e.parts)
            and not (skip and e.location.startswith(skip))
            and not any("/".join(e.parts[:n]) in outputs for n in range(len(e.parts)))
            and any(f".{s.lower()}" in INPUT_SUFFIXES for s in e.parts[-1].split(".")[1:])]


def plan_shards(files: Sequence[str], options: ReadOptions, shard_bytes: int = DEFAULT_SHARD_BYTES) -> list[Shard]:
    """Shards in input order: large uncompressed JSON-lines files are split by byte range, small files grouped."""
    shards: list[Shard] = []
    group: list[Piece] = []
    group_size = 0

    def close_group() -> None:
        nonlocal group, group_size
        if group:
            shards.append(_shard(tuple(group), group_size))
            group, group_size = [], 0

    for path in files:
        size = _size(path)
        if size > shard_bytes and splittable(path, options):
            close_group()
            for start in range(0, size, shard_bytes):
                end = min(start + shard_bytes, size)
                shards.append(_shard((Piece(path, start, end),), end - start))
            continue
        group.append(Piece(path))
        group_size += size
        if group_size >= shard_bytes or len(group) >= MAX_FILES_PER_SHARD:
            close_group()
    close_group()
    return shards


def _size(path: str) -> int:
    from cleaner.io.storage import size

    try:
        return size(path)
    except OSError:
        return 0  # gone already: the reader turns it into a reject


def _shard(pieces: tuple[Piece, ...], size: int) -> Shard:
    digest = hashlib.sha1()
    for piece in pieces:
        digest.update(f"{piece.path}\t{piece.start}\t{piece.end}\n".encode("utf-8", "surrogateescape"))
    return Shard(digest.hexdigest()[:16], pieces, size)


def inputs_fingerprint(files: Sequence[str]) -> str:
    """Changes when an input file is added, removed or modified: a resumed run must see the same inputs."""
    from cleaner.io.storage import describe

    digest = hashlib.sha1()
    for path in files:
        try:
            length, version = describe(path)
            digest.update(f"{path}\t{length}\t{version}\n".encode("utf-8", "surrogateescape"))
        except OSError:
            digest.update(f"{path}\tmissing\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()
