"""Rule files: every built-in rule's examples, and loud, located failures for broken files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import cleaner
from cleaner.cli import main
from cleaner.core.engine import Engine
from cleaner.core.examples import check_examples
from cleaner.core.rules import RuleSet, parse_rule_file
from cleaner.io.rulefiles import builtin_rules_dir, load_rules

BUILTIN = load_rules()


def _rule_file(body: str, name: str = "test.toml"):
    return parse_rule_file(textwrap.dedent(body), name)


@pytest.mark.parametrize("rule", list(BUILTIN), ids=lambda r: r.id)
def test_builtin_rule_examples(rule) -> None:
    assert (rule.examples.junk or rule.examples.cut) and rule.examples.keep, "every rule needs junk and keep examples"
    rule_file = next(f for f in BUILTIN.files if rule in f.rules)
    failures = [f for f in check_examples(BUILTIN.only(rule_file)) if f.rule.id == rule.id]
    assert not failures, "\n".join(map(str, failures))


def test_builtin_rules_ship_one_file_per_family() -> None:
    names = sorted(p.name for p in builtin_rules_dir().glob("*.toml"))
    assert {"aggregator.toml", "comments.toml", "syndication.toml", "furniture.toml"} <= set(names)


def test_example_checker_reports_a_wrong_example() -> None:
    rules = RuleSet((_rule_file('''
        [[rule]]
        id = "TST001"
        purpose = "test"
        line = "Subscribe now"
        examples.junk = ["Subscribe later"]
        examples.keep = ["Subscribe now"]
        [[rule]]
        id = "TST002"
        purpose = "no examples at all"
        line = "Foo"
    '''),))
    problems = sorted(str(f) for f in check_examples(rules))
    assert len(problems) == 4
    assert any("TST001 did not remove its junk example" in p for p in problems)
    assert any("TST001 removed text from its keep example" in p for p in problems)
    assert any("TST002 has no junk example" in p for p in problems)


@pytest.mark.parametrize(("body", "line", "reason"), [
    ('[[rule]]\nid = "TST001"\npurpose = "x"\nline = "a"\nline = "b"\n', 5, "not valid TOML"),
    ('[[rule]]\nid = "TST001"\npurpose = "x"\npattern = "(unclosed"\n', 4, "does not compile"),
    ('[[rule]]\nid = "TST001"\npurpose = "x"\npattern = ""\n', 4, "non-empty pattern"),
    ('[[rule]]\nid = "TST001"\npurpose = "x"\npattern = "a*"\n', 4, "matches an empty line"),
    ('[[rule]]\nid = "TST001"\npurpose = "x"\npattern = "(a|aa)+$"\n', 4, "backtracks catastrophically"),
    ('[[rule]]\nid = "TST001"\npurpose = "x"\nline = "a"\ncolour = "red"\n', 1, "unknown field(s) in [[rule]]: colour"),
    ('\n[[rule]]\nid = "TST001"\npurpose = "x"\nline = "a"\n\n[[rule]]\nid = "TST001"\npurpose = "y"\nline = "b"\n',
     7, "duplicate rule id TST001"),
    ('[[rule]]\nid = "lower1"\npurpose = "x"\nline = "a"\n', 2, "needs an id"),
    ('[[rule]]\nid = "TST001"\npurpose = "x"\n', 1, "exactly one of 'line', 'pattern' or 'block'"),
    ('[[rule]]\nid = "TST001"\npurpose = "x"\nline = "a"\ndomains = ["not a domain"]\n', 5, "not a domain name"),
    ('[[layout]]\nid = "TST100"\npurpose = "x"\nheader = "Related"\nslots = [{ field = "body", rest = true }]\n',
     5, "field must be one of"),
    ('[[layout]]\nid = "TST100"\npurpose = "x"\nheader = "Related"\n'
     'slots = [{ field = "title" }, { template = "- {source}" }]\n', 5, "which no earlier slot captures"),
    ('[extra]\nkey = 1\n', None, "unknown top-level table"),
])
def test_bad_rule_file_fails_with_file_line_and_reason(body: str, line: int | None, reason: str) -> None:
    with pytest.raises(cleaner.RuleError) as caught:
        parse_rule_file(body, "bad.toml")
    assert caught.value.source == "bad.toml"
    assert caught.value.line == line
    assert reason in str(caught.value)
    assert str(caught.value).startswith("bad.toml")


def _many_rules(count: int) -> list[str]:
    """Valid rules, written in the shapes a rule file uses: keys, a multi-line array, a cut example table."""
    return [f'[[rule]]\nid = "TST{n:03d}"\npurpose = "rule {n}"\nline = "junk line {n}"\n'
            f'examples.junk = [\n  "junk line {n}",\n]\nexamples.keep = ["kept line {n}"]\n'
            f'[[rule.examples.cut]]\nlines = ["a {n}", "junk line {n}"]\nremains = ["a {n}"]\n'
            for n in range(count)]


@pytest.mark.parametrize(("bad", "key"), [
    ('[[rule]]\nid = "BAD001"\npurpose = "x"\nmax_chars = 10\npattern = "a*"\n', "pattern = "),
    ('[[rule]]\nid = "BAD001"\npurpose = "x"\nline = "b"\n[[rule.examples.cut]]\nlines = ["b"]\n',
     "[[rule.examples.cut]]"),
    ('[[rule]]\nid = "BAD001"\npurpose = "x"\nline = "b"\ndomains = ["not a domain"]\n', "domains = "),
])
def test_bad_rule_deep_in_a_large_file_is_named_with_its_exact_line(bad: str, key: str) -> None:
    """Lines are located by an index of the whole file: a bad rule after a thousand good ones (each with keys,
    a multi-line array and a sub-table) is named with the line its problem is on, as it would be alone."""
    before = "".join(_many_rules(900))
    text = before + bad + "".join(_many_rules(1000)[900:])
    expected = before.count("\n") + bad[:bad.index(key)].count("\n") + 1
    with pytest.raises(cleaner.RuleError) as caught:
        parse_rule_file(text, "big.toml")
    with pytest.raises(cleaner.RuleError) as alone:
        parse_rule_file(bad, "big.toml")
    assert caught.value.line == expected > 900 * 10
    assert alone.value.line == bad[:bad.index(key)].count("\n") + 1
    assert str(caught.value) == str(alone.value).replace(f"big.toml:{alone.value.line}:", f"big.toml:{expected}:")
    assert caught.value.rule_id == "BAD001"


def test_non_utf8_rule_file_fails_with_location(tmp_path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[[rule]]\nid = "TST001"\npurpose = "caf\xe9"\nline = "a"\n')
    with pytest.raises(cleaner.RuleError, match=r"latin1.toml:3: not UTF-8"):
        load_rules([path], builtin=False)


def test_duplicate_id_across_files_names_both(tmp_path) -> None:
    (tmp_path / "mine.toml").write_text('[[rule]]\nid = "AGG001"\npurpose = "x"\nline = "Something else"\n')
    with pytest.raises(cleaner.RuleError, match=r"duplicate rule id AGG001, already defined at .*aggregator.toml"):
        load_rules([tmp_path])


def test_rule_files_are_read_as_data_never_run() -> None:
    """No module that reads rule files can run code from them: none calls eval, exec, compile, a pickle or
    YAML loader or an import by name, so a rule file holds only data whatever its text says."""
    import ast

    import cleaner.core.examples
    import cleaner.core.facts
    import cleaner.core.rules
    import cleaner.io.rulecache
    import cleaner.io.rulefiles

    forbidden = {"eval", "exec", "compile", "__import__", "import_module", "loads", "load", "literal_eval"}
    # Patterns compiled by regex or re, TOML and the rule cache's entries parsed as data (JSON), and a pattern
    # rebuilt by regex's compiled module from the compiled form regex made of it (no Python is run): the only
    # calls of those names allowed.
    allowed = {("regex", "compile"), ("_stdlib_re", "compile"), ("re", "compile"), ("tomllib", "loads"),
               ("json", "loads"), ("_regex_engine", "compile")}
    for module in (cleaner.core.rules, cleaner.io.rulefiles, cleaner.core.examples, cleaner.core.facts,
                   cleaner.io.rulecache):
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
            assert name not in forbidden or (owner, name) in allowed, \
                f"{module.__name__}:{node.lineno} calls {owner + '.' if owner else ''}{name}"


def test_disable_by_id_and_unknown_id() -> None:
    text = "Story\nA first paragraph of the story that goes on.\nTry Our AI Features\n"
    assert "Try Our AI Features" not in cleaner.Cleaner().clean(text)[0].text
    assert "Try Our AI Features" in cleaner.Cleaner(disable=["AGG001"]).clean(text)[0].text
    with pytest.raises(cleaner.RuleError, match="NOPE001"):
        cleaner.Cleaner(disable=["NOPE001"])


def test_domain_scoping_with_exclusions() -> None:
    rules = RuleSet((_rule_file('''
        [file]
        domains = ["example.com", "~blog.example.com"]
        [[rule]]
        id = "TST001"
        purpose = "site footer"
        line = "Example footer"
    '''),))
    engine = Engine(rules)
    text = "Title\nBody text of the article.\nExample footer\n"
    assert engine.process(text, url="https://news.example.com/a").hits()["TST001"] == 1
    assert engine.process(text, url="https://example.com/a").hits()["TST001"] == 1
    assert not engine.process(text, url="https://blog.example.com/a").hits()
    assert not engine.process(text, url="https://other.org/a").hits()
    assert not engine.process(text).hits()  # unknown origin: an include list cannot be verified


def test_user_rules_folder_extends_builtins(tmp_path) -> None:
    (tmp_path / "site.toml").write_text(textwrap.dedent('''
        [[rule]]
        id = "MYS001"
        purpose = "my site's donation prompt"
        pattern = 'support our journalism\\W*'
        examples.junk = ["Support our journalism!"]
        examples.keep = ["Support our journalism fund, the mayor said, was well spent."]
    '''))
    mine = cleaner.Cleaner(rules=tmp_path)
    text = "Headline\nParagraph one of the story.\nSupport our journalism!\nTry Our AI Features\n"
    record, = mine.clean(text)
    assert record.text == "Paragraph one of the story."
    assert len(mine.rules) == len(BUILTIN) + 1


def test_cli_rules_commands(capsys) -> None:
    assert main(["rules", "list"]) == 0
    listed = capsys.readouterr().out
    assert all(rule.id in listed for rule in BUILTIN)
    assert main(["rules", "test"]) == 0
    assert "all passed" in capsys.readouterr().out
    assert main(["rule", "CMT001"]) == 0
    shown = capsys.readouterr().out
    assert "CMT001: A bare 'Comments' heading" in shown and "junk example" in shown and "comments.toml" in shown
    assert main(["rule", "XYZ999"]) == 2


def test_cli_rules_test_fails_on_bad_examples(tmp_path, capsys) -> None:
    (tmp_path / "bad.toml").write_text('[[rule]]\nid = "TST001"\npurpose = "x"\nline = "a b"\n'
                                       'examples.junk = ["c"]\nexamples.keep = ["d"]\n')
    assert main(["rules", "test", "--rules", str(tmp_path)]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_a_user_rule_for_a_builtin_exact_line_fails_at_load(tmp_path) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_text('[[rule]]\nid = "MYS001"\npurpose = "x"\nline = "Story continues"\n'
                    'examples.junk = ["Story continues"]\nexamples.keep = ["no"]\n', encoding="utf-8")
    with pytest.raises(cleaner.RuleError) as caught:
        load_rules([mine])
    assert caught.value.line == 1 and "matches the same line as WEB011" in str(caught.value)
    assert load_rules([mine], disable=["WEB011"]).by_id["MYS001"]  # switching the built-in off is the way out


def test_rule_file_nested_too_deeply_is_a_located_rule_error() -> None:
    text = '[[rule]]\nid = "DEP001"\npurpose = "x"\nx = ' + "[" * 5000 + "]" * 5000 + "\n"
    with pytest.raises(cleaner.RuleError, match="nested too deeply") as caught:
        parse_rule_file(text, "deep.toml")
    assert caught.value.source == "deep.toml" and caught.value.line == 4


def test_examples_of_a_domain_scoped_file_run_as_from_a_page_of_that_domain() -> None:
    # A rule scoped to some hosts applies to no page of unknown origin: run without a URL, its junk examples
    # were never removed, so every scoped file failed `cleaner rules test`.
    body = textwrap.dedent('''
        [file]
        name = "One site"
        domains = ["example.com", "~blog.example.com"]

        [[rule]]
        id = "TST001"
        purpose = "donation prompt of one site"
        pattern = 'support our journalism\\W*'
        examples.junk = ["Support our journalism!"]
        examples.keep = ["Support our journalism fund, the mayor said, was well spent."]

        [[html_rule]]
        id = "TST100"
        purpose = "the site's donation box"
        action = "drop"
        select = ".donate-box"
        examples.junk = ['<p>The ferry will cost more from May.</p><div class="donate-box">Give now</div>']
        examples.keep = ['<p>The ferry will cost more from May.</p><div class="donate">Give now</div>']
    ''')
    from cleaner.io.html_blocks import check_html_examples

    rules = RuleSet((parse_rule_file(body, "site.toml"),))
    assert [str(f) for f in check_examples(rules)] == []
    assert [str(f) for f in check_html_examples(rules)] == []
    # The scope still holds: on a page of another host, or of the excluded one, the rule stays silent.
    engine = Engine(rules)
    assert "TST001" in engine.process("Body.\nSupport our journalism!", url="https://news.example.com/a").hits()
    assert "TST001" not in engine.process("Body.\nSupport our journalism!", url="https://other.org/a").hits()
    assert "TST001" not in engine.process("Body.\nSupport our journalism!", url="https://blog.example.com/a").hits()
