"""Write faults on demand, in the spirit of SQLite's I/O error tests: every step by which a run changes the
file system (a file opened for writing, a write, a flush, an fsync, a Parquet part written by polars, a
folder made, a rename, a deletion) is counted, and the N-th one (or, for a file system that turned
read-only, the N-th and every one after it) fails as the operating system would make it fail.

Used in-process (``with WriteFaults(...).installed(monkeypatch): main([...])``) or, for runs whose worker
processes must fail too, by ``python tests/_write_faults.py N ERRNO STICKY clean ...``, which counts and
fails in the process it runs in.

polars writes Parquet from Rust, past Python's ``open``; its failure is given as polars gives it on a real
file system (measured on a tmpfs): a full disk leaves a partial file and raises ``ComputeError`` ("...
underlying IO error: No space left on device (os error 28)"); a read-only one raises a plain ``OSError``
without an errno ("Read-only file system (os error 30): PATH").
"""

from __future__ import annotations

import builtins
import errno
import io
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cleaner.io.writers import WRITER_THREAD

#: Steps that make or change a file, and steps that take one away: a full disk fails the first kind only.
WRITE, DELETE = "write", "delete"
#: ``error`` that kills the process (SIGKILL) instead of failing the step.
KILL = 0


def _in_shard() -> bool:
    # A shard's parts are written by a thread of their own (cleaner.io.writers.SerialWrites), in order.
    if threading.current_thread().name == WRITER_THREAD:
        return True
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_name == "process_shard":
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


class _Failing:
    """A file opened for writing whose write, flush and close steps are counted (and may fail)."""

    def __init__(self, handle: Any, faults: WriteFaults, path: str) -> None:
        self._handle = handle
        self._faults = faults
        self._path = path

    def write(self, data: Any) -> int:
        self._faults.step(WRITE, "write", self._path)
        return int(self._handle.write(data))

    def flush(self) -> None:
        self._faults.step(WRITE, "flush", self._path)
        self._handle.flush()

    def __enter__(self) -> _Failing:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._handle)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)


