"""Faults while a run writes, in the spirit of SQLite's I/O error tests: a full disk at each write step of a
run (a file opened, written, flushed, fsynced, a Parquet part, a folder made, a rename), a file system that
turns read-only at each step, and a kill -9 just before each step. Each must end in a message that names
the file (no traceback), the documented exit code, no part under a final name that does not read, no file
removed that cleaner did not write, and a plain rerun that gives exactly the records of a run that was never
disturbed.

The steps are counted by tests/_write_faults.py (the same run with no fault first, to list them). The
default run tries one step of each kind (operation and file); ``--runslow`` tries every step.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

import cleaner
from benchmarks.corpus import write_jsonl
from cleaner.cli import main
from tests._write_faults import KILL, WriteFaults, describe
from tests.conftest import ROOT

#: Files a user keeps in the output folder: no fault and no rerun may remove them.
USER_FILES = {"notes.txt": "my notes", "records/README.txt": "mine too"}


@dataclass(frozen=True)
class Job:
    arguments: list[str]
    expected: pl.DataFrame
    documents: int
    #: The write steps of an undisturbed run, as (kind, operation, path) under a folder named "count".
    steps: list[tuple[str, str, str]]
    #: For each step, whether it belongs to a shard (its parts and marker) or to the run itself.
    in_shard: list[bool]
    root: Path


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> Job:
    root = tmp_path_factory.mktemp("write-faults")
    source = root / "in.jsonl"
    corpus = write_jsonl(source, 80, seed=8)
    # One small rule file instead of the built-in library: the many runs here each start in a fraction of
    # the time. Two shards, and --removals for a third kind of part.
    rules = root / "rules.toml"
    rules.write_text('[[rule]]\nid = "WRF001"\npurpose = "test"\nline = "Try Our AI Features"\n'
                     'examples.junk = ["Try Our AI Features"]\nexamples.keep = ["Our features"]\n', encoding="utf-8")
    shard_mb = source.stat().st_size / 2 / 1e6 * 1.01
    arguments = ["clean", str(source), "--workers", "1", "--quiet", "--shard-mb", f"{shard_mb:.4f}", "--removals",
                 "--no-builtin-rules", "--rules", str(rules)]
    assert main([*arguments, "--out", str(root / "reference")]) == 0
    expected = _records(root / "reference")
    faults = WriteFaults(0, errno.EROFS, under=str(root / "count"))  # counts deletions too
    count = _user_folder(root / "count")  # a folder as each test's run starts from: the user's files in it
    with faults.installed():
        assert main([*arguments, "--out", str(count)]) == 0
    assert len({key for _, _, path in faults.steps for key in re.findall(r"[0-9a-f]{16}", path)}) == 2  # 2 shards
    return Job(arguments, expected, corpus["documents"], faults.steps, faults.in_shard, root / "count")


def _records(out: Path) -> pl.DataFrame:
    parts = [p for p in (out / "records").glob("*.parquet") if not p.name.startswith(".")]
    return pl.read_parquet(parts).sort("doc_id", "record_index")


def _user_folder(path: Path) -> Path:
    for name, text in USER_FILES.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text, encoding="utf-8")
    return path


def _sample(job: Job, kinds: tuple[str, ...], every: bool, most: int = 99) -> list[int]:
    """Step numbers (1-based, counting only steps of ``kinds``) to try: every one, or the first step on each
    file (shard keys masked), at most ``most`` of them spread evenly."""
    shown = describe([step for step in job.steps if step[0] in kinds], job.root)
    if every:
        return list(range(1, len(shown) + 1))
    files: dict[str, int] = {}
    for number, step in enumerate(shown, 1):
        files.setdefault(step.split(" ", 1)[1], number)
    first = sorted(files.values())
    return [first[i * len(first) // min(most, len(first))] for i in range(min(most, len(first)))]


def _final_name(path: str) -> str:
    """The file a step's temporary file becomes (``.x.parquet.tmp`` -> ``x.parquet``)."""
    folder, _, name = path.rpartition("/")
    if name.startswith(".") and name.endswith(".tmp"):
        name = name[1:-4]
    return f"{folder}/{name}"


def _check_resume(job: Job, out: Path, context: object) -> None:
    """A plain rerun completes with exactly the undisturbed records, and leaves the user's files."""
    assert main([*job.arguments, "--out", str(out)]) == 0, context
    assert _records(out).equals(job.expected), context
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["complete"] and manifest["balanced"], (context, manifest)
    assert manifest["documents"]["read"] == job.documents, context
    assert not list(out.rglob("*.tmp")), (context, list(out.rglob("*.tmp")))
    for name, text in USER_FILES.items():
        assert (out / name).read_text(encoding="utf-8") == text, (context, name)


