"""Planning a batch run: which files, cut into which shards. A plan depends only on the inputs and the
shard size, never on the number of workers, so every worker count writes the same output."""

from __future__ import annotations

import glob
import hashlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cleaner.core.errors import CleanerError
from cleaner.io.readers import INPUT_SUFFIXES, Piece, ReadOptions, splittable
from cleaner.run.layout import STATE

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


def expand_inputs(inputs: Sequence[str], exclude: str | Path | None = None) -> list[str]:
    """Absolute paths of the files that inputs name: files, folders (recursively) and glob patterns; for
    inputs in object storage (``s3://...``), the URLs of the objects, found the same way.

    Inside a folder, the output folders of earlier cleaner runs (and ``exclude``, this run's own) are
    skipped: their Parquet parts are records, not input. A file named on its own is always read.
    """
    from cleaner.io.storage import check_scheme, is_remote, local_path

    found: set[str] = set()
    exclude = local_path(str(exclude)) if exclude is not None else None
    skip = Path(exclude).resolve() if exclude and not is_remote(exclude) else None
    for spec in inputs:
        check_scheme(spec)
        if is_remote(spec):
            found.update(_expand_remote(spec, exclude if exclude and is_remote(exclude) else None))
            continue
        spec = local_path(spec)
        path = Path(spec)
        if path.is_dir():
            files = [p for p in path.rglob("*") if p.is_file()]  # one walk: large input trees are slow to list
            outputs = _earlier_outputs(files)
            matches = [p for p in files if _wanted(p, path, skip) and not any(o in p.parents for o in outputs)]
            if not matches:
                raise InputSpecError(f"{spec}: the folder holds no input file (names ending in "
                                     f"{', '.join(sorted(INPUT_SUFFIXES))}; hidden files and earlier outputs "
                                     "are skipped)")
        elif path.is_file():
            matches = [path]
        elif glob.has_magic(spec):
            matches = [Path(p) for p in glob.glob(spec, recursive=True) if Path(p).is_file()]
            if not matches:
                raise InputSpecError(f"{spec}: the pattern matches no file")
        else:
            raise InputSpecError(f"{spec}: no such file or folder")
        found.update(str(p.resolve()) for p in matches)
    return sorted(found)


def _expand_remote(spec: str, exclude: str | None) -> list[str]:
    """The objects a URL names, filtered as the files of a folder are."""
    from cleaner.io.storage import expand_remote

    kind, urls = expand_remote(spec)
    if kind == "missing":
        raise InputSpecError(f"{spec}: no such object, folder or bucket")
    if kind == "file":
        return urls
    if kind == "glob":
        if not urls:
            raise InputSpecError(f"{spec}: the pattern matches no object")
        return urls
    root = spec.rstrip("/")
    skip = exclude.rstrip("/") + "/" if exclude else None
    relative = [(url, url[len(root) + 1:].split("/")) for url in urls if url.startswith(root + "/")]
    outputs = {"/".join(parts[:-2]) for _, parts in relative if parts[-2:] == [STATE, "run.json"]}
    folders_with_records = {"/".join(parts[:-2]) for _, parts in relative if len(parts) > 1 and parts[-2] == "records"}
    outputs |= {"/".join(parts[:-1]) for _, parts in relative
                if parts[-1] == "manifest.json" and "/".join(parts[:-1]) in folders_with_records}
    for folder in sorted(outputs):
        log.warning("skipping %s/%s: it holds the output of an earlier cleaner run, not input", root, folder)
    matches = [url for url, parts in relative
               if not any(p.startswith(".") for p in parts)
               and not (skip and url.startswith(skip))
               and not any("/".join(parts[:n]) in outputs for n in range(len(parts)))
               and any(f".{s.lower()}" in INPUT_SUFFIXES for s in parts[-1].split(".")[1:])]
    if not matches:
        raise InputSpecError(f"{spec}: the folder holds no input object (names ending in "
                             f"{', '.join(sorted(INPUT_SUFFIXES))}; hidden objects and earlier outputs are skipped)")
    return matches


def _earlier_outputs(files: Sequence[Path]) -> list[Path]:
    """The folders among ``files`` that hold a cleaner run: its ``_state/run.json``, or its manifest beside
    a records folder."""
    found = {f.parent.parent for f in files if f.name == "run.json" and f.parent.name == STATE}
    found.update(f.parent for f in files if f.name == "manifest.json" and (f.parent / "records").is_dir())
    for folder in sorted(found):
        log.warning("skipping %s: it holds the output of an earlier cleaner run, not input", folder)
    return sorted(found)


def _wanted(path: Path, root: Path, skip: Path | None) -> bool:
    relative = path.relative_to(root).parts
    if any(part.startswith(".") for part in relative):
        return False
    if skip is not None and skip in path.resolve().parents:
        return False
    return any(s.lower() in INPUT_SUFFIXES for s in path.suffixes)


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
    from cleaner.io.storage import is_remote, size

    try:
        return size(path) if is_remote(path) else os.path.getsize(path)
    except OSError:
        return 0  # gone already: the reader turns it into a reject


def _shard(pieces: tuple[Piece, ...], size: int) -> Shard:
    digest = hashlib.sha1()
    for piece in pieces:
        digest.update(f"{piece.path}\t{piece.start}\t{piece.end}\n".encode("utf-8", "surrogateescape"))
    return Shard(digest.hexdigest()[:16], pieces, size)


def inputs_fingerprint(files: Sequence[str]) -> str:
    """Changes when an input file is added, removed or modified: a resumed run must see the same inputs."""
    from cleaner.io.storage import describe, is_remote

    digest = hashlib.sha1()
    for path in files:
        if is_remote(path):
            try:
                length, version = describe(path)
                digest.update(f"{path}\t{length}\t{version}\n".encode("utf-8", "surrogateescape"))
            except OSError:
                digest.update(f"{path}\tmissing\n".encode("utf-8", "surrogateescape"))
            continue
        try:
            stat = os.stat(path)
            digest.update(f"{path}\t{stat.st_size}\t{stat.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
        except OSError:
            digest.update(f"{path}\tmissing\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()
