"""Rule discovery: lines that recur across many documents of a dump and that no active rule removes.

Two passes over the documents, in bounded memory:

1. every document is cleaned with the active rules; the lines left in its main record (title included)
   are counted once per document, per group (the URL's host, or the input file when there is no URL)
   and across the corpus, in a hashed counter that is pruned when it grows past ``max_keys`` (lossy
   counting: a pruned line can be undercounted by at most the prune floor, which is added back when
   candidates are picked). A document that is a near duplicate of an earlier one (MinHash + LSH, the
   same measure as ``cleaner dedup``) adds nothing: syndicated copies of one story are one piece of
   evidence, so their paragraphs never look like furniture.
   The near-duplicate index (rensa's LSH, candidates verified by their estimated Jaccard) holds a
   64-value MinHash per distinct document, a few hundred bytes each: the one structure that grows with
   the corpus. Past tens of millions of documents, learn from a sample of the inputs (furniture repeats
   on every page, so a sample finds it).
2. the candidates are counted exactly, with their variants, groups and example contexts, and
   :func:`cleaner.core.corpus.choose` turns those that pass the thresholds into rule file entries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from cleaner._api import Cleaner
from cleaner.core.corpus import (
    LIST_MIN_ITEMS,
    Candidate,
    Suggestion,
    Thresholds,
    candidate_key,
    choose,
    is_generalised,
    item_shaped,
    lsh_bands,
    render_rule_file,
    shape_of,
    shingles,
    stable_hash,
)
from cleaner.core.rules import LineRule
from cleaner.core.text import host_of, normalize_line
from cleaner.io.readers import Document, read_piece
from cleaner.run.plan import Shard, expand_inputs, plan_shards
from cleaner.run.shard import JobSettings, cleaner_for

#: Near-duplicate documents (estimated Jaccard of 5-word shingles at least this) count once as evidence.
DEFAULT_DUP_THRESHOLD = 0.8
#: Permutations of the MinHash used to spot syndicated copies while learning.
SUGGEST_NUM_PERM = 64
#: Entries of the hashed line counter before it is pruned (about 100 bytes each).
DEFAULT_MAX_KEYS = 2_000_000
#: At most this many candidates are followed in the second pass (the most frequent).
MAX_CANDIDATES = 50_000
_ALL = "\x00all"
_SHAPE = "\x00shape"


@dataclass(frozen=True)
class Page:
    """One document as the learner sees it: its group (host or input) and the lines of its main record."""

    group: str
    lines: tuple[str, ...]
    text: str


#: A source that can be read more than once (the learner makes two passes).
Source = Callable[[], Iterable[Page]]


@dataclass
class PrunedCounter:
    """Counts of hashed keys in at most ``max_keys`` entries. When full, every key counted at most
    ``floor + 1`` times is dropped and the floor rises, so a true count is at most ``count + floor``."""

    max_keys: int = DEFAULT_MAX_KEYS
    counts: dict[int, int] = field(default_factory=dict)
    floor: int = 0

    def add(self, key: int) -> None:
        counts = self.counts
        counts[key] = counts.get(key, 0) + 1
        if len(counts) > self.max_keys:
            self.floor += 1
            self.counts = {k: n for k, n in counts.items() if n > self.floor}

    def at_least(self, key: int) -> int:
        """The most the key may have been seen (its count plus what pruning may have lost)."""
        return self.counts.get(key, 0) + self.floor


@dataclass
class Learned:
    suggestions: list[Suggestion]
    documents: int
    duplicates: int
    groups: int
    candidates: int

    def summary(self) -> str:
        return (f"{len(self.suggestions)} suggestion(s) from {self.documents} document(s) in {self.groups} "
                f"group(s); {self.duplicates} near-duplicate document(s) not counted as evidence")


def _is_copy(page: Page, lsh: Any, seen: dict[int, Any], number: int, threshold: float) -> bool:
    """Whether the page is a near duplicate of an earlier one (an LSH candidate whose estimated Jaccard
    reaches the threshold); if not, it is remembered."""
    import rensa

    minhash = rensa.RMinHash(num_perm=SUGGEST_NUM_PERM, seed=1)
    words = shingles(page.text)
    if not words:
        return False
    minhash.update(words)
    if any(minhash.jaccard(seen[other]) >= threshold for other in lsh.query(minhash)):
        return True
    lsh.insert(number, minhash)
    seen[number] = minhash
    return False


def _distinct_keys(page: Page) -> dict[str, tuple[int, str]]:
    """Each candidate key of the page once, with the index and text of its first line."""
    found: dict[str, tuple[int, str]] = {}
    for index, line in enumerate(page.lines):
        key = candidate_key(line)
        if key is not None and key not in found:
            found[key] = (index, normalize_line(line))
    return found


def learn(source: Source, *, thresholds: Thresholds | None = None, taken: frozenset[str] = frozenset(),
          per_host: bool = False, dup_threshold: float = DEFAULT_DUP_THRESHOLD,
          max_keys: int = DEFAULT_MAX_KEYS) -> Learned:
    """Suggestions for the pages of ``source`` (read twice). ``taken``: keys of active exact rules."""
    import rensa

    limits = thresholds or Thresholds()
    bands, _ = lsh_bands(dup_threshold, SUGGEST_NUM_PERM)
    lsh = rensa.RMinHashLSH(threshold=dup_threshold, num_perm=SUGGEST_NUM_PERM, num_bands=bands)
    seen: dict[int, Any] = {}
    counter = PrunedCounter(max_keys)
    group_sizes: dict[str, int] = {}
    copies: set[int] = set()
    documents = 0
    for number, page in enumerate(source()):
        documents += 1
        if _is_copy(page, lsh, seen, number, dup_threshold):
            copies.add(number)
            continue
        group_sizes[page.group] = group_sizes.get(page.group, 0) + 1
        shapes = set()
        for key in _distinct_keys(page):
            counter.add(stable_hash(page.group, key))
            counter.add(stable_hash(_ALL, key))
            shape = shape_of(key)
            if is_generalised(shape) and shape not in shapes:
                shapes.add(shape)
                counter.add(stable_hash(page.group, _SHAPE, shape))
                counter.add(stable_hash(_ALL, _SHAPE, shape))
    del lsh, seen
    kept = documents - len(copies)
    least = limits.min_docs

    def promising(group: str, *key: str) -> bool:
        return counter.at_least(stable_hash(group, *key)) >= least or counter.at_least(stable_hash(_ALL, *key)) >= least

    def rare(key: str) -> bool:
        return counter.at_least(stable_hash(_ALL, key)) <= 2

    candidates: dict[tuple[bool, str], Candidate] = {}
    for number, page in enumerate(source()):
        if number in copies:
            continue
        shapes = set()
        for key, (index, shown) in _distinct_keys(page).items():
            context = "\n".join(page.lines[max(0, index - 1): index + 2])
            targets = [(False, key)]
            shape = shape_of(key)
            if is_generalised(shape) and shape not in shapes:
                shapes.add(shape)
                targets.append((True, shape))
            for is_shape, target in targets:
                found = candidates.get((is_shape, target))
                if found is None:
                    marker = (_SHAPE, target) if is_shape else (target,)
                    if len(candidates) >= MAX_CANDIDATES or not promising(page.group, *marker):
                        continue
                    found = candidates[(is_shape, target)] = Candidate(target, is_shape)
                found.add(page.group, shown, context)
                if not is_shape:
                    items = _items_after(page, index, rare)
                    if len(items) >= LIST_MIN_ITEMS:
                        found.add_list(items)
    suggestions = choose(candidates.values(), group_sizes, kept, limits, taken, scoped=per_host)
    return Learned(suggestions, documents, len(copies), len(group_sizes), len(candidates))


def _items_after(page: Page, index: int, rare: Callable[[str], bool], most: int = 3) -> list[str]:
    """The item-shaped, rarely seen lines right after line ``index`` (at most ``most``)."""
    items = []
    for line in page.lines[index + 1: index + 1 + most]:
        key = candidate_key(line)
        if key is None or not item_shaped(line) or not rare(key):
            break
        items.append(normalize_line(line))
    return items


def exact_keys(cleaner: Cleaner) -> frozenset[str]:
    """Keys of the active exact-line rules: a learned rule for the same line would be refused at load."""
    return frozenset(r.exact for r in cleaner.rules if isinstance(r, LineRule) and r.exact is not None)


def page_of(cleaner: Cleaner, document: Document) -> Page | None:
    """The lines an active-rule cleaning leaves in the document's main record, or None if it has none."""
    if document.html is not None:
        cleaned = cleaner.process(html=document.html, doc_id=document.doc_id, url=document.url)
    else:
        cleaned = cleaner.engine.process(document.text or "", doc_id=document.doc_id, url=document.url)
    main = next((r for r in cleaned.records if r.kind == "main"), None)
    if main is None:
        return None
    lines = ([main.title] if main.title else []) + main.text.split("\n")
    return Page(host_of(document.url) or document.input_path, tuple(lines), main.text)


