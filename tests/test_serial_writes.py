"""A shard's parts are written by one thread of their own (``SerialWrites``): in the order given, all of them
before the shard's marker, and none after one that failed, so the file system sees the same steps in the
same order as when each part was written at once (what the fault-injection suite counts on)."""

from __future__ import annotations

import threading

import polars as pl
import pytest

from cleaner.io.storage import DataFolder
from cleaner.io.writers import WRITER_THREAD, PartWriter, SerialWrites


def test_writes_run_in_order_on_one_thread_and_wait_returns_when_all_are_done() -> None:
    done: list[tuple[int, str]] = []
    writes = SerialWrites()
    try:
        for number in range(20):
            writes.submit(lambda number=number: done.append((number, threading.current_thread().name)))
        writes.wait()
        assert done == [(number, WRITER_THREAD) for number in range(20)]
    finally:
        writes.close()


def test_a_failed_write_drops_the_later_ones_and_is_raised_in_the_caller() -> None:
    done: list[int] = []
    release = threading.Event()

    def failing() -> None:
        release.wait()
        raise OSError(28, "No space left on device")

    writes = SerialWrites()
    try:
        writes.submit(lambda: done.append(1))
        writes.submit(failing)
        writes.submit(lambda: done.append(3))  # waits behind the failing one, then is dropped
        release.set()
        with pytest.raises(OSError, match="No space left"):
            writes.wait()
        with pytest.raises(OSError, match="No space left"):
            writes.submit(lambda: done.append(4))
        assert done == [1]
    finally:
        writes.close()


def test_close_drops_what_waits_and_finishes_what_is_being_written() -> None:
    done: list[int] = []
    started, release = threading.Event(), threading.Event()

    def slow() -> None:
        started.set()
        release.wait()
        done.append(1)

    writes = SerialWrites()
    writes.submit(slow)
    started.wait()
    writes.submit(lambda: done.append(2))
    threading.Thread(target=lambda: (writes.closing.wait(), release.set())).start()
    writes.close()
    assert done == [1]


def test_a_part_writer_with_serial_writes_writes_the_same_parts_and_sums(tmp_path) -> None:
    rows = [(f"d{n}", n, "text " * (n % 7)) for n in range(5000)]
    schema = {"doc_id": pl.String, "n": pl.Int64, "text": pl.String}
    found = []
    for folder, writes in ((tmp_path / "now", None), (tmp_path / "thread", SerialWrites())):
        writer = PartWriter(DataFolder(str(folder)), "records/k", schema, 20_000, writes=writes)
        try:
            for values in rows:
                writer.add_values(values, len(values[2]))
            writer.close()
            if writes is not None:
                writes.wait()
        finally:
            if writes is not None:
                writes.close()
        assert len(writer.parts) > 3
        found.append((writer.parts, writer.sums,
                      [(folder / name).read_bytes() for name in writer.parts]))
    assert found[0] == found[1]
