"""Text helpers shared by the rules and the engine. Nothing here changes the characters of a document:
keys are only used for comparison, and output text is always a slice of the input."""

from __future__ import annotations

import re
import sys
import unicodedata
from array import array
from dataclasses import dataclass

import cleaner._native as _native


def normalize_line(line: str) -> str:
    """The line with surrounding whitespace removed and inner runs of any whitespace (NBSP too) as one space."""
    return " ".join(line.split())


def line_key(line: str) -> str:
    """What an exact-line rule compares: the normalised line, case-folded."""
    return " ".join(line.split()).casefold()


def host_of(url: str | None) -> str | None:
    """The lower-cased host of a URL, without port or credentials; None when there is none."""
    if not url:
        return None
    rest = url.split("://", 1)[1] if "://" in url else url
    host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1]
    if host.startswith("["):
        return host.split("]", 1)[0].lstrip("[").lower() or None
    return host.split(":", 1)[0].lower().rstrip(".") or None


# --- the matching view -------------------------------------------------------------------------------
# Rules are written against what a reader sees. A page can defeat every rule while looking the same: a
# zero-width space inside "Advert\u200bisement", a fullwidth "Ａｄｖｅｒｔｉｓｅｍｅｎｔ", or a Cyrillic "а"
# inside a Latin word. Lines are matched on a view with those differences removed; the output keeps the
# original characters (captured fields are mapped back to them).

#: Characters that print nothing: zero-width space, non-joiner and joiner, word joiner, byte-order mark,
#: direction marks, embeddings, overrides and isolates, the Arabic letter mark, the soft hyphen. (Tag
#: characters, U+E0000-E007F, are checked by range.)
INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u061c\u00ad"
                      "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

#: Cyrillic and Greek letters drawn like Latin ones: folded to the Latin letter inside a word that also
#: holds Latin letters (a spoofed "Аdvertisement"), never in a word of their own script.
CONFUSABLE = {
    # Cyrillic
    "\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p", "\u0441": "c", "\u0443": "y", "\u0445": "x",
    "\u0456": "i", "\u0458": "j", "\u0455": "s", "\u0501": "d", "\u04bb": "h", "\u04cf": "l", "\u0491": "r",
    "\u0410": "A", "\u0412": "B", "\u0415": "E", "\u041a": "K", "\u041c": "M", "\u041d": "H", "\u041e": "O",
    "\u0420": "P", "\u0421": "C", "\u0422": "T", "\u0425": "X", "\u0406": "I", "\u0408": "J", "\u0405": "S",
    "\u04ae": "Y",
    # Greek
    "\u0391": "A", "\u0392": "B", "\u0395": "E", "\u0396": "Z", "\u0397": "H", "\u0399": "I", "\u039a": "K",
    "\u039c": "M", "\u039d": "N", "\u039f": "O", "\u03a1": "P", "\u03a4": "T", "\u03a5": "Y", "\u03a7": "X",
    "\u03bf": "o", "\u03bd": "v", "\u03b9": "i", "\u03ba": "k", "\u03c1": "p",
}
#: Stands in for a lone surrogate (which UTF-8, and so the compiled core, cannot hold) while a view is made:
#: a noncharacter, which like a surrogate is no letter, no space and left alone by normalisation.
_STAND_IN = "\uffff"
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class ViewTables:
    """Where Python's Unicode data and the compiled core's differ, as :func:`build_views` tells the core: pure
    functions of the running Python and the compiled module, so a shell may store them with its compiled
    rules (an entry named by both) and hand them back instead of asking both again."""

    #: Every letter (``str.isalpha``) of planes 0 to 3 and 14, in order.
    alpha: str
    #: The non-ASCII characters below U+3001 that ``str.isspace`` holds.
    spaces: str
    #: The characters the core's normalisation tables know and this Python's Unicode data does not.
    inert: str
    #: The characters the core's normalisation may change (``Views.normalisation_relevant``).
    relevant: str


def view_tables() -> ViewTables:
    """The tables asked of this Python and the compiled core: some 20 ms, most of :func:`build_views`."""
    codes = array("I", range(0xD800))
    # Planes 0 to 3 and 14 hold every letter assigned so far (tests check every code point).
    codes.extend(range(0xE000, 0x40000))
    codes.extend(range(0xE0000, 0xE1000))
    everything = codes.tobytes().decode("utf-32-le" if sys.byteorder == "little" else "utf-32-be")
    # ``re``'s \w is ``str.isalnum``: without digits and "_", letters and other numbers (filtered out here).
    alpha = "".join(filter(str.isalpha, re.sub(r"[\W\d_]+", "", everything)))
    spaces = "".join(c for c in map(chr, range(0x80, 0x3001)) if c.isspace())
    # Characters the core's (newer) normalisation tables know and this Python's do not: Python leaves them as
    # they are, so the core must too.
    relevant = _native.Views.normalisation_relevant()
    inert = "".join(c for c in relevant if unicodedata.category(c) == "Cn")
    return ViewTables(alpha, spaces, inert, "".join(relevant))


def build_views(tables: ViewTables | None = None) -> _native.Views:
    """The compiled maker of matching views, told where Python's Unicode data (``str.isalpha``, ``str.isspace``,
    ``unicodedata``) and the compiled core's differ, so that its views are exactly Python's (tests compare them
    over every code point). ``tables``: those differences as :func:`view_tables` gave them (asked here when
    not given). Costs some 25 ms without them: a shell keeps one for its process (with the character tables of
    :mod:`cleaner.core.translate`)."""
    tables = tables if tables is not None else view_tables()
    return _native.Views(sorted(INVISIBLE), sorted(CONFUSABLE.items()), tables.alpha, list(tables.spaces),
                         list(tables.inert), list(tables.relevant))


@dataclass(frozen=True, slots=True)
class View:
    """What rules match for a line that differs from its normalised form, and where each character of the
    view came from in that form (so what a rule captures is given back in the original characters)."""

    text: str
    origin: tuple[int, ...]
    #: Length of the normalised line the view was made from.
    size: int

    def original(self, normal: str, start: int, end: int) -> str:
        """The characters of ``normal`` that the view's ``[start:end]`` came from."""
        if start >= end:
            return ""
        first = self.origin[start]
        last = self.origin[end - 1] + 1
        return normal[first:last]


def matching_view(normal: str, views: _native.Views) -> View | None:
    """The view rules match for a normalised line, or None when it is the line itself (every ASCII line, and
    most others), made by the compiled core (``views``: see :func:`build_views`)."""
    if normal.isascii():
        return None
    if _SURROGATE.search(normal) is None:
        found = views.views([normal], False)[0]
        return None if found is None else View(found[0], tuple(found[1]), len(normal))
    # A lone surrogate is a character like any other to the view (no letter, no space, left as it is): the
    # view is made with a stand-in and each stand-in given back the character it came from.
    made = views.views([_SURROGATE.sub(_STAND_IN, normal)], True)[0]
    assert made is not None
    text = "".join(normal[at] if char == _STAND_IN else char for char, at in zip(made[0], made[1], strict=True))
    return None if text == normal else View(text, tuple(made[1]), len(normal))
