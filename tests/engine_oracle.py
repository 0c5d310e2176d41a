"""The engine's per-document bookkeeping as it was written before its loops over every line were made to run in
C: the definition the faster forms in cleaner/core/engine.py are tested against
(tests/test_engine_bookkeeping.py). Not used at run time.

:class:`OraclePass` is the engine's ``_Pass`` with these parts in their earlier, line-by-line form: the lines'
edges stripped of invisible characters and their first states, how weak junk is settled, and which lines the
main record keeps and which are removed. Its state is a list, as it was, where the engine's is a bytearray.
"""

from __future__ import annotations

from itertools import accumulate
from types import MappingProxyType
from typing import Any

from cleaner.core.engine import _BLANK, _CONTENT, _EDGES, _INVISIBLE, _REGION, _STRONG, _WEAK, _Pass
from cleaner.core.records import NO_METADATA, Record, Removal
from cleaner.core.rules import SENTENCE_END
from cleaner.core.text import line_key, normalize_line


class OraclePass(_Pass):
    """``_Pass`` with its per-line bookkeeping done line by line, as before."""

    def __init__(self, engine: Any, text: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(engine, text, *args, **kwargs)
        # The raw lines, split here as before (the engine may have split the text in its compiled core).
        offset = 1 if text.startswith("\ufeff") else 0
        self.raw = (text[offset:] if offset else text).splitlines(keepends=True) or [""]
        self.offset = offset
        self._starts = None
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


    def _remove_lines(self) -> None:
        state, lines, raw, evidence, removals = self.state, self.lines, self.raw, self.evidence, self.removals
        assert raw is not None
        starts = None
        for index, rule_id in enumerate(self.why):
            if rule_id is not None and state[index] != _CONTENT:
                if starts is None:
                    starts = list(accumulate(map(len, raw[:-1]), initial=self.offset))  # the raw lines' starts
                line = lines[index]
                at = starts[index] + raw[index].find(line)  # stripped in front: only whitespace and marks
                removals.append(Removal(rule_id, at, at + len(line), line, evidence.get(index)))

    def _main_record(self, language: str) -> list[Record]:
        why = self.why
        if self.line_metadata:
            for index in sorted(self.line_metadata):
                producer, found = self.line_metadata[index]
                if self.state[index] != _CONTENT and why[index] == producer:
                    for name, value in found.items():
                        self.metadata.setdefault(name, value)
        if self.site is not None:
            self._remove_site_repeats()
        kept = [i for i, state in enumerate(self.state) if state == _CONTENT]
        self._remove_lines()
        title = self.given_title
        options = self.engine.options
        if title is not None and kept and line_key(self.lines[kept[0]]) == line_key(title):
            kept = kept[1:]  # the headline printed above the text is the title, not body
        elif title is None and options.title_from_first_line and len(kept) > 1:
            first = self.lines[kept[0]]
            if len(first) <= options.max_title_chars and not first.endswith(SENTENCE_END):
                title = normalize_line(first)
                kept = kept[1:]
        text = "\n".join(map(self.lines.__getitem__, kept))
        if not text:
            return []
        metadata = MappingProxyType(self.metadata) if self.metadata else NO_METADATA
        return [Record(self.doc_id, 0, "main", None, None, title, text, self.url, metadata, language=language)]


def settle_weak_oracle(state: list[int], why: list[str | None]) -> None:
    """:meth:`OraclePass._settle_weak_lines` on a bare state list (for generated states)."""
    holder = OraclePass.__new__(OraclePass)
    holder.state = state  # type: ignore[assignment]
    holder.why = why
    OraclePass._settle_weak_lines(holder)
