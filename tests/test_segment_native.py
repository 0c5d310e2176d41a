"""The compiled segmentation (src/segment.rs) against the Python state machine it was ported from
(tests/segment_python.py): the layout chosen and its items alike on generated adversarial line sequences (headings,
dates, bylines, short and long titles, teasers, controls, junk and blank lines mixed) for the built-in layouts and
layouts that use every part of the schema; and the same records and removals from the engine, every header of every
text segmented both ways, over the fixtures, the shared seeds, the real texts (labelled dumps and the structure
benchmark's page texts), generated corpora and blocks, with the default detectors and with the span detector on."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import pytest
import regex

from cleaner.core import engine as core_engine
from cleaner.core.engine import Engine
from cleaner.core.rules import Layout, RuleSet, parse_rule_file
from cleaner.core.segment import HEADER, JUNK, SegmentHost, SegmentItem, layout_table
from cleaner.io.language import Languages
from cleaner.io.rulefiles import load_rules
from tests import segment_python as python
from tests.test_segment_oracle import _SCHEMA, _corpora, _document, _layouts

_SPAN_ON = "[detector.main_span]\nenabled = true\n"


def _fullmatch(pattern: regex.Pattern[str], line: str) -> regex.Match[str] | None:
    return pattern.fullmatch(line)


def _native_items(items: list[SegmentItem]) -> list[tuple[object, ...]]:
    return [(item.fields, item.last, item.text_lines, item.structure_lines, item.lines, item.folded) for item in items]


def _python_items(items: list[python.Item]) -> list[tuple[object, ...]]:
    return [(item.fields, item.last, item.text_lines, item.structure_lines, item.lines, item.folded) for item in items]


@pytest.mark.parametrize("seed", range(6))
def test_the_compiled_segmenter_chooses_as_the_python_one(seed: int) -> None:
    """Every header of generated documents, with random subsets of the layouts in random order and random header
    captures; the chosen items' lines become junk for later headers on both sides, as the engine makes them."""
    rng = random.Random(500 + seed)
    layouts = _layouts()
    table = layout_table(layouts)
    grammars = python.grammars(layouts)
    host = SegmentHost(table, _fullmatch)
    chosen = compared = 0
    for _ in range(300):
        text, roles = _document(rng)
        doc = host.document(text, bytes(roles))
        lines = python.Lines(text, [None] * len(text), bytearray(roles), _fullmatch)
        for header in [i for i, role in enumerate(roles) if role == HEADER]:
            tried = [(layout, rng.choice([{}, {"source": "Reuters"}, {"title": "Council approves the budget"}]))
                     for layout in rng.sample(layouts, rng.randint(1, len(layouts)))]
            native = doc.choose(header, [(table.positions[layout.id], dict(captured)) for layout, captured in tried])
            theirs = python.choose(grammars, lines, header, tried)
            assert (None if native is None else (layouts[native[0]].id, _native_items(native[1]))) == \
                (None if theirs is None else (theirs[0].id, _python_items(theirs[1]))), (header, text)
            compared += 1
            if native is not None:
                chosen += 1
                if not layouts[native[0]].inline:
                    claimed = [index for item in native[1] for index in item.lines]
                    doc.claim(claimed)
                    for index in claimed:
                        lines.roles[index] = JUNK
    assert compared > 1_000 and chosen > 300  # the sequences do make blocks


def test_each_layout_alone_finds_the_items_the_python_one_finds() -> None:
    rng = random.Random(77)
    layouts = _layouts()
    table = layout_table(layouts)
    grammars = python.grammars(layouts)
    host = SegmentHost(table, _fullmatch)
    found = 0
    for _ in range(300):
        text, roles = _document(rng)
        for header in [i for i, role in enumerate(roles) if role == HEADER]:
            for layout in layouts:
                captured = rng.choice([{}, {"source": "Reuters"}])
                native = host.document(text, bytes(roles)).choose(header, [(table.positions[layout.id], captured)])
                lines = python.Lines(text, [None] * len(text), bytearray(roles), _fullmatch)
                theirs = python.choose(grammars, lines, header, [(layout, captured)])
                assert (None if native is None else _native_items(native[1])) == \
                    (None if theirs is None else _python_items(theirs[1])), (layout.id, header, text)
                found += native is not None
    assert found > 500


@cache
def _engine(span: bool) -> Engine:
    files = load_rules().files + ((parse_rule_file(_SPAN_ON, "span.toml"),) if span else ())
    return Engine(RuleSet(files), tools=Languages().tools())


@cache
def _schema_engine() -> Engine:
    return Engine(RuleSet((parse_rule_file(_SCHEMA, "schema.toml"),)))


@contextmanager
def _python_segmentation(patch: pytest.MonkeyPatch) -> Iterator[None]:
    with patch.context() as inside:
        inside.setattr(core_engine._Pass, "_apply_layouts", python.python_segmentation)
        try:
            yield
        finally:
            python._PYTHON_LINES.clear()


@pytest.mark.parametrize("span", [False, True], ids=["default", "span-on"])
@pytest.mark.parametrize("name", ["files", "real", "generated", "hosts", "blocks"])
def test_the_engine_makes_the_same_records_and_removals(name: str, span: bool, monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    documents = _corpora()[name]
    engines = (_engine(span), _schema_engine()) if name == "blocks" else (_engine(span),)
    for engine in engines:
        ours = [engine.process(text) for text in documents]
        theirs = []
        with _python_segmentation(monkeypatch):
            for text in documents:
                theirs.append(engine.process(text))
                python._PYTHON_LINES.clear()
        related = 0
        for text, mine, old in zip(documents, ours, theirs, strict=True):
            assert (mine.records, mine.removals) == (old.records, old.removals), text[:300]
            related += sum(record.kind != "main" for record in mine.records)
        assert related > 0 or name == "hosts"


def test_a_layout_table_holds_the_layouts_in_order() -> None:
    layouts = [rule for rule in load_rules() if isinstance(rule, Layout)]
    table = layout_table(layouts)
    assert [table.layouts[table.positions[layout.id]].id for layout in layouts] == [layout.id for layout in layouts]
    # Slot patterns shared by layouts are asked once: the table holds each pattern once.
    assert len(set(table.patterns)) == len(table.patterns)
