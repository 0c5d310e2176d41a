"""Rule files a person can read: short lines, patterns written in parts, phrase lists written once.

The notation is inert: a pattern written in parts is the string its parts join to, and the built-in rules
give the same records whether their patterns are written in parts or as one string (checked here on every
text fixture and seed document, against a copy of the rule files with every pattern flattened by this test's
own writer, not by the loader).
"""

from __future__ import annotations

import dataclasses
import json
import re
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import pytest
import regex

from benchmarks.corpus import generate as generate_aggregator
from cleaner.core.engine import Engine
from cleaner.core.rules import RuleSet, parse_rule_file
from cleaner.io.rulefiles import builtin_rules_dir, load_rules
from tests.conftest import FIXTURES, ROOT
from tests.corpus_gen import generate as generate_sites

#: The longest line a rule file may hold: a longer one cannot be read or reviewed, and a diff of one phrase
#: in it rewrites the whole line.
MAX_LINE = 200
PATTERN_KEYS = ("pattern", "header", "controls", "name_list")


def _rule_file_texts() -> list[tuple[str, str]]:
    """Every rule file of the project: the built-in ones and the TOML examples of the README and docs."""
    found = [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8"))
             for p in sorted(builtin_rules_dir().glob("*.toml"))]
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for n, block in enumerate(re.findall(r"```toml\n(.*?)```", page.read_text(encoding="utf-8"), re.S), 1):
            found.append((f"{page.relative_to(ROOT)} (TOML block {n})", block))
    return found


def test_no_rule_file_line_is_longer_than_200_characters() -> None:
    long = [f"{name}:{number}: {len(line)} characters"
            for name, text in _rule_file_texts()
            for number, line in enumerate(text.splitlines(), start=1) if len(line) > MAX_LINE]
    assert long == []


def _one(body: str):  # type: ignore[no-untyped-def]
    return parse_rule_file(textwrap.dedent(body), "parts.toml").rules[0]


def test_a_pattern_in_parts_is_the_string_its_parts_join_to() -> None:
    rule = _one('''
        [[rule]]
        id = "TST001"
        purpose = "x"
        pattern = [
          '^(?:', { any = [
            'share (?:this|it)',
            ['(?:tweet|pin)', ' it'],
            'follow us',
          ] }, ')\\W*',
        ]
        examples.junk = ["Share this"]
        examples.keep = ["Share prices rose."]
    ''')
    assert rule.pattern.pattern == r"^(?:share (?:this|it)|(?:tweet|pin) it|follow us)\W*"
    assert rule.pattern.flags & regex.IGNORECASE
    alone = _one('''
        [[rule]]
        id = "TST001"
        purpose = "x"
        pattern = { any = ["a b", "c d"] }
    ''')
    assert alone.pattern.pattern == "a b|c d"  # 'any' adds no group of its own


def test_every_pattern_field_takes_parts() -> None:
    layout = _one('''
        [[layout]]
        id = "TST100"
        purpose = "x"
        header = ['(?:', { any = ['related', 'more'] }, ') stories']
        controls = ['see ', { any = ['all', 'more'] }]
        slots = [{ field = "title", pattern = ['[^\\n]', '{1,80}'] }]
    ''')
    assert layout.header.pattern == "(?:related|more) stories"
    assert layout.controls.pattern == "see all|more"
    assert layout.slots[0].pattern.pattern == "[^\\n]{1,80}"
    block = _one('''
        [[rule]]
        id = "TST001"
        purpose = "x"
        block = { start = ['we value ', 'your privacy'], end = { any = ['accept all', 'reject all'] } }
    ''')
    assert (block.start.pattern, block.end.pattern) == ("we value your privacy", "accept all|reject all")


