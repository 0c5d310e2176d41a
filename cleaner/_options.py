"""Every option of every command, declared once: the command line is built from it (cleaner/cli.py), the
settings file is checked against it (cleaner/_config.py), the library takes the same names
(:class:`cleaner.Cleaner`), and docs/options.md is written from it.

A leaf: it imports nothing of the package, so every surface can import it and ``cleaner --help`` stays light.
An option's name is its long command-line name (``max-reject-rate``), which is also its key in
``cleaner.toml``; :attr:`Option.attr` (``max_reject_rate``) is its name in Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Kind(Enum):
    """What an option's value is."""

    FLAG = "flag"  # true or false; on the command line, present or absent
    COUNT = "count"  # -v, -vv: how often it is given
    WHOLE = "whole"  # a whole number within bounds
    NUMBER = "number"  # a finite number within bounds
    TEXT = "text"
    PATH = "path"  # a local file
    LOCATION = "location"  # a local folder, or an object-storage URL (s3://, gs://, az://)
    CHOICE = "choice"


#: The library's counterparts of commands (see :attr:`Command.library`), as ``module:name``.
CLEANER = "cleaner._api:Cleaner"
JOB = "cleaner.run.shard:JobSettings.from_options"
RUN_BATCH = "cleaner.run.batch:run_batch"
SHOW_OPTIONS = "cleaner._show:ShowOptions"


class WrongType(ValueError):
    """A settings file's value of another kind than the option takes (a list, a table, true for a number)."""


def _whole(number: float) -> int:
    if not number.is_integer():
        raise ValueError(number)
    return int(number)


@dataclass(frozen=True)
class Option:
    """One option: its long name, what it takes, its default and its help, as every surface shows them."""

    name: str
    kind: Kind
    help: str
    default: Any = None
    #: Bounds of a number (inclusive).
    least: float = -math.inf
    most: float = math.inf
    choices: tuple[str, ...] = ()
    #: Given several times on the command line (``--rules a --rules b``); a list in the settings file, which
    #: the command line's values extend.
    repeatable: bool = False
    metavar: str | None = None
    short: str | None = None
    #: The default in words where the value itself would not say it (``all cores``).
    default_text: str | None = None
    #: The section of ``--help`` it is listed in.
    group: str = "options"
    required: bool = False
    #: A key of the settings file; only ``--config`` itself is not.
    config: bool = True

    @property
    def attr(self) -> str:
        return self.name.replace("-", "_")

    @property
    def flag(self) -> str:
        return f"--{self.name}"

    def expected(self) -> str:
        """What the option takes, in words: errors and the options reference say it."""
        if self.kind is Kind.FLAG:
            return "true or false"
        if self.kind is Kind.CHOICE:
            return f"one of {', '.join(self.choices)}"
        if self.kind is Kind.COUNT:
            return "a whole number, at least 0"
        if self.kind in (Kind.WHOLE, Kind.NUMBER):
            what = "a whole number" if self.kind is Kind.WHOLE else "a finite number"
            if self.most != math.inf:
                return f"a number between {self.least:g} and {self.most:g}"
            return f"{what}, at least {self.least:g}" if self.least != -math.inf else what
        return "a path or URL" if self.kind is Kind.LOCATION else "a path" if self.kind is Kind.PATH else "text"

    def parse(self, value: Any) -> Any:
        """``value`` (command-line text, or a settings file's value) as this option's type, checked; ValueError
        (:class:`WrongType` for a value of another kind) says what was expected and what was given."""
        if self.repeatable:
            items = value if isinstance(value, list | tuple) else [value]
            if not all(isinstance(item, str) for item in items):
                raise WrongType(f"must be a list of strings, got {value!r}")
            return [self.parse_one(item) for item in items]
        return self.parse_one(value)

    def parse_one(self, value: Any) -> Any:
        """One value: text from the command line, or a settings file's value (a number is read as its text, as
        on the command line, so both say the same of it)."""
        if self.kind is Kind.FLAG:
            if not isinstance(value, bool):
                raise WrongType(f"must be true or false, got {value!r}")
            return value
        if isinstance(value, bool) or not isinstance(value, str | int | float):  # a list, a table, true
            raise WrongType(f"must be {self.expected()}, got {value!r}")
        text = value if isinstance(value, str) else str(value)
        if self.kind in (Kind.WHOLE, Kind.NUMBER, Kind.COUNT):
            return self._number(text)
        if self.kind is Kind.CHOICE and text not in self.choices:
            raise ValueError(f"must be {self.expected()}, got {text!r}")
        return text

    def _number(self, text: str) -> int | float:
        try:
            number: int | float = float(text)
            if self.kind is not Kind.NUMBER:  # "1e5" and "3.0" are whole; "2.5" is not
                number = int(text) if text.strip().lstrip("+-").isdigit() else _whole(number)
        except (ValueError, OverflowError):
            raise ValueError(f"must be {self.expected()}, got {text!r}") from None
        least = 0 if self.kind is Kind.COUNT else self.least
        if not math.isfinite(number) or not least <= number <= self.most:
            # A number out of bounds is told its bounds ("between 0 and 1"), as a word where a number belongs
            # is told the type.
            bound = self.expected().removeprefix("a number ")
            raise ValueError(f"must be {bound}, got {text!r}")
        return number

    def default_shown(self) -> str | None:
        """The default as ``--help`` and the reference show it; None where there is nothing to say."""
        if self.default_text is not None:
            return self.default_text
        if self.default is None or self.default is False or self.repeatable:
            return None
        return f"{self.default:g}" if isinstance(self.default, float) else str(self.default)


