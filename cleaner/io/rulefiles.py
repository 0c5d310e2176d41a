"""Reading rule files from disk: the one place rules touch the file system."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from cleaner.core.errors import RuleError
from cleaner.core.facts import PatternFacts
from cleaner.core.rules import RuleFile, RuleSet, parse_rule_file

RULE_SUFFIX = ".toml"


def builtin_rules_dir() -> Path:
    """The rule files shipped with the package (``rules/`` in a source checkout)."""
    # The package is always a folder on disk (it holds a compiled module, so it is never imported from a zip):
    # its path, rather than importlib.resources, whose readers cost a fresh process's first build a few ms.
    package = Path(__file__).resolve().parents[1]
    packaged = package / "_builtin_rules"
    if packaged.is_dir():
        return packaged
    return package.parent / "rules"


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
    return parse_rule_bytes(read_rule_bytes(path), str(path))


def read_rule_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise RuleError(str(path), f"cannot read: {exc.strerror or exc}") from None


def parse_rule_bytes(data: bytes, source: str, facts: PatternFacts | None = None) -> RuleFile:
    """A rule file from its bytes, as read once (a run compiles and fingerprints the same bytes). ``facts``:
    what earlier builds learned about patterns (see :mod:`cleaner.core.facts`), used and added to."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RuleError(source, f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                        line=line) from None
    from cleaner.io.selectors import check_selector

    return parse_rule_file(text.removeprefix("\ufeff"), source, check_selector, facts)


def rule_file_paths(paths: Iterable[str | Path] = (), *, builtin: bool = True) -> list[Path]:
    """The rule files a rule set is made of: the built-in ones (unless ``builtin=False``), then those named."""
    files: list[Path] = rule_paths(builtin_rules_dir()) if builtin else []
    for target in paths:
        files.extend(rule_paths(target))
    return files


#: Rule files as they were read: (path, bytes) in load order.
RuleSnapshot = tuple[tuple[str, bytes], ...]


def snapshot_rules(paths: Iterable[str | Path] = (), *, builtin: bool = True) -> RuleSnapshot:
    """Every rule file's bytes, read once: what a run compiles in every worker and names in its outputs, so
    a file rewritten while the run goes on changes neither."""
    return tuple((str(p), read_rule_bytes(p)) for p in rule_file_paths(paths, builtin=builtin))


def rules_from_snapshot(snapshot: RuleSnapshot, disable: Iterable[str] = (), facts: PatternFacts | None = None
                        ) -> RuleSet:
    """The rule set of a snapshot; ``facts``: what earlier builds learned about its patterns (see
    :mod:`cleaner.io.rulecache`), used, added to and carried by the rule set for its engine."""
    facts = facts if facts is not None else PatternFacts()
    return RuleSet(tuple(parse_rule_bytes(data, source, facts) for source, data in snapshot), frozenset(disable),
                   facts)


def load_rules(paths: Iterable[str | Path] = (), *, builtin: bool = True,
               disable: Iterable[str] = ()) -> RuleSet:
    """A rule set from the built-in files (unless ``builtin=False``) and the given files or folders."""
    files = rule_file_paths(paths, builtin=builtin)
    return RuleSet(tuple(read_rule_file(p) for p in files), frozenset(disable))
