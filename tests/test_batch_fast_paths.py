"""The batch path's faster ways to the same values: each against the way it replaces, value for value.

- Language identification with the model's weights converted to float32 once (and scored by the compiled
  core) against py3langid's own scores: the same most probable language and probabilities within the library's
  float32 error (tests/test_native_language.py), on the fixtures' texts and lines and random text of many
  scripts; one identifier per process.
- Shingles of an ASCII text found with ``re`` and ASCII's word characters against ``regex``'s ``\\w+`` of the
  case-folded text.
- MinHash signatures computed natively (:func:`cleaner.run.dedup.minhash_signature`, src/minhash.rs) against
  rensa's ``RMinHash``, which computed them before: the same values on ASCII and other texts, empty ones, one
  word, long ones; written a chunk at a time as one record at a time.
"""

from __future__ import annotations

import json
import random
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl

from cleaner._native import MinHasher
from cleaner.core.corpus import shingles
from cleaner.io.language import Languages, load_identifier, shared_identifier
from cleaner.io.readers import Rejected
from cleaner.io.writers import PartWriter
from cleaner.run.dedup import (
    MINHASH_SEED,
    NUM_PERM,
    SIGNATURE_CONVERTERS,
    SIGNATURE_SCHEMA,
    minhash_column,
    minhash_signature,
    signature_row,
    signature_source,
)
from tests.test_native_language import library_tolerance

ROOT = Path(__file__).resolve().parents[1]


@cache
def texts() -> list[str]:
    """Whole texts, their beginnings and their lines from every fixture, and random text of many scripts."""
    found: list[str] = []
    for path in sorted((ROOT / "fixtures").rglob("*")):
        if path.is_file() and path.suffix in (".txt", ".html", ".md", ".jsonl"):
            text = path.read_text(encoding="utf-8", errors="replace")
            found += [text[:500], text[:4000], *text.splitlines()[:150]]
    rng = random.Random(7)
    blocks = [(0x20, 0x7F), (0xA0, 0x250), (0x370, 0x400), (0x400, 0x500), (0x590, 0x700), (0x900, 0x980),
              (0xE00, 0xE80), (0x3040, 0x3100), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0x1F300, 0x1F600)]
    for _ in range(1500):
        low, high = rng.choice(blocks)
        found.append("".join(chr(rng.randrange(low, high)) if rng.random() > 0.15 else " "
                             for _ in range(rng.randrange(0, 120))))
    found += ["", " ", "A", "UPPER CASE ONLY LINE", "Short line 7.\nAnother short line of document 7.", "\ud800x"]
    return found


def test_scores_with_float32_weights_are_the_librarys() -> None:
    plain, native = load_identifier(native=False), load_identifier(native=True)
    assert native.weights.dtype == np.float32 and np.array_equal(native.weights, plain.nb_ptc)
    for text in texts():
        expected, got = plain._decide(text), native._decide(text)
        tolerance = library_tolerance(plain, text)
        assert got.argmax() == expected.argmax() and np.allclose(got, expected, rtol=0, atol=tolerance), text[:80]


def test_every_languages_object_shares_one_identifier() -> None:
    first, second = Languages(), Languages()
    assert first.identify("This is a plain English sentence about the weather today.") == "en"
    assert second.identify("Ceci est une phrase française ordinaire sur le temps qu'il fait.") == "fr"
    assert first._identifier is second._identifier is shared_identifier()


def test_shingles_of_ascii_text_are_those_of_unicode_words_of_the_folded_text() -> None:
    import regex

    from cleaner.core.corpus import SHINGLE_WORDS, shingles

    word = regex.compile(r"\w+")

    def by_unicode_words(text: str) -> list[str]:
        words = word.findall(text.casefold())
        if len(words) <= SHINGLE_WORDS:
            return [" ".join(words)] if words else []
        return [" ".join(words[k:k + SHINGLE_WORDS]) for k in range(len(words) - SHINGLE_WORDS + 1)]

    rng = random.Random(11)
    every_ascii = "".join(map(chr, range(128)))
    samples = [every_ascii, every_ascii[::-1], *texts(),
               *("".join(rng.choice(every_ascii) for _ in range(rng.randrange(0, 90))) for _ in range(3000))]
    assert sum(text.isascii() for text in samples) > 3000 and any(not text.isascii() for text in samples)
    for text in samples:
        assert shingles(text) == by_unicode_words(text), text[:80]


