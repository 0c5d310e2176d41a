"""Structure benchmark: labelled naive page texts of many sites and languages (format: README.md here).

Each page is cleaned with the default rules and its labelled lines are counted against the records,
separately for the tuned and the held-apart part and, inside each part, per language, page type and junk
kind (the line counting is ``benchmarks.quality.real_dumps.add_dump``, shared with the real dumps):

- junk-line recall: the share of junk lines (``J``, ``T``, ``R``, ``M``) not in the main record;
- content loss: the share of content lines (``C``) missing from the main record (dropped or moved);
- related-item recall: the share of secondary-article titles (``T``) found as the title of a related record;
- secondary records not items: the share of secondary records whose lines are not labelled as a secondary
  article or a comment (``T``, ``R``, ``M``): site-wide link lists, menus or article text split off.

    python -m benchmarks.structure.score [--verbose] [--part tuned] [--rules FILE ...]

``--verbose`` lists the tuned part's failures only: the held-apart part is scored as totals, never read page by page.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.quality.real_dumps import Figures, LabelError, LabelledDump, add_dump, parse_labelled, removed_lines
from cleaner import Cleaner, Record
from cleaner.evaluation import word_key

ROOT = Path(__file__).resolve().parent
PARTS = ("tuned", "heldapart")
TYPES = frozenset({"article", "blog", "forum", "product", "listing", "docs", "qa", "service"})
#: The collection a page came in with (its ``# set:`` line; the first when it has none). Each later collection is
#: split on its own, so adding one moves no page of an earlier one between the parts.
FIRST_SET = "1"
#: Second-level labels under which a country code registers names (news.example.co.uk is example.co.uk).
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "gov", "edu", "ac", "or", "ne", "go", "gob", "nic"})
#: One site in three goes to the held-apart part.
HELD_APART_EVERY = 3
#: Sites taken out of the set, as ``(site, language, set)``: hosts of pages in the evaluation sets (../shared/eval),
#: which measure the project from outside (README.md, "Sites taken out"). They keep their place in the split's
#: order, so that taking them out moves no other site between the parts.
WITHDRAWN: tuple[tuple[str, str, str], ...] = (
    ("bbc.com", "en", FIRST_SET),
    ("telegraph.co.uk", "en", FIRST_SET),
    ("docs.python.org", "en", "2"),
    ("git-scm.com", "en", "2"),
)


def site_key(site: str) -> str:
    """The registrable domain of a site: the unit the split keeps together (all of a host's pages on one side)."""
    labels = site.lower().strip().removeprefix("www.").split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _hash(text: str) -> int:
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16)


def assign_parts(pages: Iterable[tuple[str, str] | tuple[str, str, str]]) -> dict[str, str]:
    """Each site's part, from ``(site, language)`` or ``(site, language, set)`` entries: sites are ordered by a
    hash of their name within their main language and every third is held apart, starting at an offset hashed
    from the language, so that each language keeps about a third of its sites apart and languages with one or
    two sites do not all go one way. The ``WITHDRAWN`` sites keep their places in that order (they are in the
    answer, with no page). A later collection (``set`` other than the first: a few pages each of many
    languages) is ordered as one group, offset by a hash of its name, so it too keeps a third of its sites apart;
    each collection is split on its own, so adding one moves no site of another."""
    languages: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for entry in (*pages, *WITHDRAWN):
        site, language = entry[0], entry[1]
        collection = entry[2] if len(entry) > 2 else FIRST_SET  # type: ignore[misc]
        languages[collection, site_key(site)][language] += 1
    groups: dict[str, list[str]] = defaultdict(list)
    for (collection, key), counts in languages.items():
        main = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]
        groups[main if collection == FIRST_SET else f"set:{collection}"].append(key)
    parts: dict[str, str] = {}
    for group, keys in groups.items():
        offset = _hash(group) % HELD_APART_EVERY
        for index, key in enumerate(sorted(keys, key=_hash)):
            held = (index + offset) % HELD_APART_EVERY == HELD_APART_EVERY - 1
            parts[key] = "heldapart" if held else "tuned"
    return parts


@dataclass
class Page:
    dump: LabelledDump
    part: str
    language: str
    type: str
    source: str
    #: The collection the page came in with (``# set:``).
    collection: str = FIRST_SET


