"""Site repetition keeps a section heading that the host prints right after a run of its furniture inside the article
(a "Frequent questions" under a share bar, over the page's own questions): section_after_run and section_after_own."""

from __future__ import annotations

import pytest

from cleaner import Cleaner
from cleaner.core.engine import Options
from cleaner.core.siterepeat import DETECTOR, SiteProfile, SiteRepeatSettings
from cleaner.run.siterepeat import HostPage, profile_of

HOST = "recipes.example"
MENU = ["Recipes", "Health", "Flours", "Advice"]
#: A promotion box and a share bar the host prints inside the article, after its text, on most pages.
SHARE = ["The flour handbook", "Get the handbook", "Pass it on to a friend", "Facebook WhatsApp Copy"]
HEADING = "Frequent questions"
FOOTER = ["About us", "Legal notice", "Contact the kitchen"]
NAMES = ("Bread", "Crepes", "Pizza", "Cookies", "Muffins", "Lasagne", "Quiche", "Brownie", "Pasta", "Scones", "Waffles",
         "Galettes")
SETTINGS = SiteRepeatSettings(min_pages=5)


def page(n: int, share: bool = True) -> list[str]:
    """A recipe: the menu, its headline and text (sentences of its own), the share bar (when ``share``), the heading
    over its own questions and answers, the footer."""
    name = NAMES[n % len(NAMES)]
    low = name.lower()
    return [*MENU, f"{name} without gluten",
            f"These {low} are made with rice flour and a little starch, and they keep well for three days.",
            f"Mix the flours, add the butter and the eggs, then bake the {low} until they are golden on top.",
            *(SHARE if share else []), HEADING, f"Can the {low} be frozen?",
            f"Yes, the {low} freeze well for a month when they are wrapped tightly once they have cooled.",
            f"Which flour suits {low} best?",
            f"A mix of rice flour and potato starch gives {low} the softest crumb and the best colour.", *FOOTER]


def profile_for(pages: list[list[str]]) -> SiteProfile:
    return profile_of(lambda: [HostPage(HOST, lines) for lines in pages], SETTINGS)


def removed(profile: SiteProfile, lines: list[str], options: Options | None = None) -> set[str]:
    cleaned = Cleaner(site_profile=profile, options=options).process("\n".join(lines), url=f"https://{HOST}/p")
    return {r.text for r in cleaned.removals if r.rule_id == DETECTOR}


def mixed() -> SiteProfile:
    """The host prints the share bar on two pages of three: on the others the heading follows the page's text."""
    return profile_for([page(n, share=n % 3 != 0) for n in range(12)])


def test_a_heading_after_the_share_bar_is_kept_and_the_furniture_goes() -> None:
    profile = mixed()
    gone = removed(profile, page(4))
    assert HEADING not in gone
    assert {*MENU, *SHARE, *FOOTER} <= gone


def test_section_after_run_0_removes_the_heading() -> None:
    off = Options(site_repeat=SiteRepeatSettings(section_after_run=0))
    assert HEADING in removed(mixed(), page(4), off)


def test_a_heading_the_host_always_prints_after_its_furniture_goes() -> None:
    # Never right after the page's own text: as the last line of a login box or a menu is, it is the run's.
    always = profile_for([page(n) for n in range(12)])
    assert HEADING in removed(always, page(4))
    # On a third of its pages it follows the page's own text: more than section_after_own asks for, less than 0.5.
    assert HEADING in removed(mixed(), page(4), Options(site_repeat=SiteRepeatSettings(section_after_own=0.5)))


def test_a_heading_after_a_run_above_the_pages_text_goes() -> None:
    # The same run at the top of the page (before its first anchor) is a menu leading into the headline.
    def top(n: int) -> list[str]:
        lines = page(n, share=n % 3 != 0)
        return [*SHARE, HEADING, *[line for line in lines if line not in SHARE and line != HEADING]]

    profile = profile_for([top(n) for n in range(12)])
    assert HEADING in removed(profile, top(4))


@pytest.mark.parametrize("name", ["section_after_run", "section_after_own"])
def test_after_run_settings_are_checked(name: str) -> None:
    with pytest.raises(ValueError, match=name):
        SiteRepeatSettings(**{name: 1.5})
