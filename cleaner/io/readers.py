"""Readers: turn input files of every supported format into :class:`Document`s or :class:`Rejected` rows.

A reader never raises on bad input. Whatever cannot become a document becomes a ``Rejected`` with the
file, the position (line, record or byte) and the reason, so every input is accounted for.
"""

from __future__ import annotations

import io
import json
import re
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any, Literal

from cleaner._native import JsonLineFields
from cleaner.core.reltime import parse_time  # shared with the library: fetch times read alike
from cleaner.io.storage import open_binary

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


@dataclass(slots=True)
class Document:
    """One input document, as text or as HTML, with where it came from.

    Not frozen, though nothing changes one once read: a frozen dataclass sets each field through
    ``object.__setattr__``, which made making one cost about as much as decoding its JSON line (a batch run
    makes millions). Nothing hashes a document (its ``fields`` may be a dict)."""

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
    #: The byte range ``(start, end)`` that could not be read at all (a corrupt compressed member, a malformed
    #: WARC record, an unreadable Parquet row group): data lost, not one document refused. Counted apart.
    damaged: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Damage:
    """Bytes a reader skipped to get past damage, and why; becomes a ``Rejected`` with ``damaged`` set."""

    start: int
    end: int
    reason: str

    def rejected(self, path: str, where: str = "") -> Rejected:
        return Rejected(path, self.start, None, f"damaged data skipped: bytes {self.start}-{self.end}{where} "
                        f"({self.end - self.start} bytes): {self.reason}", damaged=(self.start, self.end))


@dataclass(frozen=True, slots=True)
class Piece:
    """A unit of reading: a whole file, or the lines of an uncompressed JSON-lines file in a byte range."""

    path: str
    start: int = 0
    end: int | None = None


class InputError(Exception):
    """A whole input (or the rest of it) cannot be read; becomes one ``Rejected`` (``damaged`` when bytes of
    it are lost, not just refused)."""

    def __init__(self, message: str, damaged: tuple[int, int] | None = None) -> None:
        super().__init__(message)
        self.damaged = damaged


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
        # Named .gz but not compressed: trust the bytes; unless a member header follows soon, when the first
        # member's header is what is damaged (its reader skips to that next member and counts the loss).
        named = _COMPRESSION_SUFFIXES[suffixes[-1]]
        magic = _MEMBER_MAGIC.get(str(named))
        if magic is not None and magic in _head(str(path), 1 << 16):
            compression = named
    if forced is not None:
        return forced, compression
    for suffix in reversed(suffixes):
        if suffix in _FORMAT_SUFFIXES:
            return _FORMAT_SUFFIXES[suffix], compression
    if compression is not None:
        head = _inflate_head(head, compression)
    return _sniff(head), compression


