"""How the engine's cost grows with a document's length: ten times the lines may cost at most ~30 times the
time (a quadratic step would cost ~100 times). Both sizes are timed in the same test, so the bound is a
ratio that holds on any machine; these checks left the unit suite because they time code."""

from __future__ import annotations

import time

import cleaner
from tests.conftest import engine_from

#: Ten times the lines may cost at most this many times the time.
GROWTH_BOUND = 30


def _cpu_seconds(function, text: str) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        function(text)
        best = min(best, time.process_time() - started)
    return best


def test_a_long_run_of_weak_lines_is_settled_in_linear_time() -> None:
    # 40,000 bare "Comments" lines once took 86 s (each weak line scanned its whole run); now one pass.
    engine = cleaner.Cleaner().engine
    small, large = ("Body of the article.\n" + "Comments\n" * n + "End." for n in (2_000, 20_000))
    unit = _cpu_seconds(engine.process, small)
    assert _cpu_seconds(engine.process, large) < GROWTH_BOUND * max(unit, 0.01)


def test_a_long_comment_and_a_repeated_first_slot_cost_linear_time() -> None:
    engine = engine_from('''
        [[layout]]
        id = "TST100"
        purpose = "x"
        header = 'related'
        slots = [{ field = 'title', pattern = 'T [^\\n]*', repeat = true }, { field = 'source', pattern = 'SRC' },
                 { field = 'text', rest = true, max_lines = 100000 }]
    ''')
    small, large = ("Body.\nrelated\nT first\nSRC\n" + "".join(f"T line {i}\n" for i in range(n)) for n in (500, 5000))
    unit = _cpu_seconds(engine.process, small)
    assert _cpu_seconds(engine.process, large) < GROWTH_BOUND * max(unit, 0.005)
