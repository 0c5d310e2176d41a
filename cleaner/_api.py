"""The library API: a reusable :class:`Cleaner` built once, and :func:`clean` for one-off calls."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from threading import Lock
from types import MappingProxyType
from weakref import WeakValueDictionary

from cleaner.core.engine import Engine, Options
from cleaner.core.facts import PatternFacts
from cleaner.core.matcher import LineMatcher, ProbeSpec
from cleaner.core.records import IN_TREE, Cleaned, Record, Removal
from cleaner.core.reltime import parse_time, resolve_relative
from cleaner.core.rules import RuleSet
from cleaner.core.siterepeat import DETECTOR as SITE_REPEAT
from cleaner.core.siterepeat import ProfileError, SiteProfile, SiteRepeatSettings
from cleaner.core.structure import Evidence
from cleaner.io.html import HtmlOptions, extract
from cleaner.io.html_blocks import TreeRules
from cleaner.io.language import Languages
from cleaner.io.page_types import PAGE_TYPE_EVIDENCE, default_page_types
from cleaner.io.rulecache import (
    RuleCache,
    RuleCacheWarning,
    cached_rules,
    matcher_key,
    remember,
    shared_character_tables,
)
from cleaner.io.rulefiles import snapshot_rules

RuleSource = RuleSet | str | Path | Iterable[str | Path] | None
#: When a document was fetched: a datetime (naive means UTC) or ISO 8601 text ("2025-08-14T09:30:00Z").
FetchTime = datetime | str | None


def fetch_time(value: FetchTime) -> datetime | None:
    """``value`` as an aware UTC datetime; a loud error for anything that is not a time, since a wrong
    fetch time would silently shift every ``published_at``."""
    if value is None:
        return None
    if not isinstance(value, datetime | str):
        raise TypeError(f"fetched_at must be a datetime or ISO 8601 text, not {type(value).__name__}")
    moment = parse_time(value)
    if moment is None:
        raise ValueError(f"fetched_at {value!r} is not an ISO 8601 time within the calendar in UTC")
    return moment


class Cleaner:
    """Rules compiled once, applied per document. Immutable after construction, so safe across threads.

    ``rules``: a :class:`RuleSet`, or rule files/folders added to the built-in ones (``no_builtin_rules=True``
    leaves the built-ins out). ``disable``: rule ids to switch off (``struct:site-repeat`` too).
    ``site_profile``: a host profile (a :class:`SiteProfile` or the path of one saved by ``cleaner profile
    build``): lines it knows as a host's furniture are removed by ``struct:site-repeat``, as in a batch run;
    ``site_min_pages`` and ``site_min_share`` are the thresholds a profile read from a path is used with.

    The keyword arguments after ``site_profile`` are the options of ``cleaner explain`` by the same names and
    with the same defaults (docs/options.md). ``builtin``, ``options`` and ``html_options`` are the older,
    object forms: give an :class:`Options` or :class:`HtmlOptions` for settings no option names, and leave the
    options it holds at their defaults.
    """

    def __init__(self, rules: RuleSource = (), *, disable: Iterable[str] = (), builtin: bool = True,
                 options: Options | None = None, html_options: HtmlOptions | None = None,
                 site_profile: SiteProfile | str | Path | None = None, no_builtin_rules: bool = False,
                 keep_comments: bool = False, drop_comments: bool = False, max_html_elements: int = 30_000,
                 max_html_attributes: int = 1_000, site_min_pages: int = 10, site_min_share: float = 0.5) -> None:
        disable = list(disable)
        site_off = any(d.casefold() == SITE_REPEAT for d in disable)
        disable = [d for d in disable if d.casefold() != SITE_REPEAT]
        thresholds = SiteRepeatSettings(min_pages=site_min_pages, min_share=site_min_share)
        if isinstance(site_profile, str | Path):
            profile: SiteProfile | None = load_profile(site_profile, thresholds)
        else:
            _only_one("site_profile", site_profile, site_min_pages=(site_min_pages, 10),
                      site_min_share=(site_min_share, 0.5))
            profile = site_profile
        #: The host profile used on every document (None when there is none or the detector is off).
        self.site_profile = None if site_off else profile
        builtin = builtin and not no_builtin_rules
        _only_one("options", options, drop_comments=(drop_comments, False))
        _only_one("html_options", html_options, keep_comments=(keep_comments, False),
                  max_html_elements=(max_html_elements, 30_000), max_html_attributes=(max_html_attributes, 1_000))
        with _collector_paused():
            if isinstance(rules, RuleSet):
                ruleset = RuleSet(rules.files, rules.disabled | frozenset(disable), rules.facts)
            else:
                # Built with what the compiled-rule cache holds for these files' bytes (cleaner.io.rulecache).
                paths = [rules] if isinstance(rules, str | Path) else list(rules or ())
                ruleset = cached_rules(snapshot_rules(paths, builtin=builtin), disable)
            facts = ruleset.facts if ruleset.facts is not None else PatternFacts(tables=shared_character_tables())
            self.languages = Languages()
            self.engine = Engine(ruleset, options or Options(drop_comments=drop_comments),
                                 tools=self.languages.tools(), build_matcher=shared_line_matcher, facts=facts)
        #: Whether building these rules computed nothing: every answer came from the compiled-rule cache (or
        #: from this process's earlier build of the same rule files).
        self.rules_from_cache = bool(facts.key) and not facts.learned
        remember(facts)
        self.html_options = html_options or HtmlOptions(include_comments=keep_comments, max_elements=max_html_elements,
                                                        max_element_attributes=max_html_attributes)
        #: The HTML rules and detectors, run on a page's tree before extraction (compiled on first page).
        self.tree_rules = TreeRules.from_ruleset(ruleset, detectors=self.html_options.detectors())

    @property
    def rules(self) -> RuleSet:
        return self.engine.rules

    def process(self, text: str | None = None, *, html: str | bytes | None = None, doc_id: str | None = None,
                url: str | None = None, fetched_at: FetchTime = None, language: str | None = None) -> Cleaned:
        """Records and every removal of one document given as ``text`` or as ``html``.

        ``fetched_at`` resolves relative times ("4 hours ago") into each record's ``published_at``, as the
        batch job does with an input's fetch time. ``language`` (an ISO 639-1 code), when you know it, is the
        records' language and picks the detectors' stop words; the document's language is then not identified.
        """
        if language is not None and (not isinstance(language, str) or not language.strip()):
            raise ValueError(f"language must be an ISO 639-1 code such as 'en', not {language!r}")
        language = language.strip().lower() if language is not None else None
        if (text is None) == (html is None):
            raise TypeError("give exactly one of text or html")
        if isinstance(text, bytes | bytearray):
            raise TypeError("text must be str, got bytes: pass an HTML page as html=..., or decode the text first "
                            "(text.decode('utf-8'))")
        fetched = None if fetched_at is None else fetch_time(fetched_at)
        if html is not None:
            return self._process_html(html, doc_id, url, fetched, language)
        return self.engine.process(text, doc_id=doc_id, url=url, fetched_at=fetched,  # type: ignore[arg-type]
                                   site=self.site_profile, language=language)

    def _process_html(self, html: str | bytes, doc_id: str | None, url: str | None,
                      fetched_at: datetime | None, language: str | None = None) -> Cleaned:
        # extract imports trafilatura on its first call, so text-only users never pay for it.
        page = extract(html, url=url, options=self.html_options, blocks=self.tree_rules)
        page_url = page.url or url
        cleaned = self.engine.process(page.text, doc_id=doc_id, url=page_url, title=page.title,
                                      fetched_at=fetched_at, site=self.site_profile, language=language)
        records = list(cleaned.records)
        found = page.metadata()
        if not records and len(page.text.split()) >= default_page_types().near_empty_words:
            # Every line of the page's text was judged junk by the line rules: a page with text still has a
            # main record holding it (losing content is worse than keeping junk); a few words of furniture
            # ("Advertisement", "Comments") make none.
            records = [Record(doc_id, 0, "main", None, None, page.title, page.text, page_url,
                              language=language or "und")]
        if records and records[0].kind == "main":
            main = records[0]
            if found:
                main = main._replace(metadata=MappingProxyType({**found, **main.metadata}))
            # The page's own date says when its article was published better than any relative time could.
            records[0] = main._replace(published_at=page.published_at() or main.published_at)
        tree = page.tree
        if tree is not None and records:  # a page with no article has no place for the blocks beside it
            blocks = sorted(tree.records, key=lambda b: b.kind == "comments")  # articles first, then comments
            first = len(records)
            language = records[0].language
            records.extend(Record(doc_id, first + n, b.kind, b.source, b.published, b.title, b.text, page_url,
                                  link=b.link, language=language,
                                  published_at=resolve_relative(b.published, fetched_at) or parse_time(b.published))
                           for n, b in enumerate(blocks))
        # On forum and Q&A pages trafilatura's comments are the thread's posts, already the main record.
        discussion = page.page_type in ("forum", "qa")
        if page.comments and not discussion and not any(r.kind == "comments" for r in records):
            records.append(Record(doc_id, len(records), "comments", None, None, None, page.comments, page_url,
                                  language=records[0].language if records else "und"))
        removals = cleaned.removals
        if tree is not None and tree.removals:
            removals = tuple(Removal(r.rule_id, IN_TREE, IN_TREE, r.text) for r in tree.removals) + removals
        evidence = cleaned.evidence
        if tree is not None and page.page_type and tree.page_type_reason:
            # Why the page is a forum (its posts the content), a Q&A page, a product...: for cleaner explain.
            evidence += (Evidence(PAGE_TYPE_EVIDENCE, 0, 0, f"{page.page_type}: {tree.page_type_reason}"),)
        return replace(cleaned, records=tuple(records), removals=removals, evidence=evidence)

    def warm_up(self) -> None:
        """Pays now what this Cleaner would otherwise pay on its first documents: the language model's load and
        the compilation of every native confirmation. A batch worker calls it before any document's time budget
        starts, so that a budget measures the document, not the worker's first moments."""
        self.languages.identify("warm up")
        self.engine.compile_confirmations()

    def clean(self, text: str | None = None, *, html: str | bytes | None = None, doc_id: str | None = None,
              url: str | None = None, fetched_at: FetchTime = None, language: str | None = None) -> list[Record]:
        """The records of one document: the main article first, then secondary articles in page order."""
        return list(self.process(text, html=html, doc_id=doc_id, url=url, fetched_at=fetched_at,
                                 language=language).records)

    def clean_many(self, documents: Iterable[str | tuple[str, str | None] | tuple[str, str | None, str | None]]
                   ) -> Iterator[Record]:
        """Records of each text in turn, lazily; items are texts or ``(text, doc_id[, url])`` tuples."""
        return self.engine.clean_many(documents)


