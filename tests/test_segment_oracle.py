"""Layout segmentation (the Python state machine, tests/segment_python.py, and through the engine the compiled one)
against the sequential parse it replaced (tests/segment_oracle.py): every layout's items
and the layout chosen alike on generated line sequences (headings, dates, bylines, short titles, teasers, junk
and blank lines mixed) for the built-in layouts and layouts that use every part of the schema; and the same
records and removals from the engine over the fixtures, the seeds, the real texts and generated corpora."""

from __future__ import annotations

import random
from functools import cache

import pytest

from benchmarks.corpus import generate
from benchmarks.realtext import real_texts
from cleaner.core import engine as core_engine
from cleaner.core.engine import Engine
from cleaner.core.rules import Layout, RuleSet, parse_rule_file
from cleaner.io.language import Languages
from cleaner.io.rulefiles import load_rules
from tests import corpus_gen
from tests import segment_oracle as oracle
from tests import segment_python as python_segment
from tests.fixture_texts import text_folders
from tests.segment_python import HEADER, JUNK, PLAIN, Grammar, Item, Lines, choose, grammars, items_under

#: Layouts that use what the built-in ones may not: templates (an optional one in the head, a required one
#: after the first slot), an optional slot before a repeated one, a repeated first slot, a head of one slot
#: then a body, a required body with a bound, a pattern after the body, item bounds, controls, blank lines
#: skipped, an inline reference. (The first slot is always required and not a template: the rule files say so.)
_SCHEMA = '''
[[layout]]
id = "TST100"
purpose = "a template right after the first slot"
header = '(?:more from|via) (?P<source>[A-Za-z]+)'
slots = [{ field = 'title', min_words = 3, sentence_end = false, max_chars = 90 }, { template = 'via {source}' },
         { field = 'text', rest = true, optional = true, max_lines = 2, min_words = 5 }]

[[layout]]
id = "TST101"
purpose = "an optional template in the head, a pattern after the body"
header = '(?:more from|via) (?P<source>[A-Za-z]+)'
blank_lines = "skip"
controls = '\\(view all\\)|sort by: newest'
slots = [{ field = 'title', min_words = 2, max_chars = 120 }, { template = 'via {source}', optional = true },
         { field = 'text', rest = true, optional = true, max_lines = 2 }, { pattern = '- [A-Za-z]+', optional = true }]

[[layout]]
id = "TST102"
purpose = "a repeated first slot, then optional and repeated ones"
header = 'related articles|most read|comments'
min_items = 2
slots = [{ pattern = '(?P<published>\\d{1,2} (?:hours?|days?) ago|[A-Z][a-z]+ \\d{1,2}, \\d{4})', repeat = true },
         { pattern = '\\d{1,2}[.)]?', optional = true, max_chars = 3 },
         { field = 'title', min_words = 3, sentence_end = false, optional = true, repeat = true }]

[[layout]]
id = "TST103"
purpose = "item bounds, a one-line teaser"
header = 'related articles|you may also like'
max_items = 3
menu_words = 3
slots = [{ field = 'title', min_words = 2, sentence_end = false, max_chars = 200 },
         { pattern = 'by (?P<source>[A-Za-z ]{2,30})', optional = true },
         { field = 'text', rest = true, optional = true, max_lines = 1, min_words = 6, max_chars = 280 }]

[[layout]]
id = "TST104"
purpose = "a short first line, then a required body"
header = 'comments|\\d+ comments'
kind = "comments"
slots = [{ field = 'source', max_chars = 20 }, { field = 'text', rest = true, max_lines = 3 },
         { pattern = 'reply|permalink', optional = true, repeat = true }]

[[layout]]
id = "TST105"
purpose = "author, time, a required body, actions"
header = 'comments|\\d+ comments'
kind = "comments"
controls = 'sort by: newest'
blank_lines = "skip"
slots = [{ pattern = '(?P<source>[A-Z][a-z]+ [A-Z][a-z]+)(?: says:)?', max_words = 3 },
         { pattern = '(?P<published>[A-Z][a-z]+ \\d{1,2}, \\d{4}(?: at \\d{1,2}:\\d{2} [ap]m)?)', optional = true },
         { field = 'text', rest = true, max_lines = 4 },
         { pattern = 'reply|permalink', optional = true, repeat = true }]

[[layout]]
id = "TST107"
purpose = "a repeated slot that adds to the text"
header = 'comments|\\d+ comments'
kind = "comments"
slots = [{ pattern = '(?P<source>[A-Z][a-z]+ [A-Z][a-z]+)(?: says:)?', max_words = 3 },
         { field = 'text', repeat = true, min_words = 4, max_chars = 200 }]

[[layout]]
id = "TST106"
purpose = "inline"
header = '(?:also read|previous article): (?P<title>[^\\n]{10,120})'
'''

