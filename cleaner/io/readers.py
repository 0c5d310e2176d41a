"""Readers: turn input files of every supported format into :class:`Document`s or :class:`Rejected` rows.

A reader never raises on bad input. Whatever cannot become a document becomes a ``Rejected`` with the
file, the position (line, record or byte) and the reason, so every input is accounted for.
"""

from __future__ import annotations

import io
import json
import os
import re
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any, Literal

from cleaner.core.reltime import parse_time  # shared with the library: fetch times read alike
from cleaner.io.storage import is_remote

Format = Literal["text", "jsonl", "json", "html", "warc", "parquet"]
Compression = Literal["gzip", "zstd", "bz2", "xz"] | None
FORMATS: tuple[str, ...] = ("text", "jsonl", "json", "html", "warc", "parquet")

_COMPRESSION_SUFFIXES: dict[str, Compression] = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd",
                                                  ".bz2": "bz2", ".xz": "xz"}
_FORMAT_SUFFIXES: dict[str, Format] = {
    ".txt": "text", ".text": "text", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
    ".html": "html", ".htm": "html", ".warc": "warc", ".arc": "warc", ".parquet": "parquet",
}
INPUT_SUFFIXES = frozenset(_FORMAT_SUFFIXES) | frozenset(_COMPRESSION_SUFFIXES)
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
#: A zstd skippable frame (pzstd and seekable-format files start with one): 0x184D2A50..5F, little-endian.
_ZSTD_SKIPPABLE = tuple(bytes([0x50 + n, 0x2A, 0x4D, 0x18]) for n in range(16))
_BZ2_MAGIC = b"BZh"
_XZ_MAGIC = b"\xfd7zXZ\x00"
_BINARY_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"PK\x03\x04", b"\x7fELF", b"RIFF", b"\x00\x00\x01\x00")
_FETCH_FIELDS = ("fetched_at", "fetch_time", "fetched", "crawled_at", "timestamp", "date")
_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))
_ESCAPED_SUSPECT = re.compile(rb"\\u(?:00[01]|[dD][89a-fA-F])")
_SURROGATE = re.compile("[\ud800-\udfff]")
_UNWANTED_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
NO_FIELDS: Mapping[str, Any] = MappingProxyType({})
_LATIN_SCRIPT_CODECS = frozenset({
    "cp1250", "cp1252", "cp1254", "cp1257", "latin_1", "iso8859_2", "iso8859_3", "iso8859_4", "iso8859_9",
    "iso8859_10", "iso8859_13", "iso8859_14", "iso8859_15", "iso8859_16", "mac_latin2", "mac_roman", "cp437",
    "cp850", "cp858",
})


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How inputs are read. The limits keep one bad file from taking the machine down."""

    format: Format | None = None
    id_field: str = "id"
    text_field: str = "text"
    url_field: str = "url"
    #: A single document (a file, a JSON line, a WARC payload) larger than this is rejected.
    max_document_bytes: int = 64 * 1024 * 1024
    #: A compressed file may inflate to at most this many times its size on disk, plus ``inflate_slack``.
    max_inflate_ratio: int = 250
    inflate_slack: int = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Document:
    """One input document, as text or as HTML, with where it came from."""

    doc_id: str
    input_path: str
    position: int
    text: str | None = None
    html: bytes | None = None
    url: str | None = None
    fetched_at: datetime | None = None
    fields: Mapping[str, Any] = field(default_factory=lambda: NO_FIELDS)

    @property
    def size(self) -> int:
        return len(self.text) if self.text is not None else len(self.html or b"")


@dataclass(frozen=True, slots=True)
class Rejected:
    """An input that could not become a document, and why."""

    input_path: str
    position: int
    doc_id: str | None
    reason: str
    sample: str = ""


@dataclass(frozen=True, slots=True)
class Piece:
    """A unit of reading: a whole file, or the lines of an uncompressed JSON-lines file in a byte range."""

    path: str
    start: int = 0
    end: int | None = None


class InputError(Exception):
    """A whole input (or the rest of it) cannot be read; becomes one ``Rejected``."""


# --- detection ---------------------------------------------------------------------------------------

def doc_stem(path: str | Path) -> str:
    """The file name without its known extensions: ``000_abc.txt.gz`` gives ``000_abc``."""
    name = Path(path).name
    while True:
        stem, dot, suffix = name.rpartition(".")
        if not dot or not stem or f".{suffix.lower()}" not in INPUT_SUFFIXES:
            return name
        name = stem


def detect(path: str | Path, forced: Format | None = None) -> tuple[Format, Compression]:
    """The format and compression of a file: compression from magic bytes, format from the extension
    (or ``forced``), falling back to sniffing the first bytes."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    compression: Compression = None
    head = b""
    try:
        with _open_raw(str(path)) as handle:
            head = handle.read(4096)
    except OSError:
        pass
    if head.startswith(_GZIP_MAGIC):
        compression = "gzip"
    elif head.startswith((_ZSTD_MAGIC, *_ZSTD_SKIPPABLE)):
        compression = "zstd"
    elif head.startswith(_XZ_MAGIC):
        compression = "xz"
    elif head.startswith(_BZ2_MAGIC) and head[3:4].isdigit():
        compression = "bz2"
    elif suffixes and suffixes[-1] in _COMPRESSION_SUFFIXES and head:
        compression = None  # named .gz but not compressed: trust the bytes
    if forced is not None:
        return forced, compression
    for suffix in reversed(suffixes):
        if suffix in _FORMAT_SUFFIXES:
            return _FORMAT_SUFFIXES[suffix], compression
    if compression is not None:
        head = _inflate_head(head, compression)
    return _sniff(head), compression


