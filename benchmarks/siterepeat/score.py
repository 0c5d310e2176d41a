"""Scores ``struct:site-repeat`` on the multi-page dumps: junk-line recall and content loss, per part.

    python -m benchmarks.siterepeat.score [--verbose]

Each host's pages are counted as a batch run counts them (two looks, :func:`profile_of`), then every
page is cleaned with the built-in rules and the profile. A labelled line is kept when it is in the
page's main record (title or text) and no removal starts on it; junk-line recall is the share of ``J``
lines not kept, content loss the share of ``C`` lines not kept. The same figures without the profile
(rules alone) are printed beside.
"""

from __future__ import annotations

import argparse
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate

from benchmarks.siterepeat.constructed import constructed
from benchmarks.siterepeat.dumps import Dump, Page, dumps
from cleaner import Cleaner
from cleaner.core.siterepeat import DETECTOR, SiteProfile, SiteRepeatSettings
from cleaner.core.text import normalize_line
from cleaner.run.siterepeat import HostPage, profile_of

PARTS = ("tuned", "heldapart")
#: Characters the engine drops at the edges of a line (zero-width spaces and marks): a heading printed as
#: "install\u200b" is kept as "install", which is the same line.
_EDGE_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u061c"


def _key(line: str) -> str:
    return normalize_line(normalize_line(line).strip(_EDGE_INVISIBLE))


@dataclass
class Figures:
    junk: int = 0
    junk_removed: int = 0
    content: int = 0
    content_lost: int = 0
    #: Junk lines removed and content lines lost by struct:site-repeat itself (not by a rule).
    junk_by_repeat: int = 0
    content_by_repeat: int = 0
    lost: Counter[str] = field(default_factory=Counter)
    missed: Counter[str] = field(default_factory=Counter)

    def add(self, other: Figures) -> None:
        self.junk += other.junk
        self.junk_removed += other.junk_removed
        self.content += other.content
        self.content_lost += other.content_lost
        self.junk_by_repeat += other.junk_by_repeat
        self.content_by_repeat += other.content_by_repeat
        self.lost.update(other.lost)
        self.missed.update(other.missed)

    @property
    def recall(self) -> float:
        return self.junk_removed / self.junk if self.junk else 0.0

    @property
    def loss(self) -> float:
        return self.content_lost / self.content if self.content else 0.0

    @property
    def repeat_loss(self) -> float:
        """Content loss that struct:site-repeat adds (lines it removed that are content)."""
        return self.content_by_repeat / self.content if self.content else 0.0


def score_page(cleaner: Cleaner, page: Page) -> Figures:
    """A line is kept when no removal starts on it (by the removals' offsets, so of two equal lines the
    one removed is the one counted) and it is in the main record (not moved into another record)."""
    cleaned = cleaner.process(page.text, url=page.url)
    main = next((r for r in cleaned.records if r.kind == "main"), None)
    starts = list(accumulate((len(line) + 1 for line in page.lines[:-1]), initial=0))
    removed_by: dict[int, str] = {}
    for removal in cleaned.removals:
        removed_by.setdefault(bisect_right(starts, removal.start) - 1, removal.rule_id)
    kept: Counter[str] = Counter()
    if main is not None:
        kept.update(_key(line) for line in ([main.title] if main.title else []) + main.text.split("\n"))
    figures = Figures()
    for index, (label, line) in enumerate(zip(page.labels, page.lines, strict=True)):
        key = _key(line)
        here = index not in removed_by and kept[key] > 0
        if here:
            kept[key] -= 1
        if label == "-":
            continue
        repeat = removed_by.get(index) == DETECTOR
        if label == "J":
            figures.junk += 1
            figures.junk_removed += not here
            figures.junk_by_repeat += repeat
            if here:
                figures.missed[key[:80]] += 1
        else:
            figures.content += 1
            figures.content_by_repeat += repeat
            if not here:
                figures.content_lost += 1
                figures.lost[key[:80]] += 1
    return figures


