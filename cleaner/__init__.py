"""cleaner: strips aggregator junk from scraped articles and splits out the articles they embed.

>>> import cleaner
>>> records = cleaner.clean(text)                       # built-in rules
>>> c = cleaner.Cleaner(rules="my_rules/", disable=["WEB006"])
>>> c.clean(text, doc_id="page-1", url="https://example.com/a")
>>> cleaner.read_output("out/demo").records.collect()   # a batch run's output, as lazy polars frames

The names below are imported on first use (PEP 562), so ``import cleaner`` and ``cleaner --help`` load
no engine, rules or regex module until something needs them.
"""

from __future__ import annotations

from importlib import import_module

# The version lives in a leaf module, so that no module below this one has to import the package for it.
from cleaner._version import __version__ as __version__

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing

if TYPE_CHECKING:
    from typing import Any

    from cleaner._api import Cleaner, clean
    from cleaner.core.engine import Options
    from cleaner.core.errors import CleanerError, DocumentTooSlow, PageTooLarge, RuleError, RuleTooSlow
    from cleaner.core.records import Cleaned, Notice, Record, Removal
    from cleaner.core.rules import RuleSet
    from cleaner.io.html import HtmlOptions
    from cleaner.io.rulefiles import load_rules
    from cleaner.run.output import Output, OutputReadError, read_output  # polars loads on the first call

#: Each public name and the module that defines it.
_HOMES = {
    "Cleaner": "cleaner._api", "clean": "cleaner._api",
    "Options": "cleaner.core.engine",
    "CleanerError": "cleaner.core.errors", "DocumentTooSlow": "cleaner.core.errors",
    "PageTooLarge": "cleaner.core.errors", "RuleError": "cleaner.core.errors", "RuleTooSlow": "cleaner.core.errors",
    "Cleaned": "cleaner.core.records", "Notice": "cleaner.core.records", "Record": "cleaner.core.records",
    "Removal": "cleaner.core.records",
    "RuleSet": "cleaner.core.rules",
    "HtmlOptions": "cleaner.io.html",
    "load_rules": "cleaner.io.rulefiles",
    "Output": "cleaner.run.output", "OutputReadError": "cleaner.run.output", "read_output": "cleaner.run.output",
}
__all__ = [
    "Cleaned",
    "Cleaner",
    "CleanerError",
    "DocumentTooSlow",
    "HtmlOptions",
    "Notice",
    "Options",
    "Output",
    "OutputReadError",
    "PageTooLarge",
    "Record",
    "Removal",
    "RuleError",
    "RuleSet",
    "RuleTooSlow",
    "clean",
    "load_rules",
    "read_output",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'cleaner' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # found once; later lookups are plain module attributes
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
