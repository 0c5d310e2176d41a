from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
SEEDS = FIXTURES / "seeds"
DUMPS = FIXTURES / "dumps"
HTML = FIXTURES / "html"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", help="run long tests (large corpora, soak tests)")
    parser.addoption("--eval-data", default=os.environ.get("CLEANER_EVAL_DATA"),
                     help="folder with scrapinghub-aeb/ and wcxb-dev/ for the quality benchmark")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--runslow"):
        return
    deselected = [item for item in items if "slow" in item.keywords]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if "slow" not in item.keywords]


@pytest.fixture(scope="session")
def gold() -> dict[str, list[dict]]:
    lines = (ROOT / "tests" / "gold_seeds.jsonl").read_text(encoding="utf-8").splitlines()
    return {d["doc_id"]: d["records"] for d in map(json.loads, lines)}


@pytest.fixture(scope="session")
def cleaner_builtin():
    import cleaner

    return cleaner.Cleaner()
