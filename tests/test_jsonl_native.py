"""The batch shell's native steps give what the Python steps gave.

- A JSON line of the common shape is decoded natively (src/jsonl.rs, :func:`cleaner.io.readers.line_decoder`);
  every other line goes to Python. Whatever the native decoder accepts must be the document Python makes of the
  line, and a reader with it must yield the same documents and rejects as one without it, on lines of every
  kind (generated from a fixed seed, and hand-picked edge cases).
- A shard's signature rows are made from each chunk of its records (:func:`cleaner.run.dedup.signature_columns`,
  :meth:`cleaner.io.writers.PartWriter.add_columns`): the same rows and the same parts, cut at the same rows, as
  one signature row added per record.
"""

from __future__ import annotations

import io
import json
import random
from typing import Any

import polars as pl
import pytest

from cleaner.io.readers import (
    ReadOptions,
    _json_document_fully,
    _jsonl_documents,
    line_decoder,
)

_WORDS = ["plain", "Try Our AI Features", "café über", "中文内容。", "emoji \U0001f600 here", 'quote " and \\ /',
          "tab\there", "\u00a0nbsp", "zero \u200b width", "\x7f del", "Related Articles", ""]
#: Edits of a line's JSON text: escapes of every kind, broken escapes, things around the object.
_EDITS = [
    lambda s: s.replace("plain", "pl\\u0000ain"), lambda s: s.replace("plain", "pl\\u001fain"),
    lambda s: s.replace("plain", "pl\\ud800ain"), lambda s: s.replace("plain", "pl\\uDBFFain"),
    lambda s: s.replace("plain", "pl\\ud83d\\ude00ain"), lambda s: s.replace("plain", "pl\\u0041\\u00E9\\u20acain"),
    lambda s: s.replace("plain", "pl\\u007fain"), lambda s: s.replace("plain", "pl\\u00zzain"),
    lambda s: s.replace("plain", "pl\\u12ain"), lambda s: s.replace("plain", "pl\\qain"),
    lambda s: s.replace("plain", "pl\\\\u0000ain"), lambda s: s.replace("plain", "pl\\/ain\\b\\f\\r\\t\\n"),
    lambda s: s[:-2], lambda s: s + " trailing", lambda s: "  " + s, lambda s: s + "  \t\r",
    lambda s: s.replace('"id"', '"\\u0069d"', 1), lambda s: s.replace("{", '{"id": "dup", ', 1),
    lambda s: s.replace("{", "{ \t", 1), lambda s: s.replace("}", ",}"), lambda s: s.replace(":", " : "),
    lambda s: s.replace('"text"', '"text" '), lambda s: s + "\x0b", lambda s: s.replace("}", "} {}"),
]
#: Edits of a line's bytes: raw control characters, bytes that are not UTF-8, encoded surrogates.
_BYTE_EDITS = [
    lambda b: b.replace(b"plain", b"pl\xe9ain"), lambda b: b.replace(b"plain", b"pl\x00ain"),
    lambda b: b.replace(b"plain", b"pl\x01ain"), lambda b: b.replace(b"plain", b"pl\x1fain"),
    lambda b: b.replace(b"plain", b"pl\xed\xa0\x80ain"), lambda b: b.replace(b"plain", b"pl\xc3ain"),
    lambda b: b"\xef\xbb\xbf" + b,
]


def _object(r: random.Random, n: int) -> dict[str, Any]:
    text = "\n".join(f"{r.choice(_WORDS)} {n}" for _ in range(r.randint(0, 5)))
    value: dict[str, Any] = {"id": f"d{n}", "text": text}
    kind = r.randrange(14)
    if kind == 0:
        value["url"] = f"https://example.com/{n}"
    elif kind == 1:
        value["url"] = None
    elif kind == 2:
        value["url"] = 7
    elif kind == 3:
        value["fetched_at"] = "2024-05-01T10:00:00Z"
    elif kind == 4:
        value["extra"] = {"a": [1, 2.5, None, True]}
    elif kind == 5:
        value["id"] = n
    elif kind == 6:
        value["id"] = ""
    elif kind == 7:
        del value["text"]
    elif kind == 8:
        value["text"] = ["not", "a", "string"]
    elif kind == 9:
        del value["id"]
    elif kind == 10:  # other fields, all strings (taken natively): a fetch time of another name among them
        value.update(lang="en", source=f"caf\u00e9 {n}", date=r.choice(["2024-05-01", "3 days ago", "soon", ""]))
    elif kind == 11:
        value.update(crawled_at="2024-05-01T10:00:00+02:00", timestamp="1714550400", note="")
    keys = list(value)
    r.shuffle(keys)
    return {key: value[key] for key in keys}


