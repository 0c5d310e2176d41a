"""Fault injection for the readers, in the spirit of SQLite's: small WARC, multi-member gzip, JSON-lines and
Parquet files are truncated and corrupted in every class of byte range (file header, record header, record
body, between records, trailer), and each damaged file must give back every record the damage did not touch,
exactly as it was; every record it touched must be accounted for (kept, or a reject); and every skipped
byte range must be a reject that says so (``damaged``), counted in the manifest. The default run tries a
few offsets of each class; ``--runslow`` sweeps every byte.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from cleaner.cli import EXIT_DATA_LOST, main
from cleaner.core.errors import PageTooLarge
from cleaner.io.html import HtmlOptions, extract
from cleaner.io.parquet_footer import row_groups
from cleaner.io.readers import Document, Piece, ReadOptions, Rejected, decode_html, read_piece
from tests.conftest import SEEDS

SEED = (SEEDS / "000_5bf60654a78975c2.txt").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Unit:
    """One record of a test file: its id, its text, and the byte ranges of the file it depends on."""

    doc_id: str
    text: str
    ranges: tuple[tuple[int, int], ...]

    def touched(self, start: int, end: int) -> bool:
        return any(a < end and start < b for a, b in self.ranges)


@dataclass(frozen=True)
class Sample:
    suffix: str
    data: bytes
    units: tuple[Unit, ...]
    #: Byte-range classes of the file: name -> offsets to damage.
    classes: dict[str, tuple[int, ...]]


def _text(n: int) -> str:
    return f"Record number {n} of the fault suite\nIts body sentence number {n} is long enough to be kept.\n"


# --- the sample files --------------------------------------------------------------------------------

def _warc_record(n: int, compress: bool) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=compress)
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/plain; charset=utf-8")], protocol="HTTP/1.1")
    record = writer.create_warc_record(f"https://example.org/{n}", "response", payload=io.BytesIO(_text(n).encode()),
                                       http_headers=http,
                                       warc_headers_dict={"WARC-Record-ID": f"<urn:uuid:record-{n}>",
                                                          "WARC-Date": "2024-05-01T10:00:00Z"})
    writer.write_record(record)
    return buffer.getvalue()


def _concatenated(pieces: list[bytes], ids: list[str], texts: list[str], suffix: str) -> Sample:
    starts = [sum(map(len, pieces[:i])) for i in range(len(pieces) + 1)]
    units = tuple(Unit(ids[i], texts[i], ((starts[i], starts[i + 1]),)) for i in range(len(pieces)))
    data = b"".join(pieces)
    second = pieces[1]
    header_end = second.find(b"\r\n\r\n") if suffix == ".warc" else 10
    classes = {
        "file header": (0, 3, 5),
        "record header": (starts[1], starts[1] + 4, starts[1] + max(header_end // 2, 1), starts[1] + header_end - 2),
        "record body": (starts[1] + len(second) // 2, starts[1] + len(second) * 3 // 4),
        "between records": (starts[2] - 3, starts[2] - 1, starts[2]),
        "trailer": (len(data) - 8, len(data) - 2),
    }
    return Sample(suffix, data, units, classes)


def warc_sample(compress: bool) -> Sample:
    pieces = [_warc_record(n, compress) for n in range(4)]
    return _concatenated(pieces, [f"record-{n}" for n in range(4)], [_text(n) for n in range(4)],
                         ".warc.gz" if compress else ".warc")


def jsonl_gz_sample() -> Sample:
    """JSON lines in gzip members of two lines each, as `cat a.gz b.gz` or a per-chunk writer makes them."""
    texts = [_text(n) for n in range(8)]
    lines = [json.dumps({"id": f"line-{n}", "text": texts[n]}).encode() + b"\n" for n in range(8)]
    members = [gzip.compress(lines[i] + lines[i + 1], mtime=0) for i in range(0, 8, 2)]
    sample = _concatenated(members, [f"m{i}" for i in range(4)], ["" for _ in range(4)], ".jsonl.gz")
    units = tuple(Unit(f"line-{n}", texts[n], sample.units[n // 2].ranges) for n in range(8))
    return Sample(".jsonl.gz", sample.data, units, sample.classes)


def jsonl_sample() -> Sample:
    lines = [json.dumps({"id": f"line-{n}", "text": _text(n)}).encode() + b"\n" for n in range(5)]
    sample = _concatenated(lines, [f"line-{n}" for n in range(5)], [_text(n) for n in range(5)], ".jsonl")
    return sample


def parquet_sample(folder: Path) -> Sample:
    texts = [_text(n) for n in range(12)]
    path = folder / "sample.parquet"
    pl.DataFrame({"id": [f"row-{n}" for n in range(12)], "text": texts}).write_parquet(path, row_group_size=4)
    data = path.read_bytes()
    with open(path, "rb") as handle:
        groups = row_groups(handle, len(data))
    footer = len(data) - 8 - int.from_bytes(data[-8:-4], "little")
    shared = ((0, 4), (footer, len(data)))  # every row needs the magic and the footer
    units = tuple(Unit(f"row-{n}", texts[n], ((groups[n // 4].start, groups[n // 4].end), *groups[n // 4].indexes,
                                              *shared)) for n in range(12))
    classes = {
        "file header": (0, 2),
        "record header": (groups[1].start, groups[1].start + 3),  # the first page header of a row group
        "record body": ((groups[1].start + groups[1].end) // 2, groups[1].end - 6),
        "between records": (groups[1].end - 1, groups[2].start),
        "trailer": (footer + 4, len(data) - 6, len(data) - 2),
    }
    return Sample(".parquet", data, units, classes)


# --- the check ---------------------------------------------------------------------------------------

def read_pairs(path: Path) -> tuple[list[tuple[str, str]], list[Rejected]]:
    documents: list[tuple[str, str]] = []
    rejects: list[Rejected] = []
    for item in read_piece(Piece(str(path)), ReadOptions()):
        if isinstance(item, Document):
            documents.append((item.doc_id, item.text or ""))
        else:
            rejects.append(item)
    return documents, rejects


def read_all(path: Path) -> tuple[dict[str, str], list[Rejected]]:
    documents, rejects = read_pairs(path)
    assert len({doc_id for doc_id, _ in documents}) == len(documents)
    return dict(documents), rejects


def check(sample: Sample, damaged: bytes, start: int, end: int, folder: Path) -> None:
    """The promises, for ``damaged`` (``sample.data`` with bytes ``[start, end)`` changed or cut off)."""
    path = folder / f"damaged{sample.suffix}"
    path.write_bytes(damaged)
    documents, rejects = read_pairs(path)
    where = f"{sample.suffix} damaged at bytes {start}-{end}"
    cut = len(damaged) < len(sample.data)
    # A record the damage changed (its id, its text) comes out as another document: kept, not lost.
    exact = {(unit.doc_id, unit.text) for unit in sample.units}
    altered = sum(1 for pair in documents if pair not in exact)
    missing = []
    for unit in sample.units:
        if cut and all(a >= start for a, _ in unit.ranges):
            continue  # a file cut where a record begins is a shorter file: nothing there to tell the loss
        if not unit.touched(start, end):
            assert (unit.doc_id, unit.text) in documents, f"{where}: intact {unit.doc_id} lost or changed"
        elif (unit.doc_id, unit.text) not in documents:
            missing.append(unit.doc_id)
    assert not missing or rejects or altered >= len(missing), f"{where}: {missing} lost without a reject"
    for reject in rejects:
        if reject.damaged is not None:
            assert reject.damaged[0] <= reject.damaged[1], (where, reject)
            assert reject.reason.startswith("damaged data skipped"), (where, reject)
    path.unlink()


def corrupted(data: bytes, at: int, width: int = 3) -> tuple[bytes, int, int]:
    end = min(at + width, len(data))
    return data[:at] + bytes(b ^ 0xA5 for b in data[at:end]) + data[end:], at, end


def truncated(data: bytes, at: int) -> tuple[bytes, int, int]:
    return data[:at], at, len(data)


SAMPLES: dict[str, Callable[[Path], Sample]] = {
    "warc": lambda folder: warc_sample(False),
    "warc.gz": lambda folder: warc_sample(True),
    "jsonl.gz": lambda folder: jsonl_gz_sample(),
    "jsonl": lambda folder: jsonl_sample(),
    "parquet": parquet_sample,
}
CLASSES = ("file header", "record header", "record body", "between records", "trailer")


@pytest.mark.parametrize("kind", SAMPLES)
def test_an_undamaged_file_reads_whole(kind: str, tmp_path: Path) -> None:
    sample = SAMPLES[kind](tmp_path)
    path = tmp_path / f"whole{sample.suffix}"
    path.write_bytes(sample.data)
    documents, rejects = read_all(path)
    assert rejects == []
    assert documents == {unit.doc_id: unit.text for unit in sample.units}


@pytest.mark.parametrize("kind", SAMPLES)
@pytest.mark.parametrize("byte_class", CLASSES)
def test_damage_in_each_byte_class_costs_only_what_it_touches(kind: str, byte_class: str, tmp_path: Path) -> None:
    sample = SAMPLES[kind](tmp_path)
    for at in sample.classes[byte_class]:
        check(sample, *corrupted(sample.data, at), tmp_path)
        check(sample, *truncated(sample.data, at), tmp_path)


def _offsets(sample: Sample) -> Iterable[int]:
    return range(len(sample.data))


@pytest.mark.slow
@pytest.mark.parametrize("kind", SAMPLES)
def test_damage_at_every_byte(kind: str, tmp_path: Path) -> None:
    sample = SAMPLES[kind](tmp_path)
    for at in _offsets(sample):
        check(sample, *corrupted(sample.data, at, width=1), tmp_path)
        check(sample, *truncated(sample.data, at), tmp_path)


def test_a_corrupt_member_is_skipped_to_the_next_and_its_range_reported(tmp_path: Path) -> None:
    sample = jsonl_gz_sample()
    member = sample.units[2].ranges[0]  # lines 2 and 3
    damaged = corrupted(sample.data, (member[0] + member[1]) // 2)[0]
    path = tmp_path / "damaged.jsonl.gz"
    path.write_bytes(damaged)
    documents, rejects = read_all(path)
    assert set(documents) == {f"line-{n}" for n in (0, 1, 4, 5, 6, 7)}
    assert [r.damaged for r in rejects] == [member]
    assert f"bytes {member[0]}-{member[1]} of the compressed file" in rejects[0].reason


def test_a_malformed_warc_record_is_rejected_with_its_offset_and_reading_resumes(tmp_path: Path) -> None:
    sample = warc_sample(False)
    record = sample.units[1].ranges[0]
    data = bytearray(sample.data)
    length_at = data.index(b"Content-Length: ", record[0]) + len(b"Content-Length: ")
    data[length_at] = ord("x")  # not a number
    path = tmp_path / "damaged.warc"
    path.write_bytes(bytes(data))
    documents, rejects = read_all(path)
    assert set(documents) == {"record-0", "record-2", "record-3"}
    assert [r.damaged for r in rejects] == [record]
    assert rejects[0].position == record[0] and "Content-Length is not a number" in rejects[0].reason


def test_a_corrupt_parquet_row_group_is_skipped_with_its_index(tmp_path: Path) -> None:
    sample = parquet_sample(tmp_path)
    group = sample.units[4].ranges[0]  # rows 4-7
    data = bytearray(sample.data)
    for at in range(group[0] + 8, group[1] - 8):
        data[at] ^= 0x5A
    path = tmp_path / "damaged.parquet"
    path.write_bytes(bytes(data))
    documents, rejects = read_all(path)
    assert set(documents) == {f"row-{n}" for n in (0, 1, 2, 3, 8, 9, 10, 11)}
    assert len(rejects) == 1 and rejects[0].damaged == group
    assert "row group 1" in rejects[0].reason and "rows 5-8" in rejects[0].reason


def test_a_run_over_damaged_inputs_counts_the_damage_and_exits_3(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    sample = warc_sample(True)
    member = sample.units[1].ranges[0]
    (folder / "crawl.warc.gz").write_bytes(corrupted(sample.data, (member[0] + member[1]) // 2)[0])
    (folder / "good.jsonl").write_text(json.dumps({"id": "good", "text": SEED}) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["clean", str(folder), "--out", str(out), "--workers", "1", "--quiet"]) == EXIT_DATA_LOST
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["complete"] and manifest["balanced"] and manifest["data_lost"]
    assert manifest["damaged"] == {"ranges": 1, "bytes": member[1] - member[0]}
    crawl = next(counts for path, counts in manifest["files"].items() if path.endswith("crawl.warc.gz"))
    assert crawl["read"] == crawl["with_records"] + crawl["empty"] + crawl["rejected"] == 4
    assert crawl["damaged_ranges"] == 1
    rejects = pl.read_parquet(out / "rejects" / "*.parquet")
    damaged = rejects.filter(pl.col("reason").str.starts_with("damaged data skipped"))
    assert damaged["input_position"].to_list() == [member[0]]
    records = pl.read_parquet(out / "records" / "*.parquet")
    assert {"record-0", "record-2", "record-3", "good"} <= set(records["doc_id"])


def test_an_undamaged_run_exits_0_and_reports_no_damage(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "crawl.warc.gz").write_bytes(warc_sample(True).data)
    out = tmp_path / "out"
    assert main(["clean", str(folder), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["damaged"] == {"ranges": 0, "bytes": 0} and not manifest["data_lost"]


# --- decoding as promised ----------------------------------------------------------------------------

def test_json_lines_that_are_not_utf8_are_decoded_and_noted(tmp_path: Path) -> None:
    path = tmp_path / "legacy.jsonl"
    latin = json.dumps({"id": "latin", "text": "Le café était fermé\nà cause de la grève."}, ensure_ascii=False)
    cyrillic = json.dumps({"id": "cyrillic", "text": "Новости дня\nСегодня в городе прошёл большой праздник."},
                          ensure_ascii=False)
    path.write_bytes(latin.encode("cp1252") + b"\n" + cyrillic.encode("cp1251") + b"\n")
    documents = {item.doc_id: item for item in read_piece(Piece(str(path)), ReadOptions())}
    assert all(isinstance(item, Document) for item in documents.values())
    assert documents["latin"].text == "Le café était fermé\nà cause de la grève."
    assert documents["latin"].fields["encoding"] == "cp1252"
    assert documents["cyrillic"].text == "Новости дня\nСегодня в городе прошёл большой праздник."
    assert documents["cyrillic"].fields["encoding"] == "cp1251"


def test_a_raw_control_character_in_a_json_string_costs_the_character_not_the_document(tmp_path: Path) -> None:
    path = tmp_path / "nul.jsonl"
    path.write_bytes(b'{"id": "nul", "text": "Title\\nA body with a NUL \x00 and a bell \x07 inside."}\n'
                     b'{"id": "fine", "text": "Title\\nBody."}\n')
    items = list(read_piece(Piece(str(path)), ReadOptions()))
    assert [type(item) for item in items] == [Document, Document]
    assert items[0].text == "Title\nA body with a NUL  and a bell  inside."
    assert items[0].fields["control_chars_removed"] == 2
    assert items[1].fields == {}


def _page(body: str, head: str = "") -> str:
    return (f"<!DOCTYPE html><html><head>{head}<title>A page</title></head><body><article><h1>A headline for "
            f"the page</h1><p>{body}</p><p>{body}</p></article></body></html>")


def test_html_charset_comes_from_the_declaration_when_it_decodes_cleanly() -> None:
    body = "Сегодня в городе прошёл большой праздник, и все жители вышли на улицы."
    page = _page(body, '<meta charset="windows-1251">').encode("cp1251")
    decoded = decode_html(page)
    assert (decoded.source, decoded.encoding) == ("declared", "cp1251") and body in decoded.text


def test_html_bytes_that_contradict_their_declaration_are_detected_not_mangled() -> None:
    body = "Le café était fermé à cause de la grève générale, et la ville était calme."
    page = _page(body, '<meta charset="utf-8">').encode("cp1252")
    decoded = decode_html(page)
    assert decoded.source == "detected" and body in decoded.text and "\ufffd" not in decoded.text
    assert body in extract(page).text


def test_html_in_utf16_without_a_bom_is_read(tmp_path: Path) -> None:
    body = "A sentence of the article that is long enough to be kept by the extractor as content."
    for codec in ("utf-16-le", "utf-16-be"):
        path = tmp_path / f"page-{codec}.html"
        path.write_bytes(_page(body).encode(codec))
        items = list(read_piece(Piece(str(path)), ReadOptions()))
        assert len(items) == 1 and isinstance(items[0], Document), items
        assert decode_html(items[0].html or b"").source == "utf-16"
        assert body in extract(items[0].html or b"").text


def test_a_bom_wins_and_valid_utf8_is_utf8() -> None:
    assert decode_html(b"\xef\xbb\xbf" + _page("caf\u00e9").encode()).source == "bom"
    assert decode_html(_page("caf\u00e9", '<meta charset="iso-8859-1">').encode()).source == "utf-8"


# --- pages too crowded to parse ----------------------------------------------------------------------

def _crowded_page(attributes: int, quoted_gt: bool = False) -> bytes:
    value = '">"' if quoted_gt else '"v"'
    tag = " ".join(f"data-a{n}={value}" for n in range(attributes))
    return _page("A sentence of the article, long enough to be kept as content.").replace(
        "<article>", f"<article {tag}>").encode()


def test_an_element_with_too_many_attributes_is_refused_before_parsing() -> None:
    with pytest.raises(PageTooLarge, match="100000 attributes"):
        extract(_crowded_page(100_000))
    with pytest.raises(PageTooLarge, match="1001 attributes"):
        extract(_crowded_page(1_001, quoted_gt=True))  # a ">" inside quoted values does not end the tag
    assert "long enough to be kept" in extract(_crowded_page(1_000)).text
    assert "long enough to be kept" in extract(_crowded_page(5_000), options=HtmlOptions(
        max_element_attributes=10_000, max_crowded_attributes=10_000)).text


def test_many_crowded_elements_are_refused_and_scripts_are_not_counted() -> None:
    row = "<div " + " ".join(f"data-a{n}=x" for n in range(40)) + ">cell</div>"
    page = _page("A sentence of the article, long enough to be kept as content.").replace(
        "</article>", "</article>" + row * 30)
    with pytest.raises(PageTooLarge, match="more than 1000 attributes on elements"):
        extract(page.encode(), options=HtmlOptions(max_crowded_attributes=1_000))
    script = "<script>" + "if (a<b && c>d) { x = 1; } " + " ".join(f"v{n}" for n in range(5_000)) + "</script>"
    scripted = _page("A sentence of the article, long enough to be kept as content.", script)
    assert "long enough to be kept" in extract(scripted.encode()).text


def test_a_crowded_page_in_a_run_is_one_reject_naming_the_reason(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "crowded.html").write_bytes(_crowded_page(50_000))
    (folder / "good.jsonl").write_text(json.dumps({"id": "good", "text": SEED}) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["clean", str(folder), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    rejects = pl.read_parquet(out / "rejects" / "*.parquet")
    [reason] = rejects["reason"].to_list()
    assert reason.startswith("could not be processed: PageTooLarge: HTML element with 50000 attributes at character")
    assert reason.endswith("past the 1000-attribute limit (before parsing: the parser's time grows with the square "
                           "of an element's attributes)")
