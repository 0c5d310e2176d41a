"""Building a :class:`cleaner.Cleaner` in a fresh process: the build a batch worker or a crawler's process pays
once, without the compiled-rule cache (cold) and from a warm disk cache."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FreshBuilds:
    """Seconds of each build, cold and from the disk cache; :attr:`cold` and :attr:`disk` are the best of each."""

    cold_runs: tuple[float, ...]
    disk_runs: tuple[float, ...]

    @property
    def cold(self) -> float:
        return min(self.cold_runs)

    @property
    def disk(self) -> float:
        return min(self.disk_runs)


def _build(rules: Sequence[str], **env: str) -> tuple[float, bool]:
    """One fresh process's build: its seconds, and whether its rules came from the disk cache."""
    code = (f"import time, cleaner._api as api; t = time.perf_counter(); c = api.Cleaner(rules={list(rules)!r}); "
            "print(time.perf_counter() - t, c.rules_from_cache)")
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                          env={**os.environ, **env})
    seconds, cached = done.stdout.split()
    return float(seconds), cached == "True"


def fresh_builds(rules: Sequence[str] = (), cold: int = 2, disk: int = 2) -> FreshBuilds:
    """``cold`` builds without the cache, then ``disk`` builds from a cache folder one build filled; fails if a
    cold build read the cache or a warm one did not."""
    cold_runs = [_build(rules, CLEANER_NO_RULE_CACHE="1") for _ in range(cold)]
    with tempfile.TemporaryDirectory() as folder:
        _build(rules, CLEANER_CACHE_DIR=folder)  # writes the entry
        disk_runs = [_build(rules, CLEANER_CACHE_DIR=folder) for _ in range(disk)]
    assert not any(cached for _, cached in cold_runs) and all(cached for _, cached in disk_runs)
    return FreshBuilds(tuple(s for s, _ in cold_runs), tuple(s for s, _ in disk_runs))
