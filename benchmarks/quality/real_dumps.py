"""Quality of the text path on labelled real dumps (format in ``fixtures/real_dumps/README.md``).

The labelled dumps come in two parts, split by site (no site is in both):

- the tuned part, ``fixtures/real_dumps``: rules may be written from what it shows;
- the held-apart part, ``fixtures/real_dumps_unseen``: never read to write or change a rule, only
  measured, so its figures say how the rules do on sites nobody tuned them to.

Figures, over every labelled line of every dump of a part, reported for each part separately:

- junk-line recall: the share of junk lines of the targeted families (and of embedded-article and
  comment lines) that are not in the main record; the untargeted families (``nav``, ``footer``, ``other``) apart;
- content lines kept and lost: content lines found in, or missing from, the main record;
- embedded-article recall: the share of labelled titles found as the title of a ``related`` record.

    python -m benchmarks.quality.real_dumps [FOLDER] [--verbose]   (no FOLDER: both parts)
"""

from __future__ import annotations

import argparse
import re
import sys
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

from cleaner import Cleaner, Record, Removal
from cleaner.evaluation import word_key

_ROOT = Path(__file__).resolve().parents[2] / "fixtures"
#: The tuned part: rules may be written from it.
TUNED = _ROOT / "real_dumps"
#: The held-apart part: measured only, never read to write rules.
HELD_APART = _ROOT / "real_dumps_unseen"
PARTS = {"tuned": TUNED, "held-apart": HELD_APART}
FAMILIES = frozenset({"related", "comments", "ads", "upsell", "newsletter", "paywall", "share", "follow",
                      "syndication", "cookie", "author", "readmore", "trending", "nav", "footer", "login", "other"})
#: Page furniture the rule library does not set out to remove (menus, footers, odd leftovers): reported apart.
UNTARGETED = frozenset({"nav", "footer", "other"})
_LABEL = re.compile(r"^(C|R|M|T|T=(?P<title>.*?)|J:(?P<family>[a-z]+))\|")


class LabelError(ValueError):
    """A labelled dump that does not follow the format; names the file and line."""


@dataclass
class LabelledDump:
    name: str
    site: str
    text: str
    #: (label, family or title, the dump line), one per dump line; blank lines have label "".
    lines: list[tuple[str, str, str]]

    @property
    def url(self) -> str:
        return f"https://{self.site}/" if self.site else ""


def parse_labelled(text: str, name: str) -> LabelledDump:
    site = ""
    lines: list[tuple[str, str, str]] = []
    header = True
    for number, raw in enumerate(text.split("\n"), start=1):
        if header and raw.startswith("#"):
            if raw.startswith("# site:"):
                site = raw.split(":", 1)[1].strip()
            continue
        header = False
        if not raw.strip():
            lines.append(("", "", raw))
            continue
        match = _LABEL.match(raw)
        if match is None:
            raise LabelError(f"{name}:{number}: no label (C|, J:<family>|, T|, T=<title>|, R| or M|): {raw[:60]!r}")
        label, line = match.group(1), raw[match.end():]
        family = match.group("family")
        if family is not None:
            if family not in FAMILIES:
                raise LabelError(f"{name}:{number}: unknown family {family!r}")
            lines.append(("J", family, line))
        elif label.startswith("T"):
            lines.append(("T", match.group("title") or line, line))
        else:
            lines.append((label, "", line))
    if lines and lines[-1] == ("", "", ""):
        lines.pop()  # the file's final newline
    return LabelledDump(name, site, "\n".join(line for _, _, line in lines), lines)


def load(folder: Path = TUNED) -> list[LabelledDump]:
    return [parse_labelled(path.read_text(encoding="utf-8"), path.name) for path in sorted(folder.glob("*.txt"))]


def _title_found(title: str, found: list[str]) -> bool:
    wanted = word_key(title)
    if not wanted:
        return False
    for candidate in found:
        if candidate == wanted:
            return True
        shorter, longer = sorted((candidate, wanted), key=len)
        if shorter and shorter in longer and len(shorter) >= 0.8 * len(longer):
            return True  # a title cut short ("...") or with its source glued on
    return False


@dataclass
class Figures:
    junk: Counter[str] = field(default_factory=Counter)
    junk_out: Counter[str] = field(default_factory=Counter)
    content: int = 0
    content_lost: int = 0
    titles: int = 0
    titles_found: int = 0
    lost_lines: list[str] = field(default_factory=list)
    missed_titles: list[str] = field(default_factory=list)
    leaked: list[str] = field(default_factory=list)

    def recall(self, families: frozenset[str] | None = None) -> float:
        keys = [k for k in self.junk if (families is None or k in families)]
        total = sum(self.junk[k] for k in keys)
        return sum(self.junk_out[k] for k in keys) / total if total else 0.0

    @property
    def targeted(self) -> frozenset[str]:
        return frozenset(k for k in self.junk if k not in UNTARGETED)

    @property
    def content_loss(self) -> float:
        return self.content_lost / self.content if self.content else 0.0

    @property
    def article_recall(self) -> float:
        return self.titles_found / self.titles if self.titles else 0.0


