"""Language identification done by the compiled core in one call (src/langid.rs ``LanguageScorer``: the feature
walk, the score, the softmax and the choice) against py3langid's own, and against the score's written definition.

The library sums its float32 scores with the BLAS's ``sgemv``, in an order that depends on the CPU's kernel;
the compiled score sums them in f64 in one fixed order, which is now the definition. So the languages found
are compared for equality, the probabilities within what the library's float32 sums lose, and the compiled
score with its definition (written again here with numpy in f64) to the last digits.
"""

from __future__ import annotations

import copy
import math
import random
from functools import cache
from typing import Any

import numpy as np
import pytest
from py3langid import langid

import cleaner._native as _native
from benchmarks.realtext import real_texts
from cleaner.io.language import MIN_CONFIDENCE, Languages, load_identifier
from tests.fixture_texts import text_folders
from tests.shares import SHARES, at_least


def library_tolerance(plain: Any, text: str | bytes) -> float:
    """How far the library's probabilities can be from the compiled ones, by what float32 arithmetic allows:
    the library sums a text's k weighted features in float32 in its BLAS's order (any order is off the exact
    sum by at most gamma_k = k*u/(1 - k*u) times the sum of the terms' magnitudes, u = 2**-24), the compiled
    score rounds the exact sum once; both round the prior's addition and the 1/sqrt(bytes) scale. A change
    dz of the scaled scores moves each probability p by at most 2*p*max|dz| (to first order; the second
    order term is added). Loose (the errors seen are about a hundredth of it) but a bound, not a guess: the
    written definition is checked to 1e-12 by :func:`test_the_compiled_score_is_its_definition`."""
    data = plain._encode(text)
    visits = langid.visit_counts(plain.tk_nextmove, plain._rowbase, plain.tk_output, data)
    if not visits:
        return 1e-6  # uniform: the library divides in float32
    features = np.fromiter(visits.keys(), dtype=np.intp, count=len(visits))
    logs = np.log1p(np.fromiter(visits.values(), dtype=np.float32, count=len(visits))).astype(np.float64)
    rows = plain.nb_ptc[features].astype(np.float64)
    magnitude = np.abs(logs) @ np.abs(rows) + np.abs(plain.nb_pc)
    scores = logs @ rows + plain.nb_pc
    unit = 2.0 ** -24
    terms = len(features) + 1
    gamma = terms * unit / (1 - terms * unit)
    worst = (gamma * magnitude + 4 * unit * np.abs(scores)).max() / math.sqrt(len(data) or 1)
    return float(2 * worst * (1 + 2 * worst)) + 1e-6  # and the library's float32 exp and division


@cache
def identifiers() -> tuple[Any, Any]:
    return load_identifier(native=False), load_identifier(native=True)


def _tiny(count: int) -> list[str]:
    """The batch benchmark's tiny documents (benchmarks/test_memory_scale.py writes them so)."""
    return [f"Short line {n}.\nTry Our AI Features\nAnother short line of document {n}." for n in range(count)]


@cache
def _samples() -> tuple[str, ...]:
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
    return tuple(samples)


