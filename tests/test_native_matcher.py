"""The compiled line matcher (cleaner._native) against Python ``regex``, pattern by pattern and end to end.

Every built-in probe pattern (line rules, block starts, layout headers) is run in both engines, as the engine
runs it (a whole-line match of the normalised line, or of its view), over the lines of the fixtures, the seeds,
the structure benchmark's texts and lines built to catch the two engines reading a character differently
(case variants past ASCII, invisible characters, digits of other scripts, very long lines). Where Python
matches, the compiled matcher must answer "may match" (it is a superset, so the engine, which confirms with
Python, cannot lose a match); where the translation claims to be exact, the verdicts must be equal. Then
character by character: every literal, class and category the patterns use, over every code point. And the
records with and without the matcher are the same on every fixture. The default run compares every third
line or text of the corpora; ``--runslow`` (CI's slow suite) compares every one.
"""

from __future__ import annotations

import re
import sys
import tomllib
from functools import cache
from pathlib import Path

import pytest
import regex

from benchmarks.realtext import real_texts
from cleaner import _native
from cleaner._version import __version__
from cleaner.core.analysis import C, sre_parse
from cleaner.core.engine import Engine, Options, _Pass
from cleaner.core.matcher import FOLDS_BELOW, FOLDS_TO_ASCII, UNSURE, LineMatcher, case_folds
from cleaner.core.rules import RuleSet, parse_rule_file
from cleaner.core.translate import CharacterTables, Fidelity, confirmation, translate
from cleaner.io.rulefiles import load_rules
from tests.fixture_texts import text_folders
from tests.shares import SHARES
from tests.view_oracle import matching_view

ROOT = Path(__file__).resolve().parents[1]

#: Every code point a Python string handed to Rust can hold (no surrogates), in order.
EVERY_CHARACTER = "".join(map(chr, [*range(0xD800), *range(0xE000, sys.maxunicode + 1)]))


@cache
def engine() -> Engine:
    return Engine(load_rules())


def _texts() -> list[str]:
    texts = real_texts()
    folders = text_folders()
    texts += [p.read_text(encoding="utf-8", errors="replace") for f in folders for p in sorted(f.glob("*.txt"))]
    return texts