def load_profile(path: str | Path, settings: SiteRepeatSettings | None = None) -> SiteProfile:
    """A site profile saved as JSON (used with ``settings`` when given); :class:`ProfileError` names the file
    and what is wrong with it."""
    return SiteProfile.from_json(read_profile(path), name=str(path), settings=settings)


def read_profile(path: str | Path) -> str:
    """The JSON text of a site profile file, checked; :class:`ProfileError` names the file and the problem."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read the site profile ({exc})") from None
    SiteProfile.from_json(text, name=str(path))
    return text


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while rules are built: a build makes some 100,000 objects that
    live as long as the Cleaner and none that form garbage cycles, and the collector's passes over them cost a
    fresh process's build from the cache some 15 ms (the young objects are looked at once, after). Left as it
    is when it is already off (the caller's choice, or another thread's build)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _only_one(name: str, given: object, **flat: tuple[object, object]) -> None:
    """An object form (``html_options=``) and the options it holds (``keep_comments=``) are not given both: one
    would silently lose."""
    changed = [key for key, (value, default) in flat.items() if value != default]
    if given is not None and changed:
        raise TypeError(f"give {name} or {', '.join(changed)}, not both")


#: The matchers of this process's living engines, by what they are built from: a matcher is kept while some
#: engine holds it, and the newest one besides (:data:`_newest_matcher`), so that building the same rules
#: again after dropping a Cleaner (a test, a worker's next shard) reuses it. Holding more (the eight newest,
#: before) kept some 30 MB of compiled set and lazy automaton per rule set for the process's life: a process
#: that builds Cleaners with other rules or switches grew by that much for each (issue #29). The lock keeps
#: two threads from building the same one at once.
_MatcherKey = tuple[tuple[ProbeSpec, ...], int, tuple[str, ...], int]
_matchers: WeakValueDictionary[_MatcherKey, LineMatcher] = WeakValueDictionary()
_newest_matcher: LineMatcher | None = None
_matchers_lock = Lock()


def _stored_line_matcher(probes: tuple[ProbeSpec, ...], longest: int, exact_keys: tuple[str, ...],
                         exact_longest: int, facts: PatternFacts | None) -> LineMatcher:
    """A matcher built with its pattern set's compiled form from the disk cache when there is one (a small
    part of the time compiling takes), and the form stored when there was none."""
    facts = facts if facts is not None else PatternFacts()
    if facts.tables is None:
        facts.tables = shared_character_tables()
    cache = RuleCache.from_environment()
    name = matcher_key(facts.translate(pattern, flags).rust for pattern, flags, _ in probes)
    stored = cache.read_matcher(name) if cache.directory is not None else None
    matcher = LineMatcher(probes, longest, exact_keys, exact_longest, facts, compiled=stored)
    if not matcher.from_compiled:
        if stored is not None:
            warnings.warn(f"rule cache entry {cache.matcher_path(name)} is unusable (not a compiled matcher of this "
                          "build); rebuilding it", RuleCacheWarning, stacklevel=2)
        compiled = matcher.compiled_form() if cache.directory is not None else None
        if compiled is not None:
            cache.write_matcher(name, compiled)
    return matcher


def shared_line_matcher(probes: tuple[ProbeSpec, ...], longest: int, exact_keys: tuple[str, ...],
                        exact_longest: int, facts: PatternFacts | None = None) -> LineMatcher:
    """The compiled matcher of these probes, shared by every :class:`Cleaner` that has them while one lives, and
    the newest one kept besides (it is immutable and threads may share it): compiling the built-in rules takes
    a good part of a second, which a second Cleaner, a test or a worker's next shard need not pay again. The
    core keeps no such cache; this shell does, and holds no matcher that no Cleaner uses but the newest.
    ``facts``: the translations known (from the disk cache), used and added to."""
    global _newest_matcher
    key = (probes, longest, exact_keys, exact_longest)
    with _matchers_lock:
        found = _matchers.get(key)
        if found is None:
            found = _stored_line_matcher(probes, longest, exact_keys, exact_longest, facts)
        elif facts is not None:
            # Reused, yet the translations belong in what this build stores (a cache entry for these rules).
            for translation, (pattern, flags, _) in zip(found.translations, probes, strict=True):
                if (pattern, flags) not in facts.translations:
                    facts.translations[(pattern, flags)] = translation
                    facts.learned = True
        _matchers[key] = found
        _newest_matcher = found
        return found


@lru_cache(maxsize=1)
def default_cleaner() -> Cleaner:
    """The built-in rules, compiled on first use and shared: the object is immutable."""
    return Cleaner()


def clean(text: str | None = None, *, html: str | bytes | None = None, doc_id: str | None = None,
          url: str | None = None, fetched_at: FetchTime = None) -> list[Record]:
    """Clean one document with the built-in rules. Build a :class:`Cleaner` to choose rules."""
    return default_cleaner().clean(text, html=html, doc_id=doc_id, url=url, fetched_at=fetched_at)