def _record_rows() -> list[dict[str, object]]:
    return [{"input_path": "in.jsonl", "input_position": number, "record_index": number % 3,
             "content_hash": f"{number:016x}", "text": text} for number, text in enumerate(texts()[:3000])]


def _rensa() -> object:
    import rensa

    # Version 2 is the algorithm every signature part was written with (version 1 gave other values).
    assert rensa.RMinHash.ALGORITHM_VERSION == 2, "rensa changed its algorithm: signatures would change"
    return rensa


def _signature_texts() -> list[str]:
    rng = random.Random(3)
    vocabulary = ["alpha", "Beta", "GAMMA", "délta", "Straße", "ǅemal", "İstanbul", "日本語", "x_y", "Z9", "٣٤",
                  "ﬁne", "o\u0308", "emoji🙂", "a-b", "it's"]
    long_texts = [" ".join(rng.choice(vocabulary) for _ in range(size)) for size in (6, 40, 129, 1000, 20000)]
    ascii_long = [" ".join(f"word{rng.randrange(500)}" for _ in range(size)) for size in (5, 6, 200, 70000)]
    every_ascii = "".join(map(chr, range(128)))
    return [*texts(), *long_texts, *ascii_long, every_ascii, every_ascii * 50, "", "!!! --- ...", "one",
            "One Two Three Four Five", "one two three four five six", "Σίσυφος ΣΊΣΥΦΟΣ", "a\u00a0b\u2009c d"]


def test_signatures_are_rensas_bit_for_bit() -> None:
    rensa = _rensa()
    samples = _signature_texts()
    assert any(text.isascii() for text in samples) and any(not text.isascii() for text in samples)
    for text in samples:
        expected = rensa.RMinHash(num_perm=NUM_PERM, seed=MINHASH_SEED)  # type: ignore[attr-defined]
        expected.update(shingles(text) or [""])
        got = np.frombuffer(minhash_signature(text), dtype=np.uint32)
        assert got.tolist() == list(expected.digest()), text[:80]


def test_token_signatures_are_rensas_for_other_sizes_and_seeds() -> None:
    """The algorithm itself, on raw tokens: sizes that are not powers of two take rensa's other bucket path."""
    rensa = _rensa()
    rng = random.Random(5)
    token_sets = [[""], ["a"], ["x", "yy", "zzz", "x"], [str(n) for n in range(300)], ["é" * 9, "b" * 17, "c" * 33],
                  [f"t{rng.random()}" for _ in range(40)]]
    for num_perm, seed in ((1, 0), (64, 1), (100, 7), (127, 2**63), (128, 7), (256, 12345)):
        hasher = MinHasher(num_perm, seed, 5)
        for tokens in token_sets:
            expected = rensa.RMinHash(num_perm=num_perm, seed=seed)  # type: ignore[attr-defined]
            expected.update(tokens)
            got = np.frombuffer(hasher.signature_of_tokens(tokens), dtype=np.uint32)
            assert got.tolist() == list(expected.digest()), (num_perm, seed, tokens[:3])


def test_token_signatures_are_rensas_on_both_sides_of_the_fallback_crossover() -> None:
    """Every token count from 1 to 160: the coordinates no bucket round reached go from nearly all to none, so
    both of the fallback's loops (every coordinate at once, and one coordinate at a time) and the count where
    one hands over to the other give rensa's values."""
    rensa = _rensa()
    rng = random.Random(11)
    hasher = MinHasher(NUM_PERM, MINHASH_SEED, 5)
    for count in range(1, 161):
        tokens = [f"w{rng.randrange(10**9)}" for _ in range(count)]
        expected = rensa.RMinHash(num_perm=NUM_PERM, seed=MINHASH_SEED)  # type: ignore[attr-defined]
        expected.update(tokens)
        got = np.frombuffer(hasher.signature_of_tokens(tokens), dtype=np.uint32)
        assert got.tolist() == list(expected.digest()), count