@pytest.mark.parametrize(("value", "reason"), [
    ("[]", "pattern is an empty list of parts"),
    ("['a', 3]", "pattern[2] must be a string, a list of parts or { any = [...] }"),
    ("['a', { all = ['b'] }]", "pattern[2]: a table in a pattern takes one key, 'any'"),
    ("['a', { any = [] }]", "pattern[2].any must be a non-empty list of alternatives"),
    ("['(', { any = ['a', ['b', 'c']] }]", "pattern does not compile"),
    ("{ any = ['', ''] }", "pattern matches an empty line"),
])
def test_a_malformed_pattern_in_parts_fails_with_file_line_and_rule(value: str, reason: str) -> None:
    body = f'[[rule]]\nid = "TST001"\npurpose = "x"\n\npattern = {value}\n'
    with pytest.raises(Exception) as caught:
        parse_rule_file(body, "bad.toml")
    assert str(caught.value).startswith("bad.toml:5: rule TST001: ")
    assert reason in str(caught.value)


def test_a_phrase_list_is_defined_once_and_used_by_name() -> None:
    rule_file = parse_rule_file(textwrap.dedent('''
        [define]
        network = { any = ['facebook', 'x', 'linked ?in'] }
        networks = ['(?:', { use = 'network' }, ')(?: (?:', { use = 'network' }, '))*']  # a use adds no group
        [[rule]]
        id = "TST001"
        purpose = "x"
        pattern = ['share on (?:', { any = [{ use = 'network' }, 'e-?mail'] }, ')']
        [[rule]]
        id = "TST002"
        purpose = "y"
        pattern = { use = 'networks' }
    '''), "define.toml")
    first, second = rule_file.rules
    assert first.pattern.pattern == "share on (?:facebook|x|linked ?in|e-?mail)"
    assert second.pattern.pattern == "(?:facebook|x|linked ?in)(?: (?:facebook|x|linked ?in))*"


@pytest.mark.parametrize(("body", "line", "rule", "reason"), [
    ("[[rule]]\nid = 'TST001'\npurpose = 'x'\npattern = ['a', { use = 'nope' }]\n", 4, "TST001",
     "pattern uses 'nope', which no earlier [define] entry names (defined: none)"),
    ("[define]\nb = { use = 'a' }\na = 'x'\n", 2, None, "[define] b uses 'a', which no earlier [define] entry"),
    ("[define]\nBad = 'x'\n", 2, None, "[define] name 'Bad' must be lower-case"),
    ("[define]\na = []\n", 2, None, "[define] a is an empty list of parts"),
    ("[define]\na = 'x'\n[[rule]]\nid = 'TST001'\npurpose = 'x'\npattern = [{ use = 'a', any = ['b'] }]\n", 6,
     "TST001", "a { use = NAME } part takes no other key"),
])
def test_a_bad_definition_or_use_fails_with_file_line_and_rule(body: str, line: int, rule: str | None,
                                                               reason: str) -> None:
    with pytest.raises(Exception) as caught:
        parse_rule_file(body, "bad.toml")
    assert str(caught.value).startswith(f"bad.toml:{line}:" + (f" rule {rule}:" if rule else ""))
    assert reason in str(caught.value)


# --- the notation is inert ---------------------------------------------------------------------------------