def _header(text: str, name: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in text.split("\n"):
        if not line.startswith("#"):
            break
        key, _, value = line[1:].partition(":")
        if value:
            fields[key.strip()] = value.strip()
    for wanted in ("source", "site", "lang", "type"):
        if not fields.get(wanted):
            raise LabelError(f"{name}: header line '# {wanted}:' missing")
    if fields["type"] not in TYPES:
        raise LabelError(f"{name}: type {fields['type']!r} is not one of {sorted(TYPES)}")
    return fields


def load(root: Path = ROOT) -> list[Page]:
    pages: list[Page] = []
    for part in PARTS:
        for path in sorted((root / part).glob("*.txt")):
            text = path.read_text(encoding="utf-8")
            name = f"{part}/{path.name}"
            fields = _header(text, name)
            pages.append(Page(parse_labelled(text, name), part, fields["lang"], fields["type"], fields["source"],
                              fields.get("set", FIRST_SET)))
    return pages


@dataclass
class Group:
    """Figures of one slice of pages (a part, or a language, page type inside a part)."""

    pages: int = 0
    figures: Figures = field(default_factory=Figures)
    secondary: int = 0
    secondary_not_items: int = 0
    not_items: list[str] = field(default_factory=list)

    @property
    def junk_recall(self) -> float:
        return self.figures.recall()

    @property
    def content_loss(self) -> float:
        return self.figures.content_loss

    @property
    def related_recall(self) -> float:
        return self.figures.article_recall

    @property
    def not_item_share(self) -> float:
        return self.secondary_not_items / self.secondary if self.secondary else 0.0


def _is_item(record: Record, labels: dict[str, Counter[str]]) -> bool:
    """Whether a secondary record is made of lines labelled as a secondary article or a comment."""
    items = other = 0
    for line in [record.title or "", *record.text.split("\n")]:
        found = labels.get(word_key(line))
        if not found:
            continue
        if found["T"] + found["R"] + found["M"] >= found["C"] + found["J"]:
            items += 1
        else:
            other += 1
    return items > 0 and items >= other


def score(pages: list[Page], cleaner: Cleaner | None = None) -> dict[str, dict[str, Group]]:
    """Per part, the groups ``all``, ``set:<collection>``, ``lang:<code>`` and ``type:<type>``."""
    built = cleaner or Cleaner()
    results: dict[str, dict[str, Group]] = {part: defaultdict(Group) for part in PARTS}
    for page in pages:
        cleaned = built.process(page.dump.text, doc_id=page.dump.name, url=page.dump.url or None)
        records = list(cleaned.records)
        removed = removed_lines(page.dump, cleaned.removals)
        labels: dict[str, Counter[str]] = defaultdict(Counter)
        for label, _, line in page.dump.lines:
            if label:
                labels[word_key(line)][label] += 1
        secondary = [record for record in records if record.kind != "main"]
        not_items = [record for record in secondary if not _is_item(record, labels)]
        for key in ("all", f"set:{page.collection}", f"lang:{page.language}", f"type:{page.type}"):
            group = results[page.part][key]
            group.pages += 1
            add_dump(group.figures, page.dump, records, removed)
            group.secondary += len(secondary)
            group.secondary_not_items += len(not_items)
            group.not_items += [f"{page.dump.name}: {(r.title or r.text)[:80]!r}" for r in not_items]
    return {part: dict(groups) for part, groups in results.items()}


def _row(name: str, group: Group) -> str:
    figures = group.figures
    junk = sum(figures.junk.values())
    return (f"{name:<16} pages {group.pages:>3}  junk recall {group.junk_recall:.3f} ({junk:>5} lines)  "
            f"content loss {group.content_loss:.4f} ({figures.content_lost}/{figures.content})  "
            f"related recall {group.related_recall:.3f} ({figures.titles_found}/{figures.titles})  "
            f"secondary not items {group.not_item_share:.3f} ({group.secondary_not_items}/{group.secondary})")


def report(results: dict[str, dict[str, Group]], verbose: bool = False) -> str:
    rows: list[str] = []
    for part in PARTS:
        groups = results.get(part, {})
        if "all" not in groups:
            continue
        whole = groups["all"]
        rows += [f"== {part}", _row("all", whole)]
        rows += [_row(key, groups[key]) for key in sorted(groups) if key.startswith("set:")]
        rows += [_row(key, groups[key]) for key in sorted(groups) if key.startswith("type:")]
        rows += [_row(key, groups[key]) for key in sorted(groups) if key.startswith("lang:")]
        figures = whole.figures
        rows.append("junk recall per kind: " + ", ".join(
            f"{kind} {figures.junk_out[kind] / figures.junk[kind]:.2f} ({figures.junk[kind]})"
            for kind in sorted(figures.junk, key=lambda k: -figures.junk[k])))
        if verbose and part == "tuned":
            # (Only the tuned part's failures: the held-apart part is read as totals, never page by page.)
            rows += ["content lost:", *figures.lost_lines, "titles missed:", *figures.missed_titles,
                     "secondary records not items:", *whole.not_items]
        rows.append("")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="list the tuned part's lost lines, missed titles and bad records")
    parser.add_argument("--rules", nargs="+", default=[], metavar="FILE",
                        help="rule files added to the built-in ones ([detector.main_span] enabled = true)")
    parser.add_argument("--part", choices=PARTS, help="score one part only (tuning: --part tuned)")
    args = parser.parse_args(argv)
    try:
        pages = load()
    except LabelError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.part:
        pages = [page for page in pages if page.part == args.part]
    print(report(score(pages, Cleaner(args.rules)), args.verbose))
    return 0


if __name__ == "__main__":
    sys.exit(main())
