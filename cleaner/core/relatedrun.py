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
  which this detector never reads;
- a site's footer: a run starting in the last stretch of the lines past the article (``max_tail_share``) is
  left alone, and lines of code or markup (``code_chars``) or mostly numbers (``max_number_share``: phone
  numbers, addresses, a rating widget) are no headlines.

Where the article ends comes from the span detector when it is on; when it is off, :func:`fast_runs` finds the
article from its prose lines alone (a cheap test per line) and reads only the lines after it.

Every threshold is a key of ``[detector.related_run]`` (:class:`RelatedRunSettings`); ``enabled = false`` or
``--disable struct:related-run`` switch it off. The detector reads per-line shapes computed once
(:class:`Shape`), so it costs one pass over the lines after the article.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple


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
    #: With main_span's confident_runs: runs are looked for after a span that weighs at least min_span_weight and
    #: holds main_span's min_span_share of the prose but is too light for main_span's own min_span_weight (an
    #: article of a few long paragraphs: Chinese and Japanese print a paragraph per line). Nothing is removed
    #: there; the runs only move their lines into records (false: such a span has no runs).
    light_span_runs: bool = False
    #: A line with a date or reading time is the date of the title above it when it has at most this many words;
    #: a longer one is a title printed with its date ("Council approves budget 2024-05-02"). 0: whatever its length.
    meta_words: int = 0
    #: A line of at most this many words between two items that is no date or byline (a section label such as
    #: "POLITICS", a "Read more" link) is the block's furniture: removed with the block, not put in a record.
    #: 0: such lines go into the record of the title above them.
    label_words: int = 0
    #: With without_span, where the article ends is found fast from its prose lines alone: lines of at least
    #: fast_prose_chars characters ending like a sentence, the best segment of them (each line between costing
    #: fast_line_penalty) holding at least fast_span_share of them.
    fast_prose_chars: int = 30
    fast_line_penalty: float = 0.15
    fast_span_share: float = 0.65
    #: ... and the runs found stand down when their lines hold more than fast_max_run_mass times the characters
    #: of the article's prose lines (0: no such test).
    fast_max_run_mass: float = 0.0
    #: Found without the span detector (it is off): whether runs are looked for at all after the article.
    without_span: bool = False
    #: A run whose first title comes after more than this share of the lines past the article lies in the page's
    #: last stretch, where the site's footer and its site-wide link lists stand: not a block beside the article
    #: (1.0: no such test).
    max_tail_share: float = 1.0
    #: With without_span: a document of which at least this share of the lines are prose is a text already
    #: extracted (an article without its page: what follows its last paragraphs is its own last sections and
    #: lists, not a block beside it): no runs are looked for (1.0: no such test).
    fast_max_prose_share: float = 1.0
    #: With without_span: runs are looked for only on a whole page, where at least this share of the lines have at
    #: most fast_short_words words (its menus, footers, share bars); an extracted article has few such lines, and
    #: what follows its last paragraphs there is its own (0: no such test).
    fast_min_short_share: float = 0.0
    fast_short_words: int = 3
    #: A line with at least this many characters of code or markup (``<>{}[]=\\$`` and the backtick: a prompt,
    #: a tag, a setting, a template) is no headline: a manual's examples and syntax lines (0: no such test).
    code_chars: int = 0
    #: A line whose words are more than this share numbers ("24 00 10 00", "1 2 3 4 5 Votes: 1335") is a phone
    #: number, an address or a rating widget, no headline (1.0: no such test).
    max_number_share: float = 1.0
    #: In a dense script (Chinese, Japanese, Korean, Thai) this many characters count as a word for the title and
    #: median bounds: a site's footer links and directory entries ("グループ会社の採用情報") are a dozen characters,
    #: a headline runs longer.
    dense_per_word: float = 2.0
    #: With without_span: a run right after a paragraph past the article's end found (within this many lines
    #: before its first title) follows text the guess left out (a recipe's last steps, a manual's last section):
    #: the article goes on there, and the run is its own (0: no such test).
    fast_prose_gap: int = 0
    #: With the span detector: a run followed, before the span's last line reaching out, by at least this many prose
    #: lines that no run holds lies between the article's paragraphs (its own numbered sections and their lists),
    #: not beside it: left alone (0: no such test).
    inside_prose: int = 0
    #: ... counted within this many lines after the run's last line (the article goes on right after it; prose
    #: further down within the span's reach is as often a comment section). 0: up to the span's reach.
    inside_window: int = 0


class Shape(NamedTuple):
    """What the detector reads of one line, computed once by the caller (a tuple: cheap to make, once per line)."""

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
    #: The share of the lines past the article that come before the run's first title.
    position: float = 0.0


def beside(runs: list[Run], s: RelatedRunSettings) -> list[Run]:
    """The runs that stand beside the article, not in the page's last stretch (``max_tail_share``): there, after
    the lines past the article, stand the site's footer and its site-wide link lists."""
    return [run for run in runs if run.position <= s.max_tail_share]


