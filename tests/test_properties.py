"""Properties of the engine on arbitrary text, and fuzzing of the readers and the rule loader."""

from __future__ import annotations

import gzip
import os
import tempfile
from collections import Counter
from pathlib import Path

import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cleaner
from cleaner.core.engine import Engine
from cleaner.core.errors import RuleError
from cleaner.core.rules import RuleSet, parse_rule_file
from cleaner.io.readers import Document, Piece, ReadOptions, Rejected, read_piece
from tests.conftest import DUMPS, SEEDS

ENGINE = cleaner.Cleaner().engine
FIXTURE_LINES = sorted({line for path in [*SEEDS.glob("*.txt"), *DUMPS.glob("*.txt")]
                        for line in path.read_text(encoding="utf-8").splitlines() if len(line) < 400})
STRUCTURE = ["", " ", "\u00a0", "\r", "Related Articles", "Comments", "No comments yet...", "Try Our AI Features",
             "RTHK", "4 hours ago", "- RTHK", "an hour ago", "Advertisement", "Share", "© 2025 Example"]
LINE = st.one_of(st.sampled_from(FIXTURE_LINES + STRUCTURE),
                 st.text(st.characters(blacklist_categories=("Cs",)), max_size=60))
DOCUMENT = st.one_of(st.lists(LINE, max_size=40).map("\n".join), st.text(max_size=400))
#: CLEANER_EXAMPLES raises the number of generated cases for a longer hunt (the default run uses 300).
SETTINGS = settings(max_examples=int(os.environ.get("CLEANER_EXAMPLES", "300")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _visible(text: str) -> Counter[str]:
    return Counter(c for c in text if not c.isspace())


@SETTINGS
@given(DOCUMENT)
def test_engine_never_raises_and_never_invents_text(text: str) -> None:
    cleaned = ENGINE.process(text)
    produced: Counter[str] = Counter()
    for record in cleaned.records:
        for value in (record.title, record.source, record.published, record.text):
            produced += _visible(value or "")
    assert produced <= _visible(text)
    for removal in cleaned.removals:
        assert text[removal.start:removal.end] == removal.text


@SETTINGS
@given(DOCUMENT)
def test_cleaning_clean_output_changes_nothing(text: str) -> None:
    records = ENGINE.process(text).records
    main = next((r for r in records if r.kind == "main"), None)
    if main is None:
        return
    again = ENGINE.process(f"{main.title}\n{main.text}" if main.title else main.text).records
    assert again and (again[0].title, again[0].text) == (main.title, main.text)
    assert not ENGINE.process(f"{main.title}\n{main.text}" if main.title else main.text).removals


# --- fuzzing the readers -----------------------------------------------------------------------------

SUFFIXES = [".txt", ".jsonl", ".html", ".warc", ".parquet", ".txt.gz", ".jsonl.zst", ".bin"]
JSONISH = st.lists(st.one_of(st.just('{"id": "a", "text": "Title\\nBody."}'), st.just("{"), st.just("[]"),
                             st.just('{"text": 5}'), st.text(max_size=40)), max_size=8).map("\n".join)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SUFFIXES), st.one_of(st.binary(max_size=3000), JSONISH.map(str.encode)),
       st.sampled_from(["plain", "gzip", "zstd", "truncated-gzip"]))
def test_readers_never_raise(suffix: str, payload: bytes, wrapping: str) -> None:
    if wrapping == "gzip":
        payload = gzip.compress(payload)
    elif wrapping == "zstd":
        payload = zstandard.ZstdCompressor().compress(payload)
    elif wrapping == "truncated-gzip":
        payload = gzip.compress(payload)[: max(1, len(payload) // 2)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(payload)
        items = list(read_piece(Piece(str(path)), ReadOptions()))
    assert all(isinstance(item, Document | Rejected) for item in items)
    for item in items:
        if isinstance(item, Document) and item.text is not None:
            ENGINE.process(item.text)


# --- fuzzing the rule loader -------------------------------------------------------------------------

RULE_LINES = st.sampled_from([
    "[[rule]]", "[[layout]]", "[file]", 'id = "FZZ001"', 'id = "FZZ002"', 'id = "bad"', 'purpose = "fuzz"',
    'line = "Junk"', "pattern = '(a+)+$'", "pattern = '[unclosed'", "pattern = 'ok\\W*'", "pattern = ''",
    'strength = "weak"', 'strength = "medium"', "max_chars = -1", "max_chars = 50", "min_run = 0",
    'examples.junk = ["Junk"]', "examples.keep = [1]", 'domains = ["example.com", "~x.org"]', 'domains = "x"',
    "block = { start = 'a', end = 'b' }", "block = { start = 'a' }", "header = 'Related'",
    'slots = [{ field = "source" }, { field = "text", rest = true }]', 'slots = [{ template = "- {nope}" }]',
    'title_echo = "maybe"', "colour = 1", "= broken", '"unterminated', "", "# comment",
])


@settings(max_examples=int(__import__("os").environ.get("CLEANER_EXAMPLES", "300")), deadline=None)
@given(st.one_of(st.lists(RULE_LINES, max_size=14).map("\n".join), st.text(max_size=200)))
def test_rule_loader_only_raises_rule_errors(text: str) -> None:
    try:
        rule_file = parse_rule_file(text, "fuzz.toml")
        Engine(RuleSet((rule_file,)))
    except RuleError as error:
        assert str(error).startswith("fuzz.toml")
