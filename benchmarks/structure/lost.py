"""The content lines the span detector loses on the tuned part, per page and by kind (a tuning aid).

For each tuned page (never a held-apart one: that part is read as totals only), cleaned with the built-in rules
and again with ``[detector.main_span] enabled = true`` (plus ``--rules``), lists the ``C`` lines the main record
keeps without the span and misses with it, each with a rough kind (headline, list, table, code, byline/date,
dialogue, caption, prose, other) read from its shape, and the count per kind. Two renderings of each page:

- ``naive``: the labelled naive page text itself;
- ``blocks``: whole-page block text of the saved page (``benchmarks.quality.text_path.block_text``), each line
  labelled as the naive line with the same words (a piece of a ``C`` paragraph is ``C`` too), unlabelled else.

    python -m benchmarks.structure.lost [--rendering naive blocks] [--rules FILE ...] [--related]

``--related``: the ``T`` lines (secondary-article titles) found as related records with the span off but not on,
and those found by neither, per page.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.quality.real_dumps import Figures, LabelledDump, add_dump, removed_lines
from benchmarks.structure.naive_text import read_page
from benchmarks.structure.score import ROOT, Page, load
from cleaner import Cleaner
from cleaner.evaluation import word_key

RENDERINGS = ("naive", "blocks")
_SPAN_ON = "[detector.main_span]\nenabled = true\n"

_CODE = re.compile(r"[{}();=<>$\\]|^\s*(?:--?\w|#include|def |import |\$ )")
_TABLE = re.compile(r"\t| \| |(?:\d[\d.,:%]*\s+){3,}")
_LIST = re.compile(r"^\s*(?:[-*•·▪◦–]|\d{1,3}[.)]|[a-z][.)])\s")
_DATE = re.compile(r"\b\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b|\b(?:19|20)\d{2}\b|\d{1,2}:\d{2}")
_BYLINE = re.compile(r"^(?:by|von|par|por|di|door|av|af|autor|author|foto|photo|bild)\b", re.IGNORECASE)
_QUOTE = re.compile(r"^[\"'„“”«»‚‘’「『—–-]|[\"”“«»」』]$")
_SENTENCE = re.compile(r"[.!?。！？…:;]['\"”’»)]?$")


def kind(line: str) -> str:
    """A rough kind of a content line, from its shape only."""
    text = line.strip()
    words = len(text.split())
    if _QUOTE.search(text):
        return "dialogue"
    if _BYLINE.match(text) or (words <= 6 and _DATE.search(text)):
        return "byline/date"
    if _CODE.search(text):
        return "code"
    if _LIST.match(text):
        return "list"
    if _TABLE.search(text):
        return "table"
    if words >= 8 and _SENTENCE.search(text):
        return "prose"
    if text.lower().startswith(("photo", "foto", "image", "bild", "credit")):
        return "caption"
    if words <= 14 and not _SENTENCE.search(text):
        return "headline" if text[:1].isupper() or not text[:1].isalpha() else "list"
    return "other"


@dataclass
class Rendered:
    page: Page
    dump: LabelledDump


def block_dump(page: Page) -> LabelledDump:
    """The page's block text, labelled from its naive text (same words, or a piece of a content paragraph)."""
    from benchmarks.quality.text_path import block_text

    stem = page.dump.name.split("/", 1)[1].removesuffix(".txt")
    text = block_text(read_page(ROOT / "pages" / f"{stem}.html.gz"))
    labels: dict[str, tuple[str, str]] = {}
    content_keys: list[str] = []
    for label, extra, line in page.dump.lines:
        key = word_key(line)
        if label and key:
            labels.setdefault(key, (label, extra))
            if label == "C":
                content_keys.append(key)
    joined = "\n".join(content_keys)
    lines: list[tuple[str, str, str]] = []
    for line in text.split("\n"):
        key = word_key(line)
        found = labels.get(key)
        if found is None and key and len(key.split()) >= 3 and key in joined:
            found = ("C", "")
        lines.append((*found, line) if found else ("", "", line))
    return LabelledDump(name=f"blocks:{page.dump.name}", site=page.dump.site, text=text, lines=lines)


def run(cleaner: Cleaner, dump: LabelledDump) -> Figures:
    figures = Figures()
    cleaned = cleaner.process(dump.text, doc_id=dump.name, url=dump.url or None)
    add_dump(figures, dump, list(cleaned.records), removed_lines(dump, cleaned.removals))
    return figures


def renderings(pages: Iterable[Page], wanted: Iterable[str]) -> Iterable[tuple[str, LabelledDump]]:
    for page in pages:
        for name in wanted:
            yield name, page.dump if name == "naive" else block_dump(page)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rendering", nargs="+", choices=RENDERINGS, default=["naive"])
    parser.add_argument("--rules", nargs="+", default=[], metavar="FILE", help="rule files added with the span on")
    parser.add_argument("--related", action="store_true", help="also list the related titles the span changes")
    args = parser.parse_args(argv)
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as handle:
        handle.write(_SPAN_ON)
    off, on = Cleaner(), Cleaner([handle.name, *args.rules])
    pages = [page for page in load() if page.part == "tuned"]  # (never the held-apart part, page by page)
    kinds: dict[str, Counter[str]] = {name: Counter() for name in args.rendering}
    totals: dict[str, Counter[str]] = {name: Counter() for name in args.rendering}
    for name, dump in renderings(pages, args.rendering):
        before, after = run(off, dump), run(on, dump)
        lost = Counter(after.lost_lines) - Counter(before.lost_lines)
        totals[name].update(content=after.content, lost_off=before.content_lost, lost_on=after.content_lost,
                            junk=sum(after.junk.values()), junk_out_off=sum(before.junk_out.values()),
                            junk_out_on=sum(after.junk_out.values()))
        for entry in sorted(lost.elements()):
            line = entry.split(": ", 1)[1]
            kinds[name][kind(line)] += 1
            print(f"[{name}] {kind(line):<12} {entry}")
        if args.related:
            missed = Counter(after.missed_titles) - Counter(before.missed_titles)
            for entry in sorted(missed.elements()):
                print(f"[{name}] related lost {entry}")
            for entry in sorted(set(after.missed_titles) & set(before.missed_titles)):
                print(f"[{name}] related never {entry}")
            totals[name].update(titles=after.titles, found_off=before.titles_found, found_on=after.titles_found)
    Path(handle.name).unlink()
    for name in args.rendering:
        print(f"== {name}: {dict(totals[name])}; span-only losses by kind: {dict(kinds[name].most_common())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
