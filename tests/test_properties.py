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
from cleaner.core.engine import Engine, _echo_length
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


def _echo_walk(line: str, title: str) -> int:
    """The title echo as a walk over the title's words, whitespace between them of any kind and length."""
    position = 0
    for word in title.split():
        while position < len(line) and line[position].isspace():
            position += 1
        if not line.startswith(word, position):
            return 0
        position += len(word)
    return 0 if position < len(line) and not line[position].isspace() else position


ECHO_TEXT = st.text(st.sampled_from(["a", "b", ".", " ", "\t", "\u00a0", "\u3000", "\u2028"]), max_size=8)


@SETTINGS
@given(ECHO_TEXT, ECHO_TEXT, st.booleans())
def test_title_echo_length_is_the_walk_over_the_titles_words(title: str, rest: str, echoed: bool) -> None:
    # The echo's quick answer (the title as it is at the start of the line) agrees with the walk everywhere.
    line = title + rest if echoed else rest
    assert _echo_length(line, title) == _echo_walk(line, title)


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


_STEPS = ("read", "clean", "resolve_time", "record_row", "removal_rows")


@settings(max_examples=max(30, int(os.environ.get("CLEANER_EXAMPLES", "300")) // 10), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.integers(0, 29), st.sampled_from(_STEPS), max_size=8))
def test_a_failure_in_any_step_of_any_documents_costs_exactly_those_documents(failing: dict[int, str]) -> None:
    """Per-document isolation: failures injected into any step of any documents make exactly those documents
    rejects (with the cause), and every other document's records are those of a run without failures."""
    import json
    from unittest import mock

    import polars as pl

    import cleaner.core.engine as engine_module
    import cleaner.run.shard as shard_module
    from cleaner.run.plan import Shard
    from cleaner.run.shard import JobSettings, process_shard

    def failing_at(step: str, function, name_of):  # type: ignore[no-untyped-def]
        def wrapped(*args, **kwargs):  # type: ignore[no-untyped-def]
            if failing.get(name_of(*args, **kwargs)) == step:
                raise RuntimeError(f"injected in {step}")
            return function(*args, **kwargs)
        return wrapped

    def number(doc_id: str | None) -> int:
        return int(doc_id[1:]) if doc_id and doc_id.startswith("d") else -1

    real_read = shard_module.read_piece

    def read_piece(piece, options):  # type: ignore[no-untyped-def]
        for item in real_read(piece, options):
            if failing.get(number(item.doc_id)) == "read":  # a document the reader cannot make: a reject row
                yield Rejected(item.input_path, item.position, item.doc_id, "injected in read")
            else:
                yield item

    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in.jsonl"
        # Each document's fetch minute is its number, so the time step can tell which document it resolves for;
        # each has a related item with a relative time, so that step runs for every document.
        source.write_text("".join(json.dumps({"id": f"d{i}", "text": f"Title {i}\nBody of story {i}.\nShare\n"
                                              f"Comments\nNo comments yet...\n\nRelated Articles\n\n\nRTHK\n"
                                              f"{i + 1} hours ago\n- RTHK\nHeadline {i}\n"
                                              f"Headline {i} The body of related story {i}.\n",
                                              "fetched_at": f"2024-05-01T00:{i:02d}:00Z"})
                                  + "\n" for i in range(30)), encoding="utf-8")
        shard = Shard("k", (Piece(str(source)),), source.stat().st_size)
        reference = process_shard(shard, JobSettings(out=f"{folder}/reference", write_removals=True))
        with mock.patch.object(shard_module, "read_piece", read_piece), \
             mock.patch.object(Engine, "process", failing_at("clean", Engine.process,
                                                             lambda self, text, **kw: number(kw.get("doc_id")))), \
             mock.patch.object(engine_module, "resolve_relative", failing_at(
                 "resolve_time", engine_module.resolve_relative, lambda published, fetched: fetched.minute)), \
             mock.patch.object(shard_module, "record_values", failing_at(
                 "record_row", shard_module.record_values, lambda record, document, at: number(document.doc_id))), \
             mock.patch.object(shard_module, "removal_rows", failing_at(
                 "removal_rows", shard_module.removal_rows, lambda cleaned: number(cleaned.doc_id))):
            report = process_shard(shard, JobSettings(out=f"{folder}/out", write_removals=True))
        counts = report.files[str(source)]
        assert counts.read == 30 == counts.with_records + counts.empty + counts.rejected
        assert counts.rejected == len(failing) and reference.files[str(source)].rejected == 0
        rejects = list(Path(folder, "out", "rejects").glob("*.parquet"))
        reasons = pl.read_parquet(rejects) if rejects else pl.DataFrame({"doc_id": [], "reason": []})
        assert sorted(reasons["doc_id"].to_list()) == sorted(f"d{i}" for i in failing)
        assert all("injected" in reason for reason in reasons["reason"])
        kept = pl.read_parquet(f"{folder}/out/records/*.parquet").sort("doc_id", "record_index")
        whole = pl.read_parquet(f"{folder}/reference/records/*.parquet").sort("doc_id", "record_index")
        assert kept.equals(whole.filter(~pl.col("doc_id").is_in([f"d{i}" for i in failing])))
