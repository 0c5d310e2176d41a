"""Site repetition keeps data sheets: field names a host repeats on every page, whose values vary (keep_sheets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cleaner import Cleaner
from cleaner.cli import main
from cleaner.core.engine import Options
from cleaner.core.siterepeat import (
    DETECTOR,
    FIELD_TRACK,
    Confirmed,
    FieldStats,
    ProfileError,
    SiteProfile,
    SiteRepeatSettings,
    build_profile,
)
from cleaner.run.siterepeat import HostPage, confirm, profile_of, sketch_of

NAV = ["Films", "Brands", "Shops", "About us"]
FOOTER = ["© 2024 Film Shelf", "Privacy policy"]
BRANDS = ("Kodak", "Ilford", "Fomapan", "Kentmere", "Lomography")
NAMES = ("Velvet", "Portra", "Gold", "Ektar", "Delta", "Ortho", "Retro", "Pan", "Color", "Metropolis", "Berlin",
         "Orca", "Wolfen", "Rollei", "Agfa", "Harman")


def film(n: int) -> str:
    return f"{BRANDS[n % len(BRANDS)]} {NAMES[n % len(NAMES)]} {100 * (1 + n % 4)}"


def product(n: int) -> list[str]:
    """A film's page: the site's menu, the film's sheet (names the template prints on every page, values of
    its own), a short note, links to the previous and next films, the footer."""
    sheet = ["Brand", BRANDS[n % len(BRANDS)], "Speed", f"ISO {100 * (1 + n % 4)}", "Type",
             ("colour negative", "black and white", "slide")[n % 3], f"Format: {('35mm', '120', 'sheet')[n % 3]}"]
    neighbours = ["Previous film", f"{NAMES[(n + 3) % len(NAMES)]} by the river", "Next film",
                  f"{NAMES[(n + 5) % len(NAMES)]} under the bridge"]
    return [*NAV, film(n), *sheet, f"Fine grain for {NAMES[(n + 7) % len(NAMES)]}.", *neighbours, *FOOTER]


def pages(count: int = 16, host: str = "films.example") -> list[HostPage]:
    return [HostPage(host, product(n)) for n in range(count)]


SETTINGS = SiteRepeatSettings(min_pages=5)


@pytest.fixture
def profile() -> SiteProfile:
    return profile_of(lambda: pages(), SETTINGS)


def kept_lines(profile: SiteProfile, n: int, options: Options | None = None) -> list[str]:
    cleaned = Cleaner(site_profile=profile, options=options).process("\n".join(product(n)),
                                                                      url=f"https://films.example/{n}")
    main = cleaned.records[0]
    return [main.title or "", *main.text.split("\n")]


def test_the_profile_names_the_fields_with_their_evidence(profile: SiteProfile) -> None:
    found = profile.hosts["films.example"]
    assert found.fields["brand"] == FieldStats(pages=16, valued=16, values=5, repeated=0, recurring=16)
    assert found.fields["brand"].is_field(SETTINGS) and found.fields["type"].is_field(SETTINGS)
    # The previous/next links' titles differ on every page and hold no digit: not data, not a field.
    assert not found.fields["previous film"].is_field(SETTINGS)
    assert found.named["format"].is_field(SETTINGS)  # "Format: 35mm", "Format: 120", ...
    assert "\x00format" not in found.lines  # the names of "Name: value" lines are counted apart
    assert SiteProfile.from_json(profile.as_json()) == profile


def test_a_sheets_field_names_are_kept_and_the_furniture_around_it_goes(profile: SiteProfile) -> None:
    lines = kept_lines(profile, 20)
    assert {"Brand", "Speed", "Type", "Format: sheet"} <= set(lines)
    assert not {"Films", "About us", "Previous film", "Next film", "Privacy policy"} & set(lines)
    off = Options(site_repeat=SiteRepeatSettings(keep_sheets=False))
    assert not {"Brand", "Speed", "Type"} & set(kept_lines(profile, 20, off))


def test_one_field_alone_is_not_a_sheet(profile: SiteProfile) -> None:
    # With sheet_fields above the fields in a row, the names go as any repeated line does.
    many = Options(site_repeat=SiteRepeatSettings(sheet_fields=5))
    assert "Brand" not in kept_lines(profile, 20, many)
    # A field name followed by a line that is not a value (a sentence) does not pair.
    lines = [*NAV, "Brand", "Every film on this page was shot by our readers in the city last summer, then "
             "developed at home.", *FOOTER]
    cleaned = Cleaner(site_profile=profile).process("\n".join(lines), url="https://films.example/x")
    assert "Brand" in {r.text for r in cleaned.removals if r.rule_id == DETECTOR}


def test_thresholds_decide_which_names_are_fields(profile: SiteProfile) -> None:
    found = profile.hosts["films.example"].fields
    assert not found["brand"].is_field(SiteRepeatSettings(field_values=6))  # five brands only
    assert found["brand"].is_field(SiteRepeatSettings(field_recurring=1.0))  # every brand is on several pages
    assert found["previous film"].is_field(SiteRepeatSettings(field_recurring=0.0))  # titles count then
    menu = FieldStats(pages=16, valued=16, values=3, repeated=16, recurring=16)  # a menu's next item
    assert not menu.is_field(SETTINGS) and menu.is_field(SiteRepeatSettings(field_repeated=1.0))
    # A field whose value is most often one common text the host repeats ("Immunities" over "none" on 23 of 40
    # pages) is a field; with field_repeated 0.5 it was not.
    common = FieldStats(pages=40, valued=40, values=9, repeated=23, recurring=36)
    assert common.is_field(SETTINGS) and not common.is_field(SiteRepeatSettings(field_repeated=0.5))


def test_the_counts_of_values_do_not_depend_on_order_or_shards() -> None:
    many = pages(16) + pages(12, "other.example")
    one = profile_of(lambda: many, SETTINGS).as_json()
    assert profile_of(lambda: list(reversed(many)), SETTINGS).as_json() == one
    sketch = sketch_of(many, SETTINGS)
    halves = Confirmed()
    for half in (many[::2], many[1::2]):
        halves.merge(confirm(half, sketch, SETTINGS))
    assert build_profile(halves, SETTINGS).as_json() == one


@pytest.mark.parametrize("entry, message", [
    ('"fields": {"brand": [16, 16, 5]}', "fields: key 'brand' needs five counts"),
    ('"named": []', "named: must be an object"),
])
def test_bad_field_counts_are_refused_with_the_reason(entry: str, message: str) -> None:
    body = ('{"format": "cleaner-site-profile", "version": 1, "hosts": {"a.com": {"pages": 3, "lines": {}, '
            + entry + "}}}")
    with pytest.raises(ProfileError, match="^my.json: host 'a.com': " + message):
        SiteProfile.from_json(body, name="my.json")


def test_explain_names_the_fields_and_their_evidence(tmp_path: Path, profile: SiteProfile,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "profile.json"
    saved.write_text(profile.as_json(), encoding="utf-8")
    single = tmp_path / "one.txt"
    single.write_text("\n".join(product(30)), encoding="utf-8")
    capsys.readouterr()
    assert main(["explain", str(single), "--url", "https://films.example/30", "--site-profile", str(saved)]) == 0
    out = capsys.readouterr().out
    assert "keep_sheets true, sheet_fields 2" in out
    assert "a data sheet's field names, kept where 2 sit in a row: " in out
    assert ("'brand' (a value on 16 of 16 pages, 5 different, 16 of them data (recurring or with a digit), 0 of "
            "them lines the host repeats)") in out


def test_values_past_the_bounds_are_counted_apart() -> None:
    found = Confirmed()
    for value in ("kodak", "ilford", "kodak", "foma", "agfa"):
        found.add_value(("a.com", "brand"), value, budget=2)
    assert found.values[("a.com", "brand")] == {"kodak": 2, "ilford": 1} and found.overflow[("a.com", "brand")] == 2
    assert found.tracked == 2
    # Merging keeps at most FIELD_TRACK values per pair, the most frequent, and counts the rest apart.
    many = Confirmed()
    for n in range(FIELD_TRACK + 5):
        many.add_value(("a.com", "brand"), f"brand {n}", budget=1000)
    found.merge(many)
    assert len(found.values[("a.com", "brand")]) == FIELD_TRACK
    assert found.values[("a.com", "brand")]["kodak"] == 2
    assert sum(found.values[("a.com", "brand")].values()) + found.overflow[("a.com", "brand")] == 5 + FIELD_TRACK + 5
