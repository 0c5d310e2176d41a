"""Options shared by tests/ and benchmarks/: --runslow for long runs, --eval-data for the quality benchmark.
The run's compiled-rule cache is a folder of its own (CLEANER_CACHE_DIR), removed at the end: tests never
read or fill the user's cache, and every run starts cold."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

_CACHE_DIR = tempfile.mkdtemp(prefix="cleaner-test-cache-")
os.environ["CLEANER_CACHE_DIR"] = _CACHE_DIR
os.environ.pop("CLEANER_NO_RULE_CACHE", None)


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_CACHE_DIR, ignore_errors=True)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", help="run long tests and full-size benchmarks")
    parser.addoption("--eval-data", default=os.environ.get("CLEANER_EVAL_DATA"),
                     help="folder with scrapinghub-aeb/ and wcxb-dev/ for the quality benchmark")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--runslow"):
        return
    # Long runs are deselected, not skipped: the default run reports only what it really ran.
    deselected = [item for item in items if "slow" in item.keywords]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if "slow" not in item.keywords]