def removed_lines(dump: LabelledDump, removals: Iterable[Removal]) -> frozenset[int]:
    """The indexes of the dump's lines that a removal took whole (the removals index ``dump.text``)."""
    starts = list(accumulate((len(line) + 1 for _, _, line in dump.lines[:-1]), initial=0))
    removed: set[int] = set()
    for removal in removals:
        index = bisect_right(starts, removal.start) - 1
        if 0 <= index < len(dump.lines) and removal.text.strip() == dump.lines[index][2].strip():
            removed.add(index)
    return frozenset(removed)


def add_dump(figures: Figures, dump: LabelledDump, records: list[Record], removed: frozenset[int] = frozenset()
             ) -> None:
    """Count one labelled dump's lines against the records a run made of it.

    ``removed``: the lines the run removed (``removed_lines``). A line removed is out of the main record
    wherever the same text stands in it: without this, a removed menu line "Ingredients" above a kept heading
    "Ingredients" would take the main record's one copy and the heading would count as lost.
    """
    main = next((r for r in records if r.kind == "main"), None)
    main_lines = ((main.title or "") + "\n" + main.text).split("\n") if main else []
    kept = Counter(word_key(line) for line in main_lines)
    related_titles = [word_key(r.title) for r in records if r.kind == "related" and r.title]
    for index, (label, extra, line) in enumerate(dump.lines):
        key = word_key(line)
        if not label or not key:
            continue
        present = index not in removed and kept[key] > 0
        if present:
            kept[key] -= 1
        if label == "C":
            figures.content += 1
            if not present:
                figures.content_lost += 1
                figures.lost_lines.append(f"{dump.name}: {line.strip()[:100]}")
            continue
        family = extra if label == "J" else {"T": "related", "R": "related", "M": "comments"}[label]
        figures.junk[family] += 1
        if not present:
            figures.junk_out[family] += 1
        elif family not in UNTARGETED:
            figures.leaked.append(f"{dump.name} [{label}:{family}]: {line.strip()[:100]}")
        if label == "T":
            figures.titles += 1
            if _title_found(extra, related_titles):
                figures.titles_found += 1
            else:
                figures.missed_titles.append(f"{dump.name}: {extra.strip()[:100]}")


def score(dumps: list[LabelledDump], cleaner: Cleaner | None = None) -> Figures:
    built = cleaner or Cleaner()
    figures = Figures()
    for dump in dumps:
        cleaned = built.process(dump.text, doc_id=dump.name, url=dump.url or None)
        add_dump(figures, dump, list(cleaned.records), removed_lines(dump, cleaned.removals))
    return figures


def report(figures: Figures, verbose: bool = False) -> str:
    rows = [
        f"junk-line recall (targeted families): {figures.recall(figures.targeted):.3f}  "
        f"({sum(figures.junk_out[k] for k in figures.targeted)}/{sum(figures.junk[k] for k in figures.targeted)})",
        f"junk-line recall (nav, footer, other; not targeted): {figures.recall(UNTARGETED):.3f}  "
        f"({sum(figures.junk_out[k] for k in UNTARGETED)}/{sum(figures.junk[k] for k in UNTARGETED)})",
        f"content lines kept: {figures.content - figures.content_lost}/{figures.content}, "
        f"lost: {figures.content_lost} (loss {figures.content_loss:.4f})",
        f"embedded-article recall: {figures.article_recall:.3f}  ({figures.titles_found}/{figures.titles})",
        "per family: " + ", ".join(f"{k} {figures.junk_out[k]}/{figures.junk[k]}" for k in sorted(figures.junk)),
    ]
    if verbose:
        rows += ["", "content lost:", *figures.lost_lines, "", "titles missed:", *figures.missed_titles,
                 "", "junk left in the main record:", *figures.leaked]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, help="one folder of labelled dumps (default: both parts)")
    parser.add_argument("--verbose", "-v", action="store_true", help="list lost lines, missed titles, leaks")
    args = parser.parse_args(argv)
    folders = {args.folder.name: args.folder} if args.folder else PARTS
    built = Cleaner()
    for name, folder in folders.items():
        dumps = load(folder)
        print(f"{name} ({folder.name}, {len(dumps)} dumps):\n{report(score(dumps, built), args.verbose)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