def profile_for(dump: Dump, settings: SiteRepeatSettings) -> SiteProfile:
    pages = [HostPage(dump.host, p.lines) for p in dump.pages]
    return profile_of(lambda: pages, settings)


def score_dump(dump: Dump, settings: SiteRepeatSettings | None = None, *, rules_only: bool = False) -> Figures:
    profile = None if rules_only else profile_for(dump, settings or SiteRepeatSettings())
    cleaner = Cleaner(site_profile=profile)
    total = Figures()
    for page in dump.pages:
        total.add(score_page(cleaner, page))
    return total


def score_part(part: str, settings: SiteRepeatSettings | None = None, *, rules_only: bool = False,
               built: bool = False) -> tuple[Figures, dict[str, Figures]]:
    """Figures of the real dumps of a part, or (``built``) of the dumps constructed from its pages."""
    chosen = constructed(part) if built else dumps(part)
    per_host = {d.host: score_dump(d, settings, rules_only=rules_only) for d in chosen}
    total = Figures()
    for figures in per_host.values():
        total.add(figures)
    return total, per_host


def host_table(part: str, per_host: dict[str, Figures]) -> str:
    """One line per host: junk-line recall, content loss and what struct:site-repeat itself did."""
    rows = [f"  {part:<9} {host:<24} recall {f.recall:.3f}  loss {f.loss:.4f} ({f.content_lost} of {f.content}; "
            f"{f.content_by_repeat} by site-repeat)  junk {f.junk}"
            for host, f in per_host.items()]
    macro = sum(f.recall for f in per_host.values()) / len(per_host) if per_host else 0.0
    macro_loss = sum(f.loss for f in per_host.values()) / len(per_host) if per_host else 0.0
    worst = max((f.loss for f in per_host.values()), default=0.0)
    rows.append(f"  {part:<9} {'mean of the hosts':<24} recall {macro:.3f}  loss {macro_loss:.4f} (worst host "
                f"{worst:.4f})")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verbose", action="store_true", help="also list the content lines lost, per host")
    args = parser.parse_args(argv)
    for part, built in [(p, b) for b in (False, True) for p in PARTS]:
        total, per_host = score_part(part, built=built)
        print(line_of(part, built, total, len(per_host)))
        if not built:
            for group, (figures, hosts) in by_group(part, per_host).items():
                print("  " + line_of(f"{part}, {group or 'first hosts'}", built, figures, len(hosts)))
        for host, figures in per_host.items():
            if built and not args.verbose:
                continue
            print(f"  {host}: recall {figures.recall:.3f}, loss {figures.loss:.4f} "
                  f"({figures.content_lost} of {figures.content}; {figures.content_by_repeat} by site-repeat)")
            if args.verbose:
                for line, n in figures.lost.most_common(15):
                    print(f"      lost {n}x {line!r}")
                for line, n in figures.missed.most_common(15):
                    print(f"      junk kept {n}x {line!r}")


def by_group(part: str, per_host: dict[str, Figures]) -> dict[str, tuple[Figures, dict[str, Figures]]]:
    """The figures of a part's real dumps (``per_host``, from :func:`score_part`) pooled per group of hosts ("" first:
    the hosts whose figures the gates hold)."""
    found: dict[str, tuple[Figures, dict[str, Figures]]] = {}
    for dump in dumps(part):
        total, hosts = found.setdefault(dump.group, (Figures(), {}))
        total.add(per_host[dump.host])
        hosts[dump.host] = per_host[dump.host]
    return dict(sorted(found.items()))


def line_of(part: str, built: bool, total: Figures, hosts: int) -> str:
    kind = "constructed" if built else "real"
    rules = (total.junk_removed - total.junk_by_repeat) / total.junk if total.junk else 0.0
    return (f"{part} ({kind}, {hosts} hosts): junk-line recall {total.recall:.3f} (rules alone {rules:.3f}), "
            f"content loss {total.loss:.4f} of which site-repeat {total.repeat_loss:.4f}; "
            f"{total.junk} junk and {total.content} content lines")


if __name__ == "__main__":
    main()
