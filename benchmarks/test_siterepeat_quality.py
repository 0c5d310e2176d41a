"""Site repetition benchmark (benchmarks/siterepeat): struct:site-repeat in a default batch run's setting
(the built-in rules plus the profile counted from each host's pages) on multi-page dumps, tuned and
held-apart hosts reported and checked separately. The figures are printed so the CI log shows them.

Floors sit a small margin below the figures measured when the benchmark was built (content loss: a small
margin above); a change that improves a figure may raise its floor in the same commit. The issue's target
(junk-line recall >= 0.85 at content loss <= 0.5%) is printed beside them: it is not reached yet.
"""

from __future__ import annotations

import pytest

from benchmarks.siterepeat.constructed import PAGES_PER_HOST, constructed
from benchmarks.siterepeat.score import PARTS, dumps, line_of, score_part

TARGET_RECALL, TARGET_LOSS = 0.85, 0.005
#: Measured on the real dumps (tuned: 3 hosts, held apart: 1 host):
#: recall 0.775 / 0.448, content loss 0.0185 / 0.0000 (all of it struct:site-repeat's).
REAL_RECALL_FLOOR = {"tuned": 0.75, "heldapart": 0.42}
REAL_LOSS_CEILING = {"tuned": 0.021, "heldapart": 0.003}
#: Measured on the constructed dumps (tuned: 114 hosts, held apart: 60): recall 0.712 / 0.746, content
#: loss added by struct:site-repeat 0.0007 / 0.0015 (the rules' own loss on these pages: 0.057 / 0.030).
BUILT_RECALL_FLOOR = {"tuned": 0.69, "heldapart": 0.72}
BUILT_REPEAT_LOSS_CEILING = {"tuned": 0.0015, "heldapart": 0.0025}


def test_real_dumps_have_enough_pages_per_host() -> None:
    hosts = [d for part in PARTS for d in dumps(part)]
    assert len(hosts) >= 4
    assert all(len(d.pages) >= 20 for d in hosts), [(d.host, len(d.pages)) for d in hosts]
    assert {d.host for d in dumps("tuned")}.isdisjoint({d.host for d in dumps("heldapart")})


@pytest.mark.parametrize("part", PARTS)
def test_real_dumps_figures(part: str) -> None:
    total, per_host = score_part(part)
    print(line_of(part, False, total, len(per_host)), f"(target: recall {TARGET_RECALL}, loss {TARGET_LOSS})")
    assert total.recall >= REAL_RECALL_FLOOR[part]
    assert total.loss <= REAL_LOSS_CEILING[part]


@pytest.mark.parametrize("part", PARTS)
def test_constructed_dumps_figures(part: str) -> None:
    built = constructed(part)
    assert all(len(d.pages) == PAGES_PER_HOST for d in built)
    total, per_host = score_part(part, built=True)
    print(line_of(part, True, total, len(per_host)), f"(target: recall {TARGET_RECALL}, loss {TARGET_LOSS})")
    assert total.recall >= BUILT_RECALL_FLOOR[part]
    assert total.repeat_loss <= BUILT_REPEAT_LOSS_CEILING[part]
