"""``cleaner rules check``: finds rules that would empty documents or slow a run, before a run starts.

A line rule that matches most lines of most documents (``.+``, ``\\w+``) silently empties every document; a
pattern that backtracks stays under its per-line limit and still makes a long document take minutes. Both
are measured on a sample: the documents a user names, else a built-in sample of varied lines (written for
this check: headlines, paragraphs, dates, lists, quotes, other scripts), plus lines built to make patterns
backtrack.

It also lists the patterns the compiled line matcher cannot translate (python-only), which Python then tries
on every line they may meet, with that cost measured on the sample.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cleaner.core.rules import BlockRule, Layout, LineRule, RuleSet
from cleaner.core.text import line_key, normalize_line
from cleaner.core.translate import CharacterTables, Fidelity, confirmation, translate
from cleaner.io.rulecache import shared_character_tables

#: A rule is over-broad when it matches more than this share of the lines of more than this share of the
#: documents of the sample.
BROAD_SHARE = 0.5
#: A pattern is slow when one line of the sample takes more than this share of the per-line limit.
SLOW_SHARE = 0.25

#: Varied text for when no sample is given: ordinary article lines that no junk rule should remove.
BUILTIN_SAMPLE: tuple[str, ...] = (
    "City council approves new budget for road repairs\n"
    "The council voted seven to two on Tuesday evening to approve a budget that sets aside money for repairs.\n"
    "Members who opposed the plan said the costs had not been explained in enough detail.\n"
    "The mayor said work on the first streets would begin in the spring.\n"
    "Residents can comment on the schedule until the end of the month.",
    "How to keep basil fresh for longer\n"
    "Trim the stems and stand them in a glass of water, like cut flowers.\n"
    "Keep the glass on the counter rather than in the fridge, where the leaves turn black.\n"
    "Change the water every two days.\n"
    "1. Trim the stems\n2. Fill a glass with water\n3. Cover loosely with a bag",
    "Quarterly results beat expectations\n"
    "Revenue rose 12% to $4.2 billion in the three months to June, the company said on 14 August 2025.\n"
    "\"We saw strong demand in every region,\" the chief executive told analysts.\n"
    "Shares were up 3.1% in early trading.\n"
    "The company will report again in November.",
    "Interview: a composer on writing for small ensembles\n"
    "Q: When did you start writing for strings?\n"
    "A: At school, mostly because there was a quartet that needed music.\n"
    "Q: What do you listen to while you work?\n"
    "A: Nothing. I need the room to be quiet.",
    "Rain expected across the region this weekend\n"
    "Forecasters expect between 20 and 40 mm of rain on Saturday, with lighter showers on Sunday.\n"
    "Temperatures will stay around 15°C.\n"
    "Drivers are advised to allow extra time on the coast road.",
    "Neue Radwege in der Innenstadt\n"
    "Die Stadt baut bis zum Herbst drei neue Radwege entlang der Hauptstraße.\n"
    "Die Arbeiten beginnen im Mai und dauern etwa vier Monate.\n"
    "Anwohner können sich auf der Versammlung am Donnerstag informieren.",
    "Библиотека продлевает часы работы\n"
    "С понедельника городская библиотека будет открыта до девяти вечера.\n"
    "Читатели давно просили об этом, говорит директор.",
    "Match report: late goal settles the derby\n"
    "The home side dominated the first half but could not find a way past the keeper.\n"
    "The winner came four minutes from time, a header from a corner.\n"
    "Final score: 1-0.\n"
    "The two teams meet again in the cup next month.",
)
#: Lines built to make a pattern backtrack: long runs of one character, of a word and of separators.
HOSTILE_LINES: tuple[str, ...] = (
    "a" * 2000, "a " * 1000, "x" * 2000 + "!", "1" * 2000, "-" * 2000, ("word " * 400).strip(), "ab" * 1000 + "c",
    "Share " * 300, "\t".join(["a"] * 1000),
)


@dataclass(frozen=True)
class Finding:
    rule_id: str
    location: str
    problem: str

    def __str__(self) -> str:
        return f"{self.rule_id} ({self.location}): {self.problem}"


@dataclass(frozen=True)
class PythonOnly:
    """A pattern the compiled matcher has no translation for, and what it costs on the sample."""

    rule_id: str
    location: str
    reason: str
    #: The share of the sample's lines Python tries it on (those up to its length bound), and the mean time.
    tried_share: float
    seconds_per_line: float

    def __str__(self) -> str:
        return (f"{self.rule_id} ({self.location}): {self.reason}; Python tries it on every line it may meet "
                f"({self.tried_share:.0%} of the sample's lines, {self.seconds_per_line * 1e6:,.1f} µs a line)")


@dataclass(frozen=True)
class PythonConfirmed:
    """A pattern the compiled core cannot confirm exactly: Python ``regex`` confirms its candidate lines."""

    rule_id: str
    location: str
    reason: str
    #: The mean time of a Python confirmation on the sample's lines (those up to its length bound).
    seconds_per_line: float

    def __str__(self) -> str:
        return (f"{self.rule_id} ({self.location}): {self.reason}; Python regex confirms its candidate lines "
                f"({self.seconds_per_line * 1e6:,.1f} µs a line)")


@dataclass(frozen=True)
class NativeCoverage:
    """How the checked rules' patterns are matched by the compiled line matcher (see cleaner.core.translate)."""

    patterns: int
    exact: int
    superset: int
    python_only: tuple[PythonOnly, ...]
    #: The patterns (python-only ones included) whose candidates Python ``regex`` confirms.
    python_confirmed: tuple[PythonConfirmed, ...] = ()

    def __str__(self) -> str:
        share = len(self.python_only) / self.patterns if self.patterns else 0.0
        confirmed = len(self.python_confirmed) + len(self.python_only)
        confirmed_share = confirmed / self.patterns if self.patterns else 0.0
        return (f"compiled matcher: {self.patterns} pattern(s): {self.exact} exact, {self.superset} superset "
                f"(confirmed on the candidate lines), {len(self.python_only)} python-only ({share:.1%}); "
                f"{self.patterns - confirmed} confirmed natively, {confirmed} by Python regex "
                f"({confirmed_share:.1%})")


