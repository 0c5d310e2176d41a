"""Benchmark fixtures: a generated corpus per session, its text for the references, and a summary of
every figure and gate at the end of the run."""

from __future__ import annotations

import compileall
import json
from pathlib import Path

import pytest

from benchmarks.corpus import write_jsonl
from benchmarks.gates import REPORTS

#: Corpus size for the short mode that CI runs, and for the full mode (--runslow).
SHORT_MB = 8
FULL_MB = 200
RESULTS: dict[str, dict] = {}


@pytest.fixture(scope="session", autouse=True)
def _package_bytecode() -> None:
    """The package's modules compiled to bytecode before anything is timed, as an installed wheel has them.

    The fresh-process figures (import, a Cleaner built from the disk cache) time a new interpreter: where the
    environment sets PYTHONDONTWRITEBYTECODE (some CI images and this project's development machines do), an
    editable checkout would otherwise compile every module from source in every such process, which a deployed
    worker never pays. compileall writes the files whatever that variable says."""
    import cleaner

    compileall.compile_dir(Path(cleaner.__file__).parent, quiet=1)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory, request) -> dict:
    megabytes = FULL_MB if request.config.getoption("--runslow") else SHORT_MB
    folder = tmp_path_factory.mktemp("bench")
    info = write_jsonl(folder / "corpus.jsonl", target_bytes=megabytes * 2**20, seed=5)
    texts = []
    with open(info["path"], encoding="utf-8") as handle:
        for line in handle:
            texts.append(json.loads(line)["text"])
    text_path = folder / "corpus.txt"
    text_path.write_text("\n".join(texts) + "\n", encoding="utf-8")
    info.update(texts=texts, text_path=str(text_path), text_bytes=text_path.stat().st_size)
    return info


@pytest.fixture(scope="session")
def results() -> dict[str, dict]:
    return RESULTS


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if RESULTS:
        terminalreporter.section("cleaner throughput")
        for name, figures in RESULTS.items():
            shown = ", ".join(f"{k} {v}" for k, v in figures.items())
            terminalreporter.write_line(f"{name}: {shown}")
    if REPORTS:
        terminalreporter.section("gates (benchmarks/figures.toml)")
        for line in REPORTS:
            terminalreporter.write_line(line)
