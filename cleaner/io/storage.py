"""Object storage (S3, GCS, Azure, any S3-compatible store) through fsspec, for inputs and ``OUT``.

A location is a plain path (the local disk, handled as it always was, without importing fsspec) or a URL:
``s3://``, ``gs://``/``gcs://``, ``az://``/``abfs://``/``abfss://``. ``file://`` URLs are turned into plain
paths, so they keep every guarantee of the local disk (renames, fsync, flock). fsspec and its file system
packages are imported on first use of a URL, never by ``import cleaner``; a missing package is an error
that names the extra to install.

Credentials come from the usual places of each package: for S3 (s3fs, botocore) ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, ``~/.aws/credentials``, instance roles, and
``AWS_ENDPOINT_URL`` for an S3-compatible store (MinIO, SeaweedFS, Ceph...).
"""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from cleaner.core.errors import CleanerError

log = logging.getLogger("cleaner")

#: URL scheme -> (the fsspec package that serves it, the extra of cleaner that installs it).
_PACKAGES: dict[str, tuple[str, str]] = {
    "s3": ("s3fs", "s3"), "s3a": ("s3fs", "s3"), "gs": ("gcsfs", "gcs"), "gcs": ("gcsfs", "gcs"),
    "az": ("adlfs", "azure"), "abfs": ("adlfs", "azure"), "abfss": ("adlfs", "azure"),
}
#: Bytes read from an object per request: big enough for throughput, small enough to stream.
READ_BLOCK = 8 * 1024 * 1024


class StorageError(CleanerError):
    """An object-storage location cannot be used: no such bucket, bad credentials, a missing package."""


def scheme_of(location: str) -> str | None:
    head, sep, _ = location.partition("://")
    return head.lower() if sep and head.isalnum() else None


def is_remote(location: str) -> bool:
    """Whether ``location`` is an object-storage URL (not a plain path, not ``file://``). Cheap: no import."""
    return scheme_of(location) in _PACKAGES


def local_path(location: str) -> str:
    """A plain path for ``file://`` URLs (``file:///data/x`` -> ``/data/x``); anything else unchanged."""
    if scheme_of(location) == "file":
        from urllib.parse import unquote, urlsplit

        return unquote(urlsplit(location).path) or "/"
    return location


def check_scheme(location: str) -> None:
    """Refuses a URL of a scheme cleaner does not read (``http://``, a typo), naming the ones it does."""
    scheme = scheme_of(location)
    if scheme is not None and scheme != "file" and scheme not in _PACKAGES:
        raise StorageError(f"{location}: {scheme}:// is not a storage cleaner reads; use a path, file://, "
                           "s3://, gs:// or az://")


def filesystem(location: str) -> Any:
    """The fsspec file system of a URL, made once per scheme and process (credentials from the environment)."""
    scheme = scheme_of(location) or "file"
    return _filesystem(scheme, location)


_FILESYSTEMS: dict[str, Any] = {}
_FS_LOCK = threading.Lock()


def _filesystem(scheme: str, location: str) -> Any:
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
            raise StorageError(f"{location}: {scheme}:// needs the {package} package: "
                               f"pip install 'cleaner[{extra}]'") from None
        _FILESYSTEMS[scheme] = made
        return made


