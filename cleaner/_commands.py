"""What each command does, given its settings (resolved by cleaner/cli.py from the command line, the settings
file and the options schema's defaults): one function per command, each taking :class:`Args`."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, TextIO

from cleaner._options import CLEAN, EXPLAIN, LEARNED_RULES
from cleaner.core.errors import CleanerError
from cleaner.io.readers import ReadOptions

if TYPE_CHECKING:
    from cleaner.core.siterepeat import SiteRepeatSettings
    from cleaner.run.shard import JobSettings

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
#: The run finished and wrote everything readable, but inputs held damaged bytes it had to skip (counted in
#: the manifest's "damaged", each range a reject row): not a failure to redo, but not everything either.
EXIT_DATA_LOST = 3
#: The reader of standard output closed it (`| head`): 128 + SIGPIPE, as a shell reports a process it stopped.
EXIT_BROKEN_PIPE = 141
MIB = 1024 * 1024

#: The options of clean that run_batch takes (the others that the library takes, JobSettings.from_options does).
RUN_BATCH_OPTIONS = frozenset({"overwrite", "max_reject_rate", "max_empty_rate"})
#: A command's settings by :attr:`Option.attr` and argument name, with ``command`` (its name, "rules suggest").
Args = SimpleNamespace


def run(args: Args) -> int:
    """Runs the command ``args.command`` names; CleanerError for bad input, said by the caller."""
    _detectors_from_disable(args)
    if args.command == "clean":
        return _clean(args)
    handlers = {"profile build": _profile_build, "explain": _explain, "rules suggest": _suggest,
                "rules check": _check_rules, "show": _show, "dedup": _dedup_command, "eval": _eval}
    return handlers.get(args.command, _rules)(args, sys.stdout)


def _dedup_command(args: Args, out: TextIO) -> int:
    return _dedup(args.out, args.dedup_threshold, args.drop)


def _eval(args: Args, out: TextIO) -> int:
    from cleaner.evaluation import run_cli

    return run_cli(args.data, limit=args.limit, json_path=args.json, stream=out)


def location(value: str) -> Path | str:
    """A folder as a Path (``file://`` URLs too); an object-storage URL (s3://, gs://, az://) as it is."""
    from cleaner.io.storage import check_scheme, local_path

    check_scheme(value)
    path = local_path(value)
    return value if path is None else Path(path)


def _site_settings(args: Args, ruleset=None) -> SiteRepeatSettings:  # type: ignore[no-untyped-def]
    """The thresholds of struct:site-repeat: the rule files' [detector.site_repeat] (the built-in ones when
    none are given), with --site-min-pages and --site-min-share over theirs when set to other than their
    defaults. The resolved counts are written back to ``args``, so the library calls built from the
    options use them too."""
    from dataclasses import replace

    from cleaner.core.siterepeat import SiteRepeatSettings

    base = ruleset.structure.site_repeat if ruleset is not None else SiteRepeatSettings()
    given: dict[str, Any] = {"enabled": base.enabled and not getattr(args, "no_site_repeat", False)}
    defaults = SiteRepeatSettings()
    if int(args.site_min_pages) != defaults.min_pages:
        given["min_pages"] = int(args.site_min_pages)
    if float(args.site_min_share) != defaults.min_share:
        given["min_share"] = float(args.site_min_share)
    try:
        settings = replace(base, **given)
    except ValueError as exc:
        raise CleanerError(str(exc)) from None
    args.site_min_pages, args.site_min_share = settings.min_pages, settings.min_share
    return settings


def _site_profile(args: Args) -> str | None:
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



def _check_user_examples(ruleset, *, strict: bool) -> None:  # type: ignore[no-untyped-def]
    """Runs the examples of the rule files a user added (the built-in ones are tested by the project): a rule
    whose own examples fail is probably not doing what its author meant."""
    from cleaner._api import shared_line_matcher
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
    failures = [str(failure) for failure in check_examples(RuleSet(added, ruleset.disabled & ids),
                                                            shared_line_matcher)]
    if not failures:
        return
    shown = "\n  ".join(failures[:10]) + (f"\n  ... and {len(failures) - 10} more" if len(failures) > 10 else "")
    if strict:
        raise CleanerError(f"{len(failures)} rule example(s) fail (--strict):\n  {shown}")
    print(f"cleaner: warning: {len(failures)} rule example(s) fail; the rules are used anyway "
          f"('cleaner rules test' shows them, --strict refuses):\n  {shown}", file=sys.stderr)


def _detectors_from_disable(args: Args) -> None:
    """``--disable struct:site-repeat`` switches the detector off; it is not a rule id."""
    from cleaner.core.siterepeat import DETECTOR

    disabled = getattr(args, "disable", None)
    if disabled and any(d.casefold() == DETECTOR for d in disabled):
        args.disable = [d for d in disabled if d.casefold() != DETECTOR]
        args.no_site_repeat = True
        if getattr(args, "site_profile", None) is not None:
            args.site_profile = None


def _profile_build(args: Args, out: TextIO) -> int:
    from cleaner.io.writers import write_text_atomically
    from cleaner.run.plan import expand_inputs, plan_shards
    from cleaner.run.siterepeat import shards_profile

    settings = _site_settings(args, _load(args) if hasattr(args, "rules") else None)
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


def _check_rules(args: Args, out: TextIO) -> int:
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
    if result.native is not None:
        out.write(f"{result.native}\n")
        for fallback in result.native.python_only:
            out.write(f"PYTHON-ONLY {fallback}\n")
        for confirmed in result.native.python_confirmed:
            out.write(f"PYTHON-CONFIRMED {confirmed}\n")
    out.write(f"{result.rules} line rule(s) checked on {result.documents} documents ({result.lines:,} lines"
              f"{', built-in sample' if not documents else ''}): "
              f"{'nothing flagged' if not result.findings else f'{len(result.findings)} flagged'}\n")
    return EXIT_OK if not result.findings else EXIT_FAILED


def _load(args: Args):  # type: ignore[no-untyped-def]
    from cleaner.io.rulefiles import load_rules

    return load_rules(args.rules, builtin=not args.no_builtin_rules, disable=args.disable)


def _read_rules_once(args: Args):  # type: ignore[no-untyped-def]
    """The rule files' bytes, read once for the whole run, and their rule set (the compiled-rule cache's answers
    used, as every worker uses them): the bytes checked here are the bytes every worker compiles and every part
    names. Errors name the files as the command line does."""
    from cleaner.io.rulecache import cached_rules
    from cleaner.io.rulefiles import snapshot_rules

    snapshot = snapshot_rules(args.rules, builtin=not args.no_builtin_rules)
    return snapshot, cached_rules(snapshot, args.disable)


def _read_settings(args: Args) -> ReadOptions:
    return ReadOptions(format=args.format, id_field=args.id_field, text_field=args.text_field,
                       url_field=args.url_field, max_document_bytes=int(args.max_document_mb * MIB))


def _clean(args: Args) -> int:
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
    snapshot, ruleset = _read_rules_once(args)
    _check_user_examples(ruleset, strict=args.strict)  # fail on bad rules before any work starts
    _site_settings(args, ruleset)  # the rule files' site repetition thresholds, under the options
    rules = [*args.rules, *([_learn_for_clean(args)] if args.learn else [])]
    _site_profile(args)  # its errors said as the command line says them
    # The library takes clean's options by the same names (the options schema says which: the job's here,
    # run_batch's below).
    job = {o.attr for o in CLEAN.options if o.name not in dict(CLEAN.cli_only)} - RUN_BATCH_OPTIONS
    settings = JobSettings.from_options(**{**{name: getattr(args, name) for name in job}, "rules": rules,
                                           "out": str(args.out if streaming or remote else args.out.resolve())})
    if not args.learn:
        settings = _with_snapshot(settings, snapshot)
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
                       **{name: getattr(args, name) for name in RUN_BATCH_OPTIONS},
                       on_start=progress.start, on_shard=progress.shard_done, on_progress=progress.tick)
    progress.finish(result)
    if result.interrupted:
        return EXIT_INTERRUPTED
    if not result.ok:
        return EXIT_FAILED
    code = _dedup(args.out, args.dedup_threshold, drop=False) if args.dedup else EXIT_OK
    return EXIT_DATA_LOST if code == EXIT_OK and result.data_lost else code


