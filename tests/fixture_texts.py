"""Where the tests find real page texts: the fixture folders of texts, and the user's seeds when the shared
data stands beside the checkout (as in CI)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_SEEDS = ROOT.parent / "shared" / "seeds"
#: The fixture folders that hold page texts, one document a file.
TEXT_FIXTURES = ("dumps", "seeds", "real_dumps", "real_dumps_unseen")


def text_folders(*more: str) -> list[Path]:
    """The fixture folders of page texts and ``more`` fixture folders, then the shared seeds if present."""
    folders = [ROOT / "fixtures" / name for name in (*TEXT_FIXTURES, *more)]
    if SHARED_SEEDS.is_dir():
        folders.append(SHARED_SEEDS)
    return folders
