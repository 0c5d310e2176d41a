"""Real scraped text for the speed benchmarks: every labelled dump the project holds, without its labels.

The labelled real dumps (tuned and held-apart parts), the structure benchmark's page texts where present
and the user's seed dumps: real layouts in several languages, so speed is not measured only on generated
copies of the seeds. The speed figures are ratios over this text, so it is fixed: of the structure benchmark's
pages, only the collections labelled before the gates were committed (``SPEED_COLLECTIONS``, by each page's
``# set:`` line); a collection labelled later for the quality figures does not move the speed figures.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.quality.real_dumps import parse_labelled

ROOT = Path(__file__).resolve().parents[1]
LABELLED = (ROOT / "fixtures" / "real_dumps", ROOT / "fixtures" / "real_dumps_unseen",
            ROOT / "benchmarks" / "structure" / "tuned", ROOT / "benchmarks" / "structure" / "heldapart")
SEEDS = ROOT / "fixtures" / "seeds"
#: The structure pages' collections in the speed corpus (a page without a ``# set:`` line is of the first).
SPEED_COLLECTIONS = frozenset({"1", "2"})


def in_speed_corpus(text: str) -> bool:
    """Whether a labelled file's page is of a collection the speed corpus holds (its header's ``# set:``)."""
    for line in text.split("\n"):
        if not line.startswith("#"):
            break
        key, _, value = line[1:].partition(":")
        if key.strip() == "set":
            return value.strip() in SPEED_COLLECTIONS
    return True


def real_texts() -> list[str]:
    """One document text per labelled page and per seed dump, in a fixed order."""
    texts = []
    for folder in LABELLED:
        for path in sorted(folder.glob("*.txt")) if folder.is_dir() else []:
            labelled = path.read_text(encoding="utf-8")
            if in_speed_corpus(labelled):
                texts.append(parse_labelled(labelled, path.name).text)
    texts.extend(path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt")))
    return texts
