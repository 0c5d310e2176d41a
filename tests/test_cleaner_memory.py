"""Building and dropping Cleaners one after another does not grow a process (issue #29): the library keeps the
compiled matcher of a living Cleaner and of the newest build only, not one per rule set it ever built."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

import cleaner
from cleaner.io.rulecache import ENV_DIR
from tests.fixture_texts import ROOT

#: Cleaners built one after another, each with another rule switched off (so another compiled matcher).
BUILDS = 12
#: The builds after which the process should have stopped growing: the first builds fill what the process keeps
#: whatever the rules (the character tables, the rule files' answers, the language model).
SETTLED = 3


def _rss() -> int:
    """This process's resident memory, in bytes (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


#: The measurement, run in a process of its own: a test worker that ran other tests first holds a heap their
#: allocations fragmented (1.5 GB in CI), whose reuse says nothing about what the builds keep.
_BUILDS_CHILD = """
import gc, json, os, sys
from pathlib import Path
import cleaner
from tests.fixture_texts import ROOT
from tests.test_cleaner_memory import BUILDS, _rss
texts = [path.read_text(encoding="utf-8") for path in sorted((ROOT / "fixtures" / "real_dumps").glob("*.txt"))[:8]]
line_rules = [rule.id for rule in cleaner.Cleaner().rules if rule.kind == "pattern"]
gc.collect()
sizes = [_rss()]
for build in range(BUILDS):
    one = cleaner.Cleaner(disable=[line_rules[build]])
    for text in texts:  # the matcher's lazy automaton and the confirmations grow as lines meet them
        one.process(text)
    del one
    gc.collect()
    sizes.append(_rss())
print(json.dumps(sizes))
"""


def test_building_and_dropping_cleaners_does_not_grow_the_process(tmp_path: Path) -> None:
    environment = {**os.environ, ENV_DIR: str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", _BUILDS_CHILD], capture_output=True, text=True, check=True,
                          cwd=ROOT, env=environment)
    before, *sizes = json.loads(done.stdout.splitlines()[-1])
    assert len(sizes) == BUILDS
    # What one build of the built-in rules adds to a process that had only built them before.
    one_build = sizes[0] - before
    growth = sizes[-1] - sizes[SETTLED - 1]
    # Keeping every matcher (eight, as before) grew the process by about a build's size for each.
    assert growth < max(one_build, 16 << 20) / 2, (
        f"RSS grew {growth >> 20} MiB over builds {SETTLED}..{BUILDS} (one build: {one_build >> 20} MiB): "
        f"{[size >> 20 for size in sizes]}")


@pytest.mark.parametrize("dropped", [True, False])
def test_a_living_cleaners_matcher_is_shared_and_a_dropped_one_is_not_kept(dropped: bool) -> None:
    first_off, second_off = [rule.id for rule in cleaner.Cleaner().rules if rule.kind == "pattern"][:2]
    first = cleaner.Cleaner(disable=[first_off])
    kept = weakref.ref(first.engine.matcher)
    cleaner.Cleaner(disable=[second_off])  # the newest build is another's
    if dropped:
        del first
        gc.collect()
        assert kept() is None
    else:
        assert cleaner.Cleaner(disable=[first_off]).engine.matcher is kept() is first.engine.matcher
