"""Every option of every command, walked through its three surfaces from the options schema: the command line,
the settings file (top level and the command's own table) and, where the command has one, the library
counterpart. A new option in the schema is walked too; an option in one surface and not another fails."""

from __future__ import annotations

import importlib
import inspect
import math
from pathlib import Path
from typing import Any

import click
import pytest

from cleaner._config import ConfigError
from cleaner._options import COMMANDS, GLOBAL_OPTIONS, Command, Kind, Option, config_keys
from cleaner.cli import MACHINE_DEFAULTS, build_parser, main, parse

CASES = [pytest.param(c, o, id=f"{c.name}--{o.name}") for c in COMMANDS for o in c.options]


def _value(option: Option, which: int = 1) -> Any:
    """A valid value of the option other than its default (``which`` picks one of two different ones)."""
    if option.kind is Kind.FLAG:
        return True
    if option.kind is Kind.CHOICE:
        others = [c for c in option.choices if c != option.default]
        return others[(which - 1) % len(others)]
    if option.kind in (Kind.WHOLE, Kind.NUMBER):
        if option.most != math.inf:
            value: float = option.least + (option.most - option.least) * (0.25 if which == 1 else 0.75)
        else:
            base = option.default if option.default is not None else max(option.least, 0)
            value = base + 2 * which + (0 if option.kind is Kind.WHOLE else 0.5)
        assert value != option.default
        return int(value) if option.kind is Kind.WHOLE else value
    text = f"{option.name}-sample-{which}"
    return [text, text + "-more"] if option.repeatable else text


def _line(option: Option, value: Any) -> list[str]:
    if option.kind is Kind.FLAG:
        return [option.flag] if value else []
    if option.repeatable:
        return [part for item in value for part in (option.flag, str(item))]
    return [option.flag, str(value)]


def _argv(command: Command, *, without: str = "") -> list[str]:
    """The command with its arguments and its required options (but ``without``)."""
    arguments = {1: ["AGG001"], "+": ["input-1"], "*": []}
    argv = [*command.path, *(part for a in command.arguments for part in arguments[a.nargs])]
    for option in command.options:
        if option.required and option.name != without:
            argv += _line(option, _value(option))
    return argv


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value) if isinstance(value, float) else f'"{value}"' if isinstance(value, str) else str(value)


def _settings(tmp_path: Path, text: str) -> None:
    (tmp_path / "cleaner.toml").write_text(text, encoding="utf-8")


def _default(option: Option) -> Any:
    if option.default is None and option.attr in MACHINE_DEFAULTS:
        return MACHINE_DEFAULTS[option.attr]()
    return list(option.default) if option.repeatable else option.default