def split(url: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` -> (``s3``, ``bucket/a/b``): the scheme and the path fsspec uses."""
    scheme, _, rest = url.partition("://")
    return scheme.lower(), rest.strip("/")


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
    """A seekable binary stream of an object, read in blocks (never downloaded whole)."""
    fs = filesystem(location)
    handle = fs.open(location, "rb", block_size=READ_BLOCK, cache_type="readahead")
    # fsspec's files have no readline(limit), which the readers use to bound a line: a standard buffer does.
    reader = io.BufferedReader(handle, buffer_size=1 << 20)
    reader.size = handle.size  # type: ignore[attr-defined]
    return reader


#: Size and version of the objects the last input listing found, so planning needs no request per input.
_LISTED: dict[str, tuple[int, str]] = {}


def _version(info: dict[str, Any]) -> str:
    return str(info.get("ETag") or info.get("etag") or info.get("LastModified") or info.get("mtime") or "")


def size(location: str) -> int:
    if location in _LISTED:
        return _LISTED[location][0]
    return int(filesystem(location).size(location))


def describe(location: str) -> tuple[int, str]:
    """Size and version (ETag, or modification time) of an object, for the inputs' fingerprint."""
    if location in _LISTED:
        return _LISTED[location]
    info = filesystem(location).info(location)
    return int(info.get("size") or 0), _version(info)


def _listed(scheme: str, found: dict[str, dict[str, Any]]) -> list[str]:
    """The URLs of the objects (not folders) of a detailed listing, remembered with their sizes."""
    urls = []
    for path, info in sorted(found.items()):
        if info.get("type", "file") == "directory":
            continue
        url = f"{scheme}://{path}"
        _LISTED[url] = (int(info.get("size") or 0), _version(info))
        urls.append(url)
    return urls


def expand_remote(spec: str) -> tuple[str, list[str]]:
    """What a URL names: ("file", [url]), ("folder", [urls of every object under it]) or ("glob", [urls])."""
    fs = filesystem(spec)
    scheme, path = split(spec)
    try:
        if any(c in path for c in "*?["):
            return "glob", _listed(scheme, fs.glob(path, detail=True))
        try:
            info = fs.info(path)
        except FileNotFoundError:
            info = {}
        if info.get("type") == "file":
            return "file", _listed(scheme, {path: info})
        found = fs.find(path, detail=True)
        if found:
            return "folder", _listed(scheme, found)
        if path.count("/") == 0 or fs.exists(path):  # an empty bucket or folder
            return "folder", []
    except (OSError, ValueError) as exc:
        raise explain(spec, exc) from None
    except Exception as exc:  # botocore raises its own kinds (no credentials, endpoint errors)
        raise explain(spec, exc) from None
    return "missing", []


# --- the output store ----------------------------------------------------------------------------------

class ObjectStore:
    """An output folder in object storage: whole objects written by one PUT each (an object appears whole
    or not at all), no renames. Names are relative to the root URL, '/'-separated."""

    def __init__(self, root: str) -> None:
        self.root = root.rstrip("/")
        self.fs = filesystem(root)
        self.scheme, self.base = split(self.root)

    def url(self, name: str) -> str:
        return f"{self.root}/{name}"

    def _key(self, name: str) -> str:
        return f"{self.base}/{name}"

    def read_text(self, name: str) -> str | None:
        """The object's text, or None when there is none."""
        try:
            return bytes(self.fs.cat_file(self._key(name))).decode("utf-8")
        except FileNotFoundError:
            return None

    def put(self, name: str, data: bytes) -> None:
        try:
            self.fs.pipe_file(self._key(name), data)
        except Exception as exc:
            raise explain(self.url(name), exc) from exc

    def put_json(self, name: str, value: Any) -> None:
        self.put(name, json.dumps(value, indent=2, sort_keys=True, default=str).encode("utf-8"))

    def put_if_absent(self, name: str, data: bytes) -> bool | None:
        """Creates the object only if there is none (If-None-Match: *): True if created, False if one was
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
                raise explain(self.url(name), exc) from None
            return None

    def sizes(self, folder: str, prefix: str = "") -> dict[str, int]:
        """Names (relative to the root) and sizes of every object under ``folder`` (whose name there starts
        with ``prefix``: listed by the store itself where the file system can, else filtered here)."""
        key = self._key(folder) if folder else self.base
        try:
            try:
                found = self.fs.find(key, detail=True, prefix=prefix) if prefix else self.fs.find(key, detail=True)
            except TypeError:  # a file system without prefix listing
                found = {k: v for k, v in self.fs.find(key, detail=True).items()
                         if k.removeprefix(f"{key}/").startswith(prefix)}
        except FileNotFoundError:
            return {}
        prefix = f"{self.base}/"
        return {key.removeprefix(prefix): int(info.get("size") or 0) for key, info in found.items()
                if info.get("type") != "directory"}

    def delete(self, names: list[str]) -> None:
        if names:
            self.fs.rm([self._key(n) for n in names])

    def remove_tree(self, folder: str) -> None:
        found = list(self.sizes(folder))
        self.delete(found)

    def invalidate(self) -> None:
        self.fs.invalidate_cache()

    def write_parquet(self, name: str, frame: Any, *, row_group_rows: int, metadata: dict[str, str] | None
                      ) -> tuple[int, str]:
        """One Parquet object, uploaded in one go; its size and SHA-256 (of the bytes sent)."""
        import hashlib

        buffer = io.BytesIO()
        frame.write_parquet(buffer, compression="zstd", row_group_size=row_group_rows, statistics=True,
                            metadata=metadata or None)
        data = buffer.getvalue()
        self.put(name, data)
        return len(data), hashlib.sha256(data).hexdigest()

    @contextmanager
    def lease(self, name: str, conflict: type[CleanerError]) -> Iterator[None]:
        """Holds the lock object ``name`` for the run (see :class:`Lease`)."""
        lease = Lease(self, name)
        lease.acquire(conflict)
        try:
            yield
        finally:
            lease.release()


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

    def __init__(self, store: ObjectStore, name: str) -> None:
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
                            "writes to it", self.store.root)
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
            log.warning("%s: taking over the lock of a run that is gone (%s)", self.store.root, self._who(holder))
            self.store.delete([self.name])
        else:
            raise conflict(f"{self.store.root} is locked by another cleaner run; wait for it to end or give another "
                           "--out")
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
        return (f"{self.store.root} is being written by another cleaner run ({self._who(holder)}); wait for it "
                "to end or give another --out")

    def _renew(self) -> None:
        while not self.stop.wait(RENEW_SECONDS):
            try:
                self.store.put(self.name, self._body())
            except Exception as exc:  # a renewal missed is retried; the lease is long enough for a few
                log.warning("cannot renew the lock of %s: %s", self.store.root, exc)

    def release(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()
        try:
            holder = self._holder()
            if holder is not None and holder.get("owner") == self.token:
                self.store.delete([self.name])
        except Exception as exc:
            log.warning("cannot remove the lock of %s: %s", self.store.root, exc)