def _head(path: str, size: int) -> bytes:
    try:
        with _open_raw(path) as handle:
            return handle.read(size)
    except OSError:
        return b""


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
    so at most one slice is lost to it. ``member_start`` is where the member being decoded began in the
    compressed file, so that a fault can be located and skipped.
    """

    SLICE = 512
    STEP = 1 << 20

    def __init__(self, compression: Compression, position: int = 0) -> None:
        self.compression = compression
        self.decoder = _decoder(compression)
        self.started = False
        #: Bytes of the compressed file fed so far (from its start), and where the current member began.
        self.position = position
        self.member_start = position
        #: Members begun after the first: changes when one ends and the next begins.
        self.members = 0

    @property
    def eof(self) -> bool:
        return bool(self.decoder.eof)

    def feed(self, data: bytes) -> Iterator[bytes]:
        view = memoryview(data)
        for at in range(0, len(view), self.SLICE):
            piece = bytes(view[at:at + self.SLICE])
            self.position += len(piece)
            yield from self._feed(piece)

    def _feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            if self.decoder.eof:
                # A further gzip member, bzip2 stream or zstd frame; bytes after the last one that are none
                # (trailing garbage, which `gzip -t` accepts) raise here, after what came before.
                self.decoder = _decoder(self.compression)
                self.member_start = self.position - len(data)
                self.members += 1
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

#: The bytes a member of each kind starts with, to find the next one after a corrupt member. bzip2 and xz
#: are not resynchronised: their streams are rarely concatenated, and what follows a fault there is lost.
_MEMBER_MAGIC: dict[str, bytes] = {"gzip": b"\x1f\x8b\x08", "zstd": _ZSTD_MAGIC}


class _Inflating(io.RawIOBase):
    """Decompresses a stream, bounded against decompression bombs chunk by chunk of output.

    Everything decoded before a fault or truncation is delivered before the fault is reported, so the
    documents ahead of it survive. With ``recover`` (formats whose records can be told apart: JSON lines,
    WARC), a corrupt gzip member or zstd frame is skipped instead: reading goes on at the next member
    header after it, the skipped byte range is noted in ``damage``, and a line break ends what came before.
    A member's output is held back until the member ends and its checksum passes (up to ``HOLD`` bytes,
    beyond which it streams), so that the garbage a corrupt member inflates to is not taken for data: a
    corrupt member is lost whole (a WARC record, a few lines), and a corrupt single-member file loses at
    most ``HOLD`` bytes of output before the fault besides the rest. A truncated member delivers what it
    decoded (nothing there is known to be wrong; the line it cuts becomes a malformed-line reject).
    """

    _CHUNK = 1 << 16
    #: Output gathered per refill; with the decoder's own step, what is held at once stays a few MiB.
    _REFILL = 1 << 20
    HOLD = 1 << 20

    def __init__(self, raw: IO[bytes], compression: Compression, limit: int, size: int = 0,
                 recover: bool = False) -> None:
        self.raw = raw
        self.limit = limit
        self.size = size
        self.total = 0
        self.decoder = _BoundedDecoder(compression)
        self.pending = b""
        self.output: Iterator[bytes] = iter(())
        self.finished = False
        self.failure: InputError | None = None
        self.recover = recover and compression in _MEMBER_MAGIC
        self.damage: list[Damage] = []
        self.held: list[bytes] = []
        self.held_size = 0
        self.members_seen = 0

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
        while sum(map(len, pieces)) < self._REFILL:
            try:
                piece = next(self.output, None)
            except Exception as exc:  # zlib.error, zstandard.ZstdError, OSError, lzma.LZMAError
                if self.decoder.members != self.members_seen:  # the member before the damaged one ended whole
                    self.members_seen = self.decoder.members
                    self._release(pieces)
                if not self._damaged(f"corrupt compressed data: {exc}", pieces):
                    break
                continue
            if self.decoder.members != self.members_seen:  # the member before this piece ended whole
                self.members_seen = self.decoder.members
                self._release(pieces)
            if piece is None:
                if self.decoder.eof:
                    self._release(pieces)
                data = self.raw.read(self._CHUNK)
                if not data:
                    self.finished = True
                    if not self.decoder.eof and self.decoder.started:
                        self._damaged("compressed stream is truncated: it ends before its end-of-stream marker",
                                      pieces, truncated=True)
                    self._release(pieces)
                    break
                self.output = self.decoder.feed(data)
                continue
            self.total += len(piece)
            if self.total > self.limit:
                raise InputError(f"inflates past {self.limit} bytes (the limit for a file of this size); "
                                 "likely a decompression bomb")
            self.held.append(piece)
            self.held_size += len(piece)
            if not self.recover or self.held_size > self.HOLD:
                self._release(pieces)
        self.pending = b"".join(pieces)

    def _release(self, pieces: list[bytes]) -> None:
        pieces.extend(self.held)
        self.held.clear()
        self.held_size = 0

    def _damaged(self, reason: str, pieces: list[bytes], truncated: bool = False) -> bool:
        """Handles a fault in the member being decoded; True when reading goes on after it."""
        start = self.decoder.member_start
        if not self.recover:
            self._release(pieces)
            where = "" if truncated else f" in the member starting at byte {start} of the file (what came before " \
                                         "is kept)"
            self.failure = InputError(f"{reason}{where}", damaged=(start, self.size or self.decoder.position))
            return False
        if truncated:
            self._release(pieces)
        self.held.clear()  # unverified output of a corrupt member: part of the damage, not data
        self.held_size = 0
        resume = self.decoder.position if truncated else self._resync(start + 1)
        self.damage.append(Damage(start, resume, reason + ("" if truncated or self.finished else
                                                           "; reading resumed at the next member")))
        pieces.append(b"\n")  # whatever the damaged member delivered ends its line: the next one starts anew
        return not self.finished

    def _resync(self, start: int) -> int:
        """Positions the stream at the next plausible member header at or after ``start``; returns its offset
        (the end of the file when there is none)."""
        compression = self.decoder.compression
        magic = _MEMBER_MAGIC[str(compression)]
        self.output = iter(())
        try:
            self.raw.seek(start)
        except (OSError, ValueError, AttributeError):  # not seekable: the rest is lost, and counted
            self.finished = True
            return max(self.size, self.decoder.position)
        window, base = b"", start
        while True:
            chunk = self.raw.read(self._CHUNK)
            if not chunk:
                self.finished = True
                return base + len(window)
            window += chunk
            at = window.find(magic)
            while at >= 0 and at + 4 <= len(window):
                # gzip's flag byte has three reserved bits that must be zero: a cheap check against a
                # chance match inside compressed data (which the next member's checksum would catch anyway).
                if compression != "gzip" or window[at + 3] & 0xE0 == 0:
                    found = base + at
                    self.raw.seek(found)
                    self.decoder = _BoundedDecoder(compression, found)
                    self.members_seen = 0
                    return found
                at = window.find(magic, at + 1)
            keep = at if at >= 0 else max(len(window) - len(magic) + 1, 0)
            base += keep
            window = window[keep:]

    def take_damage(self) -> list[Damage]:
        taken, self.damage = self.damage, []
        return taken

    def close(self) -> None:
        self.raw.close()
        super().close()


def open_input(path: str, compression: Compression, options: ReadOptions, *, recover: bool = False) -> IO[bytes]:
    """A binary stream of the file's content, decompressed when needed. With ``recover``, corrupt gzip members
    and zstd frames are skipped and noted (see :func:`take_damage`) instead of ending the stream."""
    raw = _open_raw(path)
    if compression is None:
        return raw
    size = raw.size  # type: ignore[attr-defined]
    limit = size * options.max_inflate_ratio + options.inflate_slack
    return io.BufferedReader(_Inflating(raw, compression, limit, size, recover), buffer_size=1 << 20)


def take_damage(stream: IO[bytes]) -> list[Damage]:
    """The damaged ranges a recovering stream from :func:`open_input` skipped since the last call."""
    inner = getattr(stream, "raw", None)
    return inner.take_damage() if isinstance(inner, _Inflating) else []


def _open_raw(path: str) -> IO[bytes]:
    """The file's bytes, read as they are consumed, through the storage layer (a file on the disk or an object
    in object storage); its ``size`` attribute is its size."""
    return open_binary(path)


# --- decoding ----------------------------------------------------------------------------------------

def decode_text(data: bytes) -> tuple[str, dict[str, Any]]:
    """Text from bytes: a BOM or valid UTF-8 first, then a detected charset, else UTF-8 with
    replacement characters. The second value says what was done, for the record's fields."""
    notes: dict[str, Any] = {}
    utf16 = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else utf16_without_bom(data)
    if utf16 is not None:
        text = data.decode(utf16, errors="replace")
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