@dataclass(frozen=True)
class Argument:
    """A positional argument: what a command works on (not a setting, so not a key of the settings file)."""

    name: str
    help: str = ""
    metavar: str | None = None
    #: 1: exactly one; "+": one or more; "*": any number.
    nargs: int | str = 1
    kind: Kind = Kind.TEXT

    @property
    def attr(self) -> str:
        return self.name.replace("-", "_")


@dataclass(frozen=True)
class Command:
    """A command (``clean``) or a sub-command (``rules suggest``) with its arguments and options."""

    path: tuple[str, ...]
    help: str
    description: str = ""
    arguments: tuple[Argument, ...] = ()
    options: tuple[Option, ...] = ()
    #: Options that cannot be given together.
    exclusive: tuple[tuple[str, ...], ...] = ()
    #: The library's counterparts (``module:name``), which take this command's options as keyword arguments of
    #: the same names (:attr:`Option.attr`) with the same defaults; none where the command has none.
    library: tuple[str, ...] = ()
    #: The options of a command with a library counterpart that none of them takes, each with the reason.
    cli_only: tuple[tuple[str, str], ...] = ()
    #: The counterparts' keyword arguments that are no option, each with the reason.
    library_only: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        return " ".join(self.path)

    def option(self, name: str) -> Option:
        return next(o for o in self.options if o.name == name)


# --- option groups shared by several commands -----------------------------------------------------------------

RULES = "rules"
RULE_OPTIONS = (
    Option("rules", Kind.PATH, "a rule file or a folder of *.toml rule files, added to the built-in ones",
           default=(), repeatable=True, metavar="PATH", group=RULES),
    Option("disable", Kind.TEXT, "switch off a rule by id, e.g. WEB006", default=(), repeatable=True,
           metavar="ID", group=RULES),
    Option("no-builtin-rules", Kind.FLAG, "use only the rule files given with --rules", default=False,
           group=RULES),
)

