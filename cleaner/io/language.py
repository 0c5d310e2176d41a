"""Language identification and stop words for the structural detectors (the core loads no model itself).

Languages come from ``py3langid`` (langid.py's model, 97 languages, CJK and Thai included); stop words from
the lists jusText ships (a dependency of trafilatura), named by language, not by code: :data:`JUSTEXT_NAMES`
maps the codes. Both are loaded on first use (the model takes about two seconds), not on import.
"""

from __future__ import annotations

import threading
from array import array
from functools import lru_cache
from typing import Any

import cleaner._native as _native
from cleaner.core.structure import UNDETERMINED, LanguageTools

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
#: Below this probability the identifier is unsure and the language is "und".
MIN_CONFIDENCE = 0.5


def load_identifier(native: bool = True) -> Any:
    """py3langid's identifier (probabilities normalised), its feature walk done by the compiled core when
    ``native`` and the installed py3langid is laid out as the walk expects (0.4: a Python loop over the text's
    bytes, about a fifth of the engine's time on real text). The scores are the library's own, from the same
    feature counts in the same order: the languages found are the same (tests compare both on real texts)."""
    import numpy as np
    from py3langid import langid

    plain = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)
    table = getattr(plain, "tk_nextmove", None)
    laid_out = (isinstance(table, array) and table.typecode == "I" and hasattr(langid, "visit_counts")
                and all(hasattr(plain, name) for name in ("_raw_score", "_sparse_score", "tk_row", "tk_output")))
    if not native or not laid_out:
        return plain
    class Identifier(langid.LanguageIdentifier):  # type: ignore[misc]
        __slots__ = ("walk", "weights")

        def _raw_score(self, text: bytes) -> Any:
            visits = self.walk.counts(text)
            if visits is None:
                return super()._raw_score(text)  # no feature: the library's own answer
            return self._sparse_score(visits, self.weights)

    identifier = Identifier.__new__(Identifier)
    for name in langid.LanguageIdentifier.__slots__:
        setattr(identifier, name, getattr(plain, name))
    #: The compiled walk over the model's own tables (its transition table is borrowed, not copied).
    identifier.walk = _native.FeatureWalk(table, list(plain.tk_row), list(plain.tk_output))
    #: The model's float16 weights as float32, converted once (exactly: every float16 is a float32). numpy
    #: multiplies the float32 counts by float16 rows by converting the rows picked to float32 on every call,
    #: most of a short text's cost; multiplying the same float32 values here gives the same scores, bit for
    #: bit (tests compare them with the library's). About 57 MB, once per process (:func:`shared_identifier`).
    identifier.weights = np.ascontiguousarray(plain.nb_ptc, dtype=np.float32)
    return identifier


@lru_cache(maxsize=1)
def _shared() -> Any:
    return load_identifier()


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