def _inflate_head(head: bytes, compression: Compression) -> bytes:
    """The first (at most 4096) decompressed bytes of a file's head, for sniffing its format."""
    out = b""
    try:
        for piece in _BoundedDecoder(compression).feed(head):
            out += piece
            if len(out) >= 4096:
                break
    except Exception:
        pass
    return out[:4096]


def _decoder(compression: Compression) -> Any:
    """A streaming decoder with ``decompress``, ``eof`` and ``unused_data`` for the compression."""
    if compression == "gzip":
        return zlib.decompressobj(zlib.MAX_WBITS | 16)
    if compression == "bz2":
        import bz2

        return bz2.BZ2Decompressor()
    if compression == "xz":
        import lzma

        return lzma.LZMADecompressor()
    import zstandard

    return zstandard.ZstdDecompressor().decompressobj()


class _BoundedDecoder:
    """A streaming decoder whose every step outputs a bounded amount, whatever the input holds.

    A compression bomb inflates by up to a million times (bzip2), so a decoder given one ordinary read
    can return gigabytes before anyone counts them. Here input goes in slices of ``SLICE`` bytes and
    each call asks for at most ``STEP`` bytes of output (zstandard's decompressobj has no output bound;
    a 512-byte slice of zstd holds at most 128 blocks of 128 KiB). Concatenated gzip members, bzip2
    streams and zstd frames are all read; a fault raises after everything decoded before it was yielded,
    so at most one slice is lost to it.
    """

    SLICE = 512
    STEP = 1 << 20

    def __init__(self, compression: Compression) -> None:
        self.compression = compression
        self.decoder = _decoder(compression)
        self.started = False

    @property
    def eof(self) -> bool:
        return bool(self.decoder.eof)

    def feed(self, data: bytes) -> Iterator[bytes]:
        view = memoryview(data)
        for at in range(0, len(view), self.SLICE):
            yield from self._feed(bytes(view[at:at + self.SLICE]))

    def _feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            if self.decoder.eof:
                # A further gzip member, bzip2 stream or zstd frame; bytes after the last one that are none
                # (trailing garbage, which `gzip -t` accepts) raise here, after what came before.
                self.decoder = _decoder(self.compression)
            self.started = True
            yield from self._decompress(data)
            data = self.decoder.unused_data if self.decoder.eof else b""

    def _decompress(self, data: bytes) -> Iterator[bytes]:
        decoder = self.decoder
        if self.compression == "zstd":
            yield bytes(decoder.decompress(data))
        elif self.compression == "gzip":
            yield decoder.decompress(data, self.STEP)
            while decoder.unconsumed_tail and not decoder.eof:
                yield decoder.decompress(decoder.unconsumed_tail, self.STEP)
        else:  # bz2, xz
            yield decoder.decompress(data, self.STEP)
            while not decoder.eof and not decoder.needs_input:
                yield decoder.decompress(b"", self.STEP)


