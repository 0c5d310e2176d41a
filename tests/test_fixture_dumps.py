"""Hand-written dumps covering the edge cases of the format; each must give exactly these records."""

from __future__ import annotations

import json

import pytest

from tests.conftest import DUMPS, ROOT

EXPECTED = json.loads((ROOT / "tests" / "expected_dumps.json").read_text(encoding="utf-8"))


def test_every_fixture_has_expectations() -> None:
    assert sorted(p.stem for p in DUMPS.glob("*.txt")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_records_exact(name: str, cleaner_builtin) -> None:
    text = (DUMPS / f"{name}.txt").read_bytes().decode("utf-8")
    records = cleaner_builtin.clean(text, doc_id=name)
    assert all(r.link is None for r in records)  # a teaser's link is known only from HTML
    # The detected language is checked apart (tests/test_structure.py): the pinned records predate it.
    assert len({r.language for r in records}) <= 1
    got = [{k: v for k, v in r.as_dict().items() if k not in ("url", "link", "language")} for r in records]
    assert got == EXPECTED[name]


def test_crlf_bom_and_nbsp_variants_give_the_same_main_text(cleaner_builtin) -> None:
    texts = {}
    for name in ("crlf_line_endings", "byte_order_mark", "non_breaking_spaces", "no_leading_blank_line"):
        record = cleaner_builtin.clean((DUMPS / f"{name}.txt").read_bytes().decode("utf-8"))[0]
        texts[name] = (record.title, " ".join(record.text.split()))
    assert len(set(texts.values())) == 1, texts


def test_sentences_with_junk_words_stay(cleaner_builtin) -> None:
    record, = cleaner_builtin.clean((DUMPS / "mentions_junk_words.txt").read_text(encoding="utf-8"))
    assert "try our AI features" in record.text
    assert "No comments yet from the publisher" in record.text
    assert "\nComments\n" in record.text  # a lone heading with no junk beside it is not removed


def test_title_echo_stripped_only_when_present(cleaner_builtin) -> None:
    records = cleaner_builtin.clean((DUMPS / "related_many_items.txt").read_text(encoding="utf-8"))
    for record in records[1:]:
        assert not record.text.startswith(record.title)
    assert records[2].text == "Unions and the operator reached a deal overnight."
