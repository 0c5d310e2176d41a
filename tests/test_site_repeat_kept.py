"""Site repetition's one-read pre-pass: the first look keeps keyed pages for the second (within ``cache_bytes``),
and the profile is the same whatever it kept, as with two full reads."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

import cleaner.run.siterepeat as siterepeat
from cleaner.core.siterepeat import SiteRepeatSettings
from cleaner.io.readers import ReadOptions
from cleaner.run.plan import Shard, expand_inputs, plan_shards
from cleaner.run.siterepeat import HostPage, KeyedPage, shards_profile

NAV = ["Home", "Shop", "Reviews", "Contact us"]
FOOTER = ["© 2024 Example Media", "Privacy policy"]
SETTINGS = SiteRepeatSettings(min_pages=4)


def page(n: int, host: str) -> str:
    fields = [f"Price: {n % 4} euros", "Colour:", ("red", "blue", "green")[n % 3]]
    body = [f"Review number {n} of the {host} kettle", f"The kettle {n} boiled water in {n + 40} seconds, which the "
            f"testers at {host} found slow for its price and noisy at night."]
    return "\n".join(NAV + body + fields + FOOTER)


def dump(tmp_path: Path) -> list[Shard]:
    rows = []
    for n in range(30):  # three hosts of different sizes, interleaved, and pages without a URL
        host = ("big.example", "mid.example", "big.example", "tiny.example", "mid.example")[n % 5]
        rows.append({"id": f"d{n}", "url": f"https://{host}/{n}", "text": page(n, host)})
        if n % 7 == 0:
            rows.append({"id": f"u{n}", "text": page(n, "nowhere")})
    path = tmp_path / "dump.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return plan_shards(expand_inputs([str(path)]), ReadOptions(), 2500)


def two_reads(shards: list[Shard]) -> str:
    """The profile of two full looks (the mapper path keeps nothing)."""
    return shards_profile(shards, ReadOptions(), SETTINGS, mapper=lambda f, items: map(f, items)).as_json()


def one_page_size() -> int:
    lines = page(0, "big.example").split("\n")
    return KeyedPage("big.example", [(line, line.casefold()) for line in lines], set(lines)).size()


def test_the_profile_is_the_same_whatever_the_first_look_kept(tmp_path: Path) -> None:
    shards = dump(tmp_path)
    assert len(shards) > 2
    expected = two_reads(shards)
    assert '"big.example"' in expected and '"mid.example"' in expected and "price" in expected
    one_page = one_page_size()
    for budget in (0, one_page, 3 * one_page, 10 * one_page, siterepeat.CACHE_BYTES):
        assert shards_profile(shards, ReadOptions(), SETTINGS, cache_bytes=budget).as_json() == expected


def counted_reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    reads: Counter[str] = Counter()
    real = siterepeat.shard_pages

    def counting(shard: Shard, read: ReadOptions) -> Iterator[HostPage]:
        reads[shard.key] += 1
        return real(shard, read)

    monkeypatch.setattr(siterepeat, "shard_pages", counting)
    return reads


def test_shards_kept_whole_are_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shards = dump(tmp_path)
    reads = counted_reads(monkeypatch)
    shards_profile(shards, ReadOptions(), SETTINGS)
    assert reads == Counter({shard.key: 1 for shard in shards})
    reads.clear()
    shards_profile(shards, ReadOptions(), SETTINGS, cache_bytes=0)  # nothing kept: every shard is read twice
    assert reads == Counter({shard.key: 2 for shard in shards})


def test_kept_pages_stay_within_the_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shards = dump(tmp_path)
    kept: list[int] = []
    real = KeyedPage.size

    def size(self: KeyedPage) -> int:
        kept.append(real(self))
        return kept[-1]

    monkeypatch.setattr(KeyedPage, "size", size)
    budget = 8 * one_page_size()  # a few shards' worth, not all 30-odd pages
    reads = counted_reads(monkeypatch)
    shards_profile(shards, ReadOptions(), SETTINGS, cache_bytes=budget)
    # Pages are kept while the next one fits; past the first that does not, none is (each shard's kept pages are
    # a prefix of its pages), so the first shard is read once and the last again.
    total, fitting = 0, 0
    for cost in kept:
        if total + cost > budget:
            break
        total += cost
        fitting += 1
    assert 0 < fitting < len(kept) and total <= budget
    assert len(kept) - fitting <= len(shards)  # once the room is spent, a shard offers one page and keeps none
    assert reads[shards[0].key] == 1 and reads[shards[-1].key] == 2
