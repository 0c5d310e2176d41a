"""The compiled line classification (``Classifier``, src/classify.rs) against the engine's Python one.

``_Pass._decide`` (cleaner/core/engine.py) stays the definition: it decides every line the compiled side leaves to
Python, and every line when the engine has no compiled matcher. Here each verdict the compiled side gives is
compared with ``_decide``'s on the same line and candidates (the same rule objects, states and captured fields),
over the fixtures, the seeds, the real texts (the structure pages' texts among them), a generated corpus and
adversarial variants of every line some rule may match; and whole documents are compared with the compiled
classification switched off, with rule files that use every kind of line rule (scoped, weak, in runs, exact,
block starts, captures).
"""

from __future__ import annotations

import textwrap
from functools import cache

import pytest

from benchmarks.corpus import generate
from benchmarks.realtext import real_texts
from cleaner.core.engine import Engine, Options, _Pass
from cleaner.core.rules import RuleSet, parse_rule_file
from cleaner.io.rulefiles import load_rules
from tests.fixture_texts import text_folders
from tests.test_native_matcher import _adversarial


@cache
def _engine() -> Engine:
    return Engine(load_rules())


@cache
def _corpora() -> dict[str, tuple[str, ...]]:
    files = [p.read_text(encoding="utf-8", errors="replace") for f in text_folders() for p in sorted(f.glob("*.txt"))]
    return {"files": tuple(files), "real": tuple(real_texts()),
            "generated": tuple(document["text"] for document, _ in generate(300, seed=5))}


@cache
def _adversarial_documents() -> tuple[str, ...]:
    """Documents of variants (case, invisible and look-alike characters, digits of other scripts, long and
    doubled lines) of every line of the corpora that the scan hands the engine, 40 lines a document."""
    engine = _engine()
    assert engine.matcher is not None
    lines: set[str] = set()
    for texts in _corpora().values():
        for text in texts:
            work = _Pass(engine, text, None, None, None)
            for index, *_ in engine.matcher.scan(work.lines) or []:
                lines.add(work.lines[index])
    variants = sorted({variant for line in lines for variant in [line, *_adversarial(line)]})
    return tuple("\n".join(variants[n:n + 40]) for n in range(0, len(variants), 40))


def _shape(verdict: tuple) -> tuple:  # type: ignore[type-arg]
    """A verdict with its rules by identity (the compiled side hands back the engine's own rule objects)."""
    headers, marked, block = verdict
    return (tuple((id(rule), captured) for rule, captured in headers),
            None if marked is None else (id(marked[0]), marked[1], marked[2],
                                         None if marked[3] is None else id(marked[3])),
            None if block is None else id(block))


def _compare(engine: Engine, texts: tuple[str, ...], url: str | None) -> tuple[int, int]:
    """Compares every compiled verdict on the texts with ``_decide``'s; the counts of lines decided natively and
    of lines left to Python."""
    assert engine.matcher is not None and engine._classifier is not None
    native = left = 0
    for text in texts:
        work = _Pass(engine, text, None, url, None)
        hits = engine.matcher.scan(work.lines)
        if hits is None:
            continue
        verdicts = engine._classifier.decide(work.lines, hits)
        assert len(verdicts) == len(hits)
        for (index, candidates, _exact, _view), verdict in zip(hits, verdicts, strict=True):
            if verdict is None:
                left += 1
                continue
            native += 1
            assert candidates is not None
            line = work.lines[index]
            expected = work._decide(index, line, " ".join(line.split()), engine._candidate_plan(candidates))
            assert _shape(verdict) == _shape(expected), line
    return native, left


@pytest.mark.parametrize("name", ["files", "real", "generated"])
def test_compiled_verdicts_are_pythons_on_the_corpora(name: str) -> None:
    native, left = _compare(_engine(), _corpora()[name], None)
    # Nearly every line is decided natively (what is left: a pattern Python alone confirms, a line past ASCII
    # where a word gate or an exact line needs Python's lower case).
    assert native > 5 * left and native > 40


def test_compiled_verdicts_are_pythons_on_adversarial_lines() -> None:
    native, _ = _compare(_engine(), _adversarial_documents(), "https://www.example.com/a")
    assert native > 1000


