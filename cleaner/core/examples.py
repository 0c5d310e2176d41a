"""Runs every rule's own examples, the way ruff and sqlfluff test their rules: each ``junk`` example
must be removed by that rule, each ``keep`` example must not be touched by it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cleaner.core.engine import Engine
from cleaner.core.rules import HtmlRule, Layout, Rule, RuleSet


@dataclass(frozen=True, slots=True)
class ExampleFailure:
    rule: Rule
    example: str | None
    problem: str

    def __str__(self) -> str:
        shown = "" if self.example is None else f": {self.example[:70]!r}"
        return f"{self.rule.location}: {self.rule.id} {self.problem}{shown}"


def check_examples(rules: RuleSet) -> Iterator[ExampleFailure]:
    """Failures of every active text rule's examples, each run with the rules of the rule's own file, as from a
    page of a host the rule applies to (a rule scoped to some domains applies to no page of unknown origin).

    HTML rules' examples are pages: :func:`cleaner.io.html_blocks.check_html_examples` runs them.
    """
    for rule_file in rules.files:
        engine = Engine(rules.only(rule_file))
        for rule in rule_file.rules:
            if rule.id in rules.disabled or isinstance(rule, HtmlRule):
                continue
            if not rule.examples.junk:
                yield ExampleFailure(rule, None, "has no junk example (examples.junk)")
            if not rule.examples.keep:
                yield ExampleFailure(rule, None, "has no keep example (examples.keep)")
            host = rule.scope.example_host()
            url = None if host is None else f"https://{host}/"
            for example in rule.examples.junk:
                cleaned = engine.process(example, url=url)
                if rule.id not in cleaned.hits():
                    yield ExampleFailure(rule, example, "did not remove its junk example")
                elif isinstance(rule, Layout) and not any(r.kind == rule.record_kind for r in cleaned.records):
                    yield ExampleFailure(rule, example, f"found no {rule.record_kind} record in its junk example")
            for example in rule.examples.keep:
                if rule.id in engine.process(example, url=url).hits():
                    yield ExampleFailure(rule, example, "removed text from its keep example")
