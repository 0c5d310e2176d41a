"""Naive page text: the text of an HTML page, one block of the page per line.

This is what a plain scraper writes when it walks the page without any idea of where the article is:
scripts and styles dropped, every block-level element (paragraph, heading, list item, table cell, a
``div`` or ``section``'s own text outside its nested blocks, ...) on a line of its own, a run of inline
text between blocks as one line, whitespace collapsed, empty lines dropped. The labelled pages under
``benchmarks/structure`` were made with it, so their texts can be made again from the pages.

    python -m benchmarks.structure.naive_text PAGE.html[.gz] > page.txt
"""

from __future__ import annotations

import gzip
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from lxml import etree, html

#: Elements whose text is never shown as text on the page.
DROPPED = frozenset({"script", "style", "noscript", "template", "head", "svg", "math", "iframe", "object",
                     "canvas", "video", "audio", "map"})
#: Elements that start and end a line of their own (HTML block-level and table elements).
BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "dialog", "div", "dl",
    "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hgroup", "hr", "html", "legend", "li", "main", "menu", "nav", "ol", "p", "pre", "section", "summary",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "option", "center",
})
_SPACE = re.compile(r"\s+")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def decode(page: bytes) -> str:
    """The page as text: UTF-8 when it decodes as such (saved pages are often re-encoded to UTF-8 and keep
    their old ``<meta charset>``), else the charset its ``<meta>`` names, else UTF-8 with replacements."""
    try:
        return page.decode("utf-8")
    except UnicodeDecodeError:
        pass
    found = _CHARSET.search(page[:4096])
    charset = found.group(1).decode("ascii") if found else "utf-8"
    try:
        return page.decode(charset, errors="replace")
    except LookupError:
        return page.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Block:
    """One line of naive page text and where on the page it came from (used to label the lines)."""

    text: str
    #: The open elements when the line ended, outermost first, as ``tag.class.class#id``.
    path: tuple[str, ...]
    #: Characters of the line that are link text (inside an ``<a href>``).
    link_chars: int


def _describe(element: etree._Element, tag: str) -> str:
    classes = ".".join((element.get("class") or "").split())
    ident = element.get("id") or ""
    return tag + ("." + classes if classes else "") + ("#" + ident if ident else "")


def naive_blocks(page: str | bytes) -> list[Block]:
    """The page's blocks in order, each with its collapsed text and the elements around it."""
    source = decode(page) if isinstance(page, bytes) else page
    source = _XML_DECLARATION.sub("", source)
    if not source.strip():
        return []
    root = html.document_fromstring(source)
    blocks: list[Block] = []
    buffer: list[tuple[str, bool]] = []
    stack: list[str] = []

    def flush() -> None:
        text = _SPACE.sub(" ", "".join(piece for piece, _ in buffer)).strip()
        linked = len(_SPACE.sub(" ", "".join(piece for piece, link in buffer if link)).strip())
        buffer.clear()
        if text:
            blocks.append(Block(text, tuple(stack), min(linked, len(text))))

    def walk(element: etree._Element, in_link: bool) -> None:
        if not isinstance(element.tag, str):
            return  # comments and processing instructions: no text of the page (their tail is read below)
        tag = element.tag.lower().rsplit("}", 1)[-1]
        if tag in DROPPED:
            return
        block = tag in BLOCKS
        if block:
            flush()
        stack.append(_describe(element, tag))
        link = in_link or (tag == "a" and element.get("href") is not None)
        if tag == "br":
            buffer.append((" ", link))
        if element.text:
            buffer.append((element.text, link))
        for child in element:
            walk(child, link)
            if child.tail:
                buffer.append((child.tail, link))
        if block:
            flush()
        stack.pop()

    walk(root, False)
    flush()
    return blocks


def naive_lines(page: str | bytes) -> list[str]:
    """The page's text, one block per line, whitespace collapsed, empty lines dropped."""
    return [block.text for block in naive_blocks(page)]


def read_page(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m benchmarks.structure.naive_text PAGE.html[.gz]", file=sys.stderr)
        return 2
    try:
        page = read_page(Path(args[0]))
    except OSError as error:
        print(f"{args[0]}: {error}", file=sys.stderr)
        return 1
    sys.stdout.write("".join(line + "\n" for line in naive_lines(page)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