@dataclass(frozen=True, slots=True)
class Decoded:
    """An HTML page's text and how its charset was found: ``bom``, ``utf-8`` (valid UTF-8), ``declared``,
    ``utf-16`` (without a BOM, from its pattern of NULs), ``detected`` or ``fallback`` (UTF-8 with
    replacement characters)."""

    text: str
    encoding: str
    source: str


_DECLARED = re.compile(rb"""<meta[^>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]{1,40})""", re.IGNORECASE)
_XML_DECLARED = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_.\-]{1,40})""", re.IGNORECASE)
#: Labels that browsers (WHATWG Encoding) read as another, larger charset: pages that say ISO-8859-1 are
#: written in windows-1252, and a meta tag cannot honestly declare UTF-16 (it would not be readable).
_LABEL_ALIASES = {"latin_1": "cp1252", "ascii": "cp1252", "iso8859_9": "cp1254", "iso8859_11": "cp874",
                  "tis_620": "cp874", "gb2312": "gb18030", "gbk": "gb18030", "euc_kr": "cp949",
                  "shift_jis": "cp932", "utf_16": "utf-8", "utf_16_le": "utf-8", "utf_16_be": "utf-8"}
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def decode_html(data: bytes) -> Decoded:
    """An HTML page's text. The charset comes from a BOM, else from UTF-16 without a BOM (ASCII markup leaves
    a NUL in every other byte), else from valid UTF-8 (bytes that decode as UTF-8 are almost never meant as
    anything else, whatever the page says), else from the page's declaration (meta charset or XML
    declaration) when its bytes decode cleanly in it, else from detection; never silently with replacement
    characters while a cleaner reading exists."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return Decoded(data.decode(encoding, errors="replace"), encoding, "bom")
    utf16 = utf16_without_bom(data)  # before UTF-8: NULs are valid UTF-8, so UTF-16 of ASCII decodes as it
    if utf16 is not None:
        return Decoded(data.decode(utf16, errors="replace"), utf16, "utf-16")
    try:
        return Decoded(data.decode("utf-8"), "utf-8", "utf-8")
    except UnicodeDecodeError:
        pass
    declared = _declared_charset(data[:4096])
    if declared is not None:
        try:
            return Decoded(data.decode(declared), declared, "declared")
        except UnicodeDecodeError:
            pass  # the declaration is wrong (cp1252 bytes under a page that says UTF-8): detect instead
    guess = _guess_encoding(data)
    if guess is not None:
        try:
            return Decoded(data.decode(guess), guess, "detected")
        except UnicodeDecodeError:
            pass
    return Decoded(data.decode("utf-8", errors="replace"), "utf-8", "fallback")


def _declared_charset(head: bytes) -> str | None:
    """The Python codec of the charset a page's head declares, or None (none declared, or unknown)."""
    import codecs

    found = _XML_DECLARED.search(head) or _DECLARED.search(head)
    if found is None:
        return None
    try:
        name = codecs.lookup(found.group(1).decode("ascii")).name.replace("-", "_")
    except LookupError:
        return None
    return _LABEL_ALIASES.get(name, name)


def utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when the bytes look like UTF-16 text without a BOM: ASCII markup and
    Latin text put a NUL in nearly every other byte, on the odd (little-endian) or even (big-endian) side."""
    sample = data[:1024]
    pairs = len(sample) // 2
    if pairs < 8:
        return None
    odd, even = sample[1:2 * pairs:2].count(0), sample[0:2 * pairs:2].count(0)
    if odd >= pairs * 0.6 and even <= pairs * 0.05:
        return "utf-16-le"
    if even >= pairs * 0.6 and odd <= pairs * 0.05:
        return "utf-16-be"
    return None


def binary_reason(data: bytes) -> str | None:
    """Why these bytes are not text (an image, an archive, mostly NULs), or None."""
    if data.startswith(_BINARY_MAGIC):
        return "binary content (file signature of an image, archive or executable)"
    sample = data[:8192]
    if sample and sample.count(0) > len(sample) // 10 and not sample.startswith((b"\xff\xfe", b"\xfe\xff")) \
            and utf16_without_bom(sample) is None:
        return "binary content (more than 10% NUL bytes)"
    return None


def _read_capped(stream: IO[bytes], limit: int) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"document larger than the {limit}-byte limit")
    return data


# --- readers -----------------------------------------------------------------------------------------

def read_piece(piece: Piece, options: ReadOptions, *, only_with: str | None = None) -> Iterator[Document | Rejected]:
    """Every document of a piece, in order, or a ``Rejected`` for whatever cannot be read.

    ``only_with``: a field only documents holding it are wanted for (a look that needs their URL): JSON lines
    that cannot hold it are then skipped without being decoded (see :func:`field_needle`); anything else may
    still come."""
    path = piece.path
    try:
        fmt, compression = detect(path, options.format)
        needle = field_needle(only_with) if only_with is not None and fmt == "jsonl" else None
        if needle is not None:
            yield from _read_jsonl(piece, compression, options, needle)
            return
        reader = _READERS[fmt]
        yield from reader(piece, compression, options)
    except InputError as exc:
        if exc.damaged is None:
            yield Rejected(path, piece.start, None, str(exc))
        else:
            yield Damage(*exc.damaged, str(exc)).rejected(path)
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


def _read_jsonl(piece: Piece, compression: Compression, options: ReadOptions, needle: bytes | None = None
                ) -> Iterator[Document | Rejected]:
    with open_input(piece.path, compression, options, recover=True) as stream:
        yield from _jsonl_documents(stream, piece.path, doc_stem(piece.path), options, piece.start, piece.end,
                                    needle)
        for damage in take_damage(stream):
            yield damage.rejected(piece.path, " of the compressed file")


def _jsonl_documents(stream: IO[bytes], path: str, stem: str, options: ReadOptions, start: int = 0,
                     end: int | None = None, needle: bytes | None = None) -> Iterator[Document | Rejected]:
    """The documents of JSON lines in ``stream``; with ``start``/``end``, those of the lines that begin in
    that byte range (the stream must then be seekable); with ``needle`` (:func:`field_needle`), only lines
    that may hold that field are decoded."""
    limit = options.max_document_bytes
    decoder = line_decoder(options)
    first = decoder if needle is None else None
    line_number, position = 0, 0
    inner = getattr(stream, "raw", None)
    inflating = inner if isinstance(inner, _Inflating) else None  # reports the damage it skipped
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
        # Without a needle a line is first offered to the native decoder: a line it decodes is not blank.
        if first is None or (common := first(line)) is None:
            if not line.strip():
                continue
            if needle is not None and needle not in line and b"\\u" not in line and _plain_utf8(line):
                continue
            common = decoder(line) if decoder is not None and first is None else None
        if common is not None:
            # The common shape, decoded natively: the Document _object_document makes of it (other fields all
            # strings, the fetch time from them, nothing suspect to scrub).
            others = common[3]
            yield Document(common[0], path, where, common[1], None, common[2],
                           _fetch_time(others) if others else None, others or NO_FIELDS)
            if inflating is not None and inflating.damage:
                for damage in inflating.take_damage():
                    yield damage.rejected(path, " of the compressed file")
            continue
        item = _json_document(line, path, where, stem, options)
        if isinstance(item, Rejected) and item.reason.startswith("malformed"):
            glued = _glued_object(line)
            if glued is not None:
                # Damage ate the line break between two lines: the damaged one is rejected, the whole one kept.
                yield replace(item, reason=f"{item.reason} (the line glued on after it is read apart)")
                item = _json_document(line[glued:], path, where, stem, options)
        yield item
        if inflating is not None and inflating.damage:
            for damage in inflating.take_damage():
                yield damage.rejected(path, " of the compressed file")


#: What the native decoder gives for a line of the common shape: id, text, URL and the other fields.
CommonLine = tuple[str, str, str | None, dict[str, str] | None]


@lru_cache(maxsize=8)
def line_decoder(options: ReadOptions) -> Callable[[bytes], CommonLine | None] | None:
    """The native decoder of JSON lines of the common shape for these field names (src/batch.rs, on
    src/jsonl.rs's): a line that is one object of the id and text fields, maybe the URL field and other
    fields, every value a string, nothing suspect in it, gives the id, text and URL and a dict of the other
    fields in the line's order (None: there are none), exactly as Python's json would; any other line None (it
    is decoded by :func:`_json_document`). None when two of the names are the same (the fields are then taken
    apart in Python)."""
    names = (options.id_field, options.text_field, options.url_field)
    if len(set(names)) < len(names):
        return None
    return JsonLineFields(*names).decode


def _fetch_time(fields: Mapping[str, Any]) -> datetime | None:
    """The fetch time a document's other fields give (the first of :data:`_FETCH_FIELDS` present)."""
    return next((parse_time(fields[k]) for k in _FETCH_FIELDS if k in fields), None)


def field_needle(name: str) -> bytes | None:
    """The bytes every JSON line with a key ``name`` holds unless it spells the key with ``\\u`` escapes
    (or is not plain UTF-8, :func:`_plain_utf8`): the key in quotes, when JSON can write ``name`` no other
    way (printable ASCII without a quote, a backslash or a slash, which have escapes of their own); else
    None (no line can be skipped unread)."""
    if not name or not name.isascii() or not name.isprintable() or any(c in name for c in '"\\/'):
        return None
    return b'"' + name.encode("ascii") + b'"'


def _plain_utf8(line: bytes) -> bool:
    """Whether a JSON line is decoded as UTF-8, so that an ASCII key in it is its ASCII bytes: valid UTF-8
    without NULs (JSON guesses UTF-16 or UTF-32 from NULs; other charsets are detected, maybe not ASCII's)."""
    if b"\x00" in line:
        return False
    if line.isascii():
        return True
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


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
    """The document of one JSON line, or why it is none."""
    # Most lines: an object, UTF-8, strict JSON with nothing after it but white space. Decoded here by the
    # scanner json.loads calls (the same value), without the calls and regex matches around it; anything
    # else (a decoding error included, for its exact message) goes the whole way below.
    if line[:1] == b"{" and line[1:2] != b"\x00":
        try:
            text = line.decode("utf-8", "surrogatepass")
            value, end = _JSON_SCAN(text, 0)
        except (ValueError, StopIteration, RecursionError):  # UnicodeDecodeError is a ValueError
            return _json_document_fully(line, path, where, stem, options)
        if end != len(text) and text[end:].strip(" \t\n\r"):  # json's "Extra data" (its WHITESPACE)
            return _json_document_fully(line, path, where, stem, options)
        # A suspect escape holds a "\u" (a byte search, faster than the pattern's).
        suspect = b"\\u" in line and _ESCAPED_SUSPECT.search(line) is not None
        document = _object_document(value, path, where, stem, options, "", suspect)
        if isinstance(document, Rejected):
            return replace(document, sample=_line_sample(line))
        return document
    return _json_document_fully(line, path, where, stem, options)


def _json_document_fully(line: bytes, path: str, where: int, stem: str, options: ReadOptions
                         ) -> Document | Rejected:
    """:func:`_json_document` of any line: every decoding error and repair."""
    notes: dict[str, Any] = {}
    try:
        try:
            value = _loads(line)
        except UnicodeDecodeError:
            # Not UTF-8 (Latin-1 or another legacy charset in a dump): decoded as detected, and noted.
            value = json.loads(_decoded_line(line, notes), strict=False)
        except ValueError as exc:
            if "control character" not in str(exc):
                raise
            # A raw control character (a NUL) inside a string: JSON forbids it, but it costs the character
            # (removed and counted below), not the document.
            value = json.loads(line, strict=False)
            notes["suspect"] = True
    except (ValueError, UnicodeDecodeError) as exc:
        return Rejected(path, where, None, f"malformed JSON: {exc}", _line_sample(line))
    except RecursionError:
        return Rejected(path, where, None, "JSON nested too deeply to decode", _line_sample(line))
    # In JSON, control characters and lone surrogates can only arrive as \u escapes (or raw, which strict
    # decoding refuses): look at the bytes first.
    suspect = bool(notes.pop("suspect", False) or notes or _ESCAPED_SUSPECT.search(line))
    # The sample only a reject shows is decoded for a reject: most lines become documents.
    document = _object_document(value, path, where, stem, options, "", suspect)
    if isinstance(document, Rejected):
        return replace(document, sample=_line_sample(line))
    if notes:
        document = replace(document, fields={**document.fields, **notes})
    return document


def _line_sample(line: bytes) -> str:
    """The start of a JSON line a reject shows."""
    return line[:120].decode("utf-8", errors="replace")


def _loads(line: bytes) -> Any:
    """``json.loads(line)``, without its checks per call for a line it would decode as UTF-8 (a line that
    starts with "{" and has no NUL after it: ``json.detect_encoding`` says UTF-8): the same decoding, the same
    decoder, the same value or the same exception."""
    if line[:1] == b"{" and line[1:2] != b"\x00":
        return _JSON_DECODE(line.decode("utf-8", "surrogatepass"))
    return json.loads(line)


#: What ``json.loads`` decodes with when it is given no options, and the scanner its ``decode`` calls.
_JSON_DECODER = json.JSONDecoder()
_JSON_DECODE = _JSON_DECODER.decode
# (set by JSONDecoder.__init__: the C scanner where there is one; typeshed does not list it)
_JSON_SCAN: Callable[[str, int], tuple[Any, int]] = _JSON_DECODER.scan_once  # type: ignore[attr-defined]


def _glued_object(line: bytes) -> int | None:
    """Where a whole JSON object that ends a malformed line begins (its line break was lost), or None."""
    at = 0
    for _ in range(8):
        at = line.find(b'{"', at + 1)
        if at < 0:
            return None
        try:
            if isinstance(json.loads(line[at:]), dict):
                return at
        except (ValueError, RecursionError):
            continue
    return None


def _decoded_line(line: bytes, notes: dict[str, Any]) -> str:
    """A JSON line that is not UTF-8, decoded with its detected charset (noted in ``notes``)."""
    if line.startswith((b"\xff\xfe", b"\xfe\xff")):
        notes["encoding"] = "utf-16"
        return line.decode("utf-16", errors="replace")
    encoding = _guess_encoding(line)
    if encoding is None:
        notes.update(encoding="utf-8", decode_errors=True)
        return line.decode("utf-8", errors="replace")
    notes["encoding"] = encoding
    return line.decode(encoding, errors="replace")


def _object_document(value: Any, path: str, where: int, stem: str, options: ReadOptions, sample: str,
                     suspect: bool, *, whole_file: bool = False) -> Document | Rejected:
    """A document from one decoded JSON object (a JSON line, an element of a JSON array, or a whole file)."""
    if not isinstance(value, dict):
        return Rejected(path, where, None, f"JSON value is a {type(value).__name__}, not an object", sample)
    raw_id = value.pop(options.id_field, None)
    if type(raw_id) is str and raw_id:  # the common case, without building the fallback
        doc_id = raw_id
    else:
        fallback = stem if whole_file else f"{stem}:{where}"
        doc_id = str(raw_id) if isinstance(raw_id, str | int) and str(raw_id) else fallback
    text = value.pop(options.text_field, None)
    if not isinstance(text, str):
        missing = "missing" if text is None else f"a {type(text).__name__}, not a string"
        return Rejected(path, where, doc_id, f"text field {options.text_field!r} is {missing}", sample)
    cleaned, notes = _scrub(text) if suspect else (text, {})
    url = value.pop(options.url_field, None)
    # Most objects hold nothing past id, text and URL: no fetch time to look for.
    fetched = _fetch_time(value) if value else None
    if notes:
        value.update(notes)
    # Every field by position: keywords and defaults cost a tiny document's reading a fifth more.
    return Document(doc_id, path, where, cleaned, None, url if isinstance(url, str) else None, fetched,
                    value or NO_FIELDS)


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
    """The documents of a WARC file, record by record. A malformed record is rejected with its byte offset
    and reason, and reading resumes at the next record header; a corrupt gzip member or zstd frame is
    skipped to the next one. Every skipped range is a ``Rejected`` with ``damaged`` set."""
    with open_input(piece.path, compression, options, recover=True) as stream:
        lines = _Lines(stream)
        outer = getattr(stream, "raw", None)
        if compression != "gzip" and lines.peek(3) == _MEMBER_MAGIC["gzip"] and isinstance(outer, _Inflating):
            # A gzipped WARC compressed once more (zstd over .warc.gz, which warcio reads): inflate both.
            inner = _Inflating(lines, "gzip", outer.limit, recover=True)  # type: ignore[arg-type]
            lines = _Lines(io.BufferedReader(inner, buffer_size=1 << 20))
            yield from _warc_items(lines, piece, "zstd", options, (outer, inner))
            return
        if lines.peek(64).lstrip().startswith(b"filedesc:"):
            # An ARC file (the WARC format's predecessor): warcio reads it, without resynchronisation.
            yield from _warc_by_warcio(lines, piece, options)
            return
        inflating = (outer,) if isinstance(outer, _Inflating) else ()
        yield from _warc_items(lines, piece, compression, options, inflating)


def _warc_items(lines: _Lines, piece: Piece, compression: Compression, options: ReadOptions,
                inflating: tuple[Any, ...]) -> Iterator[Document | Rejected]:
    """The documents and rejects of the WARC records in ``lines``; ``inflating`` are the decompressing
    streams under it, whose skipped damage is reported as it is found."""
    where = " of the decompressed stream" if compression else ""
    layers = (" of the compressed file", " of the inner gzip stream")
    number = 0

    def damage() -> Iterator[Rejected]:
        for layer, stream in zip(layers, inflating, strict=False):
            for found in stream.take_damage():
                yield found.rejected(piece.path, layer)

    for item in _warc_records(lines, options):
        yield from damage()
        if isinstance(item, Damage):
            yield item.rejected(piece.path, where)
            continue
        offset, record_type, data = item
        number += 1
        if data is None:  # over the size limit: skipped whole, the stream stays in step
            yield Rejected(piece.path, number, None, f"{record_type} record at byte {offset}{where} larger "
                                                     f"than the {options.max_document_bytes}-byte limit")
            continue
        yield _warc_document(data, piece.path, number, offset, where, options)
    yield from damage()


class _Lines:
    """A byte stream read by lines and blocks, with its offset, that can be handed bytes back (to rescan a
    record whose declared length turned out wrong)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.buffer = b""
        self.offset = 0

    def peek(self, size: int) -> bytes:
        if len(self.buffer) < size:
            self.buffer += self.stream.read(size - len(self.buffer))
        return self.buffer[:size]

    def readline(self, limit: int) -> bytes:
        if self.buffer:
            cut = self.buffer.find(b"\n", 0, limit)
            if cut >= 0 or len(self.buffer) >= limit:
                end = cut + 1 if cut >= 0 else limit
                line, self.buffer = self.buffer[:end], self.buffer[end:]
            else:
                line = self.buffer + self.stream.readline(limit - len(self.buffer))
                self.buffer = b""
        else:
            line = self.stream.readline(limit)
        self.offset += len(line)
        return line

    def read(self, size: int) -> bytes:
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        if len(data) < size:
            data += self.stream.read(size - len(data))
        self.offset += len(data)
        return data

    def skip(self, size: int) -> int:
        """Consumes ``size`` bytes in bounded steps; returns how many there were."""
        skipped = 0
        while skipped < size:
            chunk = self.read(min(size - skipped, 1 << 20))
            if not chunk:
                break
            skipped += len(chunk)
        return skipped

    def unread(self, data: bytes) -> None:
        self.buffer = data + self.buffer
        self.offset -= len(data)

    def close(self) -> None:
        """The stream under it is closed by its owner."""


_WARC_HEADER_LINE = 64 * 1024
_WARC_HEADER_BYTES = 1024 * 1024
_WARC_TYPES = (b"response", b"resource", b"conversion")
#: The other record types of WARC 1.0 and 1.1, which hold no document; any other type is a damaged header.
_WARC_OTHER_TYPES = (b"warcinfo", b"request", b"metadata", b"revisit", b"continuation")
#: A record header's first line at the end of a line that does not start with it.
_GLUED_HEADER = re.compile(rb"(?<=.)WARC/[01]\.\d+\r?\n\Z", re.DOTALL)
#: Where a record header can start inside bytes that turned out not to be one record.
_WARC_START = re.compile(rb"(?:^|\n)(WARC/[01]\.\d+\r?\n)")


def _warc_records(lines: _Lines, options: ReadOptions) -> Iterator[tuple[int, str, bytes | None] | Damage]:
    """(offset, type, record bytes) for each record of a type that holds documents (bytes None when over the
    size limit), and a ``Damage`` for every stretch that is no record. Records of other types are skipped."""
    skipping: int | None = None  # where the bytes that are no record began
    reason = ""
    while True:
        start = lines.offset
        line = lines.readline(_WARC_HEADER_LINE)
        if not line:
            if skipping is not None:
                yield Damage(skipping, start, reason)
            return
        if not line.startswith(b"WARC/"):
            if skipping is None and line.strip():
                skipping, reason = start, "not a WARC record header where one should begin"
            glued = _GLUED_HEADER.search(line)
            if glued is not None:  # damage ate the line break before a record header: read that header again
                lines.unread(line[glued.start():])
            continue
        if skipping is not None:
            yield Damage(skipping, start, f"{reason}; reading resumed at the next record header")
            skipping = None
        header = _warc_header(lines, line)
        if isinstance(header, str):
            skipping, reason = start, f"malformed record header: {header}"
            continue
        record_type, length, raw_header = header
        wanted = record_type.lower() in _WARC_TYPES
        if not wanted or length > options.max_document_bytes:
            if lines.skip(length) < length:
                yield Damage(start, lines.offset, f"{record_type.decode(errors='replace')} record truncated: "
                             f"the stream ends inside its {length}-byte block")
                return
            ending = _record_ending(lines)
            if ending is not None:  # the declared length does not end the record: the next header may be inside
                skipping, reason = start, f"record block does not end where its Content-Length says ({ending})"
                continue
            if wanted:
                yield start, record_type.decode(errors="replace"), None
            continue
        block = lines.read(length)
        if len(block) < length:
            # Rescan what the short block holds: a record cut short may be followed by a whole one.
            skipping, reason = start, (f"record truncated: {len(block)} of its {length} bytes before the next "
                                       "record header or the end of the stream")
            _unread_from_next_header(lines, block)
            continue
        ending = _record_ending(lines)
        if ending is not None:
            skipping, reason = start, f"record block does not end where its Content-Length says ({ending})"
            _unread_from_next_header(lines, block)
            continue
        yield start, record_type.decode(errors="replace"), raw_header + block


def _warc_header(lines: _Lines, first: bytes) -> tuple[bytes, int, bytes] | str:
    """The record type, block length and raw bytes of a record header whose first line is ``first``, or
    what is wrong with it. Reads up to the blank line that ends the header."""
    raw = [first]
    size = len(first)
    record_type, length = b"", -1
    while True:
        line = lines.readline(_WARC_HEADER_LINE)
        raw.append(line)
        size += len(line)
        if not line:
            return "the stream ends inside the record header"
        if not line.strip():
            break
        if not line.endswith(b"\n") and len(line) < _WARC_HEADER_LINE:
            return "the stream ends inside the record header"
        if size > _WARC_HEADER_BYTES or not line.endswith(b"\n"):
            return "record header too long"
        name, colon, value = line.partition(b":")
        if not colon:
            return f"header line without a colon: {line[:60]!r}"
        name = name.strip().lower()
        if name == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                return f"Content-Length is not a number: {value.strip()[:40]!r}"
        elif name == b"warc-type":
            record_type = value.strip()
    if length < 0:
        return "no Content-Length"
    if record_type.lower() not in _WARC_TYPES + _WARC_OTHER_TYPES:
        return f"unknown WARC-Type {record_type[:40]!r}"
    return record_type, length, b"".join(raw)


def _record_ending(lines: _Lines) -> str | None:
    """Consumes the line breaks that end a record; what stands there instead, or None when the record ends
    right: at the end of the stream or before the next record header (after two line breaks as the standard
    says, or one or none as some writers do)."""
    ahead = lines.peek(12)
    rest = ahead
    for _ in range(2):
        rest = rest.removeprefix(b"\r\n") if rest.startswith(b"\r\n") else rest.removeprefix(b"\n")
    # Two line breaks end the record whatever follows them (damage after them is the next record's).
    proper = ahead.startswith((b"\r\n\r\n", b"\n\n", b"\r\n\n", b"\n\r\n"))
    if not proper and rest and not rest.startswith(b"WARC/") and not (len(ahead) < 12 and b"WARC/".startswith(rest)):
        return f"found {ahead[:8]!r}"
    lines.read(len(ahead) - len(rest))
    return None


def _unread_from_next_header(lines: _Lines, block: bytes) -> None:
    """Hands back the part of ``block`` from the first record header inside it, to be read again."""
    found = _WARC_START.search(block)
    if found is not None:
        lines.unread(block[found.start(1):])


def _warc_document(data: bytes, path: str, number: int, offset: int, where: str, options: ReadOptions
                   ) -> Document | Rejected:
    """A document from the bytes of one whole WARC record (header and block), parsed by warcio."""
    from warcio.recordloader import ArcWarcRecordLoader

    try:
        record = ArcWarcRecordLoader().parse_record_stream(io.BytesIO(data), known_format="warc")
        return _record_document(record, path, number, options)
    except Exception as exc:  # warcio raises many kinds on a record it cannot parse
        return Rejected(path, number, None, f"malformed WARC record at byte {offset}{where}: "
                                            f"{type(exc).__name__}: {exc}")


def _record_document(record: Any, path: str, number: int, options: ReadOptions) -> Document | Rejected:
    headers = record.rec_headers
    doc_id = (headers.get_header("WARC-Record-ID") or f"{doc_stem(path)}:{number}").strip("<>")
    doc_id = doc_id.removeprefix("urn:uuid:")
    url = headers.get_header("WARC-Target-URI")
    fetched = parse_time(headers.get_header("WARC-Date"))
    content_type = (record.http_headers.get_header("Content-Type") if record.http_headers else
                    headers.get_header("Content-Type")) or ""
    if record.rec_type == "response" and record.http_headers is None:
        return Rejected(path, number, doc_id, "response record without HTTP headers")
    try:
        payload = _read_capped(record.content_stream(), options.max_document_bytes)
    except InputError as exc:
        return Rejected(path, number, doc_id, str(exc))
    if "html" in content_type or payload.lstrip()[:15].lower().startswith((b"<!doctype", b"<html")):
        return Document(doc_id, path, number, html=payload, url=url, fetched_at=fetched)
    if content_type.startswith("text/"):
        text, notes = decode_text(payload)
        return Document(doc_id, path, number, text=text, url=url, fetched_at=fetched, fields=notes or NO_FIELDS)
    return Rejected(path, number, doc_id, f"unsupported content type {content_type!r}")


def _warc_by_warcio(lines: _Lines, piece: Piece, options: ReadOptions) -> Iterator[Document | Rejected]:
    """ARC files, through warcio's iterator: the first fault ends the file (counted as damaged)."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    number = 0
    try:
        for record in ArchiveIterator(lines):  # type: ignore[arg-type]  # read() is all it needs
            if record.rec_type not in ("response", "resource", "conversion"):
                continue
            number += 1
            yield _record_document(record, piece.path, number, options)
    except Exception as exc:  # warcio raises many kinds on a malformed record; it cannot resync after one
        kind = "" if isinstance(exc, ArchiveLoadFailed | InputError) else f"{type(exc).__name__}: "
        start = lines.offset
        lost = lines.skip(1 << 62)  # the rest of the file cannot be read: counted, byte by byte
        yield Rejected(piece.path, start, None, f"archive is corrupt or truncated after record {number}: "
                       f"{kind}{exc}", damaged=(start, start + lost))


def _read_parquet(piece: Piece, compression: Compression, options: ReadOptions
                  ) -> Iterator[Document | Rejected]:
    """The rows of a Parquet file, row group by row group: a corrupt row group is rejected with its index,
    rows and byte range (counted as damaged), and the others are read."""
    import polars as pl

    from cleaner.io.parquet_footer import FooterError, row_groups

    with _open_raw(piece.path) as raw:
        size = raw.seek(0, io.SEEK_END)
        try:
            groups = row_groups(raw, size)
            schema = _unpanicked(pl.read_parquet_schema, piece.path)
        except (FooterError, Exception) as exc:  # polars raises several error types for a bad file
            raise InputError(f"not a readable Parquet file: {exc}", damaged=(0, size)) from None
    if options.text_field not in schema:
        raise InputError(f"Parquet file has no text column {options.text_field!r} (columns: {', '.join(schema)})")
    stem = doc_stem(piece.path)
    number = 0
    for group in groups:
        if not group.rows:
            continue
        read = 0
        # polars skips the row groups outside a slice by their row counts, so each group is read on its own.
        batches = pl.scan_parquet(piece.path).slice(group.first_row, group.rows).collect_batches(chunk_size=10_000)
        while True:
            try:
                batch = _unpanicked(next, batches, None)
            except Exception as exc:  # a corrupt page or row group: the rows before it were delivered
                lost = f"rows {group.first_row + read + 1}-{group.first_row + group.rows}"
                yield Rejected(piece.path, group.start, None,
                               f"damaged data skipped: row group {group.index} (bytes {group.start}-{group.end}, "
                               f"{lost} of the file) cannot be read: {type(exc).__name__}: {exc}",
                               damaged=(group.start, group.end))
                number = group.first_row + group.rows
                break
            if batch is None:
                if read < group.rows:  # a damaged page that decodes, but to fewer rows than the footer counts
                    yield Rejected(piece.path, group.start, None,
                                   f"damaged data skipped: row group {group.index} (bytes {group.start}-{group.end}) "
                                   f"gave {read} of its {group.rows} rows; rows {group.first_row + read + 1}-"
                                   f"{group.first_row + group.rows} of the file are lost",
                                   damaged=(group.start, group.end))
                    number = group.first_row + group.rows
                break
            for row in batch.iter_rows(named=True):
                number += 1
                read += 1
                yield _parquet_document(row, piece.path, number, stem, options)


def _unpanicked(function: Any, *args: Any) -> Any:
    """``function(*args)``, with a panic in polars' Rust code (a ``BaseException``, not an ``Exception``, on
    some damaged files) raised as a ``RuntimeError`` that the reader's handlers catch."""
    try:
        return function(*args)
    except BaseException as exc:
        if isinstance(exc, Exception) or type(exc).__name__ != "PanicException":
            raise
        raise RuntimeError(f"PanicException: {exc}") from None


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