def _sniff(head: bytes) -> Format:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"WARC/"):
        return "warc"
    if text.startswith(b"PAR1"):
        return "parquet"
    if text.startswith(b"{"):
        return "jsonl"
    if text.startswith(b"["):
        return "json"
    if text[:15].lower().startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "html"
    return "text"


# --- opening, with limits ----------------------------------------------------------------------------

class _Inflating(io.RawIOBase):
    """Decompresses a stream, bounded against decompression bombs chunk by chunk of output.

    Everything decoded before a fault or truncation is delivered before the fault is reported, so the
    documents ahead of it survive.
    """

    _CHUNK = 1 << 16
    #: Output gathered per refill; with the decoder's own step, what is held at once stays a few MiB.
    _REFILL = 1 << 20

    def __init__(self, raw: IO[bytes], compression: Compression, limit: int) -> None:
        self.raw = raw
        self.limit = limit
        self.total = 0
        self.decoder = _BoundedDecoder(compression)
        self.pending = b""
        self.output: Iterator[bytes] = iter(())
        self.consumed = 0
        self.chunk_start = 0
        self.finished = False
        self.failure: InputError | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.pending and not self.finished and self.failure is None:
            self._refill()
        if not self.pending and self.failure is not None:
            # Everything decoded before the fault was delivered first: the documents ahead of it survive.
            raise self.failure
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size

    def _refill(self) -> None:
        pieces: list[bytes] = []
        produced = 0
        while produced < self._REFILL:
            try:
                piece = next(self.output, None)
            except Exception as exc:  # zlib.error, zstandard.ZstdError, OSError, lzma.LZMAError
                self.failure = InputError(f"compressed stream is corrupt after byte {self.chunk_start} of the file "
                                          f"(what came before is kept): {exc}")
                break
            if piece is None:
                data = self.raw.read(self._CHUNK)
                if not data:
                    self.finished = True
                    if not self.decoder.eof and self.decoder.started:
                        self.failure = InputError("compressed stream is truncated: it ends before its "
                                                  "end-of-stream marker")
                    break
                self.chunk_start = self.consumed
                self.consumed += len(data)
                self.output = self.decoder.feed(data)
                continue
            produced += len(piece)
            self.total += len(piece)
            if self.total > self.limit:
                raise InputError(f"inflates past {self.limit} bytes (the limit for a file of this size); "
                                 "likely a decompression bomb")
            pieces.append(piece)
        self.pending = b"".join(pieces)

    def close(self) -> None:
        self.raw.close()
        super().close()


def open_input(path: str, compression: Compression, options: ReadOptions) -> IO[bytes]:
    """A binary stream of the file's content, decompressed when needed."""
    raw = _open_raw(path)
    if compression is None:
        return raw
    size = raw.size if is_remote(path) else os.fstat(raw.fileno()).st_size  # type: ignore[attr-defined]
    limit = size * options.max_inflate_ratio + options.inflate_slack
    return io.BufferedReader(_Inflating(raw, compression, limit), buffer_size=1 << 20)


def _open_raw(path: str) -> IO[bytes]:
    """The file's bytes: a local file, or an object in object storage read in blocks as it is consumed."""
    if is_remote(path):
        from cleaner.io.storage import open_binary

        return open_binary(path)
    return open(path, "rb")


# --- decoding ----------------------------------------------------------------------------------------

