"""Site repetition keeps an article's section headings: lines a host's template prints on every page inside the
article ("Method", "Notes"), over text of the page's own (keep_sections)."""

from __future__ import annotations

import pytest

from cleaner import Cleaner
from cleaner.core.engine import Options
from cleaner.core.siterepeat import DETECTOR, SiteProfile, SiteRepeatSettings
from cleaner.run.siterepeat import HostPage, profile_of

HOST = "stews.example"
NAV = ["Stews", "Soups", "Breads", "About us"]
FOOTER = ["Subscribe to the letter", "Stew Shelf letters"]
DISHES = ("lentil", "barley", "bean", "pumpkin", "onion", "leek", "fennel", "carrot", "chickpea", "potato",
          "cabbage", "turnip", "mushroom", "squash", "pepper", "tomato")
VERBS = ("Soak", "Rinse", "Chop", "Peel", "Slice", "Toast", "Crush", "Grate")


def recipe(n: int) -> list[str]:
    """A recipe page: the menu, a headline, a byline and a line of introduction, the steps under a heading the
    template prints on every page (short lines of the page's own), a notes heading over a short note,
    previous/next labels with their targets' titles, the footer."""
    dish, other = DISHES[n % len(DISHES)], DISHES[(n + 5) % len(DISHES)]
    return [*NAV, f"Slow {dish} stew", "By", ("Ann", "Bo", "Cy")[n % 3], f"A {dish} stew for cold days",
            "Method", f"{VERBS[n % len(VERBS)]} the {dish} well", f"Warm the {other} broth gently",
            f"Simmer the {dish} with {other} until soft",
            "Notes", f"Keeps a week as the {dish} softens", f"Serve the {dish} hot with {other} bread",
            "Previous recipe", f"Quick {other} soup", "Next recipe", f"Old {dish} bread", *FOOTER]


SETTINGS = SiteRepeatSettings(min_pages=5)


@pytest.fixture
def profile() -> SiteProfile:
    return profile_of(lambda: [HostPage(HOST, recipe(n)) for n in range(16)], SETTINGS)


def removed(profile: SiteProfile, n: int, options: Options | None = None) -> set[str]:
    cleaned = Cleaner(site_profile=profile, options=options).process("\n".join(recipe(n)), url=f"https://{HOST}/{n}")
    return {r.text for r in cleaned.removals if r.rule_id == DETECTOR}


def test_the_profile_tells_a_heading_from_a_label(profile: SiteProfile) -> None:
    found = profile.hosts[HOST]
    # What follows "Method" is a line of that page's own on every page.
    assert found.fields["method"].is_heading(SETTINGS)
    # A byline's name recurs on other pages: "By" is a label, not a heading.
    assert not found.fields["by"].is_heading(SETTINGS)
    # The titles after a previous-link's label differ from page to page too: the page tells them apart (below).
    assert found.fields["previous recipe"].is_heading(SETTINGS)


def test_headings_between_the_pages_own_text_are_kept_and_the_furniture_goes(profile: SiteProfile) -> None:
    gone = removed(profile, 3)
    assert "Method" not in gone and "Notes" not in gone
    # The menu, the byline's label, the footer; the previous/next labels stand one line after the other's.
    assert {*NAV, "By", *FOOTER, "Previous recipe", "Next recipe"} <= gone


def test_keep_sections_false_removes_the_headings(profile: SiteProfile) -> None:
    off = Options(site_repeat=SiteRepeatSettings(keep_sections=False))
    assert {"Method", "Notes"} <= removed(profile, 3, off)


def test_a_heading_needs_a_section_on_both_sides(profile: SiteProfile) -> None:
    # With three lines asked for on either side, "Notes" (two lines after it) and "Method" (two before it,
    # the byline's name and the introduction) head no section.
    many = Options(site_repeat=SiteRepeatSettings(section_lines=3))
    assert {"Method", "Notes"} <= removed(profile, 3, many)


def test_a_heading_whose_followers_recur_is_not_kept() -> None:
    # One of three first steps on every page: what follows "Method" is no page's own text.
    def page(n: int) -> list[str]:
        lines = recipe(n)
        lines[lines.index("Method") + 1] = ("Wash your hands", "Clear the table", "Fetch a large pot")[n % 3]
        return lines

    profile = profile_of(lambda: [HostPage(HOST, page(n)) for n in range(16)], SETTINGS)
    assert not profile.hosts[HOST].fields["method"].is_heading(SETTINGS)
    # (It is a data sheet's field name now, as "By" is: the two in a row are kept as a sheet unless sheets are off.)
    no_sheets = Options(site_repeat=SiteRepeatSettings(keep_sheets=False))
    cleaned = Cleaner(site_profile=profile, options=no_sheets).process("\n".join(page(3)), url=f"https://{HOST}/3")
    assert "Method" in {r.text for r in cleaned.removals if r.rule_id == DETECTOR}


def test_section_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="section_lines"):
        SiteRepeatSettings(section_lines=0)
    with pytest.raises(ValueError, match="section_varied"):
        SiteRepeatSettings(section_varied=1.5)


def test_a_heading_may_end_a_short_run_of_repeated_lines() -> None:
    # A line the host repeats right above the heading (a call for submissions over "Quote of the Week"): the
    # heading ends a run shorter than inside_run and is kept; the call goes. Three in a row are a menu.
    def page(n: int, calls: list[str]) -> list[str]:
        lines = recipe(n)
        at = lines.index("Method")
        return [*lines[:at], *calls, *lines[at:]]

    one = ["Share your own stew"]
    profile = profile_of(lambda: [HostPage(HOST, page(n, one)) for n in range(16)], SETTINGS)
    alone = Options(site_repeat=SiteRepeatSettings(interleaved_run=0))
    cleaned = Cleaner(site_profile=profile, options=alone).process("\n".join(page(3, one)), url=f"https://{HOST}/3")
    gone = {r.text for r in cleaned.removals if r.rule_id == DETECTOR}
    assert "Share your own stew" in gone and "Method" not in gone
    # By default the two lines are a short run between the page's own text on every page (interleaved_run): both
    # are kept, as a digest's call for job offers over its next heading is the digest's text.
    cleaned = Cleaner(site_profile=profile).process("\n".join(page(3, one)), url=f"https://{HOST}/3")
    assert not {"Share your own stew", "Method"} & {r.text for r in cleaned.removals if r.rule_id == DETECTOR}
    three = ["Share your own stew", "Print", "Save"]
    profile = profile_of(lambda: [HostPage(HOST, page(n, three)) for n in range(16)], SETTINGS)
    cleaned = Cleaner(site_profile=profile).process("\n".join(page(3, three)), url=f"https://{HOST}/3")
    assert {*three, "Method"} <= {r.text for r in cleaned.removals if r.rule_id == DETECTOR}
