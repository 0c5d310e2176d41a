"""Team settings for the command line: ``cleaner.toml``, or ``[tool.cleaner]`` in ``pyproject.toml``.

Keys are the long option names of the commands (``workers = 4``, ``max-reject-rate = 0.2``,
``rules = ["team-rules/"]``, ``disable = ["WEB006"]``), checked against the options schema
(cleaner/_options.py): a key sets that option for every command that has it. A table named after a command
(``[dedup]``, ``[rules.suggest]``) sets options of that command only, over the top level. The settings are
defaults: anything on the command line still wins, and repeatable options (``--rules``, ``--disable``) add to
the file's list. A key that no command knows, or a value of the wrong type, is an error naming the file and the
key (and the known keys closest to an unknown one, or the type a key wants).
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any

from cleaner._options import COMMANDS, Option, Settings, config_keys
from cleaner.core.errors import CleanerError

CONFIG_NAME = "cleaner.toml"


class ConfigError(CleanerError):
    """A settings file that cannot be used: names the file, the key and why."""


def find_config(explicit: str | None, folder: Path) -> Settings | None:
    """The settings of ``explicit``, else of ``cleaner.toml``, else of ``[tool.cleaner]`` in ``pyproject.toml``
    in ``folder``, checked; None when there are none."""
    if explicit is not None:
        return check_settings(_read(Path(explicit), explicit_table=False), explicit)
    own = folder / CONFIG_NAME
    if own.is_file():
        return check_settings(_read(own, explicit_table=False), str(own))
    project = folder / "pyproject.toml"
    if project.is_file():
        table = _read(project, explicit_table=True)
        if table:
            return check_settings(table, f"{project} [tool.cleaner]")
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


def _tables(data: dict[str, Any], prefix: tuple[str, ...] = ()) -> dict[str, dict[str, Any]]:
    """The settings by command: the top level under "", each command's table under its name."""
    found: dict[str, dict[str, Any]] = {" ".join(prefix): {}}
    names = {c.path[: len(prefix) + 1] for c in COMMANDS if c.path[: len(prefix)] == prefix}
    for key, value in data.items():
        if isinstance(value, dict) and (*prefix, key) in names:
            found.update(_tables(value, (*prefix, key)))
        else:
            found[" ".join(prefix)][key] = value
    return found


def check_settings(data: dict[str, Any], source: str) -> Settings:
    """``data`` (a settings file's table) checked against the options schema, as :class:`Settings`."""
    commands = {c.name: c for c in COMMANDS}
    settings = Settings(source, {name: {} for name in ["", *commands]})
    unknown: list[str] = []
    for table, given in _tables(data).items():
        command = commands.get(table)
        known = {o.name: o for o in command.options if o.config} if command else {}
        if table and command is None:  # a group's table ([rules], [profile]) holds only sub-command tables
            unknown.extend(f"{table.replace(' ', '.')}.{key}" for key in given)
            continue
        for key, value in given.items():
            where = f"{source}: {key if not table else table.replace(' ', '.') + '.' + key}"
            if command is not None:
                if key not in known:
                    unknown.append(f"{table.replace(' ', '.')}.{key}{_closest(key, list(known))}")
                    continue
                settings.values[table][key] = _checked(known[key], value, where, table)
                continue
            takers = config_keys().get(key)
            if not takers:
                unknown.append(key + _closest(key, list(config_keys())))
                continue
            for name, option in takers:  # the top level comes first: a command's own table replaces it after
                settings.values[name][key] = _checked(option, value, where, name)
    if unknown:
        raise ConfigError(f"{source}: unknown setting(s) {', '.join(unknown)}; keys are long option names of the "
                          "commands, e.g. workers, disable, max-reject-rate (docs/options.md lists them all)")
    return settings


def _closest(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.6)
    return f" (closest: {', '.join(close)})" if close else ""


def _checked(option: Option, value: Any, where: str, command: str) -> Any:
    try:
        return option.parse(value)
    except ValueError as exc:
        whose = f" (for {command or 'the program'}; a command's own table, e.g. [{command.replace(' ', '.')}], " \
                "sets it for that command only)" if command and len(config_keys()[option.name]) > 1 else ""
        raise ConfigError(f"{where}: {exc}{whose}") from None