def decode_text(data: bytes) -> tuple[str, dict[str, Any]]:
    """Text from bytes: a BOM or valid UTF-8 first, then a detected charset, else UTF-8 with
    replacement characters. The second value says what was done, for the record's fields."""
    notes: dict[str, Any] = {}
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
        notes["encoding"] = "utf-16"
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            encoding = _guess_encoding(data)
            if encoding is None:
                text = data.decode("utf-8", errors="replace")
                notes.update(encoding="utf-8", decode_errors=True)
            else:
                text = data.decode(encoding, errors="replace")
                notes["encoding"] = encoding
    return _without_controls(text, notes).removeprefix("\ufeff"), notes


def _without_controls(text: str, notes: dict[str, Any]) -> str:
    """The text without C0 control characters other than tab and line breaks; notes how many went."""
    cleaned = text.translate(_CONTROL)
    if len(cleaned) != len(text):
        notes["control_chars_removed"] = len(text) - len(cleaned)
    return cleaned


def _guess_encoding(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data[:1_000_000]).best()
    guess = best.encoding if best is not None else None
    if guess is None or guess in _LATIN_SCRIPT_CODECS:
        # Detection cannot tell Latin code pages apart on short text; like browsers (WHATWG), take
        # undeclared Latin-script bytes as windows-1252 when they decode as such.
        try:
            data.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            pass
    return None if guess in (None, "utf_8", "ascii") else guess


def binary_reason(data: bytes) -> str | None:
    """Why these bytes are not text (an image, an archive, mostly NULs), or None."""
    if data.startswith(_BINARY_MAGIC):
        return "binary content (file signature of an image, archive or executable)"
    sample = data[:8192]
    if sample and sample.count(0) > len(sample) // 10 and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary content (more than 10% NUL bytes)"
    return None


def _read_capped(stream: IO[bytes], limit: int) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"document larger than the {limit}-byte limit")
    return data


# --- readers -----------------------------------------------------------------------------------------

def read_piece(piece: Piece, options: ReadOptions) -> Iterator[Document | Rejected]:
    """Every document of a piece, in order, or a ``Rejected`` for whatever cannot be read."""
    path = piece.path
    try:
        fmt, compression = detect(path, options.format)
        reader = _READERS[fmt]
        yield from reader(piece, compression, options)
    except InputError as exc:
        yield Rejected(path, piece.start, None, str(exc))
    except FileNotFoundError:
        yield Rejected(path, piece.start, None, "file disappeared before it could be read")
    except PermissionError:
        yield Rejected(path, piece.start, None, "file is not readable (permission denied)")
    except OSError as exc:
        yield Rejected(path, piece.start, None, f"read error: {exc.strerror or exc}")


def _whole_file(piece: Piece, compression: Compression, options: ReadOptions) -> bytes:
    """The content of a one-document file, within the document-size limit."""
    with open_input(piece.path, compression, options) as stream:
        return _read_capped(stream, options.max_document_bytes)


def _single_document(path: str, doc_id: str, data: bytes, *, html: bool) -> Document | Rejected:
    """One document from whole content (a text file, an HTML page, standard input), or why it is none."""
    reason = binary_reason(data)
    if reason:
        return Rejected(path, 0, doc_id, reason, data[:80].decode("latin-1"))
    if html:
        return Document(doc_id, path, 0, html=data)
    text, notes = decode_text(data)
    return Document(doc_id, path, 0, text=text, fields=notes or NO_FIELDS)


def _read_text(piece: Piece, compression: Compression, options: ReadOptions) -> Iterator[Document | Rejected]:
    yield _single_document(piece.path, doc_stem(piece.path), _whole_file(piece, compression, options), html=False)


def _read_html(piece: Piece, compression: Compression, options: ReadOptions) -> Iterator[Document | Rejected]:
    yield _single_document(piece.path, doc_stem(piece.path), _whole_file(piece, compression, options), html=True)


