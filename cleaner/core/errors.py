"""Errors raised by the core. Every error names where the problem is."""

from __future__ import annotations


class CleanerError(Exception):
    """Base class of every error this package raises on purpose."""


class RuleError(CleanerError):
    """A rule file that cannot be loaded: names the file, the line (when known), the rule id and why."""

    def __init__(self, source: str, reason: str, *, line: int | None = None, rule_id: str | None = None):
        self.source = source
        self.line = line
        self.rule_id = rule_id
        self.reason = reason
        where = source if line is None else f"{source}:{line}"
        who = f" rule {rule_id}:" if rule_id else ""
        super().__init__(f"{where}:{who} {reason}")


class DocumentTooSlow(CleanerError):
    """A document that took longer than ``Options.time_budget`` to clean: the batch job rejects it."""


class PageTooLarge(CleanerError):
    """An HTML page past ``HtmlOptions.max_bytes`` or ``max_elements``: extraction time grows faster than
    the page, so such a page is refused (the batch job rejects it) rather than left to run for minutes."""


class RuleTooSlow(DocumentTooSlow):
    """A pattern that ran past its per-line limit (``Options.match_timeout``). The document is not cleaned
    at all rather than cleaned with that line kept: a line kept because the machine was busy would make the
    records depend on the machine's load."""

    def __init__(self, rule_id: str, line: int, seconds: float) -> None:
        self.rule_id = rule_id
        self.line = line
        self.seconds = seconds
        super().__init__(f"rule {rule_id} ran past its limit of {seconds:g} s on line {line}")