@cache
def _corpora() -> dict[str, list[str | bytes]]:
    """Every text the differential tests compare on: whole documents of the fixtures, the seeds and the real
    texts, their lines, the samples, tiny documents, and short, empty and odd strings and bytes."""
    folders = text_folders("html")
    files = [p.read_text(encoding="utf-8", errors="replace") for f in folders for p in sorted(f.glob("*.*"))
             if p.suffix in (".txt", ".html")]
    lines = [line for text in files for line in text.splitlines()[:200] if line.strip()]
    rng = random.Random(29)
    scripts = [(0x20, 0x7F), (0xA0, 0x250), (0x370, 0x400), (0x400, 0x500), (0x590, 0x700), (0x900, 0x980),
               (0xE00, 0xE80), (0x3040, 0x3100), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0x1F300, 0x1F600)]
    generated: list[str | bytes] = []
    for _ in range(600):
        low, high = rng.choice(scripts)
        generated.append("".join(chr(rng.randrange(low, high)) for _ in range(rng.randrange(0, 40))))
    odd: list[str | bytes] = [
        "", " ", "\n", "a", "A", "1234", ".", "SHOP", "UPPER CASE ONLY LINE", "ÉTÉ", "e\u0301t\u0301e\u0301",
        "\ufeff", "\x00", "\ud800", "\udfff", "\ud800x", "\U0010ffff", "\uffff", "x" * 5000, "日本" * 2000,
        b"", b"plain ascii bytes", "Ceci est une phrase en français.".encode(), b"caf\xc3", b"caf\xc3\xa9 \xe6\x97",
        b"\xff\xfe\xfa", b"\xc3\xa9t\xc3\xa9 en France \xed\xa0\x80",
    ]
    return {"files": list(files), "real texts": list(real_texts()), "lines": list(lines),
            "samples": list(_samples()), "tiny": list(_tiny(2000)), "generated": generated, "odd": odd}


def test_the_compiled_classify_is_in_use_with_the_installed_library() -> None:
    plain, native = identifiers()
    assert type(plain) is langid.LanguageIdentifier
    assert type(native) is not langid.LanguageIdentifier and isinstance(native, langid.LanguageIdentifier)
    assert native.scorer.shape == plain.nb_ptc.shape
    assert type(native).classify is not langid.LanguageIdentifier.classify


def test_feature_counts_are_the_librarys_in_the_same_order() -> None:
    plain, native = identifiers()
    counts = native.scorer.counts
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


@pytest.mark.parametrize("share", SHARES)
def test_languages_are_the_librarys_and_probabilities_within_its_float32_error(share: int) -> None:
    plain, native = identifiers()
    compared, codes = 0, set()
    for name, texts in _corpora().items():
        for text in texts[::share]:
            expected, got = plain.classify(text), native.classify(text)
            assert got[0] == expected[0], (name, text[:80], expected, got)
            assert abs(got[1] - expected[1]) <= library_tolerance(plain, text), (name, text[:80], expected, got)
            compared += 1
            codes.add(expected[0])
    assert compared > at_least(6000, share) and len(codes) > 15  # many texts, in many languages


def test_the_librarys_float32_sums_are_what_the_tolerance_allows_for() -> None:
    """Where the probabilities differ most, the library's score is off the exact sum of its own float32 terms
    (and the compiled one is not): the difference is the library's rounding, not another score."""
    plain, native = identifiers()
    texts = [text for text in _corpora()["samples"] if len(text) >= 400]
    worst = max(texts, key=lambda text: abs(plain.classify(text)[1] - native.classify(text)[1]))
    data = plain._encode(worst)
    visits = langid.visit_counts(plain.tk_nextmove, plain._rowbase, plain.tk_output, data)
    features = np.array(sorted(visits), dtype=np.intp)
    logs = np.log1p(np.array([visits[f] for f in features], dtype=np.float32))
    rows = native.weights[features]
    exact = np.array([math.fsum(float(logs[i]) * float(rows[i, column]) for i in range(len(features)))
                      for column in range(rows.shape[1])])
    exact += plain.nb_pc
    library = plain._sparse_score(visits, plain.nb_ptc).astype(np.float64)  # its sums, the prior added
    float32_ulp = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    assert (np.abs(library - exact) / float32_ulp).max() > 1  # the library's sums are rounded off the exact ones
    assert np.allclose(_reference(native, data), native.scorer.probabilities(data), rtol=0, atol=1e-12)


