"""Concurrency faults: two runs started together on one output (same or different settings), `cleaner dedup`
while a run writes, and the library called from many threads at once. One of two runs must refuse clearly,
or both must give a consistent output; a library call must give the records a single thread gives. No
sleeps: the tests wait for a process or a line it prints."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import polars as pl
import pytest

import cleaner
from benchmarks.corpus import write_jsonl
from cleaner.cli import main
from tests.conftest import DUMPS, FIXTURES, HTML, SEEDS

PROGRAM = [sys.executable, "-c", "import sys; from cleaner.cli import main; sys.exit(main())"]
REFUSED = ("being written by another cleaner run", "holds a run with different")


def _rules(path: Path, line: str) -> Path:
    path.write_text(f'[[rule]]\nid = "CON001"\npurpose = "test"\nline = "{line}"\n'
                    f'examples.junk = ["{line}"]\nexamples.keep = ["Our features"]\n', encoding="utf-8")
    return path


def _records(out: Path) -> pl.DataFrame:
    return cleaner.read_output(out).records.collect().sort("doc_id", "record_index")


def _arguments(source: Path, rules: Path) -> list[str]:
    # Small shards, so that a run takes several and the two runs have time to meet.
    return ["clean", str(source), "--workers", "1", "--quiet", "--shard-mb", "0.05", "--no-builtin-rules", "--rules",
            str(rules)]


@pytest.mark.parametrize(("rounds", "same"), [
    pytest.param(1, False, id="other-rules-once"),
    pytest.param(6, False, id="other-rules-six-times", marks=pytest.mark.slow),
    pytest.param(6, True, id="same-settings-six-times", marks=pytest.mark.slow),
])
def test_two_runs_started_together_on_one_output_one_refuses_or_both_agree(tmp_path, rounds, same) -> None:
    source = tmp_path / "in.jsonl"
    write_jsonl(source, 120, seed=11)
    first = _arguments(source, _rules(tmp_path / "a.toml", "Try Our AI Features"))
    second = first if same else _arguments(source, _rules(tmp_path / "b.toml", "Comments"))
    references = []
    for n, arguments in enumerate((first, second)):
        assert main([*arguments, "--out", str(tmp_path / f"reference-{n}")]) == 0
        references.append(_records(tmp_path / f"reference-{n}"))
    for attempt in range(rounds):
        out = tmp_path / f"out-{attempt}"
        processes = [subprocess.Popen([*PROGRAM, *arguments, "--out", str(out)], stderr=subprocess.PIPE, text=True)
                     for arguments in (first, second)]
        results = [(process.wait(), process.stderr.read()) for process in processes]  # type: ignore[union-attr]
        for code, err in results:
            assert "Traceback" not in err, (attempt, err)
            assert code == 0 or (code == 2 and any(r in err for r in REFUSED)), (attempt, code, err)
        codes = [code for code, _ in results]
        assert 0 in codes, (attempt, results)
        # The output is that of the run that finished last with exit 0 (both, when the settings are the
        # same): exactly its reference, each record once.
        winner = 1 if codes[1] == 0 and (same or codes[0] != 0) else 0
        assert _records(out).equals(references[winner]), (attempt, results)
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["complete"] and manifest["balanced"], (attempt, manifest)


def test_dedup_while_a_run_writes_the_output_is_refused(tmp_path, capsys) -> None:
    import fcntl

    source = tmp_path / "in.jsonl"
    write_jsonl(source, 100, seed=12)
    out = tmp_path / "out"
    assert main(["clean", str(source), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    parts = {p: p.read_bytes() for p in out.rglob("*.parquet")}
    with open(out / ".cleaner.lock", "a+", encoding="utf-8") as held:  # what a running job holds
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.seek(0)
        held.truncate()  # the finished run's line
        held.write("pid 4242 on elsewhere\n")
        held.flush()
        assert main(["dedup", str(out)]) == 2
        assert "being written by another cleaner run (pid 4242 on elsewhere)" in capsys.readouterr().err
        assert {p: p.read_bytes() for p in out.rglob("*.parquet")} == parts  # nothing rewritten under it
    assert main(["dedup", str(out)]) == 0  # once the run has ended
    assert "dup_cluster" in _records(out).columns


def test_dedup_leaves_files_cleaner_did_not_write(tmp_path) -> None:
    source = tmp_path / "in.jsonl"
    write_jsonl(source, 200, seed=13)
    out = tmp_path / "out"
    assert main(["clean", str(source), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    mine = out / "records" / "my-table.parquet"
    pl.DataFrame({"name": ["kept as it is"]}).write_parquet(mine)
    before = mine.read_bytes()
    assert main(["dedup", str(out)]) == 0
    assert mine.read_bytes() == before
    assert "dup_cluster" in _records(out).columns


# --- the library from many threads ---------------------------------------------------------------------------


def _fixture_documents() -> list[tuple[str, str, bool]]:
    """(name, content, is_html) of the bundled fixtures: text dumps, seeds and HTML pages."""
    documents = [(p.name, p.read_text(encoding="utf-8"), False)
                 for folder in (SEEDS, DUMPS) for p in sorted(folder.glob("*.txt"))]
    documents += [(p.name, p.read_text(encoding="utf-8", errors="replace"), True)
                  for folder in (HTML, FIXTURES / "html_blocks", FIXTURES / "html_forums")
                  for p in sorted(folder.glob("*.html"))]
    return documents


def _clean_all(instance: cleaner.Cleaner, documents: list[tuple[str, str, bool]], order: list[int]
               ) -> dict[str, cleaner.Cleaned]:
    done = {}
    for index in order:
        name, content, is_html = documents[index]
        done[name] = (instance.process(html=content, doc_id=name, fetched_at="2025-01-01T00:00:00Z") if is_html
                      else instance.process(content, doc_id=name, fetched_at="2025-01-01T00:00:00Z"))
    return done


@pytest.mark.parametrize("shared", [pytest.param(True, id="one-cleaner"),
                                    pytest.param(False, id="a-cleaner-each", marks=pytest.mark.slow)])
def test_the_library_from_many_threads_gives_the_single_threaded_records(shared) -> None:
    documents = _fixture_documents()
    assert len(documents) >= 30
    expected = _clean_all(cleaner.Cleaner(), documents, list(range(len(documents))))
    threads = 4
    # A fresh Cleaner: what it builds lazily (the HTML tree rules, the language model) is first built
    # while the threads race for it.
    common = cleaner.Cleaner() if shared else None
    start = threading.Barrier(threads)
    results: list[dict[str, cleaner.Cleaned] | BaseException] = [RuntimeError("not run")] * threads

    def work(n: int) -> None:
        try:
            instance = common if common is not None else cleaner.Cleaner()
            start.wait()
            order = list(range(len(documents)))
            order = order[n * 7 % len(order):] + order[:n * 7 % len(order)]  # each thread its own order
            results[n] = _clean_all(instance, documents, order)
        except BaseException as exc:  # reported below, with the thread's number
            results[n] = exc

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    for n, result in enumerate(results):
        assert not isinstance(result, BaseException), (n, result)
        for name, cleaned in expected.items():
            assert result[name].records == cleaned.records, (n, name)
            assert result[name].removals == cleaned.removals, (n, name)
