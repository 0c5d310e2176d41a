"""A generated multi-site corpus for rule discovery and duplicates, with what is junk known exactly.

Each site prints its own furniture on every page: single lines taken from the junk examples of some
built-in rule families (the families a test switches off), a counter line whose number changes ("12
shares"), and junk the active rules still remove. The content is unique per page: paragraphs made of
sentences drawn from the bundled fixtures and shuffled. A wire story is syndicated, unchanged, to pages of
several sites; its paragraphs recur across many documents, but only as copies of one story.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from benchmarks.corpus import ROOT, load_pool
from cleaner import Cleaner
from cleaner.core.rules import LineRule

#: Families whose rules the discovery test switches off; their junk lines must be learned back.
REMOVED_FAMILIES = ("share.toml", "newsletter.toml", "paywall.toml", "upsell.toml")
HOSTS = tuple(f"news{n}.example" for n in range(6))
#: One site lists other articles under a header of its own, which no built-in layout knows.
LIST_HOST, LIST_HEADER = "news2.example", "Picked by our editors"
COUNTERS = ("{n} shares", "Page views: {n}", "Viewed {n} times")


@dataclass
class GeneratedCorpus:
    documents: list[dict]
    removed_rule_ids: list[str]
    #: Junk lines of the switched-off families, as printed, and the counter lines (one per variant).
    junk_lines: set[str] = field(default_factory=set)
    content_lines: set[str] = field(default_factory=set)
    wire_lines: list[str] = field(default_factory=list)
    #: Titles listed under the site's own related-articles header.
    listed: set[str] = field(default_factory=set)


def _sentences() -> list[str]:
    found: set[str] = set()
    # Only the dumps' content lines (label "C"): a sentence cut from a junk line ("Baca juga: TITLE", "You are
    # commenting using your ... account") would be acted on by the rules, and whether it lands in the
    # content then depends on which sentences the seeded draw happens to pick.
    real = [line.split("|", 1)[1] for path in sorted((ROOT / "fixtures" / "real_dumps").glob("*.txt"))
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith("C|") and len(line) > 120]
    for paragraph in [*load_pool().paragraphs, *real]:
        for sentence in paragraph.replace("? ", "?|").replace(". ", ".|").split("|"):
            if 40 <= len(sentence) <= 300 and sentence.endswith((".", "?")):
                found.add(sentence.strip())
    return sorted(found)


def removable_junk(removed: tuple[str, ...] = REMOVED_FAMILIES) -> tuple[list[str], dict[str, list[str]]]:
    """Ids of the rules in the removed families, and per family the single-line junk examples that the
    full rule set removes by that family's rule and that the rest of the rules leave alone."""
    full = Cleaner()
    ids = [r.id for f in full.rules.files if f.source.endswith(removed) for r in f.rules]
    without = Cleaner(disable=ids)
    lines: dict[str, list[str]] = {}
    for rule_file in full.rules.files:
        if not rule_file.source.endswith(removed):
            continue
        for rule in rule_file.rules:
            if not isinstance(rule, LineRule) or rule.strength != "strong" or rule.min_run > 1:
                continue
            for example in rule.examples.junk:
                if "\n" in example or len(example) > 150:
                    continue
                page = f"A first paragraph of the story, long enough to read.\n{example}\nThe story goes on here."
                if rule.id in full.process(page).hits() and not without.process(page).hits():
                    lines.setdefault(rule_file.source, []).append(" ".join(example.split()))
    return ids, lines


def generate(pages_per_host: int = 60, *, seed: int = 11, wire_copies: int = 24) -> GeneratedCorpus:
    rng = random.Random(seed)
    sentences = _sentences()
    ids, by_family = removable_junk()
    pool = sorted({line for lines in by_family.values() for line in lines})
    corpus = GeneratedCorpus([], ids)
    wire = [" ".join(rng.sample(sentences, 3)) for _ in range(10)]
    corpus.wire_lines = wire
    furniture = {host: rng.sample(pool, 4) for host in HOSTS}
    counters = {host: rng.choice(COUNTERS) for host in HOSTS}
    wire_pages = set(rng.sample(range(pages_per_host * len(HOSTS)), wire_copies))
    number = 0
    for page in range(pages_per_host):
        for host in HOSTS:
            title = " ".join(rng.choice(sentences).split()[:8]).rstrip(".,;:")
            if number in wire_pages:
                body = list(wire)
            else:
                body = [" ".join(rng.sample(sentences, rng.randint(2, 4))) for _ in range(rng.randint(4, 9))]
                corpus.content_lines.update(body)
            top, bottom = furniture[host][:2], furniture[host][2:]
            counter = counters[host].format(n=rng.randint(2, 9999))
            lines = [title, *top, *body[:2], counter, *body[2:], *bottom, "Advertisement"]
            corpus.junk_lines.update([*top, *bottom, counter])
            junk = [*top, *bottom, counter]
            if host == LIST_HOST:
                picks = [" ".join(rng.choice(sentences).split()[:9]).rstrip(".,;:?") for _ in range(3)]
                lines += [LIST_HEADER, *picks]
                junk.append(LIST_HEADER)
                corpus.listed.update(picks)
            corpus.documents.append({"id": f"{host}-{page}", "url": f"https://{host}/story/{page}",
                                     "text": "\n".join(lines), "junk": junk})
            number += 1
    rng.shuffle(corpus.documents)
    return corpus