#: The input formats (the readers' FORMATS; a test holds them equal).
FORMATS = ("text", "jsonl", "json", "html", "warc", "parquet")
INPUT = "input"
READ_OPTIONS = (
    Option("format", Kind.CHOICE, "read every input as this format", choices=FORMATS, default_text="detect",
           metavar="FORMAT", group=INPUT),
    Option("id-field", Kind.TEXT, "JSON/Parquet field holding the document id", default="id", group=INPUT),
    Option("text-field", Kind.TEXT, "JSON/Parquet field holding the text", default="text", group=INPUT),
    Option("url-field", Kind.TEXT, "JSON/Parquet field holding the URL", default="url", group=INPUT),
    Option("max-document-mb", Kind.NUMBER, "reject a single document larger than this many MiB", default=64.0,
           least=0.001, group=INPUT),
    Option("max-html-elements", Kind.WHOLE, "reject an HTML page whose tree holds more elements than this: "
           "extraction time grows about quadratically with them", default=30_000, least=1, metavar="N",
           group=INPUT),
    Option("max-html-attributes", Kind.WHOLE, "reject an HTML page with an element of more attributes than "
           "this, counted before parsing: parse time grows with their square", default=1_000, least=1,
           metavar="N", group=INPUT),
    Option("keep-comments", Kind.FLAG, "HTML: also keep the comment section trafilatura finds, as a record of "
           "kind 'comments'", default=False, group=INPUT),
    Option("drop-comments", Kind.FLAG, "remove reader comments that comment layouts find in the text, instead "
           "of making each one a record of kind 'comments'", default=False, group=INPUT),
)

SITE = "site repetition (struct:site-repeat)"
SITE_MIN_OPTIONS = (
    Option("site-min-pages", Kind.WHOLE, "a host needs at least N pages before its repeated lines count",
           default=10, least=2, metavar="N", group=SITE),
    Option("site-min-share", Kind.NUMBER, "a line must be on at least this share of its host's pages",
           default=0.5, least=0.0, most=1.0, metavar="SHARE", group=SITE),
)
SITE_PROFILE = Option(
    "site-profile", Kind.PATH, "remove the repeated lines of this host profile ('cleaner profile build'); "
    "clean then does not count them in its inputs", metavar="FILE", group=SITE)
NO_SITE_REPEAT = Option(
    "no-site-repeat", Kind.FLAG, "do not count lines repeated across the pages of a host, nor remove them "
    "(same as --disable struct:site-repeat)", default=False, group=SITE)

THRESHOLD = Option(
    "dedup-threshold", Kind.NUMBER, "estimated Jaccard similarity at which two records are duplicates "
    "(candidates are found reliably from about 0.7)", default=0.8, least=0.0, most=1.0, metavar="J",
    group="learning and duplicates")

LEARNING = "learning and duplicates"
#: The defaults are those of cleaner.core.corpus.Thresholds (a test holds them equal).
LEARN_OPTIONS = (
    Option("min-docs", Kind.WHOLE, "a line must recur in at least this many documents", default=5, least=1,
           group=LEARNING),
    Option("min-share", Kind.NUMBER, "... and in at least this share of its host's (or input's) documents, or "
           "of all documents", default=0.01, least=0.0, most=1.0, group=LEARNING),
    Option("per-host", Kind.FLAG, "scope each learned rule to the hosts it was seen on (domains = [...])",
           default=False, group=LEARNING),
)


def _workers(help: str, group: str = "options") -> Option:
    return Option("workers", Kind.WHOLE, help, least=1, default_text="all cores", group=group)


LEARNED_RULES = "learned-rules.toml"
RUN = "execution"
INPUTS = Argument("inputs", "files, folders (recursive) or glob patterns", metavar="INPUT", nargs="+")

