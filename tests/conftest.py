from __future__ import annotations

import json
import textwrap
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


def engine_from(body: str, **options):  # type: ignore[no-untyped-def]
    """An engine built from one rule file's text alone (indented text is fine), with engine options."""
    from cleaner.core.engine import Engine, Options
    from cleaner.core.rules import RuleSet, parse_rule_file

    return Engine(RuleSet((parse_rule_file(textwrap.dedent(body), "test.toml"),)), Options(**options))
