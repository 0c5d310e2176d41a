"""Extraction quality on public evaluation sets, side by side with plain trafilatura in the same run.

Metrics are implemented from the sets' own descriptions:

- Scrapinghub article-extraction-benchmark: ``\\w+`` tokens (case kept), 4-token shingles; per page, true
  and false positives and false negatives are counted as multiset shingle matches and normalised to sum
  to 1; precision is the mean over pages with a non-empty prediction, recall the mean over pages with a
  non-empty truth, F1 the harmonic mean of the two means.
- WCXB: lower-cased ``\\w+`` bag-of-words F1 per page, averaged over pages; plus the share of ``with``
  snippets found and of ``without`` snippets leaked (whitespace and case ignored).

The data stays outside the project: ``cleaner eval DATA`` reads ``DATA/scrapinghub-aeb`` and
``DATA/wcxb-dev`` where present.
"""

from __future__ import annotations

import gzip
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from cleaner._api import Cleaner

Extractor = Callable[[bytes, str | None], str]
_WORD = re.compile(r"\w+")


# --- metrics -----------------------------------------------------------------------------------------

def shingles(text: str, size: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _WORD.findall(text)
    if len(tokens) < size:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i:i + size]) for i in range(len(tokens) - size + 1))


def shingle_match(truth: str, prediction: str) -> tuple[float, float, float]:
    """True positives, false positives and false negatives, normalised to sum to 1."""
    expected, found = shingles(truth), shingles(prediction)
    tp = sum((expected & found).values())
    fp = sum((found - expected).values())
    fn = sum((expected - found).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def word_prf(prediction: str, reference: str) -> tuple[float, float, float]:
    """Bag-of-words precision, recall and F1 on lower-cased ``\\w+`` tokens (the WCXB metric)."""
    predicted = Counter(_WORD.findall(prediction.lower()))
    expected = Counter(_WORD.findall(reference.lower()))
    if not expected:
        return (1.0, 1.0, 1.0) if not predicted else (0.0, 1.0, 0.0)
    if not predicted:
        return 1.0, 0.0, 0.0
    overlap = sum((predicted & expected).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    precision, recall = overlap / sum(predicted.values()), overlap / sum(expected.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def word_f1(prediction: str, reference: str) -> float:
    return word_prf(prediction, reference)[2]


def word_key(text: str) -> str:
    """The text's words, case-folded, one space apart: for comparing lines whatever their punctuation."""
    return " ".join(_WORD.findall(text.casefold()))


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def snippet_share(snippets: list[str], prediction: str) -> tuple[int, int]:
    """How many snippets appear in the prediction, out of how many."""
    haystack = _normal(prediction)
    return sum(1 for s in snippets if _normal(s) and _normal(s) in haystack), len(snippets)


# --- extractors --------------------------------------------------------------------------------------

def cleaner_extractor(cleaner: Cleaner | None = None) -> Extractor:
    """The main article's text from this project's HTML path."""
    built = cleaner or Cleaner()

    def extract(html: bytes, url: str | None) -> str:
        records = built.clean(html=html, url=url)
        main = next((r for r in records if r.kind == "main"), None)
        return main.text if main else ""

    return extract


def trafilatura_extractor() -> Extractor:
    """Plain ``trafilatura.extract`` with comments excluded, the reference."""
    import trafilatura

    def extract(html: bytes, url: str | None) -> str:
        return trafilatura.extract(html, url=url, include_comments=False) or ""

    return extract


# --- evaluation sets ---------------------------------------------------------------------------------

@dataclass
class Scores:
    pages: int = 0
    seconds: float = 0.0
    sums: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, value: float, count: int = 1) -> None:
        self.sums[name] = self.sums.get(name, 0.0) + value
        self.counts[name] = self.counts.get(name, 0) + count

    def mean(self, name: str) -> float:
        return self.sums.get(name, 0.0) / self.counts[name] if self.counts.get(name) else 0.0


def _scored(pages: Iterator[tuple[str, bytes, str | None, Any]], extractors: dict[str, Extractor],
            score: Callable[[Scores, Any, str], None]) -> dict[str, Scores]:
    """Runs every extractor on every page, timing each, and lets ``score`` add the page's figures."""
    scores = {name: Scores() for name in extractors}
    for _page_id, html, url, truth in pages:
        for name, extractor in extractors.items():
            started = time.perf_counter()
            prediction = extractor(html, url)
            scores[name].seconds += time.perf_counter() - started
            scores[name].pages += 1
            score(scores[name], truth, prediction)
    return scores


def scrapinghub_pages(folder: Path, limit: int | None = None) -> Iterator[tuple[str, bytes, str, str]]:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    for number, page_id in enumerate(sorted(truth)):
        if limit is not None and number >= limit:
            return
        html = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
        yield page_id, html, truth[page_id].get("url"), truth[page_id]["articleBody"]


def evaluate_scrapinghub(folder: Path, extractors: dict[str, Extractor], limit: int | None = None
                         ) -> dict[str, dict[str, float]]:
    def score(scores: Scores, body: str, prediction: str) -> None:
        tp, fp, fn = shingle_match(body, prediction)
        if prediction.strip():
            scores.add("precision", tp / (tp + fp) if tp + fp else 0.0)
        if body.strip():
            scores.add("recall", tp / (tp + fn) if tp + fn else 0.0)

    figures = {}
    for name, scores in _scored(scrapinghub_pages(folder, limit), extractors, score).items():
        precision, recall = scores.mean("precision"), scores.mean("recall")
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        figures[name] = {"f1": round(f1, 4), "precision": round(precision, 4), "recall": round(recall, 4),
                         "pages": scores.pages, "pages_per_s": round(scores.pages / scores.seconds, 1)}
    return figures


def wcxb_pages(folder: Path, limit: int | None = None) -> Iterator[tuple[str, bytes, str, dict]]:
    ids_file = folder / "DEV_SUBSET_IDS.txt"
    ids = ids_file.read_text().split() if ids_file.is_file() else sorted(
        p.name.split(".")[0] for p in (folder / "ground-truth").glob("*.json.gz"))
    for number, page_id in enumerate(ids):
        if limit is not None and number >= limit:
            return
        truth = json.loads(gzip.decompress((folder / "ground-truth" / f"{page_id}.json.gz").read_bytes()))
        html = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
        page_type = ((truth.get("_internal") or {}).get("page_type") or {}).get("primary") or "unknown"
        yield page_id, html, truth.get("url"), {**truth["ground_truth"], "page_type": page_type}


def evaluate_wcxb(folder: Path, extractors: dict[str, Extractor], limit: int | None = None
                  ) -> dict[str, dict[str, Any]]:
    def score(scores: Scores, truth: dict, prediction: str) -> None:
        f1 = word_f1(prediction, truth.get("main_content") or "")
        scores.add("word_f1", f1)
        scores.add(f"word_f1:{truth['page_type']}", f1)
        found, asked = snippet_share(truth.get("with") or [], prediction)
        scores.add("with_found", found, asked)
        leaked, present = snippet_share(truth.get("without") or [], prediction)
        scores.add("without_leaked", leaked, present)

    return {name: {"word_f1": round(s.mean("word_f1"), 4), "with_found": round(s.mean("with_found"), 4),
                   "without_leaked": round(s.mean("without_leaked"), 4),
                   "without_snippets_leaked": int(s.sums.get("without_leaked", 0)), "pages": s.pages,
                   "pages_per_s": round(s.pages / s.seconds, 1),
                   "word_f1_by_page_type": {key.split(":", 1)[1]: round(s.mean(key), 4) for key in sorted(s.sums)
                                            if key.startswith("word_f1:")},
                   "pages_by_page_type": {key.split(":", 1)[1]: s.counts[key] for key in sorted(s.counts)
                                          if key.startswith("word_f1:")}}
            for name, s in _scored(wcxb_pages(folder, limit), extractors, score).items()}


def evaluate(data: Path, limit: int | None = None, extractors: dict[str, Extractor] | None = None
             ) -> dict[str, dict[str, dict[str, Any]]]:
    """Figures per set and extractor, for the sets present under ``data``."""
    chosen = extractors or {"trafilatura": trafilatura_extractor(), "cleaner": cleaner_extractor()}
    results: dict[str, dict[str, dict[str, Any]]] = {}
    if (data / "scrapinghub-aeb" / "ground-truth.json").is_file():
        results["scrapinghub"] = evaluate_scrapinghub(data / "scrapinghub-aeb", chosen, limit)
    if (data / "wcxb-dev" / "ground-truth").is_dir():
        results["wcxb"] = evaluate_wcxb(data / "wcxb-dev", chosen, limit)
    return results


def run_cli(data: Path, *, limit: int | None, json_path: Path | None, stream: TextIO) -> int:
    if not data.is_dir():
        stream.write(f"cleaner eval: {data} is not a folder; give the folder holding scrapinghub-aeb/ "
                     "and wcxb-dev/\n")
        return 2
    results = evaluate(data, limit)
    if not results:
        stream.write(f"cleaner eval: no evaluation set under {data}\n")
        return 2
    for set_name, by_extractor in results.items():
        stream.write(f"{set_name}:\n")
        for name, figures in by_extractor.items():
            stream.write(f"  {name:<12} " + "  ".join(f"{k} {v}" for k, v in figures.items()) + "\n")
    if json_path is not None:
        json_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0