def _reference(native: Any, data: bytes) -> np.ndarray:
    """The compiled score's definition, written again with numpy: features in ascending index, each
    language's sum in f64, rounded to float32, the float32 prior added and float32 scale applied, softmax in
    f64, script aliases folded into their first column."""
    visits = langid.visit_counts(native.tk_nextmove, native._rowbase, native.tk_output, data)
    languages = len(native.nb_classes)
    scores = np.zeros(languages)
    if visits:
        sums = np.zeros(languages)
        for feature in sorted(visits):
            weight = float(np.float32(math.log1p(visits[feature])))
            sums += weight * native.weights[feature].astype(np.float64)
        scale = np.float32(1.0 / math.sqrt(len(data) or 1))
        scores = ((sums.astype(np.float32) + native.nb_pc) * scale).astype(np.float64)
    probabilities = np.exp(scores - scores.max())
    probabilities /= probabilities.sum()
    for first, duplicate in native._alias_pairs:
        probabilities[first] += probabilities[duplicate]
        probabilities[duplicate] = 0.0
    return probabilities


@pytest.mark.parametrize("share", SHARES)
def test_the_compiled_score_is_its_definition(share: int) -> None:
    _, native = identifiers()
    assert native._alias_pairs  # the model has script aliases: their folding is checked too
    checked = 0
    for texts in _corpora().values():
        for text in texts[:1500:share]:
            data = native._encode(text)
            expected = _reference(native, data)
            got = np.array(native.scorer.probabilities(data))
            assert np.allclose(got, expected, rtol=0, atol=1e-12), text[:80]
            code, probability = native.classify(text)
            best = int(expected.argmax())
            assert (code, probability) == (native.nb_classes[best], got[best]), text[:80]
            checked += 1
    assert checked > at_least(5000, share)


def test_rank_reads_the_same_probabilities() -> None:
    plain, native = identifiers()
    text = "Ceci est une phrase en français, écrite pour voir le classement des langues."
    ranked = native.rank(text)
    assert ranked[0] == native.classify(text)
    assert [code for code, _ in ranked[:3]] == [code for code, _ in plain.rank(text)[:3]]
    assert len(ranked) == len(plain.rank(text))


def test_languages_restricted_by_the_library_are_scored_by_the_library() -> None:
    plain, native = identifiers()
    restricted, reference = copy.copy(native), copy.copy(plain)
    restricted.set_languages(["de", "nl"])
    reference.set_languages(["de", "nl"])
    for text in ("This is an English sentence about the weather.", "Dit is een Nederlandse zin.", ""):
        assert restricted.classify(text) == reference.classify(text)
    assert native.classify("This is an English sentence about the weather.")[0] == "en"  # the shared one kept


def test_the_identifier_of_the_detectors_answers_und_below_the_minimum() -> None:
    plain, _ = identifiers()
    languages = Languages()
    for text in ("This is a plain English sentence about the weather today.", "SHOP", "", "1234"):
        code, probability = plain.classify(text)
        assert languages.identify(text) == (code if probability >= MIN_CONFIDENCE else "und")


def test_the_detectors_identifier_answers_as_the_compiled_classify_on_ascii_and_other_texts() -> None:
    """``Languages.identify`` hands the scorer an ASCII text's bytes without the NFC normalisation (an ASCII text
    is its own NFC form): the answer is the compiled identifier's own ``classify`` (which normalises every text)."""
    _, native = identifiers()
    languages = Languages()
    texts = [*_samples()[:400], *_tiny(50), "SHOUTED ENGLISH HEADLINE ABOUT THE WEATHER", "Cafe\u0301 au lait",
             "Ｆｕｌｌｗｉｄｔｈ text", "这是一个中文句子。", "مرحبا بكم", ""]
    assert any(text.isascii() for text in texts) and not all(text.isascii() for text in texts)
    for text in texts:
        code, probability = native.classify(text)
        assert languages.identify(text) == (code if probability >= MIN_CONFIDENCE else "und"), text


def _tiny_model(weights: np.ndarray, labels: list[str]) -> Any:
    """A model of three states over one shared row: byte "a" leads to state 1 (feature 0), "b" to state 2
    (feature 1), any other byte to state 0 (no feature)."""
    transitions = np.zeros(256, dtype=np.uint32)
    transitions[ord("a")], transitions[ord("b")] = 1, 2
    return _native.LanguageScorer(transitions, [0, 0, 0], [-1, 0, 1], weights,
                                  [-1.0] * weights.shape[1], labels)


