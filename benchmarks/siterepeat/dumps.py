"""The multi-page dumps of the site repetition benchmark: reading a host's labelled pages (a leaf module that
the scorer and the constructed dumps both import)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Page:
    url: str
    labels: tuple[str, ...]
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class Dump:
    host: str
    lang: str
    source: str
    pages: tuple[Page, ...]
    #: The set the host was added with ("" for the hosts whose figures the gates hold; see ``build.HostSpec``).
    group: str = ""


def read_dump(path: Path) -> Dump:
    head: dict[str, str] = {}
    pages: list[Page] = []
    url: str | None = None
    labels: list[str] = []
    lines: list[str] = []

    def flush() -> None:
        if url is not None:
            pages.append(Page(url, tuple(labels), tuple(lines)))

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if raw.startswith("# "):
            name, _, value = raw[2:].partition(": ")
            head[name] = value
        elif raw.startswith("== "):
            flush()
            url, labels, lines = raw[3:], [], []
        else:
            label, tab, text = raw.partition("\t")
            if not tab or label not in ("C", "J") or url is None:
                raise ValueError(f"{path}:{number}: expected 'C<TAB>text' or 'J<TAB>text' after a '== URL' line")
            labels.append(label)
            lines.append(text)
    flush()
    return Dump(head.get("host", path.stem), head.get("lang", "?"), head.get("source", "?"), tuple(pages),
                head.get("group", ""))


def dumps(part: str) -> list[Dump]:
    return [read_dump(p) for p in sorted((HERE / part).glob("*.txt"))]
