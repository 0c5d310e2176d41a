"""Real scraped text for the speed benchmarks: every labelled dump the project holds, without its labels.

The labelled real dumps (tuned and held-apart parts), the structure benchmark's page texts where present
and the user's seed dumps: real layouts in several languages, so speed is not measured only on generated
copies of the seeds.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.quality.real_dumps import parse_labelled

ROOT = Path(__file__).resolve().parents[1]
LABELLED = (ROOT / "fixtures" / "real_dumps", ROOT / "fixtures" / "real_dumps_unseen",
            ROOT / "benchmarks" / "structure" / "tuned", ROOT / "benchmarks" / "structure" / "heldapart")
SEEDS = ROOT / "fixtures" / "seeds"


def real_texts() -> list[str]:
    """One document text per labelled page and per seed dump, in a fixed order."""
    texts = []
    for folder in LABELLED:
        for path in sorted(folder.glob("*.txt")) if folder.is_dir() else []:
            texts.append(parse_labelled(path.read_text(encoding="utf-8"), path.name).text)
    texts.extend(path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt")))
    return texts