@dataclass
class WriteFaults:
    """Counts the write steps of whatever runs while installed; fails the ``fail_at``-th (1-based; 0:
    never) with ``error``, and with ``sticky`` every step after it too (a file system gone read-only)."""

    fail_at: int = 0
    error: int = errno.ENOSPC
    sticky: bool = False
    #: Only steps on paths under this folder count (the run's output): what else a process writes (the
    #: temporary folder's probe of the tempfile module, say) is not the run's to answer for.
    under: str = "/"
    #: Every step seen: (kind, operation, path).
    steps: list[tuple[str, str, str]] = field(default_factory=list)
    #: The steps that failed.
    failed: list[tuple[str, str, str]] = field(default_factory=list)
    #: For each step, whether a shard was being processed (the step wrote a shard's part or marker) rather
    #: than the run's own files (its lock, identity, folders, manifest).
    in_shard: list[bool] = field(default_factory=list)

    def kinds(self) -> tuple[str, ...]:
        # A full disk does not stop a deletion (it frees space); a read-only one does; a kill lands anywhere.
        return (WRITE,) if self.error == errno.ENOSPC else (WRITE, DELETE)

    def step(self, kind: str, operation: str, path: object) -> None:
        if kind not in self.kinds() or not os.path.abspath(str(path)).startswith(self.under):
            return
        self.steps.append((kind, operation, str(path)))
        self.in_shard.append(_in_shard())
        number = len(self.steps)
        if self.fail_at and (number == self.fail_at or (self.sticky and number > self.fail_at)):
            self.failed.append(self.steps[-1])
            if self.error == KILL:  # as a power cut or the OOM killer would: nothing runs after it
                os.kill(os.getpid(), signal.SIGKILL)
            raise OSError(self.error, os.strerror(self.error), str(path))

    @contextmanager
    def installed(self, patch: Callable[[Any, str, Any], None] | None = None) -> Iterator[WriteFaults]:
        """Wraps the operations for the block (``patch(owner, name, value)``: a monkeypatch's setattr, which
        then undoes them; else they are undone when the block ends)."""
        saved: list[tuple[Any, str, Any]] = []

        def put(owner: Any, name: str, value: Any) -> None:
            if patch is not None:
                patch(owner, name, value)
            else:
                saved.append((owner, name, getattr(owner, name)))
                setattr(owner, name, value)

        self._install(put)
        try:
            yield self
        finally:
            for owner, name, value in reversed(saved):
                setattr(owner, name, value)

    def _install(self, put: Callable[[Any, str, Any], None]) -> None:
        import polars as pl

        faults = self
        real_open, real_write_parquet = builtins.open, pl.DataFrame.write_parquet

        def opened(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            writing = isinstance(file, str | bytes | os.PathLike) and any(c in mode for c in "wax+")
            if not writing:
                return real_open(file, mode, *args, **kwargs)
            faults.step(WRITE, "open", os.fsdecode(file))
            return _Failing(real_open(file, mode, *args, **kwargs), faults, os.fsdecode(file))

        def write_parquet(frame: Any, file: Any, *args: Any, **kwargs: Any) -> Any:
            if not isinstance(file, str | os.PathLike):  # a buffer (object storage): no file system step
                return real_write_parquet(frame, file, *args, **kwargs)
            try:
                faults.step(WRITE, "write_parquet", os.fspath(file))
            except OSError as exc:
                if exc.errno == errno.ENOSPC:  # polars has created the file and written what fitted
                    with real_open(file, "wb") as partial:
                        partial.write(b"PAR1 half a part")
                    raise pl.exceptions.ComputeError("parquet: File out of specification: underlying IO error: "
                                                     "No space left on device (os error 28)") from None
                raise OSError(f"{os.strerror(exc.errno or 0)} (os error {exc.errno}): {file}") from None
            return real_write_parquet(frame, file, *args, **kwargs)

        def counted(kind: str, name: str, operation: Callable[..., Any], *, when: Callable[[Any], bool]
                    ) -> Callable[..., Any]:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                path = args[0] if args else kwargs.get("path", kwargs.get("src", ""))
                if isinstance(path, str | bytes | os.PathLike) and when(path):
                    faults.step(kind, name, os.fsdecode(path))
                return operation(*args, **kwargs)

            return wrapper

        put(builtins, "open", opened)
        put(io, "open", opened)  # pathlib's Path.open and write_text call io.open
        put(pl.DataFrame, "write_parquet", write_parquet)
        def fsync(fd: int) -> None:
            faults.step(WRITE, "fsync", os.readlink(f"/proc/self/fd/{fd}") if os.path.isdir("/proc") else fd)
            real_fsync(fd)

        # What the system checks first decides the error: making a folder that exists is EEXIST, removing a
        # file that does not is ENOENT, whatever the disk; those are no step.
        real_fsync, exists = os.fsync, os.path.lexists
        put(os, "fsync", fsync)
        put(os, "mkdir", counted(WRITE, "mkdir", os.mkdir, when=lambda p: not exists(p)))
        for name in ("replace", "rename"):  # a rename can need a new block of its folder: ENOSPC too
            put(os, name, counted(WRITE, name, getattr(os, name), when=exists))
        for name in ("unlink", "remove", "rmdir"):
            put(os, name, counted(DELETE, name, getattr(os, name), when=exists))


def describe(steps: list[tuple[str, str, str]], root: Path) -> list[str]:
    """The steps with paths relative to ``root`` and shard keys masked, for messages."""
    import re

    shown = []
    for _, operation, path in steps:
        relative = path[len(str(root)) + 1:] if path.startswith(str(root)) else path
        shown.append(f"{operation} {re.sub(r'[0-9a-f]{16}', 'SHARD', relative)}")
    return shown


if __name__ == "__main__":
    # python tests/_write_faults.py N ERRNO STICKY clean ...: a whole CLI run, failing at its N-th step
    # (ERRNO 0: killed just before it).
    target, code, sticky = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
    faults = WriteFaults(target, code, sticky, under=os.path.abspath(sys.argv[sys.argv.index("--out") + 1]))
    with faults.installed():
        from cleaner.cli import main

        status = main(sys.argv[4:])
    print(f"write steps: {len(faults.steps)}", file=sys.stdout)
    sys.exit(status)