CLEAN = Command(
    ("clean",), "clean dumps (text, JSON lines, HTML, WARC, Parquet; gzip/zstd) into Parquet",
    "Clean every document of the inputs. Output: OUT/records/*.parquet, OUT/rejects/*.parquet, "
    "OUT/manifest.json. An interrupted run resumes when the same command is run again.",
    arguments=(Argument("inputs", "files, folders (recursive) or glob patterns; '-' is standard input "
                        "(with --out -)", metavar="INPUT", nargs="+"),),
    options=(
        Option("out", Kind.LOCATION, "output folder, or a URL in object storage (s3://bucket/clean/, gs://, "
               "az://); '-' writes records as JSON lines to standard output instead (in this process, no "
               "resume), and INPUT '-' then reads standard input", required=True, group=RUN),
        *RULE_OPTIONS, *READ_OPTIONS, NO_SITE_REPEAT, SITE_PROFILE, *SITE_MIN_OPTIONS,
        _workers("worker processes; output is the same for any number", RUN),
        Option("executor", Kind.CHOICE, "'ray' runs shards on a Ray cluster (pip install 'cleaner[ray]')",
               default="local", choices=("local", "ray"), group=RUN),
        Option("ray-address", Kind.TEXT, "address of a running Ray cluster", default_text="start one locally",
               group=RUN),
        Option("shard-mb", Kind.NUMBER, "input per shard, in MiB", default=64.0, least=0.01, group=RUN),
        Option("part-mb", Kind.NUMBER, "text, or memory its rows hold, per Parquet part file before rolling "
               "over, in MiB", default=32.0, least=0.01, group=RUN),
        Option("row-group-rows", Kind.WHOLE, "rows per Parquet row group", default=65_536, least=1, metavar="N",
               group=RUN),
        Option("time-budget", Kind.NUMBER, "seconds a document of up to 4 MiB may take, every stage counted "
               "(decoding, HTML extraction, rules); a larger one gets as much per 4 MiB. A slower one is "
               "rejected whole, with the stage it was in", default=2.0, least=0.001, metavar="SECONDS",
               group=RUN),
        Option("removals", Kind.FLAG, "also write every removed span with its rule id to OUT/removals/",
               default=False, group=RUN),
        Option("overwrite", Kind.FLAG, "discard an earlier run in OUT instead of resuming", default=False,
               group=RUN),
        Option("max-reject-rate", Kind.NUMBER, "fail the run (exit 1) when more than this share of the "
               "documents read is rejected, e.g. a wrong --format (1 never fails)", default=0.5, least=0.0,
               most=1.0, metavar="SHARE", group=RUN),
        Option("max-empty-rate", Kind.NUMBER, "fail the run (exit 1) when more than this share of the "
               "documents read is left with nothing to keep, e.g. a rule that matches every line (1 never "
               "fails)", default=0.5, least=0.0, most=1.0, metavar="SHARE", group=RUN),
        Option("quiet", Kind.FLAG, "print only failures", default=False, short="-q", group=RUN),
        Option("strict", Kind.FLAG, "refuse to run when an example of a --rules file fails (default: warn and "
               "run)", default=False, group=RUN),
        Option("learn", Kind.FLAG, "first run 'rules suggest' on the inputs and apply what it finds as its own "
               f"rule file, OUT/{LEARNED_RULES}", default=False, group=LEARNING),
        *LEARN_OPTIONS,
        Option("dedup", Kind.FLAG, "after the run, mark near duplicates (columns dup_cluster, duplicate); see "
               "'dedup'", default=False, group=LEARNING),
        THRESHOLD,
    ),
    library=(JOB, RUN_BATCH),
    cli_only=(*((name, "run_batch is given the Executor these choose (InProcessExecutor, ProcessExecutor(workers), "
                "RayExecutor)") for name in ("workers", "executor", "ray-address")),
              ("shard-mb", "run_batch takes shard_bytes"),
              ("quiet", "what the command prints"),
              ("strict", "the command checks the examples of added rule files before the run"),
              *((name, "the command runs 'rules suggest' first with these and adds the rule file it writes")
                for name in ("learn", "min-docs", "min-share", "per-host")),
              *((name, "the command runs 'dedup' after the run (cleaner.run.dedup.dedup)")
                for name in ("dedup", "dedup-threshold"))),
    library_only=(("inputs", "the command's INPUT arguments"), ("settings", "the JobSettings from_options makes"),
                  ("executor", "the Executor object that the workers and executor options choose"),
                  ("shard_bytes", "the shard-mb option in bytes"),
                  *((name, "progress callbacks") for name in ("on_start", "on_shard", "on_progress"))),
)