def _adversarial(line: str) -> list[str]:
    """Variants of a line that two engines might read differently."""
    swaps = {"s": "ſ", "k": "\u212a", "i": "İ", "ss": "ß", "I": "ı", "K": "\u212a", "S": "ſ", "e": "é", "a": "а",
             " ": "\u00a0", "0": "٠", "1": "१", "2": "²"}
    variants = [line.upper(), line.lower(), line.title(), line.swapcase(), line.casefold(),
                "\u200b" + line, line + "\u200d", line.replace(" ", " \u200b"), line * 12, line + " " + "x" * 3000,
                line.replace(".", "\u2024"), line.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")),
                line.translate(str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")), line + "\ufe0f"]
    variants += [line.replace(old, new) for old, new in swaps.items() if old in line]
    # Words put in the middle: what a lookahead looks for moved across its window (" {0,300}"-like bounds).
    middle = line.find(" ", len(line) // 3)
    if middle > 0:
        variants += [line[:middle] + " word" * count + line[middle:] for count in (8, 45, 70, 110)]
    return variants


@cache
def _lines() -> tuple[str, ...]:
    """Every distinct normalised line the engine could match, of the corpora and of their adversarial
    variants, with each one's view; bounded by the longest line any probe is tried on, as in the engine."""
    eng = engine()
    found: set[str] = set()
    for text in _texts():
        for line in _Pass(eng, text, None, None, None).lines:
            if line:
                found.add(" ".join(line.split()))
    matched = [line for line in found if any(p.pattern.fullmatch(line) for p in eng._probes)]
    for line in matched:
        found.update(" ".join(variant.split()) for variant in _adversarial(line))
    for line in list(found):
        view = matching_view(line)
        if view is not None and view[0]:
            found.add(view[0])
    return tuple(sorted(line for line in found if line and len(line) <= 2 * eng._longest))


def test_every_probe_is_translated_and_few_are_python_only() -> None:
    """The issue's bound: at most a tenth of the built-in patterns fall back to Python alone."""
    eng = engine()
    assert eng.matcher is not None
    translations = eng.matcher.translations
    assert len(translations) == len(eng._probes) > 100
    python_only = [t for t in translations if t.fidelity is Fidelity.PYTHON_ONLY]
    assert len(python_only) <= 0.1 * len(translations), [t.reason for t in python_only]
    for translation in translations:
        if translation.rust is not None:
            assert _native.check_pattern(translation.rust) is None, translation.rust


def test_few_built_in_patterns_are_confirmed_by_python() -> None:
    """The issue's bound: at most a tenth of the built-in patterns need Python ``regex`` to confirm their
    candidates (as ``cleaner rules check`` counts them: no exact confirmation, or one that does not compile)."""
    from cleaner.run.rulecheck import native_coverage

    coverage = native_coverage(load_rules(), [])
    assert coverage.patterns > 100
    confirmed = len(coverage.python_confirmed) + len(coverage.python_only)
    assert confirmed <= 0.1 * coverage.patterns, [str(c) for c in coverage.python_confirmed]


@pytest.mark.parametrize("share", SHARES)
def test_native_verdicts_against_python_regex(share: int) -> None:
    """On every line: Python's match implies the matcher's candidate; an exact translation agrees both ways."""
    eng = engine()
    assert eng.matcher is not None
    lines = list(_lines()[::share])
    assert len(lines) > 5000
    native = eng.matcher.matching(lines)
    missed: list[str] = []
    extra: list[str] = []
    positives = 0
    for line, candidates in zip(lines, native, strict=True):
        said = set(candidates)
        for position, probe in enumerate(eng._probes):
            matched = probe.pattern.fullmatch(line) is not None
            positives += matched
            if matched and position not in said:
                missed.append(f"{probe.rule.id}: {line!r}")
            elif not matched and position in said and \
                    eng.matcher.translations[position].fidelity is Fidelity.EXACT:
                extra.append(f"{probe.rule.id}: {line!r}")
    assert positives > 1000  # the lines exercise the patterns, not only their misses
    assert missed == []
    assert extra == []


def test_scan_lists_every_line_a_probe_or_an_exact_line_matches() -> None:
    """What the engine is handed: lines as they are (not normalised), with the lengths bounds applied."""
    eng = engine()
    assert eng.matcher is not None
    raw = [line for text in _texts()[:60] for line in _Pass(eng, text, None, None, None).lines]
    raw += [variant for line in raw[:400] for variant in _adversarial(line)]
    raw = [line.strip() for line in raw]
    hits = eng.matcher.scan(raw) or []
    everything = set(range(len(eng._probes)))
    # A line handed back without candidates (None) is one the engine tries as it does without the matcher.
    scanned = {index: (everything if candidates is None else set(candidates), exact, view)
               for index, candidates, exact, view in hits}
    views = 0
    for index, line in enumerate(raw):
        normal = " ".join(line.split())
        expected = {n for n, p in enumerate(eng._probes) if len(line) <= p.max_chars and p.pattern.fullmatch(normal)}
        candidates, exact, view = scanned.get(index, (set(), False, None))
        assert expected <= candidates, line
        if candidates is not everything:
            # Where the scan's verdict is exact (an exact translation, or narrowed by native confirmation), the
            # candidates are the probes that match.
            assert candidates & eng.matcher.exact == expected & eng.matcher.exact, line
        if line and len(line) <= eng._exact_longest and normal.casefold() in eng._exact:
            assert exact, line
        oracle = matching_view(normal) if line and len(line) <= eng._longest else None
        if oracle is None or not oracle[0]:
            assert view is None, line
            continue
        text = oracle[0]
        expected = {n for n, p in enumerate(eng._probes) if len(text) <= p.max_chars and p.pattern.fullmatch(text)}
        possible = len(text) <= eng._exact_longest and text.casefold() in eng._exact
        if expected or possible:
            # Listed with its view, which is the oracle's, and what may match it.
            assert view is not None, line
            assert view[:3] == (text, oracle[1], len(normal))
            assert expected <= set(view[3]) and (view[4] or not possible), line
            assert set(view[3]) & eng.matcher.exact == expected & eng.matcher.exact, line
            views += 1
        elif view is not None:
            assert view[:3] == (text, oracle[1], len(normal))
    assert views > 20


@pytest.mark.parametrize("share", SHARES)
def test_characters_one_by_one_over_every_code_point(share: int) -> None:
    """Each literal (case-folded where the pattern ignores case), class and category the built-in patterns use,
    matched over every code point (every third in the default run) by both engines: the same characters must be
    left after removing matches."""
    atoms: set[tuple[str, bool]] = set()  # (the atom in Python syntax, whether it ignores case)
    for probe in engine()._probes:
        pattern = probe.pattern
        ignore_case = bool(pattern.flags & regex.IGNORECASE)
        _collect(list(sre_parse.parse(pattern.pattern, re.IGNORECASE if ignore_case else 0)), ignore_case, atoms)
    assert len(atoms) > 50
    wrong = []
    tables = CharacterTables()
    characters = EVERY_CHARACTER[::share]
    for python, ignore_case in sorted(atoms):
        flags = regex.IGNORECASE if ignore_case else 0
        rust = translate(python, flags, tables).rust
        assert rust is not None
        expected = regex.sub(python, "", characters, flags=flags)
        got = _native.remove_all(rust, characters)
        if got != expected:
            differ = sorted(set(got) ^ set(expected))
            wrong.append(f"{python} (ignore case: {ignore_case}): {len(differ)} differ, {differ[:8]!r}")
    assert wrong == []


def _collect(items: list, ignore_case: bool, atoms: set[tuple[str, bool]]) -> None:  # type: ignore[type-arg]
    for op, argument in items:
        if op in (C.LITERAL, C.NOT_LITERAL, C.IN, C.ANY):
            atoms.add((_one(op, argument), ignore_case))
        elif op is C.SUBPATTERN:
            _, add, remove, inner = argument
            case = (ignore_case or bool(add & re.IGNORECASE)) and not remove & re.IGNORECASE
            _collect(list(inner), case, atoms)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            _collect(list(argument[2]), ignore_case, atoms)
        elif op is C.BRANCH:
            for alternative in argument[1]:
                _collect(list(alternative), ignore_case, atoms)
        elif op in (C.ASSERT, C.ASSERT_NOT):
            _collect(list(argument[1]), ignore_case, atoms)


def _one(op, argument) -> str:  # type: ignore[no-untyped-def]
    """The Python pattern of one parsed atom."""
    def char(code: int) -> str:
        return f"\\U{code:08x}"

    if op is C.LITERAL:
        return char(argument)
    if op is C.NOT_LITERAL:
        return f"[^{char(argument)}]"
    if op is C.ANY:
        return "."
    parts = []
    for item, value in argument:
        if item is C.NEGATE:
            parts.append("^")
        elif item is C.LITERAL:
            parts.append(char(value))
        elif item is C.RANGE:
            parts.append(f"{char(value[0])}-{char(value[1])}")
        else:
            parts.append({C.CATEGORY_DIGIT: r"\d", C.CATEGORY_NOT_DIGIT: r"\D", C.CATEGORY_SPACE: r"\s",
                          C.CATEGORY_NOT_SPACE: r"\S", C.CATEGORY_WORD: r"\w", C.CATEGORY_NOT_WORD: r"\W"}[value])
    return "[" + "".join(parts) + "]"


def test_lines_are_normalised_as_python_splits_them() -> None:
    matcher = engine().matcher
    assert matcher is not None
    spaces = "".join(c for c in EVERY_CHARACTER if c.isspace())
    lines = [f"a{space}b{space}{space}c{space}" for space in spaces] + ["\x1c\x1da\x1e\x1fb", "\u3000x\u2028y\x85z"]
    assert matcher.normalised(lines) == [" ".join(line.split()) for line in lines]


def test_a_line_is_scanned_as_its_normalised_form() -> None:
    """The scan matches an ASCII line with single spaces as it is and normalises any other first: both ways
    give the same answer for the same normalised line (its spaces turned to tabs, or to the other whitespace
    Python splits on: the line's length, which the rules' bounds count, stays the same)."""
    eng = engine()
    assert eng.matcher is not None
    normals = [line for line in _lines() if line.isascii() and " " in line]
    spaced = [(line, variant) for line in normals
              for variant in (line.replace(" ", "\t"), line.replace(" ", "\x0b"), line.replace(" ", "\x1f"))]
    plain = {line: hit[1:3] for line, hit in zip(normals, _scanned(eng.matcher, normals), strict=True)}
    found = _scanned(eng.matcher, [variant for _, variant in spaced])
    assert sum(bool(plain[line][0]) for line in normals) > 1000  # lines some probe may match, not only misses
    assert [plain[line] for line, _ in spaced] == [hit[1:3] for hit in found]


def _scanned(matcher: LineMatcher, lines: list[str]) -> list[tuple[int, tuple[int, ...], bool, object]]:
    """The scan's answer for each line (an unlisted line as no candidate, no exact line)."""
    hits = {hit[0]: hit for hit in matcher.scan(lines) or []}
    return [hits.get(index, (index, (), False, None)) for index in range(len(lines))]


def test_the_characters_that_fold_to_ascii_are_the_running_pythons() -> None:
    found = {c for c in EVERY_CHARACTER[0x80:] if c.casefold().isascii()}
    assert found == set(FOLDS_TO_ASCII)


def test_an_exact_line_of_folded_characters_is_still_found() -> None:
    rules = RuleSet((parse_rule_file('[[rule]]\nid = "TST001"\npurpose = "sign"\nline = "Strasse offen"\n', "t.toml"),))
    native, python = Engine(rules), Engine(rules, native=False)
    for text in ("Title\nSTRAẞE OFFEN\nbody", "Title\nStraſſe offen\nbody", "Title\nStraße offen\nbody"):
        assert native.process(text) == python.process(text)
        assert native.process(text).removals


def test_no_character_past_the_fold_table_is_changed_by_casefold() -> None:
    assert [c for c in EVERY_CHARACTER[FOLDS_BELOW:] if c.casefold() != c] == []
    assert all(c.casefold() != c for c, _ in case_folds()) and len(case_folds()) > 1000


def test_exact_lines_past_ascii_are_looked_up_as_python_folds_them() -> None:
    """With keys past ASCII, the scan folds each line as ``str.casefold`` does: a line is listed as a possible
    exact line exactly when its folded form is a key (not every line past ASCII), and the records are those of
    the engine without the matcher."""
    keys = ["Straße offen", "Ελληνικά ΝΈΑ σήμερα", "ﬁnale Ǆemal", "İstanbul notları", "Ꭰꭰꭱ cherokee", "Plain key"]
    text = "".join(f'[[rule]]\nid = "TST{n:03d}"\npurpose = "x"\nline = "{key}"\n' for n, key in enumerate(keys))
    rules = RuleSet((parse_rule_file(text, "t.toml"),))
    native, python = Engine(rules), Engine(rules, native=False)
    assert native.matcher is not None
    variants = [v for key in keys for v in (key, *_adversarial(key), key.replace(" ", "  "), f"{key} x")]
    others = [line for text in _texts()[:40] for line in _Pass(native, text, None, None, None).lines
              if line and not line.isascii()]
    lines = [line.strip() for line in variants + others]
    possible = 0
    for line, (_, _, exact, _) in zip(lines, _scanned(native.matcher, lines), strict=True):
        expected = len(line) <= native._exact_longest and " ".join(line.split()).casefold() in native._exact
        assert exact == expected, line
        possible += expected
    assert possible > 2 * len(keys) and len(others) > 100
    for document in ["Title", *keys], ["Title", *variants[::3]], ["Title", *others[:200]]:
        assert native.process("\n".join(document)) == python.process("\n".join(document))


def test_a_line_with_a_lone_surrogate_falls_back_to_python() -> None:
    eng = engine()
    text = "Headline\nAdvertisement\nBody text \ud800 here.\nMore body."
    assert eng.matcher is not None and eng.matcher.scan(text.splitlines()) is None
    assert eng.process(text) == Engine(eng.rules, native=False).process(text)
    assert [r.rule_id for r in eng.process(text).removals]


@pytest.mark.parametrize("share", SHARES)
@pytest.mark.parametrize("options", [Options(), Options(drop_comments=True, title_from_first_line=False)])
def test_records_with_and_without_the_matcher_are_the_same(options: Options, share: int) -> None:
    rules = load_rules()
    native, python = Engine(rules, options), Engine(rules, options, native=False)
    texts = _texts()[::share]
    removed = 0
    for number, text in enumerate(texts):
        for url in (None, f"https://www.example-{number % 7}.com/news/1"):
            expected = python.process(text, doc_id=str(number), url=url)
            assert native.process(text, doc_id=str(number), url=url) == expected
            removed += len(expected.removals)
    assert removed > 1000


def test_the_crate_has_the_packages_version() -> None:
    crate = tomllib.loads((ROOT / "Cargo.toml").read_text(encoding="utf-8"))
    assert crate["package"]["version"] == __version__


def test_python_only_patterns_are_tried_by_python_on_every_line() -> None:
    """A pattern the matcher cannot translate (a backreference) still removes its lines."""
    body = '[[rule]]\nid = "TST002"\npurpose = "echo"\npattern = "(\\\\w+) \\\\1 again"\n'
    rules = RuleSet((parse_rule_file(body, "t.toml"),))
    native = Engine(rules)
    assert native.matcher is not None and native.matcher.python_only() == [0]
    text = "Title\nhello hello again\nbody text here."
    assert native.process(text) == Engine(rules, native=False).process(text)
    assert [r.text for r in native.process(text).removals] == ["hello hello again"]


def test_matcher_rejects_nothing_it_was_given() -> None:
    matcher = LineMatcher([("abc", regex.IGNORECASE, 10)], 10, [], 0)
    assert matcher.scan(["ABC", "abcd", "", "x" * 11]) == [(0, (0,), False, None)]


def test_rules_check_lists_python_only_patterns(tmp_path, capsys) -> None:
    from cleaner.cli import main

    rules = tmp_path / "mine.toml"
    rules.write_text('[[rule]]\nid = "TST003"\npurpose = "echo"\npattern = "(\\\\w+) \\\\1 again"\n\n'
                     '[[rule]]\nid = "TST004"\npurpose = "plain"\npattern = "share (?P<what>this)(?= now)? now"\n',
                     encoding="utf-8")
    main(["rules", "check", "--rules", str(rules)])
    out = capsys.readouterr().out
    assert "compiled matcher: 2 pattern(s): 0 exact, 1 superset" in out
    assert "1 python-only (50.0%)" in out
    assert "PYTHON-ONLY TST003" in out and "backreference" in out and "µs a line" in out
    # TST004's lookahead stands inside a pattern with a named group: Python confirms its candidates, at a cost
    # measured.
    assert "0 confirmed natively, 2 by Python regex (100.0%)" in out
    assert "PYTHON-CONFIRMED TST004" in out
    assert "lookahead inside the pattern, in a pattern with named groups" in out


def test_only_exact_patterns_without_groups_skip_python_regex() -> None:
    """A candidate of a pattern the scan answers exactly (translated exactly, or confirmed natively) that
    captures nothing is taken as a match without asking Python ``regex``; a pattern with a named group is still
    confirmed (natively: its captures), a widened one (a lookahead inside, with a named group) by Python; a
    lookahead inside one without groups is confirmed by its arms. The records are the pure-Python engine's
    either way."""
    body = ('[[rule]]\nid = "TST010"\npurpose = "plain"\npattern = "advertisement(?: below)?"\n\n'
            '[[rule]]\nid = "TST011"\npurpose = "named"\npattern = "by (?P<author>[a-z]+) staff"\n\n'
            '[[rule]]\nid = "TST012"\npurpose = "widened"\npattern = "share (?P<what>[a-z]+)(?= now) now"\n\n'
            '[[rule]]\nid = "TST013"\npurpose = "backtracks"\npattern = "(?:a+)+ end"\n\n'
            '[[rule]]\nid = "TST014"\npurpose = "armed"\npattern = "(?:read|see)(?= more) more(?: here)?"\n')
    rules = RuleSet((parse_rule_file(body, "t.toml"),))
    native = Engine(rules)
    # TST013 is time-bounded in Python but confirmed natively (in linear time): its verdict needs no bound.
    assert {native._probes[n].rule.id for n in native._confirmed} == {"TST010", "TST013", "TST014"}
    assert {native._probes[n].rule.id for n in native.matcher.exact} == {"TST010", "TST011", "TST013", "TST014"}
    text = ("Headline\nAdvertisement below\nBody text here.\nBy Jane staff\nShare this now\naaa end\nMore body."
            "\nRead more here\nSee more of it")
    cleaned = native.process(text)
    assert cleaned == Engine(rules, native=False).process(text)
    assert [r.rule_id for r in cleaned.removals] == ["TST010", "TST011", "TST012", "TST013", "TST014"]


def _all_patterns(eng: Engine) -> list[regex.Pattern[str]]:
    """Every pattern of the rules: probes, block ends, layout slots and controls."""
    return list(eng._timed)


def _boundary_lines() -> list[str]:
    """Lines with characters Python's \\w holds and Rust's does not, beside words a pattern may hold."""
    tables = CharacterTables()
    unsure = tables.word_unsure()
    picks = unsure[:: max(1, len(unsure) // 40)]
    return [f"{word}{char} cookies" for char in picks for word in ("we use", "advertisement", "")] + \
        [f"by {char}name staff" for char in picks]


@pytest.mark.parametrize("share", SHARES)
def test_native_confirmation_against_python_regex(share: int) -> None:
    """Every pattern the compiled core confirms, on every line: the same verdict as Python ``regex`` and, on a
    match, the same text and span for every named group; "unsure" only on lines with a character the engines
    class differently (and only for patterns with a word boundary)."""
    eng = engine()
    natives = eng._native
    assert len(natives) >= 0.75 * len(_all_patterns(eng))
    lines = list(_lines()[::share]) + _boundary_lines()
    positives = captured = unsure = 0
    wrong: list[str] = []
    for pattern, confirmer in natives.items():
        for line in lines:
            found = confirmer.fullmatch(line)
            expected = pattern.fullmatch(line)
            if found is UNSURE:
                unsure += 1
                continue
            if (found is None) != (expected is None):
                wrong.append(f"{pattern.pattern[:60]!r}: {line!r}: native {found is not None}")
                continue
            if expected is None:
                continue
            assert found is not None
            positives += 1
            groups = expected.groupdict()
            captured += any(groups.values())
            if found.groupdict() != groups or any(found.span(n) != expected.span(n) for n in groups):
                wrong.append(f"{pattern.pattern[:60]!r}: {line!r}: {found.groupdict()} != {groups}")
    assert wrong == []
    assert positives > 1000 and captured > 50
    assert unsure > 0  # the boundary lines reached the patterns with a word boundary


def test_native_confirmations_compile() -> None:
    assert all(confirmer.compiles() for confirmer in engine()._native.values())


def test_pythons_word_boundary_is_its_word_class_and_rusts_too() -> None:
    """The ground for leaving to Python only the lines with a character of ``word_unsure``: Python's ``\\b``
    is the boundary of its ``\\w`` (every code point alone), Rust's of its own, and the two ``\\w`` differ
    exactly on those characters."""
    tables = CharacterTables()
    boundary, word = regex.compile(r"\b"), regex.compile(r"\w")
    assert [c for c in EVERY_CHARACTER if (boundary.match(c) is None) != (word.match(c) is None)] == []
    rust_word = set(_native.remove_all(r"\W", EVERY_CHARACTER))
    rust_boundary = _native.Confirmer(r"(?s)\A\b.\z", [], [], [], None)
    assert [c for c in EVERY_CHARACTER if rust_boundary.is_match(c) != (c in rust_word)] == []
    python_word = set(regex.sub(r"\W+", "", EVERY_CHARACTER))
    assert "".join(sorted(rust_word ^ python_word)) == tables.word_unsure()


def test_a_word_boundary_line_the_engines_may_read_apart_is_pythons() -> None:
    body = '[[rule]]\nid = "TST020"\npurpose = "sign"\npattern = "we use\\\\b.{0,20} cookies"\n'
    rules = RuleSet((parse_rule_file(body, "t.toml"),))
    native = Engine(rules)
    confirmer = native._native[native._probes[0].pattern]
    char = CharacterTables().word_unsure()[0]
    assert confirmer.fullmatch(f"we use{char} cookies") is UNSURE
    assert confirmer.fullmatch("we use the cookies") is not None
    assert confirmer.fullmatch("we use \ud800 cookies") is UNSURE  # a lone surrogate: UTF-8 cannot hold it
    text = f"Title\nwe use{char} cookies\nwe use, cookies\nwe use cookies\nbody"
    assert native.process(text) == Engine(rules, native=False).process(text)
    assert [r.text for r in native.process(text).removals] == ["we use, cookies", "we use cookies"]


@pytest.mark.parametrize(("pattern", "native"), [
    ("by (?P<who>[a-z]+?)(?P<tail> staff)?", True),   # lazy repeat, optional group: captured as Python does
    ("(?=news)[a-z ]{4,40}", True),                    # a lookahead at the line's start: a check beside
    ("[^.]{1,40}(?<![.,;:])", True),                   # a lookbehind at the line's end: a check beside
    ("(?<!x)story time", True),                        # a negative lookbehind at the start always holds
    ("(?:by (?P<who>[a-z]+)|from (?P<who>[a-z]+))", True),  # a name given twice (the regex package's)
    ("(?!(?P<no>ad) )(?P<t>[a-z ]+)", True),           # a group inside a negative lookaround never takes part
    ("(?=(?P<no>ad) )(?P<t>[a-z ]+)", False),          # ... inside a positive one it may
    ("(?P<a>x?)*end", False),                          # a repeat of what may match nothing, with a group
    ("share (?P<w>this)(?= now) now", True),           # a lookahead where every match passes at one place
    ("share (?P<w>[a-z]+)(?= now) now", False),        # ... or at several, in a pattern with a named group
    ("share this(?= now) now", True),                  # ... without one: its arms give the verdict
    ("(?>a+)b", False),                                # atomic group
])
def test_which_constructs_are_confirmed_natively(pattern: str, native: bool) -> None:
    found = confirmation(pattern, regex.IGNORECASE)
    assert (found.rust is not None) == native, found.reason
    if found.rust is not None:
        compiled = regex.compile(pattern, regex.IGNORECASE)
        confirmer = CharacterTables().confirmer(pattern, regex.IGNORECASE)
        assert confirmer is not None
        for line in ("by jane staff", "by jane", "news of the day", "a story, told.", "a story told",
                     "story time", "xstory time", "news", "News Of The Day", "by JANE STAFF", "from jane",
                     "ad campaign", "advert here"):
            expected = compiled.fullmatch(line)
            found_match = confirmer.fullmatch(line)
            assert (found_match is None) == (expected is None), line
            if expected is not None:
                assert found_match.groupdict() == expected.groupdict(), line


def test_a_native_confirmation_is_bounded_without_a_time_bound() -> None:
    """A pattern that backtracks exponentially in Python (refused there past its time bound) is confirmed in
    time linear in the line by the compiled core: the hostile-rule protection holds without a timeout."""
    body = '[[rule]]\nid = "TST022"\npurpose = "exponential"\npattern = "(?:x|xx)+z"\nmax_chars = 100000\n'
    rules = RuleSet((parse_rule_file(body, "t.toml"),))
    native = Engine(rules, Options(match_timeout=0.01))
    assert native._probes[0].pattern in native._native
    cleaned = native.process("Title\nBody.\n" + "x" * 5000 + "z\n")
    assert [r.rule_id for r in cleaned.removals] == ["TST022"]
