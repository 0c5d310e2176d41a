"""The matching view of a line as the pure-Python engine made it: the definition the compiled core's views
(src/views.rs, through :func:`cleaner.core.text.matching_view`) are tested against. Not used at run time."""

from __future__ import annotations

import re
import unicodedata

from cleaner.core.text import CONFUSABLE, INVISIBLE

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


def matching_view(normal: str) -> tuple[str, tuple[int, ...]] | None:
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
    return None if text == normal else (text, tuple(origin))


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
