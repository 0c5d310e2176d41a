"""Cost with many rules (issue #27): the built-in rules plus a user's fifteen times as many, beside the built-in
rules alone, on the same documents in the same run.

The user's rules are generated (benchmarks/manyrules.py): the built-in rules' shapes, words that occur in real
text, deterministic. Both engines clean the real text the engine benchmark reads (benchmarks/realtext.py) and
the seed-like generated documents, in alternating turns, each turn's CPU time (``time.thread_time``) taken with
the line-verdict memo emptied; the figure is the ratio of the two sides' best turns. The issue's goal is a
ratio of at most 1.5; the gate holds the ratio measured when it was made, so that it can only get better.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

import cleaner
from benchmarks.fresh import fresh_builds
from benchmarks.gates import gate_when_committed
from benchmarks.manyrules import TIMES, write_rules
from benchmarks.realtext import real_texts

#: The issue's goal for the cost with sixteen times the rules, as a ratio to the built-in rules' cost.
GOAL = 1.5
#: Turns each side takes, alternating (the best of each side is compared).
TURNS = 5
#: The most lines the generated rules may remove, as a share of all lines: they are junk rules that seldom
#: match, so the ratio measures what matching them costs, not what removing lines saves. (2% until the speed
#: corpus lost the pages of the evaluation sets' hosts, 2026-12-07: rules drawn from the remaining words removed
#: 2.6% of the real text's lines, mostly one-word menu items such as "[ Home ]" and "Newsletter".)
MOST_REMOVED_SHARE = 0.03
#: Seed-like documents cleaned per turn.
SEED_DOCUMENTS = 1000


@pytest.fixture(scope="module")
def cleaners(tmp_path_factory) -> tuple[cleaner.Cleaner, cleaner.Cleaner, Path]:
    builtin = cleaner.Cleaner()
    count = TIMES * sum(1 for rule in builtin.rules if rule.kind != "html")
    path = write_rules(tmp_path_factory.mktemp("many") / "many.toml", count)
    many = cleaner.Cleaner(rules=[path])
    assert len(many.rules) >= len(builtin.rules) + count * 0.95  # (a rare exact line drawn twice is left out)
    return builtin, many, path


def _turn(engine, texts: list[str]) -> float:  # type: ignore[no-untyped-def]
    """CPU time of one pass over the texts, the memo of line verdicts empty (each turn as if the texts were new)."""
    engine._verdicts.clear()
    started = time.thread_time()
    for text in texts:
        engine.process(text)
    return time.thread_time() - started


def _ratio(builtin: cleaner.Cleaner, many: cleaner.Cleaner, texts: list[str]) -> tuple[float, float]:
    """The best turn of each side, taken in alternation: (built-in seconds, many-rules seconds)."""
    for side in (builtin, many):
        side.engine.process(texts[0])  # the language model loads on first use
    ours: list[float] = []
    reference: list[float] = []
    for _ in range(TURNS):
        reference.append(_turn(builtin.engine, texts))
        ours.append(_turn(many.engine, texts))
    return min(reference), min(ours)


def _generated_share(many: cleaner.Cleaner, texts: list[str]) -> tuple[int, int]:
    """Lines the generated rules removed, and all lines: they must be rare (junk rules that seldom match)."""
    removed = sum(1 for text in texts for removal in many.engine.process(text).removals
                  if removal.rule_id.startswith("G"))
    return removed, sum(len(text.splitlines()) for text in texts)


def _report(results: dict, name: str, texts: list[str], builtin_s: float, many_s: float,
            share: tuple[int, int]) -> float:
    ratio = many_s / builtin_s
    results[f"many rules: {name}"] = {"documents": len(texts), "built-in s": round(builtin_s, 3),
                                      "16x rules s": round(many_s, 3), "ratio": round(ratio, 3), "goal": GOAL,
                                      "lines removed by the generated rules": f"{share[0]} of {share[1]}"}
    print(f"\n{name}: built-in rules {builtin_s:.3f} s, 16x rules {many_s:.3f} s CPU: ratio {ratio:.3f} "
          f"(goal <= {GOAL}); the generated rules removed {share[0]} of {share[1]} lines")
    return ratio


def test_cost_with_sixteen_times_the_rules_on_real_text(benchmark, cleaners, results) -> None:
    builtin, many, _ = cleaners
    texts = real_texts()
    share = _generated_share(many, texts)
    assert 0 < share[0] < MOST_REMOVED_SHARE * share[1]
    builtin_s, many_s = benchmark.pedantic(lambda: _ratio(builtin, many, texts), rounds=1, iterations=1)
    ratio = _report(results, "real text", texts, builtin_s, many_s, share)
    gate_when_committed("speed.many_rules_cost_ratio_real_text", ratio, "lower")


def test_cost_with_sixteen_times_the_rules_on_seed_like_documents(benchmark, cleaners, corpus, results) -> None:
    builtin, many, _ = cleaners
    texts = corpus["texts"][:SEED_DOCUMENTS]
    share = _generated_share(many, texts)
    assert share[0] < MOST_REMOVED_SHARE * share[1]
    builtin_s, many_s = benchmark.pedantic(lambda: _ratio(builtin, many, texts), rounds=1, iterations=1)
    ratio = _report(results, "seed-like documents", texts, builtin_s, many_s, share)
    gate_when_committed("speed.many_rules_cost_ratio_seed_like", ratio, "lower")


def test_build_with_sixteen_times_the_rules(benchmark, cleaners, results) -> None:
    """Building a Cleaner with the sixteen-fold rules: cold (a fresh process, no compiled-rule cache), from a
    warm disk cache (a fresh process), and warm in a process that built them before. Printed, not gated."""
    _, _, path = cleaners
    warm = benchmark.pedantic(lambda: cleaner.Cleaner(rules=[path]), rounds=2, iterations=1)
    assert warm.rules_from_cache
    builds = fresh_builds([str(path)], cold=1)
    figures = {"cold s": round(builds.cold, 3), "disk cache s": round(builds.disk, 3),
               "warm in-process s": round(benchmark.stats.stats.min, 3)}
    results["many rules: building a Cleaner with 16x rules"] = figures
    print(f"\nCleaner with 16x rules: {figures}")


def test_first_pass_with_sixteen_times_the_rules(cleaners, results) -> None:
    """The first pass over the real text in a fresh process, each side in its own: the line matcher's lazy
    automaton is built as lines meet it, so a process's first megabytes cost several times its later ones, and
    more so with more rules. Gated beside the warm figure: it is the cost a short-lived process pays, which the
    warm throughput does not show. Three runs a side, alternating, the best of each."""
    _, _, path = cleaners
    code = ("import sys, time, cleaner; from benchmarks.realtext import real_texts; texts = real_texts(); "
            "c = cleaner.Cleaner(rules=[sys.argv[1]] if sys.argv[1] else ()); c.engine.process(texts[0]); "
            "t = time.process_time(); [c.engine.process(x) for x in texts]; print(time.process_time() - t)")

    def first_pass(rules: str) -> float:
        done = subprocess.run([sys.executable, "-c", code, rules], check=True, capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parents[1])
        return float(done.stdout.split()[-1])

    builtin_runs: list[float] = []
    many_runs: list[float] = []
    for _ in range(3):
        builtin_runs.append(first_pass(""))
        many_runs.append(first_pass(str(path)))
    builtin_s, many_s = min(builtin_runs), min(many_runs)
    results["many rules: first pass over the real text, fresh process"] = {
        "built-in s": round(builtin_s, 3), "16x rules s": round(many_s, 3), "ratio": round(many_s / builtin_s, 3)}
    print(f"\nfirst pass over the real text in a fresh process: built-in rules {builtin_s:.3f} s, 16x rules "
          f"{many_s:.3f} s CPU: ratio {many_s / builtin_s:.3f}")
    assert many_s > 0 and builtin_s > 0
    gate_when_committed("speed.many_rules_first_pass_ratio_real_text", many_s / builtin_s, "lower")

