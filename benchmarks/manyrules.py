"""A user's many rules, generated: fifteen times as many rules as the built-in ones, of the built-in rules'
shapes, built deterministically from words that occur in real scraped text.

Issue #27 asks that a rule set sixteen times the built-in one (the built-in rules plus a user's fifteen
times as many) cost at most 1.5 times as much per document. What such user rules look like is taken from
the built-in files: optional prefixes (a bullet, a heading mark, "please"), leading free words, alternations of
phrases, framed labels, counters, capitalised buttons, named groups, open tails, exact lines and block rules.
Their words are drawn from the lines of real text (the seeds and the tuned labelled dumps, weighted by how
often each word occurs), so a prefilter of required words cannot skip them: the lines hold those words.
Most rules pair words at random and match next to nothing; one in twenty-five is a real short line's own
words (a rule written against a page's furniture), so the set matches some lines, as a user's rules do.

    python -m benchmarks.manyrules --out many.toml [--seed 27] [--times 15]
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from benchmarks.quality.real_dumps import parse_labelled
from benchmarks.realtext import in_speed_corpus

ROOT = Path(__file__).resolve().parents[1]
#: Where the words come from: the user's seed dumps and the tuned labelled dumps (never a held-apart part).
WORD_SOURCES = (ROOT / "fixtures" / "seeds", ROOT / "fixtures" / "real_dumps",
                ROOT / "benchmarks" / "structure" / "tuned")
#: A user's rules, as a multiple of the built-in rules a line is matched with (line, block rules and layouts).
TIMES = 15
SEED = 27
#: One rule in this many is a real short line's words: it matches that line (and its copies).
REAL_LINE_EVERY = 25

_WORD = re.compile(r"[^\W\d_]{3,14}")
_FRAME = r"[-–—=*•·|~_#▼▲►◄→←»«<>\[\]() ]{1,6}"
_PREFIXES = (r"(?:please )?", r"(?:#{1,6} )?", r"(?:[-•*»›] )?", r"(?:\*\*|__)?", "")
_TAILS = (r"[\W_]{0,3}", r"[.!:]?", "", r"(?: now| here| today)?[\W_]{0,3}", r" ?[)\].]{0,3}")
_COUNTS = ("no", "one", "two", "three")


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Words of real lines, each as often as it occurs (a draw favours the common ones), and short real lines."""

    words: tuple[str, ...]
    weights: tuple[int, ...]
    short_lines: tuple[str, ...]


def vocabulary() -> Vocabulary:
    counts: Counter[str] = Counter()
    short: set[str] = set()
    for folder in WORD_SOURCES:
        for path in sorted(folder.glob("*.txt")) if folder.is_dir() else []:
            text = path.read_text(encoding="utf-8")
            if not in_speed_corpus(text):  # the words of the fixed speed corpus only: the same rules every run
                continue
            if folder.name != "seeds":
                text = parse_labelled(text, path.name).text
            for line in text.splitlines():
                words = _WORD.findall(line.lower())
                counts.update(words)
                normal = " ".join(line.split())
                if 2 <= len(normal.split()) <= 7 and len(normal) <= 60 and len(words) >= 2 \
                        and not any(c in normal for c in "'\"\\"):
                    short.add(normal)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return Vocabulary(tuple(w for w, _ in ordered), tuple(c for _, c in ordered), tuple(sorted(short)))


class _Draw:
    def __init__(self, vocab: Vocabulary, rng: random.Random) -> None:
        self.vocab = vocab
        self.rng = rng

    def words(self, count: int) -> list[str]:
        return self.rng.choices(self.vocab.words, weights=self.vocab.weights, k=count)

    def phrase(self, low: int = 1, high: int = 3) -> str:
        return " ".join(self.words(self.rng.randint(low, high)))

    def alternation(self, low: int = 2, high: int = 10, words: tuple[int, int] = (1, 2)) -> str:
        return "(?:" + "|".join(sorted({self.phrase(*words) for _ in range(self.rng.randint(low, high))})) + ")"


def _quote(text: str) -> str:
    """A TOML basic string (JSON's string is one)."""
    return json.dumps(text, ensure_ascii=False)