def _lines(count: int = 4000) -> list[bytes]:
    r = random.Random(2927)
    lines = []
    for n in range(count):
        text = json.dumps(_object(r, n), ensure_ascii=r.random() < 0.5,
                          separators=r.choice([(",", ":"), (", ", ": ")]))
        if r.random() < 0.4:
            text = r.choice(_EDITS)(text)
        data = text.encode("utf-8", "surrogatepass")
        if r.random() < 0.15:
            data = r.choice(_BYTE_EDITS)(data)
        lines.append(data + r.choice([b"\n", b"\r\n", b""]))
    return lines


def test_the_native_decoder_gives_the_document_python_makes_of_a_line() -> None:
    options = ReadOptions(url_field="link")
    decode = line_decoder(options)
    assert decode is not None
    decoded = others = 0
    for line in _lines() + [line.replace(b'"url"', b'"link"') for line in _lines(500)]:
        common = decode(line)
        if common is None:
            continue
        decoded += 1
        document = _json_document_fully(line, "in.jsonl", 3, "in", options)
        assert (document.doc_id, document.text, document.url) == common[:3], line  # type: ignore[union-attr]
        assert dict(document.fields) == (common[3] or {}), line  # type: ignore[union-attr]
        assert list(document.fields) == list(common[3] or {}), line  # type: ignore[union-attr]
        others += bool(common[3])
    # The common shapes do take the native way (the others are the point of the test: they must not).
    assert decoded >= 500 and others >= 200
    assert decode(b'{"id": "d1", "text": "A \\"quoted\\" caf\\u00e9\\nline", "link": "https://a.org/"}\n') == \
        ("d1", 'A "quoted" café\nline', "https://a.org/", None)
    # "url" is not this URL field: another field, as Python keeps it.
    assert decode(b'{"id": "d1", "text": "t", "url": "https://a.org/"}') == ("d1", "t", None, {"url": "https://a.org/"})


@pytest.mark.parametrize("line", [
    b'{"id": "a", "text": "x", "text": "y"}', b'{"id": "a", "text": "\\ud800"}', b'{"id": "a", "text": "\\u0000"}',
    b'{"id": "a", "text": "a\\\\u0000"}', b'{"id": "", "text": "x"}', b'{"id": "a", "text": "x"} x',
    b'{"id": "a", "text": "x",}', b'{"id": "a", "text": "x"}\x0b', b'{"id": "a", "text": "x", "k": 1}',
    b'{"id": "a", "text": "x", "k": "v", "k": "w"}', b'{"k": "v", "id": "a", "k": "w", "text": "x"}',
    b'{"id": "a", "text": "x", "url": null}', b'{"id": "a", "text": "\x01"}', b'{"id": "a", "text": "\xe9"}',
    b' {"id": "a", "text": "x"}', b'{"id": "a", "text": "\\x"}', b'{"id": "a", "text": "\\u12g4"}', b"{}", b"{",
])
def test_lines_python_decodes_differently_or_refuses_are_left_to_python(line: bytes) -> None:
    assert line_decoder(ReadOptions())(line) is None  # type: ignore[misc]


def test_fields_of_one_name_are_taken_apart_in_python() -> None:
    assert line_decoder(ReadOptions(id_field="text")) is None


def _read(data: bytes, options: ReadOptions, monkeypatch: pytest.MonkeyPatch, native: bool) -> list[Any]:
    if not native:
        monkeypatch.setattr("cleaner.io.readers.line_decoder", lambda _options: None)
    try:
        return list(_jsonl_documents(io.BufferedReader(io.BytesIO(data)), "in.jsonl", "in", options))  # type: ignore[arg-type]
    finally:
        monkeypatch.undo()