def _read_jsonl(piece: Piece, compression: Compression, options: ReadOptions) -> Iterator[Document | Rejected]:
    with open_input(piece.path, compression, options) as stream:
        yield from _jsonl_documents(stream, piece.path, doc_stem(piece.path), options, piece.start, piece.end)


def _jsonl_documents(stream: IO[bytes], path: str, stem: str, options: ReadOptions, start: int = 0,
                     end: int | None = None) -> Iterator[Document | Rejected]:
    """The documents of JSON lines in ``stream``; with ``start``/``end``, those of the lines that begin in
    that byte range (the stream must then be seekable)."""
    limit = options.max_document_bytes
    line_number, position = 0, 0
    if start:
        # Start after the line that straddles the boundary: it belongs to the previous piece.
        stream.seek(start - 1)
        position = start - 1
        position += _skip_line(stream)
        line_number = -1  # unknown in a split file; positions below are byte offsets then
    while end is None or position < end:
        offset = position
        line = stream.readline(limit + 1)
        if not line:
            break
        position += len(line)
        if line_number >= 0:
            line_number += 1
        where = line_number if line_number >= 0 else offset
        if len(line) > limit and not line.endswith(b"\n"):
            position += _skip_line(stream)
            yield Rejected(path, where, None, f"line longer than the {limit}-byte limit")
            continue
        if not line.strip():
            continue
        yield _json_document(line, path, where, stem, options)


STDIN = "-"


def read_stream(stream: IO[bytes], options: ReadOptions, name: str = STDIN) -> Iterator[Document | Rejected]:
    """The documents of an unseekable stream (standard input): JSON lines one by one as they arrive, or the
    whole stream as one text, HTML page or WARC; the format from ``options.format`` or the first bytes."""
    head = stream.peek(4096)[:4096] if hasattr(stream, "peek") else b""
    if head.startswith((_GZIP_MAGIC, _ZSTD_MAGIC, *_ZSTD_SKIPPABLE, _XZ_MAGIC)) or \
            (head.startswith(_BZ2_MAGIC) and head[3:4].isdigit()):
        yield Rejected(name, 0, None, "compressed data on standard input: decompress it first "
                                      "(e.g. zcat dump.jsonl.gz | cleaner clean - ...), or pass the file by name")
        return
    fmt = options.format or _sniff(head)
    if fmt in ("jsonl", "json") and head.lstrip().startswith(b"{"):
        yield from _jsonl_documents(stream, name, "stdin", options)
        return
    if fmt not in ("text", "html"):
        yield Rejected(name, 0, None, f"{fmt} cannot be read from standard input; pass the file by name")
        return
    try:
        data = _read_capped(stream, options.max_document_bytes)
    except InputError as exc:
        yield Rejected(name, 0, None, str(exc))
        return
    yield _single_document(name, "stdin", data, html=fmt == "html")


def _skip_line(stream: IO[bytes]) -> int:
    """Consume the rest of a line in bounded chunks; returns how many bytes were consumed."""
    consumed = 0
    while True:
        chunk = stream.readline(1 << 20)
        consumed += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return consumed


def _json_document(line: bytes, path: str, where: int, stem: str, options: ReadOptions) -> Document | Rejected:
    sample = line[:120].decode("utf-8", errors="replace")
    try:
        value = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        return Rejected(path, where, None, f"malformed JSON: {exc}", sample)
    except RecursionError:
        return Rejected(path, where, None, "JSON nested too deeply to decode", sample)
    # In JSON, control characters and lone surrogates can only arrive as \u escapes: look at the bytes first.
    return _object_document(value, path, where, stem, options, sample, bool(_ESCAPED_SUSPECT.search(line)))


