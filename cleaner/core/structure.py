"""Structural detectors: what a document's shape says, beside the rules.

Three detectors, each with an id, settings read from a rule file's ``[detector.NAME]`` table and a switch:

- ``struct:page-intent`` (``[detector.page_intent]``) recognises listing, product, documentation, forum and
  Q&A documents from their lines (grids of short lines with prices, dates and counts; question-and-answer
  shape). On those the short lines are the content, so the span detector stands down.
- ``struct:outside-main-span`` (``[detector.main_span]``) marks the prose lines, finds the segment of lines
  with the largest sum of prose weight minus a cost per line (the article), widens it by a margin and by the
  lists, tables, code and quotes next to it, keeps the headline above it, and removes what lies outside.
  It does nothing on documents with too little prose: when in doubt, keep.
- ``struct:related-run`` (``[detector.related_run]``) turns a run of title-shaped lines outside the span
  (dates, bylines and short teasers may sit between them) into ``related`` records instead of removing them;
  site-wide link lists (very short lines) are not titles.

The language of a document (ISO 639-1, or ``und``) comes from a :class:`LanguageTools` the caller supplies
(the core loads no model): it picks the stop words the prose test counts.

Features are computed once per line (:class:`LineFeatures`), by the compiled core in one call per document
(src/spanfeat.rs; tests/structure_oracle.py holds their Python definition, which a test compares it with);
everything here is linear in the lines.
"""

from __future__ import annotations

import re
import sys
from array import array
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from itertools import compress, pairwise, repeat
from operator import and_, is_not, not_
from typing import NamedTuple

from cleaner._native import LineFeatures, SpanFeatures, SpanRuns, outside_lines
from cleaner.core.relatedrun import Candidate, RelatedRunSettings, Run, accepted, beside, fast_runs, paired_end
from cleaner.core.siterepeat import DETECTOR as SITE_REPEAT
from cleaner.core.siterepeat import SiteRepeatSettings

#: The detectors' ids: each removal or record they make names one, and ``disable`` takes them.
MAIN_SPAN = "struct:outside-main-span"
PAGE_INTENT = "struct:page-intent"
RELATED_RUN = "struct:related-run"
#: Rule-file table name (``[detector.NAME]``) -> detector id.
DETECTOR_IDS: Mapping[str, str] = {"main_span": MAIN_SPAN, "page_intent": PAGE_INTENT, "related_run": RELATED_RUN,
                                   "site_repeat": SITE_REPEAT}
UNDETERMINED = "und"
#: What each detector does, in a line (``cleaner explain`` prints it beside a removal).
DESCRIPTIONS: Mapping[str, str] = {
    MAIN_SPAN: "a line outside the article's main span of prose (structural detector)",
    PAGE_INTENT: "listing, product, forum, Q&A and documentation pages keep their short lines (structural detector)",
    RELATED_RUN: "a run of title-shaped lines after the article becomes related records (structural detector)",
}

#: Scripts written without spaces between words (Chinese, Japanese kana, Thai, Lao, Khmer, Myanmar), and
#: Hangul (spaced, but its words are long): their prose is measured in characters. (The line features count
#: them in src/spanfeat.rs, as they count words, sentence marks, list items, quotes, code and table rows.)
_DENSE = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
                    "\uf900-\ufaff\uac00-\ud7af]")
#: Punctuation read as space when a line's words are compared (stop words, names).
_UNPUNCTUATE = str.maketrans(dict.fromkeys("\"“”‘«»()[]{}.,;:!?¡¿…*/|", " "))
_PRICE = re.compile(r"(?:[$€£¥₹₽₩]|\b(?:USD|EUR|GBP|CHF|JPY|RMB|CNY|INR|Rs\.?|R\$|kr|zł))\s?\d[\d.,]*"
                    r"|\d[\d.,]*\s?(?:[$€£¥₹₽₩]|USD|EUR|GBP|CHF|zł|kr|円|元|руб)")
_DATE = re.compile(r"\b(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|"
                   r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4}|"
                   r"\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{4}|"
                   r"\d{1,4} (?:minutes?|hours?|days?|weeks?|months?|years?) ago)\b|\d{4}年\d{1,2}月", re.IGNORECASE)
_READING_TIME = re.compile(r"\b\d{1,3}\s?(?:mins?|minutes?|min\.?)\s(?:read|de lecture|Lesezeit|lettura|lectura)\b|"
                           r"\b(?:hrs?|hours?|mins?|minutes?|days?)\s+ago\b", re.IGNORECASE)
_QUANTITY = re.compile(r"(?:\d+(?:[.,/]\d+)?|[½¼¾⅓⅔⅛])\s?(?:-\s?\d+\s?)?[^\W\d_]{0,12}\.?\s\S")
#: What starts like a quantity but is none: an ordinal ("3. Liga", "24. jul."), a counter ("1 of 12",
#: "3 / 10"), a clock time ("1/14 06:01"), a year ("2024 in review").
_NOT_QUANTITY = re.compile(r"\d{1,3}\.\s|\d+\s?(?:of|von|de|sur|/)\s?\d|.*\b\d{1,2}:\d{2}\b|(?:19|20)\d{2}\b"
                           r"|\d+\s?(?:分|時間|日|秒|小时|分钟|天)前|.*\b(?:ago|siden|sedan|geleden|fa)$")
#: A relative time at the end of a line ("Prieš 8 min.", "il y a 2 h", "vor 3 Std."): no amount of anything.
_RELATIVE_TIME = re.compile(r".*(?:prieš|il y a|vor|hace|há|fa|temu|назад|před)\s\d+\s?\S{0,6}\.?$", re.IGNORECASE)
_BYLINE = re.compile(r"(?:by|posted by|written by|von|par|por|di|door|автор)\s+\S", re.IGNORECASE)
#: A byline as recipe and community sites print it under a title ("Submitted by: Aunt Gay", "Recipe by Anna",
#: "By: the editors"): the title stands right above it (``byline_title``).
_SIGNED = re.compile(r"(?:submitted|recipe|posted|written|shared|contributed|created|added|uploaded)\s+by\s*:?\s*\S|"
                     r"(?:by|von|par|por|di|door|автор)\s*:\s*\S", re.IGNORECASE)
_COUNT = re.compile(r"\b\d[\d.,]*\s?[kKmM]?\s(?:views?|replies|reply|posts?|comments?|answers?|votes?|reviews?|"
                    r"ratings?|topics?|members?|items?|results?|jobs?|downloads?|likes?)\b", re.IGNORECASE)
#: Lines a forum post or an answer is framed by, across the common forum and Q&A engines. (Only lines that hold a
#: digit or open or end with one of its words are tried: src/spanfeat.rs tells them, folding their characters as
#: this case-insensitive match does; a test checks that no line it matches is missed. So are _PRICE, _DATE and
#: _COUNT: only on lines with a currency, a digit between separators, a month, "ago" or a counted word.)
_THREAD = re.compile(r"(?:quote|reply|report|permalink|share|#\d{1,5}|posts?: ?\d[\d,]*|joined:? .{2,30}|"
                     r"(?:re|aw|sv): .{2,200}|.{1,60} (?:wrote|said|писал|a écrit|schrieb|escribió):?|"
                     r"(?:asked|answered|edited|modified|posted) .{0,60}|\d{1,6} (?:answers?|votes?|replies))",
                     re.IGNORECASE)
#: The characters of the words the compiled core looks for (folded as _THREAD, _DATE and _COUNT match them) before
#: those patterns are tried: every letter, and the post-frame words' (src/spanfeat.rs).
_FOLDED_CHARACTERS = "".join(sorted(set("abcdefghijklmnopqrstuvwxyz quote reply report permalink share joined re: aw: "
                                        "sv: asked answered edited modified posted wrote said писал a écrit schrieb "
                                        "escribió")))


#: An amount at the end of a short line: "Philadelphia 125 g", "Tortilla 2 ks", "Zucker 1 EL".
_QUANTITY_END = re.compile(r"\S.{0,60}\s(?:\d+(?:[.,/]\d+)?|[½¼¾⅓⅔⅛])\s?[^\W\d_]{1,6}\.?")
RECIPE = "recipe or product"
#: The permalink anchors documentation generators print after a heading of the content (Sphinx, MkDocs, Apache's
#: manual): ``[detector.main_span]`` ``anchored_headings``.
_HEADING_ANCHORS = ("¶",)


def _quantity(line: str) -> bool:
    """A line that starts or ends with an amount (an ingredient, a product's specification), not a date."""
    if _QUANTITY.match(line):
        # ... and a number at both ends is a counter ("6390 comments 6390"), not an amount of something.
        return not _NOT_QUANTITY.match(line) and not line[-1].isdigit()
    return len(line) <= 70 and bool(_QUANTITY_END.fullmatch(line)) and not _DATE.search(line) and \
        not _RELATIVE_TIME.fullmatch(line)


