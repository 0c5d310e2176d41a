"""cleaner: strips aggregator junk from scraped articles and splits out the articles they embed.

>>> import cleaner
>>> records = cleaner.clean(text)                       # built-in rules
>>> c = cleaner.Cleaner(rules="my_rules/", disable=["WEB006"])
>>> c.clean(text, doc_id="page-1", url="https://example.com/a")
>>> cleaner.read_output("out/demo").records.collect()   # a batch run's output, as lazy polars frames
"""

from cleaner._api import Cleaner, clean
from cleaner.core.engine import Options
from cleaner.core.errors import CleanerError, DocumentTooSlow, PageTooLarge, RuleError
from cleaner.core.records import Cleaned, Notice, Record, Removal
from cleaner.core.rules import RuleSet
from cleaner.io.html import HtmlOptions
from cleaner.io.rulefiles import load_rules
from cleaner.run.output import Output, OutputReadError, read_output  # polars loads on the first call

__version__ = "0.1.0"
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
    "clean",
    "load_rules",
    "read_output",
]
