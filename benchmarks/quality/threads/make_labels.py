"""Rebuilds labels.jsonl from label_specs.jsonl and the stored pages; never runs cleaner.

Each spec names, for one page, XPaths chosen by reading the page's HTML (never this project's output):

- ``article``: the article's paragraphs, or on forum and Q&A pages the first post or the question;
- ``replies``: on forum and Q&A pages, the bodies of the other posts and of the answers (content to keep);
- ``comments``: on article pages, user comments' bodies (to be split off);
- ``related``: related-article and related-question teaser titles (to be left out);
- ``drop``: parts of the article and reply elements that are no content (signatures, "edited by" lines).

From them this script takes, as ``heldout/make_labels.py`` does: up to 5 article sentences, a span of each
reply and comment body (at most 15 words, or 30 characters in a script written without spaces), kept
only when it occurs once in the page, and teaser titles; at most 30 replies, 50 comments and 40 teasers
per page (evenly spread). It also writes ``reference``, the text of the article and reply elements less
``drop`` (a line per paragraph), against which word F1 is computed. Every snippet is checked to occur in
the page's visible text. Run: ``python benchmarks/quality/threads/make_labels.py`` (rewrites labels.jsonl).
"""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path

from benchmarks.quality.heldout.make_labels import TEASER_PREFIX, TEASER_SUFFIX, evenly, load, nodes, norm

HERE = Path(__file__).parent
MAX_RELATED, MAX_COMMENTS, MAX_REPLIES = 40, 50, 30
#: A text is written without spaces (Chinese, Japanese) when it has fewer spaces than this per character.
SPACED = 0.05
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")
_BLOCKS = frozenset({"p", "div", "li", "br", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "tr",
                     "table", "ul", "ol", "dd", "dt", "section", "article"})


def unspaced(text: str) -> bool:
    return len(text) >= 10 and text.count(" ") < SPACED * len(text)


def span(element, low: int = 6, high: int = 15) -> str | None:
    """A span of the element's body: the first words of its longest text node, or of all its text."""
    pieces = sorted(nodes(element), key=len, reverse=True)
    if not pieces:
        return None
    if unspaced(pieces[0]):
        return pieces[0][:30] if len(pieces[0]) >= 12 else None
    if len(pieces[0].split()) >= low:
        return " ".join(pieces[0].split()[:high])
    whole = " ".join(nodes(element)).split()
    return " ".join(whole[:high]) if len(whole) >= low else None


def block_text(element) -> str:
    """The element's text, a line per block element."""
    pieces: list[str] = []

    def walk(e) -> None:
        if isinstance(e.tag, str) and e.tag in _BLOCKS:
            pieces.append("\n")
        if isinstance(e.tag, str) and e.text:
            pieces.append(e.text)
        for child in e:
            walk(child)
            if child.tail:
                pieces.append(child.tail)
        if isinstance(e.tag, str) and e.tag in _BLOCKS:
            pieces.append("\n")

    walk(element)
    lines = (" ".join(line.split()) for line in "".join(pieces).split("\n"))
    return "\n".join(line for line in lines if line)


def build(spec: dict, page: Path) -> tuple[dict, list[str]]:
    doc = load(page)
    visible = (norm(doc.text_content()), norm(" ".join(doc.itertext())))

    def occurrences(snippet: str) -> int:
        return max(v.count(norm(snippet)) for v in visible)

    def select(kind: str) -> list:
        return [e for path in spec.get(kind, []) for e in doc.xpath(path)]

    related: list[str] = []
    for e in select("related"):
        text = " ".join((e if isinstance(e, str) else e.text_content()).split())
        text = TEASER_SUFFIX.sub("", TEASER_PREFIX.sub("", text))
        if (len(text.split()) >= spec.get("minw", 3) or unspaced(text)) and text not in related:
            related.append(text)

    article_elements, reply_elements = select("article"), select("replies")
    article_text = norm(" ".join(e.text_content() for e in article_elements))
    sentences = []
    for e in article_elements:
        for node in nodes(e):
            for sentence in _SENTENCE_END.split(node):
                sentence = sentence.strip()
                words = sentence.split()
                if not words:
                    continue
                cut = sentence[:40] if unspaced(sentence) else " ".join(words[:22])
                long_enough = (len(sentence) >= 15 if unspaced(sentence) else
                               len(words) >= 12 or (len(words) >= 8 and sentence[-1] in ".!?"))
                if long_enough and (not words[0][0].isalpha() or words[0][0].isupper() or unspaced(sentence)
                                    or words[0][0].isdigit()) and occurrences(cut) == 1:
                    sentences.append(cut)
    article = evenly(list(dict.fromkeys(sentences)), 5)

    def spans(elements: list, limit: int) -> list[str]:
        kept: list[str] = []
        for e in elements:
            found = span(e)
            if not found:
                continue
            n = norm(found)
            if occurrences(found) != 1 or (n in article_text and elements is not article_elements) \
                    or any(n in norm(k) or norm(k) in n for k in kept):
                continue
            kept.append(found)
        return evenly(kept, limit)

    replies = spans(reply_elements, MAX_REPLIES)
    comments = spans(select("comments"), MAX_COMMENTS)

    main_text = norm(" ".join(e.text_content() for e in article_elements + reply_elements))
    own = norm(" ".join(doc.xpath("string(//title)").split() + ["|"]
                        + [" ".join(h.text_content().split()) for h in doc.xpath("(//h1)[1]")]))
    related = [r for r in related if norm(r) not in main_text and norm(r) not in own]
    related = evenly(related, MAX_RELATED)

    reference_parts = []
    for e in article_elements + reply_elements:
        e = copy.deepcopy(e)
        for path in spec.get("drop", []):
            for bad in e.xpath(path):
                bad.drop_tree()
        reference_parts.append(block_text(e))
    reference = "\n".join(part for part in reference_parts if part)

    missing = [s for s in related + comments + article + replies if not any(norm(s) in v for v in visible)]
    label = {key: spec[key] for key in ("id", "site", "split", "type", "language", "source_repo", "source_path",
                                        "source_commit", "license")}
    label |= {"url": spec.get("url"), "related": related, "comments": comments, "article": article,
              "replies": replies, "reference": reference}
    return label, missing


def main() -> int:
    specs = [json.loads(line) for line in (HERE / "label_specs.jsonl").read_text(encoding="utf-8").splitlines()
             if line.strip()]
    labels, failed = [], 0
    for spec in specs:
        label, missing = build(spec, HERE / "pages" / f"{spec['id']}.html.gz")
        labels.append(label)
        for snippet in missing:
            print(f"{spec['id']}: not in the page: {snippet!r}", file=sys.stderr)
            failed += 1
        print(f"{spec['id']:<34} {spec['split']:<6} {spec['type']:<8} related {len(label['related']):>2} "
              f"comments {len(label['comments']):>2} article {len(label['article'])} replies "
              f"{len(label['replies']):>2} reference {len(label['reference'].split()):>5} words")
    with open(HERE / "labels.jsonl", "w", encoding="utf-8") as handle:
        for label in labels:
            handle.write(json.dumps(label, ensure_ascii=False) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