#: Lines of generated blocks: headers (some the schema layouts' own), dates, bylines, short and long titles,
#: teasers, controls, actions, CJK titles and sources, ranks, junk-looking lines and body text.
_LINES = [
    "Related Articles", "Related articles", "More from Reuters", "via Reuters", "- Reuters", "Most read", "Comments",
    "3 Comments", "You may also like", "## Related", "**Read more**", "Read more", "Lire aussi", "Mehr zum Thema",
    "Más noticias", "相关推荐", "関連記事", "Also read: Council approves the budget after a long debate",
    "Previous article: Storm knocks out power across the region", "(View all)", "Sort by: Newest",
    "June 3, 2024", "March 3, 2024 at 10:45 am", "5 hours ago", "2 days ago", "10:45", "2024-03-01", "By John Smith",
    "by Jane Doe", "John Smith", "Jane Doe says:", "Sport", "Politics | 4 min read", "1", "2.", "3)", "#4",
    "Storm knocks out power across the region", "Council approves the new budget after debate",
    "- Five things to know about the tax rules", "[Local team wins the cup](https://example.com/a)",
    "• Markets rally as rates hold steady (12)", "Short title", "Phone Deals",
    "The story itself, told in a sentence of a fair length, as articles have.",
    "A teaser of the linked article that runs to a few words", "Another teaser with enough words to be one",
    "The quick brown fox jumps over the lazy dog again and again until the line runs on past a teaser's length "
    "and then some more words follow it so that no bound on a teaser lets it through.",
    "首相が新しい経済対策を発表した", "北京举行国际会议讨论气候变化问题", "环球网", "0", "Reply", "Permalink",
    "Advertisement", "Share this", "x" * 450, "word " * 90,
]


@cache
def _layouts() -> tuple[Layout, ...]:
    built_in = [rule for rule in load_rules() if isinstance(rule, Layout)]
    schema = [rule for rule in parse_rule_file(_SCHEMA, "schema.toml").rules if isinstance(rule, Layout)]
    return (*built_in, *schema)


@cache
def _grammars() -> dict[str, Grammar]:
    return grammars(_layouts())


_HEADERS = _LINES[:20]
_CONTROLS = ["(View all)", "Sort by: Newest", "more", "[See all]"]
_TITLES = ["Storm knocks out power across the region", "Council approves the new budget after debate",
           "- Five things to know about the tax rules", "[Local team wins the cup](https://example.com/a)",
           "• Markets rally as rates hold steady (12)", "Short title", "Phone Deals", "首相が新しい経済対策を発表した",
           "北京举行国际会议讨论气候变化问题", "John Smith", "Jane Doe says:", "Why the river keeps rising…"]
_META = ["June 3, 2024", "March 3, 2024 at 10:45 am", "5 hours ago", "2 days ago", "10:45", "By John Smith",
         "Politics | 4 min read", "环球网", "0", "via Reuters", "- Reuters"]
_BODY = ["A teaser of the linked article that runs to a few words", "Another teaser with enough words to be one",
         "The story itself, told in a sentence of a fair length, as articles have.", _LINES[-3], "x" * 450]
_AFTER = ["Read more", "Reply", "Permalink", "1", "2."]


def _block(rng: random.Random) -> list[str]:
    """A header, maybe controls, then items of rank, dates, title, meta lines, teaser lines and actions, some
    cut short, spaced alike or not, with stray lines."""
    lines = [rng.choice(_HEADERS), *(rng.choice(_CONTROLS) for _ in range(rng.choice([0, 0, 1, 2, 3])))]
    spaced = rng.random() < 0.4
    for _ in range(rng.randint(0, 7)):
        item = [*(["1"] if rng.random() < 0.15 else []), *(rng.choice(_META) for _ in range(rng.choice([0, 0, 1, 2]))),
                rng.choice(_TITLES), *(rng.choice(_META) for _ in range(rng.choice([0, 0, 1, 2]))),
                *(rng.choice(_BODY) for _ in range(rng.choice([0, 1, 1, 2, 3]))),
                *([rng.choice(_AFTER)] if rng.random() < 0.3 else [])]
        if rng.random() < 0.1:
            item.insert(rng.randrange(len(item) + 1), rng.choice(_LINES))
        if rng.random() < 0.1:
            item.insert(rng.randrange(len(item) + 1), "")
        lines += [*item, *([""] if spaced or rng.random() < 0.1 else [])]
    return lines


def _document(rng: random.Random) -> tuple[list[str], bytearray]:
    """Lines and what the engine knows of them: blocks among other lines, mostly plain, some junk, headers
    where a header line is (and now and then where none is)."""
    text: list[str] = []
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.7:
            text += _block(rng)
        for _ in range(rng.randint(0, 8)):
            text.append("" if rng.random() < 0.2 else rng.choice(_LINES))
    roles = bytearray(PLAIN for _ in text)
    for index, line in enumerate(text):
        if line and ((line in _HEADERS and rng.random() < 0.9) or rng.random() < 0.03):
            roles[index] = HEADER
        elif line and rng.random() < 0.06:
            roles[index] = JUNK
    return text, roles