class Candidate(NamedTuple):
    """A run of titles as the scan found it (its header dropped, at least ``min_titles`` titles), before the tests
    of the whole run (:func:`accepted`). The compiled core finds the same (src/spanrun.rs)."""

    #: (title line, its date/teaser lines that are no label) items.
    items: list[tuple[int, list[int]]]
    #: Lines between the items that are labels (removed with the block).
    labels: list[int]
    #: Each title's words.
    words: list[int]
    #: The share of the lines past the article that come before the run's first title.
    position: float


def related_runs(lines: Sequence[str], shapes: Sequence[Shape | None], after: Sequence[int],
                 s: RelatedRunSettings, end: int = -1) -> list[Run]:
    """Runs of title-shaped lines among ``after`` (indices of open lines past the article, in order); ``shapes``
    is None for blank lines and lines another record holds; ``end``: the article's last line (for the evidence)."""
    return accepted(lines, related_candidates(lines, shapes, after, s), s, end)


def accepted(lines: Sequence[str], candidates: Sequence[Candidate], s: RelatedRunSettings, end: int = -1) -> list[Run]:
    """The candidate runs that are lists of articles, not menus (``min_median_words``), menus printed twice
    (``max_repeated_share``) or directories (``max_prefix_share``); ``end``: the article's last line."""
    where = f" (line {end + 1})" if end >= 0 else ""
    found: list[Run] = []
    for candidate in candidates:
        sizes = sorted(candidate.words)
        median = sizes[len(sizes) // 2]
        titles = [lines[title].casefold() for title, _ in candidate.items]
        repeated = len(titles) - len(set(titles))
        openings = Counter(" ".join(title.split()[:2]) for title in titles)
        prefixed = sum(count for count in openings.values() if count > 1)
        if median >= s.min_median_words and repeated <= s.max_repeated_share * len(titles) and \
                prefixed <= s.max_prefix_share * len(titles):
            found.append(Run(candidate.items, candidate.labels, f"{len(titles)} title-shaped lines (median {median} "
                             f"words) in a row after the article's last paragraph{where}", candidate.position))
    return found


def related_candidates(lines: Sequence[str], shapes: Sequence[Shape | None], after: Sequence[int],
                       s: RelatedRunSettings) -> list[Candidate]:
    """The runs of title-shaped lines among ``after`` before the tests of the whole run: the Python definition of
    what ``SpanRuns.related_candidates`` (src/spanrun.rs) finds for the span detector; the fast route uses it."""
    found: list[Candidate] = []
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
            items: list[tuple[int, list[int]]] = []
            labels: list[int] = []
            for title, rest in run:
                kept = [i for i in rest if not _label(i)]
                labels += [i for i in rest if _label(i)]
                items.append((title, kept))
            found.append(Candidate(items, labels, [words(title) for title, _ in run], start))
        run.clear()

    previous = -1
    present = sum(1 for index in after if shapes[index] is not None)
    seen = 0  # lines past the article read so far (not blank, held by no other record)
    start = 0.0  # the share of those lines before the run's first title
    for position, index in enumerate(after):
        shape = shapes[index]
        if shape is None:
            continue
        seen += 1
        if previous >= 0 and any(not lines[i] for i in range(previous + 1, index)):
            close()  # a blank line ends a block
        # A line the next one continues in lower case is a sentence the dump wrapped, not a title; a short label
        # in lower case ("square POLITICS", an icon's name before a section's) continues nothing.
        following = after[position + 1] if position + 1 < len(after) else -1
        next_shape = shapes[following] if following == index + 1 else None
        wrapped = next_shape is not None and lines[following][:1].islower() and \
            (next_shape.words >= s.min_words or next_shape.prose)
        if shape.title and not shape.meta and not shape.code and not wrapped and _headline(lines[index]) and \
                (not s.code_chars or _code_chars(lines[index]) < s.code_chars) and \
                (s.max_number_share >= 1.0 or _number_share(lines[index]) <= s.max_number_share):
            if not run:
                start = (seen - 1) / present
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


_OPENERS = tuple(a for a, _ in _NOTE)
#: Characters of code and markup, which headlines hardly print.
_CODE_CHARS = frozenset("<>{}[]=\\$`")


def _code_chars(line: str) -> int:
    return sum(map(_CODE_CHARS.__contains__, line))


#: A word that is a number (with its separators: "24", "1.335", "4,6/5", "10:30").
_NUMBER = re.compile(r"[\d.,:/%+-]*\d[\d.,:/%+-]*")


def _number_share(line: str) -> float:
    words = line.split()
    return sum(1 for word in words if _NUMBER.fullmatch(word)) / len(words) if words else 0.0


def _headline(line: str) -> bool:
    # A copyright line is a footer's, never a headline.
    if line.endswith(_INTRODUCES) or "©" in line:
        return False
    return not line.startswith(_OPENERS) or not any(line.startswith(a) and line.endswith(b) for a, b in _NOTE)


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


#: What ends a sentence, and the closing quotes and brackets that may follow the mark (as the span detector reads
#: them): a prose line for the fast route is a line of at least ``fast_prose_chars`` characters ending so.
_MARKS = ".!?。！？؟۔।॥։;；"
_CLOSERS = "\"'”’»)]）」』】›"
_DENSE_CHARS = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
                          "\uf900-\ufaff\uac00-\ud7af]")


