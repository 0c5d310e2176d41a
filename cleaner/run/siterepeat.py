"""Site repetition in batch runs: count the lines of each host's pages, then hand the engine a profile.

Two looks over the shards before the cleaning pass (the pure counting is :mod:`cleaner.core.siterepeat`):

1. per shard, a :class:`Sketch` (bounded: ``max_keys`` entries) of (host, line key) pairs, one count per
   page; the shards' sketches are merged in shard order (the merge is commutative anyway);
2. per shard, the exact count of the pairs the merged sketch says may pass; summed across shards, they
   make the :class:`SiteProfile` (only pairs that pass), which every worker then uses while cleaning.

Pages are the documents' text lines as read (a document given as HTML is not counted: its lines exist
only after extraction). A document without a URL has no host and is neither counted nor changed.

Memory, whatever the number of pages: the sketch holds at most ``max_keys`` (host, key) hashes and
``max_hosts`` host page counts (about 100 and 150 bytes each: some 35 MB at the defaults, 200,000 and
100,000), and the second look at most ``max_candidates`` exact pairs per shard (about 200 bytes each with
their text: some 20 MB at 100,000) plus the page counts of the hosts that may pass, and with data sheets
(``keep_sheets``) as many values that follow the pairs (at most 64 per pair; short lines, about as much
again). The merged sketch is bounded the same way; the profile holds only the lines that pass, and per host
the field evidence of those whose values differ.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

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


#: Pages that can be read more than once (the counter looks twice).
PageSource = Callable[[], Iterable[HostPage]]


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


def confirm(pages: Iterable[HostPage], sketch: Sketch, settings: SiteRepeatSettings) -> Confirmed:
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
        keyed = keyed_lines(page.lines, settings)
        for key in page_keys(page.lines, settings, keyed):
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
                   mapper: Callable[[Callable[..., object], Sequence[object]], Iterable[object]] | None = None
                   ) -> SiteProfile:
    """The profile of the documents of ``shards``: each look runs per shard (through ``mapper``, e.g. a
    process pool's ``map``; in this process by default) and the results are merged in shard order."""
    run = mapper or (lambda function, items: map(function, items))
    sketch = Sketch(settings.max_keys, settings.max_hosts)
    for part in run(_sketch_shard, [(shard, read, settings) for shard in shards]):
        assert isinstance(part, Sketch)
        sketch.merge(part)
    if not sketch.any_host_may_count(settings):
        return SiteProfile({}, settings)
    confirmed = Confirmed()
    for part in run(_confirm_shard, [(shard, read, settings, sketch) for shard in shards]):
        assert isinstance(part, Confirmed)
        confirmed.merge(part)
    return build_profile(confirmed, settings)


def _sketch_shard(job: tuple[Shard, ReadOptions, SiteRepeatSettings]) -> Sketch:
    shard, read, settings = job
    return sketch_of(shard_pages(shard, read), settings)


def _confirm_shard(job: tuple[Shard, ReadOptions, SiteRepeatSettings, Sketch]) -> Confirmed:
    shard, read, settings, sketch = job
    return confirm(shard_pages(shard, read), sketch, settings)