def _pattern_rule(draw: _Draw) -> tuple[str, int]:
    """One pattern of the built-in shapes and the longest line it is tried on."""
    rng = draw.rng
    shape = rng.randrange(9)
    if shape == 0:  # a phrase with an optional prefix and a punctuation tail
        return rng.choice(_PREFIXES) + draw.phrase(2, 4) + rng.choice(_TAILS), rng.choice((40, 60, 90))
    if shape == 1:  # alternations of phrases, one after another
        return (rng.choice(_PREFIXES) + draw.alternation() + f"(?: {draw.alternation(1, 3)})? "
                + draw.alternation(2, 6) + rng.choice(_TAILS), rng.choice((60, 90, 100)))
    if shape == 2:  # leading free words, then required words and an open tail
        return (r"(?:[\w'’&.-]{1,20} ){0,3}" + draw.phrase(1, 2) + " " + draw.alternation(2, 4)
                + r"(?: (?:and|for|to) [^\n]{3,100})?[.!]?", rng.choice((160, 200)))
    if shape == 3:  # a label framed by dashes, bars, arrows or brackets
        return _FRAME + draw.alternation(2, 8, (1, 1)) + r"(?: ?\d{1,2})?" + _FRAME, 90
    if shape == 4:  # a counter: "12 comments", "(3) replies"
        return (r"[\[(]? ?(?:(?:\d{1,6}|" + "|".join(_COUNTS) + ") ?)?" + draw.alternation(2, 6, (1, 2))
                + r"(?: ?\(\d{1,6}\))?" + rng.choice(_TAILS), 60)
    if shape == 5:  # buttons whose first letter is a capital
        buttons = sorted({f"(?-i:{w[0].upper()}){w[1:]}" + rng.choice(("", " " + draw.phrase(1, 1)))
                          for w in draw.words(rng.randint(2, 8)) if w[0].isascii() and w[0].isalpha()})
        if not buttons:
            buttons = [draw.phrase(2, 2)]
        return r"(?:[-•*»›] )?(?:" + "|".join(buttons) + r")(?: now| here)?", 40
    if shape == 6:  # a notice naming its source in a group
        return (draw.alternation(1, 4) + " " + draw.phrase(1, 2) + r" (?:on|from|by|via) "
                + r"(?P<syndicated_from>[^.,;\n]{2,60}?)[.]?", rng.choice((100, 200)))
    if shape == 7:  # a phrase, then anything
        return "^(?:" + draw.phrase(2, 3) + r"[^\n]{0,200}|" + draw.phrase(2, 3) + r" [^\n]{2,100})", 400
    # a phrase with digits: "Page 2 of 7", "Updated 3 hours ago"
    return (draw.alternation(1, 4) + r" \d{1,4}(?: " + draw.phrase(1, 2) + r" \d{1,4})?" + rng.choice(_TAILS),
            60)


def generate_rules(count: int, seed: int = SEED, vocab: Vocabulary | None = None) -> str:
    """A rule file of ``count`` rules (TOML text), the same for the same ``count`` and ``seed``."""
    vocab = vocab or vocabulary()
    rng = random.Random(seed)
    draw = _Draw(vocab, rng)
    out = ['[file]', 'name = "Many generated rules"',
           'description = "A user\'s many rules, generated for the cost-with-many-rules benchmark"', ""]
    exact_seen: set[str] = set()
    for number in range(count):
        rule_id = "G" + chr(ord("A") + number // 26_000 % 26) + chr(ord("A") + number // 1000 % 26) \
            + f"{number % 1000:03d}"
        body: list[str] = []
        kind = rng.random()
        if number % REAL_LINE_EVERY == REAL_LINE_EVERY - 1:
            line = rng.choice(vocab.short_lines)
            if rng.random() < 0.5 and line.casefold() not in exact_seen and "\"" not in line and "\\" not in line:
                exact_seen.add(line.casefold())
                body.append(f'line = "{line}"')
            else:
                pattern = " ".join(re.escape(w) for w in line.split()) + r"[\W_]{0,3}"
                body += [f"pattern = {_quote(pattern)}", f"max_chars = {len(line) + 10}"]
        elif kind < 0.08:
            line = " ".join(w.capitalize() if n == 0 else w for n, w in enumerate(draw.words(rng.randint(2, 4))))
            if line.casefold() in exact_seen:
                line += " " + draw.words(1)[0]
            if line.casefold() in exact_seen:
                continue
            exact_seen.add(line.casefold())
            body.append(f'line = "{line}"')
        elif kind < 0.10:
            body.append(f"block = {{ start = {_quote(draw.phrase(2, 3) + '(?: ' + draw.phrase(1, 1) + ')?')}, "
                        f"end = {_quote(draw.alternation(1, 3, (2, 3)))}, max_lines = {rng.choice((5, 10, 20))} }}")
        else:
            pattern, bound = _pattern_rule(draw)
            body += [f"pattern = {_quote(pattern)}", f"max_chars = {bound}"]
            if rng.random() < 0.15:
                body.append('strength = "weak"')
            elif rng.random() < 0.05:
                body.append("min_run = 2")
        out += ["[[rule]]", f'id = "{rule_id}"', f'purpose = "Generated rule {number}"', *body, ""]
    return "\n".join(out)


def write_rules(path: Path, count: int, seed: int = SEED) -> Path:
    path.write_text(generate_rules(count, seed), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--count", type=int, default=150 * TIMES, help="rules to write (the built-in 150, 15x)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    write_rules(args.out, args.count, args.seed)


if __name__ == "__main__":
    main()
