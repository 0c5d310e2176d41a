"""``cleaner show`` on a small run: what it prints is what the run kept (titles, sources, times, text)."""

from __future__ import annotations

import json

import pytest

from cleaner._show import first_words
from cleaner.cli import main

FERRY = ("The harbour ferry will cost more from May, the operator said on Monday, citing fuel and crew costs. "
         "Commuters who cross twice a day will pay about a fifth more, and the monthly pass goes up by the same "
         "share from the first of the month.")
DOCUMENTS = [
    {"id": "b2", "fetched_at": "2025-08-15T12:00:00Z",
     "text": f"Harbour ferry fares rise in May\n{FERRY}\nTry Our AI Features\nRelated Articles\nCity Desk\n"
             "4 hours ago\n- City Desk\nNew pier opens on the east bank\n"
             "The long-awaited pier opened to walkers on Saturday after two years of work on its pilings.\n"},
    {"id": "a1", "text": "Library extends its opening hours\n"
                         "The town library will open until nine on weekdays from next month, its board decided.\n"},
]


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("show")
    source = folder / "in.jsonl"
    source.write_text("".join(json.dumps(d) + "\n" for d in DOCUMENTS), encoding="utf-8")
    assert main(["clean", str(source), "--out", str(folder / "out"), "--workers", "1", "--quiet"]) == 0
    return str(folder / "out")


def test_show_prints_kind_title_source_time_and_first_words(out, capsys) -> None:
    capsys.readouterr()
    assert main(["show", out]) == 0
    assert capsys.readouterr().out == (
        "a1 #0 main\n"
        "  title:  Library extends its opening hours\n"
        "  text:   The town library will open until nine on weekdays from next month, its board decided. (85 chars)\n"
        "\n"
        "b2 #0 main\n"
        "  title:  Harbour ferry fares rise in May\n"
        "  text:   The harbour ferry will cost more from May, the operator said on Monday, citing fuel and crew costs. "
        "Commuters who cross twice a day will pay about a fifth more, … (236 chars)\n"
        "\n"
        "b2 #1 related\n"
        "  title:  New pier opens on the east bank\n"
        "  source: City Desk\n"
        "  time:   4 hours ago (2025-08-15 08:00 UTC)\n"
        "  text:   The long-awaited pier opened to walkers on Saturday after two years of work on its pilings. "
        "(91 chars)\n"
        "\n"
        "documents: 2 read, 2 with records, 0 empty, 0 rejected; records: 3; balanced: True\n")


def test_show_limit_says_how_many_records_it_left_out(out, capsys) -> None:
    capsys.readouterr()
    assert main(["show", out, "-n", "1"]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith("a1 #0 main\n") and "b2 #" not in shown
    assert "(1 of 3 records shown; --limit N shows more)\n" in shown


def test_show_full_prints_whole_texts(out, capsys) -> None:
    capsys.readouterr()
    assert main(["show", out, "--full", "--limit", "2"]) == 0
    shown = capsys.readouterr().out
    assert f"  text:   (236 chars)\n    {FERRY}\n\n" in shown
    assert "Try Our AI Features" not in shown


def test_show_json_writes_one_record_a_line_with_every_column(out, capsys) -> None:
    capsys.readouterr()
    assert main(["show", out, "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["doc_id"], r["record_index"], r["kind"], r["title"]) for r in rows] == [
        ("a1", 0, "main", "Library extends its opening hours"),
        ("b2", 0, "main", "Harbour ferry fares rise in May"),
        ("b2", 1, "related", "New pier opens on the east bank"),
    ]
    assert rows[1]["text"] == FERRY
    assert (rows[2]["source"], rows[2]["published"], rows[2]["published_at"]) == (
        "City Desk", "4 hours ago", "2025-08-15T08:00:00+00:00")
    assert rows[2]["fetched_at"] == "2025-08-15T12:00:00+00:00"


def test_show_of_a_folder_without_records_is_an_error(tmp_path, capsys) -> None:
    assert main(["show", str(tmp_path)]) == 2
    assert "holds no Parquet parts" in capsys.readouterr().err


def test_first_words_cut_at_a_word_with_an_ellipsis() -> None:
    assert first_words("one two\nthree", words=2) == "one two …"
    assert first_words("one two three", chars=9) == "one two …"
    assert first_words("one two") == "one two"
    assert first_words("") == ""
