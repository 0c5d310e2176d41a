"""Gates: every speed and quality figure a benchmark measures, held against the figure committed for it.

The committed figures live in ``benchmarks/figures.toml``; ``benchmarks/FIGURES.md`` is their ledger
(every change of a committed figure, with its measured cause), and ``tests/test_figures_ledger.py`` checks
that the two agree and that no floor was ever lowered.

Each figure is a ratio measured in the same run (speed beside a naive reference or plain trafilatura,
quality beside trafilatura) or a quality share against a fixed floor, so a busy machine slows both sides
alike. A gate fails when the measured figure falls further than its tolerance below the committed one:
30% for speed ratios, a small absolute margin for quality. The committed figure itself never goes below
its absolute floor (the figure measured when the gate was made). Every gate prints its
figure beside the committed one, the floor, the goal of its issue and the figure before the regression
it guards against, so a CI log reads as a report.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

FIGURES_FILE = Path(__file__).parent / "figures.toml"


class Better(Enum):
    HIGHER = "higher"
    LOWER = "lower"


class Kind(Enum):
    SPEED = "speed"
    QUALITY = "quality"


@dataclass(frozen=True, slots=True)
class Figure:
    """One committed figure: what it measures and how far a measurement may fall before the gate fails."""

    name: str
    kind: Kind
    better: Better
    #: The figure committed now: it may rise in any commit, and fall only in a commit of its own (ledger).
    committed: float
    #: The figure measured when the gate was made: no commit may set ``committed`` below it.
    floor: float
    #: How far a measurement may fall below ``committed``: a share of it (speed) or an absolute amount.
    tolerance: float
    relative: bool
    goal: str
    before: str
    description: str

    def limit(self) -> float:
        """The worst measurement that still passes."""
        slack = self.committed * self.tolerance if self.relative else self.tolerance
        return self.committed - slack if self.better is Better.HIGHER else self.committed + slack

    def passes(self, measured: float) -> bool:
        # No separate floor test: the ledger test holds ``committed`` at or above ``floor``.
        return measured >= self.limit() if self.better is Better.HIGHER else measured <= self.limit()

    def report(self, measured: float) -> str:
        verdict = "ok" if self.passes(measured) else "FAILED"
        sign = ">=" if self.better is Better.HIGHER else "<="
        return (f"[gate {verdict}] {self.name} = {measured:.4g} (committed {self.committed:.4g}, "
                f"must be {sign} {self.limit():.4g}; floor {self.floor:.4g}) | goal: {self.goal} | "
                f"before: {self.before}")


class UnknownFigure(KeyError):
    pass


def load_figures(path: Path = FIGURES_FILE) -> dict[str, Figure]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    figures: dict[str, Figure] = {}
    for name, table in data.items():
        kind = Kind(table["kind"])
        figures[name] = Figure(
            name=name, kind=kind, better=Better(table.get("better", "higher")),
            committed=float(table["committed"]), floor=float(table["floor"]),
            tolerance=float(table.get("tolerance", 0.30 if kind is Kind.SPEED else 0.01)),
            relative=bool(table.get("relative", kind is Kind.SPEED)),
            goal=str(table["goal"]), before=str(table["before"]), description=str(table["description"]))
    return figures


#: Every gate report of this session, printed again at the end of the run (see benchmarks/conftest.py).
REPORTS: list[str] = []


def gate(name: str, measured: float) -> None:
    """Print the figure beside its committed value and fail the calling test when it fell too far."""
    figures = load_figures()
    if name not in figures:
        raise UnknownFigure(f"{name!r} has no entry in {FIGURES_FILE.name}")
    figure = figures[name]
    line = figure.report(measured)
    REPORTS.append(line)
    print("\n" + line)
    assert figure.passes(measured), line


def gate_when_committed(name: str, measured: float, better: str) -> None:
    """:func:`gate` for a figure that may not be committed yet: until ``name`` has an entry in figures.toml, the
    figure is printed in the gates' form as pending (``better``: "higher" or "lower"), so that its committed
    value can be read off the log; once it has one, it is gated as any other."""
    if name in load_figures():
        gate(name, measured)
        return
    line = (f"[gate pending] {name} = {measured:.4g} (not in {FIGURES_FILE.name} yet; {Better(better).value} is "
            f"better)")
    REPORTS.append(line)
    print("\n" + line)
