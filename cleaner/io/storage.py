"""The one storage layer: inputs and output folders on the local disk or in object storage, through fsspec.

A location is a plain path, a ``file://`` URL (both the local disk: fsspec's ``file`` protocol) or an
object-storage URL: ``s3://``, ``gs://``/``gcs://``, ``az://``/``abfs://``/``abfss://``. Every caller reads,
lists, writes, commits, locks and deletes through this module, and the same code serves every protocol;
what differs between file systems is said here once, as what the file system can do (:class:`DataFolder`):

- ``renames``: the local disk renames a file into place atomically, so a file is written under a temporary
  name, fsynced and moved (``os.replace``); object storage has no rename, but one PUT makes an object appear
  whole or not at all, so there each file is uploaded whole under its final name.
- the lock of an output: ``flock`` on the local disk (it goes with its process, however that ends); in object
  storage a lease object created with a conditional PUT and renewed (:class:`Lease`).
- checking a committed part: on the local disk its bytes are read back and hashed; in object storage its
  size is compared (hashing would download the whole output).

fsspec is imported on the first use of a location, never by ``import cleaner``. The packages of the object
stores (s3fs, gcsfs, adlfs) are extras; a missing one is an error that names the extra to install.
Credentials come from the usual places of each package: for S3 (s3fs, botocore) ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, ``~/.aws/credentials``, instance roles, and
``AWS_ENDPOINT_URL`` for an S3-compatible store (MinIO, SeaweedFS, Ceph...).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import IO, Any

from cleaner.core.errors import CleanerError

log = logging.getLogger("cleaner")

#: URL scheme -> (the fsspec package that serves it, the extra of cleaner that installs it).
_PACKAGES: dict[str, tuple[str, str]] = {
    "file": ("fsspec", ""),  # a default dependency: no extra
    "s3": ("s3fs", "s3"), "s3a": ("s3fs", "s3"), "gs": ("gcsfs", "gcs"), "gcs": ("gcsfs", "gcs"),
    "az": ("adlfs", "azure"), "abfs": ("adlfs", "azure"), "abfss": ("adlfs", "azure"),
}
#: Bytes read from an object per request: big enough for throughput, small enough to stream.
READ_BLOCK = 8 * 1024 * 1024


class StorageError(CleanerError):
    """A location cannot be used: no such bucket, bad credentials, a missing package."""


class OutputError(CleanerError):
    """Output could not be written (disk full, permissions); names the file."""


def scheme_of(location: str) -> str:
    """The protocol of a location: ``file`` for a plain path, else the URL's scheme (lower case)."""
    head, sep, _ = location.partition("://")
    return head.lower() if sep and head.isalnum() else "file"


def _on_disk(location: str) -> bool:
    return scheme_of(location) == "file"


def check_scheme(location: str) -> None:
    """Refuses a URL of a scheme cleaner does not read (``http://``, a typo), naming the ones it does."""
    scheme = scheme_of(location)
    if scheme not in _PACKAGES:
        raise StorageError(f"{location}: {scheme}:// is not a storage cleaner reads; use a path, file://, "
                           "s3://, gs:// or az://")


def local_path(location: str) -> str | None:
    """The plain path of a location on the local disk (``file:///data/x`` -> ``/data/x``); None for a URL in
    object storage. For the command line, which shows local folders as paths."""
    if not _on_disk(location):
        return None
    if "://" in location:
        from urllib.parse import unquote, urlsplit

        return unquote(urlsplit(location).path) or "/"
    return location


def _display(location: str) -> str:
    """How a location is shown and joined: a local one as a plain path, a URL without its last slash."""
    path = local_path(location)
    if path is None:
        return location.rstrip("/")
    return path.rstrip("/") or "/"


_FILESYSTEMS: dict[str, Any] = {}
_FS_LOCK = threading.Lock()


