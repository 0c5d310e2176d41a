"""Figures on the labelled thread pages (``threads/``), per split, beside plain trafilatura in the same run.

Per extractor and split (``tuned``: the sites looked at while writing detection rules; ``apart``: sites
nobody looked at for that): word F1 against the page's reference text (mean over pages), the share of
related teasers and of comment spans found in the main record (leaks), and the share of article sentences
and of reply spans found there (kept). A page "left empty" has a reference text but an empty main record.
Run: ``python -m benchmarks.quality.threads.measure``.
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from cleaner.evaluation import Extractor, cleaner_extractor, snippet_share, trafilatura_extractor, word_f1

HERE = Path(__file__).parent
KINDS = ("related", "comments", "article", "replies")
SPLITS = ("tuned", "apart")


def labels() -> list[dict]:
    lines = (HERE / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def page_html(page_id: str) -> bytes:
    return gzip.decompress((HERE / "pages" / f"{page_id}.html.gz").read_bytes())


def measure(extractors: dict[str, Extractor] | None = None) -> dict[str, Any]:
    """Per extractor, per split and per page type ("all" for the whole split): the figures named above."""
    extractors = extractors or {"trafilatura": trafilatura_extractor(), "cleaner": cleaner_extractor()}
    sums: dict[tuple[str, str, str], dict[str, Any]] = defaultdict(
        lambda: {"pages": 0, "f1": 0.0, "empty": 0} | {kind: [0, 0] for kind in KINDS})
    pages: list[dict[str, Any]] = []
    for label in labels():
        html = page_html(label["id"])
        row: dict[str, Any] = {"id": label["id"], "split": label["split"], "type": label["type"]}
        for name, extract in extractors.items():
            main = extract(html, label.get("url"))
            f1 = word_f1(main, label["reference"])
            counts = {kind: snippet_share(label[kind], main) for kind in KINDS}
            row[name] = {"f1": round(f1, 3), "empty": not main.strip()} | counts
            for group in ("all", label["type"]):
                total = sums[(name, label["split"], group)]
                total["pages"] += 1
                total["f1"] += f1
                total["empty"] += int(not main.strip() and bool(label["reference"].strip()))
                for kind in KINDS:
                    total[kind][0] += counts[kind][0]
                    total[kind][1] += counts[kind][1]
        pages.append(row)
    figures: dict[str, Any] = {"pages": pages}
    for (name, split, group), total in sums.items():
        figures.setdefault(name, {}).setdefault(split, {})[group] = {
            "pages": total["pages"], "word_f1": round(total["f1"] / total["pages"], 4), "empty": total["empty"]} | {
            kind: round(total[kind][0] / total[kind][1], 4) if total[kind][1] else None for kind in KINDS} | {
            f"{kind}_counts": total[kind] for kind in KINDS}
    return figures


def report(figures: dict[str, Any]) -> str:
    names = [name for name in figures if name != "pages"]
    lines = ["per page: word F1, related leaked, comments leaked, article kept, replies kept"]
    for row in figures["pages"]:
        shown = "   ".join(f"{name} F1 {row[name]['f1']:.3f} " + " ".join(
            f"{kind[:3]} {row[name][kind][0]}/{row[name][kind][1]}" for kind in KINDS) for name in names)
        lines.append(f"  {row['id']:<28} {row['split']:<5} {row['type']:<7} {shown}")
    for split in SPLITS:
        for group in ("all", "forum", "qa", "article"):
            parts = []
            for name in names:
                figure = figures[name].get(split, {}).get(group)
                if figure is None:
                    continue
                shares = " ".join(f"{kind} {figure[kind]:.3f}" if figure[kind] is not None else f"{kind} -"
                                  for kind in KINDS)
                parts.append(f"{name}: F1 {figure['word_f1']:.4f} {shares} empty {figure['empty']}")
            if parts:
                pages = figures[names[0]][split][group]["pages"]
                lines.append(f"{split} {group} ({pages} pages): " + " | ".join(parts))
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(measure()))
