"""Rebuilds labels.jsonl from label_specs.jsonl and the stored pages; never runs cleaner.

Each spec names, for one page, the XPaths of its related-article teasers, of its user comments' bodies and
of its article paragraphs, chosen by reading the page's HTML. From them this script takes:

- related: the text of each teaser title element, without "Previous post:"-like labels and trailing arrows
  (at least 3 words; not the page's own title or first
  ``<h1>``, not a text found in the article paragraphs, not a text that contains another teaser's text);
- comments: a span of at most 15 words from each comment body (its longest text node when that has 6
  words or more, else its text nodes joined), kept only when it occurs exactly once in the page and not in
  the article paragraphs, and when it neither contains nor is contained in a span already kept;
- article: up to 5 sentences (at most 22 words each, at least 8, starting with a capital or a digit),
  evenly spread over the article paragraphs, each occurring exactly once in the page.

At most 40 teasers and 50 comments per page are kept (evenly spread), so that a few huge pages do not
outweigh the rest. Every snippet is checked to occur in the page's visible text (whitespace-normalised,
case-insensitive). Run: ``python benchmarks/quality/heldout/make_labels.py`` (rewrites labels.jsonl).
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path

from lxml import html as lxml_html

HERE = Path(__file__).parent
MAX_RELATED = 40
MAX_COMMENTS = 50
#: Words around a teaser's title that are the link's furniture, not its title: "Previous Post: « ...",
#: "Next post: ...", "... »", "... ►".
TEASER_PREFIX = re.compile(r"^(?:(?:next|previous|prev)(?: post| article)?:?\s*)+[«»]?\s*", re.IGNORECASE)
TEASER_SUFFIX = re.compile(r"\s*'?\s*[«»►]\s*$")


def norm(text: str) -> str:
    return " ".join(text.lower().split())


def load(path: Path):
    raw = gzip.decompress(path.read_bytes())
    try:
        text = re.sub(r"^\s*<\?xml[^>]*\?>", "", raw.decode("utf-8"))
        doc = lxml_html.document_fromstring(text)
    except UnicodeDecodeError:
        doc = lxml_html.document_fromstring(raw)
    for bad in doc.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    return doc


def nodes(element) -> list[str]:
    """The element's text pieces (texts and tails), each whitespace-normalised."""
    out = []
    for e in element.iter():
        if not isinstance(e.tag, str) or e.tag in ("script", "style"):
            if e is not element and e.tail:
                out.append(e.tail)
            continue
        if e.text:
            out.append(e.text)
        if e is not element and e.tail:
            out.append(e.tail)
    return [" ".join(x.split()) for x in out if x.strip()]


def comment_span(element, low: int = 6, high: int = 15) -> str | None:
    pieces = sorted(nodes(element), key=lambda s: -len(s.split()))
    if pieces and len(pieces[0].split()) >= low:
        return " ".join(pieces[0].split()[:high])
    whole = " ".join(nodes(element)).split()
    return " ".join(whole[:high]) if len(whole) >= low else None


def evenly(items: list[str], count: int) -> list[str]:
    if len(items) <= count:
        return items
    step = (len(items) - 1) / (count - 1)
    return [items[round(j * step)] for j in range(count)]


def build(spec: dict, page: Path) -> tuple[dict, list[str]]:
    doc = load(page)
    visible = (norm(doc.text_content()), norm(" ".join(doc.itertext())))

    def occurrences(snippet: str) -> int:
        return max(v.count(norm(snippet)) for v in visible)

    canonical = doc.xpath("//link[@rel='canonical']/@href|//meta[@property='og:url']/@content")
    url = canonical[0].strip() if canonical and canonical[0].startswith("http") else spec.get("url")

    related: list[str] = []
    for path in spec.get("related", []):
        for e in doc.xpath(path):
            text = " ".join((e if isinstance(e, str) else e.text_content()).split())
            text = TEASER_SUFFIX.sub("", TEASER_PREFIX.sub("", text))
            if (len(text.split()) >= spec.get("minw", 3) and text not in related
                    and not re.search(spec.get("exclude", "^$"), text)):
                related.append(text)
    comments: list[str] = []
    for path in spec.get("comments", []):
        for e in doc.xpath(path):
            span = comment_span(e)
            if span and span not in comments and not re.search(spec.get("com_exclude", "^$"), span):
                comments.append(span)

    paragraphs = [e for path in spec.get("article", []) for e in doc.xpath(path)]
    article_text = norm(" ".join(e.text_content() for e in paragraphs))
    sentences = []
    for e in paragraphs:
        for node in nodes(e):
            for sentence in re.split(r"(?<=[.!?])\s+", node):
                if re.search(spec.get("art_exclude", "^$"), sentence):
                    continue
                words = sentence.split()
                if ((len(words) >= 12 or (len(words) >= 8 and sentence.rstrip()[-1] in ".!?"))
                        and (words[0][0].isupper() or words[0][0].isdigit())
                        and occurrences(" ".join(words[:22])) == 1):
                    sentences.append(" ".join(words[:22]))
    article = evenly(list(dict.fromkeys(sentences)), 5)

    related = [r for r in related if norm(r) not in article_text]
    own = norm(" ".join(doc.xpath("string(//title)").split() + ["|"]
                        + [" ".join(h.text_content().split()) for h in doc.xpath("(//h1)[1]")]))
    related = [r for r in related if norm(r) not in own]
    related = [r for r in related if not any(norm(r) != norm(k) and norm(k) in norm(r) for k in related)]
    kept: list[str] = []
    for c in comments:
        n = norm(c)
        if occurrences(c) != 1 or n in article_text or any(n in norm(k) or norm(k) in n for k in kept):
            continue
        kept.append(c)
    related, comments = evenly(related, MAX_RELATED), evenly(kept, MAX_COMMENTS)

    missing = [s for s in related + comments + article if not any(norm(s) in v for v in visible)]
    label = {"id": spec["id"], "source_repo": spec["source_repo"], "source_path": spec["source_path"],
             "source_commit": spec["source_commit"], "license": spec["license"], "url": url,
             "related": related, "comments": comments, "article": article}
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
    with open(HERE / "labels.jsonl", "w", encoding="utf-8") as handle:
        for label in labels:
            handle.write(json.dumps(label, ensure_ascii=False) + "\n")
    print(f"{len(labels)} pages, {sum(len(x['related']) for x in labels)} related, "
          f"{sum(len(x['comments']) for x in labels)} comments, {sum(len(x['article']) for x in labels)} article")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