def _words(line: str, dense_per_word: float = 2.0) -> int:
    """Words as the fast route counts them: spaces, or in dense scripts a word for ``dense_per_word`` characters."""
    words = line.count(" ") + 1
    return words if line.isascii() else max(words, int(len(_DENSE_CHARS.findall(line)) / dense_per_word))


def _ends_sentence(line: str) -> bool:
    tail = line.rstrip(_CLOSERS)
    return bool(tail) and tail[-1] in _MARKS and not tail.endswith(("...", "…"))


def fast_runs(lines: Sequence[str], usable: Sequence[bool], s: RelatedRunSettings,
              meta: Callable[[str], bool]) -> tuple[list[Run], int]:
    """Related runs with the span detector off, at a small cost: where the article ends is found from the prose
    lines alone (long lines ending like a sentence; the best segment of prose weight minus ``fast_line_penalty``
    per other line, which must weigh ``min_span_weight`` and hold ``fast_span_share`` of the prose), and only the
    lines after it are read. ``usable[i]``: line ``i`` is content so far and no record holds it. Returns the
    runs and the article's last line (-1 when no article was found)."""
    prose = [i for i, line in enumerate(lines) if len(line) >= s.fast_prose_chars and usable[i] and
             _ends_sentence(line)]
    if len(prose) < 3:
        return [], -1
    if s.fast_max_prose_share < 1.0 or s.fast_min_short_share > 0:
        present = [line for line, free in zip(lines, usable, strict=True) if line and free]
        if s.fast_max_prose_share < 1.0 and len(prose) >= s.fast_max_prose_share * len(present):
            return [], -1  # mostly paragraphs: an extracted text, not a whole page
        short = sum(1 for line in present if _words(line, s.dense_per_word) <= s.fast_short_words)
        if short < s.fast_min_short_share * len(present):
            return [], -1  # too few short lines (menus, footers) for a whole page
    # Kadane over the prose lines: each adds 1, each line between two of them costs the penalty.
    best = total = 0.0
    best_start = best_end = start = -1
    previous = -1
    for index in prose:
        if total > 0:
            total -= s.fast_line_penalty * (index - previous - 1)
        if total <= 0:
            total, start = 1.0, index
        else:
            total += 1.0
        if total > best:
            best, best_start, best_end = total, start, index
        previous = index
    inside = sum(1 for i in prose if best_start <= i <= best_end)
    if best < (s.min_span_weight or 8.0) or inside < s.fast_span_share * len(prose):
        return [], -1
    # The last paragraph with a paragraph right next to it: teasers alone under their titles are not the article.
    members = [i for i in prose if best_start <= i <= best_end]
    end = best_end
    if s.paired_end:
        taken = set(members)
        end = next((i for i in reversed(members) if i - 1 in taken or i + 1 in taken), best_end)
    after = [i for i in range(end + 1, len(lines)) if lines[i] and usable[i]]
    shapes: list[Shape | None] = [None] * len(lines)
    for index in after:
        line = lines[index]
        words = _words(line, s.dense_per_word)
        ending = _ends_sentence(line)
        # (The date test, a regular expression, only where it can matter: on lines short enough to be a date.)
        shapes[index] = Shape(words, s.min_words <= words <= s.max_words and not ending,
                              ending and len(line) >= s.fast_prose_chars,
                              (not s.meta_words or words <= s.meta_words) and meta(line),
                              line.count("|") >= 2 or line.count("\t") >= 2)
    runs = related_runs(lines, shapes, after, s, end)
    if runs and s.fast_max_run_mass > 0:
        # Items outweighing the article are the page's content (a listing, search results, a thread), not a
        # block beside it: the span detector's page intent would stand down there.
        article = sum(len(lines[i]) for i in members)
        items = sum(len(lines[i]) for run in runs for title, rest in run.items for i in (title, *rest))
        if items > s.fast_max_run_mass * article:
            return [], end
    if runs and s.fast_prose_gap > 0:
        # (After the mass test, which weighs every run found: a listing's items stay whole.)
        rank = {index: position for position, index in enumerate(after)}

        def follows_prose(run: Run) -> bool:
            first = rank[run.items[0][0]]
            return any(shape.prose for i in after[max(0, first - s.fast_prose_gap):first]
                       if (shape := shapes[i]) is not None)
        runs = [run for run in runs if not follows_prose(run)]
    return beside(runs, s), end
