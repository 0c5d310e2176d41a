"""``struct:related-run``: a run of title-shaped lines after the article becomes related records, in any language.

Related-article blocks ("More from ...", "Lo más leído", "関連記事") are found by the rules when their header is
a phrase the rule files know. This detector finds them by shape alone: after the article's main stretch of
prose (the span :mod:`cleaner.core.structure` finds), a run of at least ``min_titles`` title-shaped lines
(headline length, no sentence ending), with dates, bylines, labels and short teasers between them, is a list of
other articles. What it is not:

- a site's link lists and menus: many short items (one to three words, category names) are not title-shaped,
  and a run whose titles are short on the median (``min_median_words``) or mostly of one shape with the lines
  between longer than them is left alone;
- the article's own lists (steps, ingredients, a table of contents): they lie inside the span and its margin,
  which this detector never reads.

Every threshold is a key of ``[detector.related_run]`` (:class:`RelatedRunSettings`); ``enabled = false`` or
``--disable struct:related-run`` switch it off. The detector reads only per-line features the caller computed
once (:class:`Shape`), so it costs one pass over the lines after the article.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class RelatedRunSettings:
    """Settings of ``struct:related-run`` (``[detector.related_run]``)."""

    enabled: bool = True
    #: A run becomes records only with at least this many titles.
    min_titles: int = 3
    #: A title holds this many words (or, in dense scripts, 2.5 times as many characters)...
    min_words: int = 4
    max_words: int = 25
    #: ... and between two titles at most this many date, byline, label or teaser lines may sit.
    max_between: int = 2
    #: A run whose titles have fewer words than this on the median is a menu, not a list of articles.
    min_median_words: int = 0
    #: A teaser between titles has at most this many words (longer prose is text, and ends the run).
    teaser_words: int = 60
    #: At most this share of a run's titles may repeat another of its titles (a menu printed twice).
    max_repeated_share: float = 1.0
    #: At most this share of a run's titles may open with the same two words as another of its titles: a site's
    #: directory ("Results Paris", "Results Lyon", ...) repeats its pattern, headlines do not.
    max_prefix_share: float = 1.0
    #: Runs are looked for only when the article's span was found after at least this many non-blank lines
    #: from the document's end... (0: no such test).
    min_tail_lines: int = 0
    #: Runs start right after the span's last paragraph (false: after the lines the span keeps around it).
    after_span_end: bool = False
    #: ... the span's core (the best segment before it reaches out to prose further away: teasers under titles).
    core_end: bool = False
    #: ... or its last paragraph that has a paragraph next to it: a teaser alternating with titles has none.
    paired_end: bool = False
    #: With after_span_end, the span must weigh at least this much, or main_span's min_span_weight when that is
    #: lower (0: main_span's).
    min_span_weight: float = 0.0
    #: A line with a date or reading time is the date of the title above it when it has at most this many words;
    #: a longer one is a title printed with its date ("Council approves budget 2024-05-02"). 0: whatever its length.
    meta_words: int = 0
    #: A line of at most this many words between two items that is no date or byline (a section label such as
    #: "POLITICS", a "Read more" link) is the block's furniture: removed with the block, not put in a record.
    #: 0: such lines go into the record of the title above them.
    label_words: int = 0
    #: Found without the span detector (it is off): whether runs are looked for at all after the article.
    without_span: bool = False


@dataclass(frozen=True, slots=True)
class Shape:
    """What the detector reads of one line, computed once by the caller."""

    #: Words (a dense script's characters counting half a word each).
    words: int
    title: bool
    prose: bool
    #: A date, reading time, byline or similar line that belongs to the title above it.
    meta: bool
    #: A line of code or a table row, or a link list joined by separators ("About | Jobs | Press").
    code: bool = False


@dataclass(slots=True)
class Run:
    """A run the detector turned into records: (title line, its date/teaser lines) items, and why."""

    items: list[tuple[int, list[int]]] = field(default_factory=list)
    #: Lines of the block that belong to no item (labels between them): removed with the block's evidence.
    labels: list[int] = field(default_factory=list)
    reason: str = ""


def related_runs(lines: Sequence[str], shapes: Sequence[Shape | None], after: Sequence[int],
                 s: RelatedRunSettings) -> list[Run]:
    """Runs of title-shaped lines among ``after`` (indices of open lines past the article, in order); ``shapes``
    is None for blank lines and lines another record holds."""
    found: list[Run] = []
    run: list[tuple[int, list[int]]] = []

    def words(index: int) -> int:
        shape = shapes[index]
        return 0 if shape is None else shape.words

    def _label(index: int) -> bool:
        shape = shapes[index]
        return shape is not None and not shape.meta and not shape.prose and shape.words <= s.label_words

    def close() -> None:
        # A run's first line, shorter than every title after it and with nothing of its own, is the
        # block's header ("Picked for you"): left to the furniture, not made a record.
        if len(run) > s.min_titles and not run[0][1] and \
                words(run[0][0]) < min(words(title) for title, _ in run[1:]):
            del run[0]
        if len(run) >= s.min_titles:
            sizes = sorted(words(title) for title, _ in run)
            median = sizes[len(sizes) // 2]
            titles = [lines[title].casefold() for title, _ in run]
            repeated = len(titles) - len(set(titles))
            openings = Counter(" ".join(title.split()[:2]) for title in titles)
            prefixed = sum(count for count in openings.values() if count > 1)
            if median >= s.min_median_words and repeated <= s.max_repeated_share * len(titles) and \
                    prefixed <= s.max_prefix_share * len(titles):
                items: list[tuple[int, list[int]]] = []
                labels: list[int] = []
                for title, rest in run:
                    kept = [i for i in rest if not _label(i)]
                    labels += [i for i in rest if _label(i)]
                    items.append((title, kept))
                found.append(Run(items, labels, f"{len(run)} title-shaped lines (median {median} words) in a row "
                                                "after the article's last paragraph"))
        run.clear()

    previous = -1
    for position, index in enumerate(after):
        shape = shapes[index]
        if shape is None:
            continue
        if previous >= 0 and any(not lines[i] for i in range(previous + 1, index)):
            close()  # a blank line ends a block
        # A line the next one continues in lower case is a sentence the dump wrapped, not a title; a short label
        # in lower case ("square POLITICS", an icon's name before a section's) continues nothing.
        following = after[position + 1] if position + 1 < len(after) else -1
        next_shape = shapes[following] if following == index + 1 else None
        wrapped = next_shape is not None and lines[following][:1].islower() and \
            (next_shape.words >= s.min_words or next_shape.prose)
        if shape.title and not shape.meta and not shape.code and not wrapped and _headline(lines[index]):
            run.append((index, []))
        elif run and len(run[-1][1]) < s.max_between and (shape.meta or not shape.prose or
                                                          shape.words <= s.teaser_words):
            run[-1][1].append(index)
        else:
            close()
        previous = index
    close()
    return found


#: A line wholly in brackets is a note ("(Source: ...)", "【Editor: ...】"); one ending with a colon introduces
#: what follows ("Rate this recipe from 1 to 5:"). Neither is a headline.
_NOTE = (("(", ")"), ("（", "）"), ("[", "]"), ("【", "】"))
_INTRODUCES = (":", "：")


def _headline(line: str) -> bool:
    # A copyright line is a footer's, never a headline.
    return not line.endswith(_INTRODUCES) and "©" not in line and \
        not any(line.startswith(a) and line.endswith(b) for a, b in _NOTE)


def paired_end(present: Sequence[object | None], prose: Sequence[bool], start: int, end: int) -> int:
    """The last prose line in ``start..end`` with a prose line next to it (the nearest non-blank line before or
    after it, ``present`` being None for blank lines): where the article's paragraphs end and a list of teasers,
    each alone under its title, may begin. ``end`` when there is none."""
    following = False  # whether the next present line after ``index`` is prose
    index = end + 1
    while index < len(present) and present[index] is None:
        index += 1
    following = index < len(present) and prose[index]
    index = end
    while index >= start:
        if present[index] is not None:
            if prose[index]:
                before = index - 1
                while before >= 0 and present[before] is None:
                    before -= 1
                if following or (before >= 0 and prose[before]):
                    return index
                following = True
            else:
                following = False
        index -= 1
    return end
