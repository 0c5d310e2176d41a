"""Reading rule files from disk: the one place rules touch the file system."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from cleaner.core.errors import RuleError
from cleaner.core.rules import RuleFile, RuleSet, parse_rule_file

RULE_SUFFIX = ".toml"


def builtin_rules_dir() -> Path:
    """The rule files shipped with the package (``rules/`` in a source checkout)."""
    packaged = resources.files("cleaner") / "_builtin_rules"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "rules"


def rule_paths(target: str | Path) -> list[Path]:
    """The rule files a path names: the file itself, or every ``*.toml`` under a folder, sorted."""
    path = Path(target)
    if path.is_dir():
        found = sorted(p for p in path.rglob(f"*{RULE_SUFFIX}") if p.is_file())
        if not found:
            raise RuleError(str(path), f"folder holds no {RULE_SUFFIX} rule files")
        return found
    if not path.is_file():
        raise RuleError(str(path), "no such rule file or folder")
    return [path]


def read_rule_file(path: Path) -> RuleFile:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RuleError(str(path), f"cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RuleError(str(path), f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                        line=line) from None
    from cleaner.io.html_blocks import check_selector

    return parse_rule_file(text.removeprefix("\ufeff"), str(path), check_selector)


def load_rules(paths: Iterable[str | Path] = (), *, builtin: bool = True,
               disable: Iterable[str] = ()) -> RuleSet:
    """A rule set from the built-in files (unless ``builtin=False``) and the given files or folders."""
    files: list[Path] = rule_paths(builtin_rules_dir()) if builtin else []
    for target in paths:
        files.extend(rule_paths(target))
    return RuleSet(tuple(read_rule_file(p) for p in files), frozenset(disable))