def _with_snapshot(settings: JobSettings, snapshot: tuple[tuple[str, bytes], ...]) -> JobSettings:
    """The job's settings holding the rule bytes read at the start, named as the job names its rule files (from
    its resolved paths), so that they are not read a second time. If the files listed now are not those read
    (one added, removed or renamed meanwhile), the job reads its files once itself, as it would without this.
    (A learned rule file is written after the snapshot, so a run with --learn takes that way too.)"""
    from cleaner.io.rulefiles import rule_file_paths

    names = [str(path) for path in rule_file_paths(settings.rule_paths, builtin=settings.builtin_rules)]
    if len(names) != len(snapshot) or any(Path(name).resolve() != Path(read).resolve()
                                          for name, (read, _) in zip(names, snapshot, strict=True)):
        return settings
    return replace(settings, rules=tuple((name, data) for name, (_, data) in zip(names, snapshot, strict=True)))


def _stream(args: Args, settings: JobSettings) -> int:
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


def _learned(args: Args, inputs: list[str], exclude: str | None = None) -> str:
    """The learned rule file's text for the inputs, with the active rules and read options of ``args``."""
    from cleaner.core.corpus import Thresholds
    from cleaner.run.shard import DEFAULT_TIME_BUDGET, JobSettings, cleaner_for
    from cleaner.run.suggest import exact_keys, file_source, learn, suggest_rule_file

    if args.min_docs < 1:  # --min-share is checked by its argparse type
        raise CleanerError("--min-docs must be at least 1")
    if args.workers < 1:
        raise CleanerError("--workers must be at least 1")
    snapshot, _ = _read_rules_once(args)  # fail on bad rules before any work starts
    # Reader comments stay as they are found (no drop-comments), and the site repetition is not counted here.
    taken = ("rules", "disable", "no_builtin_rules", "format", "id_field", "text_field", "url_field",
             "max_document_mb", "max_html_elements", "max_html_attributes", "keep_comments")
    settings = _with_snapshot(JobSettings.from_options("", **{name: getattr(args, name) for name in taken},
                                                       time_budget=getattr(args, "time_budget", DEFAULT_TIME_BUDGET)),
                              snapshot)
    ruled = exact_keys(cleaner_for(settings, budgeted=False))
    learned = learn(file_source(inputs, settings, workers=args.workers, exclude=exclude),
                    thresholds=Thresholds(args.min_docs, args.min_share), taken=ruled, per_host=args.per_host)
    print(f"cleaner: rules suggest: {learned.summary()}", file=sys.stderr)
    return suggest_rule_file(learned, name="Learned rules", sources=inputs)


