"""No evaluation answer stands in the project: rules, fixtures, code, tests and benchmarks.

The evaluation sets (../shared/eval: WCXB dev subset, Scrapinghub AEB) measure the project on pages
nobody here wrote; that holds only while nothing here was fitted to their answers. Whenever the sets are
present, this runs the shared overlap check over the project and fails on any hit that is not in the
reviewed allow-list (tests/eval_overlap_allow.toml), whose entries each name outside evidence: at least two
sites beyond the evaluation sets where the phrase stands as the same web family.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALLOW = Path(__file__).with_name("eval_overlap_allow.toml")
SCANNED = ("rules", "fixtures", "cleaner", "tests", "benchmarks")
_WORD = re.compile(r"\w+")


def _eval_dir() -> Path:
    configured = os.environ.get("CLEANER_EVAL_DATA")
    return Path(configured) if configured else ROOT.parent / "shared" / "eval"


def _key(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.lower()))


def _same_phrase(hit: tuple[str, ...], allowed: tuple[str, ...]) -> bool:
    """The tool cuts a hit's text at 160 characters: a phrase matches when one is the other's beginning."""
    shorter = min(len(hit), len(allowed))
    return hit[:shorter] == allowed[:shorter]


def _allowed() -> dict[tuple[str, tuple[str, ...]], list[str]]:
    entries = tomllib.loads(ALLOW.read_text(encoding="utf-8")).get("allow", [])
    return {(entry["path"], _key(entry["text"])): entry.get("evidence", []) for entry in entries}


def test_every_allowed_overlap_names_two_outside_sites() -> None:
    for (path, words), evidence in _allowed().items():
        assert (ROOT / path).exists(), f"allow-list entry for a file that is gone: {path}"
        assert len(words) >= 4, f"{path}: allow-list text too short to be an answer: {' '.join(words)!r}"
        sites = {item.split()[0].lower() for item in evidence if item.strip()}
        assert len(sites) >= 2, f"{path}: {' '.join(words)!r} needs evidence from two sites, has {evidence}"


def test_no_evaluation_answer_in_the_project(tmp_path) -> None:
    eval_dir = _eval_dir()
    tool = eval_dir.parent / "tools" / "eval_overlap.py"
    if not (eval_dir / "wcxb-dev").is_dir():
        pytest.skip(f"no evaluation data at {eval_dir}: nothing to check against (CI has it)")
    assert tool.is_file(), f"the overlap check is missing beside the evaluation data: {tool}"
    found = tmp_path / "hits.json"
    completed = subprocess.run([sys.executable, str(tool), str(ROOT), "--eval", str(eval_dir), "--paths", *SCANNED,
                                "--limit", "0", "--json", str(found)], capture_output=True, text=True, check=False)
    hits = json.loads(found.read_text(encoding="utf-8"))
    assert completed.returncode == (1 if hits else 0), completed.stderr  # the tool's own exit status
    allowed = _allowed()
    listed = str(ALLOW.relative_to(ROOT))
    unexplained = [hit for hit in hits if hit["file"] != listed and not any(
        hit["file"] == path and _same_phrase(_key(hit["text"]), words) for path, words in allowed)]
    shown = "\n".join(f"  {h['file']}: {h['kind']} of {h['answer_of']}: {h['text'][:100]!r}" for h in unexplained)
    assert not unexplained, f"{len(unexplained)} evaluation answer(s) in the project:\n{shown}"
