"""How much of a corpus an exhaustive differential test compares.

The default run (`make test`, the README's test command, bound to a few minutes) compares every third line,
text or code point: the same ones in every run. The slow run (`--runslow -m slow`, which CI runs) compares
every one. A test's thresholds on what it covered scale with the share (``at_least``).
"""

from __future__ import annotations

import pytest

SHARES = [pytest.param(3, id="every-third"), pytest.param(1, id="every-one", marks=pytest.mark.slow)]


def at_least(count: int, share: int) -> int:
    """A bound on how much the whole corpus covers, for the share of it a run compares."""
    return count // share
