"""Text helpers shared by the rules and the engine. Nothing here changes the characters of a document:
keys are only used for comparison, and output text is always a slice of the input."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


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
_TAGS = range(0xE0000, 0xE0080)
_INVISIBLE_CLASS = "".join(sorted(INVISIBLE)) + "\U000e0000-\U000e007f"
_CONFUSABLE_CLASS = "".join(sorted(CONFUSABLE))
# Whether a (non-ASCII) line needs a view of its own: an invisible character, or a look-alike letter
# touching a Latin one; compatibility forms are found by ``unicodedata.is_normalized``. The standard
# library's ``re`` here: a character class is searched about twenty times faster than by ``regex``, and
# this runs on every non-ASCII line no rule matched.
_SUSPECT = re.compile(f"[{_INVISIBLE_CLASS}{_CONFUSABLE_CLASS}]")
_INVISIBLE_CHAR = re.compile(f"[{_INVISIBLE_CLASS}]")
_MIXED = re.compile(f"[A-Za-z][{_CONFUSABLE_CLASS}]|[{_CONFUSABLE_CLASS}][A-Za-z]")


def _plain(normal: str) -> bool:
    """Whether the line is its own view: no invisible character, no look-alike inside a Latin word, and
    NFKC-normalised already."""
    found = _SUSPECT.search(normal)
    if found is not None:
        if found.group() not in CONFUSABLE or _INVISIBLE_CHAR.search(normal, found.end()) is not None:
            return False
        if _MIXED.search(normal) is not None:
            return False
    return unicodedata.is_normalized("NFKC", normal)


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


def matching_view(normal: str) -> View | None:
    """The view rules match for a normalised line, or None when it is the line itself (every ASCII line,
    and most others: the check is one regex search and one normalisation test, both in C)."""
    if normal.isascii() or _plain(normal):
        return None
    chars: list[str] = []
    origin: list[int] = []
    for position, char in enumerate(normal):
        if char in INVISIBLE or ord(char) in _TAGS:
            continue
        if char < "\x80":
            if char == " " and (not chars or chars[-1] == " "):
                continue  # an invisible character dropped between two spaces leaves one
            chars.append(char)
            origin.append(position)
            continue
        for folded in unicodedata.normalize("NFKC", char):
            if folded.isspace():
                if chars and chars[-1] != " ":
                    chars.append(" ")
                    origin.append(position)
                continue
            chars.append(folded)
            origin.append(position)
    while chars and chars[-1] == " ":
        chars.pop()
        origin.pop()
    _fold_confusables(chars)
    text = "".join(chars)
    return None if text == normal else View(text, tuple(origin), len(normal))


def _fold_confusables(chars: list[str]) -> None:
    """Folds look-alike letters to Latin inside each word (a run of letters) that holds a Latin letter."""
    start = 0
    size = len(chars)
    while start < size:
        if not chars[start].isalpha():
            start += 1
            continue
        end = start
        latin = False
        mixed = False
        while end < size and chars[end].isalpha():
            latin = latin or chars[end] < "\x80"
            mixed = mixed or chars[end] in CONFUSABLE
            end += 1
        if latin and mixed:
            for index in range(start, end):
                chars[index] = CONFUSABLE.get(chars[index], chars[index])
        start = end
