"""The evaluation pages the quality benchmarks read in place (never copied into the project)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def eval_data(request) -> Path:
    """The folder given with --eval-data or CLEANER_EVAL_DATA (CI: ../shared/eval); skips without it."""
    data = request.config.getoption("--eval-data")
    if not data or not Path(data).is_dir():
        pytest.skip("no evaluation data: pass --eval-data PATH or set CLEANER_EVAL_DATA (e.g. ../shared/eval)")
    return Path(data)


@pytest.fixture(scope="session")
def dumped(eval_data: Path) -> list:
    """Every evaluation page with its dump in each style, made once for the text-path benchmarks."""
    from benchmarks.quality.text_path import dumped_pages

    return list(dumped_pages(eval_data))
