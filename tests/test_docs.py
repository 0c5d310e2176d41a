"""The README is a short guide whose links lead somewhere, and its rule-file example is a valid rule file."""

from __future__ import annotations

import re

from cleaner.core.examples import check_examples
from cleaner.core.rules import RuleSet, parse_rule_file
from cleaner.io.html_blocks import check_html_examples
from tests.conftest import ROOT

README = ROOT / "README.md"
DOCS = ROOT / "docs"
#: A Markdown link to a file of the project: [text](path) or [text](path#anchor), not a URL.
LINK = re.compile(r"\]\((?!https?://|mailto:)([^)#\s]+)(?:#[^)]*)?\)")


def test_the_readme_is_a_short_guide() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines; move reference material to docs/"


def test_every_link_of_the_readme_and_the_docs_names_a_file_that_exists() -> None:
    pages = [README, *sorted(DOCS.glob("*.md"))]
    broken = [f"{page.relative_to(ROOT)}: {target}" for page in pages
              for target in LINK.findall(page.read_text(encoding="utf-8"))
              if not (page.parent / target).exists()]
    assert broken == []


def test_every_docs_page_is_in_the_site_nav_and_linked_from_the_readme() -> None:
    nav = set(re.findall(r":\s*(\S+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), re.M))
    pages = {page.name for page in DOCS.glob("*.md")}
    assert nav == pages
    linked = {target.removeprefix("docs/") for target in LINK.findall(README.read_text(encoding="utf-8"))}
    assert pages - {"index.md"} <= linked


def test_the_readme_rule_file_example_loads_and_passes_its_own_examples() -> None:
    text = README.read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```toml\n(.*?)```", text, re.S) if b.startswith("[file]")]
    assert len(blocks) == 1
    rules = RuleSet((parse_rule_file(blocks[0], "README.md"),))
    assert [rule.id for rule in rules] == ["MYS001", "MYS002", "MYS003"]
    assert [str(f) for f in [*check_examples(rules), *check_html_examples(rules)]] == []