@dataclass(frozen=True)
class CheckResult:
    findings: tuple[Finding, ...]
    rules: int
    documents: int
    lines: int
    native: NativeCoverage | None = None


def check_rules(ruleset: RuleSet, documents: Sequence[str] = BUILTIN_SAMPLE, *, only: Iterable[str] | None = None,
                match_timeout: float = 0.05, speed: bool = True) -> CheckResult:
    """Measures every active line rule (or those whose id is in ``only``) on the documents' lines and on
    :data:`HOSTILE_LINES`: over-broad and slow rules, with what was measured. ``speed=False`` skips the
    hostile lines and the slow findings (a quick check of breadth alone)."""
    chosen = None if only is None else set(only)
    rules = [r for r in ruleset if isinstance(r, LineRule) and (chosen is None or r.id in chosen)]
    docs = [[normalize_line(line) for line in text.splitlines() if line.strip()] for text in documents]
    docs = [lines for lines in docs if lines]
    findings: list[Finding] = []
    for rule in rules:
        broad = 0
        worst = 0.0
        spent = 0.0
        tried = 0
        timed_out = 0
        for lines in docs:
            matched = 0
            for line in lines:
                hit, seconds, over = _try(rule, line, match_timeout)
                matched += hit
                spent += seconds
                worst = max(worst, seconds)
                timed_out += over
                tried += 1
            if matched > BROAD_SHARE * len(lines):
                broad += 1
        for line in HOSTILE_LINES if speed else ():
            if len(line) <= rule.max_chars:
                _, seconds, over = _try(rule, line, match_timeout)
                worst = max(worst, seconds)
                timed_out += over
        if docs and broad > BROAD_SHARE * len(docs):
            findings.append(Finding(rule.id, rule.location,
                                    f"over-broad: matches most lines of {broad} of {len(docs)} sample documents; it "
                                    "would empty them (a run that empties most documents fails)"))
        if speed and (timed_out or worst > SLOW_SHARE * match_timeout):
            cost = f"{spent / max(tried, 1) * 1e6:,.0f} µs a line on average, {worst * 1e3:,.1f} ms at worst"
            past = f", past the {match_timeout:g} s limit on {timed_out} line(s)" if timed_out else ""
            findings.append(Finding(rule.id, rule.location, f"slow: {cost}{past}; a document with such lines "
                                                            "is refused (RuleTooSlow)"))
    native = native_coverage(ruleset, [line for lines in docs for line in lines], only=chosen)
    return CheckResult(tuple(findings), len(rules), len(docs), sum(map(len, docs)), native)