def _failing_run(job: Job, tmp_path: Path, number: int, error: int, sticky: bool, monkeypatch: pytest.MonkeyPatch,
                 capsys: pytest.CaptureFixture[str]) -> None:
    out = _user_folder(tmp_path / f"out-{number}")
    faults = WriteFaults(number, error, sticky, under=str(out))
    with monkeypatch.context() as patch, faults.installed(patch.setattr):
        code = main([*job.arguments, "--out", str(out)])
    err = capsys.readouterr().err
    assert faults.failed, (number, "the run never reached the step", describe(faults.steps, out))
    _, operation, path = faults.failed[0]
    context = (number, operation, path, err)
    assert "Traceback" not in err, context
    # The message names the file (the one a temporary file was to become); the output folder when its lock
    # or folders cannot be made; on a file system gone read-only, maybe the last file the run tried (its
    # manifest).
    named = str(out) if sticky else _final_name(path)
    assert named in err or f"output folder {out} cannot be written" in err, context
    assert os_error_text(error) in err, context
    # A shard's part or marker that cannot be written fails that shard (1); the run's own files (its lock,
    # identity, folders or manifest) make the output unusable (2). A read-only file system fails the
    # manifest after a failed shard too.
    shard_only = faults.in_shard[number - 1] and not sticky
    assert code == (1 if shard_only else 2), context
    if shard_only:
        assert "failed" in err and "run the same command again" in err, context
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert not manifest["complete"] and manifest["balanced"], context
    for part in out.glob("*/*.parquet"):  # whatever carries a final name is whole
        if not part.name.startswith("."):
            pl.read_parquet(part)
    _check_resume(job, out, context)
    shutil.rmtree(out)


def os_error_text(error: int) -> str:
    return os.strerror(error)


@pytest.mark.parametrize("every", [pytest.param(False, id="each-kind"),
                                   pytest.param(True, id="every-step", marks=pytest.mark.slow)])
def test_a_full_disk_at_any_write_step_is_named_and_a_rerun_completes(job, tmp_path, monkeypatch, capsys,
                                                                      every) -> None:
    tried = _sample(job, ("write",), every, most=7)
    for number in tried:
        _failing_run(job, tmp_path, number, errno.ENOSPC, False, monkeypatch, capsys)
    print(f"full disk at {len(tried)} write steps: each named, each rerun complete")


@pytest.mark.parametrize("every", [pytest.param(False, id="each-kind"),
                                   pytest.param(True, id="every-step", marks=pytest.mark.slow)])
def test_a_file_system_gone_read_only_at_any_step_is_named_and_a_rerun_completes(job, tmp_path, monkeypatch,
                                                                                 capsys, every) -> None:
    tried = _sample(job, ("write", "delete"), every, most=5)
    for number in tried:
        _failing_run(job, tmp_path, number, errno.EROFS, True, monkeypatch, capsys)
    print(f"read-only from {len(tried)} steps on: each named, each rerun complete")


@pytest.mark.parametrize("every", [pytest.param(False, id="each-kind"),
                                   pytest.param(True, id="every-step", marks=pytest.mark.slow)])
def test_a_kill_before_any_write_step_then_a_rerun_gives_the_undisturbed_records(job, tmp_path, every) -> None:
    # The deletions and renames of an --overwrite run are tried in test_reliability; these are a fresh run's
    # steps, writes included: a kill between a part's write and its fsync, or between a marker's write and
    # its rename, leaves a temporary file that the rerun must not trust.
    tried = _sample(job, ("write", "delete"), every, most=3)  # a process per step: a few by default
    for number in tried:
        out = _user_folder(tmp_path / f"out-{number}")
        killed = subprocess.run([sys.executable, str(ROOT / "tests" / "_write_faults.py"), str(number), str(KILL),
                                 "0", *job.arguments, "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                                timeout=300)
        assert killed.returncode == -signal.SIGKILL, (number, killed.stderr)
        _check_resume(job, out, (number, job.steps[number - 1]))
        shutil.rmtree(out)
    print(f"killed before {len(tried)} write steps of a fresh run; every rerun complete")


# --- a real small file system (root only) --------------------------------------------------------------------


@contextmanager
def _small_file_system(folder: Path) -> Iterator[Callable[[str], None]]:
    """A tmpfs mounted on ``folder``; yields a function that remounts it with other options (``size=64k``,
    ``ro``). Mounting needs root (CAP_SYS_ADMIN): skipped without it, as in most CI containers."""
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)], capture_output=True,
                             text=True, check=False) if shutil.which("mount") else None
    if mounted is None or mounted.returncode != 0:
        pytest.skip(f"a tmpfs cannot be mounted here ({mounted.stderr.strip() if mounted else 'no mount'})")

    def remount(options: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{options}", str(folder)], check=True, capture_output=True)

    try:
        yield remount
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True)


