"""Site repetition in batch runs: count the lines of each host's pages, then hand the engine a profile.

Two looks over the shards before the cleaning pass (the pure counting is :mod:`cleaner.core.siterepeat`):

1. per shard, a :class:`Sketch` (bounded: ``max_keys`` entries) of (host, line key) pairs, one count per
   page; the shards' sketches are merged in shard order (the merge is commutative anyway);
2. per shard, the exact count of the pairs the merged sketch says may pass; summed across shards, they
   make the :class:`SiteProfile` (only pairs that pass), which every worker then uses while cleaning.

In one process (a batch run's pre-pass), the first look keeps each page's keyed lines for the second while
they fit ``cache_bytes`` (:data:`CACHE_BYTES`): a shard kept whole is read once, and of one that was not, the
second look reads it again and keys only the pages past the kept ones (the same pages in the same order, so
the profile is the same for any ``cache_bytes``).

Pages are the documents' text lines as read (a document given as HTML is not counted: its lines exist
only after extraction). A document without a URL has no host and is neither counted nor changed.

Memory, whatever the number of pages: the sketch holds at most ``max_keys`` (host, key) hashes and
``max_hosts`` host page counts (about 100 and 150 bytes each: some 35 MB at the defaults, 200,000 and
100,000), and the second look at most ``max_candidates`` exact pairs per shard (about 200 bytes each with
their text: some 20 MB at 100,000) plus the page counts of the hosts that may pass, and with data sheets
(``keep_sheets``) as many values that follow the pairs (at most 64 per pair; short lines, about as much
again), and in one process the kept pages (``cache_bytes``). The merged sketch is bounded the same way; the
profile holds only the lines that pass, and per host the field evidence of those whose values differ.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice

from cleaner.core.siterepeat import (
    NAMED_MARK,
    Confirmed,
    SiteProfile,
    SiteRepeatSettings,
    Sketch,
    build_profile,
    keyed_lines,
    page_edges,
    page_keys,
    page_values,
)
from cleaner.core.text import host_of
from cleaner.io.readers import Document, ReadOptions, read_piece
from cleaner.run.plan import Shard


@dataclass(frozen=True)
class HostPage:
    """One page as the counter sees it: its host and its lines."""

    host: str
    lines: Sequence[str]

    def keyed(self, settings: SiteRepeatSettings) -> KeyedPage:
        keyed = keyed_lines(self.lines, settings)
        return KeyedPage(self.host, keyed, page_keys(self.lines, settings, keyed))


@dataclass(frozen=True)
class KeyedPage:
    """One page as the first look counted it (kept for the second look, which then neither reads nor keys it
    again): its host, its :func:`keyed_lines` and its :func:`page_keys`."""

    host: str
    lines: Sequence[tuple[str, str | None]]
    keys: set[str]

    def keyed(self, settings: SiteRepeatSettings) -> KeyedPage:
        return self

    def size(self) -> int:
        """What keeping it costs, in bytes: its lines, their keys, one pair and list slot each, and its key set."""
        return (sum(sys.getsizeof(line) + (0 if key is None else sys.getsizeof(key)) for line, key in self.lines)
                + _PAIR_BYTES * len(self.lines) + sys.getsizeof(self.keys))


#: Pages that can be read more than once (the counter looks twice).
PageSource = Callable[[], Iterable[HostPage]]

#: Bytes of keyed pages (:meth:`KeyedPage.size`) the first look keeps for the second in one process: a memory bound
#: that changes only the time a count takes, never the profile (the 8 MB throughput corpus takes some 20 MB).
CACHE_BYTES = 64 * 2**20

#: A (line, key) tuple and its list slot.
_PAIR_BYTES = sys.getsizeof(("", "")) + 8


def document_page(document: Document) -> HostPage | None:
    host = host_of(document.url)
    if host is None or document.text is None:
        return None
    return HostPage(host, document.text.splitlines())


def shard_pages(shard: Shard, read: ReadOptions) -> Iterator[HostPage]:
    """The countable pages of one shard (rejected records and HTML documents are skipped)."""
    for piece in shard.pieces:
        for item in read_piece(piece, read, only_with=read.url_field):  # a page without a URL has no host
            if isinstance(item, Document):
                page = document_page(item)
                if page is not None:
                    yield page


def sketch_of(pages: Iterable[HostPage], settings: SiteRepeatSettings) -> Sketch:
    sketch = Sketch(settings.max_keys, settings.max_hosts)
    for page in pages:
        sketch.add_page(page.host, page_keys(page.lines, settings))
    return sketch


def confirm(pages: Iterable[HostPage | KeyedPage], sketch: Sketch, settings: SiteRepeatSettings) -> Confirmed:
    """Exact pages of the hosts that may be large enough, and exact page counts of the (host, key) pairs
    the sketch says may pass.

    Past ``max_candidates`` pairs no new pair is followed: a very large shard then under-counts (keeps
    lines), never over-counts."""
    found = Confirmed()
    pairs, recur = found.pairs, found.recur
    wants_recur = bool(settings.menu_run and settings.menu_recurring)
    for page in pages:
        if not sketch.may_count(page.host, settings):
            continue
        found.pages[page.host] = found.pages.get(page.host, 0) + 1
        counted = page.keyed(settings)
        keyed = counted.lines
        for key in counted.keys:
            pair = (page.host, key)
            if pair in pairs:
                pairs[pair] += 1
            elif pair in recur:
                recur[pair] += 1
            elif len(pairs) < settings.max_candidates and sketch.may_repeat(page.host, key, settings):
                pairs[pair] = 1
            elif (wants_recur and len(recur) < settings.max_candidates and not key.startswith(NAMED_MARK)
                  and sketch.may_recur(page.host, key, settings)):
                recur[pair] = 1  # its own budget: these never crowd the repeated lines out
        if settings.keep_embedded or (settings.menu_run and settings.menu_closed):
            # the lines around each followed key: is it furniture at the text's edges, or a block inside it?
            followed = _followed(page.host, pairs)
            for key, (before, after) in page_edges(keyed, followed).items():
                found.add_edges((page.host, key), before, after)
        if settings.keep_sheets or settings.keep_sections:
            # what follows each followed key on this page: is it a data sheet's field, or a section's heading?
            host = page.host
            for key, value in page_values(keyed, settings, _followed(host, pairs)).items():
                found.add_value((host, key), value, settings.max_candidates)
    return found


def _followed(host: str, pairs: dict[tuple[str, str], int]) -> Callable[[str], bool]:
    """Whether a key of ``host`` is followed exactly (its values are worth counting)."""
    return lambda key: (host, key) in pairs


def profile_of(source: PageSource, settings: SiteRepeatSettings) -> SiteProfile:
    """The profile of the pages of ``source`` (read twice), in one process."""
    sketch = sketch_of(source(), settings)
    if not sketch.any_host_may_count(settings):
        return SiteProfile({}, settings)
    return build_profile(confirm(source(), sketch, settings), settings)


def shards_profile(shards: Sequence[Shard], read: ReadOptions, settings: SiteRepeatSettings,
                   mapper: Callable[[Callable[..., object], Sequence[object]], Iterable[object]] | None = None,
                   cache_bytes: int = CACHE_BYTES) -> SiteProfile:
    """The profile of the documents of ``shards``: each look runs per shard (through ``mapper``, e.g. a
    process pool's ``map``; in this process by default, keeping up to ``cache_bytes`` of keyed pages
    from the first look for the second) and the results are merged in shard order."""
    if mapper is None:
        return _local_profile(shards, read, settings, cache_bytes)
    sketch = Sketch(settings.max_keys, settings.max_hosts)
    for part in mapper(_sketch_shard, [(shard, read, settings) for shard in shards]):
        assert isinstance(part, Sketch)
        sketch.merge(part)
    if not sketch.any_host_may_count(settings):
        return SiteProfile({}, settings)
    confirmed = Confirmed()
    for part in mapper(_confirm_shard, [(shard, read, settings, sketch) for shard in shards]):
        assert isinstance(part, Confirmed)
        confirmed.merge(part)
    return build_profile(confirmed, settings)


def _sketch_shard(job: tuple[Shard, ReadOptions, SiteRepeatSettings]) -> Sketch:
    shard, read, settings = job
    return sketch_of(shard_pages(shard, read), settings)


def _confirm_shard(job: tuple[Shard, ReadOptions, SiteRepeatSettings, Sketch]) -> Confirmed:
    shard, read, settings, sketch = job
    return confirm(shard_pages(shard, read), sketch, settings)


@dataclass
class _KeptPages:
    """What the first look kept of one shard for the second: a prefix of its keyed pages, and whether that
    prefix is the whole shard (then the second look reads nothing)."""

    pages: list[KeyedPage]
    whole: bool


def _local_profile(shards: Sequence[Shard], read: ReadOptions, settings: SiteRepeatSettings,
                   cache_bytes: int) -> SiteProfile:
    """:func:`shards_profile` in this process: the first look keeps a prefix of each shard's keyed pages (while
    ``cache_bytes`` lasts) and the second looks at those, then reads on past them. The sketch and the exact
    counts see the same pages in the same order as two full reads would, so the profile is the same."""
    sketch = Sketch(settings.max_keys, settings.max_hosts)
    kept: list[_KeptPages] = []
    room = cache_bytes
    for shard in shards:
        part = Sketch(settings.max_keys, settings.max_hosts)  # per shard, merged in order: as shards_profile does
        found = _KeptPages([], True)
        for page in shard_pages(shard, read):
            counted = page.keyed(settings)
            part.add_page(counted.host, counted.keys)
            if found.whole:
                cost = counted.size()
                if cost <= room:
                    found.pages.append(counted)
                    room -= cost
                else:
                    found.whole = False
                    room = 0  # nothing more is kept: each shard's kept pages are a prefix of its pages
        sketch.merge(part)
        kept.append(found)
    if not sketch.any_host_may_count(settings):
        return SiteProfile({}, settings)
    confirmed = Confirmed()
    for shard, found in zip(shards, kept, strict=True):
        prefix, found.pages = found.pages, []  # let the kept pages go once their shard is counted
        pages: Iterable[HostPage | KeyedPage] = (
            prefix if found.whole else chain(prefix, islice(shard_pages(shard, read), len(prefix), None)))
        confirmed.merge(confirm(pages, sketch, settings))
    return build_profile(confirmed, settings)