EXPLAIN = Command(
    ("explain",), "show the records of one file and every removal with its rule",
    arguments=(Argument("file", kind=Kind.PATH),),
    options=(
        Option("url", Kind.TEXT, "the page's URL, for domain-scoped rules"),
        Option("full", Kind.FLAG, "print whole texts instead of their first lines", default=False),
        *RULE_OPTIONS, *READ_OPTIONS, SITE_PROFILE, *SITE_MIN_OPTIONS,
    ),
    library=(CLEANER,),
    cli_only=(("url", "the library takes it per document: Cleaner.process(url=...)"),
              ("full", "how explain prints; the library returns whole records"),
              *((name, "the library is given each document's text or HTML, not files to read")
                for name in ("format", "id-field", "text-field", "url-field", "max-document-mb"))),
    library_only=(("builtin", "the older form of no_builtin_rules"),
                  ("options", "engine settings as an object (Options); drop_comments is the option"),
                  ("html_options", "trafilatura settings as an object (HtmlOptions); keep_comments and "
                   "max_html_* are the options")),
)

PROFILE_BUILD = Command(
    ("profile", "build"), "count the lines repeated across the pages of each host of a dump into a profile (JSON)",
    "Counts, per host (the documents' URLs), the lines on many of its pages, and writes them with their counts: "
    "'clean --site-profile' and Cleaner(site_profile=...) remove them.",
    arguments=(INPUTS,),
    options=(Option("out", Kind.PATH, "the profile file to write (JSON)", required=True), *READ_OPTIONS,
             *SITE_MIN_OPTIONS),
)

RULES_LIST = Command(("rules", "list"), "id, kind, purpose and file of every rule", options=RULE_OPTIONS)
RULES_TEST = Command(("rules", "test"), "run every rule's examples and check what remains of each",
                     options=RULE_OPTIONS)
RULES_CHECK = Command(
    ("rules", "check"), "find rules that would empty documents or slow a run, before a run",
    "Measures every line rule a --rules file adds (every active rule with --all) on a sample: the documents of "
    "INPUT (the first --sample of them), else a built-in sample of varied lines, plus lines built to make "
    "patterns backtrack. Flags over-broad rules (matching most lines of most documents) and slow ones, with the "
    "cost measured. Exit 1 when one is found.",
    arguments=(Argument("inputs", "files to take sample documents from", metavar="INPUT", nargs="*"),),
    options=(Option("all", Kind.FLAG, "check the built-in rules too", default=False),
             Option("sample", Kind.WHOLE, "documents to take from the inputs", default=200, least=1, metavar="N"),
             *RULE_OPTIONS, *READ_OPTIONS),
)
RULES_SUGGEST = Command(
    ("rules", "suggest"), "learn rules from a dump: lines recurring across many documents that no rule removes",
    "Reads the inputs as 'clean' does, cleans them with the active rules and writes rule-file entries for the "
    "short lines that recur across many documents of one host (or input file) or of the whole corpus. "
    "Near-duplicate documents (syndicated copies) count once.",
    arguments=(INPUTS,),
    options=(*LEARN_OPTIONS,
             Option("out", Kind.PATH, "write the rule file here", default_text="print it"),
             _workers("processes cleaning the input; the result is the same for any"),
             *RULE_OPTIONS, *READ_OPTIONS),
)
RULES_SHOW = Command(("rules", "show"), "explain one rule: what it matches, where, examples",
                     arguments=(Argument("rule_id"),), options=RULE_OPTIONS)
RULE = Command(("rule",), "same as 'rules show ID'", arguments=(Argument("rule_id"),), options=RULE_OPTIONS)

