"""Faults around a run: closed pipes and streams, signals, --overwrite on folders cleaner did not make,
settings files with bad values, hostile rules, rule files rewritten mid-run, time budgets, invisible
characters and two runs on one output. No sleeps: a test waits for a line of output or for the process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

import polars as pl
import pytest

import cleaner
from cleaner.cli import main
from cleaner.run.batch import InProcessExecutor, run_batch
from cleaner.run.shard import JobSettings
from cleaner.run.spawn import interrupts_held

PROGRAM = [sys.executable, "-c", "import sys; from cleaner.cli import main; sys.exit(main())"]


def _jsonl(path: Path, count: int, junk: str = "Advertisement") -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(count):
            text = (f"Headline number {n}\nThe body of story {n} goes on for a while, as stories do.\n{junk}\n"
                    f"A second paragraph of story {n} says more about it.\n")
            handle.write(json.dumps({"id": f"d{n}", "text": text}) + "\n")
    return path


def _records(out: Path) -> pl.DataFrame:
    return pl.read_parquet(out / "records" / "*.parquet").sort("doc_id", "record_index")


def _rule_file(path: Path, body: str) -> Path:
    path.write_text('[file]\nname = "Test rules"\n\n' + body, encoding="utf-8")
    return path


# --- closed pipes and streams ------------------------------------------------------------------------------


def test_a_reader_that_closes_the_pipe_ends_the_run_quietly(tmp_path) -> None:
    source = _jsonl(tmp_path / "in.jsonl", 3000)
    process = subprocess.Popen([*PROGRAM, "clean", str(source), "--out", "-"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, cwd=tmp_path)
    assert process.stdout is not None and process.stderr is not None
    first = json.loads(process.stdout.readline())  # `| head -1`
    process.stdout.close()
    errors = process.stderr.read().decode()
    assert process.wait() == 141  # 128 + SIGPIPE, as a shell shows a process a closed pipe stopped
    assert first["doc_id"] == "d0"
    assert "Traceback" not in errors and "Error" not in errors, errors


def test_a_closed_standard_output_is_a_named_error_or_no_matter(tmp_path) -> None:
    source = _jsonl(tmp_path / "in.jsonl", 50)
    # `cleaner ... >&-`: the program starts with no standard output at all.
    closed = ["sh", "-c", 'exec "$0" "$@" >&-', sys.executable, "-c",
              "import sys; from cleaner.cli import main; sys.exit(main())"]
    streamed = subprocess.run([*closed, "clean", str(source), "--out", "-"], stderr=subprocess.PIPE, text=True,
                              cwd=tmp_path)
    assert streamed.returncode == 2
    assert "standard output, which is closed" in streamed.stderr and "Traceback" not in streamed.stderr
    folder = subprocess.run([*closed, "clean", str(source), "--out", "out", "--workers", "1"],
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    assert folder.returncode == 0, folder.stderr
    assert _records(tmp_path / "out").height == 50
    listed = subprocess.run([*closed, "rules", "list"], stderr=subprocess.PIPE, text=True)
    assert listed.returncode == 0 and "Traceback" not in listed.stderr


def test_closing_the_progress_stream_does_not_stop_a_run_into_a_folder(tmp_path) -> None:
    source = _jsonl(tmp_path / "in.jsonl", 2000)
    process = subprocess.Popen([*PROGRAM, "clean", str(source), "--out", "out", "--workers", "1", "--shard-mb",
                                "0.05"], stderr=subprocess.PIPE, cwd=tmp_path)
    assert process.stderr is not None
    process.stderr.readline()  # `2>&1 | head -1`
    process.stderr.close()
    assert process.wait() == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["complete"] and manifest["documents"]["with_records"] == 2000


# --- signals -------------------------------------------------------------------------------------------------


def _interrupt_until_it_ends(tmp_path: Path, source: Path) -> tuple[int, str]:
    process = subprocess.Popen([*PROGRAM, "clean", str(source), "--out", "out", "--workers", "2", "--shard-mb",
                                "0.2"], stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    assert process.stderr is not None
    first = process.stderr.readline()  # the run has started: its plan is printed
    rest: list[str] = []
    reader = threading.Thread(target=lambda: rest.append(process.stderr.read()))  # type: ignore[union-attr]
    reader.start()
    # Ctrl-C again and again until it ends: the second (and later) ones land anywhere in the first one's
    # clean-up, at whatever point the process has reached.
    while process.poll() is None:
        try:
            process.send_signal(signal.SIGINT)
        except ProcessLookupError:
            break
    reader.join()
    return process.wait(), first + "".join(rest)


#: How a Ctrl-C run may end: exit 130, or killed by SIGINT itself when a Ctrl-C lands in the last moments of
#: the interpreter's shutdown, after Python has put the default handler back (a shell reports both as 130).
INTERRUPTED = (130, -signal.SIGINT)


def test_ctrl_c_twice_never_prints_a_traceback_and_the_run_resumes(tmp_path) -> None:
    source = _jsonl(tmp_path / "in.jsonl", 20_000)
    code, errors = _interrupt_until_it_ends(tmp_path, source)
    assert code in INTERRUPTED, errors
    assert "Traceback" not in errors, errors
    assert main(["clean", str(source), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet", "--shard-mb",
                 "0.2"]) == 0  # the same job resumed
    assert _records(tmp_path / "out")["doc_id"].n_unique() == 20_000


@pytest.mark.slow
def test_ctrl_c_at_many_moments_never_prints_a_traceback(tmp_path) -> None:
    source = _jsonl(tmp_path / "in.jsonl", 20_000)
    for attempt in range(10):
        code, errors = _interrupt_until_it_ends(tmp_path, source)
        assert (code == 0 or code in INTERRUPTED) and "Traceback" not in errors, (attempt, errors)
    assert main(["clean", str(source), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet", "--shard-mb",
                 "0.2"]) == 0
    assert _records(tmp_path / "out")["doc_id"].n_unique() == 20_000


# --- --overwrite ---------------------------------------------------------------------------------------------


def test_overwrite_refuses_a_folder_that_is_not_a_cleaner_output(tmp_path, capsys) -> None:
    source = _jsonl(tmp_path / "in.jsonl", 20)
    folder = tmp_path / "mine"
    (folder / "records").mkdir(parents=True)
    (folder / "records" / "thesis.parquet").write_bytes(b"my own work")
    (folder / "notes.txt").write_text("keep me")
    assert main(["clean", str(source), "--out", str(folder), "--workers", "1", "--quiet", "--overwrite"]) == 2
    assert "not the output of a cleaner run" in capsys.readouterr().err
    assert (folder / "records" / "thesis.parquet").read_bytes() == b"my own work"
    assert (folder / "notes.txt").read_text() == "keep me"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["clean", str(source), "--out", str(empty), "--workers", "1", "--quiet", "--overwrite"]) == 0


def test_overwrite_deletes_only_what_cleaner_wrote(tmp_path) -> None:
    source = _jsonl(tmp_path / "in.jsonl", 20)
    out = tmp_path / "out"
    arguments = ["clean", str(source), "--out", str(out), "--workers", "1", "--quiet"]
    assert main(arguments) == 0
    (out / "records" / "my-notes.parquet").write_bytes(b"mine")
    (out / "rejects" / "README.txt").write_text("mine too")
    assert main([*arguments, "--overwrite"]) == 0
    assert (out / "records" / "my-notes.parquet").read_bytes() == b"mine"
    assert (out / "rejects" / "README.txt").read_text() == "mine too"
    parts = [p for p in (out / "records").glob("*.parquet") if p.name != "my-notes.parquet"]
    assert pl.read_parquet(parts)["doc_id"].n_unique() == 20  # the new run's parts, once each


# --- settings files ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("pyproject.toml", '[tool.cleaner]\nworkers = "many"\n', "workers: must be a whole number, at least 1, got 'many'"),
    ("pyproject.toml", "[tool.cleaner]\nmax-reject-rate = true\n", "max-reject-rate must be a number between 0 and 1"),
    ("pyproject.toml", "tool = 3\n", "tool must be a table"),
    ("cleaner.toml", "workers = -2\n", "workers: must be a whole number, at least 1, got '-2'"),
    ("cleaner.toml", "time-budget = \"soon\"\n", "time-budget: must be a finite number, at least 0.001"),
])
def test_a_bad_setting_names_the_file_the_key_and_the_type(tmp_path, monkeypatch, capsys, name, text,
                                                            expected) -> None:
    source = _jsonl(tmp_path / "in.jsonl", 5)
    (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["clean", str(source), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert name in error and expected in error, error


# --- rules read once -----------------------------------------------------------------------------------------


def test_a_rule_file_rewritten_during_a_run_changes_neither_records_nor_provenance(tmp_path) -> None:
    source = _jsonl(tmp_path / "in.jsonl", 400, junk="Zebra crossing notice")
    rules = _rule_file(tmp_path / "team.toml", '[[rule]]\nid = "TEAM001"\npurpose = "a notice"\n'
                                               'line = "Zebra crossing notice"\n')
    settings = JobSettings(out=str(tmp_path / "out"), rule_paths=(str(rules),), part_bytes=2000)

    def rewrite(report, totals) -> None:  # type: ignore[no-untyped-def]
        # After the first shard: the team edits the file (this rule would now remove nothing).
        rules.write_text('[file]\nname = "Test rules"\n\n[[rule]]\nid = "TEAM001"\npurpose = "another"\n'
                         'line = "Something else entirely"\n', encoding="utf-8")

    result = run_batch([str(source)], settings, InProcessExecutor(), shard_bytes=8000, on_shard=rewrite)
    assert result.ok and result.shards > 3
    records = _records(tmp_path / "out")
    assert not records["text"].str.contains("Zebra").any()  # every shard applied the rules the run started with
    fingerprints = {pl.read_parquet_metadata(p)["cleaner_settings_fingerprint"]
                    for p in (tmp_path / "out" / "records").glob("*.parquet")}
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert fingerprints == {manifest["identity"]["settings"]}


# --- hostile rules -------------------------------------------------------------------------------------------


def test_a_rule_matching_every_line_is_flagged_before_and_fails_the_run(tmp_path, capsys) -> None:
    source = _jsonl(tmp_path / "in.jsonl", 40)
    rules = _rule_file(tmp_path / "greedy.toml", "[[rule]]\nid = \"USR001\"\npurpose = \"everything\"\n"
                                                 "pattern = '.+'\n")
    assert main(["rules", "check", "--rules", str(rules)]) == 1
    assert "FLAG USR001" in capsys.readouterr().out
    assert main(["rules", "check", "--rules", str(rules), str(source)]) == 1  # on the user's own documents
    assert "over-broad" in capsys.readouterr().out
    assert main(["clean", str(source), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet", "--rules",
                 str(rules)]) == 1
    error = capsys.readouterr().err
    assert "USR001" in error.split("left with nothing to keep")[0]  # warned before the run
    assert "left with nothing to keep" in error and "USR001 (" in error.split("left with nothing to keep")[1]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert not manifest["ok"] and manifest["documents"]["empty"] == 40
    assert main(["rules", "check"]) == 0  # no rule added: nothing to flag


def test_a_slow_rule_refuses_its_documents_whole_and_is_named(tmp_path, capsys) -> None:
    # The lookbehind fails every "x...xy" line only after every split of the x's is tried; the compiled line
    # matcher, which has no lookbehind, cannot rule the bait out (a line no match is possible on is never tried).
    rules = _rule_file(tmp_path / "slow.toml", "[[rule]]\nid = \"USR005\"\npurpose = \"backtracks\"\n"
                                               "pattern = '(?:x+x+)+(?<!x)y'\nmax_chars = 5000\n")
    source = tmp_path / "in.jsonl"
    lines = [json.dumps({"id": f"ok{n}", "text": f"Headline {n}\nBody of story {n}, ordinary text."})
             for n in range(30)]
    lines.append(json.dumps({"id": "bait", "text": "Headline\nBody.\n" + "x" * 3000 + "y\nMore body."}))
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["rules", "check", "--rules", str(rules)]) == 1
    flagged = capsys.readouterr().out
    assert "FLAG USR005" in flagged and "slow:" in flagged and "ms at worst" in flagged
    assert main(["clean", str(source), "--out", str(tmp_path / "out"), "--workers", "1", "--rules", str(rules)]) == 0
    assert "USR005" in capsys.readouterr().err  # named in the summary
    rejects = pl.read_parquet(tmp_path / "out" / "rejects" / "*.parquet").filter(pl.col("status") == "rejected")
    assert rejects["doc_id"].to_list() == ["bait"] and "RuleTooSlow" in rejects["reason"][0]
    assert "bait" not in _records(tmp_path / "out")["doc_id"].to_list()  # never half-cleaned
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["over_budget"] == {"rule USR005": 1}


# --- time budgets --------------------------------------------------------------------------------------------


def test_a_document_over_its_budget_is_rejected_whole_with_its_stage(tmp_path) -> None:
    source = tmp_path / "in.jsonl"
    big = "Headline\n" + "A line of the story that goes on and on, as the long ones do.\n" * 20_000
    source.write_text(json.dumps({"id": "big", "text": big}) + "\n"
                      + json.dumps({"id": "small", "text": "Headline\nBody."}) + "\n", encoding="utf-8")
    # Two workers: the shards run in worker processes, where the timer stops a document mid-way.
    assert main(["clean", str(source), "--out", str(tmp_path / "out"), "--workers", "2", "--quiet",
                 "--time-budget", "0.01", "--max-reject-rate", "1"]) == 0
    rejects = pl.read_parquet(tmp_path / "out" / "rejects" / "*.parquet")
    assert rejects["doc_id"].to_list() == ["big"]
    assert "DocumentTooSlow" in rejects["reason"][0] and "stage: " in rejects["reason"][0]
    assert _records(tmp_path / "out")["doc_id"].to_list() == ["small"]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert sum(v for k, v in manifest["over_budget"].items() if not k.startswith("rule ")) == 1


def test_the_same_input_gives_the_same_records_on_a_busy_and_an_idle_machine(tmp_path) -> None:
    source = _jsonl(tmp_path / "in.jsonl", 300)
    arguments = ["clean", str(source), "--workers", "1", "--quiet"]
    assert main([*arguments, "--out", str(tmp_path / "idle")]) == 0
    stop = threading.Event()

    def hog() -> None:  # competes for the interpreter and a core while the run goes on
        total = 0
        while not stop.is_set():
            total += sum(range(1000))

    hogs = [threading.Thread(target=hog, daemon=True) for _ in range(2)]
    for thread in hogs:
        thread.start()
    try:
        assert main([*arguments, "--out", str(tmp_path / "busy")]) == 0
    finally:
        stop.set()
        for thread in hogs:
            thread.join()
    idle, busy = _records(tmp_path / "idle"), _records(tmp_path / "busy")
    columns = [c for c in idle.columns if c not in ("input_path",)]
    assert busy.select(columns).equals(idle.select(columns))


# --- invisible characters ------------------------------------------------------------------------------------


@pytest.mark.parametrize("disguise", [
    "Adver\u200btisement",  # zero-width space inside
    "Adver\u2066tise\u2069ment",  # bidi isolate
    "Advertise\U000e0041ment",  # tag character
    "\u0410dvertisement",  # Cyrillic capital A
    "\uff21\uff44\uff56\uff45\uff52\uff54\uff49\uff53\uff45\uff4d\uff45\uff4e\uff54",  # fullwidth
])
def test_junk_lines_with_invisible_characters_are_removed_as_without_them(disguise) -> None:
    plain = "Headline\nThe body goes on for a while.\nAdvertisement\nMore of the body.\n"
    disguised = plain.replace("Advertisement", disguise)
    engine = cleaner.Cleaner().engine
    expected = engine.process(plain).records
    assert "Advertisement" not in expected[0].text  # the plain junk line is removed...
    assert engine.process(disguised).records == expected  # ...and so is the disguised one


def test_content_keeps_its_invisible_characters_and_other_scripts() -> None:
    text = ("Headline\nCaf\u00e9 owners\u200b met on Tuesday to talk about the rent.\n"
            "Реклама в газете обсуждалась тоже.\n")
    record = cleaner.Cleaner().engine.process(text).records[0]
    assert record.text == text.split("\n", 1)[1].rstrip("\n")  # the output is the original characters


# --- two runs on one output ----------------------------------------------------------------------------------


def test_a_second_run_on_the_same_output_is_refused_while_the_first_runs(tmp_path, capsys) -> None:
    source = _jsonl(tmp_path / "in.jsonl", 20_000)
    first = subprocess.Popen([*PROGRAM, "clean", str(source), "--out", "out", "--workers", "1", "--shard-mb", "0.2"],
                             stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    assert first.stderr is not None
    first.stderr.readline()  # it holds the lock: its plan is printed after the lock is taken
    second = main(["clean", str(source), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"])
    first.stderr.read()
    assert first.wait() == 0
    assert second == 2 and "being written by another cleaner run" in capsys.readouterr().err
    assert _records(tmp_path / "out")["doc_id"].n_unique() == 20_000



def test_a_ctrl_c_while_workers_start_is_handled_once_they_have_started() -> None:
    """The race behind an `EOFError: Ran out of input` traceback: a Ctrl-C handled while a worker reads its
    start-up data from this process. It is held to the end of the block, then handled as it would have been."""
    events: list[str] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: events.append("handled"))
    try:
        with interrupts_held():
            signal.raise_signal(signal.SIGINT)
            events.append("started")
        assert events == ["started", "handled"]
        signal.signal(signal.SIGINT, signal.default_int_handler)
        with pytest.raises(KeyboardInterrupt), interrupts_held():
            signal.raise_signal(signal.SIGINT)
            events.append("started again")
        assert events[-1] == "started again"
        with interrupts_held():
            pass
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)
