"""Corpus intelligence: rules learned from a dump, and near duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import regex

from cleaner import Cleaner
from cleaner.cli import main
from cleaner.core.corpus import Candidate, Thresholds, choose, content_hash, shape_of, shape_pattern
from cleaner.core.examples import check_examples
from cleaner.core.rules import RuleSet, parse_rule_file
from cleaner.core.text import line_key
from cleaner.io.readers import Document
from cleaner.run.suggest import PrunedCounter, exact_keys, learn, page_of, suggest_rule_file
from tests.conftest import SEEDS
from tests.corpus_gen import LIST_HEADER, generate


@pytest.fixture(scope="module")
def corpus():
    return generate()


@pytest.fixture(scope="module")
def learned(corpus):
    cleaner = Cleaner(disable=corpus.removed_rule_ids)
    documents = [Document(d["id"], "generated.jsonl", i, text=d["text"], url=d["url"])
                 for i, d in enumerate(corpus.documents)]
    pages = [page for page in (page_of(cleaner, d) for d in documents) if page is not None]
    return cleaner, pages, learn(lambda: pages, taken=exact_keys(cleaner))


def _covered(suggestions, line: str) -> bool:
    normal = " ".join(line.split())
    return any((s.exact is not None and line_key(s.exact) == line_key(line))
               or (s.pattern is not None and regex.fullmatch(s.pattern, normal, regex.IGNORECASE))
               for s in suggestions)


def test_suggest_learns_back_the_junk_of_switched_off_rules(corpus, learned) -> None:
    _, pages, result = learned
    printed = {line for d in corpus.documents for line in d["junk"]}
    # Every junk line the active rules leave in a main record, each occurrence counted.
    junk = [line for page in pages for line in page.lines if line in printed]
    recalled = sum(_covered(result.suggestions, line) for line in junk)
    print(f"\nsuggest: {len(result.suggestions)} suggestions, recall {recalled / len(junk):.3f} of {len(junk)} "
          f"junk line occurrences")
    assert len(junk) > 1000
    assert recalled / len(junk) >= 0.9


def test_suggest_proposes_no_content_and_no_syndicated_paragraph(corpus, learned) -> None:
    _, _, result = learned
    content = corpus.content_lines | set(corpus.wire_lines)
    assert not [line for line in content if _covered(result.suggestions, line)]
    # The wire story was printed on dozens of pages: as copies of one story it is one piece of evidence.
    assert result.duplicates >= 20


def test_learned_file_passes_its_own_examples_and_cleans_the_junk(corpus, learned) -> None:
    cleaner, _, result = learned
    text = suggest_rule_file(result)
    rule_file = parse_rule_file(text, "learned.toml")
    assert not list(check_examples(RuleSet((rule_file,))))
    assert "# seen in" in text and "context:" in text
    combined = RuleSet((*cleaner.rules.files, rule_file), cleaner.rules.disabled)
    applied = Cleaner(combined)
    junk = {line for d in corpus.documents for line in d["junk"]}
    left = removed = 0
    for document in corpus.documents[:120]:
        main = applied.clean(document["text"], url=document["url"])[0]
        kept = set(main.text.split("\n"))
        removed += sum(line not in kept for line in document["junk"])
        left += sum(line in kept for line in document["junk"])
    assert removed / (removed + left) >= 0.85
    assert not (junk & set(corpus.content_lines))


def test_a_site_header_over_lists_of_titles_becomes_a_layout(corpus, learned) -> None:
    cleaner, _, result = learned
    [layout] = [s for s in result.suggestions if s.items]
    assert regex.fullmatch(layout.pattern, LIST_HEADER, regex.IGNORECASE)
    rule_file = parse_rule_file(suggest_rule_file(result), "learned.toml")
    applied = Cleaner(RuleSet((*cleaner.rules.files, rule_file), cleaner.rules.disabled))
    listed = [d for d in corpus.documents if LIST_HEADER in d["text"]][:10]
    for document in listed:
        records = applied.clean(document["text"], url=document["url"])
        related = [r.title for r in records if r.kind == "related"]
        assert len(related) == 3 and set(related) <= corpus.listed
        assert LIST_HEADER not in records[0].text


def test_counter_variants_generalise_to_one_pattern() -> None:
    assert shape_of("12 comments") == shape_of("3 comments")
    pattern = regex.compile(shape_pattern(shape_of("updated 4 may 2024")), regex.IGNORECASE)
    assert pattern.fullmatch("Updated 19 June 2025") and not pattern.fullmatch("Updated by the editors")
    candidate = Candidate(shape_of("12 comments"), True)
    for n in range(30):
        candidate.add("a.example", f"{n + 2} comments", "ctx")
    [suggestion] = choose([candidate], {"a.example": 30}, 30, Thresholds())
    assert suggestion.pattern and regex.fullmatch(suggestion.pattern, "4711 comments")


def test_rare_lines_and_active_exact_rules_are_not_suggested() -> None:
    rare = Candidate("share on facebook", False)
    for n in range(3):
        rare.add("a.example", "Share on Facebook", f"ctx {n}")
    assert choose([rare], {"a.example": 400}, 400, Thresholds()) == []
    for n in range(30):
        rare.add("a.example", "Share on Facebook", f"ctx {n}")
    assert choose([rare], {"a.example": 400}, 400, Thresholds(), taken=frozenset({"share on facebook"})) == []


def test_pruned_counter_never_undercounts_past_its_floor() -> None:
    counter = PrunedCounter(max_keys=50)
    for n in range(2000):
        counter.add(n % 7)        # frequent keys
        counter.add(1000 + n)     # a stream of keys seen once
    assert len(counter.counts) <= 51
    assert all(counter.at_least(k) >= 2000 // 7 for k in range(7))


def test_rules_suggest_cli_writes_a_file_that_rules_test_passes(tmp_path: Path, corpus) -> None:
    dump = tmp_path / "dump.jsonl"
    dump.write_text("".join(json.dumps({k: d[k] for k in ("id", "url", "text")}) + "\n"
                            for d in corpus.documents[:240]), encoding="utf-8")
    disable = [arg for rule_id in corpus.removed_rule_ids for arg in ("--disable", rule_id)]
    learned = tmp_path / "learned.toml"
    assert main(["rules", "suggest", str(dump), "--out", str(learned), *disable]) == 0
    assert "[[rule]]" in learned.read_text(encoding="utf-8")
    assert main(["rules", "test", "--rules", str(learned), *disable]) == 0
    out = tmp_path / "out"
    assert main(["clean", str(dump), "--out", str(out), "--learn", "--workers", "1", "-q", *disable]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert (out / "learned-rules.toml").is_file()
    assert any(rule.startswith("LRN") for rule in manifest["rule_hits"])


# --- duplicates ----------------------------------------------------------------------------------------

def test_content_hash_ignores_case_and_spacing() -> None:
    assert content_hash("A  story\nGoes on") == content_hash("a story goes   on")
    assert content_hash("A story") != content_hash("Another story")


def test_dedup_puts_the_seeds_wire_story_in_one_cluster(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["clean", str(SEEDS), "--out", str(out), "--workers", "1", "-q", "--dedup"]) == 0
    records = pl.read_parquet(out / "records" / "*.parquet")
    mains = records.filter(pl.col("kind") == "main").sort("text", descending=True)
    assert mains.height == 2
    # Both main articles are the same syndicated piece under two publishers: one cluster, the longer kept.
    assert mains["dup_cluster"].n_unique() == 1
    assert mains["duplicate"].to_list() == [False, True]
    assert mains["dup_cluster"][0] == mains["content_hash"][0]
    # The wire story embedded under two publishers (Asahi Shimbun, Japan Today) is one cluster; the other
    # related articles are different stories, two on the same topic (Zelensky and the Alaska summit): each
    # is a cluster of its own.
    related = records.filter(pl.col("kind") == "related")
    wire = related.filter(pl.col("title").str.starts_with("South Korea's president vows"))
    assert sorted(wire["source"].to_list()) == ["Asahi Shimbun", "Japan Today"]
    assert wire["dup_cluster"].n_unique() == 1 and wire["duplicate"].sum() == 1
    others = related.filter(~pl.col("title").str.starts_with("South Korea's president vows"))
    assert others.height == 4 and others["dup_cluster"].n_unique() == 4 and not others["duplicate"].any()
    report = json.loads((out / "dedup.json").read_text(encoding="utf-8"))
    assert report["duplicates"] == 2 and report["clusters"] == 2
    # Resuming the same run trusts the rewritten parts: nothing is redone.
    assert main(["clean", str(SEEDS), "--out", str(out), "--workers", "1", "-q"]) == 0
    assert pl.read_parquet(out / "records" / "*.parquet")["duplicate"].sum() == 2


def test_dedup_drop_keeps_one_of_each_cluster(tmp_path: Path, corpus) -> None:
    dump = tmp_path / "dump.jsonl"
    dump.write_text("".join(json.dumps({"id": d["id"], "url": d["url"], "text": d["text"]}) + "\n"
                            for d in corpus.documents), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["clean", str(dump), "--out", str(out), "--workers", "1", "-q"]) == 0
    before = pl.read_parquet(out / "records" / "*.parquet").height
    assert main(["dedup", str(out), "--drop"]) == 0
    records = pl.read_parquet(out / "records" / "*.parquet")
    wire = records.filter(pl.col("text").str.contains(corpus.wire_lines[0], literal=True))
    assert wire.height == 1
    # The 24 copies of the wire story are one cluster; the other pages are unique.
    assert json.loads((out / "dedup.json").read_text(encoding="utf-8"))["dropped"] == 24 - 1
    assert records.height == before - (24 - 1)


def _seen(key: str, shown: str, docs: int, group: str = "a.example") -> Candidate:
    candidate = Candidate(key, False)
    for n in range(docs):
        candidate.add(group, shown, f"context {n}")
    return candidate


def test_short_labels_are_one_menu_rule_removed_only_in_runs() -> None:
    labels = [_seen(line_key(label), label, 40) for label in ("Home", "Contact Us", "Privacy Policy", "Careers")]
    [menu] = choose(labels, {"a.example": 40}, 40, Thresholds())
    assert menu.min_run == 3 and len(menu.labels) == 4
    text = suggest_rule_file_of([menu])
    engine = Cleaner(RuleSet((parse_rule_file(text, "learned.toml"),)))
    kept = engine.clean("Title of the story\nHome\nContact Us\nPrivacy Policy\nThe story begins here, in full.")
    assert kept[0].text == "The story begins here, in full."
    alone = engine.clean("Title of the story\nThe story begins here.\nCareers\nThe story goes on after a heading.")
    assert "Careers" in alone[0].text


def test_per_host_scopes_each_rule_to_its_hosts() -> None:
    line = _seen("subscribe to the a daily newsletter", "Subscribe to The A Daily newsletter", 30)
    [rule] = choose([line], {"a.example": 30, "b.example": 30}, 60, Thresholds(), scoped=True)
    assert rule.domains == ("a.example",)
    engine = Cleaner(RuleSet((parse_rule_file(suggest_rule_file_of([rule]), "learned.toml"),)))
    page = "Title of the story\nThe story.\nSubscribe to The A Daily newsletter\nMore of the story."
    assert "Subscribe" not in engine.clean(page, url="https://a.example/1")[0].text
    assert "Subscribe" in engine.clean(page, url="https://b.example/1")[0].text


def suggest_rule_file_of(suggestions) -> str:
    from cleaner.core.corpus import render_rule_file

    return render_rule_file(suggestions, name="Learned", description="test")