DEDUP = Command(
    ("dedup",), "mark or drop near duplicates in an output folder (MinHash + LSH)",
    "Clusters the records of OUT by estimated Jaccard similarity of their 5-word shingles. Every record gets "
    "dup_cluster (the content_hash of its cluster's kept record) and duplicate; the kept record is the longest, "
    "ties going to the earliest in input order. Report: OUT/dedup.json.",
    arguments=(Argument("out", kind=Kind.LOCATION),),
    options=(Option("drop", Kind.FLAG, "remove the duplicates instead of marking them", default=False),
             THRESHOLD),
)

SHOW = Command(
    ("show",), "print the first records of an output folder: kind, title, source, time, first words",
    "Prints the first records of an output folder (by document id, then record index), like head: per record "
    "its kind, title, source, time and the first words of its text, then the counts of the manifest.",
    arguments=(Argument("out", "output folder or URL", kind=Kind.LOCATION),),
    options=(Option("limit", Kind.WHOLE, "show the first N records", default=20, least=1, short="-n",
                    metavar="N"),
             Option("full", Kind.FLAG, "print every record's whole text", default=False),
             Option("json", Kind.FLAG, "write the records as JSON lines, every column (as 'clean --out -' "
                    "streams them)", default=False)),
    exclusive=(("full", "json"),),
    library=(SHOW_OPTIONS,),
)

EVAL = Command(
    ("eval",), "measure extraction quality on the evaluation sets",
    arguments=(Argument("data", "folder holding scrapinghub-aeb/ and/or wcxb-dev/", kind=Kind.PATH),),
    options=(Option("limit", Kind.WHOLE, "only the first N pages of each set", metavar="N"),
             Option("json", Kind.PATH, "also write the figures to this file")),
)

COMMANDS: tuple[Command, ...] = (CLEAN, EXPLAIN, PROFILE_BUILD, RULES_LIST, RULES_TEST, RULES_CHECK, RULES_SUGGEST,
                                 RULES_SHOW, RULE, DEDUP, SHOW, EVAL)

#: Help of the commands that only group sub-commands.
GROUPS = {"profile": "host profiles: the lines repeated across a host's pages", "rules": "list, test or show rules"}

#: Options of the program itself, given before the command.
GLOBAL_OPTIONS = (
    Option("config", Kind.PATH, "settings file", metavar="FILE", config=False,
           default_text="./cleaner.toml, else [tool.cleaner] in ./pyproject.toml"),
    Option("verbose", Kind.COUNT, "log what the run does (-v: progress notes, -vv: debugging detail)", default=0,
           short="-v"),
    Option("log-file", Kind.PATH, "also write the log, at debugging detail, to FILE", metavar="FILE"),
)


def command(name: str) -> Command:
    """The command named ``name`` (``"rules suggest"``)."""
    return next(c for c in COMMANDS if c.name == name)


def config_keys() -> dict[str, list[tuple[str, Option]]]:
    """Every key of the settings file, with each (command, option) it sets ("" is the program itself)."""
    keys: dict[str, list[tuple[str, Option]]] = {}
    for name, options in [("", GLOBAL_OPTIONS), *((c.name, c.options) for c in COMMANDS)]:
        for option in options:
            if option.config:
                keys.setdefault(option.name, []).append((name, option))
    return keys


@dataclass
class Settings:
    """A settings file, checked: per command (by :attr:`Command.name`, "" for the program itself), the values
    it gives that command's options, by option name (from the top level, or the command's own table)."""

    source: str = ""
    values: dict[str, dict[str, Any]] = field(default_factory=dict)

    def value(self, command_name: str, option: Option) -> Any:
        """The file's value of ``option`` for the command, or :data:`UNSET`."""
        return self.values.get(command_name, {}).get(option.name, UNSET)


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def resolve(options: tuple[Option, ...], given: dict[str, Any], settings: Settings, command_name: str
            ) -> dict[str, Any]:
    """Each option's value: the command line's (``given``, by :attr:`Option.attr`), else the settings file's,
    else the default. A repeatable option's command-line values extend the file's list."""
    values: dict[str, Any] = {}
    for option in options:
        from_file = settings.value(command_name, option)
        from_line = given.get(option.attr, UNSET)
        if option.repeatable:
            values[option.attr] = [*(from_file if from_file is not UNSET else option.default),
                                   *(from_line if from_line is not UNSET else ())]
        elif from_line is not UNSET:
            values[option.attr] = from_line
        else:
            values[option.attr] = from_file if from_file is not UNSET else option.default
    return values


