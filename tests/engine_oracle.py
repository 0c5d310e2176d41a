"""The engine's per-document bookkeeping as it was written before its loops over every line were made to run in
C: the definition the faster forms in cleaner/core/engine.py are tested against
(tests/test_engine_bookkeeping.py). Not used at run time.

:class:`OraclePass` is the engine's ``_Pass`` with these parts in their earlier, line-by-line form: the lines'
edges stripped of invisible characters and their first states, and how weak junk is settled. Its state is a
list, as it was, where the engine's is a bytearray.
"""

from __future__ import annotations

from typing import Any

from cleaner.core.engine import _BLANK, _CONTENT, _EDGES, _INVISIBLE, _REGION, _STRONG, _WEAK, _Pass


class OraclePass(_Pass):
    """``_Pass`` with its per-line bookkeeping done line by line, as before."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lines = list(map(str.strip, self.raw))
        for index, line in enumerate(lines):
            if line and (line[0] in _INVISIBLE or line[-1] in _INVISIBLE):
                lines[index] = line.strip(_EDGES)
        self.lines = lines
        self.state = [_CONTENT if line else _BLANK for line in self.lines]  # type: ignore[assignment]

    def _settle_weak_lines(self) -> None:
        state = self.state
        weak: list[int] = []
        anchored = False
        for index in [*range(len(state)), -1]:
            current = state[index] if index >= 0 else _CONTENT
            if current == _WEAK:
                weak.append(index)
            elif current in (_STRONG, _REGION):
                anchored = True
            elif current == _CONTENT:
                if not anchored:
                    for lonely in weak:
                        state[lonely] = _CONTENT
                        self.why[lonely] = None
                weak = []
                anchored = False


def settle_weak_oracle(state: list[int], why: list[str | None]) -> None:
    """:meth:`OraclePass._settle_weak_lines` on a bare state list (for generated states)."""
    holder = OraclePass.__new__(OraclePass)
    holder.state = state  # type: ignore[assignment]
    holder.why = why
    OraclePass._settle_weak_lines(holder)
