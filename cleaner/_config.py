"""Team settings for the command line: ``cleaner.toml``, or ``[tool.cleaner]`` in ``pyproject.toml``.

Keys are the long option names of the commands (``workers = 4``, ``max-reject-rate = 0.2``,
``rules = ["team-rules/"]``, ``disable = ["WEB006"]``), checked against the options schema
(cleaner/_options.py): a key sets that option for every command that has it. A command's own table
(``[commands.dedup]``, ``[commands.rules.suggest]``) sets options of that command only, over the top level.
The settings are defaults: anything on the command line still wins, and repeatable options (``--rules``,
``--disable``) add to the file's list. A key that no command knows, or a value of the wrong type, is an error
naming the file and the key (and the known keys closest to an unknown one, or the type a key wants).
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any

from cleaner._options import COMMANDS, Option, Settings, WrongType, config_keys
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
    except RecursionError:  # tomllib parses nested arrays recursively: [[[[...]]]] thousands deep
        raise ConfigError(f"{path}: not valid TOML: arrays or tables nested too deeply") from None
    if explicit_table:
        tool = data.get("tool", {})
        if not isinstance(tool, dict):
            raise ConfigError(f"{path}: tool must be a table ([tool.cleaner] holds the settings), got {tool!r}")
        data = tool.get("cleaner", {})
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: [tool.cleaner] must be a table, got {data!r}")
    return data


#: The table of command tables: ``[commands.dedup]``, ``[commands.rules.suggest]`` (apart from the top level,
#: whose keys are option names, some of which are also command names: ``dedup``, ``rules``).
COMMANDS_TABLE = "commands"


def _tables(data: dict[str, Any], source: str, unknown: list[str]) -> dict[str, dict[str, Any]]:
    """The settings by command name: the top level under "", each command's table under its name; a table
    that names no command goes to ``unknown``."""
    found: dict[str, dict[str, Any]] = {"": {k: v for k, v in data.items() if k != COMMANDS_TABLE}}
    tables = data.get(COMMANDS_TABLE, {})
    if not isinstance(tables, dict):
        raise ConfigError(f"{source}: {COMMANDS_TABLE} must be a table of command tables "
                          f"([{COMMANDS_TABLE}.dedup]), got {tables!r}")
    paths = {c.path[:depth] for c in COMMANDS for depth in range(1, len(c.path) + 1)}
    commands = {c.path for c in COMMANDS}

    def walk(table: dict[str, Any], prefix: tuple[str, ...]) -> None:
        for key, value in table.items():
            path = (*prefix, key)
            if path in commands and isinstance(value, dict):
                found[" ".join(path)] = value
            elif path in paths and isinstance(value, dict):  # a group: rules, profile
                walk(value, path)
            else:  # no command of that name, or not a table
                siblings = [p[-1] for p in paths if p[:-1] == prefix]
                unknown.append(".".join((COMMANDS_TABLE, *path)) + _closest(key, siblings))

    walk(tables, ())
    return found


def check_settings(data: dict[str, Any], source: str) -> Settings:
    """``data`` (a settings file's table) checked against the options schema, as :class:`Settings`."""
    commands = {c.name: c for c in COMMANDS}
    settings = Settings(source, {name: {} for name in ["", *commands]})
    unknown: list[str] = []
    for table, given in _tables(data, source, unknown).items():  # the top level first: a command's own replaces it
        command = commands.get(table)
        known = {o.name: o for o in command.options if o.config} if command else {}
        for key, value in given.items():
            shown = ".".join((COMMANDS_TABLE, *table.split(), key)) if table else key
            where = f"{source}: {shown}"
            if command is not None:
                if key not in known:
                    unknown.append(shown + _closest(key, list(known)))
                    continue
                settings.values[table][key] = _checked(known[key], value, where, table)
                continue
            takers = config_keys().get(key)
            if not takers:
                unknown.append(key + _closest(key, list(config_keys())))
                continue
            for name, option in takers:
                settings.values[name][key] = _checked(option, value, where, name, top=True)
    if unknown:
        raise ConfigError(f"{source}: unknown setting(s) {', '.join(unknown)}; keys are long option names of the "
                          "commands, e.g. workers, disable, max-reject-rate (docs/options.md lists them all)")
    return settings


def _closest(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.6)
    return f" (closest: {', '.join(close)})" if close else ""


def _checked(option: Option, value: Any, where: str, command: str, *, top: bool = False) -> Any:
    """The value, parsed; ConfigError names the file, the key, what it takes and what was given. A top-level
    key that some other command takes is told where a value for this command alone goes."""
    whose = ""
    if top and command and len(config_keys()[option.name]) > 1:
        whose = f" (for {command}; [{'.'.join((COMMANDS_TABLE, *command.split()))}] sets it for that command only)"
    try:
        return option.parse(value)
    except WrongType as exc:  # "workers must be a whole number, got [4]" (as the settings file has always said)
        raise ConfigError(f"{where} {exc}{whose}") from None
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}{whose}") from None
