"""Site repetition keeps a short run of repeated lines that stands between two stretches of the page's own text (a
reference page's table header row, its inherited-methods heading): interleaved_run and its settings."""

from __future__ import annotations

import pytest

from cleaner import Cleaner
from cleaner.core.engine import Options
from cleaner.core.siterepeat import DETECTOR, SiteProfile, SiteRepeatSettings
from cleaner.run.siterepeat import HostPage, profile_of

HOST = "api.example"
MENU = ["Overview", "Package", "Class", "Tree", "Index", "Help"]
FOOTER = ["Copyright the shape authors", "Report a bug"]
#: The header row of every class page's method table: three cells, on every page, inside the text.
HEADER = ["Modifier and Type", "Method", "Description"]
NAMES = ("Circle", "Square", "Star", "Ring", "Kite", "Oval", "Cross", "Arrow", "Heart", "Moon", "Drop", "Leaf")
SETTINGS = SiteRepeatSettings(min_pages=5)


def page(n: int, header: list[str] = HEADER) -> list[str]:
    """A class page: the menu, the class's headline and declaration, a sentence of its own, the method table
    (the header row, then each method's type, signature and summary, lines of the page's own), the footer."""
    name, other = NAMES[n % len(NAMES)], NAMES[(n + 5) % len(NAMES)]
    return [*MENU, f"Class {name}", f"public class {name} extends {other}", f"A {name.lower()} drawn on a page.",
            *header, f"{name}Area", f"area{name}()", f"The area of the {name.lower()}.", f"{name}Path",
            f"path{name}(scale)", f"The outline of the {name.lower()} at a scale.", *FOOTER]


def profile_for(pages: list[list[str]]) -> SiteProfile:
    return profile_of(lambda: [HostPage(HOST, lines) for lines in pages], SETTINGS)


def removed(profile: SiteProfile, lines: list[str], options: Options | None = None) -> set[str]:
    cleaned = Cleaner(site_profile=profile, options=options).process("\n".join(lines), url=f"https://{HOST}/p")
    return {r.text for r in cleaned.removals if r.rule_id == DETECTOR}


def test_a_table_header_row_between_the_pages_own_text_is_kept() -> None:
    profile = profile_for([page(n) for n in range(12)])
    gone = removed(profile, page(3))
    assert not set(HEADER) & gone
    assert {*MENU, *FOOTER} <= gone  # furniture at the text's edges still goes


def test_interleaved_run_0_removes_the_header_row() -> None:
    profile = profile_for([page(n) for n in range(12)])
    assert set(HEADER) <= removed(profile, page(3), Options(site_repeat=SiteRepeatSettings(interleaved_run=0)))


def test_a_run_longer_than_interleaved_run_goes() -> None:
    wide = [*HEADER, "Since"]
    profile = profile_for([page(n, wide) for n in range(12)])
    assert set(wide) <= removed(profile, page(3, wide))
    longer = Options(site_repeat=SiteRepeatSettings(interleaved_run=4))
    assert not set(wide) & removed(profile, page(3, wide), longer)


def test_a_run_right_under_the_headline_goes() -> None:
    # A post's metadata labels right under its headline and date (fewer than interleaved_inner lines of the page's
    # own above them), with the page's own text on both sides.
    labels = ["Source", "Original site"]

    def post(n: int) -> list[str]:
        name = NAMES[n % len(NAMES)]
        return [*MENU, f"{name} soup", f"2019-12-{10 + n}", *labels, f"{name} kitchen", f"Boil the {name.lower()}",
                f"Serve the {name.lower()} warm", f"Salt the {name.lower()} at the end", *FOOTER]

    profile = profile_for([post(n) for n in range(12)])
    # (keep_sections off: it would keep the run's last line as a heading over the page's own text)
    alone = Options(site_repeat=SiteRepeatSettings(keep_sections=False))
    assert set(labels) <= removed(profile, post(3), alone)
    anywhere = Options(site_repeat=SiteRepeatSettings(keep_sections=False, interleaved_inner=0))
    assert not set(labels) & removed(profile, post(3), anywhere)


def test_a_run_the_host_prints_among_its_furniture_goes() -> None:
    # On most pages the two lines follow the menu and lead into the footer; on one page they stand between lines of
    # its own: the host's evidence (interleaved_share) says furniture.
    links = ["Related shapes", "All shapes"]

    def plain(n: int) -> list[str]:
        lines = page(n)
        return [*MENU, *links, *lines[len(MENU):-len(FOOTER)], *FOOTER]

    def inside(n: int) -> list[str]:
        lines = page(n)
        at = lines.index(HEADER[-1]) + 4
        return [*lines[:at], *links, *lines[at:]]

    profile = profile_for([plain(n) for n in range(12) if n != 3] + [inside(3)])
    alone = Options(site_repeat=SiteRepeatSettings(keep_sections=False))
    assert set(links) <= removed(profile, inside(3), alone)
    # Where the host has them between its pages' own text on every page, they are kept.
    profile = profile_for([inside(n) for n in range(12)])
    assert not set(links) & removed(profile, inside(3), alone)


def test_one_line_alone_is_left_to_keep_sections() -> None:
    # A single repeated line between the page's own text is a heading or a label: keep_sections tells them apart.
    profile = profile_for([page(n, ["Methods"]) for n in range(12)])
    off = Options(site_repeat=SiteRepeatSettings(keep_sections=False))
    assert "Methods" in removed(profile, page(3, ["Methods"]), off)


def test_interleaved_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="interleaved_run"):
        SiteRepeatSettings(interleaved_run=-1)
    with pytest.raises(ValueError, match="interleaved_own"):
        SiteRepeatSettings(interleaved_own=0)
    with pytest.raises(ValueError, match="interleaved_window"):
        SiteRepeatSettings(interleaved_window=0)
    with pytest.raises(ValueError, match="interleaved_share"):
        SiteRepeatSettings(interleaved_share=1.5)
    with pytest.raises(ValueError, match="interleaved_inner"):
        SiteRepeatSettings(interleaved_inner=-1)