@pytest.mark.parametrize(("command", "option"), CASES)
def test_each_option_reaches_the_same_setting_from_the_command_line_and_the_settings_file(
        command: Command, option: Option, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    argv = _argv(command, without=option.name)
    table = "[commands." + ".".join(command.path) + "]\n"
    one, two = _value(option, 1), _value(option, 2) if option.kind is not Kind.FLAG else True
    # Neither given: the schema's default (a required option is missing, a usage error).
    if option.required:
        with pytest.raises(SystemExit) as stopped:
            parse(argv)
        assert stopped.value.code == 2
    else:
        assert getattr(parse(argv)[0], option.attr) == _default(option)
    # The command line.
    assert getattr(parse([*argv, *_line(option, one)])[0], option.attr) == one
    # The command's own table in the settings file, and the command line over it (a list: after it).
    _settings(tmp_path, f"{table}{option.name} = {_toml(two)}\n")
    assert getattr(parse(argv)[0], option.attr) == two
    if option.kind is not Kind.FLAG:
        expected = [*two, *one] if option.repeatable else one
        assert getattr(parse([*argv, *_line(option, one)])[0], option.attr) == expected
    # The top level of the settings file: the value for every command with the option; an error naming the
    # file, the key and what it takes when another command's option of that name takes something else.
    _settings(tmp_path, f"{option.name} = {_toml(two)}\n")
    takers = [o for _, o in config_keys()[option.name]]
    if all(_accepts(o, two) for o in takers):
        assert getattr(parse(argv)[0], option.attr) == two
    else:
        with pytest.raises(ConfigError, match=f"cleaner.toml: {option.name}:? must be .*sets it for that command only"):
            parse(argv)
    # A wrong type: the file, the key, what it takes and what was given.
    wrong: Any = "lots" if option.kind in (Kind.WHOLE, Kind.NUMBER, Kind.FLAG) else [12]
    _settings(tmp_path, f"{table}{option.name} = {_toml(wrong)}\n")
    with pytest.raises(ConfigError) as refused:
        parse(argv)
    key = ".".join(("commands", *command.path, option.name))
    expected = "a list of strings" if option.repeatable else option.expected()
    assert str(refused.value).startswith(f"{tmp_path / 'cleaner.toml'}: {key}")
    assert f"must be {expected}, got {wrong!r}" in str(refused.value)


def _accepts(option: Option, value: Any) -> bool:
    try:
        option.parse(value)
    except ValueError:
        return False
    return True


def _signature(target: str) -> dict[str, inspect.Parameter]:
    module, _, name = target.partition(":")
    found: Any = importlib.import_module(module)
    for part in name.split("."):
        found = getattr(found, part)
    return {n: p for n, p in inspect.signature(found).parameters.items() if p.kind is not p.VAR_KEYWORD}


LIBRARY = [pytest.param(c, id=c.name) for c in COMMANDS if c.library]


@pytest.mark.parametrize("command", LIBRARY)
def test_the_library_counterpart_takes_each_option_by_its_name_with_its_default(command: Command) -> None:
    parameters: dict[str, inspect.Parameter] = {}
    for target in command.library:
        parameters.update(_signature(target))
    cli_only, library_only = dict(command.cli_only), dict(command.library_only)
    options = {o.attr: o for o in command.options if o.name not in cli_only}
    # Each exception is real: a name that is no option (or no parameter) any more is stale.
    assert set(cli_only) <= {o.name for o in command.options}
    assert set(library_only) <= set(parameters)
    # An option in one surface and not the other.
    assert sorted(set(options) - set(parameters)) == []
    assert sorted(set(parameters) - set(options) - set(library_only)) == []
    for name, option in options.items():
        default = parameters[name].default
        if option.required:
            assert default is inspect.Parameter.empty, name
        else:
            assert (tuple(default) if option.repeatable else default) == (tuple(option.default) if option.repeatable
                                                                          else option.default), name


class _Reached(Exception):
    """The command got as far as its library counterpart."""


def _norm(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    return [_norm(v) for v in value] if isinstance(value, list | tuple) else value


@pytest.mark.parametrize("command", LIBRARY)
def test_the_command_passes_each_option_to_its_library_counterpart_by_name(command: Command, tmp_path,
                                                                            monkeypatch) -> None:
    """Runs the command with every option the library takes set to a value other than its default, the
    counterparts replaced by recorders: each receives the option's value under the option's name."""
    from cleaner.core.siterepeat import SiteProfile

    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.toml").write_text("".join(f'[[rule]]\nid = "MIN00{n}"\npurpose = "a sample rule"\n'
                                                f'line = "A sample junk line {n}"\n' for n in (1, 2)),
                                        encoding="utf-8")
    (tmp_path / "profile.json").write_text(SiteProfile(hosts={}).as_json(), encoding="utf-8")
    (tmp_path / "AGG001").write_text("Title\nBody.\n", encoding="utf-8")  # explain's FILE argument
    # Values a run accepts where any text would not do.
    real = {"rules": ["mine.toml"], "disable": ["MIN002"], "site-profile": "profile.json",
            "out": str(tmp_path / "out"), "format": "text"}
    received: dict[str, Any] = {}
    for target in command.library:
        module, _, name = target.partition(":")
        owner: Any = importlib.import_module(module)
        *path, last = name.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = getattr(owner, last)
        final = target == command.library[-1]

        def recorder(*args: Any, _original: Any = original, _final: bool = final, **kwargs: Any) -> Any:
            bound = inspect.signature(_original).bind(*args, **kwargs)
            received.update(bound.arguments)
            if _final:
                raise _Reached
            return _original(*args, **kwargs)

        monkeypatch.setattr(owner, last, classmethod(lambda cls, *a, _r=recorder, **k: _r(*a, **k))
                            if inspect.ismethod(original) else recorder)
    taken = [o for o in command.options if o.name not in dict(command.cli_only)]
    apart = {name for group in command.exclusive for name in group[1:]}
    for run in [[o for o in taken if o.name not in apart], *([o] for o in taken if o.name in apart)]:
        values = {o.name: real.get(o.name, _value(o)) for o in run}
        argv = _argv(command, without="out")
        argv += [part for o in run for part in _line(o, values[o.name])]
        received.clear()
        with pytest.raises(_Reached):
            main(argv)
        for option in run:
            got = _norm(received[option.attr])
            want = _norm(values[option.name])
            if option.name == "out":
                want = str(Path(want).resolve())
            elif option.name == "rules":
                got = [Path(p).name for p in got]
            assert got == want, option.name


