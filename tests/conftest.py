from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
SEEDS = FIXTURES / "seeds"
DUMPS = FIXTURES / "dumps"
HTML = FIXTURES / "html"


@pytest.fixture(scope="session")
def gold() -> dict[str, list[dict]]:
    lines = (ROOT / "tests" / "gold_seeds.jsonl").read_text(encoding="utf-8").splitlines()
    return {d["doc_id"]: d["records"] for d in map(json.loads, lines)}


@pytest.fixture(scope="session")
def cleaner_builtin():
    import cleaner

    return cleaner.Cleaner()