#: A number with an ordinal ending written onto it: "1st", "2nd", "3rd", "4th", "1ste", "2de", "2e", "1er", "1re",
#: "2ème" ("2de amateurs A" is a league, not an amount). ("st" alone is left out: "2st" is two pieces in Swedish.)
_ORDINAL = re.compile(r"\d{1,3}(?:nd|rd|th|ste|de|e|er|re|ème)\s", re.IGNORECASE)


def _amount(line: str, ordinals: bool, fractions: bool) -> bool:
    """A short line holding an amount for page intent (``_quantity``, or with ``fractions`` a cook's fraction), unless
    ``ordinals`` and it opens with an ordinal (``_ORDINAL``)."""
    if ordinals and _ORDINAL.match(line):
        return False
    return _quantity(line) or (fractions and _fraction_amount(line))


def _meta(line: str) -> bool:
    """A date or reading-time line (related runs: it belongs to the title above it)."""
    return bool(_DATE.search(line) or _READING_TIME.search(line))


#: A fraction opening a line, then a word: "3/4 tsp salt", "1 1/2 cups flour", "1/4 c brown sugar". _NOT_QUANTITY
#: takes "3/4" for a counter ("3 / 10"); a denominator of one digit followed by a unit or a name is an amount.
_FRACTION = re.compile(r"(?:\d{1,2}\s)?\d/[2-8]\s?[^\W\d_]")


def _fraction_amount(line: str) -> bool:
    """A short line opening with a cook's fraction and a word (page intent's ``fraction_amounts``)."""
    return len(line) <= 70 and bool(_FRACTION.match(line))


@dataclass(frozen=True, slots=True)
class MainSpanSettings:
    """Settings of ``struct:outside-main-span``; every one is a key of ``[detector.main_span]``."""

    enabled: bool = True
    #: A prose line holds at least this many words...
    min_words: int = 5
    #: ... or, in Chinese, Japanese, Korean or Thai text, at least this many of those characters.
    min_dense_chars: int = 15
    #: A line without a sentence mark at its end is prose if at least this share of its words are stop words.
    min_stop_density: float = 0.3
    #: ... and at least this many words (a title has stop words too).
    min_stop_words: int = 12
    #: What a prose line adds to a span, and what every other non-blank line costs it.
    prose_weight: float = 1.0
    line_penalty: float = 0.15
    #: What a prose line with no prose line next to it adds (teasers under their titles look like that).
    isolated_prose_weight: float = 0.3
    #: ... when at least this many such lines alternate with one other line each (0: whenever isolated).
    min_alternation: int = 6
    #: Low-prose gate: with fewer prose lines than this (or fewer prose characters) nothing is removed.
    min_prose_lines: int = 3
    min_prose_chars: int = 400
    #: In that count, a character of a dense script (CJK, Thai) counts as this many.
    dense_char_weight: float = 3.0
    #: The span must weigh at least this much and hold at least this share of the prose lines, or nothing is
    #: removed (prose spread over the page means several texts, or a page that is no article).
    min_span_weight: float = 4.0
    min_span_share: float = 0.65
    #: The span reaches out to prose further away (a standfirst above a media player, paragraphs after an
    #: inline box of links) while the prose it gains outweighs the lines between at this lower cost per line,
    #: looking at most `reach` non-blank lines beyond each end.
    reach_penalty_above: float = 0.05
    reach_penalty_below: float = 0.1
    reach: int = 40
    #: Non-blank lines kept on each side of the span.
    margin: int = 2
    #: A line outside the span that repeats, once, a line of the article's head or body that is not prose (its
    #: headline in a breadcrumb, a heading in a print copy) stays.
    keep_repeated_titles: bool = True
    #: How many non-blank lines above the span the headline (a title-shaped line) is looked for.
    headline_reach: int = 12
    #: A dateline or byline (at most 8 words) among this many lines above the article's head joins it.
    dateline_reach: int = 1
    #: A short line above the span (within the headline's reach) is the headline too when at least this
    #: share of its words open the article (recur in its first headline_prose_lines prose lines): a recipe's
    #: "Puttanesca pasta" over "Puttanesca is a classic Italian pasta...". 0: only title-shaped lines are.
    headline_overlap: float = 0.0
    headline_prose_lines: int = 3
    #: The lists, tables, code and quotes touching the span are kept even where they reach above the
    #: headline found for it, with the head above them (false: the head starts at the headline).
    keep_attached_above: bool = False
    #: Confidence: at least this share of the lines outside the span must be furniture-short (at most
    #: furniture_words words, or twice as many characters of a dense script), or nothing is removed. 0: no test.
    min_furniture_share: float = 0.0
    furniture_words: int = 3
    #: Confidence: the span stands down when the lines outside it of at least mass_chars characters (code,
    #: data, paragraphs: furniture is short) hold more than max_outside_mass times the characters of the
    #: article kept (its head, span and margins). 0: no such test.
    max_outside_mass: float = 0.0
    mass_chars: int = 60
    #: A line outside the span of at least this many characters that is not prose (code, a data or
    #: specification line) is kept: menus and footers are short. 0: no such guard.
    keep_long_chars: int = 0
    #: At least this many prose lines in a row outside the span (paragraphs the span did not reach) are kept,
    #: with the heading line just above them. 0: no such guard.
    keep_prose_runs: int = 0
    #: A list the article ends with runs past the margin: when every line the margin takes after the span has
    #: at least continue_words words (and is no prose), the lines after it with as many words are kept too,
    #: at most continue_lines of them. 0: no such guard.
    continue_words: int = 0
    continue_lines: int = 40
    #: A list the article announces: when the span's last paragraph ends with a colon ("The following functions
    #: occur frequently in vectorized code:"), the short lines after the kept end (at most announced_words words
    #: each, none printed twice on the page: a menu's or footer's line is) are the list it announces: kept, at
    #: most announced_lines of them. 0: no such guard.
    announced_lines: int = 0
    announced_words: int = 12
    #: A table of contents above the span (a document's own list of its sections) belongs to it: when at least
    #: toc_entries lines above the kept head repeat (letters and digits alike) headings kept below, making at
    #: least half the lines from the first such line to the last, the head reaches up to them, with the
    #: toc_head_lines lines just above them (its own heading, the document's title) and the headline above
    #: those. 0: no such guard.
    toc_entries: int = 0
    toc_head_lines: int = 2
    #: The short line just above the head that the page prints again elsewhere (its title in a navigation
    #: header or breadcrumb) and that shares at least headline_overlap of its words with the head's lines is
    #: the document's title: kept (false: no such guard).
    keep_title_above: bool = False
    #: A paragraph a dump broke into lines (at the page source's line ends) is prose, every line of it: a line
    #: opening in lower case after one that ends no sentence continues it (false: each line is judged alone).
    wrapped_lines: bool = False
    #: Confidence: when at least this share of the document's lines are prose, it is a text already extracted
    #: (no page furniture around it): nothing is removed. 1.0: no such test.
    max_prose_share: float = 1.0
    #: Related runs after the span (``[detector.related_run]`` after_span_end) are looked for only where the span
    #: itself is confident enough to remove (its weight, share and confidence tests pass): moving lines into
    #: records on a page the span stands down from loses them as surely (false: a lighter span will do).
    confident_runs: bool = False
    #: A line ending with a permalink anchor (``_HEADING_ANCHORS``) is a heading of the document's own text:
    #: documentation generators print one ("DocumentRoot ¶", "ladybug.dt module¶") only on the headings of the
    #: content, never in menus. The head reaches up to such a line within the headline's reach above the span
    #: (with the lines between: a module's one-line summary), and such a line is kept wherever it stands outside
    #: the span (false: no such guard).
    anchored_headings: bool = False
    #: A byline within the headline's reach above the span ("Submitted by: Aunt Gay", ``_SIGNED``, at most
    #: byline_words words) has the title right above it: the head reaches up to that line when it is short (at most
    #: ``[detector.related_run]`` max_words words) and no prose ("Microwave Ghosts" over "Submitted by: ...", over
    #: "Ingredients"). False: no such guard.
    byline_title: bool = False
    byline_words: int = 8
    #: A short title the article's text keeps naming ("Nairobi von unten" over a long standfirst, "Arretjescake –
    #: Recept" over a recipe's rating and ingredients): the nearest open line above the head, within title_gap open
    #: lines, of at most title_words words and no prose, at least headline_overlap of whose words (``_name_tokens``)
    #: each stand in at least title_mentions of the span's sentences, is kept with the lines down to the head, unless
    #: a line of the head of at most title_words words already names the article as well. 0: no such guard.
    title_mentions: int = 0
    #: (wrapped_lines) A run of title-shaped lines one of whose titles is a line of a wrapped paragraph is the
    #: article's text broken at its source's line ends: no related block (false: no such guard).
    wrapped_titles: bool = False
    title_gap: int = 2
    title_words: int = 10


