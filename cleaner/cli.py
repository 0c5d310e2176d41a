"""The ``cleaner`` command line, built from the options schema (cleaner/_options.py) with click.

Exit codes: 0 done; 1 the run finished but some shards failed (run again to redo them) or rule
examples failed; 2 bad usage, bad rules or inputs that name nothing; 130 interrupted (resumable); 141 the
reader of standard output closed it (`| head`).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from cleaner._commands import (
    EXIT_BROKEN_PIPE,
    EXIT_DATA_LOST,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Args,
    location,
    run,
)
from cleaner._options import COMMANDS, GLOBAL_OPTIONS, GROUPS, Argument, Command, Kind, Option, Settings, resolve
from cleaner.core.errors import CleanerError

__all__ = ["EXIT_BROKEN_PIPE", "EXIT_DATA_LOST", "EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE",
           "build_parser", "main", "parse"]

DESCRIPTION = ("Strip aggregator junk from scraped articles, split out the articles they embed, and write clean "
               "records to Parquet.")
EPILOG = ("Settings a team shares can live in ./cleaner.toml or [tool.cleaner] of ./pyproject.toml: long option "
          "names as keys (workers = 4, disable = [\"WEB006\"]); docs/options.md lists every option.")
METAVARS = {Kind.WHOLE: "N", Kind.NUMBER: "NUMBER", Kind.PATH: "PATH", Kind.LOCATION: "FOLDER|URL"}
#: Defaults that depend on the machine: the schema says them in words (``all cores``).
MACHINE_DEFAULTS = {"workers": lambda: os.cpu_count() or 1}


class _Value(click.ParamType):
    """An option's value as the schema checks it: the same words on the command line as in the settings file."""

    def __init__(self, option: Option) -> None:
        self.option = option
        self.name = option.kind.value

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return self.option.parse_one(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _help(option: Option) -> str:
    shown = option.default_shown()
    # A choice named by a metavar says its choices in words (the list would crowd the metavar's column).
    choices = f": {', '.join(option.choices)}" if option.kind is Kind.CHOICE and option.metavar else ""
    return (option.help + choices + (" (repeatable)" if option.repeatable else "")
            + (f" (default: {shown})" if shown else ""))


def _click_option(option: Option) -> click.Option:
    decls = [option.attr, option.flag, *([option.short] if option.short else [])]
    if option.kind is Kind.FLAG:
        return click.Option(decls, is_flag=True, default=False, help=_help(option))
    if option.kind is Kind.COUNT:
        return click.Option(decls, count=True, default=0, help=_help(option))
    kind: click.ParamType = click.Choice(option.choices, case_sensitive=True) if option.kind is Kind.CHOICE \
        else _Value(option)
    return click.Option(decls, type=kind, multiple=option.repeatable, default=None,
                        metavar=option.metavar or METAVARS.get(option.kind), help=_help(option))


class _Command(click.Command):
    """A command of the schema; its --help lists the options in the schema's sections."""

    def __init__(self, spec: Command) -> None:
        params: list[click.Parameter] = [
            click.Argument([a.attr], nargs=1 if a.nargs == 1 else -1, required=a.nargs != "*",
                           metavar=(a.metavar or a.name.upper()) + ("..." if a.nargs != 1 else ""))
            for a in spec.arguments]
        params += [_click_option(option) for option in spec.options]
        super().__init__(spec.path[-1], params=params, callback=self._given, help=spec.description or spec.help,
                         short_help=spec.help, no_args_is_help=False)
        self.spec = spec

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        sections: dict[str, list[tuple[str, str]]] = {}
        groups = {o.attr: o.group for o in self.spec.options}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None and isinstance(param, click.Option):
                sections.setdefault(groups.get(param.name or "", "options"), []).append(record)
        # The schema's sections in their order, then the options of none (and --help).
        for title, rows in sorted(sections.items(), key=lambda item: item[0] == "options"):
            with formatter.section(title[0].upper() + title[1:]):
                formatter.write_dl(rows)

    def _given(self, **values: Any) -> None:
        """Resolves the command's settings (command line, settings file, defaults) into ``ctx.obj["args"]``."""
        ctx = click.get_current_context()
        arguments = {a.attr: values[a.attr] for a in self.spec.arguments}
        args = resolved(self.spec, {**_from_line(ctx, values), **arguments}, ctx.obj["settings"])
        missing = [o.flag for o in self.spec.options if o.required and getattr(args, o.attr) is None]
        if missing:
            raise click.UsageError(f"Missing option {', '.join(repr(m) for m in missing)}.", ctx)
        for names in self.spec.exclusive:
            both = [f"--{name}" for name in names if getattr(args, name.replace("-", "_"))]
            if len(both) > 1:
                raise click.UsageError(f"{' and '.join(both)} cannot be used together.", ctx)
        ctx.obj["args"] = args


def _from_line(ctx: click.Context, values: dict[str, Any]) -> dict[str, Any]:
    """The values the command line gave (not click's defaults): those override the settings file."""
    return {name: list(value) if isinstance(value, tuple) else value for name, value in values.items()
            if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE}


def resolved(spec: Command, given: dict[str, Any], settings: Settings | None) -> Args:
    """The command's settings: its arguments as given, each option from the command line, else the settings
    file, else the schema's default."""
    values = resolve(spec.options, given, settings or Settings(), spec.name)
    for option in spec.options:
        if values[option.attr] is None and option.attr in MACHINE_DEFAULTS:
            values[option.attr] = MACHINE_DEFAULTS[option.attr]()
    arguments = {a.attr: list(given[a.attr]) if a.nargs != 1 else given[a.attr] for a in spec.arguments}
    return Args(command=spec.name, **arguments, **values)


def build_parser() -> click.Group:
    """The command line: a click group of the schema's commands."""

    def root(**values: Any) -> None:
        from cleaner._config import find_config

        ctx = click.get_current_context()
        given = _from_line(ctx, values)
        settings = find_config(given.get("config"), Path.cwd())
        ctx.obj = {"settings": settings, "program": resolve(GLOBAL_OPTIONS, given, settings or Settings(), "")}

    group = click.Group("cleaner", help=DESCRIPTION, epilog=EPILOG, callback=root,
                        params=[_click_option(option) for option in GLOBAL_OPTIONS],
                        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
    click.version_option(_version(), "--version", prog_name="cleaner", message="%(prog)s %(version)s")(group)
    groups: dict[tuple[str, ...], click.Group] = {(): group}
    for spec in COMMANDS:
        parent = group
        for depth in range(1, len(spec.path)):
            path = spec.path[:depth]
            if path not in groups:
                groups[path] = click.Group(path[-1], help=GROUPS[" ".join(path)])
                parent.add_command(groups[path])
            parent = groups[path]
        parent.add_command(_Command(spec))
    return group


def _version() -> str:
    from cleaner._version import __version__

    return __version__


def parse(argv: Sequence[str]) -> tuple[Args, dict[str, Any]]:
    """The command's settings and the program's (--verbose, --log-file) for ``argv``. A usage error is printed
    and raises SystemExit(2), as --help and --version exit 0; a bad settings file raises its ConfigError."""
    cli = build_parser()
    try:
        with cli.make_context("cleaner", list(argv)) as ctx:
            cli.invoke(ctx)
    except click.exceptions.Exit as done:  # --help, --version
        raise SystemExit(done.exit_code) from None
    except click.ClickException as error:
        error.show()
        raise SystemExit(error.exit_code) from None
    return ctx.obj["args"], ctx.obj["program"]


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
        args, program = parse(argv)
    except CleanerError as exc:  # the settings file
        print(f"cleaner: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        _start_logging(program["verbose"], program["log_file"])
        _paths(args)
        return run(args)
    except CleanerError as exc:
        print(f"cleaner: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("cleaner: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _paths(args: Args) -> None:
    """Paths as Path, locations as Path or URL (a scheme cleaner does not read is an error here)."""
    spec = next(c for c in COMMANDS if c.name == args.command)
    items: list[Argument | Option] = [*spec.arguments, *spec.options]
    for item in items:
        value = getattr(args, item.attr)
        if isinstance(value, str) and item.kind is Kind.LOCATION:
            setattr(args, item.attr, location(value))
        elif isinstance(value, str) and item.kind is Kind.PATH:
            setattr(args, item.attr, Path(value))


if __name__ == "__main__":
    sys.exit(main())