def test_the_score_over_a_tiny_model_is_the_formula() -> None:
    weights = np.array([[-1.0, -2.0, -3.0], [-4.0, -1.5, -0.5]], dtype=np.float32)
    scorer = _tiny_model(weights, ["x", "y", "x"])  # the third column is the first's script alias
    text = b"aab."
    scale = float(np.float32(1 / math.sqrt(len(text))))
    logs = (float(np.float32(math.log1p(2))), float(np.float32(math.log1p(1))))
    sums = [logs[0] * float(weights[0, c]) + logs[1] * float(weights[1, c]) for c in range(3)]  # f64
    scores = [float((np.float32(total) + np.float32(-1.0)) * np.float32(scale)) for total in sums]
    exps = [math.exp(s - max(scores)) for s in scores]
    expected = [(exps[0] + exps[2]) / sum(exps), exps[1] / sum(exps), 0.0]
    assert scorer.probabilities(text) == pytest.approx(expected, abs=1e-15)
    best = max(range(3), key=lambda c: (expected[c], -c))
    assert scorer.classify(text) == (["x", "y", "x"][best], pytest.approx(expected[best], abs=1e-15))
    assert scorer.counts(text) == {0: 2, 1: 1}
    # No feature: every column equally likely, the alias folded into the first, which is chosen.
    assert scorer.probabilities(b"zzz") == pytest.approx([2 / 3, 1 / 3, 0.0], abs=1e-15)
    assert scorer.classify(b"") == ("x", pytest.approx(2 / 3, abs=1e-15))


def test_the_weights_are_borrowed_not_copied() -> None:
    weights = np.array([[-1.0, -2.0], [-2.0, -1.0]], dtype=np.float32)
    scorer = _tiny_model(weights, ["x", "y"])
    assert scorer.classify(b"a")[0] == "x"
    weights[0] = [-2.0, -1.0]  # the scorer reads the array itself
    assert scorer.classify(b"a")[0] == "y"


@pytest.mark.parametrize(("change", "message"), [
    ({"weights": np.zeros((2, 3), dtype=np.float64)}, "buffer"),
    ({"weights": np.zeros((2, 3), dtype=np.float32)[:, ::2]}, "C order"),
    ({"priors": [0.0]}, "one prior and one label per column"),
    ({"labels": ["x"]}, "one prior and one label per column"),
    ({"outputs": [-1, 0, 5]}, "a state outputs a feature the weights do not hold"),
    ({"rows": [0, 0]}, "one row base and one output per state"),
    ({"transitions": np.zeros((16, 16), dtype=np.uint32)}, "flat array"),
])
def test_a_model_that_does_not_fit_together_is_refused_clearly(change: dict[str, Any], message: str) -> None:
    transitions = np.zeros(256, dtype=np.uint32)
    arguments: dict[str, Any] = {"transitions": transitions, "rows": [0, 0, 0], "outputs": [-1, 0, 1],
                                 "weights": np.zeros((2, 3), dtype=np.float32), "priors": [0.0] * 3,
                                 "labels": ["x", "y", "z"]}
    arguments.update(change)
    with pytest.raises((ValueError, TypeError, BufferError), match=message):
        _native.LanguageScorer(**arguments)


def test_a_table_that_leads_outside_itself_is_an_error_not_a_crash() -> None:
    transitions = np.full(256, 7, dtype=np.uint32)  # every byte leads to a state that does not exist
    scorer = _native.LanguageScorer(transitions, [0, 0, 0], [-1, 0, 1], np.zeros((2, 2), dtype=np.float32),
                                    [0.0, 0.0], ["x", "y"])
    with pytest.raises(ValueError, match="the automaton left its states"):
        scorer.classify(b"a")


