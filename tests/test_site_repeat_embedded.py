"""Site repetition keeps a block of the page's own text that the host prints on several pages (a class's inherited
methods on a reference page): it sits inside the pages' text, where furniture sits at its edges (keep_embedded)."""

from __future__ import annotations

import json

import pytest

from cleaner import Cleaner
from cleaner.core.engine import Options
from cleaner.core.siterepeat import DETECTOR, ProfileError, SiteProfile, SiteRepeatSettings
from cleaner.run.siterepeat import HostPage, profile_of

HOST = "docs.example"
MENU = ["Shapes 2.0", "Index", "Modules", "shapes.circle", "shapes.square", "shapes.star", "Module contents"]
FOOTER = ["Back to top", "Built with a static site tool"]
#: What every shape class inherits: two method names over sentences of their own, the last one a short line.
INHERITED = ["to_svg(scale)", "Return the shape drawn as an SVG path at the given scale of the page.",
             "to_png(scale, dpi)", "Return the shape drawn as a PNG image at the given scale and resolution.",
             "area_of(shape)", "Return its area."]
NAMES = ("Circle", "Square", "Star", "Ring", "Kite", "Oval", "Cross", "Arrow", "Heart", "Moon", "Drop", "Leaf")


def reference(n: int) -> list[str]:
    """A module page: the menu, the module's headline and line of its own, a class with its own method, the
    inherited block, on every other page a second class after the block, the footer."""
    name, other = NAMES[n % len(NAMES)], NAMES[(n + 5) % len(NAMES)]
    lines = [*MENU, f"shapes.{name.lower()} module", f"The {name.lower()} shape.",
             f"class shapes.{name.lower()}.{name}(size)", f"is{name}", *INHERITED]
    if n % 2:
        lines += [f"class shapes.{name.lower()}.{other}{name}(size)", f"A {name.lower()} drawn as a {other.lower()}."]
    return [*lines, *FOOTER]


SETTINGS = SiteRepeatSettings(min_pages=5)


@pytest.fixture
def profile() -> SiteProfile:
    return profile_of(lambda: [HostPage(HOST, reference(n)) for n in range(12)], SETTINGS)


def removed(profile: SiteProfile, lines: list[str], options: Options | None = None) -> set[str]:
    cleaned = Cleaner(site_profile=profile, options=options).process("\n".join(lines), url=f"https://{HOST}/p")
    return {r.text for r in cleaned.removals if r.rule_id == DETECTOR}


def test_the_profile_counts_the_page_text_around_repeated_lines(profile: SiteProfile) -> None:
    edges = profile.hosts[HOST].edges
    # The block's first line follows a line of each page's own; its last is followed by one on half the pages.
    assert edges["to_svg(scale)"].as_list() == [12, 12, 0]
    assert edges["return its area."].as_list() == [12, 0, 6]
    # The footer follows the page's text on the other half; the menu's last line leads into it on every page.
    assert edges["back to top"].as_list() == [12, 6, 0]
    assert edges["module contents"].as_list() == [12, 0, 12]
    assert "index" not in edges  # between lines the host repeats on every page


@pytest.mark.parametrize("n", [1, 2])  # the block followed by a class of the page's own, and by the footer
def test_the_inherited_block_is_kept_and_the_furniture_goes(profile: SiteProfile, n: int) -> None:
    gone = removed(profile, reference(n))
    assert not gone & set(INHERITED)
    assert {*MENU, *FOOTER} <= gone


def test_keep_embedded_false_removes_the_block(profile: SiteProfile) -> None:
    off = Options(site_repeat=SiteRepeatSettings(keep_embedded=False))
    gone = removed(profile, reference(2), off)
    assert {"to_svg(scale)", "to_png(scale, dpi)", "area_of(shape)", "Return its area."} <= gone


def test_a_block_needs_text_of_the_page_right_before_it(profile: SiteProfile) -> None:
    # Right after the menu (a line the host repeats), the block is furniture as the menu is.
    page = reference(2)
    at = page.index("to_svg(scale)")
    moved = [*page[:len(MENU)], *INHERITED, *page[len(MENU):at], *page[at + len(INHERITED):]]
    assert {"to_svg(scale)", "area_of(shape)"} <= removed(profile, moved)


def test_a_menu_inside_the_text_and_a_block_without_prose_go() -> None:
    # A tab bar between the intro and the body on every page (inside_run lines in a row, none prose), and a
    # post's metadata labels between lines of its own: furniture although both sides are the page's text.
    tabs = ["Overview", "Python", "Rust", "Java"]

    def page(n: int) -> list[str]:
        name = NAMES[n % len(NAMES)]
        return [*MENU, f"The {name} format", f"How {name} files are laid out", *tabs, f"{name} header fields",
                f"{name} body records", "Source", f"{name.lower()}.example", "Original author", f"Ann {name}", *FOOTER]

    profile = profile_of(lambda: [HostPage(HOST, page(n)) for n in range(12)], SETTINGS)
    assert {*tabs, "Source", "Original author"} <= removed(profile, page(3))
    # Without asking for prose, two labels between lines of the page's own are kept.
    loose = Options(site_repeat=SiteRepeatSettings(embedded_prose=False))
    assert not {"Source", "Original author"} & removed(profile, page(3), loose)
    assert set(tabs) <= removed(profile, page(3), loose)


