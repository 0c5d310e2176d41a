"""A native confirmation against Python ``regex`` on given lines: the loop every confirmation test runs (its
verdict, and where asked every named group's text and span, must be Python's)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import product
from typing import Any

from cleaner.core.matcher import UNSURE


@dataclass
class Comparison:
    """How the confirmation answered the lines, beside Python ``regex``."""

    #: Lines where its verdict (or a group's text or span) was not Python's.
    wrong: list[str] = field(default_factory=list)
    #: Lines both matched, alike.
    matched: list[str] = field(default_factory=list)
    #: How many lines neither matched.
    refused: int = 0
    #: Lines it left to Python.
    unsure: list[str] = field(default_factory=list)

    @property
    def asked(self) -> int:
        """Lines it answered."""
        return len(self.wrong) + len(self.matched) + self.refused


def short_strings(alphabet: str, longest: int) -> list[str]:
    """Every string over ``alphabet`` up to ``longest`` characters, shortest first."""
    return ["".join(chars) for size in range(longest + 1) for chars in product(alphabet, repeat=size)]


def compare(confirmer: Any, compiled: Any, lines: Iterable[str], *, captures: bool = True) -> Comparison:
    """``confirmer``'s answers on ``lines`` beside ``compiled.fullmatch`` (``captures``: the named groups' texts
    and spans too); its verdict-only ``is_match`` must agree with its own match on every line it answers."""
    found = Comparison()
    for line in lines:
        native = confirmer.fullmatch(line)
        if native is UNSURE:
            found.unsure.append(line)
            continue
        assert confirmer.is_match(line) == (native is not None), line
        expected = compiled.fullmatch(line)
        if (native is None) != (expected is None):
            found.wrong.append(line)
        elif expected is None:
            found.refused += 1
        elif captures and (native.groupdict() != expected.groupdict()
                           or any(native.span(name) != expected.span(name) for name in expected.groupdict())):
            found.wrong.append(line)
        else:
            found.matched.append(line)
    return found