def _suggest(args: Args, out: TextIO) -> int:
    from cleaner.io.writers import write_text_atomically

    text = _learned(args, args.inputs)
    if args.out:
        write_text_atomically(args.out, text)
    else:
        out.write(text)
    return EXIT_OK


def _learn_for_clean(args: Args) -> Path:
    """OUT/learned-rules.toml, learned from the inputs unless an earlier run of this job left it (a resumed
    run must apply the same rules; --overwrite learns again)."""
    from cleaner.io.writers import write_text_atomically

    target = args.out.resolve() / LEARNED_RULES
    if args.overwrite or not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomically(target, _learned(args, args.inputs, exclude=str(args.out)))
    return target


def _explain(args: Args, out: TextIO) -> int:
    from cleaner._api import Cleaner
    from cleaner.core.records import IN_TREE
    from cleaner.core.structure import DESCRIPTIONS
    from cleaner.io.html_blocks import DETECTORS
    from cleaner.io.readers import Document, Piece, read_piece

    _site_profile(args)  # its errors said as the command line says them (a rule file's are a CleanerError)
    _site_settings(args, _load(args))  # the rule files' site repetition thresholds, under the options
    # The library takes explain's options by the same names (the options schema says which).
    taken = [o.attr for o in EXPLAIN.options if o.name not in dict(EXPLAIN.cli_only)]
    cleaner = Cleaner(**{name: getattr(args, name) for name in taken})
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


def _rules(args: Args, out: TextIO) -> int:
    ruleset = _load(args)
    action = "show" if args.command == "rule" else args.command.removeprefix("rules ")
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
        from cleaner._api import shared_line_matcher
        from cleaner.core.examples import check_examples
        from cleaner.io.html_blocks import check_html_examples

        failures = list(check_examples(ruleset, shared_line_matcher)) + list(check_html_examples(ruleset))
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


def _show(args: Args, out: TextIO) -> int:
    from cleaner._show import ShowOptions, show

    show(args.out, ShowOptions(limit=int(args.limit), full=args.full, json=args.json), out)
    return EXIT_OK

