"""Team settings for the command line: ``cleaner.toml``, or ``[tool.cleaner]`` in ``pyproject.toml``.

Keys are the long option names of the commands (``workers = 4``, ``max-reject-rate = 0.2``,
``rules = ["team-rules/"]``, ``disable = ["WEB006"]``); they become those options' defaults, so anything
on the command line still wins, and repeatable options (``--rules``, ``--disable``) add to the file's list.
A key that no command knows, or a value of the wrong type, is an error naming the file and the key.
"""

from __future__ import annotations

import argparse
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cleaner.core.errors import CleanerError

CONFIG_NAME = "cleaner.toml"


class ConfigError(CleanerError):
    """A settings file that cannot be used: names the file, the key and why."""


def find_config(explicit: str | None, folder: Path) -> tuple[dict[str, Any], str] | None:
    """The settings and their file: ``explicit``, else ``cleaner.toml``, else ``[tool.cleaner]`` of
    ``pyproject.toml`` in ``folder``; None when there are none."""
    if explicit is not None:
        return _read(Path(explicit), explicit_table=False), explicit
    own = folder / CONFIG_NAME
    if own.is_file():
        return _read(own, explicit_table=False), str(own)
    project = folder / "pyproject.toml"
    if project.is_file():
        table = _read(project, explicit_table=True)
        if table:
            return table, f"{project} [tool.cleaner]"
    return None


def _read(path: Path, *, explicit_table: bool) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    if explicit_table:
        tool = data.get("tool", {})
        if not isinstance(tool, dict):
            raise ConfigError(f"{path}: tool must be a table ([tool.cleaner] holds the settings), got {tool!r}")
        data = tool.get("cleaner", {})
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: [tool.cleaner] must be a table, got {data!r}")
    return data


def apply_config(parsers: Iterable[argparse.ArgumentParser], settings: Mapping[str, Any], source: str) -> None:
    """Makes the settings the defaults of every command that has the option; refuses unknown keys."""
    used: set[str] = set()
    for parser in parsers:
        for action in parser._actions:  # argparse keeps no public list of a parser's options
            names = {option.lstrip("-") for option in action.option_strings if option.startswith("--")}
            for key in names & set(settings):
                action.default = _value(action, key, settings[key], source)
                used.add(key)
    unknown = sorted(set(settings) - used)
    if unknown:
        raise ConfigError(f"{source}: unknown setting(s) {', '.join(unknown)}; keys are long option names "
                          "of the commands, e.g. workers, disable, max-reject-rate")


def _value(action: argparse.Action, key: str, value: Any, source: str) -> Any:
    where = f"{source}: {key}"
    if action.nargs == 0:  # a flag such as --removals
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, got {value!r}")
        return value
    if isinstance(action, argparse._AppendAction):  # --rules, --disable: a list
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(item, str) for item in items):
            raise ConfigError(f"{where} must be a list of strings, got {value!r}")
        return [_converted(action, item, where) for item in items]
    if isinstance(value, list | dict | bool):
        raise ConfigError(f"{where} must be {_expected(action)}, got {value!r}")
    return _converted(action, str(value), where)


def _expected(action: argparse.Action) -> str:
    """What an option takes, in words: the settings file's errors say which type a key wants."""
    if action.choices is not None:
        return f"one of {', '.join(map(str, action.choices))}"
    kind = action.type
    described = getattr(kind, "expected", None)  # the CLI's own number types say it themselves
    if described:
        return str(described)
    if kind is int:
        return "a whole number"
    return "a number" if kind is float else "a single value (text)"


def _converted(action: argparse.Action, text: str, where: str) -> Any:
    try:
        value = action.type(text) if callable(action.type) else text
    except argparse.ArgumentTypeError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    except (ValueError, TypeError):
        raise ConfigError(f"{where} must be {_expected(action)}, got {text!r}") from None
    if action.choices is not None and value not in action.choices:
        raise ConfigError(f"{where} must be one of {', '.join(map(str, action.choices))}, got {value!r}")
    return value