def reference() -> str:
    """docs/options.md: every option of every command, as the schema declares it (a test holds them equal)."""
    out = [
        "# Options", "",
        "<!-- Written from cleaner/_options.py by `python -m cleaner._options > docs/options.md`; the suite checks "
        "that it matches. -->", "",
        "Every option of every command, declared once in `cleaner/_options.py`: the command line is built from it, "
        "the settings file is checked against it, and the library takes the same options by the same names "
        "(with `_` for `-`) and defaults.", "",
        "**The settings file** is `./cleaner.toml`, or `[tool.cleaner]` in `./pyproject.toml`, or the file named "
        "with `--config FILE`. Every option below but `--config` is a key of it, with the same name, type and "
        "default. A key at the top level sets the option for every command that has it; a command's own table "
        "(`[commands.dedup]`, `[commands.rules.suggest]`) sets it for that command only, over the top level. The "
        "settings "
        "are defaults: the command line wins, and the values of a repeatable option given on the command line "
        "are added to the file's list. An unknown key is an error naming the file, the key and the known keys "
        "closest to it; a value of the wrong type names the file, the key, the type it takes and the value given.",
        "",
        "```toml", "# cleaner.toml", 'rules = ["team-rules/"]', 'disable = ["WEB006"]', "workers = 8",
        "max-reject-rate = 0.2", "", "[commands.dedup]", "dedup-threshold = 0.7", "```", "",
        "## The program", "", "Given before the command: `cleaner -v clean ...`.", "",
        *_table(GLOBAL_OPTIONS, None),
    ]
    for spec in COMMANDS:
        usage = " ".join(["cleaner", *spec.path, *(_usage(a) for a in spec.arguments)])
        about = _md(spec.description or spec.help[0].upper() + spec.help[1:])
        out += ["", f"## `cleaner {spec.name}`", "", about, "",
                f"`{usage} [OPTIONS]`", ""]
        if spec.library:
            names = ", ".join(f"`{target.partition(':')[2]}` (`{target.partition(':')[0]}`)"
                              for target in spec.library)
            out += [f"The library takes these options as keyword arguments of {names}.", ""]
        out += _table(spec.options, spec)
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    """Text as Markdown shows it as written: ``*.toml`` is no emphasis."""
    return text.replace("*", "\\*")


def _usage(argument: Argument) -> str:
    name = argument.metavar or argument.name.upper()
    return {1: name, "+": f"{name}...", "*": f"[{name}...]"}[argument.nargs]


def _table(options: tuple[Option, ...], spec: Command | None) -> list[str]:
    library = spec is not None and bool(spec.library)
    cli_only = dict(spec.cli_only) if spec is not None else {}
    rows = ["| option | takes | default | what it does |" + (" library |" if library else ""),
            "|---|---|---|---|" + ("---|" if library else "")]
    for option in options:
        names = ", ".join(f"`{n}`" for n in (option.short, option.flag) if n)
        takes = option.expected() + (", repeatable" if option.repeatable else "")
        default = "required" if option.required else option.default_shown() or (
            "false" if option.kind is Kind.FLAG else "none")
        row = f"| {names} | {takes} | {default} | {_md(option.help)} |"
        if library:
            row += f" `{option.attr}` |" if option.name not in cli_only else f" none: {cli_only[option.name]} |"
        rows.append(row)
    return rows


if __name__ == "__main__":
    print(reference(), end="")