def _object_document(value: Any, path: str, where: int, stem: str, options: ReadOptions, sample: str,
                     suspect: bool, *, whole_file: bool = False) -> Document | Rejected:
    """A document from one decoded JSON object (a JSON line, an element of a JSON array, or a whole file)."""
    if not isinstance(value, dict):
        return Rejected(path, where, None, f"JSON value is a {type(value).__name__}, not an object", sample)
    raw_id = value.pop(options.id_field, None)
    fallback = stem if whole_file else f"{stem}:{where}"
    doc_id = str(raw_id) if isinstance(raw_id, str | int) and str(raw_id) else fallback
    text = value.pop(options.text_field, None)
    if not isinstance(text, str):
        missing = "missing" if text is None else f"a {type(text).__name__}, not a string"
        return Rejected(path, where, doc_id, f"text field {options.text_field!r} is {missing}", sample)
    cleaned, notes = _scrub(text) if suspect else (text, {})
    url = value.pop(options.url_field, None)
    fetched = next((parse_time(value[k]) for k in _FETCH_FIELDS if k in value), None)
    value.update(notes)
    return Document(doc_id, path, where, text=cleaned, url=url if isinstance(url, str) else None,
                    fetched_at=fetched, fields=value or NO_FIELDS)


def _read_json(piece: Piece, compression: Compression, options: ReadOptions) -> Iterator[Document | Rejected]:
    """A .json file: one JSON object (one document) or an array of them, pretty-printed or not. A file that
    is not one JSON value but JSON lines (a .json name is common for those) is read as JSON lines."""
    doc_id, data = doc_stem(piece.path), _whole_file(piece, compression, options)
    reason = binary_reason(data)
    if reason:
        yield Rejected(piece.path, 0, doc_id, reason, data[:80].decode("latin-1"))
        return
    sample = data[:120].decode("utf-8", errors="replace")
    try:
        value = json.loads(data)
    except RecursionError:
        yield Rejected(piece.path, 0, doc_id, "JSON nested too deeply to decode", sample)
        return
    except (ValueError, UnicodeDecodeError) as exc:
        lines = [line for line in data.splitlines() if line.strip()]
        if len(lines) > 1 and all(line.lstrip().startswith(b"{") for line in lines[:3]):
            yield from _read_jsonl(piece, compression, options)
        else:
            yield Rejected(piece.path, 0, doc_id, f"malformed JSON: {exc}", sample)
        return
    suspect = bool(_ESCAPED_SUSPECT.search(data))
    if isinstance(value, list):
        for number, element in enumerate(value, 1):
            yield _object_document(element, piece.path, number, doc_id, options, sample, suspect)
    else:
        yield _object_document(value, piece.path, 0, doc_id, options, sample, suspect, whole_file=True)


def _scrub(text: str) -> tuple[str, dict[str, Any]]:
    """Text without control characters or lone surrogates (JSON escapes can carry both)."""
    notes: dict[str, Any] = {}
    cleaned = _without_controls(text, notes)
    if _SURROGATE.search(cleaned):
        cleaned = _SURROGATE.sub("\ufffd", cleaned)
        notes["decode_errors"] = True
    return cleaned, notes


def _read_warc(piece: Piece, compression: Compression, options: ReadOptions) -> Iterator[Document | Rejected]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    number = 0
    # warcio reads gzip members itself; zstd it does not know, so that is decompressed here.
    with open_input(piece.path, "zstd" if compression == "zstd" else None, options) as raw:
        try:
            for record in ArchiveIterator(raw):
                if record.rec_type not in ("response", "resource", "conversion"):
                    continue
                number += 1
                headers = record.rec_headers
                doc_id = (headers.get_header("WARC-Record-ID") or f"{doc_stem(piece.path)}:{number}").strip("<>")
                doc_id = doc_id.removeprefix("urn:uuid:")
                url = headers.get_header("WARC-Target-URI")
                fetched = parse_time(headers.get_header("WARC-Date"))
                content_type = (record.http_headers.get_header("Content-Type") if record.http_headers else
                                headers.get_header("Content-Type")) or ""
                if record.rec_type == "response" and record.http_headers is None:
                    yield Rejected(piece.path, number, doc_id, "response record without HTTP headers")
                    continue
                try:
                    payload = _read_capped(record.content_stream(), options.max_document_bytes)
                except InputError as exc:
                    yield Rejected(piece.path, number, doc_id, str(exc))
                    continue
                if "html" in content_type or payload.lstrip()[:15].lower().startswith((b"<!doctype", b"<html")):
                    yield Document(doc_id, piece.path, number, html=payload, url=url, fetched_at=fetched)
                elif content_type.startswith("text/"):
                    text, notes = decode_text(payload)
                    yield Document(doc_id, piece.path, number, text=text, url=url, fetched_at=fetched,
                                   fields=notes or NO_FIELDS)
                else:
                    yield Rejected(piece.path, number, doc_id, f"unsupported content type {content_type!r}")
        except Exception as exc:  # warcio raises many kinds on a malformed record; it cannot resync after one
            kind = "" if isinstance(exc, ArchiveLoadFailed | InputError) else f"{type(exc).__name__}: "
            yield Rejected(piece.path, number + 1, None,
                           f"WARC stream is corrupt or truncated after record {number}: {kind}{exc}")