def filesystem(location: str) -> Any:
    """The fsspec file system of a location, made once per scheme and process (credentials from the
    environment); fsspec's LocalFileSystem for the local disk."""
    scheme = scheme_of(location)
    with _FS_LOCK:
        if scheme in _FILESYSTEMS:
            return _FILESYSTEMS[scheme]
        package, extra = _PACKAGES.get(scheme, ("fsspec", "s3"))
        try:
            import fsspec

            __import__(package)
            # No listings cache: shards are written by other processes (workers, Ray tasks), and a run must
            # see what they wrote, not what this process listed before.
            made = fsspec.filesystem(scheme, use_listings_cache=False)
        except ImportError:
            install = f"pip install 'cleaner[{extra}]'" if extra else f"pip install {package}"
            raise StorageError(f"{location}: {scheme}:// needs the {package} package: {install}") from None
        _FILESYSTEMS[scheme] = made
        return made


def _fs_path(location: str) -> str:
    """The path fsspec uses: absolute for the local disk, ``bucket/key`` for a URL."""
    path = local_path(location)
    if path is not None:
        return os.path.abspath(path)
    return location.partition("://")[2].strip("/")


def explain(location: str, exc: BaseException) -> StorageError:
    """An fsspec/botocore error as a message that names the location and what is wrong."""
    text = str(exc) or type(exc).__name__
    lowered = text.lower()
    if isinstance(exc, PermissionError) or "access denied" in lowered or "credential" in lowered \
            or "access key" in lowered or "signature" in lowered or "forbidden" in lowered:
        what = f"access denied (check the credentials in the environment: {text})"
    elif "bucket" in lowered and ("not exist" in lowered or "nosuchbucket" in lowered):
        what = f"the bucket does not exist ({text})"
    elif isinstance(exc, FileNotFoundError):
        what = f"not found ({text})"
    elif isinstance(exc, ConnectionError | TimeoutError) or "connect" in lowered or "endpoint" in lowered:
        what = f"the store cannot be reached ({text})"
    else:
        what = f"{type(exc).__name__}: {text}"
    return StorageError(f"{location}: {what}")


# --- inputs ------------------------------------------------------------------------------------------

def open_binary(location: str) -> IO[bytes]:
    """A seekable binary stream of a file or object, read as it is consumed (never downloaded whole); its
    ``size`` attribute is the size in bytes."""
    if _on_disk(location):
        # The disk's own file object: buffered in C, with readline(limit) and fileno; fsspec's wrapper of it
        # would add a Python call to every read.
        handle: Any = open(_fs_path(location), "rb")  # noqa: SIM115 - the caller closes it
        handle.size = os.fstat(handle.fileno()).st_size
        return handle  # type: ignore[no-any-return]
    handle = filesystem(location).open(_fs_path(location), "rb", block_size=READ_BLOCK, cache_type="readahead")
    # fsspec's files have no readline(limit), which the readers use to bound a line: a standard buffer does.
    reader = io.BufferedReader(handle, buffer_size=1 << 20)
    reader.size = handle.size  # type: ignore[attr-defined]
    return reader


@dataclass(frozen=True, slots=True)
class Entry:
    """A file an input location names: its location (as records name it) and its path below the folder
    or pattern that named it, split at '/', for the filters of the planner."""

    location: str
    parts: tuple[str, ...]


#: Size and version of the files the last input listing found, so planning needs no request per input.
_LISTED: dict[str, tuple[int, str]] = {}


def _version(info: dict[str, Any]) -> str:
    return str(info.get("ETag") or info.get("etag") or info.get("LastModified") or info.get("mtime") or "")


def size(location: str) -> int:
    if location in _LISTED:
        return _LISTED[location][0]
    return int(filesystem(location).size(_fs_path(location)))


def describe(location: str) -> tuple[int, str]:
    """Size and version of a file, for the inputs' fingerprint: on the disk the modification time in
    nanoseconds (as it always was: a run started before keeps its fingerprint), in object storage the ETag."""
    if _on_disk(location):
        stat = os.stat(_fs_path(location))
        return stat.st_size, str(stat.st_mtime_ns)
    if location in _LISTED:
        return _LISTED[location]
    info = filesystem(location).info(_fs_path(location))
    return int(info.get("size") or 0), _version(info)


