"""What a shard reports: per input file, how many documents were read and what became of them, the rule hits,
and the parts it wrote with their checksums. Its JSON is the shard's completion marker.

A leaf of ``cleaner.run``: the shard writes reports, the targets check them on resume, the run sums them and
``read_output`` reads them, and none of those needs to import another for it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from cleaner.io.readers import Rejected
from cleaner.io.writers import reject_row


class RowSink(Protocol):
    """Where rows go: a Parquet part writer, or a stream of JSON lines."""

    def add(self, row: dict[str, Any], size: int) -> None:
        ...


@dataclass
class FileCounts:
    read: int = 0
    with_records: int = 0
    empty: int = 0
    rejected: int = 0
    records: int = 0
    #: Byte ranges of the input that could not be read at all (a corrupt compressed member, a malformed WARC
    #: record, an unreadable Parquet row group), and their bytes: data lost, each also one reject row.
    damaged_ranges: int = 0
    damaged_bytes: int = 0

    def add(self, other: FileCounts) -> None:
        for name in ("read", "with_records", "empty", "rejected", "records", "damaged_ranges", "damaged_bytes"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @classmethod
    def summed(cls, counts: Iterable[FileCounts]) -> FileCounts:
        total = cls()
        for one in counts:
            total.add(one)
        return total


@dataclass
class ShardReport:
    key: str
    size: int
    files: dict[str, FileCounts] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    notices: int = 0
    seconds: float = 0.0
    parts: list[str] = field(default_factory=list)
    #: Size and SHA-256 of every part, by its path under OUT: what a resume checks before trusting the marker.
    sums: dict[str, tuple[int, str]] = field(default_factory=dict)
    #: Rejects by the kind of reason (its words before the first colon), for the run's summary.
    reasons: Counter[str] = field(default_factory=Counter)
    #: Documents rejected for time, by the stage they were in ("rules", "html extraction", ...) and, when a
    #: rule was running, by "rule ID": a rule that keeps running past its limit is named.
    over_budget: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "size": self.size, "files": {p: asdict(c) for p, c in self.files.items()},
                "hits": dict(self.hits), "notices": self.notices, "seconds": self.seconds, "parts": self.parts,
                "sums": {name: list(sums) for name, sums in self.sums.items()}, "reasons": dict(self.reasons),
                "over_budget": dict(self.over_budget)}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> ShardReport:
        return cls(value["key"], value["size"], {p: FileCounts(**c) for p, c in value["files"].items()},
                   Counter(value["hits"]), value["notices"], value["seconds"], value["parts"],
                   {name: (int(s[0]), str(s[1])) for name, s in value.get("sums", {}).items()},
                   Counter(value.get("reasons", {})), Counter(value.get("over_budget", {})))

    def reject(self, writer: RowSink, rejected: Rejected, status: str = "rejected") -> None:
        """Writes a reject row and counts its reason."""
        if status == "rejected":
            self.reasons[reason_kind(rejected.reason)] += 1
        writer.add(reject_row(rejected, status), len(rejected.reason) + 64)


def reason_kind(reason: str) -> str:
    """The general part of a reject reason: "malformed JSON: Expecting value: line 1 ..." -> "malformed JSON",
    "could not be processed: DocumentTooSlow: ..." -> "could not be processed: DocumentTooSlow"; numbers
    masked, so that limits and positions do not split a kind."""
    parts = reason[:200].split(": ", 2)
    head = ": ".join(parts[:2]) if len(parts) > 1 and _EXCEPTION_NAME.fullmatch(parts[1]) else parts[0]
    return _DIGITS.sub("N", head)


_DIGITS = re.compile(r"\d+")
_EXCEPTION_NAME = re.compile(r"[A-Z][A-Za-z]+(?:Error|Exception|Slow|Large|Failed|Warning)")
