"""The ``cleaner`` command line.

Exit codes: 0 done; 1 the run finished but some shards failed (run again to redo them) or rule
examples failed; 2 bad usage, bad rules or inputs that name nothing; 130 interrupted (resumable); 141 the
reader of standard output closed it (`| head`).
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from cleaner.core.errors import CleanerError
from cleaner.io.readers import FORMATS, ReadOptions

if TYPE_CHECKING:
    from cleaner.core.siterepeat import SiteRepeatSettings
    from cleaner.io.html import HtmlOptions
    from cleaner.run.shard import JobSettings

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
#: The run finished and wrote everything readable, but inputs held damaged bytes it had to skip (counted in
#: the manifest's "damaged", each range a reject row): not a failure to redo, but not everything either.
EXIT_DATA_LOST = 3
#: The reader of standard output closed it (`| head`): 128 + SIGPIPE, as a shell reports a process it stopped.
EXIT_BROKEN_PIPE = 141
MIB = 1024 * 1024


def _rule_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("rules")
    group.add_argument("--rules", action="append", default=[], metavar="PATH",
                       help="a rule file or a folder of *.toml rule files, added to the built-in ones (repeatable)")
    group.add_argument("--disable", action="append", default=[], metavar="ID",
                       help="switch off a rule by id, e.g. WEB006 (repeatable)")
    group.add_argument("--no-builtin-rules", action="store_true", help="use only the rule files given with --rules")


def _site_options(parser: argparse.ArgumentParser, *, counting: bool = True) -> None:
    group = parser.add_argument_group("site repetition (struct:site-repeat)")
    if counting:
        group.add_argument("--no-site-repeat", action="store_true",
                           help="do not count lines repeated across the pages of a host, nor remove them "
                                "(same as --disable struct:site-repeat)")
    group.add_argument("--site-profile", type=Path, metavar="FILE",
                       help="remove the repeated lines of this host profile ('cleaner profile build') "
                            + ("instead of counting them in the inputs" if counting else ""))
    group.add_argument("--site-min-pages", type=_at_least(2), default=10, metavar="N",
                       help="a host needs at least N pages before its repeated lines count (default: 10)")
    group.add_argument("--site-min-share", type=_share, default=0.5, metavar="SHARE",
                       help="a line must be on at least this share of its host's pages (default: 0.5)")


def _site_settings(args: argparse.Namespace) -> SiteRepeatSettings:
    from cleaner.core.siterepeat import SiteRepeatSettings

    try:
        return SiteRepeatSettings(enabled=not getattr(args, "no_site_repeat", False),
                                  min_pages=int(args.site_min_pages), min_share=float(args.site_min_share))
    except ValueError as exc:
        raise CleanerError(str(exc)) from None


def _site_profile(args: argparse.Namespace) -> str | None:
    """The JSON of the profile given with --site-profile, checked, or None."""
    from cleaner.core.siterepeat import ProfileError, SiteProfile

    if args.site_profile is None:
        return None
    try:
        text = args.site_profile.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CleanerError(f"{args.site_profile}: cannot read the site profile ({exc})") from None
    try:
        SiteProfile.from_json(text, name=str(args.site_profile))
    except ProfileError as exc:
        raise CleanerError(str(exc)) from None
    return text


def _read_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("input")
    group.add_argument("--format", choices=FORMATS, help="read every input as this format (default: detect)")
    group.add_argument("--id-field", default="id", help="JSON/Parquet field holding the document id (default: id)")
    group.add_argument("--text-field", default="text", help="JSON/Parquet field holding the text (default: text)")
    group.add_argument("--url-field", default="url", help="JSON/Parquet field holding the URL (default: url)")
    group.add_argument("--max-document-mb", type=_at_least(0.001), default=64.0,
                       help="reject a single document larger than this many MiB (default: 64)")
    group.add_argument("--max-html-elements", type=_at_least(1), default=30_000, metavar="N",
                       help="reject an HTML page whose tree holds more elements than this: extraction time grows "
                            "about quadratically with them (default: 30000)")
    group.add_argument("--max-html-attributes", type=_at_least(1), default=1_000, metavar="N",
                       help="reject an HTML page with an element of more attributes than this, counted before "
                            "parsing: parse time grows with their square (default: 1000)")
    group.add_argument("--keep-comments", action="store_true",
                       help="HTML: also keep the comment section trafilatura finds, as a record of kind 'comments'")
    group.add_argument("--drop-comments", action="store_true",
                       help="remove reader comments that comment layouts find in the text, instead of making "
                            "each one a record of kind 'comments'")


LEARNED_RULES = "learned-rules.toml"


def _threshold_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument("--dedup-threshold", type=_share, default=0.8, metavar="J",
                        help="estimated Jaccard similarity at which two records are duplicates (default: 0.8; "
                             "candidates are found reliably from about 0.7)")


def _learn_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    from cleaner.core.corpus import Thresholds

    default = Thresholds()
    parser.add_argument("--min-docs", type=int, default=default.min_docs,
                        help=f"a line must recur in at least this many documents (default: {default.min_docs})")
    parser.add_argument("--min-share", type=_share, default=default.min_share,
                        help="... and in at least this share of its host's (or input's) documents, or of all "
                             f"documents (default: {default.min_share})")
    parser.add_argument("--per-host", action="store_true",
                        help="scope each learned rule to the hosts it was seen on (domains = [...])")


def _location(value: str) -> Path | str:
    """A folder as a Path (``file://`` URLs too); an object-storage URL (s3://, gs://, az://) as it is."""
    from cleaner.io.storage import check_scheme, is_remote, local_path

    check_scheme(value)
    return value if is_remote(value) else Path(local_path(value))


def _number(least: float, most: float = math.inf):  # type: ignore[no-untyped-def]
    """An argparse type: a finite number between ``least`` and ``most``; nan, inf and numbers outside are usage
    errors."""
    bound = f"a finite number, at least {least:g}" if most == math.inf else f"between {least:g} and {most:g}"
    expected = bound if most == math.inf else f"a number {bound}"

    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {expected}, got {value!r}") from None
        if not math.isfinite(number) or not least <= number <= most:
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value!r}")
        return number

    parse.expected = expected  # type: ignore[attr-defined]  # what a settings file's error names
    return parse


