"""Rule examples that state what remains: ``junk`` (nothing remains), ``keep`` (everything remains) and
``cut`` (input lines, the exact lines that remain, the records made and the metadata found)."""

from __future__ import annotations

import re
import textwrap

import pytest

from cleaner.core.examples import check_examples
from cleaner.core.rules import Cut, RuleSet, parse_rule_file
from cleaner.io.rulefiles import load_rules
from tests.conftest import ROOT


def test_the_rule_files_of_the_rule_language_page_load_and_pass_their_examples() -> None:
    page = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    files = [b for b in re.findall(r"```toml\n(.*?)```", page, re.S) if b.startswith(("[file]", "[define]"))]
    assert files
    for number, block in enumerate(files, start=1):
        rules = RuleSet((parse_rule_file(block, f"docs/rules.md block {number}"),))
        assert [str(f) for f in check_examples(rules)] == []



_CUT_RULES = '''
[[rule]]
id = "TST001"
purpose = "a consent line"
pattern = 'we use cookies(?: to [^\\n]{0,40})?\\.?'
examples.junk = ["We use cookies.", "Body.\\nWe use cookies."]
examples.keep = ["We use cookies sparingly, the bakery said."]

[[rule.examples.cut]]
lines = ["Body.", "We use cookies to improve your visit.", "More body."]
remains = ["Body.", "More body."]

[[rule.examples.cut]]
lines = ["Body.", "We use cookies."]
remains = ["Body.", "We use cookies."]

[[layout]]
id = "TST100"
purpose = "a related block"
header = 'related stories'
slots = [{ field = "title", pattern = '[^\\n]{5,80}' }]
examples.keep = ["Related stories are told in the second part."]

[[layout.examples.cut]]
lines = ["Body.", "", "Related stories", "", "Storm knocks out power", "Council approves budget"]
remains = ["Body."]
records = [{ title = "Storm knocks out power" }, { title = "Council approves the budget" }]
'''


def test_examples_state_what_remains_and_a_wrong_statement_names_file_rule_and_example() -> None:
    rules = RuleSet((parse_rule_file(_CUT_RULES, "cut.toml"),))
    failures = [str(f) for f in check_examples(rules)]
    assert failures == [
        "cut.toml:2: TST001 left ['Body.'] of its junk example, where nothing should remain (state what remains "
        "with examples.cut): 'Body.\\nWe use cookies.'",
        "cut.toml:2: TST001 left ['Body.'] of its cut example, which says ['Body.', 'We use cookies.']: "
        "'Body.\\nWe use cookies.'",
        "cut.toml:17: TST100 made the records [{'title': 'Storm knocks out power'}, {'title': 'Council approves "
        "budget'}] of its cut example, which says [{'title': 'Storm knocks out power'}, {'title': 'Council "
        "approves the budget'}]: 'Body.\\n\\nRelated stories\\n\\nStorm knocks out power\\nCouncil approves budget'",
    ]
    rule = rules.by_id["TST001"]
    assert rule.examples.cut[0] == Cut(("Body.", "We use cookies to improve your visit.", "More body."),
                                       ("Body.", "More body."))


def test_a_cut_example_the_rule_does_not_touch_fails() -> None:
    rules = RuleSet((parse_rule_file('[[rule]]\nid = "TST001"\npurpose = "x"\nline = "Subscribe"\n'
                                     'examples.keep = ["Subscribed."]\n'
                                     'examples.cut = [{ lines = ["Body.", "Subscribe now"], remains = ["Body."] }]\n',
                                     "cut.toml"),))
    assert [str(f) for f in check_examples(rules)] == [
        "cut.toml:1: TST001 did not remove anything from its cut example: 'Body.\\nSubscribe now'"]


def test_a_cut_example_states_the_metadata_found() -> None:
    body = '''
        [[rule]]
        id = "TST001"
        purpose = "x"
        pattern = 'first published (?:in|by) (?P<syndicated_from>[^\\n]{2,40})'
        examples.keep = ["Published in May."]
        [[rule.examples.cut]]
        lines = ["Body.", "First published in The Harbour Times"]
        remains = ["Body."]
        metadata = { syndicated_from = "The Harbour Times" }
        [[rule.examples.cut]]
        lines = ["Body.", "First published by Coast Radio"]
        remains = ["Body."]
        metadata = { syndicated_from = "The Harbour Times" }
    '''
    rules = RuleSet((parse_rule_file(textwrap.dedent(body), "meta.toml"),))
    failures = [str(f) for f in check_examples(rules)]
    assert len(failures) == 1
    assert "found the metadata {'syndicated_from': 'Coast Radio'} in its cut example, which says " \
           "{'syndicated_from': 'The Harbour Times'}" in failures[0]