def _flat(value: Any, defines: dict[str, Any]) -> str:
    """A pattern's text from its parts, written from the rule-language page, apart from the loader's code."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(_flat(part, defines) for part in value)
    if "use" in value:
        return _flat(defines[value["use"]], defines)
    return "|".join(_flat(alternative, defines) for alternative in value["any"])


def _flatten(table: dict[str, Any], defines: dict[str, Any]) -> dict[str, Any]:
    out = dict(table)
    for key in PATTERN_KEYS:
        if key in out:
            out[key] = _flat(out[key], defines)
    if isinstance(out.get("block"), dict):
        out["block"] = {k: _flat(v, defines) if k in ("start", "end") else v for k, v in out["block"].items()}
    if "slots" in out:
        out["slots"] = [{k: _flat(v, defines) if k == "pattern" else v for k, v in slot.items()}
                        for slot in out["slots"]]
    return out


def _toml(value: Any) -> str:
    """A value as inline TOML: strings as basic strings (JSON's escapes are TOML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"


def _flattened_file(text: str) -> str:
    """The rule file with every pattern written as one string, [define] entries put in place: the form the rule
    files had before parts."""
    data = tomllib.loads(text)
    defines = data.get("define", {})
    rows: list[str] = []
    if "file" in data:
        rows += ["[file]"] + [f"{k} = {_toml(v)}" for k, v in data["file"].items()]
    for kind in ("rule", "layout", "html_rule"):
        for table in data.get(kind, []):
            rows += [f"[[{kind}]]"] + [f"{k} = {_toml(v)}" for k, v in _flatten(table, defines).items()]
    for name, settings in data.get("detector", {}).items():
        rows += [f"[detector.{name}]"] + [f"{k} = {_toml(v)}" for k, v in settings.items()]
    return "\n".join(rows) + "\n"


def _compiled(rule_set: RuleSet) -> list[dict[str, Any]]:
    def plain(value: Any) -> Any:
        if isinstance(value, regex.Pattern):
            return (value.pattern, value.flags)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != "line"}
        if isinstance(value, tuple | list):
            return [plain(v) for v in value]
        return value
    return [plain(rule) for rule in rule_set.active]


def test_the_built_in_rules_flattened_give_the_same_rules_and_records() -> None:
    built_in = load_rules()
    texts = {rule_file.source: Path(rule_file.source).read_text(encoding="utf-8") for rule_file in built_in.files}
    flattened = RuleSet(tuple(parse_rule_file(_flattened_file(texts[f.source]), f.source) for f in built_in.files))
    written_in_parts = sum(1 for text in texts.values() for line in text.splitlines()
                           if re.match(r"\s*(?:pattern|header|controls) = [\[{]", line))
    uses = sum(text.count("{ use = ") for text in texts.values())
    # the comparison below covers patterns written in parts and phrase lists written once
    assert written_in_parts > 50 and uses > 50
    assert _compiled(flattened) == _compiled(built_in)
    # The text fixtures and seeds, the benchmarks' generated aggregator corpus and the tests' generated
    # multi-site corpus (both made of fixture lines and rule examples).
    documents = [(p.name, p.read_text(encoding="utf-8"), None)
                 for folder in ("dumps", "seeds", "real_dumps", "real_dumps_unseen")
                 for p in sorted((FIXTURES / folder).glob("*.txt"))]
    documents += [(d["id"], d["text"], d["url"]) for d, _ in generate_aggregator(300, seed=5)]
    documents += [(d["id"], d["text"], d["url"]) for d in generate_sites().documents]
    assert len(documents) > 700
    ours, theirs = Engine(built_in), Engine(flattened)
    removed = 0
    for doc_id, text, url in documents:
        a, b = ours.process(text, doc_id=doc_id, url=url), theirs.process(text, doc_id=doc_id, url=url)
        assert (a.records, a.removals) == (b.records, b.removals), doc_id
        removed += len(a.removals)
    assert removed > 1000  # the rules acted on these documents: the comparison is not of untouched text


def test_the_quick_join_of_parts_is_the_checked_one() -> None:
    """Patterns in parts are joined without naming each part; anything the checked join would refuse (a bad
    part, nesting past the limit) is left to it, so errors are the same."""
    from cleaner.core.errors import RuleError
    from cleaner.core.rules import _MAX_PART_DEPTH, _joined, _joined_plain

    deep: object = "z"
    for _ in range(_MAX_PART_DEPTH):
        deep = [deep]
    values: list[object] = ["a", ["a", "b"], {"any": ["a", ["b", "c"]]}, ["(?:", {"any": ["x", "y"]}, ")"], deep,
                            [deep], {"any": [deep]}, [], ["a", 3], {"all": ["b"]}, {"any": []}, ["a", {"any": "b"}],
                            {"any": ["a"], "use": "b"}]
    refused = 0
    for value in values:
        try:
            expected: str | None = _joined(value, "f.toml", 1, "TST001", "pattern")
        except RuleError:
            expected = None
            refused += 1
        assert _joined_plain(value) == expected, value
    assert refused == 8
