"""The command line over the bundled fixtures: outputs, manifest, rejects, explain, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import polars as pl
import pytest

from cleaner.cli import main
from tests.conftest import DUMPS, SEEDS


def test_clean_writes_records_rejects_and_a_balanced_manifest(tmp_path) -> None:
    out = tmp_path / "out"
    assert main(["clean", str(SEEDS), str(DUMPS), "--out", str(out), "--workers", "1", "--quiet", "--removals"]) == 0
    records = pl.read_parquet(out / "records" / "*.parquet")
    rejects = pl.read_parquet(out / "rejects" / "*.parquet")
    manifest = json.loads((out / "manifest.json").read_text())
    documents = len(list(SEEDS.glob("*.txt"))) + len(list(DUMPS.glob("*.txt")))
    assert manifest["documents"] == {"read": documents, "with_records": documents - 2, "empty": 2, "rejected": 0}
    assert manifest["balanced"] and manifest["complete"]
    assert manifest["records"] == records.height
    assert sorted(rejects["doc_id"]) == ["all_junk", "empty_document"]
    assert set(rejects["status"]) == {"empty"}
    assert all(entry["balanced"] for entry in manifest["files"].values())
    with_upsell = [p for p in [*SEEDS.glob("*.txt"), *DUMPS.glob("*.txt")]
                   if "Try Our AI Features" in p.read_text(encoding="utf-8").replace("\u00a0", " ")]
    assert manifest["rule_hits"]["AGG001"] == len(with_upsell)
    removals = pl.read_parquet(out / "removals" / "*.parquet")
    assert removals.group_by("rule_id").len().sort("rule_id").to_dicts() == [
        {"rule_id": k, "len": v} for k, v in sorted(manifest["rule_hits"].items())]
    for column in ("doc_id", "record_index", "kind", "source", "published", "title", "text"):
        assert column in records.columns


def test_explain_names_rules_and_spans(capsys) -> None:
    assert main(["explain", str(SEEDS / "000_5bf60654a78975c2.txt")]) == 0
    out = capsys.readouterr().out
    assert "-- record 3 [related] source='AllAfrica' published='8 hours ago'" in out
    assert "removed by AGG001 (AI upsell button text" in out
    assert "removed by SYN001" in out and "'Try Our AI Features'" in out


def test_missing_input_and_bad_rules_exit_2(tmp_path, capsys) -> None:
    assert main(["clean", str(tmp_path / "nothing-here"), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rule]]\nid = "TST001"\npurpose = "x"\npattern = "("\n')
    assert main(["clean", str(SEEDS), "--out", str(tmp_path / "o"), "--rules", str(bad), "--quiet"]) == 2
    assert f"{bad}:4: rule TST001: pattern does not compile" in capsys.readouterr().err


def test_console_script_help() -> None:
    result = subprocess.run([sys.executable, "-m", "cleaner.cli", "clean", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "--workers" in result.stdout and "--rules" in result.stdout and "resumes" in result.stdout


def test_explain_escapes_control_characters_in_ids(tmp_path, capsys) -> None:
    source = tmp_path / "esc.jsonl"
    source.write_text('{"id": "a\\u001b[31mRED", "text": "Title\\nBody \\u001b[0m text."}\n', encoding="utf-8")
    assert main(["explain", str(source)]) == 0
    shown = capsys.readouterr().out
    # The reader already removes control characters from the text (and counts them); the id is shown escaped.
    assert "\x1b" not in shown and "a\\x1b[31mRED" in shown


@pytest.mark.parametrize("option", [["--shard-mb", "0"], ["--part-mb", "-5"], ["--max-document-mb", "nan"],
                                    ["--shard-mb", "inf"], ["--part-mb", "lots"]])
def test_nonsense_sizes_are_usage_errors(tmp_path, option, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["clean", str(SEEDS), "--out", str(tmp_path / "out"), *option])
    assert stopped.value.code == 2
    assert option[0] in capsys.readouterr().err


def test_out_that_is_a_file_and_explain_of_a_missing_or_special_file_exit_2(tmp_path, capsys) -> None:
    a_file = tmp_path / "taken"
    a_file.write_text("x", encoding="utf-8")
    assert main(["clean", str(SEEDS), "--out", str(a_file)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert main(["explain", str(tmp_path / "missing.txt")]) == 2
    assert "no such file" in capsys.readouterr().err
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert main(["explain", str(fifo)]) == 2  # it used to wait forever for a writer
    assert "not a regular file" in capsys.readouterr().err


def test_a_run_that_rejects_most_of_its_input_fails_and_says_why(tmp_path, capsys) -> None:
    source = tmp_path / "texts"
    source.mkdir()
    for i in range(6):
        (source / f"{i}.txt").write_text(f"Title {i}\nA plain text story, not JSON.\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["clean", str(source), "--out", str(out), "--workers", "1", "--format", "jsonl"]) == 1
    err = capsys.readouterr().err
    assert "12 of 12 documents were rejected (100%)" in err and "--max-reject-rate" in err  # 2 lines a file
    assert "12  malformed JSON" in err and str(out / "rejects") in err
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["complete"] and not manifest["ok"] and manifest["reject_reasons"] == {"malformed JSON": 12}
    # The same run with a limit that allows it succeeds; the default format reads the files as text.
    assert main(["clean", str(source), "--out", str(out), "--workers", "1", "--format", "jsonl",
                 "--max-reject-rate", "1", "--quiet"]) == 0
    assert main(["clean", str(source), "--out", str(tmp_path / "text"), "--workers", "1", "--quiet"]) == 0


def test_an_input_folder_without_input_files_is_a_usage_error(tmp_path, capsys) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.md").write_text("not an input format", encoding="utf-8")
    assert main(["clean", str(tmp_path / "empty"), "--out", str(tmp_path / "out")]) == 2
    assert "holds no input file" in capsys.readouterr().err


def test_json_files_are_read_as_one_document_an_array_or_json_lines(tmp_path) -> None:
    source = tmp_path / "in"
    source.mkdir()
    story = {"text": "A title\nThe body of the story, long enough to keep.\nTry Our AI Features\n"}
    (source / "one.json").write_text(json.dumps({**story, "url": "https://example.com/a"}, indent=2), encoding="utf-8")
    (source / "many.json").write_text(json.dumps([{**story, "id": f"m{i}"} for i in range(3)], indent=4),
                                      encoding="utf-8")
    (source / "lines.json").write_text("".join(json.dumps({**story, "id": f"l{i}"}) + "\n" for i in range(2)),
                                       encoding="utf-8")
    (source / "broken.json").write_text('{"text": "x",', encoding="utf-8")
    out = tmp_path / "out"
    assert main(["clean", str(source), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    records = pl.read_parquet(out / "records" / "*.parquet")
    assert sorted(records["doc_id"]) == ["l0", "l1", "m0", "m1", "m2", "one"]
    assert set(records["text"]) == {"The body of the story, long enough to keep."}
    rejects = pl.read_parquet(out / "rejects" / "*.parquet")
    assert rejects["doc_id"].to_list() == ["broken"] and rejects["reason"][0].startswith("malformed JSON")


def test_a_user_rule_whose_examples_fail_is_warned_about_or_refused_with_strict(tmp_path, capsys) -> None:
    rules = tmp_path / "mine.toml"
    rules.write_text('[[rule]]\nid = "MIN001"\npurpose = "a line the author meant to remove"\n'
                     'line = "Buy the print edition"\nexamples.junk = ["Buy the print edition today"]\n'
                     'examples.keep = ["We bought it."]\n', encoding="utf-8")
    source = tmp_path / "in.txt"
    source.write_text("Title\nBody of the story.\nBuy the print edition\n", encoding="utf-8")
    common = ["clean", str(source), "--rules", str(rules), "--workers", "1", "--quiet"]
    assert main([*common, "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "warning: 1 rule example(s) fail" in err and "MIN001 did not remove its junk example" in err
    assert main([*common, "--out", str(tmp_path / "strict"), "--strict"]) == 2
    assert "MIN001 did not remove its junk example" in capsys.readouterr().err
    assert not (tmp_path / "strict").exists()


def test_a_clean_run_reads_each_rule_file_once_and_names_the_settings_as_before(tmp_path, monkeypatch) -> None:
    import polars as pl

    from cleaner.io import rulefiles
    from cleaner.run.shard import JobSettings

    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "mine.toml").write_text('[[rule]]\nid = "MIN002"\npurpose = "a print-edition upsell"\n'
                                      'line = "Buy the print edition"\nexamples.junk = ["Buy the print edition"]\n'
                                      'examples.keep = ["We bought it."]\n', encoding="utf-8")
    source = tmp_path / "in.txt"
    source.write_text("Title\nBody of the story.\nBuy the print edition\n", encoding="utf-8")
    reads: list[str] = []
    real = rulefiles.read_rule_bytes

    def counted(path):  # type: ignore[no-untyped-def]
        reads.append(str(path))
        return real(path)

    monkeypatch.setattr(rulefiles, "read_rule_bytes", counted)
    monkeypatch.chdir(tmp_path)  # the rules named relative to the working folder, as a user types them
    out = tmp_path / "out"
    assert main(["clean", str(source), "--rules", "rules", "--workers", "1", "--quiet", "--out", str(out)]) == 0
    assert sum(path.endswith("mine.toml") for path in reads) == 1, reads
    assert len(reads) == len(set(reads)), reads
    monkeypatch.setattr(rulefiles, "read_rule_bytes", real)
    named = pl.read_parquet_metadata(next((out / "records").glob("*.parquet")))["cleaner_settings_fingerprint"]
    # The fingerprint the job would make reading its (resolved) rule files itself.
    assert named == JobSettings.from_options(str(out), rules=[folder]).fingerprint()
    assert pl.read_parquet(out / "records" / "*.parquet")["text"].to_list() == ["Body of the story."]


def test_rule_ids_are_read_in_any_case_and_library_errors_speak_to_the_library(capsys) -> None:
    import cleaner

    assert main(["rules", "list", "--disable", "agg001"]) == 0
    assert "AGG001" not in capsys.readouterr().out
    assert main(["rule", "cmt001"]) == 0
    assert cleaner.Cleaner(disable=["agg001"]).rules.disabled == {"AGG001"}
    with pytest.raises(cleaner.RuleError, match="no rule has the id") as caught:
        cleaner.Cleaner(disable=["NOPE001"])
    assert "--disable" not in str(caught.value)
    with pytest.raises(TypeError, match="html="):
        cleaner.clean(b"Title\nBody")  # type: ignore[arg-type]


def test_team_settings_come_from_cleaner_toml_or_pyproject_and_the_command_line_wins(tmp_path, monkeypatch,
                                                                                     capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.cleaner]\ndisable = ["agg001"]\n', encoding="utf-8")
    assert main(["rules", "list"]) == 0
    assert "AGG001" not in capsys.readouterr().out
    (tmp_path / "cleaner.toml").write_text('disable = ["CMT001"]\nworkers = 1\n', encoding="utf-8")  # takes over
    assert main(["rules", "list", "--disable", "AGG002"]) == 0
    listed = capsys.readouterr().out
    assert "CMT001" not in listed and "AGG002" not in listed and "AGG001" in listed
    (tmp_path / "other.toml").write_text('max-reject-rate = 2\n', encoding="utf-8")
    assert main(["--config", "other.toml", "rules", "list"]) == 2
    assert "other.toml: max-reject-rate: must be between 0 and 1" in capsys.readouterr().err
    (tmp_path / "cleaner.toml").write_text('wrkers = 1\n', encoding="utf-8")
    assert main(["rules", "list"]) == 2
    assert "cleaner.toml: unknown setting(s) wrkers" in capsys.readouterr().err


def test_version_and_log_file(tmp_path, capsys) -> None:
    import cleaner

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0 and capsys.readouterr().out.strip() == f"cleaner {cleaner.__version__}"
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_text("Title\nBody.\n", encoding="utf-8")
    (data / "old").mkdir()
    assert main(["clean", str(data), "--out", str(data / "old"), "--workers", "1", "--quiet"]) == 0
    log = tmp_path / "run.log"
    assert main(["--log-file", str(log), "clean", str(data), "--out", str(tmp_path / "out"), "--workers", "1",
                 "--quiet"]) == 0
    assert "holds the output of an earlier cleaner run" in log.read_text(encoding="utf-8")


def test_streaming_reads_standard_input_and_writes_json_lines_as_the_batch_job_writes_records(tmp_path) -> None:
    lines = "".join(json.dumps({"id": f"d{i}", "text": f"Title {i}\nBody of story {i}.\nTry Our AI Features\n",
                                "fetched_at": "2024-01-01T00:00:00Z"}) + "\n" for i in range(5))
    lines += '{"id": "broken"\n'
    done = subprocess.run([sys.executable, "-m", "cleaner.cli", "clean", "-", "--out", "-"], input=lines,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    streamed = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["doc_id"] for r in streamed] == [f"d{i}" for i in range(5)]
    assert streamed[0]["text"] == "Body of story 0." and streamed[0]["fetched_at"] == "2024-01-01T00:00:00+00:00"
    assert "rejected -:6: malformed JSON" in done.stderr and "6 documents read" in done.stderr
    # The same documents as a file, through the batch job: the same records.
    source = tmp_path / "in.jsonl"
    source.write_text(lines, encoding="utf-8")
    assert main(["clean", str(source), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"]) == 0
    batch = pl.read_parquet(tmp_path / "out" / "records" / "*.parquet").sort("doc_id")
    assert batch["text"].to_list() == [r["text"] for r in streamed]
    assert batch["title"].to_list() == [r["title"] for r in streamed]


def test_streaming_fails_like_the_batch_job_when_most_is_rejected_and_refuses_what_it_cannot_do(
        tmp_path, capsys) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("plain text\n", encoding="utf-8")
    assert main(["clean", str(source), "--format", "jsonl", "--out", "-"]) == 1
    assert "1 of 1 documents were rejected" in capsys.readouterr().err
    assert main(["clean", "-", "--out", str(tmp_path / "folder")]) == 2
    assert "standard input" in capsys.readouterr().err
    assert main(["clean", str(source), "--out", "-", "--removals"]) == 2


def test_output_says_what_made_it_and_keeps_its_promises(tmp_path) -> None:
    import cleaner

    out = tmp_path / "out"
    assert main(["clean", str(SEEDS), "--out", str(out), "--workers", "1", "--quiet", "--row-group-rows", "2"]) == 0
    assert (out / "rejects").is_dir()  # present though nothing was rejected
    part = sorted((out / "records").glob("*.parquet"))[0]
    metadata = pl.read_parquet_metadata(part)
    assert metadata["cleaner_version"] == cleaner.__version__ and len(metadata["cleaner_settings_fingerprint"]) == 40
    records = pl.read_parquet(out / "records" / "*.parquet")
    assert records.schema["kind"] == pl.Enum(["main", "related", "comments"])
    assert records.select(pl.col("doc_id", "record_index", "kind", "text").null_count()).row(0) == (0, 0, 0, 0)