@pytest.mark.parametrize(("cut", "line", "reason"), [
    ('lines = ["a"]', 6, "examples.cut[1] needs 'remains' (a list of lines)"),
    ('lines = []\nremains = []', 6, "examples.cut[1].lines is empty"),
    ('lines = "a"\nremains = []', 6, "examples.cut[1].lines must be a list of strings"),
    ('lines = ["a"]\nremains = []\ncolour = 1', 6, "unknown field(s) in examples.cut[1]: colour"),
    ('lines = ["a"]\nremains = []\nrecords = [{ headline = "x" }]', 6,
     "unknown field(s) in examples.cut[1].records[1]: headline"),
    ('lines = ["a"]\nremains = []\nmetadata = { a = 1 }', 6, "examples.cut[1].metadata.a must be a string"),
])
def test_a_malformed_cut_example_fails_with_file_line_and_rule(cut: str, line: int, reason: str) -> None:
    body = f'[[rule]]\nid = "TST001"\npurpose = "x"\nline = "Subscribe"\n\n[[rule.examples.cut]]\n{cut}\n'
    with pytest.raises(Exception) as caught:
        parse_rule_file(body, "bad.toml")
    assert str(caught.value).startswith(f"bad.toml:{line}: rule TST001: ")
    assert reason in str(caught.value)


def test_an_html_rule_cut_example_states_text_not_records() -> None:
    body = ('[[html_rule]]\nid = "TST001"\npurpose = "x"\naction = "drop"\nselect = ".ad"\n'
            'examples.cut = [{ lines = ["<p>a</p>"], remains = [], records = [] }]\n')
    with pytest.raises(Exception, match=r"bad.toml:6: rule TST001: an HTML rule's examples.cut states a page"):
        parse_rule_file(body, "bad.toml")


def _html_rule_file(remains: str) -> str:
    return ('[[html_rule]]\nid = "TST001"\npurpose = "x"\naction = "drop"\nselect = ".ad"\n'
            'examples.keep = ["<p>Ads are the topic of this paragraph, the editor wrote.</p>"]\n'
            '[[html_rule.examples.cut]]\n'
            'lines = ["<h1>Title</h1><p>The ferry terminal opens in June, two months late, the harbour said.</p>",'
            ' "<div class=\\"ad\\">Buy now</div>"]\n'
            f'remains = {remains}\n')


def test_an_html_cut_example_is_checked_against_what_remains() -> None:
    from cleaner.core.rules import RuleSet
    from cleaner.io.html_blocks import check_html_examples

    right = parse_rule_file(_html_rule_file(
        '["Title", "The ferry terminal opens in June, two months late, the harbour said."]'), "ok.toml")
    assert list(check_html_examples(RuleSet((right,)))) == []
    wrong = parse_rule_file(_html_rule_file('["Title"]'), "wrong.toml")
    failures = list(check_html_examples(RuleSet((wrong,))))
    assert len(failures) == 1 and "not the stated ['Title']" in str(failures[0])


def test_every_built_in_html_rule_states_what_remains_of_its_junk() -> None:
    """An HTML rule's junk examples are cut examples: the page and exactly the text the rule leaves of it."""
    from cleaner.core.rules import HtmlRule

    vague = [r.id for r in load_rules() if isinstance(r, HtmlRule) and (r.examples.junk or not r.examples.cut)]
    assert vague == []


def test_every_built_in_layout_states_the_records_it_makes() -> None:
    """A layout's point is the records it makes, so its examples say which, not only that some were made."""
    from cleaner.core.rules import Layout

    vague = [r.id for r in load_rules() if isinstance(r, Layout)
             and (r.examples.junk or not r.examples.cut or any(c.records is None for c in r.examples.cut))]
    assert vague == []


def test_a_layout_cut_example_without_records_must_still_make_one() -> None:
    body = '''
        [[layout]]
        id = "TST100"
        purpose = "a related block"
        header = 'related stories'
        slots = [{ field = "title", pattern = '[^\\n]{5,80}', min_words = 3 }]
        examples.keep = ["Related stories are told in the second part."]

        [[layout.examples.cut]]
        lines = ["Body.", "", "Related stories", "", "Storm knocks out power"]
        remains = ["Body."]

        # a header without items is weak junk: removed next to other junk, with no record made
        [[layout.examples.cut]]
        lines = ["Body.", "Advertisement", "Related stories", "Short"]
        remains = ["Body.", "Short"]

        [[rule]]
        id = "TST001"
        purpose = "an ad label"
        line = "Advertisement"
        examples.junk = ["Advertisement"]
        examples.keep = ["Advertisement revenue fell."]
    '''
    rules = RuleSet((parse_rule_file(textwrap.dedent(body), "layout.toml"),))
    failures = [str(f) for f in check_examples(rules)]
    assert failures == ["layout.toml:2: TST100 found no related record in its cut example: "
                        "'Body.\\nAdvertisement\\nRelated stories\\nShort'"]