def test_a_reader_yields_the_same_documents_and_rejects_with_the_native_decoder(monkeypatch) -> None:
    lines = _lines()
    data = b"".join(line if line.endswith(b"\n") else line + b"\n" for line in lines) + b"   \n\n"
    options = ReadOptions()
    native, python = _read(data, options, monkeypatch, True), _read(data, options, monkeypatch, False)
    assert native == python
    assert len(native) >= len(lines)  # every line is a document or a reject (a glued one is two)


def test_a_shards_signatures_made_a_chunk_of_records_at_a_time_are_those_of_a_record_at_a_time() -> None:
    from cleaner.io.writers import RECORD_NAMES, PartWriter
    from cleaner.run.dedup import (
        SIGNATURE_CONVERTERS,
        SIGNATURE_ROW_BYTES,
        SIGNATURE_SCHEMA,
        signature_columns,
        signature_values,
    )

    class Folder:
        def __init__(self) -> None:
            self.frames: list[tuple[str, pl.DataFrame]] = []

        def write_parquet(self, name: str, frame: pl.DataFrame, **options: object) -> tuple[int, str]:
            self.frames.append((name, frame))
            return frame.height, name

    r = random.Random(5)
    texts = [" ".join(r.choice(["word", "café", "Straße", "x" * r.randint(1, 400), "漢字", ""])
                      for _ in range(r.randint(0, 30))) for _ in range(3000)]
    records: dict[str, list[Any]] = {name: [None] * len(texts) for name in RECORD_NAMES}
    records.update(text=texts, input_path=["in.jsonl"] * len(texts), input_position=list(range(len(texts))),
                   record_index=[n % 3 for n in range(len(texts))],
                   content_hash=[f"{n:016x}" for n in range(len(texts))])
    for part_bytes, chunk_rows in ((200_000, 64), (1_000_000, 100), (50_000, 7), (700, 3)):
        by_row, by_chunk = Folder(), Folder()
        one = PartWriter(by_row, "signatures/a", SIGNATURE_SCHEMA, part_bytes,  # type: ignore[arg-type]
                         converters=SIGNATURE_CONVERTERS)
        many = PartWriter(by_chunk, "signatures/a", SIGNATURE_SCHEMA, part_bytes,  # type: ignore[arg-type]
                          converters=SIGNATURE_CONVERTERS)
        one.CHUNK_ROWS = many.CHUNK_ROWS = chunk_rows  # type: ignore[misc]
        for n, text in enumerate(texts):
            one.add_values(signature_values("in.jsonl", n, n % 3, f"{n:016x}", text), SIGNATURE_ROW_BYTES)
        at = 0
        while at < len(texts):  # records chunks of uneven sizes, as a records writer makes them
            step = r.randint(1, 300)
            many.add_columns(signature_columns({name: values[at:at + step] for name, values in records.items()}),
                             SIGNATURE_ROW_BYTES)
            at += step
        one.close()
        many.close()
        assert len(by_row.frames) > 1 or part_bytes == 1_000_000
        assert [name for name, _ in by_chunk.frames] == [name for name, _ in by_row.frames]
        for (_, got), (_, want) in zip(by_chunk.frames, by_row.frames, strict=True):
            assert got.equals(want)


def test_an_ascii_texts_content_hash_is_computed_natively_as_python_computes_it() -> None:
    from cleaner._native import ascii_content_hash
    from cleaner.core.corpus import content_hash

    r = random.Random(11)
    alphabet = "aZ09 .,\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x7f_-!\"'"
    texts = ["", " ", "\x1f", "A", "Hello  World", "  MiXeD\tCase \x1c words\r\n"]
    texts += ["x" * n for n in (127, 128, 129, 255, 256, 257)] + [("ab " * n).strip() for n in (42, 43, 86)]
    texts += ["".join(r.choice(alphabet) for _ in range(r.randint(0, 600))) for _ in range(2000)]
    for text in texts:
        assert ascii_content_hash(text) == content_hash(text), repr(text)
    assert ascii_content_hash("café") is None and ascii_content_hash("a\u00a0b") is None
