"""Site repetition benchmark (benchmarks/siterepeat): struct:site-repeat in a default batch run's setting
(the built-in rules plus the profile counted from each host's pages) on multi-page dumps, tuned and
held-apart hosts reported and checked separately. Every figure is printed, per host too, so the CI log
shows them, and goes through its gate (benchmarks/gates.py, committed figures in benchmarks/figures.toml).

The issue's target (junk-line recall >= 0.85 at content loss <= 0.5%) is printed beside the figures.
"""

from __future__ import annotations

import pytest

from benchmarks.gates import gate, gate_when_committed
from benchmarks.siterepeat.constructed import PAGES_PER_HOST, constructed
from benchmarks.siterepeat.score import PARTS, by_group, dumps, host_table, line_of, score_part

TARGET_RECALL, TARGET_LOSS = 0.85, 0.005
#: The issue's size of the set: hosts, pages per host, and the share of the hosts held apart from tuning.
MIN_HOSTS, MIN_PAGES, MIN_HELD_APART = 10, 20, 1 / 3

def test_real_dumps_have_the_size_and_split_of_the_issue() -> None:
    tuned, apart = dumps("tuned"), dumps("heldapart")
    hosts = tuned + apart
    assert len(hosts) >= MIN_HOSTS, [d.host for d in hosts]
    assert all(len(d.pages) >= MIN_PAGES for d in hosts), [(d.host, len(d.pages)) for d in hosts]
    assert len(apart) >= MIN_HELD_APART * len(hosts)
    assert {d.host for d in tuned}.isdisjoint({d.host for d in apart})
    assert len({d.host for d in hosts}) == len(hosts)


@pytest.mark.parametrize("part", PARTS)
def test_real_dumps_figures(part: str) -> None:
    """The gates hold the figures of the hosts without a group (those they were committed for); the hosts added
    later in a group are printed apart, and all hosts together, and each group's figures go through a gate of their
    own (``quality.siterepeat.real.GROUP.PART.*``) once committed, printed as pending until then."""
    total, per_host = score_part(part)
    grouped = by_group(part, per_host)
    assert "" in grouped, f"no real dumps without a group in {part}"
    for group, (figures, hosts) in grouped.items():
        label = part if not group else f"{part}, group {group}"
        print("\n" + line_of(label, False, figures, len(hosts)),
              f"(target: recall {TARGET_RECALL}, loss {TARGET_LOSS})")
        print(host_table(part, hosts))
    print("\n" + line_of(f"{part}, all hosts", False, total, len(per_host)))
    first, _ = grouped[""]
    gate(f"quality.siterepeat.real.{part}.junk_recall", first.recall)
    gate(f"quality.siterepeat.real.{part}.content_loss", first.loss)
    for group, (figures, _) in grouped.items():
        if group:  # gated once the lead commits them (printed as pending until then)
            gate_when_committed(f"quality.siterepeat.real.{group}.{part}.junk_recall", figures.recall, "higher")
            gate_when_committed(f"quality.siterepeat.real.{group}.{part}.content_loss", figures.loss, "lower")


@pytest.mark.parametrize("part", PARTS)
def test_constructed_dumps_figures(part: str) -> None:
    built = constructed(part)
    assert all(len(d.pages) == PAGES_PER_HOST for d in built)
    total, per_host = score_part(part, built=True)
    print("\n" + line_of(part, True, total, len(per_host)), f"(target: recall {TARGET_RECALL}, loss {TARGET_LOSS})")
    gate(f"quality.siterepeat.constructed.{part}.junk_recall", total.recall)
    gate(f"quality.siterepeat.constructed.{part}.repeat_loss", total.repeat_loss)
