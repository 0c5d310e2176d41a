"""The HTML path on the structure set's own pages, beside plain trafilatura in the same run.

Each page of the structure set (``pages/``, the labelled naive texts in ``tuned/`` and ``heldapart/``) is
extracted from its HTML by this project's HTML path and by ``trafilatura.extract`` (``include_comments=False``,
the options the project's own call uses). The reference is the page's content lines (label ``C``): the article,
its subheadings, lists and tables, never menus, related teasers or readers' comments. Per extractor, part and
group (``all``, ``type:<type>``, ``lang:<code>``): the mean word precision, recall and F1 over the pages
(the WCXB metric: bag of lower-cased ``\\w+`` tokens), and the pages with content left without a main record.

Neither extractor's title is part of its main text, so a headline labelled ``C`` costs both the same.

    python -m benchmarks.structure.html_f1
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from benchmarks.structure.naive_text import read_page
from benchmarks.structure.score import PARTS, ROOT, Page, load
from cleaner.evaluation import Extractor, cleaner_extractor, trafilatura_extractor, word_prf

EXTRACTORS = ("cleaner", "trafilatura")


@dataclass
class HtmlGroup:
    """Sums over the pages of one slice (a part, or a page type or language inside a part)."""

    pages: int = 0
    precision: float = 0.0
    recall: float = 0.0
    f1: float = 0.0
    #: Pages whose reference has words but whose main text is empty.
    empty: int = 0

    def add(self, precision: float, recall: float, f1: float, empty: bool) -> None:
        self.pages += 1
        self.precision += precision
        self.recall += recall
        self.f1 += f1
        self.empty += int(empty)

    def mean(self, total: float) -> float:
        return total / self.pages if self.pages else 0.0


#: Per extractor, part and group: the sums of that slice.
HtmlFigures = dict[str, dict[str, dict[str, HtmlGroup]]]


def reference(page: Page) -> str:
    """The page's content lines, one per line."""
    return "\n".join(line for label, _, line in page.dump.lines if label == "C")


def page_html(page: Page) -> bytes:
    stem = page.dump.name.split("/", 1)[1].removesuffix(".txt")
    return read_page(ROOT / "pages" / f"{stem}.html.gz")


def measure(pages: list[Page] | None = None, extractors: dict[str, Extractor] | None = None) -> HtmlFigures:
    chosen = extractors or {"cleaner": cleaner_extractor(), "trafilatura": trafilatura_extractor()}
    figures: HtmlFigures = {name: {part: defaultdict(HtmlGroup) for part in PARTS} for name in chosen}
    for page in pages if pages is not None else load():
        html, wanted = page_html(page), reference(page)
        for name, extract in chosen.items():
            main = extract(html, page.dump.url or None)
            precision, recall, f1 = word_prf(main, wanted)
            empty = not main.strip() and bool(wanted.strip())
            for key in ("all", f"type:{page.type}", f"lang:{page.language}"):
                figures[name][page.part][key].add(precision, recall, f1, empty)
    return {name: {part: dict(groups) for part, groups in parts.items()} for name, parts in figures.items()}


def report(figures: HtmlFigures) -> str:
    names = list(figures)
    rows = ["word precision / recall / F1 (mean over pages) against the content lines; empty main records"]
    for part in PARTS:
        groups = figures[names[0]][part]
        rows.append(f"== {part}")
        for key in ["all", *sorted(k for k in groups if k.startswith("type:")),
                    *sorted(k for k in groups if k.startswith("lang:"))]:
            cells = []
            for name in names:
                group = figures[name][part][key]
                cells.append(f"{name} P {group.mean(group.precision):.3f} R {group.mean(group.recall):.3f} "
                             f"F1 {group.mean(group.f1):.4f} empty {group.empty}")
            rows.append(f"{key:<14} pages {groups[key].pages:>3}  " + " | ".join(cells))
    return "\n".join(rows)


if __name__ == "__main__":
    print(report(measure()))
