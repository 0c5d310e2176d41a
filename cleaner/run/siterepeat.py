"""Site repetition in batch runs: count the lines of each host's pages, then hand the engine a profile.

Two looks over the shards before the cleaning pass (the pure counting is :mod:`cleaner.core.siterepeat`):

1. per shard, a :class:`Sketch` (bounded: ``max_keys`` entries) of (host, line key) pairs, one count per
   page; the shards' sketches are merged in shard order (the merge is commutative anyway);
2. per shard, the exact count of the pairs the merged sketch says may pass; summed across shards, they
   make the :class:`SiteProfile` (only pairs that pass), which every worker then uses while cleaning.

Pages are the documents' text lines as read (a document given as HTML is not counted: its lines exist
only after extraction). A document without a URL has no host and is neither counted nor changed.

Memory per worker: the sketch (at most ``max_keys`` entries, about 100 bytes each: 20 MB at the default
200,000) plus one page count per host, and in the second look at most ``max_candidates`` exact keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from cleaner.core.siterepeat import SiteProfile, SiteRepeatSettings, Sketch, build_profile, page_keys
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
        for item in read_piece(piece, read):
            if isinstance(item, Document):
                page = document_page(item)
                if page is not None:
                    yield page


def sketch_of(pages: Iterable[HostPage], settings: SiteRepeatSettings) -> Sketch:
    sketch = Sketch(settings.max_keys)
    for page in pages:
        sketch.add_page(page.host, page_keys(page.lines, settings))
    return sketch


def confirm(pages: Iterable[HostPage], sketch: Sketch, settings: SiteRepeatSettings,
            exact: dict[tuple[str, str], int] | None = None) -> dict[tuple[str, str], int]:
    """Exact page counts of the (host, key) pairs the sketch says may pass, added into ``exact``.

    Past ``max_candidates`` pairs no new pair is followed: a very large dump then under-counts (keeps
    lines), never over-counts."""
    exact = {} if exact is None else exact
    for page in pages:
        for key in page_keys(page.lines, settings):
            pair = (page.host, key)
            if pair in exact:
                exact[pair] += 1
            elif len(exact) < settings.max_candidates and sketch.may_repeat(page.host, key, settings):
                exact[pair] = 1
    return exact


def profile_of(source: PageSource, settings: SiteRepeatSettings) -> SiteProfile:
    """The profile of the pages of ``source`` (read twice), in one process."""
    sketch = sketch_of(source(), settings)
    if not any(n >= settings.min_pages for n in sketch.pages.values()):
        return SiteProfile({}, settings)
    return build_profile(sketch.pages, confirm(source(), sketch, settings), settings)


def shards_profile(shards: Sequence[Shard], read: ReadOptions, settings: SiteRepeatSettings,
                   mapper: Callable[[Callable[..., object], Sequence[object]], Iterable[object]] | None = None
                   ) -> SiteProfile:
    """The profile of the documents of ``shards``: each look runs per shard (through ``mapper``, e.g. a
    process pool's ``map``; in this process by default) and the results are merged in shard order."""
    run = mapper or (lambda function, items: map(function, items))
    sketch = Sketch(settings.max_keys)
    for part in run(_sketch_shard, [(shard, read, settings) for shard in shards]):
        assert isinstance(part, Sketch)
        sketch.merge(part)
    if not any(n >= settings.min_pages for n in sketch.pages.values()):
        return SiteProfile({}, settings)
    exact: dict[tuple[str, str], int] = {}
    for part in run(_confirm_shard, [(shard, read, settings, sketch) for shard in shards]):
        assert isinstance(part, dict)
        for pair, seen in part.items():
            exact[pair] = exact.get(pair, 0) + seen
    return build_profile(sketch.pages, exact, settings)


def _sketch_shard(job: tuple[Shard, ReadOptions, SiteRepeatSettings]) -> Sketch:
    shard, read, settings = job
    return sketch_of(shard_pages(shard, read), settings)


def _confirm_shard(job: tuple[Shard, ReadOptions, SiteRepeatSettings, Sketch]) -> dict[tuple[str, str], int]:
    shard, read, settings, sketch = job
    return confirm(shard_pages(shard, read), sketch, settings)