def test_the_model_read_back_from_its_cache_gives_the_librarys_answers(tmp_path) -> None:
    written = load_identifier(directory=tmp_path)  # decompressed from the library's file, and stored
    assert not isinstance(written.weights.base, np.memmap)
    stored = load_identifier(directory=tmp_path)
    assert isinstance(stored.weights.base, np.memmap)  # mapped from the cache, not decompressed again
    _, native = identifiers()
    samples = _samples()
    assert [stored.classify(sample) for sample in samples] == [native.classify(sample) for sample in samples]


def test_a_damaged_model_cache_is_rebuilt_with_a_warning(tmp_path) -> None:
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
    french = "Ceci est une phrase en français."
    assert rebuilt.classify(french)[0] == plain.classify(french)[0]


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


def test_installs_of_the_same_model_share_one_cached_copy(tmp_path, monkeypatch) -> None:
    import shutil

    from py3langid import langid

    from cleaner.io.language import ModelCache

    cache = tmp_path / "cache"
    cache.mkdir()
    installs = [tmp_path / "venv-a", tmp_path / "venv-b"]
    for install in installs:
        (install / langid.MODEL_FILE).parent.mkdir(parents=True)
        shutil.copyfile(langid.MODEL_DIR / langid.MODEL_FILE, install / langid.MODEL_FILE)
    entries = []
    for install in installs:
        monkeypatch.setattr(langid, "MODEL_DIR", install)
        entries.append(ModelCache(cache).entry())
    assert entries[0] == entries[1]  # same bytes in two places: one copy, not two rewriting each other
    changed = installs[1] / langid.MODEL_FILE
    changed.write_bytes(changed.read_bytes()[:-1] + b"\0")
    assert ModelCache(cache).entry() != entries[0]  # another model's bytes: another copy


def test_copies_of_other_models_beyond_the_newest_are_removed(tmp_path) -> None:
    import os

    from cleaner.io.language import KEEP_MODELS, ModelCache

    others = [tmp_path / f"langid-other{number}" for number in range(KEEP_MODELS + 2)]
    for age, folder in enumerate(reversed(others)):
        folder.mkdir()
        os.utime(folder, (1_000_000 + age, 1_000_000 + age))  # others[0] is the newest
    kept = tmp_path / "langid-in-use"
    kept.mkdir()
    ModelCache(tmp_path)._prune(kept)
    assert sorted(tmp_path.glob("langid-*")) == sorted([kept, *others[:KEEP_MODELS - 1]])


def test_the_compacted_automaton_holds_the_tables_transitions() -> None:
    """The scorer walks a compacted automaton (src/langid.rs ``Compact``): each state's own edges at ``base +
    byte`` (a slot naming its owner), other bytes looked up again from the failure state, the root's row
    whole. Read back here, it gives the library's table's next state for every byte from every state tried."""
    _, native = identifiers()
    compacted = native.scorer.automaton
    assert compacted is not None
    bases, fails, slots = (np.frombuffer(part, dtype=np.uint32).astype(np.int64) for part in compacted)
    slots = slots.reshape(-1, 2)
    table = np.frombuffer(native.tk_nextmove, dtype=np.uint32).reshape(-1, 256)
    rows = np.asarray(native.tk_row, dtype=np.int64)
    assert len(slots) < 3 * len(bases) and len(bases) == len(rows)  # a few slots a state, not 256
    states = np.random.default_rng(3).choice(len(rows), size=4000, replace=False)
    states[0] = 0
    expected = table[rows[states]].astype(np.int64)  # (states, 256)
    state = np.repeat(states, 256)
    byte = np.tile(np.arange(256), len(states))
    found = np.full(len(state), -1)
    for _ in range(16):  # a chain of failure states is as long as the deepest state (a few steps)
        open_ = found < 0
        if not open_.any():
            break
        at_root = open_ & (state == 0)
        found[at_root] = table[rows[0], byte[at_root]]
        rest = open_ & (state != 0)
        slot = slots[bases[state[rest]] + byte[rest]]
        hit = slot[:, 0] == state[rest]
        found[np.flatnonzero(rest)[hit]] = slot[hit, 1]
        state[np.flatnonzero(rest)[~hit]] = fails[state[rest][~hit]]
    assert (found.reshape(len(states), 256) == expected).all()