def test_the_command_line_is_the_schema() -> None:
    """Every parameter of every generated command is an argument or option of the schema, and back."""
    group = build_parser()
    with click.Context(group) as ctx:
        for spec in COMMANDS:
            command: Any = group
            for part in spec.path:
                command = command.get_command(ctx, part)
            params = {p.name for p in command.params} - {"help"}
            assert params == {a.attr for a in spec.arguments} | {o.attr for o in spec.options}, spec.name
    assert {p.name for p in group.params} - {"help", "version"} == {o.attr for o in GLOBAL_OPTIONS}


def test_every_option_but_config_is_a_key_of_the_settings_file() -> None:
    options = [*GLOBAL_OPTIONS, *(o for c in COMMANDS for o in c.options)]
    assert [o.name for o in options if not o.config] == ["config"]
    assert set(config_keys()) == {o.name for o in options if o.config}


def test_a_key_no_command_knows_names_the_file_the_key_and_the_closest_keys(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    _settings(tmp_path, "max-rejct-rate = 0.2\n[commands.dedup]\nthreshold = 0.5\n[commands.rules.suggest]\n"
                        "min-dcs = 3\n[commands.rules.sugest]\nmin-docs = 3\n")
    assert main(["rules", "list"]) == 2
    err = capsys.readouterr().err
    assert "cleaner.toml: unknown setting(s) " in err and "max-rejct-rate (closest: max-reject-rate" in err
    assert "commands.dedup.threshold (closest: dedup-threshold)" in err
    assert "commands.rules.suggest.min-dcs (closest: min-docs" in err
    assert "commands.rules.sugest (closest: suggest" in err


def test_the_reported_settings_of_dedup_reach_it(tmp_path, monkeypatch) -> None:
    """dedup-threshold and drop in cleaner.toml were ignored or refused by 'cleaner dedup'."""
    monkeypatch.chdir(tmp_path)
    _settings(tmp_path, "dedup-threshold = 0.5\ndrop = true\n")
    args, _ = parse(["dedup", "out"])
    assert (args.dedup_threshold, args.drop) == (0.5, True)
    assert parse(["clean", "in", "--out", "o"])[0].dedup_threshold == 0.5


def test_command_line_usage_errors_exit_2_naming_the_option(capsys) -> None:
    for argv in (["show", "o", "--full", "--json"], ["dedup", "o", "--dedup-threshold", "1.5"],
                 ["clean", "in"], ["clean", "in", "--out", "o", "--workers", "0"]):
        with pytest.raises(SystemExit) as stopped:
            parse(argv)
        assert stopped.value.code == 2
        err = capsys.readouterr().err
        assert "Usage: cleaner" in err and "Traceback" not in err
        assert any(name in err for name in ("--full", "--dedup-threshold", "--out", "--workers")), err


def test_internal_defaults_are_the_schemas() -> None:
    """Defaults the library's lower layers keep on their own agree with the schema's."""
    from cleaner._options import FORMATS, command
    from cleaner.core.corpus import Thresholds
    from cleaner.core.siterepeat import SiteRepeatSettings
    from cleaner.io.html import HtmlOptions
    from cleaner.io.readers import FORMATS as READER_FORMATS
    from cleaner.io.readers import ReadOptions
    from cleaner.run.dedup import DEFAULT_THRESHOLD
    from cleaner.run.plan import DEFAULT_SHARD_BYTES
    from cleaner.run.shard import MIB, JobSettings

    clean = command("clean")
    default = {o.name: o.default for o in clean.options}
    assert FORMATS == READER_FORMATS
    assert (Thresholds().min_docs, Thresholds().min_share) == (default["min-docs"], default["min-share"])
    assert (SiteRepeatSettings().min_pages, SiteRepeatSettings().min_share) == (
        default["site-min-pages"], default["site-min-share"])
    assert (HtmlOptions().include_comments, HtmlOptions().max_elements, HtmlOptions().max_element_attributes) == (
        default["keep-comments"], default["max-html-elements"], default["max-html-attributes"])
    read = ReadOptions()
    assert (read.format, read.id_field, read.text_field, read.url_field, read.max_document_bytes) == (
        default["format"], default["id-field"], default["text-field"], default["url-field"],
        default["max-document-mb"] * MIB)
    job = JobSettings(out="")
    assert (job.part_bytes, job.time_budget, job.row_group_rows) == (
        default["part-mb"] * MIB, default["time-budget"], default["row-group-rows"])
    assert (default["dedup-threshold"], default["shard-mb"] * MIB) == (DEFAULT_THRESHOLD, DEFAULT_SHARD_BYTES)
    assert JobSettings.from_options("") == job


def test_the_options_reference_is_written_from_the_schema() -> None:
    from cleaner._options import reference
    from tests.conftest import ROOT

    written = (ROOT / "docs" / "options.md").read_text(encoding="utf-8")
    assert written == reference(), "docs/options.md is stale: python -m cleaner._options > docs/options.md"


def test_option_names_that_are_also_command_names_live_beside_the_command_tables(tmp_path, monkeypatch) -> None:
    """``rules`` and ``dedup`` are options and commands: the command tables are under [commands], so one file
    holds both."""
    monkeypatch.chdir(tmp_path)
    _settings(tmp_path, 'rules = ["team/"]\ndedup = true\ndedup-threshold = 0.6\n[commands.dedup]\n'
                        "dedup-threshold = 0.9\n[commands.rules.suggest]\nmin-docs = 9\n")
    clean = parse(["clean", "in", "--out", "o"])[0]
    assert (clean.rules, clean.dedup, clean.dedup_threshold, clean.min_docs) == (["team/"], True, 0.6, 5)
    assert parse(["dedup", "o"])[0].dedup_threshold == 0.9
    suggest = parse(["rules", "suggest", "in"])[0]
    assert (suggest.rules, suggest.min_docs) == (["team/"], 9)


@pytest.mark.parametrize("option", [o for o in GLOBAL_OPTIONS if o.config], ids=lambda o: o.name)
def test_each_option_of_the_program_reaches_it_from_the_command_line_and_the_settings_file(
        option: Option, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    command = ["rules", "list"]
    assert parse(command)[1][option.attr] == option.default
    given = 2 if option.kind is Kind.COUNT else _value(option)
    line = [option.flag] * given if option.kind is Kind.COUNT else _line(option, given)
    assert parse([*line, *command])[1][option.attr] == given
    _settings(tmp_path, f"{option.name} = {_toml(given)}\n")
    assert parse(command)[1][option.attr] == given
    (tmp_path / "other.toml").write_text("", encoding="utf-8")  # --config names another file: this one is not read
    assert parse(["--config", "other.toml", *command])[1][option.attr] == option.default
