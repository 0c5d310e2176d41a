"""The row groups of a Parquet file, read from its footer, so that each can be read (and fail) on its own.

polars reads a file's row groups in one stream, and a corrupt one ends it: the rows after it would be lost.
Knowing where each row group lies (its first row, row count and bytes) lets the reader read them one by one
and skip a corrupt one with its index and byte range. The footer is Thrift in the compact protocol; only
the few fields needed are kept, the rest skipped.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import IO, Any

_MAGIC = b"PAR1"
#: A footer larger than this is taken as damage rather than read (real ones are kilobytes to a few MB).
MAX_FOOTER_BYTES = 256 * 1024 * 1024
_MAX_DEPTH = 64


@dataclass(frozen=True, slots=True)
class RowGroup:
    index: int
    first_row: int
    rows: int
    #: Where its column chunks lie in the file: ``[start, end)`` (up to where the next row group, or the page
    #: indexes and the footer after the last one, begin; so the chunks' inline metadata is inside).
    start: int
    end: int
    #: Its page indexes (column and offset index), which writers put together before the footer.
    indexes: tuple[tuple[int, int], ...] = ()


class FooterError(ValueError):
    """The footer cannot be read: the file is not Parquet, or its end is damaged."""


def row_groups(stream: IO[bytes], size: int) -> list[RowGroup]:
    """The row groups of the Parquet file in ``stream`` (seekable, ``size`` bytes long)."""
    if size < 12:
        raise FooterError(f"{size} bytes is too short for a Parquet file")
    stream.seek(size - 8)
    tail = stream.read(8)
    if len(tail) != 8 or tail[4:] != _MAGIC:
        raise FooterError("the file does not end with the Parquet magic bytes (truncated?)")
    length = struct.unpack("<I", tail[:4])[0]
    if length > min(size - 12, MAX_FOOTER_BYTES):
        raise FooterError(f"footer length {length} does not fit the file")
    stream.seek(size - 8 - length)
    footer = size - 8 - length
    metadata = _Compact(stream.read(length)).struct(0)
    found: list[tuple[int, int, int, tuple[tuple[int, int], ...]]] = []
    for index, group in enumerate(metadata.get(4) or []):
        if not isinstance(group, dict):
            raise FooterError(f"row group {index} is not a structure")
        found.append((int(group.get(3, 0)), *_extent(group), _indexes(group)))
    index_start = min((a for *_, indexes in found for a, _ in indexes), default=footer)
    groups: list[RowGroup] = []
    first = 0
    for index, (rows, start, end, indexes) in enumerate(found):
        following = found[index + 1][1] if index + 1 < len(found) else min(index_start, footer)
        groups.append(RowGroup(index, first, rows, start, max(end, following), indexes))
        first += rows
    return groups


def _extent(group: dict[int, Any]) -> tuple[int, int]:
    """The byte range of a row group's pages: its own file_offset and total_compressed_size when the writer
    set them, else from its column chunks' page offsets and sizes."""
    if isinstance(group.get(5), int) and isinstance(group.get(6), int):
        return group[5], group[5] + group[6]
    starts, total = [], 0
    for column in group.get(1) or []:
        meta = column.get(3) if isinstance(column, dict) else None
        if not isinstance(meta, dict):
            continue
        offsets = [meta[k] for k in (9, 11) if isinstance(meta.get(k), int) and meta[k] > 0]
        if offsets:
            starts.append(min(offsets))
        total += int(meta.get(7, 0))
    start = min(starts) if starts else 0
    return start, start + total


def _indexes(group: dict[int, Any]) -> tuple[tuple[int, int], ...]:
    """The byte ranges of a row group's offset and column indexes (ColumnChunk fields 4-7)."""
    found = []
    for column in group.get(1) or []:
        if not isinstance(column, dict):
            continue
        for offset, length in ((column.get(4), column.get(5)), (column.get(6), column.get(7))):
            if isinstance(offset, int) and isinstance(length, int) and offset > 0:
                found.append((offset, offset + length))
    return tuple(found)


class _Compact:
    """A reader of Thrift's compact protocol: structs become ``{field id: value}``."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def byte(self) -> int:
        if self.at >= len(self.data):
            raise FooterError("footer ends inside a value")
        value = self.data[self.at]
        self.at += 1
        return value

    def varint(self) -> int:
        shift = result = 0
        while True:
            byte = self.byte()
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7
            if shift > 70:
                raise FooterError("varint too long")

    def zigzag(self) -> int:
        value = self.varint()
        return (value >> 1) ^ -(value & 1)

    def take(self, size: int) -> bytes:
        if size < 0 or self.at + size > len(self.data):
            raise FooterError("footer ends inside a value")
        value = self.data[self.at:self.at + size]
        self.at += size
        return value

    def value(self, kind: int, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise FooterError("footer nested too deeply")
        if kind in (1, 2):  # booleans in a struct carry their value in the type
            return kind == 1
        if kind == 3:
            return self.byte()
        if kind in (4, 5, 6):
            return self.zigzag()
        if kind == 7:
            return self.take(8)
        if kind == 8:
            return self.take(self.varint())
        if kind in (9, 10):
            header = self.byte()
            size, element = header >> 4, header & 0x0F
            if size == 15:
                size = self.varint()
            if size > len(self.data):
                raise FooterError("list longer than the footer")
            if element in (1, 2):  # booleans in a list take a byte each
                return [self.byte() == 1 for _ in range(size)]
            return [self.value(element, depth + 1) for _ in range(size)]
        if kind == 11:
            size = self.varint()
            if size > len(self.data):
                raise FooterError("map longer than the footer")
            if size == 0:
                return {}
            types = self.byte()
            return {self._hashable(self.value(types >> 4, depth + 1)): self.value(types & 0x0F, depth + 1)
                    for _ in range(size)}
        if kind == 12:
            return self.struct(depth + 1)
        raise FooterError(f"unknown Thrift type {kind}")

    def struct(self, depth: int) -> dict[int, Any]:
        fields: dict[int, Any] = {}
        last = 0
        while True:
            header = self.byte()
            if header == 0:
                return fields
            delta, kind = header >> 4, header & 0x0F
            last = last + delta if delta else self.zigzag()
            fields[last] = self.value(kind, depth)

    @staticmethod
    def _hashable(value: Any) -> Any:
        return value if isinstance(value, int | bytes | bool | str) else repr(value)
