"""Language identification with its feature walk done by the compiled core (src/views.rs ``FeatureWalk``)
against py3langid's own: the same feature counts in the same order, so the same languages and probabilities."""

from __future__ import annotations

import random
from functools import cache
from typing import Any

from py3langid import langid

from benchmarks.realtext import real_texts
from cleaner.io.language import load_identifier


@cache
def identifiers() -> tuple[Any, Any]:
    return load_identifier(native=False), load_identifier(native=True)


def _samples() -> list[str]:
    """Pieces of the real texts at the sizes the detectors hand over (a 160-character sample, a wider retry),
    short and mixed ones, and random characters."""
    rng = random.Random(4)
    samples = []
    for text in real_texts():
        for start, size in ((0, 160), (len(text) // 2, 400), (0, 2000), (len(text) // 3, 25)):
            samples.append(text[start:start + size])
    pieces = [s for s in samples if s]
    samples += [rng.choice(pieces)[:80] + " " + rng.choice(pieces)[:80] for _ in range(200)]
    samples += ["".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randrange(1, 300))) for _ in range(200)]
    samples += ["", " ", "\n", "1234", "ÉTÉ EN FRANCE", "\ud800 lone surrogate text"]
    return samples


def test_the_native_walk_is_in_use_with_the_installed_library() -> None:
    plain, native = identifiers()
    assert type(plain) is langid.LanguageIdentifier
    assert type(native) is not langid.LanguageIdentifier and isinstance(native, langid.LanguageIdentifier)


def test_feature_counts_are_the_librarys_in_the_same_order() -> None:
    plain, native = identifiers()
    counts = native.walk.counts
    checked = 0
    for sample in _samples():
        data = plain._encode(sample)
        expected = langid.visit_counts(plain.tk_nextmove, plain._rowbase, plain.tk_output, data)
        got = counts(data)
        if expected is None:
            assert got is None, sample
            continue
        assert got is not None and list(got.items()) == list(expected.items()), sample
        checked += 1
    assert checked > 1000


def test_languages_and_probabilities_are_the_librarys() -> None:
    plain, native = identifiers()
    samples = _samples()
    expected = [plain.classify(sample) for sample in samples]
    assert [native.classify(sample) for sample in samples] == expected
    assert len({code for code, _ in expected}) > 10  # the samples are in many languages


def test_the_model_read_back_from_its_cache_gives_the_librarys_answers(tmp_path) -> None:
    import numpy as np

    written = load_identifier(directory=tmp_path)  # decompressed from the library's file, and stored
    assert not isinstance(written.weights.base, np.memmap)
    stored = load_identifier(directory=tmp_path)
    assert isinstance(stored.weights.base, np.memmap)  # mapped from the cache, not decompressed again
    plain, _ = identifiers()
    samples = _samples()
    assert [stored.classify(sample) for sample in samples] == [plain.classify(sample) for sample in samples]


def test_a_damaged_model_cache_is_rebuilt_with_a_warning(tmp_path) -> None:
    import numpy as np
    import pytest

    from cleaner.io.language import ModelCache
    from cleaner.io.rulecache import RuleCacheWarning

    load_identifier(directory=tmp_path)
    weights = ModelCache(tmp_path).entry() / "weights.npy"
    data = bytearray(weights.read_bytes())
    data[-5] ^= 0xFF  # one weight's bits
    weights.write_bytes(bytes(data))
    with pytest.warns(RuleCacheWarning, match="weights.npy fails its checksum"):
        rebuilt = load_identifier(directory=tmp_path)
    assert not isinstance(rebuilt.weights.base, np.memmap)
    assert isinstance(load_identifier(directory=tmp_path).weights.base, np.memmap)  # stored again, whole
    plain, _ = identifiers()
    assert rebuilt.classify("Ceci est une phrase en français.") == plain.classify("Ceci est une phrase en français.")


def test_a_cache_folder_that_cannot_be_written_leaves_the_model_uncached(tmp_path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be")
    identifier = load_identifier(directory=blocker)
    assert identifier.classify("This is an English sentence.")[0] == "en"
    assert blocker.read_text() == "a file where the cache folder would be"


def test_a_staging_folder_a_killed_writer_left_goes_once_stale(tmp_path) -> None:
    import os
    import time

    from cleaner.io.language import ModelCache
    from cleaner.io.rulecache import STALE

    entry = ModelCache(tmp_path).entry()
    stale, fresh = tmp_path / f".{entry.name}.killed", tmp_path / f".{entry.name}.writing"
    for folder in (stale, fresh):
        folder.mkdir()
        (folder / "weights.npy").write_bytes(b"half of a copy")
    long_ago = time.time() - STALE - 60
    os.utime(stale, (long_ago, long_ago))
    load_identifier(directory=tmp_path)  # a miss: the model is stored, and the folder tidied
    assert not stale.exists() and fresh.exists() and entry.exists()