@dataclass(frozen=True, slots=True)
class PageIntentSettings:
    """Settings of ``struct:page-intent`` (``[detector.page_intent]``)."""

    enabled: bool = True
    #: A grid (listing, collection, product tiles): at least this many lines with a price, date or count...
    min_grid_lines: int = 5
    #: ... making at least this share of the non-prose lines.
    min_grid_share: float = 0.2
    #: ... and at least this many per prose line (an article with dated comments under it is no listing).
    min_grid_per_prose: float = 0.5
    #: Product or offer page: at least this many short lines with a price.
    min_price_lines: int = 15
    #: Recipe or product sheet: at least this many short lines starting or ending with a quantity
    #: ("2 ss honning", "Philadelphia 125 g").
    min_quantity_lines: int = 5
    #: On a recipe or product sheet the span is still looked for, its quantity lines counting as prose
    #: (false: the span detector stands down there as on the other kinds of page).
    recipe_span: bool = True
    #: ... and its headline is looked for this many non-blank lines above the span (0: main_span's
    #: headline_reach): a recipe's head (rating, times, servings, a "print" bar) runs long.
    recipe_headline_reach: int = 0
    #: Q&A: at least this many question lines (ending with a question mark)...
    min_questions: int = 8
    #: ... and at least this many per prose line (an article may ask a few questions of its own).
    min_question_share: float = 0.3
    #: Forum: at least this many post-frame lines ("Reply", "Quote", "#12", "X wrote:", "Posts: 41").
    min_thread_lines: int = 4
    #: Documentation: at least this many code or table lines.
    min_code_lines: int = 6
    #: A short line opening with a fraction and a word ("3/4 tsp salt", "1/4 c brown sugar") is an amount for
    #: the recipe test and, on a recipe, counts as prose (false: a fraction reads as a counter, "3 / 10").
    fraction_amounts: bool = False
    #: A line opening with a number with an ordinal ending ("2de amateurs A", "1st round") is no amount (false: it
    #: reads as one, "2 de"...).
    ordinals: bool = False


@dataclass(frozen=True, slots=True)
class StructureSettings:
    """The settings of every detector; a detector left out of all rule files is off."""

    main_span: MainSpanSettings = MainSpanSettings(enabled=False)
    page_intent: PageIntentSettings = PageIntentSettings(enabled=False)
    related_run: RelatedRunSettings = field(default_factory=lambda: RelatedRunSettings(enabled=False))
    #: ``struct:site-repeat`` (cleaner.core.siterepeat) is on unless a rule file or ``disable`` switches it
    #: off: it acts only where a host profile is given or counted, as batch runs do by default.
    site_repeat: SiteRepeatSettings = field(default_factory=SiteRepeatSettings)

    @property
    def active(self) -> bool:
        return self.main_span.enabled

    @staticmethod
    def settings_class(name: str) -> type:
        return {"main_span": MainSpanSettings, "page_intent": PageIntentSettings,
                "related_run": RelatedRunSettings, "site_repeat": SiteRepeatSettings}[name]

    @classmethod
    def from_tables(cls, tables: Mapping[str, Mapping[str, object]], disabled: frozenset[str]) -> StructureSettings:
        """Settings from validated ``[detector.NAME]`` tables (later files already merged over earlier ones);
        a detector whose id is in ``disabled`` (upper-cased) is off."""
        built: dict[str, object] = {}
        for name in DETECTOR_IDS:
            if name not in tables:
                continue
            values = dict(tables[name])
            if DETECTOR_IDS[name].upper() in disabled:
                values["enabled"] = False
            built[name] = cls.settings_class(name)(**values)
        return cls(**built)  # type: ignore[arg-type]


def setting_types(name: str) -> dict[str, type]:
    """The keys of ``[detector.NAME]`` and the type each takes (for the rule-file parser)."""
    defaults = StructureSettings.settings_class(name)()
    return {f.name: type(getattr(defaults, f.name)) for f in fields(defaults)}


@dataclass(frozen=True, slots=True)
class LanguageTools:
    """What the detectors need from outside the core: a language identifier and stop-word lists.

    ``identify`` takes text and returns an ISO 639-1 code, or ``und`` when unsure; ``stop_words`` takes that
    code and returns the language's stop words, lower-cased (empty when none are known). Both must be safe to
    call from several threads.
    """

    identify: Callable[[str], str]
    stop_words: Callable[[str], frozenset[str]]


#: Characters of prose given to the language identifier: enough to decide, bounded so its cost is too (the
#: identifier's time grows with them; 160 gives every benchmark page and fixture the language 200 gave).
_LANGUAGE_SAMPLE = 160
_LANGUAGE_RETRY = 2000


class LineTable(NamedTuple):
    """What the compiled core tells of a document's lines in one call (:meth:`SpanFeatures.lines`), by name."""

    #: Each line's features (None: a blank or claimed line).
    feats: list[LineFeatures | None]
    #: The lines read as prose without asking the language's stop words (long enough, ending like a sentence).
    prose: list[bool]
    #: The lines whose stop words decide (long enough, no sentence mark).
    unsure: list[int]
    #: The lines long enough that end like a sentence: the language's sample.
    sentence_lines: list[int]
    #: Whether each line holds a digit (a price, date, count or quantity needs one).
    numeric: list[bool]
    #: How many lines end with a question mark, and how many are code or table lines.
    questions: int
    code: int
    #: The lines that may be a forum post's frame (no other line is one).
    thread_lines: list[int]
    #: Whether each line may hold a price, and a date or count (where not, the pattern would find none).
    priced: list[bool]
    dated: list[bool]


@dataclass(frozen=True, slots=True)
class PythonCharacters:
    """This Python's Unicode data as the compiled features need it, so that they follow Python's tables, not
    Rust's (they differ: Rust's letters hold marks and letter numbers, and its Unicode is newer)."""

    #: Every letter (``str.isalpha``), space (``str.isspace``: what ``str.split()`` splits on and ``re``'s
    #: ``\\s``), decimal digit (``re``'s ``\\d``) and word character but "_" (``re``'s ``\\w``: ``str.isalnum``).
    alpha: str
    spaces: str
    digits: str
    alnum: str
    #: Each character that ``str.lower`` changes, with what it makes of it; every one ``str.islower`` holds for.
    lower: list[tuple[str, str]]
    lowercase: str
    #: Each character that ``re``'s case-insensitive match takes for one of ``_FOLDED_CHARACTERS`` (the letters of
    #: the words ``_THREAD``, ``_DATE`` and ``_COUNT`` need), with that character.
    fold: list[tuple[str, str]]

    @classmethod
    def asked(cls) -> PythonCharacters:
        """Asked of the running Python: some 35 ms of CPU."""
        codes = array("I", range(0xD800))
        # Planes 0 to 3 hold every letter, space, digit and cased character assigned so far (a test checks every
        # code point).
        codes.extend(range(0xE000, 0x40000))
        everything = codes.tobytes().decode("utf-32-le" if sys.byteorder == "little" else "utf-32-be")
        alnum = re.sub(r"[\W_]+", "", everything)
        alpha = "".join(filter(str.isalpha, re.sub(r"\d+", "", alnum)))
        lower = [(c, lowered) for c in everything[:0x20000] if (lowered := c.lower()) != c]
        found = set(re.findall(f"(?i)[{re.escape(_FOLDED_CHARACTERS)}]", everything))
        fold = [(c, x) for c in sorted(found) for x in _FOLDED_CHARACTERS
                       if re.fullmatch(re.escape(x), c, re.IGNORECASE)]
        return cls(alpha, "".join(re.findall(r"\s", everything)), "".join(re.findall(r"\d", everything)), alnum,
                   lower, "".join(filter(str.islower, everything)), fold)


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a detector acted on a document: shown by ``cleaner explain``."""

    detector: str
    #: The lines (1-based, inclusive) the evidence is about; 0 when it is about the whole document.
    first: int
    last: int
    message: str


@dataclass(slots=True)
class Found:
    """What the detectors made of one document."""

    language: str = UNDETERMINED
    #: Line index -> the detector that removes it.
    removed: dict[int, str] = field(default_factory=dict)
    #: Related records found by structure: (title line, teaser/date lines).
    related: list[tuple[int, list[int]]] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    intent: str = "article"


def _name_tokens(line: str) -> set[str]:
    """What a name shares with the text it heads: its words of three letters or more, cut to five (a crude
    stem: "dumplings" and "dumpling" meet); in a dense script (CJK, Thai), its pairs of such characters."""
    dense = _DENSE.findall(line) if not line.isascii() else []
    if len(dense) >= 2:
        return {a + b for a, b in pairwise(dense)}
    return {t[:5] for t in line.lower().translate(_UNPUNCTUATE).split() if len(t) >= 3 and t[0].isalpha()}


#: What is neither a letter nor a digit (a word character but the underscore: what str.isalnum keeps) nor a space.
_NOT_ALNUM = re.compile(r"[^\w\s]|_")


def _letters(line: str) -> str:
    """A line's letters and digits, lower-cased, one space between words: how a table of contents and the
    headings it lists are matched ("DocumentRoot ¶" is "documentroot")."""
    return " ".join(_NOT_ALNUM.sub("", line.lower()).split())


def _stop_share(line: str, stop: frozenset[str]) -> float:
    """The share of the line's words that are stop words (lower-cased, punctuation as space)."""
    tokens = line.lower().translate(_UNPUNCTUATE).split()
    return sum(map(stop.__contains__, tokens)) / len(tokens) if tokens else 0.0