@pytest.mark.slow
def test_a_real_full_disk_at_every_size_then_more_space_gives_the_undisturbed_records(job, tmp_path, capsys
                                                                                     ) -> None:
    # No injection: the operating system's own ENOSPC, at whatever step each size of disk runs out (polars
    # reports it from Rust as a ComputeError, with no file name: the case the injected tests imitate).
    needed = sum(p.stat().st_size for p in (job.root.parent / "reference").rglob("*") if p.is_file())
    full = 0
    with _small_file_system(tmp_path / "small") as remount:
        out = tmp_path / "small" / "out"
        for size in range(4096, needed + 64 * 4096, 4096):
            remount(f"size={size}")
            code = main([*job.arguments, "--out", str(out)])
            err = capsys.readouterr().err
            assert "Traceback" not in err, (size, err)
            if code != 0:
                full += 1
                folder = re.escape(str(out))
                named = rf"(cannot write {folder}/\S+|output folder {folder} cannot be written)"
                assert code in (1, 2) and re.search(named + ": No space left on device", err), (size, code, err)
            remount("size=64m")
            assert main([*job.arguments, "--out", str(out)]) == 0, size
            assert _records(out).equals(job.expected), size
            assert not list(out.rglob("*.tmp")), size
            shutil.rmtree(out)
    assert full >= 5  # the disk did run out, at several steps
    print(f"a real full disk at {full} sizes: each named, each rerun complete")


@pytest.mark.slow
def test_a_finished_output_on_a_read_only_file_system_reads_and_a_rerun_is_a_message(job, tmp_path, capsys
                                                                                    ) -> None:
    with _small_file_system(tmp_path / "small") as remount:
        out = tmp_path / "small" / "out"
        assert main([*job.arguments, "--out", str(out)]) == 0
        remount("ro")
        assert main(["show", str(out)]) == 0
        assert cleaner.read_output(out).records.collect().sort("doc_id", "record_index").equals(job.expected)
        capsys.readouterr()
        assert main([*job.arguments, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"output folder {out} cannot be written: Read-only file system" in err and "Traceback" not in err, err


# --- faults inside worker processes --------------------------------------------------------------------------

_IN_WORKERS = '''
import os, sys
if "--multiprocessing-fork" in sys.argv and os.environ.get("CLEANER_TEST_WRITE_FAULT"):
    sys.path.insert(0, os.environ["CLEANER_TEST_ROOT"])
    from tests._write_faults import WriteFaults
    number, error, under = os.environ["CLEANER_TEST_WRITE_FAULT"].split(":", 2)
    INSTALLED = WriteFaults(int(number), int(error), under=under).installed()
    INSTALLED.__enter__()  # for the process's life (kept referenced: collecting it would undo the wrappers)
'''


@pytest.mark.slow
@pytest.mark.parametrize("error", [errno.ENOSPC, KILL], ids=["full-disk", "kill"])
def test_a_fault_in_a_worker_process_is_named_by_the_run_and_a_rerun_completes(job, tmp_path, error) -> None:
    # The steps above, in worker processes (the default worker count): what a worker raises must cross
    # the process boundary as a message naming the file, and a worker killed mid-write must cost nothing.
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_IN_WORKERS, encoding="utf-8")
    arguments = [a if a != "1" or job.arguments[i - 1] != "--workers" else "2" for i, a in enumerate(job.arguments)]
    tried = 0
    for number in (1, 2, 3, 5, 8):  # each worker fails (or dies at) its own n-th write step
        out = _user_folder(tmp_path / f"out-{number}")
        environment = {**os.environ, "PYTHONPATH": str(site), "CLEANER_TEST_ROOT": str(ROOT),
                       "CLEANER_TEST_WRITE_FAULT": f"{number}:{error}:{out}"}
        run = subprocess.run([sys.executable, "-c", "import sys; from cleaner.cli import main; sys.exit(main())",
                              *arguments, "--out", str(out)], cwd=ROOT, env=environment, capture_output=True,
                             text=True, timeout=300)
        assert "Traceback" not in run.stderr, (number, run.stderr)
        if error == KILL:
            assert run.returncode == 1 and "worker process died" in run.stderr, (number, run.stderr)
        else:
            assert run.returncode == 1 and "No space left on device" in run.stderr, (number, run.stderr)
            assert re.search(rf"{re.escape(str(out))}/\S+: No space left on device", run.stderr), (number, run.stderr)
        tried += 1
        _check_resume(job, out, number)
        shutil.rmtree(out)
    assert tried == 5
