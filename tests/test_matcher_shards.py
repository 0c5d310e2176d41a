"""The line matcher's set in shards (src/rulecache.rs): patterns that stay alive along a whole line (leading free
words) and the others are matched by automata of their own, and the answers are one set's: each line's
matching patterns are those that match it alone, in the set compiled here and in one rebuilt from its stored
form."""

from __future__ import annotations

import regex

from cleaner import _native
from cleaner.core.matcher import FOLDS_TO_ASCII

#: (Rust pattern, Python pattern) pairs: leading free words and open tails (a shard of their own), counters,
#: single words, spaces and literals (the other), so that a line may match patterns of both shards at once.
PATTERNS = [
    (r"(?i)(?:[\w'.-]+ )*read (?:more|on)[.!]?", r"(?i)(?:[\w'.-]+ )*read (?:more|on)[.!]?"),
    (r"(?i)(?:[\w'.-]+ )*share(?: this)?", r"(?i)(?:[\w'.-]+ )*share(?: this)?"),
    (r"(?i)[^\n]*copyright[^\n]*", r"(?i)[^\n]*copyright[^\n]*"),
    (r"(?i)\d+ comments?", r"(?i)\d+ comments?"),
    (r"(?i)\s*(?:next|previous) post", r"(?i)\s*(?:next|previous) post"),
    (r"(?i)read more", r"(?i)read more"),
    (r"(?i)[a-z]+", r"(?i)[a-z]+"),
    (r"share this", r"share this"),
    (r"(?i)(?:please )?share(?: this)?", r"(?i)(?:please )?share(?: this)?"),
]
LINES = ["Read more", "read on!", "you should read more", "please share this", "share this", "Share",
         "12 comments", "1 comment", "  next post", "previous post", "Copyright 2024 by me", "copyright",
         "a b c copyright d", "words only", "word", "x" * 50, "read more and more", "12 comments read more",
         "", "Ünïcode read more", "share", "Next post"]


def _matcher(patterns: list[str], compiled: bytes | None = None) -> _native.LineMatcher:
    return _native.LineMatcher([(n, p, 1000) for n, p in enumerate(patterns)], 1000, [], 0, list(FOLDS_TO_ASCII),
                               [], compiled, None)


def test_a_sharded_set_answers_as_each_pattern_alone() -> None:
    rust = [r for r, _ in PATTERNS]
    whole = _matcher(rust)
    expected = [[n for n, (_, p) in enumerate(PATTERNS) if regex.fullmatch(p, line)] for line in LINES]
    alone = [[n for n, r in enumerate(rust) if _matcher([r]).matching([line])[0]] for line in LINES]
    assert whole.matching(LINES) == expected == alone
    # Lines of both shards at once, and of neither.
    assert any(len(found) >= 2 for found in expected) and any(not found for found in expected)
    form = whole.compiled_form()
    assert form is not None
    rebuilt = _matcher(rust, form)
    assert rebuilt.from_compiled and rebuilt.matching(LINES) == expected
    assert rebuilt.scan(LINES) == whole.scan(LINES)
    # A form of other patterns (another number) or cut short is refused: the set is compiled instead.
    for wrong in (_matcher(rust[1:]).compiled_form(), form[: len(form) // 2], form + b"\x00"):
        again = _matcher(rust, wrong)
        assert not again.from_compiled and again.matching(LINES) == expected


def test_sets_of_one_kind_only() -> None:
    """A set whose patterns are all of one shard (the other is empty) answers the same."""
    for kind in (PATTERNS[:3], PATTERNS[3:]):
        rust = [r for r, _ in kind]
        expected = [[n for n, (_, p) in enumerate(kind) if regex.fullmatch(p, line)] for line in LINES]
        matcher = _matcher(rust)
        assert matcher.matching(LINES) == expected
        form = matcher.compiled_form()
        assert form is not None and _matcher(rust, form).matching(LINES) == expected