def _count(least: int):  # type: ignore[no-untyped-def]
    """An argparse type: a whole number, at least ``least`` (worker counts)."""
    expected = f"a whole number, at least {least}"

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {expected}, got {value!r}") from None
        if number < least:
            raise argparse.ArgumentTypeError(f"must be {expected}, got {value!r}")
        return number

    parse.expected = expected  # type: ignore[attr-defined]
    return parse


def _at_least(least: float):  # type: ignore[no-untyped-def]
    """A size (MiB), a count or seconds: at least ``least``, so 0 and negatives are usage errors."""
    return _number(least)


#: A share of something, between 0 and 1.
_share = _number(0.0, 1.0)


def build_parser(config: tuple[dict, str] | None = None) -> argparse.ArgumentParser:
    """The parser; ``config`` (settings and their file) gives the options' defaults."""
    parser = argparse.ArgumentParser(
        prog="cleaner",
        description="Strip aggregator junk from scraped articles, split out the articles they embed, "
                    "and write clean records to Parquet.",
        epilog="Settings a team shares can live in ./cleaner.toml or [tool.cleaner] of ./pyproject.toml: "
               "long option names as keys (workers = 4, disable = [\"WEB006\"]).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("--config", metavar="FILE",
                        help="settings file (default: ./cleaner.toml, else [tool.cleaner] in ./pyproject.toml)")
    parser.add_argument("--verbose", "-v", action="count", default=0,
                        help="log what the run does (-v: progress notes, -vv: debugging detail)")
    parser.add_argument("--log-file", metavar="FILE", help="also write the log, at debugging detail, to FILE")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    clean = commands.add_parser(
        "clean", help="clean dumps (text, JSON lines, HTML, WARC, Parquet; gzip/zstd) into Parquet",
        description="Clean every document of the inputs. Output: OUT/records/*.parquet, OUT/rejects/*.parquet, "
                    "OUT/manifest.json. An interrupted run resumes when the same command is run again.")
    clean.add_argument("inputs", nargs="+", metavar="INPUT",
                       help="files, folders (recursive) or glob patterns; '-' is standard input (with --out -)")
    clean.add_argument("--out", required=True, type=_location,
                       help="output folder, or a URL in object storage (s3://bucket/clean/, gs://, az://); "
                            "'-' writes records as JSON lines to standard output instead (in this "
                            "process, no resume), and INPUT '-' then reads standard input")
    _rule_options(clean)
    _read_options(clean)
    _site_options(clean)
    run = clean.add_argument_group("execution")
    run.add_argument("--workers", type=_count(1), default=os.cpu_count() or 1,
                     help="worker processes (default: all cores); output is the same for any number")
    run.add_argument("--executor", choices=("local", "ray"), default="local",
                     help="'ray' runs shards on a Ray cluster (pip install 'cleaner[ray]')")
    run.add_argument("--ray-address", help="address of a running Ray cluster (default: start one locally)")
    run.add_argument("--shard-mb", type=_at_least(0.01), default=64.0, help="input per shard, in MiB (default: 64)")
    run.add_argument("--part-mb", type=_at_least(0.01), default=32.0,
                     help="text, or memory its rows hold, per Parquet part file before rolling over, in MiB "
                          "(default: 32)")
    run.add_argument("--row-group-rows", type=_at_least(1), default=65_536, metavar="N",
                     help="rows per Parquet row group (default: 65536)")
    run.add_argument("--time-budget", type=_at_least(0.001), default=2.0, metavar="SECONDS",
                     help="seconds a document of up to 4 MiB may take, every stage counted (decoding, HTML "
                          "extraction, rules); a larger one gets as much per 4 MiB. A slower one is rejected "
                          "whole, with the stage it was in (default: 2)")
    run.add_argument("--removals", action="store_true",
                     help="also write every removed span with its rule id to OUT/removals/")
    run.add_argument("--overwrite", action="store_true", help="discard an earlier run in OUT instead of resuming")
    run.add_argument("--max-reject-rate", type=_share, default=0.5, metavar="SHARE",
                     help="fail the run (exit 1) when more than this share of the documents read is rejected, "
                          "e.g. a wrong --format (0..1, default: 0.5; 1 never fails)")
    run.add_argument("--max-empty-rate", type=_share, default=0.5, metavar="SHARE",
                     help="fail the run (exit 1) when more than this share of the documents read is left with "
                          "nothing to keep, e.g. a rule that matches every line (0..1, default: 0.5; 1 never fails)")
    run.add_argument("--quiet", "-q", action="store_true", help="print only failures")
    run.add_argument("--strict", action="store_true",
                     help="refuse to run when an example of a --rules file fails (default: warn and run)")
    learning = clean.add_argument_group("learning and duplicates")
    learning.add_argument("--learn", action="store_true",
                          help="first run 'rules suggest' on the inputs and apply what it finds as its own rule "
                               f"file, OUT/{LEARNED_RULES}")
    _learn_options(learning)
    learning.add_argument("--dedup", action="store_true",
                          help="after the run, mark near duplicates (columns dup_cluster, duplicate); see 'dedup'")
    _threshold_option(learning)

    explain = commands.add_parser("explain", help="show the records of one file and every removal with its rule")
    explain.add_argument("file", type=Path)
    explain.add_argument("--url", help="the page's URL, for domain-scoped rules")
    explain.add_argument("--full", action="store_true", help="print whole texts instead of their first lines")
    _rule_options(explain)
    _read_options(explain)
    _site_options(explain, counting=False)

    profile = commands.add_parser("profile", help="host profiles: the lines repeated across a host's pages")
    profile_commands = profile.add_subparsers(dest="profile_command", required=True, metavar="COMMAND")
    build = profile_commands.add_parser(
        "build", help="count the lines repeated across the pages of each host of a dump into a profile (JSON)",
        description="Counts, per host (the documents' URLs), the lines on many of its pages, and writes them with "
                    "their counts: 'clean --site-profile' and Cleaner(site_profile=...) remove them.")
    build.add_argument("inputs", nargs="+", metavar="INPUT", help="files, folders (recursive) or glob patterns")
    build.add_argument("--out", required=True, type=Path, help="the profile file to write (JSON)")
    _read_options(build)
    build.add_argument("--site-min-pages", type=_at_least(2), default=10, metavar="N",
                       help="a host needs at least N pages before its repeated lines count (default: 10)")
    build.add_argument("--site-min-share", type=_share, default=0.5, metavar="SHARE",
                       help="a line must be on at least this share of its host's pages (default: 0.5)")

    rules = commands.add_parser("rules", help="list, test or show rules")
    rules_commands = rules.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    for name, text in (("list", "id, kind, purpose and file of every rule"),
                       ("test", "run every rule's examples and check what remains of each")):
        _rule_options(rules_commands.add_parser(name, help=text))
    check = rules_commands.add_parser(
        "check", help="find rules that would empty documents or slow a run, before a run",
        description="Measures every line rule a --rules file adds (every active rule with --all) on a sample: "
                    "the documents of INPUT (the first --sample of them), else a built-in sample of varied "
                    "lines, plus lines built to make patterns backtrack. Flags over-broad rules (matching most "
                    "lines of most documents) and slow ones, with the cost measured. Exit 1 when one is found.")
    check.add_argument("inputs", nargs="*", metavar="INPUT", help="files to take sample documents from")
    check.add_argument("--all", action="store_true", help="check the built-in rules too")
    check.add_argument("--sample", type=_count(1), default=200, metavar="N",
                       help="documents to take from the inputs (default: 200)")
    _rule_options(check)
    _read_options(check)
    suggest = rules_commands.add_parser(
        "suggest", help="learn rules from a dump: lines recurring across many documents that no rule removes",
        description="Reads the inputs as 'clean' does, cleans them with the active rules and writes rule-file "
                    "entries for the short lines that recur across many documents of one host (or input file) "
                    "or of the whole corpus. Near-duplicate documents (syndicated copies) count once.")
    suggest.add_argument("inputs", nargs="+", metavar="INPUT", help="files, folders (recursive) or glob patterns")
    _learn_options(suggest)
    suggest.add_argument("--out", type=Path, help="write the rule file here (default: print it)")
    suggest.add_argument("--workers", type=_count(1), default=os.cpu_count() or 1,
                         help="processes cleaning the input (default: all cores); the result is the same for any")
    _rule_options(suggest)
    _read_options(suggest)
    show_rule = rules_commands.add_parser("show", help="explain one rule: what it matches, where, examples")
    show_rule.add_argument("rule_id")
    _rule_options(show_rule)
    rule = commands.add_parser("rule", help="same as 'rules show ID'")
    rule.add_argument("rule_id")
    _rule_options(rule)

    dedup = commands.add_parser(
        "dedup", help="mark or drop near duplicates in an output folder (MinHash + LSH)",
        description="Clusters the records of OUT by estimated Jaccard similarity of their 5-word shingles. Every "
                    "record gets dup_cluster (the content_hash of its cluster's kept record) and duplicate; the "
                    "kept record is the longest, ties going to the earliest in input order. Report: OUT/dedup.json.")
    dedup.add_argument("out", type=_location)
    dedup.add_argument("--drop", action="store_true", help="remove the duplicates instead of marking them")
    _threshold_option(dedup)

    show = commands.add_parser(
        "show", help="print the first records of an output folder: kind, title, source, time, first words",
        description="Prints the first records of an output folder (by document id, then record index), like head: "
                    "per record its kind, title, source, time and the first words of its text, then the counts "
                    "of the manifest.")
    show.add_argument("out", type=_location, help="output folder or URL")
    show.add_argument("-n", "--limit", type=_at_least(1), default=20, metavar="N",
                      help="show the first N records (default: 20)")
    show_as = show.add_mutually_exclusive_group()
    show_as.add_argument("--full", action="store_true", help="print every record's whole text")
    show_as.add_argument("--json", action="store_true",
                         help="write the records as JSON lines, every column (as 'clean --out -' streams them)")

    evaluate = commands.add_parser("eval", help="measure extraction quality on the evaluation sets")
    evaluate.add_argument("data", type=Path, help="folder holding scrapinghub-aeb/ and/or wcxb-dev/")
    evaluate.add_argument("--limit", type=int, help="only the first N pages of each set")
    evaluate.add_argument("--json", type=Path, help="also write the figures to this file")
    if config is not None:
        from cleaner._config import apply_config

        apply_config([clean, explain, show, evaluate, rule, show_rule, *commands_of(rules)], *config)
    return parser


