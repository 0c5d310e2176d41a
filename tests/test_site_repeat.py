"""Site repetition (struct:site-repeat): counting, profiles, the engine's removals, batch runs, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from cleaner import Cleaner
from cleaner.cli import main
from cleaner.core.engine import Options
from cleaner.core.siterepeat import (
    DETECTOR,
    HostLines,
    ProfileError,
    SiteProfile,
    SiteRepeatSettings,
    Sketch,
    key_hash,
    line_key,
    reads_as_prose,
)
from cleaner.run.batch import InProcessExecutor, run_batch
from cleaner.run.plan import expand_inputs, plan_shards
from cleaner.run.shard import JobSettings
from cleaner.run.siterepeat import HostPage, profile_of, shards_profile

NAV = ["Home", "News", "Sport", "Contact us", "Weekly letter sign-up"]
FOOTER = ["© 2024 Example Media", "Privacy policy", "Terms of use"]
SETTINGS = SiteRepeatSettings(min_pages=5)


TOPICS = ("budget", "parks", "schools", "buses", "libraries", "housing", "water", "roads", "taxes", "police",
          "markets", "bridges", "museums", "zoning", "trees")


def article(n: int) -> list[str]:
    return [f"Council argues about {TOPICS[n % len(TOPICS)]} again",
            f"The council met about {TOPICS[n % len(TOPICS)]} and voted after a long debate, members said on Tuesday.",
            "Read more",
            f"Residents asked about {TOPICS[(n + 3) % len(TOPICS)]} and why the park will close early, and the mayor "
            f"promised an answer."]


def page(n: int) -> str:
    return "\n".join(NAV + article(n) + FOOTER)


def pages(count: int, host: str = "example.com") -> list[HostPage]:
    return [HostPage(host, page(n).split("\n")) for n in range(count)]


def test_keys_fold_whitespace_case_and_digits() -> None:
    assert line_key("  © 2024   Example\tMedia ") == line_key("© 1999 example media") == "© 0 example media"
    assert line_key("12 345") is None  # no letter: gutters of code line numbers are never counted
    assert line_key("x" * 500) is None


def test_prose_reads_as_prose_in_any_script() -> None:
    assert reads_as_prose("The council met and voted on the budget after a long debate, members said today.",
                          SETTINGS)
    assert not reads_as_prose("Weekly letter sign-up", SETTINGS)
    assert reads_as_prose("我们在会议上讨论了明年的预算问题，大家都同意尽快完成这项工作并公布结果。", SETTINGS)
    assert not reads_as_prose("首页 新闻 体育 联系我们", SETTINGS)


def test_sketch_never_undercounts_even_when_pruned() -> None:
    sketch = Sketch(max_keys=8)
    for n in range(30):
        sketch.add_page("a.com", {"home", f"unique {n}", f"other {n}"})
    assert len(sketch.counts) <= 8 and sketch.floor > 0
    assert sketch.counts.get(key_hash("a.com", "home"), 0) + sketch.floor >= 30
    assert sketch.may_repeat("a.com", "home", SETTINGS)


def test_profile_holds_exact_counts_of_repeated_lines_only() -> None:
    profile = profile_of(lambda: pages(8), SETTINGS)
    lines = profile.hosts["example.com"].lines
    assert profile.hosts["example.com"].pages == 8
    assert lines["home"] == 8 and lines["read more"] == 8
    assert not any(key.startswith(("council", "the council", "residents")) for key in lines)
    assert SiteProfile.from_json(profile.as_json()) == profile


def test_profile_does_not_depend_on_order_or_shards_even_with_a_tiny_sketch() -> None:
    tiny = SiteRepeatSettings(min_pages=5, max_keys=4, max_hosts=2)
    many = pages(9) + pages(7, "other.org") + [HostPage(f"h{n}.net", ["Home", f"page {n}"]) for n in range(6)]
    one = profile_of(lambda: many, tiny).as_json()
    assert profile_of(lambda: list(reversed(many)), tiny).as_json() == one
    assert profile_of(lambda: many, SETTINGS).as_json() == one  # the bounds never lose a passing line
    assert set(SiteProfile.from_json(one).hosts) == {"example.com", "other.org"}


def test_small_hosts_are_left_alone() -> None:
    assert profile_of(lambda: pages(4), SETTINGS).hosts == {}


@pytest.fixture
def profile() -> SiteProfile:
    return profile_of(lambda: pages(10), SETTINGS)


def test_engine_removes_repeated_lines_with_evidence(profile: SiteProfile) -> None:
    cleaned = Cleaner(site_profile=profile).process(page(42), url="https://example.com/a/42")
    main_record = cleaned.records[0]
    assert "Home" not in main_record.text and "Privacy policy" not in main_record.text
    assert "Residents asked about" in main_record.text  # prose is never removed
    found = [r for r in cleaned.removals if r.rule_id == DETECTOR]
    assert {r.text for r in found} >= {"Home", "Sport", "Terms of use"}  # and the rules took the rest
    assert all(r.evidence == "seen on 10 of 10 pages of example.com" for r in found)


def test_repeated_heading_inside_the_article_is_kept(profile: SiteProfile) -> None:
    # "Read more" recurs on every page but sits alone between two paragraphs of the article.
    cleaned = Cleaner(site_profile=profile).process(page(3), url="https://example.com/3")
    assert "Read more" in cleaned.records[0].text
    # ... while a run of repeated lines (a menu) in the same place goes, but for its last lines
    # (heading_lines, 2), which could be headings over the paragraph after them.
    menu = "\n".join(article(3)[:2] + NAV + article(3)[3:])
    kept = Cleaner(site_profile=profile).process(menu, url="https://example.com/3").records[0].text.split("\n")
    assert [line for line in NAV if line in kept] == NAV[-2:]
    one = Options(site_repeat=SiteRepeatSettings(heading_lines=1))
    kept = Cleaner(site_profile=profile, options=one).process(menu, url="https://example.com/3").records[0].text
    assert [line for line in NAV if line in kept.split("\n")] == NAV[-1:]


def test_a_sign_off_next_to_the_article_is_kept_and_a_footer_line_after_the_rules_footer_is_not(
        profile: SiteProfile) -> None:
    # "Read more" recurs on every page; after the last paragraph, on its own, it is the author's sign-off.
    lines = NAV + article(5)[:2] + article(5)[3:] + ["Read more", "Tags: parks, council"] + FOOTER
    kept = Cleaner(site_profile=profile).process("\n".join(lines), url="https://example.com/5").records[0].text
    assert "Read more" in kept.split("\n")
    off = Options(site_repeat=SiteRepeatSettings(edge_run=0))
    kept = Cleaner(site_profile=profile, options=off).process("\n".join(lines), url="https://example.com/5")
    assert "Read more" not in kept.records[0].text.split("\n")
    # "Terms of use" follows lines the rules removed (the copyright line): it is the footer's, and goes.
    cleaned = Cleaner(site_profile=profile).process(page(5), url="https://example.com/5")
    assert "Terms of use" in {r.text for r in cleaned.removals if r.rule_id == DETECTOR}


def test_the_open_section_of_a_sidebar_goes_where_its_pages_list_it_and_a_listing_of_the_pages_own_stays() -> None:
    # A documentation sidebar: the sections are on every page; the open section lists the pages of one section, on
    # each of its pages (four sections of three pages here), so its lines are on three pages of the host: fewer than
    # a repeated line is on, more than a page's own lines are.
    sections = [f"Section {name}" for name in ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta")]
    body = ["How to configure the parser", "The parser reads its settings from a file next to the program, and "
            "the defaults are written in the manual that comes with it."]

    def doc(n: int, gap: list[str] | None = None) -> list[str]:
        section = n % 4
        open_section = [f"Guide to {TOPICS[section]} and {TOPICS[4 + k]}" for k in range(5)]
        return (NAV + sections[:3] + (open_section if gap is None else gap) + sections[3:] + body
                + [f"Step {n} explained once more."] + FOOTER)

    menus = SiteRepeatSettings(menu_run=5)  # off in the built-in rules
    found = profile_of(lambda: [HostPage("docs.example", doc(n)) for n in range(12)], menus)
    opened = [f"Guide to buses and {TOPICS[4 + k]}" for k in range(5)]
    # a page whose lines between the same menus are its own (a listing of headlines no other page has)
    listing = [f"Council votes on {TOPICS[k]} and {TOPICS[k + 1]}" for k in range(5)]

    def kept(page: list[str], options: Options | None = None) -> tuple[list[str], dict[str, str | None]]:
        options = options or Options(site_repeat=menus)
        cleaned = Cleaner(site_profile=found, options=options).process("\n".join(page), url="https://docs.example/3")
        main = cleaned.records[0]
        lines = [main.title or "", *main.text.split("\n")]
        return lines, {r.text: r.evidence for r in cleaned.removals if r.rule_id == DETECTOR}

    lines, why = kept(doc(3))
    assert not set(opened) & set(lines) and body[1] in lines
    assert why[opened[1]] == ("between 8 and 5 lines in a row that docs.example repeats "
                              "('Section gamma' ... 'Section delta')")
    assert '"recurring"' in found.as_json()
    saved = SiteProfile.from_json(found.as_json())
    assert saved.hosts["docs.example"].recurring == found.hosts["docs.example"].recurring
    lines, _ = kept(doc(3, listing))
    assert set(listing) <= set(lines)
    # without asking for lines on other pages (menu_recurring = 0) the listing goes too; with menu_run = 0 nothing
    lines, _ = kept(doc(3, listing), Options(site_repeat=SiteRepeatSettings(menu_run=5, menu_recurring=0)))
    assert not set(listing) & set(lines)
    lines, _ = kept(doc(3), Options(site_repeat=SiteRepeatSettings()))  # the built-in rules: menu_run = 0
    assert set(opened) <= set(lines)
    # a gap shorter than menu_min_lines stays (a headline and its byline between a menu and a share bar)
    lines, _ = kept(doc(3), Options(site_repeat=SiteRepeatSettings(menu_run=5, menu_min_lines=6)))
    assert set(opened) <= set(lines)
    # counted with menu_run = 0, a profile holds no evidence for gaps: none goes, whatever the engine's settings
    plain = profile_of(lambda: [HostPage("docs.example", doc(n)) for n in range(12)], SiteRepeatSettings())
    assert not plain.hosts["docs.example"].recurring and not plain.hosts["docs.example"].next
    cleaned = Cleaner(site_profile=plain, options=Options(site_repeat=menus)).process("\n".join(doc(3)),
                                                                                     url="https://docs.example/3")
    assert set(opened) <= {cleaned.records[0].title, *cleaned.records[0].text.split("\n")}


def test_a_section_opened_on_one_page_only_goes_where_the_menu_is_whole_on_the_other_pages() -> None:
    # The section's pages are listed on this page alone (no other page of the dump is in it), but on the host's other
    # pages "Section gamma" is followed right by "Section delta": the gap is an insertion into the menu.
    sections = [f"Section {name}" for name in ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta")]

    def doc(n: int, gap: list[str]) -> list[str]:
        return NAV + sections[:3] + gap + sections[3:] + article(n)[1:] + FOOTER

    menus = SiteRepeatSettings(menu_run=5)  # off in the built-in rules
    found = profile_of(lambda: [HostPage("docs.example", doc(n, [])) for n in range(12)], menus)
    assert found.hosts["docs.example"].next["section gamma"] == ("section delta", 12)
    # one of the section's pages has the title of a section of the menu: a repeated line inside the gap
    opened = [f"Guide to buses and {topic}" for topic in ("libraries", "housing", "water")] + [
        "Section theta", "Guide to buses and roads", "Guide to buses and taxes"]

    def kept(options: Options | None = None) -> list[str]:
        options = options or Options(site_repeat=menus)
        cleaned = Cleaner(site_profile=found, options=options).process("\n".join(doc(3, opened)),
                                                                       url="https://docs.example/3")
        return [cleaned.records[0].title or "", *cleaned.records[0].text.split("\n")]

    assert not set(opened) & set(kept())
    unclosed = Options(site_repeat=SiteRepeatSettings(menu_run=5, menu_closed=0))
    assert set(opened) - {"Section theta"} <= set(kept(unclosed))
    body = json.loads(found.as_json())
    assert body["hosts"]["docs.example"]["next"]["section gamma"] == ["section delta", 12]
    assert SiteProfile.from_json(found.as_json()).hosts["docs.example"].next == found.hosts["docs.example"].next
    body["hosts"]["docs.example"]["next"]["section gamma"] = ["section delta", 13]
    with pytest.raises(ProfileError, match=r"next: line 'section gamma' needs \[a repeated line, pages up to"):
        SiteProfile.from_json(json.dumps(body), name="p.json")


def test_a_profile_without_recurring_keys_removes_no_gap_and_bad_recurring_keys_are_named() -> None:
    sections = [f"Section {name}" for name in ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta")]
    doc = NAV + sections[:3] + [f"Guide to {topic}" for topic in TOPICS[:5]] + sections[3:] + FOOTER
    menus = SiteRepeatSettings(menu_run=5)
    body = json.loads(profile_of(lambda: [HostPage("docs.example", doc)] * 12, menus).as_json())
    assert "recurring" not in body["hosts"]["docs.example"]  # every line repeats: nothing below the threshold
    body["hosts"]["docs.example"]["recurring"] = "guide to budget"
    with pytest.raises(ProfileError, match=r"host 'docs.example': \"recurring\" must be a list of line keys"):
        SiteProfile.from_json(json.dumps(body), name="p.json")


def test_other_hosts_and_switched_off_detector_change_nothing(profile: SiteProfile) -> None:
    plain = Cleaner().process(page(1), url="https://elsewhere.net/1")
    assert Cleaner(site_profile=profile).process(page(1), url="https://elsewhere.net/1") == plain
    off = Cleaner(site_profile=profile, disable=["struct:site-repeat"])
    assert not any(r.rule_id == DETECTOR for r in off.process(page(1), url="https://example.com/1").removals)


@pytest.mark.parametrize("body, message", [
    ("{", "not JSON"),
    ('{"format": "x"}', "not a site profile"),
    ('{"format": "cleaner-site-profile", "version": 9, "hosts": {}}', "version 9"),
    ('{"format": "cleaner-site-profile", "version": 1, "hosts": {"a.com": {"pages": 3, "lines": {"home": 4}}}}',
     "'a.com': line 'home' has count 4"),
    ('{"format": "cleaner-site-profile", "version": 1, "settings": {"min_share": "half"}, "hosts": {}}',
     "min_share must be a number"),
    ('{"format": "cleaner-site-profile", "version": 1, "settings": {"min_pages": 1}, "hosts": {}}',
     "min_pages must be at least 2"),
])
def test_bad_profiles_are_refused_with_the_reason(body: str, message: str) -> None:
    with pytest.raises(ProfileError, match="^my.json: .*" + message.replace("(", r"\(")):
        SiteProfile.from_json(body, name="my.json")


def _dump(tmp_path: Path, count: int = 12) -> Path:
    path = tmp_path / "dump.jsonl"
    rows = [{"id": f"d{n}", "url": f"https://example.com/a/{n}", "text": page(n)} for n in range(count)]
    rows += [{"id": f"o{n}", "url": f"https://small.org/{n}", "text": page(n)} for n in range(3)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_batch_run_removes_site_repeats_by_default_and_matches_the_library(tmp_path: Path) -> None:
    dump = _dump(tmp_path)
    settings = JobSettings(out=str(tmp_path / "out"), write_removals=True)
    result = run_batch([str(dump)], settings, InProcessExecutor(), shard_bytes=2000)
    assert result.ok and result.shards > 1
    records = pl.read_parquet(tmp_path / "out" / "records" / "*.parquet").sort("doc_id")
    removals = pl.read_parquet(tmp_path / "out" / "removals" / "*.parquet")
    repeats = removals.filter(pl.col("rule_id") == DETECTOR)
    assert repeats.height > 0 and set(repeats["evidence"]) == {"seen on 12 of 12 pages of example.com"}
    assert not repeats["doc_id"].str.starts_with("o").any()  # a host with 3 pages is below min_pages
    # The library with the profile of the same dump gives the same main records.
    shards = plan_shards(expand_inputs([str(dump)]), settings.read, 2000)
    library = Cleaner(site_profile=shards_profile(shards, settings.read, SiteRepeatSettings()))
    for row in records.filter(pl.col("record_index") == 0).iter_rows(named=True):
        n = int(row["doc_id"][1:])
        url = f"https://example.com/a/{n}" if row["doc_id"].startswith("d") else f"https://small.org/{n}"
        assert library.clean(page(n), url=url)[0].text == row["text"]


def test_batch_output_does_not_depend_on_shard_size(tmp_path: Path) -> None:
    dump = _dump(tmp_path)
    texts = []
    for size in (500, 1_000_000):
        out = tmp_path / f"out{size}"
        assert run_batch([str(dump)], JobSettings(out=str(out)), InProcessExecutor(), shard_bytes=size).ok
        frame = pl.read_parquet(out / "records" / "*.parquet").sort("doc_id", "record_index")
        texts.append(frame["text"].to_list())
    assert texts[0] == texts[1]


def test_cli_profile_build_clean_with_it_and_switch_off(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dump = _dump(tmp_path)
    profile = tmp_path / "profile.json"
    assert main(["profile", "build", str(dump), "--out", str(profile), "--site-min-pages", "5"]) == 0
    saved = SiteProfile.from_json(profile.read_text(encoding="utf-8"))
    assert saved.hosts["example.com"].lines["privacy policy"] == 12 and "small.org" not in saved.hosts
    for extra, expected in (([], True), (["--no-site-repeat"], False), (["--disable", "struct:site-repeat"], False),
                            (["--site-profile", str(profile)], True)):
        out = tmp_path / f"out{len(extra)}{expected}"
        assert main(["clean", str(dump), "--out", str(out), "--workers", "1", "--removals", "-q", *extra]) == 0
        removals = pl.read_parquet(out / "removals" / "*.parquet")
        assert (removals.filter(pl.col("rule_id") == DETECTOR).height > 0) is expected, extra
    single = tmp_path / "one.txt"
    single.write_text(page(99), encoding="utf-8")
    capsys.readouterr()
    assert main(["explain", str(single), "--url", "https://example.com/99", "--site-profile", str(profile)]) == 0
    assert "removed by struct:site-repeat (seen on 12 of 12 pages of example.com)" in capsys.readouterr().out


def test_cli_refuses_a_bad_profile_by_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "cleaner-site-profile", "version": 1, "hosts": []}', encoding="utf-8")
    dump = _dump(tmp_path)
    assert main(["clean", str(dump), "--out", str(tmp_path / "o"), "--site-profile", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.json" in err and "\"hosts\" must be an object" in err and "Traceback" not in err


def test_evidence_is_looked_up_by_folded_key_and_host() -> None:
    profile = SiteProfile({"a.com": HostLines(10, {"home": 10})}, SETTINGS)
    assert profile.evidence("a.com", "HOME ") == "seen on 10 of 10 pages of a.com"
    assert profile.evidence("b.com", "Home") is None


def test_thresholds_are_the_built_in_rule_files_settings() -> None:
    # rules/structure.toml writes down every threshold; with it the detector behaves as with the code's
    # defaults, and every key of the settings is there (a new setting must be added to the file too).
    from cleaner.io.rulefiles import builtin_rules_dir, load_rules

    assert load_rules([], builtin=True).structure.site_repeat == SiteRepeatSettings()
    text = builtin_rules_dir().joinpath("structure.toml").read_text(encoding="utf-8")
    table = text.split("[detector.site_repeat]")[1]
    keys = {line.split("=")[0].strip() for line in table.splitlines() if "=" in line and not line.startswith("#")}
    assert keys == set(SiteRepeatSettings.__dataclass_fields__)


def test_a_rule_file_sets_the_thresholds_of_the_engine_and_of_the_count(tmp_path: Path) -> None:
    # The page thresholds come from the engine's rule files; the counting ones (min_pages, min_share) travel
    # with the profile, which was counted with them.
    strict = tmp_path / "strict.toml"
    strict.write_text("[detector.site_repeat]\nmin_share = 1.0\nmin_pages = 12\ninside_run = 2\nheading_lines = 1\n",
                      encoding="utf-8")
    found = profile_of(lambda: pages(12), SiteRepeatSettings())
    menu = "\n".join(article(3)[:2] + NAV[:2] + article(3)[3:])  # two repeated lines inside the article
    default = Cleaner(site_profile=found).process(menu, url="https://example.com/3")
    ruled = Cleaner([strict], site_profile=found).process(menu, url="https://example.com/3")
    assert not {r.text for r in default.removals if r.rule_id == DETECTOR} & set(NAV)  # a run of 2 < 3 stays
    assert {r.text for r in ruled.removals if r.rule_id == DETECTOR} == {"Home"}  # a run of 2 is a menu now
    # A batch run counts with the rule files' thresholds: a host of 11 pages is below their min_pages of 12,
    # unless --site-min-pages says otherwise.
    dump = tmp_path / "dump.jsonl"
    dump.write_text("".join(json.dumps({"id": f"d{n}", "url": f"https://example.com/{n}", "text": page(n)}) + "\n"
                            for n in range(11)), encoding="utf-8")
    for extra, expected in (([], True), (["--rules", str(strict)], False),
                            (["--rules", str(strict), "--site-min-pages", "5"], True)):
        out = tmp_path / f"out{len(extra)}"
        assert main(["clean", str(dump), "--out", str(out), "--workers", "1", "--removals", "-q", *extra]) == 0
        removals = pl.read_parquet(out / "removals" / "*.parquet")
        assert (removals.filter(pl.col("rule_id") == DETECTOR).height > 0) is expected, extra


@pytest.mark.parametrize("table, line, message", [
    ("min_share = 1.5", 2, "min_share must be in"),  # a bound: the table's line
    ("min_pages = 1", 2, "min_pages must be at least 2"),
    ("min_share = \"half\"", 3, "min_share must be a number"),  # a type: the key's line
    ("max_lines = 3", 2, "max_lines"),
])
def test_bad_thresholds_in_a_rule_file_are_refused_with_file_and_line(tmp_path: Path, table: str, line: int,
                                                                       message: str) -> None:
    from cleaner.core.errors import RuleError
    from cleaner.io.rulefiles import load_rules

    bad = tmp_path / "bad.toml"
    bad.write_text(f"# mine\n[detector.site_repeat]\n{table}\n", encoding="utf-8")
    with pytest.raises(RuleError, match=message) as caught:
        load_rules([bad])
    assert str(caught.value).startswith(f"{bad}:{line}: ")


def test_explain_shows_the_thresholds_with_the_removals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "profile.json"
    profile.write_text(profile_of(lambda: pages(12), SiteRepeatSettings()).as_json(), encoding="utf-8")
    single = tmp_path / "one.txt"
    single.write_text(page(99), encoding="utf-8")
    strict = tmp_path / "strict.toml"
    strict.write_text("[detector.site_repeat]\ninside_run = 4\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["explain", str(single), "--url", "https://example.com/99", "--site-profile", str(profile),
                 "--rules", str(strict), "--site-min-share", "0.9"]) == 0
    out = capsys.readouterr().out
    assert "detector struct:site-repeat: " in out and "of the 9 that example.com repeats" in out
    assert "min_pages 10, min_share 0.9 -> on at least 11 pages" in out and "inside_run 4" in out