def test_signatures_computed_a_chunk_at_a_time_are_those_of_one_record_at_a_time() -> None:
    rows = _record_rows()
    one_by_one = pl.DataFrame([signature_row(row) for row in rows], schema=SIGNATURE_SCHEMA)
    material = [signature_source(row)["minhash"] for row in rows]
    assert {type(value) for value in material} == {bytes}
    chunked = minhash_column(material)
    assert chunked.dtype == SIGNATURE_SCHEMA["minhash"]
    assert chunked.equals(one_by_one["minhash"])
    assert minhash_column([]).dtype == SIGNATURE_SCHEMA["minhash"]


class _Folder:
    """Keeps the frames a part writer writes."""

    def __init__(self) -> None:
        self.frames: list[pl.DataFrame] = []

    def write_parquet(self, name: str, frame: pl.DataFrame, **options: object) -> tuple[int, str]:
        self.frames.append(frame)
        return frame.height, name


def test_a_signatures_part_writer_writes_the_rows_of_one_record_at_a_time() -> None:
    rows = _record_rows()
    expected = pl.DataFrame([signature_row(row) for row in rows], schema=SIGNATURE_SCHEMA)
    folder = _Folder()
    writer = PartWriter(folder, "signatures/x", SIGNATURE_SCHEMA, 400_000,  # type: ignore[arg-type]
                        converters=SIGNATURE_CONVERTERS)
    writer.CHUNK_ROWS = 512
    for row in rows:
        writer.add(signature_source(row), 600)
    writer.close()
    assert len(folder.frames) > 1  # parts cut, chunks made, as in a run
    assert pl.concat(folder.frames).equals(expected)


def test_the_pages_a_site_count_reads_are_those_of_every_document_with_a_url(tmp_path) -> None:
    """The count of repeated lines reads only the JSON lines that can hold a URL: the same pages."""
    from cleaner.io.readers import Piece, ReadOptions, field_needle, read_piece
    from cleaner.run.siterepeat import document_page

    lines = [json.dumps({"id": f"d{n}", "text": f"Line {n}\nShared footer line",
                         **({"url": f"https://h{n % 3}.org/{n}"} if n % 2 else {})}) for n in range(40)]
    lines += ['{"id": "esc", "\\u0075rl": "https://escaped.org/1", "text": "An escaped key\\nShared footer line"}',
              '{"id": "latin", "url": "https://latin.org/1", "text": "Caf\xe9 cr\xe8me"}',
              '{"id": "nested", "text": "no url here", "meta": {"url": "https://nested.org/"}}',
              '{"id": "text-only", "text": "it says \\"url\\" in its text"}', "not json at all", ""]
    path = tmp_path / "pages.jsonl"
    data = b"\n".join(line.encode("latin-1") if "latin" in line else line.encode() for line in lines)
    utf16 = json.dumps({"id": "wide", "url": "https://wide.org/1", "text": "Wide text"}).encode("utf-16")
    path.write_bytes(data + b"\n" + utf16 + b"\n")
    options = ReadOptions()

    def pages(**only: str) -> list[tuple[str, tuple[str, ...]]]:
        return [(page.host, tuple(page.lines)) for item in read_piece(Piece(str(path)), options, **only)
                if not isinstance(item, Rejected) and (page := document_page(item)) is not None]

    every = pages()
    hosts = {host for host, _ in every}
    assert len(every) == 22 and {"escaped.org", "latin.org"} <= hosts, hosts
    assert pages(only_with="url") == every
    assert field_needle("url") == b'"url"'
    assert field_needle('a"b') is None and field_needle("a/b") is None and field_needle("ürl") is None


def _outcome(function: object, line: bytes) -> tuple[str, object]:
    try:
        return "value", function(line)  # type: ignore[operator]
    except Exception as exc:  # the same exception, with the same message, is what must come
        return type(exc).__name__, str(exc)


def test_json_lines_decode_as_json_loads_decodes_them() -> None:
    from cleaner.io.readers import _loads

    lines = [b'{"id": "a", "text": "plain"}\n', b'{"id": 1, "text": "caf\xc3\xa9 \\u00e9 \\ud800 \\n"}',
             b'{"text": "a\x00b"}', b'{"text": "caf\xe9"}', b'{"text": "\xed\xa0\x80 encoded surrogate"}',
             b'{"id": "bad", "text": \n', b"{", b"{}", b'{"a": NaN, "b": 1e400, "c": 123456789012345678901234}',
             b'{\x00"\x00', b'{"a":1} trailing', b'\xef\xbb\xbf{"bom": true}', b"[1, 2]", b"", b"   ",
             '{"wide": "text"}'.encode("utf-16"), '{"wide": "text"}'.encode("utf-16-le"),
             b'{"k": "' + "ünïcödé ✓ 漢字".encode() + b'"}', b'{"deep": ' + b"[" * 50 + b"]" * 50 + b"}"]
    for line in lines:
        assert _outcome(_loads, line) == _outcome(json.loads, line), line


