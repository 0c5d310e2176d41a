"""Runs every rule's own examples, the way ruff and sqlfluff test their rules.

Each example states what remains of it after the rules of its file have run:

- ``junk``: the rule removes it, and nothing of it remains (every line goes, to this rule or another rule
  of the same file);
- ``keep``: the rule takes nothing from it;
- ``cut``: the rule removes something, and exactly the ``remains`` lines are left (the main record's lines,
  its title first), the layout makes exactly the ``records`` stated (each with the parts it has) and the
  lines removed give exactly the ``metadata`` stated.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

from cleaner.core.engine import Engine
from cleaner.core.matcher import LineMatcher, MatcherBuild
from cleaner.core.records import Cleaned
from cleaner.core.rules import EXAMPLE_RECORD_FIELDS, Cut, HtmlRule, Layout, Rule, RuleSet
from cleaner.core.translate import CharacterTables


@dataclass(frozen=True, slots=True)
class ExampleFailure:
    rule: Rule
    example: str | None
    problem: str

    def __str__(self) -> str:
        shown = "" if self.example is None else f": {self.example[:70]!r}"
        return f"{self.rule.location}: {self.rule.id} {self.problem}{shown}"


def remains(cleaned: Cleaned) -> list[str]:
    """The lines left of a document: its main record's title (when the engine took one) and text lines."""
    main = [r for r in cleaned.records if r.kind == "main"]
    if not main:
        return []
    record = main[0]
    return ([record.title] if record.title else []) + (record.text.split("\n") if record.text else [])


def made_records(cleaned: Cleaned) -> list[dict[str, str]]:
    """The records other than the main one, each as the parts an example can state that it has."""
    return [{name: value for name in EXAMPLE_RECORD_FIELDS if (value := getattr(r, name))}
            for r in cleaned.records if r.kind != "main"]


def check_examples(rules: RuleSet, build_matcher: MatcherBuild | None = None) -> Iterator[ExampleFailure]:
    """Failures of every active text rule's examples, each run with the rules of the rule's own file, as from a
    page of a host the rule applies to (a rule scoped to some domains applies to no page of unknown origin).
    ``build_matcher``: how each file's engine gets its compiled matcher (by default the files share the
    engines' character tables for this call).

    HTML rules' examples are pages: :func:`cleaner.io.html_blocks.check_html_examples` runs them.
    """
    build = build_matcher or partial(LineMatcher, tables=CharacterTables())
    for rule_file in rules.files:
        engine = Engine(rules.only(rule_file), build_matcher=build)
        for rule in rule_file.rules:
            if rule.id in rules.disabled or isinstance(rule, HtmlRule):
                continue
            examples = rule.examples
            if not examples.junk and not examples.cut:
                yield ExampleFailure(rule, None, "has no junk example (examples.junk or examples.cut)")
            if not examples.keep:
                yield ExampleFailure(rule, None, "has no keep example (examples.keep)")
            host = rule.scope.example_host()
            url = None if host is None else f"https://{host}/"
            for example in examples.junk:
                cleaned = engine.process(example, url=url)
                left = remains(cleaned)
                if rule.id not in cleaned.hits():
                    yield ExampleFailure(rule, example, "did not remove its junk example")
                elif left:
                    yield ExampleFailure(rule, example, f"left {left!r} of its junk example, where nothing should "
                                         "remain (state what remains with examples.cut)")
                elif isinstance(rule, Layout) and not any(r.kind == rule.record_kind for r in cleaned.records):
                    yield ExampleFailure(rule, example, f"found no {rule.record_kind} record in its junk example")
            for cut in examples.cut:
                yield from _check_cut(engine, rule, cut, url)
            for example in examples.keep:
                if rule.id in engine.process(example, url=url).hits():
                    yield ExampleFailure(rule, example, "removed text from its keep example")


def _check_cut(engine: Engine, rule: Rule, cut: Cut, url: str | None) -> Iterator[ExampleFailure]:
    text = "\n".join(cut.lines)
    cleaned = engine.process(text, url=url)
    if rule.id not in cleaned.hits():
        yield ExampleFailure(rule, text, "did not remove anything from its cut example")
        return
    left = remains(cleaned)
    if left != list(cut.remains):
        yield ExampleFailure(rule, text, f"left {left!r} of its cut example, which says {list(cut.remains)!r}")
    if cut.records is not None:
        made = made_records(cleaned)
        stated = [dict(record) for record in cut.records]
        if made != stated:
            yield ExampleFailure(rule, text, f"made the records {made!r} of its cut example, which says {stated!r}")
    elif isinstance(rule, Layout) and not any(r.kind == rule.record_kind for r in cleaned.records):
        yield ExampleFailure(rule, text, f"found no {rule.record_kind} record in its cut example")
    if cut.metadata is not None:
        found = {r.kind: dict(r.metadata) for r in cleaned.records}.get("main", {})
        if found != dict(cut.metadata):
            yield ExampleFailure(rule, text, f"found the metadata {found!r} in its cut example, which says "
                                 f"{dict(cut.metadata)!r}")