def test_the_profile_keeps_the_edges_through_json(profile: SiteProfile) -> None:
    saved = profile.as_json()
    assert SiteProfile.from_json(saved, settings=SETTINGS) == profile
    body = json.loads(saved)
    body["hosts"][HOST]["edges"]["to_svg(scale)"] = [12, 13, 0]
    with pytest.raises(ProfileError, match=r"^p.json: host 'docs.example': edges: key 'to_svg\(scale\)' needs"):
        SiteProfile.from_json(json.dumps(body), name="p.json")
    body["hosts"][HOST]["edges"] = {"not a line": [12, 1, 1]}
    with pytest.raises(ProfileError, match="key 'not a line' needs a line of the host"):
        SiteProfile.from_json(json.dumps(body), name="p.json")


def test_a_section_closed_by_a_rules_removal_needs_one_line() -> None:
    # "Value" over one line of the page's own, then a line a rule removed (None): a section of one line.
    def page(n: int) -> list[str]:
        name = NAMES[n % len(NAMES)]
        return [*MENU, f"{name} object", f"Makes a {name.lower()}", f"size of the {name.lower()}", "Value",
                f"A {name.lower()} object", "See also", f"Other {name.lower()} functions", *FOOTER]

    profile = profile_of(lambda: [HostPage(HOST, page(n)) for n in range(12)], SETTINGS)
    lines: list[str | None] = list(page(3))
    lines[lines.index("See also")] = None  # what a rule removed is not the detector's to judge
    gone = {lines[i] for i in profile.removals(HOST, lines)}
    assert "Value" not in gone
    strict = SiteRepeatSettings(min_pages=5, section_closed=0)
    assert "Value" in {lines[i] for i in profile.removals(HOST, lines, strict)}
    # A closed section needs section_closed lines, however many an open one needs.
    wide = SiteRepeatSettings(min_pages=5, section_lines=3)
    assert "Value" not in {lines[i] for i in profile.removals(HOST, lines, wide)}
    two = SiteRepeatSettings(min_pages=5, section_closed=2)
    assert "Value" in {lines[i] for i in profile.removals(HOST, lines, two)}


def test_embedded_settings_are_checked() -> None:
    for name in ("embedded_head", "embedded_tail", "embedded_lone", "embedded_displaced"):
        with pytest.raises(ValueError, match=name):
            SiteRepeatSettings(**{name: 1.5})
    with pytest.raises(ValueError, match="section_closed"):
        SiteRepeatSettings(section_closed=-1)


def test_a_page_quoting_the_menus_list_between_its_own_lines_keeps_it(profile: SiteProfile) -> None:
    # A package page lists its modules: the sidebar's lines again, between lines of its own. Where the host
    # prints them they sit among its furniture, so here they are the page's.
    modules = MENU[3:6]
    page = [*MENU, "shapes package", "Submodules", *modules, "Package contents", "All shapes of the library.",
            *FOOTER]
    cleaned = Cleaner(site_profile=profile).process("\n".join(page), url=f"https://{HOST}/p")
    gone = [r.text for r in cleaned.removals if r.rule_id == DETECTOR]
    assert gone.count("shapes.circle") == 1 and cleaned.records[0].text.count("shapes.circle") == 1
    off = Options(site_repeat=SiteRepeatSettings(embedded_displaced=0))
    assert [r.text for r in Cleaner(site_profile=profile, options=off).process(
        "\n".join(page), url=f"https://{HOST}/p").removals if r.rule_id == DETECTOR].count("shapes.circle") == 2
    # Two lines are not a list: a menu that prints an item twice.
    short = [*MENU, "shapes package", "Submodules", *modules[:2], "Package contents", "All shapes.", *FOOTER]
    assert [r.text for r in Cleaner(site_profile=profile).process(
        "\n".join(short), url=f"https://{HOST}/p").removals if r.rule_id == DETECTOR].count("shapes.circle") == 2


def test_a_short_sentence_alone_between_the_pages_own_lines_is_kept_and_a_label_is_not() -> None:
    # Every issue ends its quote section with the same call, and links the next issue under a label: both stand
    # between lines of the page's own on every page; only the one that ends like a sentence is the text's. (The
    # editors after the call recur: it heads no section of the page's own.)
    def page(n: int) -> list[str]:
        name, other = NAMES[n % len(NAMES)], NAMES[(n + 3) % len(NAMES)]
        return [*MENU, f"Issue about the {name}", f"A {name.lower()} quote", f"Thanks to {other} for it",
                "Send us your quotes!", f"Edited by {('Ann', 'Bo', 'Cy')[n % 3]}", f"Written in {name}ville",
                "Next issue",
                f"Issue about the {other}", *FOOTER]

    profile = profile_of(lambda: [HostPage(HOST, page(n)) for n in range(12)], SETTINGS)
    gone = removed(profile, page(3))
    assert "Send us your quotes!" not in gone and "Next issue" in gone
    off = Options(site_repeat=SiteRepeatSettings(embedded_lone=0))
    assert "Send us your quotes!" in removed(profile, page(3), off)