def _read_parquet(piece: Piece, compression: Compression, options: ReadOptions
                  ) -> Iterator[Document | Rejected]:
    import polars as pl

    try:
        schema = pl.read_parquet_schema(piece.path)
    except Exception as exc:  # polars raises several error types for a bad file
        raise InputError(f"not a readable Parquet file: {exc}") from None
    if options.text_field not in schema:
        raise InputError(f"Parquet file has no text column {options.text_field!r} (columns: {', '.join(schema)})")
    stem = doc_stem(piece.path)
    number = 0
    batches = pl.scan_parquet(piece.path).collect_batches(chunk_size=10_000)
    while True:
        try:
            batch = next(batches, None)
        except Exception as exc:  # a corrupt page or row group: the rows before it were delivered
            raise InputError(f"Parquet file is corrupt after row {number} (the rows before are kept): {exc}"
                             ) from None
        if batch is None:
            return
        for row in batch.iter_rows(named=True):
            number += 1
            yield _parquet_document(row, piece.path, number, stem, options)


def _parquet_document(row: dict[str, Any], path: str, number: int, stem: str, options: ReadOptions
                      ) -> Document | Rejected:
    """A Parquet row as a document, under the same limits and clean-up as a JSON line."""
    text = row.pop(options.text_field)
    raw_id = row.pop(options.id_field, None)
    doc_id = str(raw_id) if raw_id is not None and str(raw_id) else f"{stem}:{number}"
    notes: dict[str, Any] = {}
    if isinstance(text, bytes):  # a binary column: bytes of unknown encoding, as in a text file
        reason = binary_reason(text)
        if reason:
            return Rejected(path, number, doc_id, reason, text[:80].decode("latin-1"))
        text, notes = decode_text(text)
    if not isinstance(text, str):
        missing = "null" if text is None else f"a {type(text).__name__}, not text"
        return Rejected(path, number, doc_id, f"text column {options.text_field!r} is {missing}")
    limit = options.max_document_bytes
    if len(text) > limit // 4 and len(text.encode("utf-8", "surrogatepass")) > limit:
        return Rejected(path, number, doc_id, f"document larger than the {limit}-byte limit", text[:80])
    text, scrubbed = _scrub(text) if _UNWANTED_CHARACTER.search(text) else (text, {})
    url = row.pop(options.url_field, None)
    fetched = next((parse_time(row[k]) for k in _FETCH_FIELDS if k in row), None)
    fields = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}
    fields.update(notes)
    fields.update(scrubbed)
    return Document(doc_id, path, number, text=text, url=url if isinstance(url, str) else None,
                    fetched_at=fetched, fields=fields or NO_FIELDS)


_READERS = {"text": _read_text, "html": _read_html, "jsonl": _read_jsonl, "json": _read_json, "warc": _read_warc,
            "parquet": _read_parquet}


def splittable(path: str, options: ReadOptions) -> bool:
    """Whether a file can be cut into byte ranges read independently (uncompressed JSON lines)."""
    fmt, compression = detect(path, options.format)
    return fmt == "jsonl" and compression is None