#: Rules using every kind of line rule the classification weighs: one scoped to a domain (left to Python), weak
#: ones, one counting only in runs, exact lines (strong, weak, in runs, scoped), a block start, a header with
#: captures and a line rule with captures.
_RULES = """
    [file]
    name = "classification kinds"

    [[rule]]
    id = "KND001"
    purpose = "strong line"
    pattern = 'sponsored by (?P<source>[a-z ]+)'
    examples.junk = ["Sponsored by acme tools"]

    [[rule]]
    id = "KND002"
    purpose = "weak line"
    pattern = 'comments?'
    strength = "weak"
    examples.junk = []

    [[rule]]
    id = "KND003"
    purpose = "in runs"
    pattern = 'share(?: on \\w+)?'
    min_run = 2
    examples.junk = []

    [[rule]]
    id = "KND004"
    purpose = "exact"
    line = "Kinds Exact Line"
    examples.junk = ["Kinds exact line"]

    [[rule]]
    id = "KND005"
    purpose = "exact weak"
    line = "Kinds weak line"
    strength = "weak"
    examples.junk = []

    [[rule]]
    id = "KND006"
    purpose = "exact in runs"
    line = "Kinds run"
    min_run = 2
    examples.junk = []

    [[rule]]
    id = "KND007"
    purpose = "block"
    block = { start = "Kinds block starts", end = "Kinds block ends", max_lines = 5 }
    examples.keep = ["Kinds block starts, the company wrote."]

    [[rule]]
    id = "KND008"
    purpose = "weak, also in runs"
    pattern = 'share on facebook'
    strength = "weak"
    examples.junk = []
"""

_SCOPED = """
    [file]
    name = "scoped"
    domains = ["example.com"]

    [[rule]]
    id = "SCO001"
    purpose = "scoped line"
    pattern = 'support our journalism\\W*'
    examples.junk = []

    [[rule]]
    id = "SCO002"
    purpose = "scoped exact"
    line = "Kinds scoped line"
    examples.junk = []
"""

_DOCUMENT = """A headline
Body text of the article, long enough to be prose, with words.
Sponsored by Acme Tools
Comments
Share on Facebook
Kinds run
Kinds   RUN
Kinds exact   line
KINDS WEAK LINE
Support our journalism!
Kinds scoped line
Kinds block starts
Partners store data.
Kinds block ends
Share on facebook
More body text follows here, and it ends like a sentence.
Comments
Ｋｉｎｄｓ ｒｕｎ
Kinds run\u200b
Kinds weak line
"""


def _kinds_engine(options: Options) -> Engine:
    files = tuple(parse_rule_file(textwrap.dedent(text), name) for text, name in ((_RULES, "kinds.toml"),
                                                                                   (_SCOPED, "scoped.toml")))
    return Engine(RuleSet((*load_rules().files, *files)), options)


@pytest.mark.parametrize("url", [None, "https://example.com/a", "https://other.org/b"])
def test_every_kind_of_rule_is_decided_as_python_decides(url: str | None) -> None:
    engine = _kinds_engine(Options())
    documents = (_DOCUMENT, _DOCUMENT.upper(), _DOCUMENT.replace("\n", "\n\n"), *_corpora()["files"][:20])
    native, left = _compare(engine, documents, url)
    assert native > 20
    if url is not None and url.startswith("https://example.com"):
        assert left  # a scoped rule's line is Python's
    with_compiled = [engine.process(text, url=url) for text in documents]
    classifier, engine._classifier = engine._classifier, None
    try:
        assert [engine.process(text, url=url) for text in documents] == with_compiled
    finally:
        engine._classifier = classifier
    removed = {r.rule_id for cleaned in with_compiled for r in cleaned.removals}
    assert {"KND001", "KND004", "KND007"} <= removed


@pytest.mark.parametrize("name", ["files", "real", "generated", "adversarial"])
def test_records_and_removals_with_and_without_the_compiled_classification(name: str) -> None:
    engine = Engine(load_rules(), Options(drop_comments=True))
    documents = _adversarial_documents() if name == "adversarial" else _corpora()[name]
    urls = [None if n % 2 else f"https://www.example-{n % 5}.com/news/{n}" for n in range(len(documents))]
    ours = [engine.process(text, url=url) for text, url in zip(documents, urls, strict=True)]
    engine._classifier = None
    assert [engine.process(text, url=url) for text, url in zip(documents, urls, strict=True)] == ours
    assert sum(len(cleaned.removals) for cleaned in ours) > 50