def noun(location: str) -> str:
    """What the files of a location are called in messages."""
    return "file" if _on_disk(location) else "object"


def _hidden_below(pattern: str, path: str) -> bool:
    """Whether a wildcard matched a hidden name (``.partial.jsonl``), as a shell's ``*`` never does."""
    fixed = pattern.split("/")
    names = path.split("/")
    if any(part.startswith(".") and any(c in part for c in "*?[") for part in fixed):
        return False  # the pattern asks for hidden names
    return any(name.startswith(".") and (i >= len(fixed) or fixed[i] != name) for i, name in enumerate(names))


def expand(spec: str) -> tuple[str, str, list[Entry]]:
    """What an input location names: its kind (``file``, ``folder``, ``glob`` or ``missing``), the folder its
    entries are below, and the files (for a folder, every file under it, hidden ones too: the planner
    filters)."""
    fs = filesystem(spec)
    on_disk = _on_disk(spec)
    path = _fs_path(spec)
    shown = _display(spec)

    def entry(found: str, info: dict[str, Any], below: str) -> Entry:
        location = os.path.realpath(found) if on_disk else f"{scheme_of(spec)}://{found}"
        _LISTED[location] = (int(info.get("size") or 0), _version(info))
        relative = found[len(below):].strip("/") if found.startswith(below) else found
        return Entry(location, tuple(relative.split("/")))

    def files(found: dict[str, dict[str, Any]], below: str) -> list[Entry]:
        return [entry(name, info, below) for name, info in sorted(found.items())
                if info.get("type", "file") != "directory"]

    try:
        try:
            info = fs.info(path)
        except FileNotFoundError:
            info = {}
        if info.get("type") == "file":
            return "file", shown, files({path: info}, path.rsplit("/", 1)[0])
        if info.get("type") != "directory" and any(c in path for c in "*?["):
            fixed = path.split("*")[0].split("?")[0].split("[")[0].rsplit("/", 1)[0]
            found = {k: v for k, v in fs.glob(path, detail=True).items() if not _hidden_below(path, k)}
            return "glob", shown, files(found, fixed)
        found = fs.find(path, detail=True)
        if found:
            return "folder", shown, files(found, path)
        if info.get("type") == "directory" or (not on_disk and (path.count("/") == 0 or fs.exists(path))):
            return "folder", shown, []  # an empty folder or bucket
    except (OSError, ValueError) as exc:
        if on_disk:
            raise
        raise explain(spec, exc) from None
    except Exception as exc:  # botocore raises its own kinds (no credentials, endpoint errors)
        raise explain(spec, exc) from None
    return "missing", shown, []


def canonical(location: str) -> str:
    """A location as :func:`expand` names its files: a local path made absolute with its links resolved."""
    return os.path.realpath(_fs_path(location)) if _on_disk(location) else location.rstrip("/")


# --- folders -----------------------------------------------------------------------------------------------

