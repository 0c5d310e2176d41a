"""Quality of the text path on real pages: the dumps scrapers write, before and after cleaning.

Every page of the evaluation sets (read in place, never copied) is turned into the text dumps scrapers
actually produce, then cleaned; the main record is scored against the page's ground truth:

- ``blocks``: whole-page block text, each block element's text on its own line (what ``get_text("\\n")``
  style scrapers and most HTML-to-text tools write), menus, footers and comment sections included;
- ``trafilatura``: ``trafilatura.extract`` with recall favoured and comments included, as crawlers that
  keep "everything that might be content" run it.

Figures, per dump style and page type, before (the raw dump) and after cleaning: word precision, recall
and F1 (the WCXB bag-of-words metric), the share of WCXB ``without`` snippets (boilerplate) still present,
the share of ``with`` snippets (content) kept, and content-line loss (dump lines that belong to the
ground truth but are missing from the main record).

    python -m benchmarks.quality.text_path ../shared/eval [--limit N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cleaner import Cleaner
from cleaner.evaluation import scrapinghub_pages, snippet_share, wcxb_pages, word_key, word_prf

STYLES = ("blocks", "trafilatura")

# --- dumps ---------------------------------------------------------------------------------------------

_SKIPPED = frozenset({"script", "style", "noscript", "template", "svg", "head", "iframe", "object", "canvas",
                      "select", "math"})
_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "details", "dialog", "div", "dl",
    "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hgroup", "hr", "li", "main", "menu", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody",
    "td", "tfoot", "th", "thead", "tr", "ul", "option", "legend", "button", "label",
})


def block_text(html: bytes) -> str:
    """Whole-page text with each block element on its own line, blank lines dropped."""
    import lxml.html

    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        try:
            root = lxml.html.document_fromstring(html.decode("utf-8", "replace"))
        except (ValueError, lxml.etree.ParserError):
            return ""
    body = root.find("body")
    parts: list[str] = []
    _walk(body if body is not None else root, parts)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _walk(element, parts: list[str]) -> None:  # type: ignore[no-untyped-def]
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag and tag.lower() not in _SKIPPED:
        block = tag.lower() in _BLOCKS
        if block:
            parts.append("\n")
        if element.text:
            parts.append(element.text)
        for child in element:
            _walk(child, parts)
        if block:
            parts.append("\n")
    if element.tail:
        parts.append(element.tail)


def trafilatura_text(html: bytes, url: str | None) -> str:
    import trafilatura

    return trafilatura.extract(html, url=url, favor_recall=True, include_comments=True,
                               include_tables=True, with_metadata=False) or ""


DUMPERS: dict[str, Callable[[bytes, str | None], str]] = {
    "blocks": lambda html, _url: block_text(html),
    "trafilatura": trafilatura_text,
}


# --- metrics -------------------------------------------------------------------------------------------

def content_lines(dump: str, truth: str) -> list[str]:
    """Dump lines (normalised) that belong to the ground truth: their words appear there as a run."""
    reference = word_key(truth)
    found = []
    for line in dump.split("\n"):
        normal = word_key(line)
        if len(normal.split()) >= 3 and normal in reference:
            found.append(normal)
    return found


# --- the run -------------------------------------------------------------------------------------------

@dataclass
class Tally:
    """Sums for one (style, page type) cell; means are taken per page."""

    pages: int = 0
    sums: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, **figures: float) -> None:
        for name, value in figures.items():
            self.sums[name] += value

    def mean(self, name: str, over: str | None = None) -> float:
        denominator = self.sums.get(over, 0.0) if over else self.pages
        return self.sums.get(name, 0.0) / denominator if denominator else 0.0


@dataclass
class Page:
    set_name: str
    page_id: str
    page_type: str
    html: bytes
    url: str | None
    truth: str
    with_snippets: list[str]
    without_snippets: list[str]


def pages(data: Path, limit: int | None = None) -> Iterator[Page]:
    if (data / "wcxb-dev" / "ground-truth").is_dir():
        for page_id, html, url, truth in wcxb_pages(data / "wcxb-dev", limit):
            page_type = "other"
            yield Page("wcxb", page_id, page_type, html, url, truth.get("main_content") or "",
                       list(truth.get("with") or []), list(truth.get("without") or []))
    if (data / "scrapinghub-aeb" / "ground-truth.json").is_file():
        for page_id, html, url, body in scrapinghub_pages(data / "scrapinghub-aeb", limit):
            yield Page("scrapinghub", page_id, "article (aeb)", html, url, body, [], [])


def _page_types(data: Path) -> dict[str, str]:
    import gzip

    types: dict[str, str] = {}
    for path in (data / "wcxb-dev" / "ground-truth").glob("*.json.gz"):
        record = json.loads(gzip.decompress(path.read_bytes()))
        types[path.name.split(".")[0]] = record.get("_internal", {}).get("page_type", {}).get("primary", "other")
    return types


def dumped_pages(data: Path, limit: int | None = None) -> Iterator[tuple[Page, dict[str, str]]]:
    """Every page with its dump in each style."""
    for page in pages(data, limit):
        yield page, {style: dump_of(page.html, page.url) for style, dump_of in DUMPERS.items()}


def evaluate_text_path(data: Path, limit: int | None = None, cleaner: Cleaner | None = None, *,
                       dumps: Iterable[tuple[Page, dict[str, str]]] | None = None,
                       cleaners: Mapping[str, Cleaner] | None = None) -> dict[str, dict[str, dict[str, float]]]:
    """Figures by dump style, then page type (and "all"), then metric. ``dumps``: pages already dumped
    (else they are made here); ``cleaners``: a cleaner per style (else ``cleaner``, else the built-ins)."""
    built = cleaner or Cleaner()
    types = _page_types(data) if (data / "wcxb-dev").is_dir() else {}
    tallies: dict[tuple[str, str], Tally] = defaultdict(Tally)
    seconds = defaultdict(float)
    for page, by_style in (dumps if dumps is not None else dumped_pages(data, limit)):
        page_type = types.get(page.page_id, page.page_type) if page.set_name == "wcxb" else page.page_type
        for style, dump in by_style.items():
            started = time.perf_counter()
            records = (cleaners or {}).get(style, built).clean(dump, url=page.url)
            seconds[style] += time.perf_counter() - started
            main_record = next((r for r in records if r.kind == "main"), None)
            main = main_record.text if main_record is not None else ""
            before, after = word_prf(dump, page.truth), word_prf(main, page.truth)
            with_before, with_total = snippet_share(page.with_snippets, dump)
            with_after, _ = snippet_share(page.with_snippets, main)
            without_before, without_total = snippet_share(page.without_snippets, dump)
            without_after, _ = snippet_share(page.without_snippets, main)
            lines = content_lines(dump, page.truth)
            # A headline the cleaner moved from the text into the main record's title is still in the main
            # record: content loss counts lines missing from the record, not from its text field.
            kept = word_key(f"{main_record.title or ''}\n{main}" if main_record is not None else "")
            anywhere = word_key("\n".join(f"{r.title or ''}\n{r.source or ''}\n{r.text}" for r in records))
            lost = sum(1 for line in lines if line not in kept)
            nowhere = sum(1 for line in lines if line not in anywhere)
            # On forums the replies are the content, and they become records of kind "comments" by design:
            # "all but forum" keeps that apart from what would be a loss on any other page.
            groups = [(style, page_type), (style, "all")] + ([(style, "all but forum")] if page_type != "forum" else [])
            for key in groups:
                tally = tallies[key]
                tally.pages += 1
                tally.add(p_before=before[0], r_before=before[1], f1_before=before[2],
                          p_after=after[0], r_after=after[1], f1_after=after[2],
                          with_total=with_total, with_before=with_before, with_after=with_after,
                          without_total=without_total, without_before=without_before, without_after=without_after,
                          content_lines=len(lines), content_lost=lost, content_nowhere=nowhere)
    results: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    for (style, page_type), tally in sorted(tallies.items()):
        results[style][page_type] = {
            "pages": tally.pages,
            "f1_before": round(tally.mean("f1_before"), 4), "f1_after": round(tally.mean("f1_after"), 4),
            "precision_before": round(tally.mean("p_before"), 4), "precision_after": round(tally.mean("p_after"), 4),
            "recall_before": round(tally.mean("r_before"), 4), "recall_after": round(tally.mean("r_after"), 4),
            "without_before": round(tally.mean("without_before", "without_total"), 4),
            "without_after": round(tally.mean("without_after", "without_total"), 4),
            "with_before": round(tally.mean("with_before", "with_total"), 4),
            "with_after": round(tally.mean("with_after", "with_total"), 4),
            "content_line_loss": round(tally.mean("content_lost", "content_lines"), 4),
            "content_in_no_record": round(tally.mean("content_nowhere", "content_lines"), 4),
        }
    for style, spent in seconds.items():
        results[style]["all"]["clean_ms_per_page"] = round(1000 * spent / max(1, results[style]["all"]["pages"]), 3)
    return dict(results)


def table(results: dict[str, dict[str, dict[str, float]]]) -> str:
    """A plain-text table: one row per dump style and page type, before -> after."""
    rows = [f"{'dump':<12}{'page type':<15}{'pages':>6}  {'word F1':>15}  {'precision':>15}  {'recall':>15}  "
            f"{'without left':>15}  {'with kept':>15}  {'out of main':>11}  {'in no record':>12}"]
    for style, by_type in results.items():
        for page_type, f in sorted(by_type.items(), key=lambda kv: (not kv[0].startswith("all"), kv[0])):
            rows.append(
                f"{style:<12}{page_type:<15}{int(f['pages']):>6}  "
                f"{f['f1_before']:.3f} -> {f['f1_after']:.3f}  "
                f"{f['precision_before']:.3f} -> {f['precision_after']:.3f}  "
                f"{f['recall_before']:.3f} -> {f['recall_after']:.3f}  "
                f"{f['without_before']:.3f} -> {f['without_after']:.3f}  "
                f"{f['with_before']:.3f} -> {f['with_after']:.3f}  {f['content_line_loss']:>11.4f}  "
                f"{f['content_in_no_record']:>12.4f}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="folder holding wcxb-dev/ and scrapinghub-aeb/")
    parser.add_argument("--limit", type=int, default=None, help="pages per set (default: all)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    results = evaluate_text_path(args.data, args.limit)
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