class Detectors:
    """The structural detectors with their settings; stateless (but for the features' maker, built once on first
    use, the same whichever thread builds it), so one instance serves many threads."""

    def __init__(self, settings: StructureSettings, tools: LanguageTools | None = None) -> None:
        self.settings = settings
        self.tools = tools
        #: Whether :meth:`run` only tells the language (the span detector off, and related runs not looked for
        #: without it, as in the built-in rules): then it removes and moves nothing, and a caller may ask
        #: :meth:`language` of the open lines instead (the same answer, without per-line lists).
        self.language_only = not settings.main_span.enabled and not (settings.related_run.enabled
                                                                     and settings.related_run.without_span)
        #: Computes the lines' features (the compiled core, with Python's character data); made on first use, and
        #: only when the span detector looks at lines. With it, the compiled passes over the features (the span's
        #: weights, the best span, related runs, the table of contents, the named headline).
        self._span_features: SpanFeatures | None = None
        self._span_runs: SpanRuns | None = None

    def _features(self) -> SpanFeatures:
        if self._span_features is None:
            span, related = self.settings.main_span, self.settings.related_run
            chars = PythonCharacters.asked()
            self._span_runs = SpanRuns(chars.spaces, chars.digits, chars.lowercase, chars.fold)
            self._span_features = SpanFeatures(chars.alpha, chars.spaces, chars.digits, chars.alnum, chars.lower,
                                               chars.lowercase, chars.fold, span.min_words, span.min_dense_chars,
                                               span.min_stop_words, related.min_words, related.max_words)
        return self._span_features

    def _runs(self) -> SpanRuns:
        if self._span_runs is None:
            self._features()
        assert self._span_runs is not None
        return self._span_runs

    def language(self, lines: Sequence[str], more: Sequence[str] = ()) -> str:
        """The document's language from its longer lines (ISO 639-1, or ``und``); ``more``: the lines to look
        at again when those leave the identifier unsure."""
        if self.tools is None:
            return UNDETERMINED
        sample: list[str] = []
        size = 0
        for line in lines:
            length = len(line)
            if length >= 40 or (length >= 12 and not line.isascii()):
                sample.append(line)
                size += length
                if size >= _LANGUAGE_SAMPLE:
                    break
        if size < 40:
            sample = list(filter(None, lines))  # (the lines that are not blank, picked out in C)
            size = sum(map(len, sample))
        if size < 20:
            return UNDETERMINED
        text = "\n".join(sample)[:_LANGUAGE_SAMPLE]
        found = self.tools.identify(text)
        if found == UNDETERMINED:
            # Unsure on the small sample (code, names, mixed languages): one more look at a larger one.
            wider = "\n".join(filter(None, more or lines))[:_LANGUAGE_RETRY]
            if len(wider) > len(text):
                found = self.tools.identify(wider)
        return found

    def run(self, lines: Sequence[str], open_lines: Sequence[bool], claimed: Sequence[bool],
            language: str | None = None) -> Found:
        found = self._run(lines, open_lines, claimed, language)
        if not self.settings.main_span.enabled:
            # The span was looked for only to find where the article ends (related runs): it neither removed
            # anything nor has anything to explain. (Most documents have nothing found to filter: no copies.)
            if found.evidence:
                found.evidence = [e for e in found.evidence if e.detector == RELATED_RUN]
            if found.removed:
                found.removed = {index: detector for index, detector in found.removed.items()
                                 if detector == RELATED_RUN}
        return found

    def _run(self, lines: Sequence[str], open_lines: Sequence[bool], claimed: Sequence[bool],
             language: str | None = None) -> Found:
        """What the detectors find in ``lines`` (stripped). ``open_lines[i]``: the line is content so far (a
        detector may act on it); ``claimed[i]``: another record already holds it (it neither counts nor moves).
        ``language``: the document's language when the caller knows it (then it is not identified again).
        """
        found = Found()
        span = self.settings.main_span
        #: Related runs waiting for the span's confidence tests (confident_runs): their lines and the span's end.
        pending: tuple[list[int], int, list[int]] | None = None
        if not span.enabled:
            found.language = language or \
                self.language([line for line, free in zip(lines, open_lines, strict=True) if free])
            related = self.settings.related_run
            if related.enabled and related.without_span:
                # The span detector is off: where the article ends is found from its prose lines alone, fast.
                usable = [free and not taken for free, taken in zip(open_lines, claimed, strict=True)]
                runs, _ = fast_runs(lines, usable, related,
                                    lambda line: bool(_DATE.search(line) or _READING_TIME.search(line)))
                self._add_runs(runs, found)
            return found
        related = self.settings.related_run
        # Every line's features in one call; and the prose lines as far as they are told without stop words
        # (long enough, ending like a sentence), the lines whose stop words decide (long enough, no sentence
        # mark), and which lines hold a number (a price, date, count or quantity needs one).
        table = LineTable(*self._features().lines(lines, claimed))
        feats, prose = table.feats, table.prose
        # The language is read from the sentences (lines long enough, ending like one): a small sample of
        # prose tells it as well as a large one of anything, and costs less.
        sentences = [lines[i] for i in table.sentence_lines if open_lines[i]]
        kept = list(compress(lines, open_lines))
        found.language = language or self.language(sentences if sum(map(len, sentences)) >= 100 else kept, kept)
        stop = self.tools.stop_words(found.language) if self.tools is not None else frozenset()
        if stop:
            # Without a sentence mark, only a long line is told by its stop words: a headline has them too.
            for index in table.unsure:
                if _stop_share(lines[index], stop) >= span.min_stop_density:
                    prose[index] = True
        prose_lines = [i for i, p in enumerate(prose) if p]
        # A Chinese, Japanese, Korean or Thai character says as much as a few Latin ones.
        prose_chars = 0.0
        for index in prose_lines:
            f = feats[index]
            prose_chars += len(lines[index]) + (span.dense_char_weight - 1) * (f.dense if f is not None else 0)
        if len(prose_lines) < span.min_prose_lines or prose_chars < span.min_prose_chars:
            found.evidence.append(Evidence(MAIN_SPAN, 0, 0, f"low prose ({len(prose_lines)} prose lines, "
                                           f"{prose_chars:.0f} characters): nothing removed"))
            return found
        paragraphs = len(prose_lines)  # (before a recipe's quantity lines count as prose)
        intent = self._intent(lines, table, prose)
        if intent is not None:
            found.intent = intent[0]
            if intent[0] == RECIPE and self.settings.page_intent.recipe_span:
                # A recipe or product sheet is an article whose lists are content: its quantity lines count
                # as prose, so the span holds the ingredients with the method.
                found.evidence.append(Evidence(PAGE_INTENT, 0, 0, f"{intent[0]} page ({intent[1]}): "
                                               "its quantity lines count as prose"))
                for index in compress(range(len(lines)), table.numeric):
                    page = self.settings.page_intent
                    if not prose[index] and _amount(lines[index], page.ordinals, page.fraction_amounts):
                        prose[index] = True
                prose_lines = [i for i, p in enumerate(prose) if p]
            else:
                found.evidence.append(Evidence(PAGE_INTENT, 0, 0, f"{intent[0]} page ({intent[1]}): "
                                               "the span detector stands down"))
                return found
        if span.max_prose_share < 1.0:
            counted = sum(map(and_, map(is_not, feats, repeat(None)), open_lines))  # (open lines with features)
            if paragraphs >= span.max_prose_share * counted:
                # Mostly paragraphs: a text already extracted (an article without its page), where the short
                # lines left are its own headings and lists, not furniture. When in doubt, keep.
                found.evidence.append(Evidence(MAIN_SPAN, 0, 0, f"{paragraphs} of {counted} lines are prose "
                                               "(an extracted text, not a whole page): nothing removed"))
                return found
        weights = self._weights(feats, prose, span)
        start, end, weight = self._best_span(feats, weights)
        if start < 0:
            return found
        core = (start, end)
        # The lines read as paragraphs: the prose, and (wrapped_lines) every line of a paragraph a dump broke at
        # the page source's line ends. They only widen what is kept (the span's reach, the paragraphs kept outside
        # it): the span itself and the confidence tests are found from the prose lines alone.
        text, reach_weights = prose, weights
        if span.wrapped_lines:
            text = list(prose)
            # ("Specifies whether to use color. Possible values" / "are always, auto and" / "never.": a line opening
            # in lower case after one that ends no sentence nor clause continues it when the paragraph's first line
            # has more than furniture_words words; such a run of at least two lines and min_words words, ending
            # like a sentence or with ":", is prose, every line of it.)
            for index in self._features().wrapped(lines, feats, span.min_words, span.furniture_words):
                text[index] = True
            reach_weights = [span.prose_weight if t and not p else w for t, p, w in zip(text, prose, weights,
                                                                                          strict=True)]
        start = self._reach(feats, text, reach_weights, start, -1, span.reach_penalty_above, span)
        end = self._reach(feats, text, reach_weights, end, 1, span.reach_penalty_below, span)
        # The share of the document's prose the span (reaching out) holds, teasers counting what they weigh.
        inside = sum(weights[i] for i in prose_lines if start <= i <= end)
        total = sum(weights[i] for i in prose_lines)
        if related.enabled and related.after_span_end and inside >= span.min_span_share * total and \
                weight >= min(related.min_span_weight or span.min_span_weight, span.min_span_weight):
            # Related runs are looked for right after the span's last paragraph: the margin and the lists the
            # span keeps (when in doubt, keep) are where such runs start. Moving lines into records, not
            # removing them, they may trust a lighter span than removal does.
            last = core[1] if related.core_end else end
            if related.paired_end:
                last = paired_end(feats, prose, start, last)
            after = [i for i in range(last + 1, len(lines)) if feats[i] is not None and open_lines[i]]
            # (the article's paragraphs past that end, within its reach: a run they follow is the article's own)
            beyond = [i for i in range(last + 1, end + 1) if prose[i] and weights[i] == span.prose_weight] \
                if related.inside_prose > 0 else []
            if span.confident_runs:
                # ... unless they wait for the span's own confidence (below): found only where it removes.
                pending = (after, last, beyond)
            else:
                self._related_runs(lines, feats, prose, after, last, related, found, beyond,
                                   self._wrapped(text, prose, span))
        if weight < span.min_span_weight or inside < span.min_span_share * total:
            if pending is not None and related.light_span_runs and inside >= span.min_span_share * total:
                # A span too light to remove around it (a few long paragraphs) but holding the document's prose:
                # its runs only move lines into records, which related_run's own lighter weight allows.
                self._related_runs(lines, feats, prose, pending[0], pending[1], related, found, pending[2],
                                   self._wrapped(text, prose, span))
            # No one span holds the document's prose: a page of several texts, or of none. Keep it all.
            found.evidence.append(Evidence(MAIN_SPAN, start + 1, end + 1, f"no main span (best: lines {start + 1}-"
                                           f"{end + 1}, prose weight {weight:.1f}, {inside:.1f} of the document's "
                                           f"{total:.1f}): nothing removed"))
            return found
        keep_from, keep_to = self._widen(lines, feats, start, end, span)
        if span.continue_words > 0:
            keep_to = self._continue(feats, prose, end, keep_to, span, found)
        if span.announced_lines > 0:
            keep_to = self._announced_list(lines, feats, prose, end, keep_to, span, found)
        # The article's head runs from its headline to the span; only without one does the margin decide.
        reach = self.settings.page_intent.recipe_headline_reach if found.intent == RECIPE else 0
        headline = self._headline(feats, open_lines, start, reach or span.headline_reach)
        if headline >= 0:
            # ... but when the lists, tables and code next to the span reach above the headline found (a
            # title-shaped line of a recipe's ingredient list over its method), they and the head stay.
            widened = keep_from
            keep_from = headline
            if span.keep_attached_above and widened < headline and \
                    any(f is not None and f.attached for f in feats[widened:headline]):
                # ... with the head above them: the headline is looked for again from there.
                above = self._headline(feats, open_lines, widened, reach or span.headline_reach)
                keep_from = min(widened, above) if above >= 0 else widened
        if span.headline_overlap > 0:
            # A short headline (a recipe's name) is named by the article's opening words; it only ever widens
            # the head.
            named = self._named_headline(lines, feats, prose, open_lines, start, reach or span.headline_reach, span,
                                         related.max_words)
            if 0 <= named < keep_from:
                headline = keep_from = named
                found.evidence.append(Evidence(MAIN_SPAN, named + 1, named + 1, "headline: its words open the "
                                               f"article (line {start + 1}); kept with the lines down to it"))
        if span.anchored_headings:
            keep_from = self._anchored_head(lines, feats, open_lines, start, keep_from, reach or span.headline_reach,
                                            span, found)
        if span.toc_entries > 0:
            keep_from = self._table_of_contents(lines, feats, prose, open_lines, claimed, start, keep_from, keep_to,
                                                reach or span.headline_reach, span, found)
        if span.title_mentions > 0:
            keep_from = self._title_named_by_text(lines, feats, prose, open_lines, start, end, keep_from, stop, span,
                                                  found)
        # A dateline or byline printed just above the headline belongs to the article's head.
        for _ in range(2):
            # ... looked for among the dateline_reach lines above (a section line may stand between).
            above_lines = [i for i in range(keep_from - 1, -1, -1) if feats[i] is not None][:span.dateline_reach]
            above = next((i for i in above_lines if (_DATE.search(lines[i]) or _BYLINE.match(lines[i])) and
                          feats[i].words <= 8), -1)  # type: ignore[union-attr]
            if above < 0:
                break
            keep_from = above
        if span.keep_title_above:
            # The line just above the head that the page prints again elsewhere (a navigation header or
            # breadcrumb repeats the title) is the document's title: "createdb" over "createdb — create a new
            # PostgreSQL database", when it shares words with the head below it (a menu's last item printed
            # twice does not).
            above = next((i for i in range(keep_from - 1, -1, -1) if feats[i] is not None), -1)
            above_feats = feats[above] if above >= 0 else None
            head_words = set().union(*(_name_tokens(lines[i]) for i in range(keep_from, start + 1)
                                       if feats[i] is not None and not prose[i]))
            tokens = _name_tokens(lines[above]) if above_feats is not None else set()
            if above_feats is not None and open_lines[above] and not prose[above] and tokens and \
                    len(tokens & head_words) >= span.headline_overlap * len(tokens) and \
                    max(above_feats.words, above_feats.dense // 2) <= related.max_words and \
                    sum(1 for line in lines if line == lines[above]) >= 2:
                keep_from = above
                found.evidence.append(Evidence(MAIN_SPAN, above + 1, above + 1, "title: printed again elsewhere on "
                                               "the page, just above the article's head: kept"))
        if span.byline_title:
            keep_from = self._title_over_byline(lines, feats, prose, open_lines, start, keep_from,
                                                reach or span.headline_reach, span, related.max_words, found)
        if headline >= 0 and keep_from < headline:
            found.evidence.append(Evidence(MAIN_SPAN, keep_from + 1, headline, "dateline or byline over the "
                                           f"headline (line {headline + 1}): kept with it"))
        # The document's first line, when title-shaped, is its headline (text dumps print it first): kept.
        first_open = next((i for i, free in enumerate(open_lines) if free and lines[i]), -1)
        first_feats = feats[first_open] if first_open >= 0 else None
        opening_title = first_feats is not None and first_feats.title_shaped
        where = f"outside the main span (lines {start + 1}-{end + 1}, prose weight {weight:.1f})" \
            if core == (start, end) else \
            f"outside the main span (lines {core[0] + 1}-{core[1] + 1}, prose weight {weight:.1f}; reaching out to " \
            f"lines {start + 1}-{end + 1})"
        # The lines outside the kept article, and what the confidence tests below weigh of them (one compiled call).
        outside, short, kept_mass, outside_mass = self._outside(lines, feats, prose, open_lines, claimed, keep_from,
                                                                keep_to, first_open if opening_title else None, span)
        if not outside:
            if pending is not None:
                self._related_runs(lines, feats, prose, pending[0], pending[1], related, found, pending[2],
                                   self._wrapped(text, prose, span))
            return found
        # Confidence: what lies outside an article on a whole page is mostly furniture, short lines (menus,
        # footers, share bars). When too few of the lines outside are that short (``short``: of at most
        # furniture_words words), they read as text (an extracted article's lists and headings, a page of several
        # sections): keep them.
        if span.min_furniture_share > 0 and short < span.min_furniture_share * len(outside):
            found.evidence.append(Evidence(MAIN_SPAN, start + 1, end + 1, f"low confidence: {short} of the "
                                           f"{len(outside)} lines outside the span (lines {start + 1}-{end + 1}) "
                                           f"have at most {span.furniture_words} words: nothing removed"))
            return found
        # Confidence: long lines outside the article (code, data, paragraphs; furniture is short) that outweigh it
        # mean the span holds only part of the text. When in doubt, keep. (A line's mass: its characters, a dense
        # script's counting dense_char_weight; ``kept_mass`` the kept lines', ``outside_mass`` that of the lines
        # outside of at least mass_chars.)
        if span.max_outside_mass > 0 and outside_mass > span.max_outside_mass * kept_mass:
            found.evidence.append(Evidence(MAIN_SPAN, start + 1, end + 1, "low confidence: the lines of at "
                                           f"least {span.mass_chars} characters outside the span (lines "
                                           f"{start + 1}-{end + 1}) hold {outside_mass:.0f} characters, the "
                                           f"article {kept_mass:.0f}: nothing removed"))
            return found
        if pending is not None:
            self._related_runs(lines, feats, prose, pending[0], pending[1], related, found, pending[2],
                                   self._wrapped(text, prose, span))
        if span.keep_prose_runs > 0:
            # Paragraphs in a row outside the span are text the span did not reach (a second section past a
            # long box, the part of a page the prose test left apart), with the heading line just above them:
            # kept. When in doubt, keep.
            taken: set[int] = set()
            run: list[int] = []
            present = [i for i in range(len(lines)) if feats[i] is not None]
            rank = {index: position for position, index in enumerate(present)}
            for index in [*outside, -1]:
                if index >= 0 and text[index] and (not run or rank[index] == rank[run[-1]] + 1):
                    run.append(index)
                    continue
                if len(run) >= span.keep_prose_runs:
                    taken.update(run)
                    before = rank[run[0]] - 1
                    if before >= 0 and (heading := present[before]) in outside and not text[heading]:
                        taken.add(heading)
                run = [index] if index >= 0 and text[index] else []
            if taken:
                outside = [i for i in outside if i not in taken]
                found.evidence.append(Evidence(MAIN_SPAN, min(taken) + 1, max(taken) + 1,
                                               f"{len(taken)} line(s) of paragraphs in a row (at least "
                                               f"{span.keep_prose_runs}) outside the span, with their headings: kept"))
                if not outside:
                    return found
        if span.anchored_headings:
            # A heading with a permalink anchor is the document's own, wherever it stands (a section the span did
            # not reach): kept.
            anchored = [i for i in outside if lines[i].endswith(_HEADING_ANCHORS)]
            if anchored:
                taken = set(anchored)
                outside = [i for i in outside if i not in taken]
                found.evidence.append(Evidence(MAIN_SPAN, anchored[0] + 1, anchored[-1] + 1,
                                               f"{len(anchored)} heading(s) with a permalink anchor outside the span: "
                                               "kept"))
                if not outside:
                    return found
        if span.keep_long_chars > 0:
            # A long line that is no prose (code, a data or specification line) is kept: furniture is short.
            long_lines = [i for i in outside if not prose[i] and len(lines[i]) >= span.keep_long_chars]
            if long_lines:
                taken = set(long_lines)
                outside = [i for i in outside if i not in taken]
                found.evidence.append(Evidence(MAIN_SPAN, long_lines[0] + 1, long_lines[-1] + 1,
                                               f"{len(long_lines)} long line(s) outside the span that are no "
                                               f"prose (at least {span.keep_long_chars} characters): kept"))
                if not outside:
                    return found
        if related.enabled and not related.after_span_end:
            self._related_runs(lines, feats, prose, outside, keep_to, related, found,
                               wrapped=self._wrapped(text, prose, span))
        moved = {i for title, rest in found.related for i in (title, *rest)}
        for index in outside:
            if index not in moved:
                found.removed.setdefault(index, MAIN_SPAN)  # (a related block's labels keep its id)
        if found.removed:
            found.evidence.append(Evidence(MAIN_SPAN, start + 1, end + 1, f"{len(found.removed)} line(s) {where}"))
        return found

    def _outside(self, lines: Sequence[str], feats: Sequence[LineFeatures | None], prose: Sequence[bool],
                 open_lines: Sequence[bool], claimed: Sequence[bool], keep_from: int, keep_to: int,
                 opening: int | None, s: MainSpanSettings) -> tuple[list[int], int, float, float]:
        """The lines outside the kept article (``keep_from`` to ``keep_to``) that the span may remove: open, not
        claimed nor blank, no markdown link definition ("[3]: https://...": a link's target, kept with the text),
        not ``opening`` (the document's first line, title-shaped: its headline) and (``keep_repeated_titles``) no
        copy of a line of the kept article that is no prose and stands two or three times on the page (the
        headline in a breadcrumb, a print copy's title: when in doubt, keep). With them, for the confidence tests:
        how many have at most ``furniture_words`` words (or twice as many dense characters), the mass (characters,
        a dense script's counting ``dense_char_weight``) of the kept lines, and that of the lines outside of at
        least ``mass_chars``. (The compiled core's, src/spantail.rs; tests/structure_oracle.py holds the Python
        definition.)"""
        return outside_lines(self._features(), lines, feats, prose, open_lines, claimed, keep_from, keep_to, opening,
                             s.keep_repeated_titles, s.dense_char_weight, s.mass_chars, s.furniture_words)

    def _intent(self, lines: Sequence[str], table: LineTable, prose: Sequence[bool]) -> tuple[str, str] | None:
        """The page's kind, from its short lines (those not ``prose``: the lines read as prose once the stop words
        were asked) and what ``table`` tells of them."""
        s = self.settings.page_intent
        if not s.enabled:
            return None
        numeric, priced, dated = table.numeric, table.priced, table.dated
        # (The short lines: with features, not prose. Only those with a number are looked at, and a line without
        # features has none: the loop walks the numeric lines, in C.)
        feats = table.feats
        short = sum(map(and_, map(is_not, feats, repeat(None)), map(not_, prose)))
        grid = quantities = prices = 0
        for index in compress(range(len(numeric)), numeric):
            if prose[index] or feats[index] is None:
                continue
            line = lines[index]
            if priced[index] and _PRICE.search(line):
                grid += 1
                prices += 1
            elif dated[index] and (_DATE.search(line) or _COUNT.search(line)):
                grid += 1
            elif _amount(line, s.ordinals, s.fraction_amounts):
                quantities += 1
        thread = sum(1 for index in table.thread_lines
                     if not prose[index] and len(lines[index]) <= 80 and _THREAD.fullmatch(lines[index]))
        items = sum(prose)
        if grid >= s.min_grid_lines and grid >= s.min_grid_share * short and grid >= s.min_grid_per_prose * items:
            return "listing", f"{grid} of {short} short lines hold a price, date or count, beside {items} prose lines"
        if prices >= s.min_price_lines:
            return "product", f"{prices} short lines hold a price"
        if thread >= s.min_thread_lines:
            return "forum", f"{thread} post-frame lines"
        questions = table.questions
        if questions >= s.min_questions and questions >= s.min_question_share * items:
            return "q&a", f"{questions} question lines"
        if table.code >= s.min_code_lines:
            return "documentation", f"{table.code} code or table lines"
        if quantities >= s.min_quantity_lines:
            return RECIPE, f"{quantities} short lines start or end with a quantity"
        return None

    def _best_span(self, feats: Sequence[LineFeatures | None], weights: Sequence[float]) -> tuple[int, int, float]:
        """The maximum-sum segment (Kadane) of the lines' weights (prose weight, minus the per-line penalty);
        blank and claimed lines cost nothing. (-1, -1, 0) when no segment is worth anything. (The compiled core's;
        tests/structure_oracle.py holds the Python definition.)"""
        return self._runs().best_span(feats, weights)

    def _weights(self, feats: Sequence[LineFeatures | None], prose: Sequence[bool], s: MainSpanSettings) -> list[float]:
        """What each line adds to a span: a prose line between two lines that are not prose (a teaser under
        its title in a list of them, a site directory's blurb) weighs ``isolated_prose_weight``, when at least
        ``min_alternation`` of them alternate with one other line each (a list of teasers; paragraphs between
        captions stay prose). (The compiled core's; tests/structure_oracle.py holds the Python definition.)"""
        return self._runs().weights(feats, prose, s.line_penalty, s.prose_weight, s.isolated_prose_weight,
                                    s.min_alternation)

    @staticmethod
    def _reach(feats: Sequence[LineFeatures | None], prose: Sequence[bool], weights: Sequence[float], edge: int,
               direction: int, penalty: float, s: MainSpanSettings) -> int:
        """The span's edge moved to the farthest prose line beyond it whose prose, with the prose between,
        outweighs the other lines between at ``penalty`` each (within ``reach`` non-blank lines)."""
        total = best = 0.0
        seen = 0
        index = edge + direction
        while 0 <= index < len(feats) and seen < s.reach:
            if feats[index] is not None:
                seen += 1
                total += weights[index] if prose[index] else -penalty
                if prose[index] and total > best:
                    best, edge = total, index
            index += direction
        return edge

    @staticmethod
    def _widen(lines: Sequence[str], feats: Sequence[LineFeatures | None], start: int, end: int,
               s: MainSpanSettings) -> tuple[int, int]:
        """The span with its margin, then the lists, tables, code and quotes touching it (blank lines between
        allowed)."""
        def step(position: int, direction: int) -> int:
            margin = 0  # lines taken only for the margin; attached lines are taken on their own account
            index = position + direction
            while 0 <= index < len(lines):
                f = feats[index]
                if f is not None:
                    if f.attached:
                        position = index
                    elif margin < s.margin:
                        margin += 1
                        position = index
                    else:
                        break
                index += direction
            return position
        return step(start, -1), step(end, 1)

    @staticmethod
    def _continue(feats: Sequence[LineFeatures | None], prose: Sequence[bool], end: int, keep_to: int,
                  s: MainSpanSettings, found: Found) -> int:
        """The kept end moved on through a list the article ends with: when every line the margin took after
        the span is a line of at least ``continue_words`` words that is no prose (list items, a table's rows
        without their markup), the lines after it of that shape are kept too (at most ``continue_lines``)."""
        def words(f: LineFeatures) -> int:
            return max(f.words, f.dense // 2)
        margin = [f for f in feats[end + 1:keep_to + 1] if f is not None]
        if len(margin) < s.margin or not all(words(f) >= s.continue_words for f in margin):
            return keep_to
        edge = keep_to
        index, taken = keep_to + 1, 0
        while index < len(feats) and taken < s.continue_lines:
            f = feats[index]
            if f is not None:
                if prose[index] or words(f) < s.continue_words:
                    break
                edge, taken = index, taken + 1
            index += 1
        if edge > keep_to:
            found.evidence.append(Evidence(MAIN_SPAN, keep_to + 2, edge + 1, "the list the article ends with "
                                           f"(lines of at least {s.continue_words} words): kept"))
        return edge

    @staticmethod
    def _announced_list(lines: Sequence[str], feats: Sequence[LineFeatures | None], prose: Sequence[bool], end: int,
                        keep_to: int, s: MainSpanSettings, found: Found) -> int:
        """The kept end moved on through the list the span's last paragraph announces (it ends with a colon):
        the short lines after it (at most ``announced_words`` words, no prose, none the page prints twice: menus
        and footers repeat their lines, a list of function names or steps does not), at most
        ``announced_lines``."""
        if not prose[end] or not lines[end].rstrip().endswith((":", "\uff1a")):
            return keep_to
        counts = Counter(lines)
        edge = keep_to
        index, taken = end + 1, 0
        while index < len(feats) and taken < s.announced_lines:
            f = feats[index]
            if f is not None:
                if prose[index] or max(f.words, f.dense // 2) > s.announced_words or counts[lines[index]] > 1:
                    break
                edge, taken = max(edge, index), taken + 1
            index += 1
        if edge > keep_to:
            found.evidence.append(Evidence(MAIN_SPAN, keep_to + 2, edge + 1, "the list the article's last paragraph "
                                           f"announces (line {end + 1} ends with a colon): kept"))
        return edge

    @staticmethod
    def _title_over_byline(lines: Sequence[str], feats: Sequence[LineFeatures | None], prose: Sequence[bool],
                           open_lines: Sequence[bool], start: int, keep_from: int, reach: int, s: MainSpanSettings,
                           max_words: int, found: Found) -> int:
        """The head moved up to the title over the nearest byline (``_SIGNED``) within ``reach`` lines above the span:
        a recipe's or a post's name printed over "Submitted by: ...", above its "Ingredients" heading. ``keep_from``
        when there is none, or when the line above the byline is prose, long or already kept."""
        seen, index = 0, start - 1
        while index >= 0 and seen < reach:
            f = feats[index]
            if f is not None:
                seen += 1
                if open_lines[index] and f.words <= s.byline_words and _SIGNED.match(lines[index]):
                    above = next((i for i in range(index - 1, -1, -1) if feats[i] is not None), -1)
                    title = feats[above] if above >= 0 else None
                    if title is not None and above < keep_from and open_lines[above] and not prose[above] and \
                            0 < max(title.words, title.dense // 2) <= max_words:
                        found.evidence.append(Evidence(MAIN_SPAN, above + 1, keep_from, "title over the byline on "
                                                       f"line {index + 1}: kept with the lines down to the head"))
                        return above
                    return keep_from
            index -= 1
        return keep_from

    @staticmethod
    def _title_named_by_text(lines: Sequence[str], feats: Sequence[LineFeatures | None], prose: Sequence[bool],
                             open_lines: Sequence[bool], start: int, end: int, keep_from: int, stop: frozenset[str],
                             s: MainSpanSettings, found: Found) -> int:
        """The head moved up to a short title the article's text keeps naming (``title_mentions``): the nearest open
        line above it within ``title_gap`` open lines, of at most ``title_words`` words and no prose, at least
        ``headline_overlap`` of whose words (``_name_tokens``, the language's stop words left out) each stand in
        ``title_mentions`` or more of the span's prose lines (of at least min_words words), one of them in its first
        ``headline_prose_lines``, none of them in ``title_mentions`` other lines outside the article (a site's name),
        and that stands once on the page. ``keep_from`` when there is none, or when the
        head's first line names the article so already (a headline kept: the line above it is a menu's or a
        breadcrumb's)."""
        def short(index: int) -> bool:
            f = feats[index]
            # (a line ending with a colon is a label: "POLL:", "Read also:")
            return f is not None and not prose[index] and max(f.words, f.dense // 2) <= s.title_words and \
                not lines[index].rstrip().endswith((":", "\uff1a"))

        # The candidates first (cheap): the nearest open lines above the head, short, no label, printed once (a line
        # the page prints twice is a menu's or a section bar's: a headline's copy stands in the head).
        candidates: list[int] = []
        seen, index = 0, keep_from - 1
        while index >= 0 and seen < s.title_gap:
            if feats[index] is not None and open_lines[index]:
                seen += 1
                if short(index) and lines.count(lines[index]) == 1:
                    candidates.append(index)
            index -= 1
        if not candidates:
            return keep_from
        common = {word[:5] for word in stop}
        mentions: Counter[str] = Counter()
        opening: set[str] = set()
        taken = 0
        for index in range(start, end + 1):
            f = feats[index]
            if prose[index] and f is not None and f.words >= s.min_words:
                tokens = _name_tokens(lines[index]) - common
                mentions.update(tokens)
                if taken < s.headline_prose_lines:
                    opening |= tokens
                    taken += 1

        def named(index: int) -> int:
            """How many of the line's words the text names often enough; 0 when too few of them are."""
            tokens = _name_tokens(lines[index]) - common
            shared = sum(1 for token in tokens if mentions[token] >= s.title_mentions)
            return shared if tokens & opening and shared >= s.headline_overlap * len(tokens) else 0

        def sitewide(index: int) -> bool:
            """Whether a word of the line that the article names stands in title_mentions or more other lines
            outside the kept article: the site's name ("Regala elDiario.es" over "Estatuto de elDiario.es")."""
            tokens = {token for token in _name_tokens(lines[index]) - common if mentions[token] >= s.title_mentions}
            elsewhere: Counter[str] = Counter()
            for other in (*range(keep_from), *range(end + 1, len(lines))):
                if other != index and feats[other] is not None:
                    elsewhere.update(tokens & _name_tokens(lines[other]))
            return any(count >= s.title_mentions for count in elsewhere.values())

        if not opening or (short(keep_from) and named(keep_from)):
            return keep_from
        for index in candidates:
            shared = named(index)
            if shared and not sitewide(index):
                found.evidence.append(Evidence(MAIN_SPAN, index + 1, keep_from, f"title: {shared} of its "
                                               f"words stand in at least {s.title_mentions} of the article's "
                                               "prose lines; kept with the lines down to the head"))
                return index
        return keep_from

    @staticmethod
    def _headline(feats: Sequence[LineFeatures | None], open_lines: Sequence[bool], start: int, reach: int) -> int:
        """The farthest title-shaped line above the span (or its first line), within reach: the article's
        headline. The article's head (headline, standfirst, caption, byline, dates) runs from it to the span."""
        seen = -1
        index = start
        headline = -1
        while index >= 0 and seen < reach:
            f = feats[index]
            if f is not None:
                seen += 1
                if f.title_shaped and open_lines[index]:
                    headline = index
            index -= 1
        return headline

    @staticmethod
    def _anchored_head(lines: Sequence[str], feats: Sequence[LineFeatures | None], open_lines: Sequence[bool],
                       start: int, keep_from: int, reach: int, s: MainSpanSettings, found: Found) -> int:
        """The head moved up to the farthest heading with a permalink anchor (``anchored_headings``) within
        ``reach`` non-blank lines above the span: the document's own heading, with the lines between (its summary).
        ``keep_from`` when there is none above it."""
        marks = _HEADING_ANCHORS
        seen, index, farthest = 0, start - 1, -1
        while index >= 0 and seen < reach:
            if feats[index] is not None:
                seen += 1
                if open_lines[index] and lines[index].endswith(marks):
                    farthest = index
            index -= 1
        if 0 <= farthest < keep_from:
            found.evidence.append(Evidence(MAIN_SPAN, farthest + 1, keep_from, "heading with a permalink anchor "
                                           "above the span: kept with the lines down to it"))
            return farthest
        return keep_from

    def _table_of_contents(self, lines: Sequence[str], feats: Sequence[LineFeatures | None], prose: Sequence[bool],
                           open_lines: Sequence[bool], claimed: Sequence[bool], start: int, keep_from: int,
                           keep_to: int, reach: int, s: MainSpanSettings, found: Found) -> int:
        """The head moved up to a table of contents above it: lines that repeat the headings of sections kept below
        (a line that stands once in the span, with prose after it, and nowhere else on the page; letters and
        digits compared, so "DocumentRoot" meets "DocumentRoot ¶" and "8.1. Locale" meets "8.1. Locale"), at
        least ``toc_entries`` of them, making at least half the lines from the first to the last; with the
        ``toc_head_lines`` lines above them and a headline above those. ``keep_from`` when there is none."""
        # A heading stands once in the article and once more on the page, in the table of contents: a widget's
        # label ("Advertisement", "Share") or a menu's item ("Politics") recurs.
        # ... and opens a section: the next line is prose (a menu printed twice has items after its items).
        # (The compiled core finds the matches: tests/structure_oracle.py holds the Python definition.)
        matches, keys = self._runs().toc_matches(self._features(), lines, feats, prose, open_lines, start, keep_from,
                                                 keep_to, s.reach, _letters)
        if keys < s.toc_entries:
            return keep_from
        present = [i for i in range(start) if feats[i] is not None]
        # The densest run of matches: from each match, the farthest match keeping at least half the lines.
        rank = {index: position for position, index in enumerate(present)}
        best: tuple[int, int] | None = None
        for a, first in enumerate(matches):
            for b in range(len(matches) - 1, a - 1, -1):
                count = b - a + 1
                if count >= s.toc_entries and 2 * count >= rank[matches[b]] - rank[first] + 1:
                    if best is None or count > best[1]:
                        best = (first, count)
                    break
        if best is None:
            return keep_from
        first = best[0]
        for _ in range(s.toc_head_lines):
            above = rank[first] - 1
            if above < 0 or not open_lines[present[above]]:
                break
            first = present[above]
        headline = self._headline(feats, open_lines, first, reach)
        new_from = min(first, headline) if headline >= 0 else first
        if new_from < keep_from:
            found.evidence.append(Evidence(MAIN_SPAN, new_from + 1, keep_from, f"table of contents ({best[1]} lines "
                                           "repeat headings of the article): kept with the head"))
        return min(new_from, keep_from)

    def _named_headline(self, lines: Sequence[str], feats: Sequence[LineFeatures | None], prose: Sequence[bool],
                        open_lines: Sequence[bool], start: int, reach: int, s: MainSpanSettings, max_words: int
                        ) -> int:
        """The short line above the span (within reach) that shares the most words with the article's opening,
        at least headline_overlap of its own: a short headline such as a recipe's name, which is no title-shaped
        line. -1 when none does. (The compiled core's; tests/structure_oracle.py holds the Python definition.)"""
        return self._runs().named_headline(self._features(), lines, feats, prose, open_lines, start, reach,
                                           s.headline_prose_lines, s.headline_overlap, max_words, _name_tokens)

    def _related_runs(self, lines: Sequence[str], feats: Sequence[LineFeatures | None], prose: Sequence[bool],
                      outside: list[int], keep_to: int, s: RelatedRunSettings, found: Found,
                      paragraphs: Sequence[int] = (), wrapped: Sequence[bool] = ()) -> None:
        """Runs of title-shaped lines after the span become related records (cleaner.core.relatedrun): found by the
        compiled core from the lines' features (each line's words, a dense script's characters ``dense_per_word``
        to a word; its title shape, prose and code; a date or reading-time line of at most ``meta_words`` words,
        told by _DATE and _READING_TIME), as ``relatedrun.related_candidates`` finds them from such shapes.
        ``paragraphs``: the article's prose lines after ``keep_to`` up to the span's last line reaching out, teasers
        alternating with titles left out (for ``inside_prose``)."""
        after = [i for i in outside if i > keep_to]
        candidates = [Candidate(*found_run) for found_run in self._runs().related_candidates(
            lines, after, feats, prose, _meta, s.dense_per_word, s.meta_words, s.min_titles, s.min_words,
            s.max_between, s.teaser_words, s.label_words, s.code_chars, s.max_number_share)]
        runs = beside(accepted(lines, candidates, s, keep_to), s)
        if wrapped and runs:
            runs = Detectors._unwrapped(runs, wrapped)
        if s.inside_prose > 0 and paragraphs and runs:
            runs = Detectors._outside_article(runs, paragraphs, s)
        Detectors._add_runs(runs, found)

    @staticmethod
    def _wrapped(text: Sequence[bool], prose: Sequence[bool], s: MainSpanSettings) -> list[bool]:
        """The lines of paragraphs a dump broke at the page source's line ends (read as text, not prose on their own),
        for ``wrapped_titles``; empty when that guard is off."""
        if not (s.wrapped_titles and s.wrapped_lines):
            return []
        return [t and not p for t, p in zip(text, prose, strict=True)]

    @staticmethod
    def _unwrapped(runs: list[Run], wrapped: Sequence[bool]) -> list[Run]:
        """The runs none of whose titles is a line of a wrapped paragraph (``wrapped_titles``): "This utility, like
        most other PostgreSQL utilities," over "also uses the environment variables supported by libpq" is the
        article's text broken at its source's line ends, not a list of headlines."""
        return [run for run in runs if not any(wrapped[title] for title, _ in run.items)]

    @staticmethod
    def _outside_article(runs: list[Run], paragraphs: Sequence[int], s: RelatedRunSettings) -> list[Run]:
        """The runs that the article does not go on after: a run followed, up to the span's last line reaching out,
        by at least ``inside_prose`` of its prose lines (``paragraphs``: no teaser alternating with titles) that no
        run holds, within ``inside_window`` lines after its last line, lies between the article's paragraphs (its
        own numbered sections and lists: "1. Limitations", its items, "2. Scheduler jobs", then more text), not
        beside it."""
        held = {i for run in runs for title, rest in run.items for i in (title, *rest)} | \
            {i for run in runs for i in run.labels}
        kept: list[Run] = []
        for run in runs:
            last = max(i for title, rest in run.items for i in (title, *rest))
            limit = last + s.inside_window if s.inside_window else max(paragraphs)
            if sum(1 for i in paragraphs if last < i <= limit and i not in held) < s.inside_prose:
                kept.append(run)
        return kept

    @staticmethod
    def _add_runs(runs: list[Run], found: Found) -> None:
        for run in runs:
            found.related.extend(run.items)
            found.removed.update(dict.fromkeys(run.labels, RELATED_RUN))
            last = run.items[-1]
            found.evidence.append(Evidence(RELATED_RUN, run.items[0][0] + 1, (last[1] or [last[0]])[-1] + 1,
                                           run.reason))