def _shard_pages(shard: Shard, settings: JobSettings) -> list[Page]:
    """The pages of one shard: what a worker process returns (the cleaned main records' lines)."""
    cleaner = cleaner_for(settings, budgeted=False)  # no time budget here: nothing to warm up for
    pages = []
    for piece in shard.pieces:
        for item in read_piece(piece, settings.read):
            if not isinstance(item, Document):
                continue
            try:
                page = page_of(cleaner, item)
            except Exception:  # a document the batch job would reject is no evidence either
                continue
            if page is not None:
                pages.append(page)
    return pages


def file_source(inputs: Sequence[str], settings: JobSettings, *, workers: int = 1,
                exclude: str | None = None) -> Source:
    """Pages of every readable document of the inputs, in input order: the batch job's plan and readers,
    the shards cleaned by ``workers`` processes (a bounded number of shards in flight, results in order;
    the counting stays in this process)."""
    from pathlib import Path

    files = expand_inputs(inputs, exclude=Path(exclude) if exclude else None)
    shards = plan_shards(files, settings.read)
    settings = settings.with_rules_read()  # once: every worker applies the same rules

    def pages() -> Iterator[Page]:
        if workers <= 1:
            for shard in shards:
                yield from _shard_pages(shard, settings)
            return
        from collections import deque
        from concurrent.futures import Future, ProcessPoolExecutor

        from cleaner.run.spawn import ignore_interrupts, interrupts_held, spawn_context

        with ProcessPoolExecutor(workers, mp_context=spawn_context(), initializer=ignore_interrupts) as pool:
            queue = iter(shards)
            running: deque[Future[list[Page]]] = deque()
            while True:
                while len(running) < workers + 1 and (waiting := next(queue, None)) is not None:
                    with interrupts_held():  # a submit may start a worker
                        running.append(pool.submit(_shard_pages, waiting, settings))
                if not running:
                    return
                yield from running.popleft().result()

    return pages


def suggest_rule_file(learned: Learned, *, name: str = "Learned rules", sources: Sequence[str] = ()) -> str:
    description = (f"{len(learned.suggestions)} rules learned from {learned.documents} documents "
                   f"({learned.duplicates} near duplicates not counted) by cleaner rules suggest")
    return render_rule_file(learned.suggestions, name=name, description=description, sources=sources)
