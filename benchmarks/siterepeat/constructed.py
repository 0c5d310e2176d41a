"""Constructed multi-page dumps: each labelled page of the structure benchmark as a host of 20 pages.

Real dumps of many hosts with many saved pages each are rare in public repositories, so the site
repetition benchmark also builds them from the structure benchmark's single pages (nothing is stored):
for a page of site S, the lines of the template kinds (navigation, footer, cookie, login, newsletter and
share lines) stay where they are on every page of S, as a site's template does, and every other run of
lines (the article, its metadata, related items, comments, ads, author boxes) is replaced, page by page,
by the corresponding lines of another page of the same part (the same language when there are enough).
So what repeats across the host is only what a site repeats, and content never repeats.

Labels: ``C`` for content and title lines (``C``, ``T``), ``J`` for junk of any kind; metadata and
related-record lines (``M``, ``R``) are kept on the pages but not scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchmarks.siterepeat.dumps import Dump, Page

STRUCTURE = Path(__file__).resolve().parent.parent / "structure"
TEMPLATE_KINDS = frozenset({"J:nav", "J:footer", "J:cookie", "J:login", "J:newsletter", "J:share"})
PAGES_PER_HOST = 20


@dataclass(frozen=True)
class Labelled:
    site: str
    lang: str
    labels: tuple[str, ...]
    lines: tuple[str, ...]


def read_labelled(path: Path) -> Labelled:
    head: dict[str, str] = {}
    labels: list[str] = []
    lines: list[str] = []
    for raw in path.read_text(encoding="utf-8").split("\n"):
        if raw.startswith("#"):
            key, _, value = raw[1:].partition(":")
            head.setdefault(key.strip(), value.strip())
        elif raw:
            label, _, text = raw.partition("|")
            labels.append(label)
            lines.append(text)
    return Labelled(head.get("site", path.stem), head.get("lang", "?"), tuple(labels), tuple(lines))


def _scored(label: str) -> str:
    if label in ("C", "T"):
        return "C"
    return "J" if label.startswith("J") else "-"


def _segments(page: Labelled) -> list[tuple[bool, list[int]]]:
    """Runs of line indexes, each marked template (True) or not."""
    runs: list[tuple[bool, list[int]]] = []
    for index, label in enumerate(page.labels):
        fixed = label in TEMPLATE_KINDS
        if runs and runs[-1][0] == fixed:
            runs[-1][1].append(index)
        else:
            runs.append((fixed, [index]))
    return runs


def host_dump(template: Labelled, donors: list[Labelled], pages: int = PAGES_PER_HOST) -> Dump:
    host = f"{template.site}.constructed"
    runs = _segments(template)
    variable = [indexes for fixed, indexes in runs if not fixed]
    built = []
    for number in range(pages):
        donor = template if number == 0 else donors[(number - 1) % len(donors)]
        filler = [i for i, label in enumerate(donor.labels) if label not in TEMPLATE_KINDS]
        # the donor's lines are shared out over the template's variable runs in proportion to their sizes
        total = sum(len(run) for run in variable) or 1
        shares, start = [], 0
        for at, run in enumerate(variable):
            end = len(filler) if at == len(variable) - 1 else start + round(len(filler) * len(run) / total)
            shares.append(filler[start:end])
            start = end
        labels: list[str] = []
        lines: list[str] = []
        slot = 0
        for fixed, indexes in runs:
            if fixed:
                labels.extend(_scored(template.labels[i]) for i in indexes)
                lines.extend(template.lines[i] for i in indexes)
            else:
                labels.extend(_scored(donor.labels[i]) for i in shares[slot])
                lines.extend(donor.lines[i] for i in shares[slot])
                slot += 1
        if not variable:
            labels.extend(_scored(donor.labels[i]) for i in filler)
            lines.extend(donor.lines[i] for i in filler)
        built.append(Page(f"https://{host}/page/{number}", tuple(labels), tuple(lines)))
    return Dump(host, template.lang, f"constructed from structure benchmark page of {template.site}", tuple(built))


def constructed(part: str) -> list[Dump]:
    pages = [read_labelled(p) for p in sorted((STRUCTURE / part).glob("*.txt"))]
    dumps = []
    for index, template in enumerate(pages):
        others = [p for p in pages if p.site != template.site]
        same = [p for p in others if p.lang == template.lang]
        pool = same if len(same) >= PAGES_PER_HOST - 1 else others
        rotated = pool[index % len(pool):] + pool[:index % len(pool)]
        dumps.append(host_dump(template, rotated))
    return dumps
