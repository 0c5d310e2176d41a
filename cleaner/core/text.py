"""Text helpers shared by the rules and the engine. Nothing here changes the characters of a document:
keys are only used for comparison, and output text is always a slice of the input."""

from __future__ import annotations


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