def commands_of(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The sub-commands of a parser (argparse keeps them in a private attribute)."""
    group = parser._subparsers
    return [] if group is None else list(group._group_actions[0].choices.values())  # type: ignore[attr-defined,union-attr]


def _version() -> str:
    from cleaner._version import __version__

    return __version__


def _configured_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The parser with the settings file's defaults: ``--config FILE`` (looked for before parsing, since the
    file shapes the parser), else the files of the working folder."""
    from cleaner._config import find_config

    explicit = None
    for index, argument in enumerate(argv):
        if argument == "--config" and index + 1 < len(argv):
            explicit = argv[index + 1]
        elif argument.startswith("--config="):
            explicit = argument.partition("=")[2]
        elif argument in ("clean", "explain", "rules", "rule", "show", "eval"):
            break
    return build_parser(find_config(explicit, Path.cwd()))


def _start_logging(verbosity: int, log_file: str | None) -> None:
    import logging

    logger = logging.getLogger("cleaner")
    logger.setLevel(logging.DEBUG)
    for handler in [h for h in logger.handlers if getattr(h, "cleaner_cli", False)]:  # an earlier main() call
        logger.removeHandler(handler)
        handler.close()
    console = logging.StreamHandler(sys.stderr)
    console.setLevel({0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG))
    console.setFormatter(logging.Formatter("cleaner: %(levelname)s: %(message)s"))
    handlers: list[logging.Handler] = [console]
    if log_file:
        try:
            handler = logging.FileHandler(log_file, encoding="utf-8")
        except OSError as exc:
            raise CleanerError(f"--log-file {log_file}: {exc.strerror or exc}") from None
        handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(message)s"))
        handlers.append(handler)
    for handler in handlers:
        handler.cleaner_cli = True  # type: ignore[attr-defined]
        logger.addHandler(handler)


def main(argv: Sequence[str] | None = None) -> int:
    # A closed standard stream (`cleaner ... >&-`) is None in Python: writes to it would raise AttributeError.
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 - lives as long as sys's
    # Called as the program (no argv): a Ctrl-C after the command returned, while the interpreter shuts down,
    # ends it at once too; called from Python, the caller's handler comes back.
    previous = _arm_interrupts()
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:  # before or after the command ran (imports, rule loading)
        print("cleaner: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader of our output went away (`| head -1`): stop, quietly
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as exc:  # a stream that cannot be written (closed under us): said, not a traceback
        print(f"cleaner: error: {exc.strerror or exc}", file=sys.stderr)
        _silence_stdout()
        return EXIT_FAILED
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, _stop_now if argv is None else previous)


def _arm_interrupts() -> Any:
    """The first Ctrl-C stops the run cleanly (KeyboardInterrupt: unfinished shards are discarded, the manifest
    written); a second one, while that runs, ends the process at once, without a traceback. Every finished
    shard is already committed by its marker, so nothing is lost. Returns the handler to restore."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def first(signum: int, frame: object) -> None:
        signal.signal(signal.SIGINT, _stop_now)
        raise KeyboardInterrupt

    return signal.signal(signal.SIGINT, first)


def _stop_now(signum: int, frame: object) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a third Ctrl-C must not interrupt this one's message
    try:
        os.write(2, b"cleaner: interrupted again; stopping now (run the same command to resume)\n")
    finally:
        os._exit(EXIT_INTERRUPTED)


def _silence_stdout() -> None:
    """Points standard output at /dev/null: the interpreter flushes it on exit, and a flush into a closed pipe
    would print an error of its own."""
    import contextlib

    # Not a real file (a test's capture): nothing to flush.
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _main(argv: list[str]) -> int:
    try:
        parser = _configured_parser(argv)
    except CleanerError as exc:
        print(f"cleaner: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    args = parser.parse_args(argv)
    try:
        _start_logging(args.verbose, args.log_file)
        _detectors_from_disable(args)
        if args.command == "clean":
            return _clean(args)
        if args.command == "profile":
            return _profile_build(args, sys.stdout)
        if args.command == "explain":
            return _explain(args, sys.stdout)
        if args.command == "rules" and args.rules_command == "suggest":
            return _suggest(args, sys.stdout)
        if args.command == "rules" and args.rules_command == "check":
            return _check_rules(args, sys.stdout)
        if args.command in ("rules", "rule"):
            return _rules(args, sys.stdout)
        if args.command == "show":
            return _show(args, sys.stdout)
        if args.command == "dedup":
            return _dedup(args.out, args.dedup_threshold, args.drop)
        if args.command == "eval":
            from cleaner.evaluation import run_cli

            return run_cli(args.data, limit=args.limit, json_path=args.json, stream=sys.stdout)
    except CleanerError as exc:
        print(f"cleaner: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("cleaner: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_USAGE


def _check_user_examples(ruleset, *, strict: bool) -> None:  # type: ignore[no-untyped-def]
    """Runs the examples of the rule files a user added (the built-in ones are tested by the project): a rule
    whose own examples fail is probably not doing what its author meant."""
    from cleaner.core.examples import check_examples
    from cleaner.core.rules import RuleSet
    from cleaner.io.rulefiles import builtin_rules_dir

    builtin = builtin_rules_dir().resolve()
    added = tuple(f for f in ruleset.files if builtin not in Path(f.source).resolve().parents)
    if not added:
        return
    ids = {rule.id for rule_file in added for rule in rule_file.rules}
    from cleaner.run.rulecheck import check_rules

    # A rule that matches most lines of ordinary text (.+) would empty every document: said before the run.
    broad = [str(f) for f in check_rules(ruleset, only=ids, speed=False).findings]
    if broad:
        if strict:
            raise CleanerError("over-broad rule(s) (--strict):\n  " + "\n  ".join(broad))
        print("cleaner: warning: over-broad rule(s), used anyway ('cleaner rules check' measures them, --strict "
              "refuses):\n  " + "\n  ".join(broad), file=sys.stderr)
    failures = [str(failure) for failure in check_examples(RuleSet(added, ruleset.disabled & ids))]
    if not failures:
        return
    shown = "\n  ".join(failures[:10]) + (f"\n  ... and {len(failures) - 10} more" if len(failures) > 10 else "")
    if strict:
        raise CleanerError(f"{len(failures)} rule example(s) fail (--strict):\n  {shown}")
    print(f"cleaner: warning: {len(failures)} rule example(s) fail; the rules are used anyway "
          f"('cleaner rules test' shows them, --strict refuses):\n  {shown}", file=sys.stderr)


def _detectors_from_disable(args: argparse.Namespace) -> None:
    """``--disable struct:site-repeat`` switches the detector off; it is not a rule id."""
    from cleaner.core.siterepeat import DETECTOR

    disabled = getattr(args, "disable", None)
    if disabled and any(d.casefold() == DETECTOR for d in disabled):
        args.disable = [d for d in disabled if d.casefold() != DETECTOR]
        args.no_site_repeat = True
        if getattr(args, "site_profile", None) is not None:
            args.site_profile = None


def _profile_build(args: argparse.Namespace, out: TextIO) -> int:
    from cleaner.io.writers import write_text_atomically
    from cleaner.run.plan import expand_inputs, plan_shards
    from cleaner.run.siterepeat import shards_profile

    settings = _site_settings(args)
    shards = plan_shards(expand_inputs(args.inputs), _read_settings(args))
    profile = shards_profile(shards, _read_settings(args), settings)
    write_text_atomically(args.out, profile.as_json())
    lines = sum(len(h.lines) for h in profile.hosts.values())
    out.write(f"{args.out}: {lines} repeated line(s) of {len(profile.hosts)} host(s)\n")
    return EXIT_OK


def _added_rule_ids(ruleset) -> set[str]:  # type: ignore[no-untyped-def]
    """The ids of the rules that files outside the built-in ones define."""
    from cleaner.io.rulefiles import builtin_rules_dir

    builtin = builtin_rules_dir().resolve()
    return {rule.id for rule_file in ruleset.files if builtin not in Path(rule_file.source).resolve().parents
            for rule in rule_file.rules}


def _check_rules(args: argparse.Namespace, out: TextIO) -> int:
    from itertools import islice

    from cleaner.io.readers import Document, Piece, read_piece
    from cleaner.run.plan import expand_inputs
    from cleaner.run.rulecheck import BUILTIN_SAMPLE, check_rules

    ruleset = _load(args)
    documents: list[str] = []
    if args.inputs:
        items = (item for path in expand_inputs(args.inputs)
                 for item in read_piece(Piece(path), _read_settings(args)) if isinstance(item, Document))
        # HTML pages are sampled by their text as the engine would see it only after extraction; their raw
        # markup is no sample of lines, so only text documents are taken.
        documents = [item.text for item in islice((i for i in items if i.text), args.sample) if item.text]
        if not documents:
            raise CleanerError("the inputs hold no text documents to sample; name JSON lines, text or Parquet")
    result = check_rules(ruleset, documents or BUILTIN_SAMPLE, only=None if args.all else _added_rule_ids(ruleset))
    for finding in result.findings:
        out.write(f"FLAG {finding}\n")
    out.write(f"{result.rules} line rule(s) checked on {result.documents} documents ({result.lines:,} lines"
              f"{', built-in sample' if not documents else ''}): "
              f"{'nothing flagged' if not result.findings else f'{len(result.findings)} flagged'}\n")
    return EXIT_OK if not result.findings else EXIT_FAILED


def _load(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from cleaner.io.rulefiles import load_rules

    return load_rules(args.rules, builtin=not args.no_builtin_rules, disable=args.disable)


def _read_settings(args: argparse.Namespace) -> ReadOptions:
    return ReadOptions(format=args.format, id_field=args.id_field, text_field=args.text_field,
                       url_field=args.url_field, max_document_bytes=int(args.max_document_mb * MIB))


def _html_settings(args: argparse.Namespace) -> HtmlOptions:
    from cleaner.io.html import HtmlOptions

    return HtmlOptions(include_comments=args.keep_comments, max_elements=int(args.max_html_elements),
                       max_element_attributes=int(args.max_html_attributes))


def _clean(args: argparse.Namespace) -> int:
    from cleaner.run.batch import Executor, InProcessExecutor, ProcessExecutor, run_batch
    from cleaner.run.progress import Progress
    from cleaner.run.shard import JobSettings

    if args.workers < 1:
        raise CleanerError("--workers must be at least 1")
    streaming = str(args.out) == "-"
    remote = isinstance(args.out, str)
    if remote and args.learn:
        raise CleanerError("--learn needs an output folder on disk for now (the learned rule file is kept there), "
                           f"not an object-storage URL ({args.out})")
    if not streaming and "-" in args.inputs:
        raise CleanerError("'-' (standard input) is read only with --out - (records as JSON lines on standard "
                           "output); to write an output folder, save the input to a file and name it")
    if streaming and args.removals:
        raise CleanerError("--removals needs an output folder; with --out -, 'cleaner explain FILE' shows removals")
    if not streaming and not remote and args.out.exists() and not args.out.is_dir():
        raise CleanerError(f"--out {args.out} is a file; give a folder (it is created if missing)")
    if streaming and getattr(sys.stdout, "name", None) == os.devnull:  # closed, and replaced by main()
        raise CleanerError("--out - writes the records to standard output, which is closed")
    if streaming and (args.learn or args.dedup):
        raise CleanerError("--learn and --dedup need an output folder, not --out -")
    _check_user_examples(_load(args), strict=args.strict)  # fail on bad rules before any work starts
    rule_files = [str(Path(p).resolve()) for p in args.rules]
    if args.learn:
        rule_files.append(str(_learn_for_clean(args)))
    settings = JobSettings(out=str(args.out if streaming or remote else args.out.resolve()),
                           rule_paths=tuple(rule_files),
                           builtin_rules=not args.no_builtin_rules, disable=tuple(args.disable),
                           read=_read_settings(args), html=_html_settings(args),
                           part_bytes=int(args.part_mb * MIB), write_removals=args.removals,
                           drop_comments=args.drop_comments, time_budget=args.time_budget,
                           row_group_rows=int(args.row_group_rows), site_repeat=_site_settings(args),
                           site_profile=(given := _site_profile(args)), profile_given=given is not None)
    if streaming:
        return _stream(args, settings)
    executor: Executor
    if args.executor == "ray":
        from cleaner.run.distributed import RayExecutor

        executor = RayExecutor(args.ray_address, num_cpus=args.workers)
    else:
        executor = InProcessExecutor() if args.workers == 1 else ProcessExecutor(args.workers)
    progress = Progress(quiet=args.quiet)
    result = run_batch(args.inputs, settings, executor, shard_bytes=max(1, int(args.shard_mb * MIB)),
                       overwrite=args.overwrite, max_reject_rate=args.max_reject_rate,
                       max_empty_rate=args.max_empty_rate,
                       on_start=progress.start, on_shard=progress.shard_done, on_progress=progress.tick)
    progress.finish(result)
    if result.interrupted:
        return EXIT_INTERRUPTED
    if not result.ok:
        return EXIT_FAILED
    code = _dedup(args.out, args.dedup_threshold, drop=False) if args.dedup else EXIT_OK
    return EXIT_DATA_LOST if code == EXIT_OK and result.data_lost else code


def _stream(args: argparse.Namespace, settings: JobSettings) -> int:
    from cleaner.run.batch import run_problems
    from cleaner.run.stream import stream_clean

    result = stream_clean(args.inputs, settings, sys.stdout, sys.stderr, stdin=sys.stdin.buffer)
    total = result.total()
    problems = run_problems(total, args.max_reject_rate, args.max_empty_rate, result.report.hits)
    for problem in problems:
        print(f"cleaner: error: {problem}", file=sys.stderr)
    if not args.quiet or problems:
        print(f"cleaner: {total.read:,} documents read -> {total.records:,} records from {total.with_records:,} "
              f"documents, {total.empty:,} with nothing to keep, {total.rejected:,} rejected", file=sys.stderr)
    if total.damaged_ranges:
        print(f"cleaner: warning: {total.damaged_ranges:,} damaged input ranges ({total.damaged_bytes:,} bytes) "
              "could not be read and were skipped", file=sys.stderr)
    return EXIT_FAILED if problems else EXIT_DATA_LOST if total.damaged_ranges else EXIT_OK


def _dedup(out: Path | str, threshold: float, drop: bool) -> int:
    from cleaner.run.dedup import dedup

    if not isinstance(out, str) and not out.is_dir():
        raise CleanerError(f"{out}: no such output folder")
    result = dedup(out, threshold, drop=drop)
    print(f"cleaner: dedup: {result.summary()}; report in {out}/dedup.json", file=sys.stderr)
    return EXIT_OK


def _learned(args: argparse.Namespace, inputs: list[str], exclude: str | None = None) -> str:
    """The learned rule file's text for the inputs, with the active rules and read options of ``args``."""
    from cleaner.core.corpus import Thresholds
    from cleaner.run.shard import DEFAULT_TIME_BUDGET, JobSettings, cleaner_for
    from cleaner.run.suggest import exact_keys, file_source, learn, suggest_rule_file

    if args.min_docs < 1:  # --min-share is checked by its argparse type
        raise CleanerError("--min-docs must be at least 1")
    if args.workers < 1:
        raise CleanerError("--workers must be at least 1")
    _load(args)  # fail on bad rules before any work starts
    settings = JobSettings(out="", rule_paths=tuple(str(Path(p).resolve()) for p in args.rules),
                           builtin_rules=not args.no_builtin_rules, disable=tuple(args.disable),
                           read=_read_settings(args), html=_html_settings(args),
                           time_budget=getattr(args, "time_budget", DEFAULT_TIME_BUDGET))
    learned = learn(file_source(inputs, settings, workers=args.workers, exclude=exclude),
                    thresholds=Thresholds(args.min_docs, args.min_share), taken=exact_keys(cleaner_for(settings)),
                    per_host=args.per_host)
    print(f"cleaner: rules suggest: {learned.summary()}", file=sys.stderr)
    return suggest_rule_file(learned, name="Learned rules", sources=inputs)


def _suggest(args: argparse.Namespace, out: TextIO) -> int:
    from cleaner.io.writers import write_text_atomically

    text = _learned(args, args.inputs)
    if args.out:
        write_text_atomically(args.out, text)
    else:
        out.write(text)
    return EXIT_OK


def _learn_for_clean(args: argparse.Namespace) -> Path:
    """OUT/learned-rules.toml, learned from the inputs unless an earlier run of this job left it (a resumed
    run must apply the same rules; --overwrite learns again)."""
    from cleaner.io.writers import write_text_atomically

    target = args.out.resolve() / LEARNED_RULES
    if args.overwrite or not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomically(target, _learned(args, args.inputs, exclude=str(args.out)))
    return target


def _explain(args: argparse.Namespace, out: TextIO) -> int:
    from cleaner._api import Cleaner
    from cleaner.core.engine import Options
    from cleaner.core.records import IN_TREE
    from cleaner.core.structure import DESCRIPTIONS
    from cleaner.io.html_blocks import DETECTORS
    from cleaner.io.readers import Document, Piece, read_piece

    given = _site_profile(args)
    profile = None
    if given is not None:
        from cleaner.core.siterepeat import SiteProfile

        profile = SiteProfile.from_json(given, name=str(args.site_profile), settings=_site_settings(args))
    cleaner = Cleaner(_load(args), html_options=_html_settings(args), site_profile=profile,
                      options=Options(drop_comments=args.drop_comments))
    if not args.file.exists():
        raise CleanerError(f"{args.file}: no such file")
    if not args.file.is_file():
        raise CleanerError(f"{args.file}: not a regular file (a folder, a FIFO or a device cannot be explained)")
    found = False
    for item in read_piece(Piece(str(args.file)), _read_settings(args)):
        found = True
        if not isinstance(item, Document):
            out.write(f"REJECTED {_shown(item.input_path)}:{item.position}: {_shown(item.reason)}\n")
            continue
        url = args.url or item.url
        cleaned = (cleaner.process(html=item.html, doc_id=item.doc_id, url=url) if item.html is not None
                   else cleaner.process(item.text, doc_id=item.doc_id, url=url))
        language = cleaned.records[0].language if cleaned.records else "und"
        out.write(f"== document {_shown(str(item.doc_id))}: {len(cleaned.records)} record(s), "
                  f"{len(cleaned.removals)} removal(s), language {language}\n")
        for evidence in cleaned.evidence:
            lines = f" lines {evidence.first}-{evidence.last}" if evidence.first else ""
            out.write(f"   detector {evidence.detector}{lines}: {evidence.message}\n")
        for record in cleaned.records:
            out.write(f"-- record {record.record_index} [{record.kind}]"
                      f" source={record.source!r} published={record.published!r}\n   title: {record.title!r}\n")
            if record.link:
                out.write(f"   link: {_shown(record.link)}\n")
            if record.metadata:
                out.write(f"   metadata: {dict(record.metadata)}\n")
            body = record.text if args.full else _preview(record.text)
            out.write("".join(f"   | {_shown(line)}\n" for line in body.split("\n")))
        for removal in cleaned.removals:
            rule = cleaner.rules.by_id.get(removal.rule_id)
            purpose = rule.purpose if rule else DETECTORS.get(removal.rule_id) or DESCRIPTIONS.get(removal.rule_id, "")
            why = f" ({purpose}{'; ' if purpose and removal.evidence else ''}{removal.evidence or ''})"
            where = "from the page's tree" if removal.start == IN_TREE else f"at {removal.start}-{removal.end}"
            out.write(f"   removed by {removal.rule_id}{why} {where}: {removal.text!r}\n")
        for notice in cleaned.notices:
            out.write(f"   notice line {notice.line} {notice.rule_id}: {notice.message}\n")
    if not found:
        out.write(f"{args.file}: no documents\n")
    return EXIT_OK


def _rule_mode(rule: object) -> str:
    """What a match does: a line rule's strength (and run), or the records a layout makes."""
    from cleaner.core.rules import HtmlRule, Layout, LineRule

    if isinstance(rule, HtmlRule):
        return rule.action
    if isinstance(rule, Layout):
        return "inline" if rule.inline else rule.record_kind
    if isinstance(rule, LineRule):
        return rule.strength + (f" x{rule.min_run}" if rule.min_run > 1 else "")
    return "block"


def _shown(text: str) -> str:
    """Text safe to print on a terminal: control characters (an escape sequence in a document id) escaped."""
    if text.isprintable():
        return text
    import unicodedata

    return "".join(repr(c)[1:-1] if unicodedata.category(c) == "Cc" and c != "\t" else c for c in text)


def _preview(text: str, lines: int = 3, width: int = 110) -> str:
    shown = [line if len(line) <= width else line[: width - 1] + "…" for line in text.split("\n")[:lines]]
    more = text.count("\n") + 1 - lines
    return "\n".join(shown + ([f"… {more} more line(s)"] if more > 0 else []))


def _rules(args: argparse.Namespace, out: TextIO) -> int:
    ruleset = _load(args)
    action = "show" if args.command == "rule" else args.rules_command
    if action == "list":
        # One family a file, as the rule files are written: name, description, then each active rule.
        for rule_file in ruleset.files:
            active = [r for r in rule_file.rules if r.id not in ruleset.disabled]
            out.write(f"{rule_file.name} ({len(active)} rules, {rule_file.source})"
                      f"{': ' + rule_file.description if rule_file.description else ''}\n")
            for rule in active:
                out.write(f"  {rule.id:<8} {rule.kind:<8} {_rule_mode(rule):<9} {rule.purpose}  [line {rule.line}]\n")
        return EXIT_OK
    if action == "test":
        from cleaner.core.examples import check_examples
        from cleaner.io.html_blocks import check_html_examples

        failures = list(check_examples(ruleset)) + list(check_html_examples(ruleset))
        examples = sum(r.examples.count for r in ruleset)
        for failure in failures:
            out.write(f"FAIL {failure}\n")
        out.write(f"{len(ruleset)} rules, {examples} examples: "
                  f"{'all passed' if not failures else f'{len(failures)} failed'}\n")
        return EXIT_OK if not failures else EXIT_FAILED
    rule = ruleset.by_id.get(args.rule_id.upper())
    if rule is None:
        raise CleanerError(f"no rule {args.rule_id!r}; 'cleaner rules list' shows them all")
    out.write(f"{rule.id}: {rule.purpose}\n  kind: {rule.kind}\n  matches: {rule.describe_match()}\n"
              f"  applies to: {rule.scope.describe()}\n  defined in: {rule.location}\n")
    out.write("".join(f"  junk example: {e!r}\n" for e in rule.examples.junk))
    out.write("".join(f"  keep example: {e!r}\n" for e in rule.examples.keep))
    out.write("".join(f"  cut example: {chr(10).join(c.lines)!r} -> remains {chr(10).join(c.remains)!r}\n"
                      for c in rule.examples.cut))
    return EXIT_OK


def _show(args: argparse.Namespace, out: TextIO) -> int:
    from cleaner._show import ShowOptions, show

    show(args.out, ShowOptions(limit=int(args.limit), full=args.full, json=args.json), out)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