def test_a_json_line_becomes_the_document_or_reject_the_whole_way_makes_of_it() -> None:
    """The quick way for most lines against the whole way (every decoding error and repair), on lines of
    every kind a dump holds: the same document or the same reject, message and sample included."""
    from cleaner.io.readers import ReadOptions, _json_document, _json_document_fully

    lines = [b'{"id": "a", "text": "plain"}\n', b'{"id": "a", "text": "plain"}\r\n',
             b'{"id": "a", "text": "t"}  \t\n', b'{"id": 1, "text": "caf\xc3\xa9 \\u00e9 \\ud800 \\n"}',
             b'{"id": "c", "text": "bell \\u0007 esc \\u001b"}',
             b'{"text": "a\x00b"}', b'{"text": "caf\xe9"}', b'{"text": "\xed\xa0\x80 encoded surrogate"}',
             b'{"id": "bad", "text": \n', b"{", b"{}", b'{"a": NaN, "text": "1e400", "c": 123456789012345678901234}',
             b'{\x00"\x00', b'{"a":1} trailing', b'{"id": "x", "text": "y"} {"id": "z", "text": "w"}',
             b'{"id": "x", "text": "y"}\x0b', b'\xef\xbb\xbf{"bom": true}', b"[1, 2]", b'"text"',
             '{"wide": "text"}'.encode("utf-16"), b'{"id": "d", "text": 5}', b'{"id": "", "text": "no id"}',
             b'{"id": "f", "text": "fields", "url": "https://a.org/", "fetched_at": "2024-01-02T03:04:05Z", "k": [1]}',
             b'{"id": "f", "text": "bad time", "url": 7, "date": "not a date"}',
             b'{"id": "dup", "text": "a", "text": "b"}',
             b'{"k": "' + "ünïcödé ✓ 漢字".encode() + b'", "text": "x"}', b'{"deep": ' + b"[" * 50 + b"]" * 50 + b"}",
             b'{"deep": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"]
    options = ReadOptions()
    for line in lines:
        assert _json_document(line, "in.jsonl", 3, "in", options) == \
            _json_document_fully(line, "in.jsonl", 3, "in", options), line[:80]


def _record_row_variants() -> list[dict[str, object]]:
    from cleaner.core.records import Record
    from cleaner.io.readers import Document
    from cleaner.io.writers import record_row

    document = Document("d\udc00", "in\udc80.jsonl", 3, text="x", url="https://example.com/\ud800",
                        fields={"k": "v\ud800"})
    plain = Record("d", 0, "main", "Site", "4 hours ago", "A title", "Some text.", metadata={"a": "b"})
    variants = [plain, plain._replace(title="Titre é"), plain._replace(text="bad \ud800 text"),
                plain._replace(title="bad \udfff", text="also bad \ud800"), plain._replace(source=None, published=None),
                plain._replace(metadata={"k": "\ud800"}), plain._replace(language="\ud800"), plain._replace(text=""),
                plain._replace(kind=7)]  # type: ignore[arg-type]  # not text: looked at one field at a time
    return [record_row(record, document, None) for record in variants]


def test_the_quick_look_at_a_record_row_names_the_field_the_full_one_names() -> None:
    from cleaner.io.writers import unwritable_field, unwritable_record_field

    rows = _record_row_variants()
    found = [unwritable_record_field(row) for row in rows]
    assert found == [unwritable_field(row) for row in rows]
    assert found.count(None) == 5 and {"title", "text", "metadata", "language"} <= set(found)


def test_a_budget_reads_the_cpu_clock_only_when_the_wall_clock_says_it_may_be_spent(monkeypatch) -> None:
    import time

    import pytest

    from cleaner.core.errors import DocumentTooSlow
    from cleaner.run import shard

    cpu = shard.budget_clock
    reads: list[float] = []
    monkeypatch.setattr(shard, "budget_clock", lambda: reads.append(cpu()) or reads[-1])

    def spend(seconds: float) -> None:
        started = cpu()
        while cpu() - started < seconds:
            pass

    budget = shard.DocumentBudget(0.002)
    budget.start(10, cpu(), time.perf_counter())
    budget.stop()
    assert reads == []  # within its budget by the wall clock: no CPU clock read
    budget.start(10, cpu(), time.perf_counter() - 1.0)  # the wall clock says a second passed, the CPU clock not
    budget.stop()
    assert len(reads) == 2
    began, wall = cpu(), time.perf_counter()
    spend(0.01)
    with pytest.raises(DocumentTooSlow, match="stage: decoding"):
        budget.start(10, began, wall)
    budget.start(10, cpu(), time.perf_counter())
    spend(0.01)
    with pytest.raises(DocumentTooSlow, match="measured when it ended"):
        budget.stop()


def test_the_cpu_clock_a_document_starts_at_is_read_or_bounded_from_above_within_the_slack(monkeypatch) -> None:
    import time

    import pytest

    from cleaner.run import shard

    cpu = shard.budget_clock
    reads: list[float] = []
    monkeypatch.setattr(shard, "budget_clock", lambda: reads.append(cpu()) or reads[-1])
    budget = shard.DocumentBudget(2.0)
    assert budget.slack == shard.DocumentBudget.SLACK
    assert shard.DocumentBudget(0.01).slack == 0.01 * shard.DocumentBudget.SLACK_SHARE  # a small budget, less
    wall = time.perf_counter()
    assert budget.cpu_at(wall) == reads[-1] and len(reads) == 1  # the first time: read
    assert budget.cpu_at(wall + budget.slack / 2) == pytest.approx(reads[-1] + budget.slack / 2, abs=1e-9)
    assert len(reads) == 1  # within the slack: the last reading and the wall time since
    budget.cpu_at(wall + budget.slack * 2)  # past the slack: read again
    assert len(reads) == 2
    budget = shard.DocumentBudget(2.0)  # on the real wall clock (the readings above were ahead of it)
    for _ in range(2000):  # never below the clock, never more than the slack above it
        before = cpu()
        found = budget.cpu_at(time.perf_counter())
        assert before <= found <= cpu() + budget.slack
    assert len(reads) < 2000


def test_a_record_as_its_values_is_checked_and_written_as_its_row_is() -> None:
    """A shard holds a record as :func:`record_values` (and its signature as :func:`signature_values`): the
    same check of what UTF-8 cannot encode, and the same part, as its row by name would give."""
    from cleaner.io.writers import (
        CONTENT_HASH,
        INPUT_PATH,
        INPUT_POSITION,
        RECORD_INDEX,
        RECORD_NAMES,
        RECORD_SCHEMA,
        TEXT,
        unwritable_field,
        unwritable_record_value,
    )
    from cleaner.run.dedup import signature_values

    rows = _record_row_variants()
    every = [tuple(row.values()) for row in rows]
    assert [tuple(row) for row in rows] == [RECORD_NAMES] * len(rows)
    assert [unwritable_record_value(values) for values in every] == [unwritable_field(row) for row in rows]
    writable = [(row, values) for row, values in zip(rows, every, strict=True)
                if not unwritable_field(row) and isinstance(row["kind"], str)]
    signatures = [(signature_source(row), signature_values(values[INPUT_PATH], values[INPUT_POSITION],
                                                           values[RECORD_INDEX], values[CONTENT_HASH], values[TEXT]))
                  for row, values in writable]
    for kind, schema, pairs in (("records", RECORD_SCHEMA, writable), ("signatures", SIGNATURE_SCHEMA, signatures)):
        by_name, by_values = _Folder(), _Folder()
        converters = SIGNATURE_CONVERTERS if kind == "signatures" else None
        named = PartWriter(by_name, kind, schema, 500, converters=converters)  # type: ignore[arg-type]
        positional = PartWriter(by_values, kind, schema, 500, converters=converters)  # type: ignore[arg-type]
        for row, values in pairs:
            named.add(row, 300)
            positional.add_values(values, 300)
        named.close()
        positional.close()
        assert len(by_name.frames) > 1 and len(by_name.frames) == len(by_values.frames)
        assert all(a.equals(b) for a, b in zip(by_name.frames, by_values.frames, strict=True))