def _lines(text: list[str], roles: bytearray) -> Lines:
    # Each side gets its own lines: nothing one remembers serves the other.
    return Lines(text, [None] * len(text), bytearray(roles), lambda pattern, line: pattern.fullmatch(line))


def _as_tuple(items: list[Item]) -> list[tuple[object, ...]]:
    return [(item.fields, item.last, item.text_lines, item.structure_lines, item.lines, item.head_last,
             item.head_fields, item.overflow) for item in items]


def _chosen(found: tuple[Layout, list[Item]] | None) -> tuple[str, list[tuple[object, ...]]] | None:
    return None if found is None else (found[0].id, _as_tuple(found[1]))


@pytest.mark.parametrize("seed", range(4))
def test_every_layout_finds_the_items_the_sequential_parse_finds(seed: int) -> None:
    rng = random.Random(seed)
    layouts, table = _layouts(), _grammars()
    compared = found = 0
    for _ in range(400):
        text, roles = _document(rng)
        new, old = _lines(text, roles), _lines(text, roles)
        for header in [i for i, role in enumerate(roles) if role == HEADER]:
            defaults = rng.choice([{}, {"source": "Reuters"}, {"title": "Council approves the budget"}])
            for layout in rng.sample(layouts, 8):
                items = items_under(table[layout.id], new, header, defaults)
                assert _as_tuple(items) == _as_tuple(oracle.parse_items(table[layout.id], old, header, defaults)), \
                    (layout.id, header, text)
                compared += 1
                found += bool(items)
    assert compared > 20_000 and found > 1_000  # the sequences do make blocks


@pytest.mark.parametrize("seed", range(4))
def test_the_layout_chosen_is_the_one_the_sequential_tries_choose(seed: int) -> None:
    rng = random.Random(100 + seed)
    layouts, table = _layouts(), _grammars()
    chosen = 0
    for _ in range(400):
        text, roles = _document(rng)
        new, old = _lines(text, roles), _lines(text, roles)
        for header in [i for i, role in enumerate(roles) if role == HEADER]:
            # Layouts sharing a header are tried in rule order; any order of any of them must choose alike.
            tried = [(layout, rng.choice([{}, {"source": "Reuters"}])) for layout in
                     rng.sample(layouts, rng.randint(1, len(layouts)))]
            best = _chosen(choose(table, new, header, tried))
            assert best == _chosen(oracle.choose_sequential(table, old, header, tried)), (header, text)
            chosen += best is not None
            # The engine then takes the chosen items' lines: later headers read them as junk.
            if best is not None:
                for item in best[1]:
                    for index in item[4]:  # type: ignore[attr-defined]
                        new.roles[index] = old.roles[index] = JUNK
    assert chosen > 500


@cache
def _engine() -> Engine:
    return Engine(load_rules(), tools=Languages().tools())


@cache
def _schema_engine() -> Engine:
    return Engine(RuleSet((parse_rule_file(_SCHEMA, "schema.toml"),)))


def _generated_blocks(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["\n".join("" if rng.random() < 0.15 else rng.choice(_LINES) for _ in range(rng.randint(1, 60)))
            for _ in range(count)]


def _corpora() -> dict[str, list[str]]:
    folders = text_folders()
    return {
        "files": [p.read_text(encoding="utf-8", errors="replace") for f in folders for p in sorted(f.glob("*.txt"))],
        "real": real_texts(),
        "generated": [document["text"] for document, _ in generate(300, seed=7)],
        "hosts": [document["text"] for document in corpus_gen.generate(20).documents],
        "blocks": _generated_blocks(1500, seed=27),
    }


@pytest.mark.parametrize("name", ["files", "real", "generated", "hosts", "blocks"])
def test_the_engine_makes_the_same_records_and_removals(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    documents = _corpora()[name]
    engines = (_engine(), _schema_engine()) if name == "blocks" else (_engine(),)
    for engine in engines:
        ours = [engine.process(text) for text in documents]
        theirs = []
        with monkeypatch.context() as patch:
            # The engine's segmentation step as Python wrote it, its choice made by the sequential parse.
            patch.setattr(core_engine._Pass, "_apply_layouts", python_segment.python_segmentation)
            patch.setattr(python_segment, "choose", oracle.choose_sequential)
            for text in documents:
                theirs.append(engine.process(text))
                python_segment._PYTHON_LINES.clear()
        related = 0
        for text, mine, old in zip(documents, ours, theirs, strict=True):
            assert (mine.records, mine.removals) == (old.records, old.removals), text[:300]
            related += sum(record.kind != "main" for record in mine.records)
        # The corpus does hold blocks the layouts segment (the hosts' pages, made to test site repetition, hold
        # none: they are compared all the same).
        assert related > 0 or name == "hosts"