class DataFolder:
    """A folder of files on any file system: the output of a run, the state it resumes from. Names are
    relative to the folder and '/'-separated. See the module's docstring for what differs by file system."""

    def __init__(self, location: str) -> None:
        location = str(location)
        check_scheme(location)
        #: Shown in messages and used to name the folder's files for readers (polars): a plain path on disk.
        self.location = _display(location)
        self.fs = filesystem(location)
        self.base = _fs_path(location)
        #: The file system renames files into place atomically and has real folders (the local disk).
        self.renames = _on_disk(location)

    def __repr__(self) -> str:
        return f"DataFolder({self.location!r})"

    def full(self, name: str) -> str:
        """The file ``name`` as a location: a path on disk, a URL in object storage."""
        return f"{self.location}/{name}" if name else self.location

    def _key(self, name: str) -> str:
        return f"{self.base}/{name}" if name else self.base

    # reading

    def read_text(self, name: str) -> str | None:
        """The file's text, or None when there is none."""
        try:
            return bytes(self.fs.cat_file(self._key(name))).decode("utf-8")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def exists(self, name: str) -> bool:
        return bool(self.fs.isfile(self._key(name)))

    def sizes(self, folder: str = "", prefix: str = "") -> dict[str, int]:
        """Names (relative to this folder) and sizes of every file under ``folder`` whose name there starts
        with ``prefix`` (listed by the store itself where the file system can, and filtered here)."""
        key = self._key(folder)
        try:
            try:
                found = self.fs.find(key, detail=True, prefix=prefix) if prefix else self.fs.find(key, detail=True)
            except TypeError:  # a file system without prefix listing
                found = self.fs.find(key, detail=True)
        except (FileNotFoundError, NotADirectoryError):
            return {}
        base = f"{self.base}/"
        return {name.removeprefix(base): int(info.get("size") or 0) for name, info in found.items()
                if info.get("type") != "directory" and name.removeprefix(f"{key}/").startswith(prefix)}

    def verify(self, name: str, expected: tuple[int, str], found: int) -> bool:
        """Whether the file whose listed size is ``found`` is the one whose size and SHA-256 are ``expected``:
        on the disk its bytes are hashed; in object storage its size is compared (the hash of the bytes sent
        is kept for whoever wants to download and check them)."""
        if found != expected[0]:
            return False
        if not self.renames:
            return True
        try:
            return self._sum(self._key(name)) == expected
        except OSError:
            return False

    def _sum(self, key: str) -> tuple[int, str]:
        digest = hashlib.sha256()
        length = 0
        with self.fs.open(key, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                length += len(chunk)
        return length, digest.hexdigest()

    # writing: every file appears whole under its name, or not at all

    def makedirs(self, folder: str) -> None:
        """A folder readers expect even when nothing is written into it (object storage has none)."""
        if self.renames:
            self.fs.makedirs(self._key(folder), exist_ok=True)

    def put(self, name: str, data: bytes) -> None:
        """Writes a whole file atomically: on the disk under a temporary name, fsynced, then moved into place;
        in object storage by one PUT."""
        if self.renames:
            self._commit(name, lambda temporary: _write_file(temporary, data))
            return
        try:
            self.fs.pipe_file(self._key(name), data)
        except Exception as exc:
            raise explain(self.full(name), exc) from exc

    def put_json(self, name: str, value: Any) -> None:
        self.put(name, json.dumps(value, indent=2, sort_keys=True, default=str).encode("utf-8"))

    def write_parquet(self, name: str, frame: Any, *, row_group_rows: int, metadata: dict[str, str] | None,
                      compression_level: int | None = None, compression: str = "zstd") -> tuple[int, str]:
        """One Parquet file, written atomically; its size and SHA-256. ``compression``: polars' codec name
        (zstd, or "uncompressed"); ``compression_level``: its level (None: polars' default)."""
        options = {"compression": compression, "compression_level": compression_level, "row_group_size": row_group_rows,
                   "statistics": True, "metadata": metadata or None}
        if self.renames:
            # Written by polars straight to the file (never held whole in memory), then hashed from the disk.
            return self._commit(name, lambda temporary: frame.write_parquet(temporary, **options))
        buffer = io.BytesIO()
        frame.write_parquet(buffer, **options)
        data = buffer.getvalue()
        self.put(name, data)
        return len(data), hashlib.sha256(data).hexdigest()

    def _commit(self, name: str, write: Any) -> tuple[int, str]:
        """Writes ``name`` on the local disk with ``write(temporary)``, fsyncs it and moves it into place: a
        crash leaves the old file or the new one, never half of one."""
        key = self._key(name)
        folder, _, base = key.rpartition("/")
        temporary = f"{folder}/.{base}.tmp"
        try:
            os.makedirs(folder, exist_ok=True)
            write(temporary)
            with open(temporary, "rb") as handle:
                os.fsync(handle.fileno())
            sums = self._sum(temporary)
            os.replace(temporary, key)
            return sums
        except Exception as exc:
            _remove_quietly(temporary)
            said = _system_error(exc)
            if said is None:
                raise
            raise OutputError(f"cannot write {self.full(name)}: {said}") from exc
        except BaseException:
            _remove_quietly(temporary)
            raise

    def put_if_absent(self, name: str, data: bytes) -> bool | None:
        """Creates the file only if there is none (If-None-Match: *): True if created, False if one was
        there; None if the store does not do conditional writes (then nothing was written)."""
        key = self._key(name)
        try:
            self.fs.pipe_file(key, data, mode="create")
            return True
        except FileExistsError:
            return False
        except (TypeError, NotImplementedError):
            return None
        except OSError as exc:
            if "pre-condition" in str(exc).lower() or "precondition" in str(exc).lower():
                return False
            if isinstance(exc, PermissionError | FileNotFoundError):
                raise explain(self.full(name), exc) from None
            return None

    # deleting

    def delete(self, names: list[str]) -> None:
        """Deletes files (those already gone are no matter)."""
        if not names:
            return
        keys = [self._key(n) for n in names]
        try:
            self.fs.rm(keys)
        except FileNotFoundError:  # one of them was gone: the rest, one at a time
            for key in keys:
                with suppress(FileNotFoundError):
                    self.fs.rm_file(key)

    def discard(self, folder: str, prefix: str) -> None:
        """Deletes every file of ``folder`` whose name starts with ``prefix``, and the temporary files (of
        such names) that a commit cut off on the disk left."""
        found = list(self.sizes(folder, prefix))
        if self.renames:
            found += self.sizes(folder, f".{prefix}")
        self.delete(found)

    def remove_tree(self, folder: str) -> None:
        """Deletes a folder and everything under it: its files one :meth:`delete` (every change to a folder
        passes through :meth:`put` and :meth:`delete`), then on the disk the folders left empty."""
        self.delete(sorted(self.sizes(folder)))
        if self.renames:
            with suppress(FileNotFoundError):
                self.fs.rm(self._key(folder), recursive=True)

    def remove_empty_folder(self, folder: str) -> bool:
        """Removes a folder if it holds nothing (in object storage a folder goes with its last object);
        whether it is gone."""
        if self.renames:
            try:
                self.fs.rmdir(self._key(folder))
            except FileNotFoundError:
                pass
            except OSError:  # not empty
                return False
        return True

    def invalidate(self) -> None:
        self.fs.invalidate_cache()

    # locking

    @contextmanager
    def lock(self, name: str, conflict: type[CleanerError], unusable: type[CleanerError]) -> Iterator[None]:
        """Holds the lock file ``name`` for the run: ``flock`` on the disk, a lease in object storage (see
        :class:`Lease`). Another holder is a ``conflict``; a folder nobody can write is ``unusable``."""
        if self.renames:
            with _flock(self, name, conflict, unusable):
                yield
            return
        lease = Lease(self, name)
        lease.acquire(conflict)
        try:
            yield
        finally:
            lease.release()


def _write_file(path: str, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)


def _system_error(exc: BaseException) -> str | None:
    """What the operating system said, from an OSError or from a polars error's text (polars reports a full
    disk as a ComputeError "... underlying IO error: No space left on device (os error 28)", naming no file);
    None for any other error."""
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    said = re.search(r"IO error: (.+?) \(os error \d+\)", str(exc))
    return said.group(1) if said else None


def _remove_quietly(path: str) -> None:
    with suppress(OSError):
        os.unlink(path)


@contextmanager
def _flock(folder: DataFolder, name: str, conflict: type[CleanerError], unusable: type[CleanerError]
           ) -> Iterator[None]:
    """The lock of a folder on disk: flock, which goes with its process however that ends."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, as before
        folder.makedirs("")
        yield
        return
    try:
        folder.makedirs("")
        handle = open(folder._key(name), "a+", encoding="utf-8")  # noqa: SIM115 - closed below, after the run
    except OSError as exc:
        raise unusable(f"output folder {folder.location} cannot be written: {exc.strerror or exc}") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise conflict(f"{folder.location} is being written by another cleaner run ({holder}); wait for it to "
                           "end or give another --out") from None
        except OSError as exc:  # a file system without locks
            log.warning("output folder %s cannot be locked (%s): make sure no other run writes to it",
                        folder.location, exc)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
            handle.flush()
        except OSError as exc:  # a full or read-only disk: said with the folder, as when it cannot be created
            raise unusable(f"output folder {folder.location} cannot be written: {exc.strerror or exc}") from None
        yield


#: A lock object not renewed for this long is taken to belong to a run that died (kill -9, lost node).
LEASE_SECONDS = 120.0
#: How often the run holding the lock renews it.
RENEW_SECONDS = 30.0


class Lease:
    """The lock of an output in object storage, where there is no flock: an object ``OUT/.cleaner.lock``
    holding owner, host, pid and times, created with a conditional PUT (If-None-Match: *) so that of two
    runs starting together only one gets it, and renewed every ``RENEW_SECONDS`` while the run goes on.

    A lock is taken over when its holder is gone: a process of this host that no longer exists, or a lock
    not renewed for ``LEASE_SECONDS`` (a run killed on another machine). On a store without conditional
    writes the lock is advisory: checked, then written, with a race between two runs starting at once.
    """

    def __init__(self, store: DataFolder, name: str) -> None:
        self.store = store
        self.name = name
        self.token = uuid.uuid4().hex
        self.started = time.time()
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def _body(self) -> bytes:
        return json.dumps({"owner": self.token, "host": socket.gethostname(), "pid": os.getpid(),
                           "started": self.started, "renewed": time.time()}).encode()

    def acquire(self, conflict: type[CleanerError]) -> None:
        for _attempt in range(3):
            created = self.store.put_if_absent(self.name, self._body())
            if created is None:
                log.warning("%s does not do conditional writes: its lock is advisory; make sure no other run "
                            "writes to it", self.store.location)
                holder = self._holder()
                if holder is not None and not self._stale(holder):
                    raise conflict(self._busy(holder))
                self.store.put(self.name, self._body())
                break
            if created:
                break
            holder = self._holder()
            if holder is None:
                continue  # released meanwhile
            if not self._stale(holder):
                raise conflict(self._busy(holder))
            log.warning("%s: taking over the lock of a run that is gone (%s)", self.store.location,
                        self._who(holder))
            self.store.delete([self.name])
        else:
            raise conflict(f"{self.store.location} is locked by another cleaner run; wait for it to end or give "
                           "another --out")
        self.thread = threading.Thread(target=self._renew, name="cleaner-lease", daemon=True)
        self.thread.start()

    def _holder(self) -> dict[str, Any] | None:
        text = self.store.read_text(self.name)
        if text is None:
            return None
        try:
            value = json.loads(text)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def _stale(self, holder: dict[str, Any]) -> bool:
        if holder.get("host") == socket.gethostname() and isinstance(holder.get("pid"), int):
            try:
                os.kill(holder["pid"], 0)
            except ProcessLookupError:
                return True
            except PermissionError:
                pass
        renewed = holder.get("renewed")
        return not isinstance(renewed, int | float) or time.time() - renewed > LEASE_SECONDS

    @staticmethod
    def _who(holder: dict[str, Any]) -> str:
        return f"pid {holder.get('pid')} on {holder.get('host')}"

    def _busy(self, holder: dict[str, Any]) -> str:
        return (f"{self.store.location} is being written by another cleaner run ({self._who(holder)}); wait for "
                "it to end or give another --out")

    def _renew(self) -> None:
        while not self.stop.wait(RENEW_SECONDS):
            try:
                self.store.put(self.name, self._body())
            except Exception as exc:  # a renewal missed is retried; the lease is long enough for a few
                log.warning("cannot renew the lock of %s: %s", self.store.location, exc)

    def release(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()
        try:
            holder = self._holder()
            if holder is not None and holder.get("owner") == self.token:
                self.store.delete([self.name])
        except Exception as exc:
            log.warning("cannot remove the lock of %s: %s", self.store.location, exc)
