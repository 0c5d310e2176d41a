"""The engine's result objects made without their Python-level constructors (a tiny document's fixed cost) are
the objects the constructors make: the same fields, equal, still frozen."""

from __future__ import annotations

import dataclasses

import pytest

from cleaner import Cleaner
from cleaner.core import engine as core_engine
from cleaner.core.records import Cleaned, Record, Removal


def test_a_cleaned_made_from_its_slots_is_the_constructors() -> None:
    record = Record("d", 0, "main", None, None, "Title", "Text", None, language="en")
    removal = Removal("R1", 0, 4, "Junk")
    fast = core_engine._cleaned("d", (record,), (removal,), (), ())
    slow = Cleaned("d", (record,), (removal,), (), ())
    assert type(fast) is Cleaned
    assert fast == slow
    assert [getattr(fast, f.name) for f in dataclasses.fields(Cleaned)] == ["d", (record,), (removal,), (), ()]
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.doc_id = "other"  # type: ignore[misc]


def test_every_field_of_cleaned_is_set_by_the_fast_constructor() -> None:
    # A field added to Cleaned must be added to the engine's _cleaned too (else it would be left unset).
    assert [f.name for f in dataclasses.fields(Cleaned)] == ["doc_id", "records", "removals", "notices", "evidence"]
    assert len(core_engine._CLEANED_SLOTS) == len(dataclasses.fields(Cleaned))


def test_the_main_record_made_as_a_tuple_is_the_named_tuples() -> None:
    # The engine makes its main record with tuple.__new__ and every field in order: the order it assumes.
    assert Record._fields == ("doc_id", "record_index", "kind", "source", "published", "title", "text", "url",
                              "metadata", "published_at", "link", "language")
    text = "Short line 1.\nTry Our AI Features\nAnother short line of document 1."
    cleaned = Cleaner().engine.process(text, doc_id="d1", url="https://example.com/a")
    (record,) = cleaned.records
    rebuilt = Record(record.doc_id, 0, "main", None, None, record.title, record.text, record.url, record.metadata,
                     language=record.language)
    assert type(record) is Record and record == rebuilt
