"""Corpus-level logic over strings: which lines are candidates for a learned rule, how variants that differ
only in numbers or dates generalise to one pattern, which candidates become suggestions, and how a
suggestion is written as a rule file entry with examples that ``cleaner rules test`` runs.

Everything here is pure: the shells (``cleaner.run.suggest``, ``cleaner.run.dedup``) read the files,
count, and hand this module the counts.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import regex

from cleaner.core.text import line_key

#: A learned rule looks only at short lines: furniture is short, and a paragraph is never a candidate.
MAX_LINE_CHARS = 160
MAX_LINE_WORDS = 24
#: Lines of at most this many words ("Share", "Read more") are generic labels that can also be a content
#: heading ("Ingredients"). They go into one menu rule that removes them only in runs of ``MENU_RUN``
#: (a navigation bar, a footer's link list), never alone between paragraphs.
LABEL_MAX_WORDS = 2
#: Lines learned from many sites but not from the pages of one site are generic: up to this many words,
#: they too are menu labels; and no pattern is learned from them ("iPhone 15", "Election 2024" recur on
#: many sites as content).
GENERIC_LABEL_MAX_WORDS = 4
MENU_RUN = 3
#: A recurring short line heads a list (a layout candidate) when, in at least this share of its documents,
#: at least ``LIST_MIN_ITEMS`` lines after it are item-shaped: 2-30 words, no sentence end, seen once.
LIST_SHARE = 0.6
LIST_MIN_ITEMS = 2
HEADER_MAX_WORDS = 6
_ITEM_SLOT = ("{ field = \"title\", pattern = '(?:[-–—•*·▪►›»]\\s*)?(?P<title>[^\\n]+?)', min_words = 2, "
              "max_words = 30, max_chars = 320, sentence_end = false }")


def item_shaped(line: str) -> bool:
    """A line that could be an article title in a list: 2-30 words, at most 320 characters, no sentence end."""
    words = line.split()
    return 2 <= len(words) <= 30 and len(line) <= 320 and not line.rstrip().endswith((".", ",", ";", ":"))
MENU_MAX_LABELS = 1000
MENU_MAX_CHARS = 60
#: Lines of this many words or more that end like a sentence are prose unless they are very frequent.
SENTENCE_MIN_WORDS = 12

_LETTER = regex.compile(r"\p{L}")
# Placeholders in a shape: characters that line_key never leaves in a line (control characters).
_NUMBER, _MONTH, _WEEKDAY = "\x01", "\x02", "\x03"
_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|"
           "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun"
_NUMBER_RE = regex.compile(r"\d+(?:[.,:/]\d+)*(?:st|nd|rd|th|k|m)?")
_MONTH_RE = regex.compile(rf"\b(?:{_MONTHS})\b\.?")
_WEEKDAY_RE = regex.compile(rf"\b(?:{_WEEKDAYS})\b\.?")
#: How each placeholder is written in a generated pattern: bounded, so it cannot backtrack badly.
_PLACEHOLDER_PATTERNS = {
    _NUMBER: r"\d{1,7}(?:[.,:/]\d{1,4}){0,3}(?:st|nd|rd|th|k|m)?",
    _MONTH: rf"(?:{_MONTHS})\.?",
    _WEEKDAY: rf"(?:{_WEEKDAYS})\.?",
}
_REGEX_SPECIAL = frozenset("\\.^$*+?{}[]|()#&~-")
SENTENCE_END = (".", "!", "?")


def candidate_key(line: str) -> str | None:
    """The comparison key of a line that could be furniture (short, holds a letter), else None."""
    if len(line) > MAX_LINE_CHARS * 2:
        return None
    key = line_key(line)
    if not key or len(key) > MAX_LINE_CHARS or len(key.split()) > MAX_LINE_WORDS or not _LETTER.search(key):
        return None
    return key


def shape_of(key: str) -> str:
    """The key with numbers, month and weekday names replaced by placeholders: "12 comments" and
    "3 comments" share one shape, as do "updated 4 may 2024" and "updated 19 june 2025"."""
    shape = _NUMBER_RE.sub(_NUMBER, key)
    shape = _MONTH_RE.sub(_MONTH, shape)
    return _WEEKDAY_RE.sub(_WEEKDAY, shape)


def is_generalised(shape: str) -> bool:
    return any(p in shape for p in (_NUMBER, _MONTH, _WEEKDAY))


def shape_pattern(shape: str) -> str:
    """A whole-line pattern (regex syntax, matched case-insensitively) for a shape."""
    out: list[str] = []
    for char in shape:
        if char in _PLACEHOLDER_PATTERNS:
            out.append(_PLACEHOLDER_PATTERNS[char])
        elif char in _REGEX_SPECIAL:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def stable_hash(*parts: str) -> int:
    """A 63-bit hash that is the same in every process (Python's ``hash`` of a str is salted per process)."""
    digest = hashlib.blake2b("\x00".join(parts).encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def looks_like_prose(key: str) -> bool:
    """A long line that ends like a sentence: repeated prose needs stronger evidence than a label."""
    return len(key.split()) >= SENTENCE_MIN_WORDS and key.endswith(SENTENCE_END)


@dataclass(frozen=True)
class Thresholds:
    """When a recurring line is evidence of furniture.

    ``min_docs``: distinct documents (near-duplicates count once) it appears in, within one group;
    ``min_share``: the share of the group's documents. Prose-like lines need ``prose_factor`` times both.
    """

    min_docs: int = 5
    min_share: float = 0.01
    prose_factor: float = 3.0

    def passes(self, docs: int, group_docs: int, prose: bool) -> bool:
        factor = self.prose_factor if prose else 1.0
        return docs >= self.min_docs * factor and docs >= self.min_share * factor * max(1, group_docs)


@dataclass
class Candidate:
    """What the second pass gathered about one line key or shape."""

    key: str
    shape: bool
    docs: int = 0
    groups: dict[str, int] = field(default_factory=dict)
    variants: dict[str, int] = field(default_factory=dict)
    contexts: list[str] = field(default_factory=list)
    #: Documents where the line is followed by at least ``LIST_MIN_ITEMS`` item-shaped lines (titles seen
    #: once), and the first such items: evidence that the line heads a list of other articles.
    lists: int = 0
    items: tuple[str, ...] = ()

    def add_list(self, items: Sequence[str]) -> None:
        self.lists += 1
        if not self.items:
            self.items = tuple(items)

    def add(self, group: str, shown: str, context: str, max_contexts: int = 3) -> None:
        self.docs += 1
        self.groups[group] = self.groups.get(group, 0) + 1
        if len(self.variants) < 64 or shown in self.variants:
            self.variants[shown] = self.variants.get(shown, 0) + 1
        if len(self.contexts) < max_contexts and context not in self.contexts:
            self.contexts.append(context)


@dataclass(frozen=True)
class Suggestion:
    rule_id: str
    exact: str | None
    pattern: str | None
    docs: int
    share: float
    groups: tuple[str, ...]
    contexts: tuple[str, ...]
    junk: tuple[str, ...]
    keep: tuple[str, ...]
    domains: tuple[str, ...] = ()
    #: A layout: the header line heads a list of these items (from one document, for the example).
    items: tuple[str, ...] = ()
    #: A menu rule: its labels as printed, removed only in runs of ``min_run``.
    min_run: int = 1
    max_chars: int | None = None
    labels: tuple[str, ...] = ()


def evidence(candidate: Candidate, group_sizes: Mapping[str, int], total_docs: int,
             thresholds: Thresholds) -> str | None:
    """"group" when the line passes the thresholds among the pages of one site (or input), "corpus" when
    only across the whole corpus, else None."""
    prose = looks_like_prose(candidate.key)
    if any(thresholds.passes(n, group_sizes.get(g, n), prose) for g, n in candidate.groups.items()):
        return "group"
    return "corpus" if thresholds.passes(candidate.docs, total_docs, prose) else None


def _has_words(shape: str) -> bool:
    """Whether a shape keeps a word of its own besides numbers and dates ("updated <date>" does, a bare
    date does not: a date line is the article's metadata as often as furniture)."""
    return bool(_LETTER.search(_MONTH_RE.sub("", _WEEKDAY_RE.sub("", shape))))


def choose(candidates: Iterable[Candidate], group_sizes: Mapping[str, int], total_docs: int,
           thresholds: Thresholds, taken: frozenset[str] = frozenset(), *, prefix: str = "LRN",
           scoped: bool = False) -> list[Suggestion]:
    """Suggestions from the candidates that qualify, most frequent first:

    - a pattern where several variants share a shape (its exact lines are then covered by it), learned
      only from the pages of one site;
    - a layout where a site's own recurring header is followed, on most of its pages, by titles seen once;
    - short labels, and generic lines seen across sites, gathered in one menu rule removed only in runs;
    - an exact line otherwise.

    ``taken``: keys of active exact rules (a second rule for the same line would be refused at load).
    """
    found = [(c, evidence(c, group_sizes, total_docs, thresholds)) for c in candidates]
    qualified = [(c, e) for c, e in found if e is not None]
    patterns = [c for c, e in qualified if c.shape and e == "group" and len(c.variants) >= 2 and _has_words(c.key)]
    compiled = [regex.compile(shape_pattern(c.key), regex.IGNORECASE) for c in patterns]
    chosen: list[Candidate] = list(patterns)
    labels: list[Candidate] = []
    headers: set[str] = set()
    for candidate, seen in qualified:
        if candidate.shape or candidate.key in taken or any(p.fullmatch(candidate.key) for p in compiled):
            continue
        words = len(candidate.key.split())
        if seen == "group" and _heads_lists(candidate, thresholds):
            # Only a site's own header: across sites, "Pros", "Cons" or "Features" over short lines is content.
            headers.add(candidate.key)
            chosen.append(candidate)
            continue
        if words <= LABEL_MAX_WORDS or (seen == "corpus" and words <= GENERIC_LABEL_MAX_WORDS
                                        and not candidate.key.endswith(SENTENCE_END)):
            if len(candidate.key) <= MENU_MAX_CHARS:
                labels.append(candidate)
            continue
        chosen.append(candidate)
    chosen.sort(key=lambda c: (-c.docs, c.key))
    labels.sort(key=lambda c: (-c.docs, c.key))
    total = max(1, total_docs)
    suggestions: list[Suggestion] = []
    for candidate in chosen:
        shown = _shown(candidate)
        groups = tuple(sorted(candidate.groups, key=lambda g: (-candidate.groups[g], g)))
        if not candidate.shape and candidate.key in headers:
            items = candidate.items
            suggestions.append(Suggestion(
                rule_id=f"{prefix}{len(suggestions) + 1:03d}", exact=None, pattern=shape_pattern(candidate.key),
                docs=candidate.docs, share=candidate.docs / total, groups=groups, contexts=tuple(candidate.contexts),
                junk=("\n".join(["A paragraph of the story comes first.", shown, *items]),),
                keep=(f"The page quoted the words “{shown}” in its report.",),
                domains=groups if scoped else (), items=items))
            continue
        suggestions.append(Suggestion(
            rule_id=f"{prefix}{len(suggestions) + 1:03d}",
            exact=None if candidate.shape else shown,
            pattern=shape_pattern(candidate.key) if candidate.shape else None,
            docs=candidate.docs, share=candidate.docs / total, groups=groups,
            contexts=tuple(candidate.contexts), junk=(shown,),
            keep=(f"The page quoted the words “{shown}” in its report.",),
            domains=groups if scoped else ()))
    labels = labels[:MENU_MAX_LABELS]
    if len(labels) >= MENU_RUN:
        suggestions.append(_menu(f"{prefix}{len(suggestions) + 1:03d}", labels, total))
    return suggestions


def _heads_lists(candidate: Candidate, thresholds: Thresholds) -> bool:
    return (len(candidate.key.split()) <= HEADER_MAX_WORDS and not candidate.key.endswith(SENTENCE_END)
            and len(candidate.items) >= LIST_MIN_ITEMS
            and candidate.lists >= max(thresholds.min_docs, LIST_SHARE * candidate.docs))


def _menu(rule_id: str, labels: Sequence[Candidate], total: int) -> Suggestion:
    shown = [_shown(c) for c in labels]
    alternatives = "|".join(shape_pattern(c.key) for c in sorted(labels, key=lambda c: (-len(c.key), c.key)))
    groups: dict[str, int] = {}
    for candidate in labels:
        for group, n in candidate.groups.items():
            groups[group] = groups.get(group, 0) + n
    return Suggestion(
        rule_id=rule_id, exact=None, pattern=f"(?:{alternatives})", docs=max(c.docs for c in labels),
        share=max(c.docs for c in labels) / total,
        groups=tuple(sorted(groups, key=lambda g: (-groups[g], g))),
        contexts=tuple(f"{_shown(c)} ({c.docs} documents)" for c in labels[:3]),
        junk=("\n".join(shown[:MENU_RUN]),),
        keep=(f"A paragraph of the story comes first.\n{shown[0]}\nThe story goes on after it.",),
        min_run=MENU_RUN, max_chars=MENU_MAX_CHARS, labels=tuple(shown))


def _shown(candidate: Candidate) -> str:
    """The most frequent spelling of the line as printed (ties: alphabetical)."""
    return min(candidate.variants, key=lambda v: (-candidate.variants[v], v)) if candidate.variants else candidate.key


# --- writing a rule file -------------------------------------------------------------------------------

def toml_string(value: str) -> str:
    """A TOML string: literal ('...') when it can be, so patterns keep their backslashes readable."""
    if "'" not in value and "\n" not in value and value.isprintable():
        return f"'{value}'"
    return json.dumps(value, ensure_ascii=False)


def _comment(text: str, width: int = 150) -> str:
    flat = " ⏎ ".join(line.strip() for line in text.split("\n"))
    flat = "".join(c if c.isprintable() else " " for c in flat)
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def render_rule_file(suggestions: Sequence[Suggestion], *, name: str, description: str,
                     sources: Sequence[str] = ()) -> str:
    """A rule file for the suggestions, ready to edit: every rule with its evidence as comments."""
    lines = ["# Learned by `cleaner rules suggest`: lines that recur across many documents of the same site",
             "# (or input) and that no active rule removed. Review before use: delete a rule that names",
             "# content, widen a pattern, or make a rule weak. `cleaner rules test --rules THIS_FILE` runs the",
             "# examples below.",
             *(f"# input: {_comment(s)}" for s in sources[:20]),
             "",
             "[file]",
             f"name = {toml_string(name)}",
             f"description = {toml_string(description)}",
             ""]
    for s in suggestions:
        hosts = ", ".join(s.groups[:5]) + (f" and {len(s.groups) - 5} more" if len(s.groups) > 5 else "")
        lines.append(f"# seen in {s.docs} documents ({s.share:.1%} of all), in {len(s.groups)} group(s): "
                     f"{_comment(hosts)}")
        lines += [f"#   context: {_comment(c)}" for c in s.contexts]
        if s.items:
            lines += _layout_entry(s)
            continue
        lines.append("[[rule]]")
        lines.append(f'id = "{s.rule_id}"')
        if s.labels:
            purpose = (f"Menu and footer labels, {len(s.labels)} seen across documents, removed in runs of at "
                       f"least {s.min_run}: {', '.join(s.labels[:6])}")
        elif s.exact is not None:
            purpose = f"Line recurring in {s.docs} documents: {s.exact}"
        else:
            purpose = f"Lines of one shape recurring in {s.docs} documents: {s.pattern}"
        lines.append(f"purpose = {toml_string(_comment(purpose, 200))}")
        if s.exact is not None:
            lines.append(f"line = {toml_string(s.exact)}")
        else:
            lines.append(f"pattern = {toml_string(s.pattern or '')}")
        if s.min_run > 1:
            lines.append(f"min_run = {s.min_run}")
        if s.max_chars is not None:
            lines.append(f"max_chars = {s.max_chars}")
        if s.domains:
            lines.append(f"domains = [{', '.join(toml_string(d) for d in s.domains)}]")
        lines.append(f"examples.junk = [{', '.join(toml_string(j) for j in s.junk)}]")
        lines.append(f"examples.keep = [{', '.join(toml_string(k) for k in s.keep)}]")
        lines.append("")
    return "\n".join(lines)


def _layout_entry(s: Suggestion) -> list[str]:
    """A related-articles layout: the recurring header, then items of one title line each."""
    purpose = f"A list of other articles under a header recurring in {s.docs} documents: {s.junk[0].split(chr(10))[1]}"
    lines = ["[[layout]]", f'id = "{s.rule_id}"', f"purpose = {toml_string(_comment(purpose, 200))}",
             f"header = {toml_string(s.pattern or '')}", f"slots = [{_ITEM_SLOT}]"]
    if s.domains:
        lines.append(f"domains = [{', '.join(toml_string(d) for d in s.domains)}]")
    lines.append(f"examples.keep = [{', '.join(toml_string(k) for k in s.keep)}]")
    # The example states what remains of it: the paragraph before the list (the list's items become records).
    example = s.junk[0].split("\n")
    lines += ["", "[[layout.examples.cut]]", "lines = [", *(f"  {toml_string(line)}," for line in example), "]",
              f"remains = [{toml_string(example[0])}]", ""]
    return lines


# --- near-duplicate detection --------------------------------------------------------------------------

SHINGLE_WORDS = 5
_WORD = regex.compile(r"\w+")
#: ``\w+`` of an ASCII text: its word characters are these (Unicode's word characters in ASCII), and ``re``
#: finds them in about half the time ``regex`` takes, which counts on millions of tiny records.
_ASCII_WORD = re.compile(r"[A-Za-z0-9_]+")


def shingle_words(text: str) -> list[str]:
    """The case-folded words (``\\w+``) of a text, as shingles are made of."""
    # An ASCII text's case folding is its lower case; its words are the ASCII word characters.
    return _ASCII_WORD.findall(text.lower()) if text.isascii() else _WORD.findall(text.casefold())


def shingles(text: str, size: int = SHINGLE_WORDS) -> list[str]:
    """Overlapping runs of ``size`` lower-cased words: what MinHash compares. A text shorter than that is
    one shingle of all its words."""
    found = shingle_words(text)
    if len(found) <= size:
        return [" ".join(found)] if found else []
    # Each shingle joins ``size`` consecutive words: the lists shifted by 0..size-1, zipped, in one C loop.
    return list(map(" ".join, zip(*(found[k:] for k in range(size)), strict=False)))  # shorter shifts end it


def content_hash(text: str) -> str:
    """The exact-duplicate key of a text: case and spacing ignored, 16 hex digits."""
    return hashlib.blake2b(line_key(text).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) with bands * rows == num_perm whose S-curve's midpoint (1/b)^(1/r) is nearest the
    threshold, false negatives weighed a little more than false positives (those are verified)."""
    best = (1, num_perm)
    best_cost = float("inf")
    for rows in range(1, num_perm + 1):
        if num_perm % rows:
            continue  # LSH indexes split the signature into equal bands
        bands = num_perm // rows
        midpoint = (1 / bands) ** (1 / rows)
        cost = abs(midpoint - threshold) + (0.5 * (midpoint - threshold) if midpoint > threshold else 0.0)
        if cost < best_cost:
            best, best_cost = (bands, rows), cost
    return best
