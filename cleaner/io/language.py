"""Language identification and stop words for the structural detectors (the core loads no model itself).

Languages come from ``py3langid`` (langid.py's model, 97 languages, CJK and Thai included); stop words from
the lists jusText ships (a dependency of trafilatura), named by language, not by code: :data:`JUSTEXT_NAMES`
maps the codes. Both are loaded on first use (the model takes about two seconds), not on import.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
import time
import unicodedata
import warnings
import zlib
from array import array
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import cleaner._native as _native
from cleaner.core.structure import UNDETERMINED, LanguageTools
from cleaner.io.rulecache import STALE, RuleCacheWarning, default_directory, native_digest

_log = logging.getLogger(__name__)

#: ISO 639-1 code -> the name of jusText's stop list for that language.
JUSTEXT_NAMES = {
    "af": "Afrikaans", "sq": "Albanian", "ar": "Arabic", "an": "Aragonese", "hy": "Armenian", "ast": "Asturian",
    "az": "Azerbaijani", "eu": "Basque", "be": "Belarusian", "bn": "Bengali", "bs": "Bosnian", "br": "Breton",
    "bg": "Bulgarian", "ca": "Catalan", "hr": "Croatian", "cs": "Czech", "da": "Danish", "nl": "Dutch",
    "en": "English", "eo": "Esperanto", "et": "Estonian", "fi": "Finnish", "fr": "French", "gl": "Galician",
    "ka": "Georgian", "de": "German", "el": "Greek", "gu": "Gujarati", "ht": "Haitian", "he": "Hebrew",
    "hi": "Hindi", "hu": "Hungarian", "is": "Icelandic", "id": "Indonesian", "ga": "Irish", "it": "Italian",
    "jv": "Javanese", "kn": "Kannada", "kk": "Kazakh", "ko": "Korean", "ku": "Kurdish", "ky": "Kyrgyz",
    "la": "Latin", "lv": "Latvian", "lt": "Lithuanian", "lb": "Luxembourgish", "mk": "Macedonian", "ms": "Malay",
    "ml": "Malayalam", "mt": "Maltese", "mr": "Marathi", "ne": "Nepali", "nb": "Norwegian_Bokmal",
    "no": "Norwegian_Bokmal", "nn": "Norwegian_Nynorsk", "oc": "Occitan", "fa": "Persian", "pl": "Polish",
    "pt": "Portuguese", "qu": "Quechua", "ro": "Romanian", "ru": "Russian", "sr": "Serbian", "sk": "Slovak",
    "sl": "Slovenian", "es": "Spanish", "su": "Sundanese", "sw": "Swahili", "sv": "Swedish", "tl": "Tagalog",
    "ta": "Tamil", "te": "Telugu", "tr": "Turkish", "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek",
    "vi": "Vietnamese", "vo": "Volapuk", "wa": "Walloon", "cy": "Welsh", "fy": "West_Frisian", "yo": "Yoruba",
}
#: Copies of the language model kept in a cache folder (about 93 MB each): one per library version in use.
KEEP_MODELS = 2
#: Below this probability the identifier is unsure and the language is "und".
MIN_CONFIDENCE = 0.5


def load_identifier(native: bool = True, directory: Path | None = None) -> Any:
    """py3langid's identifier (probabilities normalised), its ``classify`` done by the compiled core in one call
    when ``native`` and the installed py3langid is laid out as the core expects (0.4); otherwise the library's
    own (its feature walk a Python loop over the text's bytes, its score numpy calls).

    The compiled ``classify`` (src/langid.rs) walks the library's byte automaton, scores the features found
    (``log1p(count)`` times each language's weight, plus the prior), scales by ``1 / sqrt(bytes)``, takes
    the softmax and the most probable language, as the library does, with one fixed summation order that is
    now the definition: features in ascending index, each language's sum in f64, rounded once to float32,
    the prior added and the scale applied in float32 (the library's dtype), the softmax in f64. The library's
    float32 ``@`` goes through the BLAS's ``sgemv``, whose order depends on the CPU's kernel, so its last bits
    were never stable across machines (its sums lose up to a few tens of float32 ulps on a long text).
    Against the library, the languages found are the same on every text the tests hold, the probabilities
    within the float32 error bound the tests derive per text (seen: up to 3e-5 on long pages, nearly all
    within 1e-5; tests/test_native_language.py)."""
    import numpy as np
    from py3langid import langid

    if native and directory is not None:
        cache = ModelCache(directory)
        stored = cache.load()
        if stored is not None:
            try:
                return _native_identifier(stored)
            except ValueError as exc:  # arrays that pass their checksums but do not fit together
                cache.discard(exc)
    plain = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)
    table = getattr(plain, "tk_nextmove", None)
    laid_out = (isinstance(table, array) and table.typecode == "I" and hasattr(langid, "visit_counts")
                and all(hasattr(plain, name) for name in ("_raw_score", "_sparse_score", "tk_row", "tk_output")))
    if not native or not laid_out:
        return plain
    model = Model(
        #: The model's float16 weights as float32, converted once (exactly: every float16 is a float32). numpy
        #: multiplies the float32 counts by float16 rows by converting the rows picked to float32 on every call,
        #: most of a short text's cost; multiplying the same float32 values gives the same scores, bit for bit
        #: (tests compare them with the library's). About 57 MB, once per process (:func:`shared_identifier`).
        weights=np.ascontiguousarray(plain.nb_ptc, dtype=np.float32), priors=plain.nb_pc,
        classes=list(plain.nb_classes), transitions=np.frombuffer(plain.tk_nextmove, dtype=np.uint32),
        rows=np.frombuffer(plain.tk_row, dtype=np.dtype(f"u{plain.tk_row.itemsize}")),
        outputs=np.asarray(plain.tk_output, dtype=np.int32))
    identifier = _native_identifier(model)
    compacted = identifier.scorer.automaton
    if directory is not None and compacted is not None:
        # The compacted automaton is stored with the model: building it reads the whole table (about 0.3 s).
        ModelCache(directory).store(replace(model, automaton=Automaton(
            *(np.frombuffer(part, dtype=np.uint32) for part in compacted))))
    return identifier


@dataclass(frozen=True)
class Automaton:
    """The compiled scorer's compaction of the byte automaton (src/langid.rs ``Compact``): each state's first
    slot and failure state, and the slots as (owner, next state) pairs, flat; uint32 arrays."""

    bases: Any
    fails: Any
    slots: Any


@dataclass(frozen=True)
class Model:
    """py3langid's model as arrays: what the native identifier reads (from the library's compressed file, or
    from the cache's uncompressed copy, mapped rather than read)."""

    weights: Any  # float32 (features, languages)
    priors: Any  # float32 (languages,)
    classes: list[str]
    transitions: Any  # uint32: the byte automaton's next state by row base + byte
    rows: Any  # each state's row in the transition table
    outputs: Any  # int32: each state's feature (-1: none)
    #: The automaton as the compiled scorer compacts it, from the cache (None: the scorer builds it).
    automaton: Automaton | None = None


def _native_identifier(model: Model) -> Any:
    import numpy as np
    from py3langid import langid

    class Identifier(langid.LanguageIdentifier):  # type: ignore[misc]
        __slots__ = ("scorer", "weights")

        def classify(self, text: str | bytes) -> tuple[str, float]:
            if self.nb_ptc is not self.weights:  # languages restricted (set_languages): the library's own
                return super().classify(text)  # type: ignore[no-any-return]
            code, probability = self.scorer.classify(self._encode(text))
            if self.min_confidence is not None and probability < self.min_confidence:
                return "und", probability
            return code, probability

        def _decide(self, text: str | bytes) -> Any:
            """Every language's probability, as ``classify`` computes them (``rank`` reads these)."""
            if self.nb_ptc is not self.weights:
                return super()._decide(text)
            return np.asarray(self.scorer.probabilities(self._encode(text)))

    outputs = model.outputs.tolist()
    rows = array({2: "H", 4: "I", 8: "L"}[model.rows.dtype.itemsize], model.rows.tobytes())
    identifier = Identifier(model.weights, model.priors, model.classes, model.transitions, outputs,
                            norm_probs=True, tk_row=rows)
    #: The compiled identifier over the model's own arrays (the transition table, 39 MB, and the weights, 57
    #: MB, are borrowed, not copied: mapped from the cache, their pages are shared by worker processes).
    #: The scorer walks a compacted copy of the automaton (2 MB, which stays in the CPU's caches, where the
    #: table's rows cost a cache miss a byte): given by the cache, or built from the table (src/langid.rs).
    compacted = None if model.automaton is None else (model.automaton.bases, model.automaton.fails,
                                                       model.automaton.slots)
    identifier.scorer = _native.LanguageScorer(model.transitions, rows.tolist(), outputs, model.weights,
                                               model.priors.tolist(), list(model.classes), compacted)
    identifier.weights = model.weights
    return identifier


class ModelCache:
    """The language model, uncompressed, in the folder of the rule cache: py3langid ships it LZMA-compressed,
    and decompressing it cost every process about a second (a worker, a test, a crawler's first document).
    Its arrays are stored as ``.npy`` files and mapped, not read: a process pays for the pages it touches, and
    worker processes share them. Each file's CRC-32 is checked on load (a damaged copy is rebuilt with a
    warning); the folder is named by the library's version and its model file's size and time, so an updated
    library gets a new copy and the old one is removed. About 100 MB on disk."""

    _ARRAYS = ("weights", "priors", "transitions", "rows", "outputs")
    _AUTOMATON = ("bases", "fails", "slots")

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def entry(self) -> Path:
        import hashlib
        from importlib.metadata import version

        from py3langid import langid

        # Named by the model file's content, not its path: installs of the same library sharing the folder
        # (several virtual environments, a user's and a CI's) share one copy instead of replacing each
        # other's. The content's digest is remembered under the file's identity, as the compiled module's is.
        source = langid.MODEL_DIR / langid.MODEL_FILE
        content = native_digest(source, self.directory).hex()
        # The compacted automaton is stored with the model: its layout is part of the name (a core that lays it
        # out otherwise gets its own copy rather than misreading this one).
        layout = _native.LanguageScorer.AUTOMATON_LAYOUT
        identity = f"format 2\nautomaton {layout}\npy3langid {version('py3langid')}\n{content}"
        return self.directory / f"langid-{hashlib.sha256(identity.encode()).hexdigest()[:24]}"

    def load(self) -> Model | None:
        import numpy as np

        try:
            entry = self.entry()
            manifest = json.loads((entry / "model.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            _log.debug("language model cache unreadable: %s", exc)
            return None
        try:
            arrays = {}
            for name in self._ARRAYS + self._AUTOMATON:
                array_ = np.load(entry / f"{name}.npy", mmap_mode="r", allow_pickle=False)
                if zlib.crc32(array_.data.cast("B")) != manifest["crc32"][name]:
                    raise ValueError(f"{name}.npy fails its checksum")
                # A plain array over the mapped pages: np.memmap's own indexing and arithmetic run Python
                # code on every result (about 6% of language identification's time).
                arrays[name] = np.asarray(array_)
            classes = manifest["classes"]
            if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
                raise ValueError("classes are not a list of names")
            automaton = Automaton(*(arrays.pop(name) for name in self._AUTOMATON))
            return Model(classes=classes, automaton=automaton, **arrays)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.discard(exc)
            return None

    def discard(self, why: Exception) -> None:
        """Removes an unusable copy, with a warning (the model is then rebuilt and stored again)."""
        entry = self.entry()
        warnings.warn(f"language model cache {entry} is unusable ({why}); rebuilding it", RuleCacheWarning,
                      stacklevel=3)
        shutil.rmtree(entry, ignore_errors=True)

    def store(self, model: Model) -> None:
        """Writes a copy in a temporary folder renamed into place (workers starting together each write one;
        the first rename wins). A folder that cannot be written leaves the model uncached, silently."""
        import numpy as np

        if model.automaton is None:  # a copy is whole, with the automaton the scorer compacted
            return
        entry = self.entry()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=self.directory))
        except OSError as exc:
            _log.debug("language model cache not writable: %s", exc)
            return
        try:
            checksums = {}
            for name in self._ARRAYS + self._AUTOMATON:
                part = getattr(model.automaton if name in self._AUTOMATON else model, name)
                data = np.ascontiguousarray(part)
                np.save(staging / f"{name}.npy", data, allow_pickle=False)
                checksums[name] = zlib.crc32(data.data.cast("B"))
            (staging / "model.json").write_text(json.dumps({"classes": model.classes, "crc32": checksums}),
                                                encoding="utf-8")
            os.rename(staging, entry)
        except OSError as exc:  # another process's copy is in place already, or the disk is full
            _log.debug("language model cache not written: %s", exc)
            shutil.rmtree(staging, ignore_errors=True)
            return
        self._prune(entry)

    def _prune(self, kept: Path) -> None:
        """Copies of other models go but the newest :data:`KEEP_MODELS` in all (two installs of different
        library versions sharing the folder keep one each, rather than rewriting 93 MB in turn), and so does a
        staging folder a killed writer left, once it is as old as the rule cache's stale temporary files."""
        now = time.time()
        others = []
        for old in self.directory.glob("langid-*"):
            try:
                if old != kept:
                    others.append((old.stat().st_mtime, old))
            except OSError:  # another process removed it first
                continue
        for _, old in sorted(others, reverse=True)[KEEP_MODELS - 1:]:
            shutil.rmtree(old, ignore_errors=True)
        for staging in self.directory.glob(".langid-*"):
            try:
                if now - staging.stat().st_mtime > STALE:
                    shutil.rmtree(staging, ignore_errors=True)
            except OSError:  # another process removed it first
                continue


@lru_cache(maxsize=1)
def _shared() -> Any:
    return load_identifier(directory=default_directory())


_shared_lock = threading.Lock()


def shared_identifier() -> Any:
    """The identifier of this process, loaded once and shared by every :class:`Languages` (it is immutable once
    loaded): its model takes about two seconds and 90 MB, which a second Cleaner, a test or a worker's next
    shard need not pay again."""
    with _shared_lock:
        return _shared()


class Languages:
    """py3langid and jusText's stop lists behind :class:`LanguageTools`; loads lazily, safe across threads."""

    def __init__(self, min_confidence: float = MIN_CONFIDENCE) -> None:
        self.min_confidence = min_confidence
        self._lock = threading.Lock()
        self._identifier: Any = None
        self._stop: dict[str, frozenset[str]] = {}

    def tools(self) -> LanguageTools:
        return LanguageTools(self.identify, self.stop_words)

    def identify(self, text: str) -> str:
        identifier = self._identifier
        if identifier is None:
            with self._lock:
                if self._identifier is None:
                    self._identifier = shared_identifier()
                identifier = self._identifier
        scorer = getattr(identifier, "scorer", None)
        if scorer is not None and identifier.nb_ptc is identifier.weights and identifier.min_confidence is None:
            # The compiled identifier's own classify without its two Python layers (a few tenths of a
            # microsecond, a good share of a tiny document's cleaning): the text encoded as the library's
            # ``_encode`` does (an all-caps text lower-cased, NFC, UTF-8). An ASCII text is its own NFC form
            # and its own UTF-8 bytes: encoded without the normalisation's call.
            if text.isupper():
                text = text.lower()
            code, probability = scorer.classify(text.encode("ascii") if text.isascii() else
                                                unicodedata.normalize("NFC", text).encode("utf8", "surrogatepass"))
        else:
            code, probability = identifier.classify(text)
        return str(code) if probability >= self.min_confidence else UNDETERMINED

    def stop_words(self, code: str) -> frozenset[str]:
        found = self._stop.get(code)
        if found is None:
            name = JUSTEXT_NAMES.get(code)
            if name is None:
                found = frozenset()
            else:
                import justext

                found = frozenset(justext.get_stoplist(name))
            self._stop[code] = found  # an immutable answer: filling it from two threads at once is harmless
        return found