def native_coverage(ruleset: RuleSet, lines: Sequence[str], *, only: set[str] | None = None) -> NativeCoverage:
    """Every pattern the engine probes lines with (line rules, block starts, layout headers) of the active
    rules (or those in ``only``), by how the compiled matcher handles it; python-only ones timed on ``lines``."""
    exact = superset = 0
    fallbacks: list[PythonOnly] = []
    confirmed: list[PythonConfirmed] = []
    tables = shared_character_tables()  # the process's: filling them costs part of a second
    for rule in ruleset:
        if only is not None and rule.id not in only:
            continue
        if isinstance(rule, LineRule) and rule.pattern is not None:
            pattern, bound = rule.pattern, rule.max_chars
        elif isinstance(rule, BlockRule):
            pattern, bound = rule.start, 0
        elif isinstance(rule, Layout):
            pattern, bound = rule.header, rule.max_chars
        else:
            continue
        translation = translate(pattern.pattern, pattern.flags, tables)
        if translation.fidelity is Fidelity.EXACT:
            exact += 1
        elif translation.fidelity is Fidelity.SUPERSET:
            superset += 1
            confirmation = tables.confirmer(pattern.pattern, pattern.flags)
            if confirmation is None or not confirmation.compiles():
                tried = [line for line in lines if not bound or len(line) <= bound]
                started = time.perf_counter()
                for line in tried:
                    with contextlib.suppress(TimeoutError):  # slowness is the other check's finding
                        pattern.fullmatch(line, timeout=1.0)
                reason = confirmation_reason(pattern.pattern, pattern.flags, tables)
                confirmed.append(PythonConfirmed(rule.id, rule.location, reason,
                                                 (time.perf_counter() - started) / max(len(tried), 1)))
        else:
            tried = [line for line in lines if not bound or len(line) <= bound]
            started = time.perf_counter()
            for line in tried:
                with contextlib.suppress(TimeoutError):  # slowness is the other check's finding
                    pattern.fullmatch(line, timeout=1.0)
            spent = time.perf_counter() - started
            fallbacks.append(PythonOnly(rule.id, rule.location, translation.reason,
                                        len(tried) / len(lines) if lines else 0.0, spent / max(len(tried), 1)))
    return NativeCoverage(exact + superset + len(fallbacks), exact, superset, tuple(fallbacks), tuple(confirmed))


def confirmation_reason(pattern: str, flags: int, tables: CharacterTables) -> str:
    """Why the compiled core cannot confirm the pattern exactly."""
    return confirmation(pattern, flags, tables).reason or "too large to compile within the size bound"


def _try(rule: LineRule, line: str, limit: float) -> tuple[bool, float, bool]:
    """Whether the rule matches the line on its own, the seconds it took, and whether it ran past ``limit``."""
    if len(line) > rule.max_chars:
        return False, 0.0, False
    started = time.perf_counter()
    if rule.exact is not None:
        return line_key(line) == rule.exact, time.perf_counter() - started, False
    assert rule.pattern is not None
    try:
        found = rule.pattern.fullmatch(line, timeout=limit) is not None
    except TimeoutError:
        return False, time.perf_counter() - started, True
    return found, time.perf_counter() - started, False
