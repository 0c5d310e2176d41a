"""A deterministic generator of aggregator-format dumps as JSON lines, built from the bundled fixtures.

Each generated document is a main article (a title and paragraphs drawn from the fixtures), usually the
aggregator's junk block, and 0-4 related articles laid out as the aggregator does. The generator knows
how many records each document must give, so a run over a corpus can be checked, not only timed.

    python -m benchmarks.corpus --mb 100 --out corpus.jsonl [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_JUNK = ["Try Our AI Features", "Explore what Daily8 AI can do for you:", "Comments", "No comments yet..."]
_SOURCES = ["RTHK", "AllAfrica", "Asahi Shimbun", "Japan Today", "Harbour Times", "Valley Post", "Metro Daily",
            "Coast Radio", "Northern Star", "The Wire Service"]
_TIMES = ["5 minutes ago", "25 minutes ago", "an hour ago", "3 hours ago", "4 hours ago", "8 hours ago",
          "1 day ago", "2 days ago", "3 weeks ago", "1 month ago"]
_SYNDICATION = ["This article is republished from The Conversation under a Creative Commons license. "
                "Read the original article.", "This article was originally published on The Conversation. "
                "Read the original article."]


@dataclass(frozen=True)
class Pool:
    titles: list[str]
    paragraphs: list[str]
    bodies: list[str]


def load_pool() -> Pool:
    """Titles, paragraphs and long bodies taken from the fixture dumps (lines, not parsed records)."""
    titles: list[str] = []
    paragraphs: list[str] = []
    bodies: list[str] = []
    folders = [ROOT / "fixtures" / "seeds", ROOT / "fixtures" / "dumps"]
    for path in sorted(p for folder in folders for p in folder.glob("*.txt")):
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        for line in lines:
            if not line or line in _JUNK or line.startswith("- ") or line.endswith(" ago"):
                continue
            if len(line) > 1500:
                bodies.append(line)
            elif len(line) > 120:
                paragraphs.append(line)
            elif 25 < len(line) <= 120 and not line.endswith("."):
                titles.append(line)
    return Pool(sorted(set(titles)), sorted(set(paragraphs)), sorted(set(bodies)))


_WORDS = ["new", "latest", "update:", "analysis:", "explainer:", "live:", "exclusive:", "opinion:", "watch:"]


def generate(count: int | None = None, *, seed: int = 7, target_bytes: int | None = None,
             fetched: datetime | None = None) -> Iterator[tuple[dict, int]]:
    """JSON-ready documents and the number of records each must give; stops at ``count`` documents or
    once ``target_bytes`` of JSON would be written."""
    pool = load_pool()
    rng = random.Random(seed)
    base_time = fetched or datetime(2025, 8, 15, 12, 0, tzinfo=UTC)
    written = 0
    number = 0
    while (count is None or number < count) and (target_bytes is None or written < target_bytes):
        title = f"{rng.choice(_WORDS).capitalize()} {rng.choice(pool.titles)} ({number})"
        lines = ["", title, *rng.sample(pool.paragraphs, k=rng.randint(6, 20))]
        if rng.random() < 0.5:
            lines.append(rng.choice(_SYNDICATION))
        related = rng.choice([0, 1, 1, 2, 2, 3, 3, 4])
        if rng.random() < 0.85 or related:
            lines += ["", *_JUNK, "Related Articles", "", ""]
            for index in range(related):
                source = rng.choice(_SOURCES)
                item_title = f"{rng.choice(pool.titles)} [{number}.{index}]"
                body = rng.choice(pool.bodies) if rng.random() < 0.5 else rng.choice(pool.paragraphs)
                echo = f"{item_title} " if rng.random() < 0.5 else ""
                lines += [source, rng.choice(_TIMES), f"- {source}", item_title, f"{echo}{body}", "", ""]
        document = {"id": f"gen-{seed}-{number:09d}", "text": "\n".join(lines).rstrip("\n"),
                    "url": f"https://aggregator.example/{number}",
                    "fetched_at": (base_time + timedelta(minutes=number)).isoformat()}
        written += len(json.dumps(document, ensure_ascii=False).encode()) + 1
        number += 1
        yield document, 1 + related


def write_jsonl(path: Path, count: int | None = None, *, seed: int = 7, target_bytes: int | None = None) -> dict:
    """Writes a corpus; returns its size, document count and the records it must give."""
    documents = records = 0
    with open(path, "w", encoding="utf-8") as handle:
        for document, expected in generate(count, seed=seed, target_bytes=target_bytes):
            handle.write(json.dumps(document, ensure_ascii=False) + "\n")
            documents += 1
            records += expected
    return {"path": str(path), "bytes": path.stat().st_size, "documents": documents, "records": records}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--mb", type=float, help="size of the corpus in MB")
    parser.add_argument("--documents", type=int, help="number of documents")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    target = int(args.mb * 1024 * 1024) if args.mb else None
    print(json.dumps(write_jsonl(args.out, args.documents, seed=args.seed, target_bytes=target)))


if __name__ == "__main__":
    main()
