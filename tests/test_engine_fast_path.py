"""The engine's gates (the compiled line matcher, first-word index, required words, first-character gate, lazy
normalisation) only skip work: against a straightforward engine that tries every rule on every line, in rule
order, in Python, the records, removals and notices are the same, on the generated corpus and on the real
dumps."""

from __future__ import annotations

import textwrap
from dataclasses import replace

import pytest

from benchmarks.corpus import generate
from cleaner.core.engine import Engine, Options
from cleaner.core.rules import RuleSet, parse_rule_file
from cleaner.io.rulefiles import load_rules
from tests.fixture_texts import text_folders


def straightforward(engine: Engine) -> Engine:
    """The same rules with every gate off: each line up to the longest bound meets every probe."""
    reference = Engine(engine.rules, engine.options, native=False)
    reference._probes = tuple(replace(p, required=None) for p in reference._probes)
    reference._positions = {id(p): n for n, p in enumerate(reference._probes)}
    reference._firsts = dict.fromkeys(reference._firsts)
    every = reference._planned(reference._probes)
    reference._plan = lambda line: every  # type: ignore[method-assign]
    return reference


@pytest.fixture(scope="module")
def engines() -> list[tuple[Engine, Engine]]:
    rules = load_rules()
    pairs = []
    for options in (Options(), Options(drop_comments=True, title_from_first_line=False)):
        fast = Engine(rules, options)
        pairs.append((fast, straightforward(fast)))
    return pairs


def _documents() -> list[tuple[str, str, str | None]]:
    documents: list[tuple[str, str, str | None]] = [
        (f"generated-{n}", document["text"], document.get("url")) for n, (document, _) in
        enumerate(generate(250, seed=23))]
    for path in sorted(p for folder in text_folders() for p in folder.glob("*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        host = path.stem.rsplit("-", 1)[0].replace("-", ".")
        documents += [(path.name, text, None), (path.name, text, f"https://www.{host}/news/1")]
    return documents


def test_gates_change_nothing(engines) -> None:
    documents = _documents()
    assert len(documents) > 400
    removed = 0
    for fast, reference in engines:
        for doc_id, text, url in documents:
            expected = reference.process(text, doc_id=doc_id, url=url)
            assert fast.process(text, doc_id=doc_id, url=url) == expected, doc_id
            removed += len(expected.removals)
    assert removed > 1000  # the comparison covered documents with junk, not only clean ones


def test_gates_are_used(engines) -> None:
    """The fast engine really skips probes (else the comparison above proves nothing about the gates)."""
    fast, reference = engines[0]
    line = "The minister said the new rules would take effect next year, after a consultation."
    assert len(fast._plan(line).others) < len(reference._plan(line).others)
    assert any(firsts is not None and "T" not in firsts for _, _, firsts, *_ in fast._plan(line).others)


class _Forgetful(dict):  # type: ignore[type-arg]
    """A verdict memo that remembers nothing: every line is matched afresh."""

    def __setitem__(self, key: object, value: object) -> None:
        return None


def test_remembered_verdicts_change_nothing(engines) -> None:
    """A line's verdict remembered from an earlier document (of the same host or another) gives the records,
    removals and notices of matching it afresh: each document twice, the second round in reverse order."""
    for engine, _ in engines:
        # The memo is the Python classification's (_decide): the compiled one (src/classify.rs), which decides most
        # lines and remembers nothing, is switched off on both sides so that every line goes through it.
        fast, forgetful = Engine(engine.rules, engine.options), Engine(engine.rules, engine.options)
        fast._classifier = forgetful._classifier = None
        forgetful._verdicts = _Forgetful()
        documents = _documents()
        for doc_id, text, url in documents + documents[::-1]:
            assert fast.process(text, doc_id=doc_id, url=url) == forgetful.process(text, doc_id=doc_id, url=url), \
                doc_id
            assert engine.process(text, doc_id=doc_id, url=url) == fast.process(text, doc_id=doc_id, url=url)
        assert not forgetful._verdicts
        assert len(fast._verdicts) > 50  # verdicts were remembered, and so used in the second round


def test_remembered_verdicts_keep_to_their_host() -> None:
    """A scoped pattern rule's verdict on a line, remembered under one host, is not applied under another."""
    rules = RuleSet((parse_rule_file(textwrap.dedent('''
        [file]
        domains = ["example.com"]
        [[rule]]
        id = "TST001"
        purpose = "site footer"
        pattern = 'Example (?P<source>footer|credits)'
    '''), "test.toml"),))
    engine = Engine(rules)
    text = "Title\nBody text of the article.\nExample footer\n"
    for _ in range(2):
        assert engine.process(text, url="https://news.example.com/a").hits()["TST001"] == 1
        assert not engine.process(text, url="https://other.org/a").hits()
        assert not engine.process(text).hits()