def test_the_compacted_walk_counts_the_librarys_features_over_any_bytes() -> None:
    plain, native = identifiers()
    rng = random.Random(8)
    texts = [bytes(rng.randrange(256) for _ in range(rng.randrange(0, 400))) for _ in range(1500)]
    texts += [plain._encode(text) for text in _samples()[:500]]
    for data in texts:
        expected = langid.visit_counts(plain.tk_nextmove, plain._rowbase, plain.tk_output, data)
        got = native.scorer.counts(data)
        assert (None if got is None else list(got.items())) == (None if expected is None else list(expected.items()))


def test_a_table_that_is_not_aho_corasick_is_walked_as_it_is() -> None:
    weights = np.array([[-1.0, -2.0], [-2.0, -1.0]], dtype=np.float32)
    assert _tiny_model(weights, ["x", "y"]).automaton is not None  # the tiny model compacts
    transitions = np.zeros(256, dtype=np.uint32)
    transitions[ord("a")], transitions[ord("b")] = 1, 2
    # State 3 is never reached: not an automaton built from a trie, so not compacted, and still walked.
    scorer = _native.LanguageScorer(transitions, [0, 0, 0, 0], [-1, 0, 1, 0], weights, [-1.0, -1.0], ["x", "y"])
    assert scorer.automaton is None
    assert scorer.counts(b"aab.") == {0: 2, 1: 1}
    assert scorer.classify(b"aab.") == _tiny_model(weights, ["x", "y"]).classify(b"aab.")


@pytest.mark.parametrize("damage", ["base outside", "failure loop", "odd slots", "state outside"])
def test_a_compacted_automaton_that_does_not_fit_is_refused(damage: str) -> None:
    weights = np.array([[-1.0, -2.0], [-2.0, -1.0]], dtype=np.float32)
    bases, fails, slots = (np.frombuffer(part, dtype=np.uint32).copy()
                           for part in _tiny_model(weights, ["x", "y"]).automaton)
    if damage == "base outside":
        bases[1] = len(slots)
    elif damage == "failure loop":
        fails[1], fails[2] = 2, 1
    elif damage == "odd slots":
        slots = np.append(slots, np.uint32(0))
    else:
        fails[2] = 7
    transitions = np.zeros(256, dtype=np.uint32)
    transitions[ord("a")], transitions[ord("b")] = 1, 2
    with pytest.raises(ValueError, match="the compacted automaton does not fit the model"):
        _native.LanguageScorer(transitions, [0, 0, 0], [-1, 0, 1], weights, [-1.0, -1.0], ["x", "y"],
                               (bases, fails, slots))


def test_the_compacted_automaton_is_read_back_from_the_cache(tmp_path) -> None:
    import json
    import zlib

    from cleaner.io.language import ModelCache
    from cleaner.io.rulecache import RuleCacheWarning

    written = load_identifier(directory=tmp_path)
    stored = load_identifier(directory=tmp_path)
    assert stored.scorer.automaton == written.scorer.automaton
    entry = ModelCache(tmp_path).entry()
    # A failure loop whose file passes its checksum (written so): the scorer refuses it, the copy is rebuilt.
    fails = np.load(entry / "fails.npy")
    looped = next(state for state in range(1, len(fails)) if fails[state] != 0)
    fails[fails[looped]] = looped
    np.save(entry / "fails.npy", fails)
    manifest = json.loads((entry / "model.json").read_text())
    manifest["crc32"]["fails"] = zlib.crc32(fails.data.cast("B"))
    (entry / "model.json").write_text(json.dumps(manifest))
    with pytest.warns(RuleCacheWarning, match="does not fit the model"):
        rebuilt = load_identifier(directory=tmp_path)
    assert rebuilt.scorer.automaton == written.scorer.automaton
    assert load_identifier(directory=tmp_path).scorer.automaton == written.scorer.automaton
