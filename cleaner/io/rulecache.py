"""Compiled rules cached on disk, so that a fresh process builds a ``Cleaner`` without compiling them again.

What is stored is what building the rules learns about each pattern (:class:`cleaner.core.facts.PatternFacts`):
the Python ``regex`` compiled form (the arguments ``regex`` itself hands its compiled module, as plain data),
the patterns whose backtracking probe passed, the parse-tree analyses and the Rust-syntax translations. It is
JSON, never pickle: loading an entry runs no code from it. Beside it, the line matcher's compiled pattern set
(its NFA's states, as the compiled core writes them: :meth:`cleaner.core.matcher.LineMatcher.compiled_form`),
named by a hash of the translated patterns it holds, since rules switched off change it. An entry is named by
a hash of everything its answers depend on (the rule files' bytes, this package's version and core sources,
the compiled module, the ``regex`` version and the Python and Unicode versions), so an entry is only ever
used by the build it fits. It also holds where this Python's Unicode data and the compiled module's differ
(:class:`cleaner.core.text.ViewTables`), which the key names too. The compiled module's own hash is kept in
the folder (``native-*.sha256``) under the file's size, inode and times, and computed again when they change.

Where: ``$CLEANER_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/cleaner`` (``~/.cache/cleaner``). Off when
``CLEANER_NO_RULE_CACHE`` is set to anything but ``""``/``0``, or ``CLEANER_CACHE_DIR`` is ``""``.
Entries are written to a temporary file and renamed into place (concurrent processes each write a whole
entry; a reader sees an old one or a new one, never half of one). An entry that fails its checksum or does not
decode is rebuilt with a warning; a cache folder that cannot be written leaves the build uncached, silently.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import importlib.util
import json
import logging
import os
import sys
import tempfile
import time
import unicodedata
import warnings
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import repeat
from pathlib import Path
from threading import Lock
from typing import Any

import regex
from regex import _regex as _regex_engine  # type: ignore[attr-defined]

import cleaner._native as _native
from cleaner._version import __version__
from cleaner.core.facts import PatternFacts
from cleaner.core.rules import RuleSet
from cleaner.core.text import ViewTables
from cleaner.core.translate import CharacterTables, Confirmation, Fidelity, Translation
from cleaner.io.rulefiles import RuleSnapshot, rules_from_snapshot

#: Bumped when what an entry holds, or how, changes.
FORMAT = 5
ENV_DIR = "CLEANER_CACHE_DIR"
ENV_OFF = "CLEANER_NO_RULE_CACHE"
#: Entries kept in the folder; the least recently written go first (each rule set has its own entry, and each
#: set of line-matcher patterns its compiled set, a few MB for the built-in rules).
KEEP = 16
KEEP_MATCHERS = 8
_PREFIX, _SUFFIX = "rules-", ".json"
_MATCHER_PREFIX, _MATCHER_SUFFIX = "matcher-", ".bin"
#: A temporary file (or, for the language model, a folder) left by a process killed while writing is removed
#: once it is this old (seconds).
STALE = 3600.0
_CORE = Path(__file__).resolve().parents[1] / "core"
_log = logging.getLogger(__name__)


class RuleCacheWarning(UserWarning):
    """A cache entry was unusable (damaged or not this build's) and is being rebuilt."""


@lru_cache(maxsize=1)
@cache  # filling the tables costs part of a second; every build of the process shares them, as before
def shared_character_tables() -> CharacterTables:
    """The translator's character tables for this process (filled on first need, then kept)."""
    return CharacterTables()


#: What building each rule set (by its key) learned, for this process's next build of it: reading the entry
#: again costs a JSON parse each time. At most :data:`KEEP_IN_PROCESS`, the newest last.
_known: dict[str, PatternFacts] = {}
_known_lock = Lock()
KEEP_IN_PROCESS = 8


def cached_rules(snapshot: RuleSnapshot, disable: Iterable[str] = (), cache: RuleCache | None = None) -> RuleSet:
    """The rule set of these rule files, built with the answers stored for them (this process's, else the disk
    cache's; ``cache``: the environment's by default). It carries them (``RuleSet.facts``) for its engine;
    :func:`remember` stores what the build added."""
    cache = cache if cache is not None else RuleCache.from_environment()
    key = cache_key(data for _, data in snapshot)
    with _known_lock:
        facts = _known.get(key)
    if facts is None:
        facts = cache.read(key, shared_character_tables())
    facts.key = key
    return rules_from_snapshot(snapshot, disable, facts)


def remember(facts: PatternFacts, cache: RuleCache | None = None) -> None:
    """Keeps a finished build's answers for this process, and stores them on disk when it computed any."""
    if not facts.key:
        return
    if facts.learned:
        (cache if cache is not None else RuleCache.from_environment()).write(facts.key, facts)
        facts.learned = False
    with _known_lock:
        _known.pop(facts.key, None)
        _known[facts.key] = facts
        while len(_known) > KEEP_IN_PROCESS:
            del _known[next(iter(_known))]


def default_directory() -> Path | None:
    """The cache folder the environment names (None: the cache is off)."""
    if os.environ.get(ENV_OFF, "") not in ("", "0"):
        return None
    given = os.environ.get(ENV_DIR)
    if given is not None:
        return Path(given).expanduser() if given.strip() else None
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "cleaner"


@cache  # a process's build does not change under it
def build_identity() -> bytes:
    """What every stored answer depends on besides the rule files: this package's version, the core sources
    that compute the answers and this module that writes them (an edited checkout invalidates its entries),
    the compiled module, ``regex`` and Python with their Unicode data."""
    digest = hashlib.sha256()
    parts = [f"format {FORMAT}", f"cleaner {__version__}", f"regex {regex.__version__}", f"python {sys.version}",
             f"unicode {unicodedata.unidata_version}"]
    digest.update("\n".join(parts).encode())
    for path in [*sorted(_CORE.glob("*.py")), Path(__file__), *_cssselect_sources()]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    native = getattr(_native, "__file__", None)
    if native:
        digest.update(native_digest(Path(native), default_directory()))
    return digest.digest()


_NATIVE_PREFIX, _NATIVE_SUFFIX = "native-", ".sha256"
#: Memos kept: one per compiled module file that uses the folder (several installs may share it).
KEEP_NATIVE = 16


def native_digest(path: Path, directory: Path | None) -> bytes:
    """The SHA-256 of the compiled module's bytes (a few MB: reading and hashing them cost a fresh process some
    2.5 ms), remembered in ``directory`` beside the entries under the file's identity: its path, size, inode
    and change times (a memo for each file, named by them, so that installs sharing the folder keep theirs). A
    rebuilt or replaced module changes those (its change time cannot be set back), so its bytes are hashed
    again; a memo that does not read as one is ignored and written anew."""
    stat = path.stat()
    tag = f"{path.resolve()}|{stat.st_size}|{stat.st_ino}|{stat.st_mtime_ns}|{stat.st_ctime_ns}"
    name = f"{_NATIVE_PREFIX}{hashlib.sha256(tag.encode(errors='surrogateescape')).hexdigest()[:32]}{_NATIVE_SUFFIX}"
    memo = None if directory is None else directory / name
    if memo is not None:
        try:
            stored_tag, _, stored = memo.read_bytes().decode(errors="surrogateescape").partition("\n")
            if stored_tag == tag and len(stored) == 64:
                return bytes.fromhex(stored)
        except (OSError, ValueError):
            pass
    found = hashlib.sha256(path.read_bytes()).digest()
    if memo is not None:
        RuleCache(directory)._write(memo, f"{tag}\n{found.hex()}".encode(errors="surrogateescape"), _NATIVE_PREFIX,
                                    _NATIVE_SUFFIX, KEEP_NATIVE)
    return found


def _cssselect_sources() -> list[Path]:
    """cssselect's sources (the selectors it found valid are stored): read rather than imported, since a build
    from the cache needs cssselect for nothing else and importing it costs a fresh process some ms."""
    spec = importlib.util.find_spec("cssselect")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("cssselect is not installed")
    return sorted(path for folder in spec.submodule_search_locations for path in Path(folder).glob("*.py"))


def cache_key(rule_bytes: Iterable[bytes], identity: bytes | None = None) -> str:
    """The entry's name for rule files with these bytes (in load order), under this build."""
    digest = hashlib.sha256(identity if identity is not None else build_identity())
    for data in rule_bytes:
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


@dataclass(frozen=True)
class RuleCache:
    """Entries in one folder (``directory`` None: no cache; every read is a miss and nothing is written)."""

    directory: Path | None

    @classmethod
    def from_environment(cls) -> RuleCache:
        return cls(default_directory())

    def path(self, key: str) -> Path | None:
        return None if self.directory is None else self.directory / f"{_PREFIX}{key}{_SUFFIX}"

    def read(self, key: str, tables: CharacterTables | None = None) -> PatternFacts:
        """The stored answers for ``key``, or none (a miss; a damaged entry is reported and treated as one)."""
        facts = PatternFacts(tables=tables)
        path = self.path(key)
        data = _read(path)
        if data is None:
            return facts
        try:
            _decode(data, key, facts)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, regex.error) as exc:
            _unusable(path, exc)
            return PatternFacts(tables=tables)
        return facts

    def write(self, key: str, facts: PatternFacts) -> bool:
        """Writes the entry for ``key`` whole or not at all; False when the folder cannot be written."""
        return self._write(self.path(key), _framed(_encode(facts), key), _PREFIX, _SUFFIX, KEEP)

    def matcher_path(self, key: str) -> Path | None:
        return None if self.directory is None else self.directory / f"{_MATCHER_PREFIX}{key}{_MATCHER_SUFFIX}"

    def read_matcher(self, key: str) -> bytes | None:
        """The compiled line-matcher set stored under ``key`` (see :func:`matcher_key`), or None."""
        path = self.matcher_path(key)
        data = _read(path)
        if data is None:
            return None
        try:
            return _unframed(data, key)
        except ValueError as exc:
            _unusable(path, exc)
            return None

    def write_matcher(self, key: str, compiled: bytes) -> bool:
        return self._write(self.matcher_path(key), _framed(compiled, key), _MATCHER_PREFIX, _MATCHER_SUFFIX,
                           KEEP_MATCHERS)

    def _write(self, path: Path | None, data: bytes, prefix: str, suffix: str, keep: int) -> bool:
        """``data`` written to ``path`` whole or not at all (a temporary file renamed into place); False when the
        folder cannot be written."""
        if path is None:
            return False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(data)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            _log.debug("rule cache %s not written: %s", path, exc)
            return False
        self._prune(path, prefix, suffix, keep)
        return True

    def _prune(self, kept: Path, prefix: str, suffix: str, keep: int) -> None:
        """Only the newest ``keep`` entries of a kind stay, and no temporary file a killed writer left."""
        assert self.directory is not None
        try:
            entries = []
            now = time.time()
            for item in self.directory.iterdir():
                if item.name.startswith(prefix) and item.name.endswith(suffix) and item != kept:
                    entries.append((item.stat().st_mtime, item))
                elif item.name.startswith(f".{prefix}") and item.name.endswith(".tmp") and \
                        now - item.stat().st_mtime > STALE:
                    item.unlink(missing_ok=True)
            for _, item in sorted(entries, reverse=True)[keep - 1:]:
                item.unlink(missing_ok=True)
        except OSError as exc:  # another process pruning at the same time, or a read-only folder
            _log.debug("rule cache %s not pruned: %s", self.directory, exc)


def matcher_key(patterns: Iterable[str | None]) -> str:
    """The name of the compiled line-matcher set of these translated patterns (in the engine's order; None for
    a python-only probe, which the set does not hold), under this build."""
    digest = hashlib.sha256(build_identity() + b"matcher")
    for pattern in patterns:
        if pattern is not None:
            data = pattern.encode()
            digest.update(len(data).to_bytes(8, "little"))
            digest.update(data)
    return digest.hexdigest()


def _read(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        _log.debug("rule cache %s unreadable: %s", path, exc)
        return None


def _unusable(path: Path | None, problem: Exception) -> None:
    warnings.warn(f"rule cache entry {path} is unusable ({problem}); rebuilding it", RuleCacheWarning, stacklevel=4)


# --- the entries' format -----------------------------------------------------------------------------------
# One line of JSON header (format, key, payload size and SHA-256), then the payload: for the answers, JSON in
# which every pattern text is written once, in a table, and named by its position elsewhere; for a matcher,
# the compiled set's bytes as the compiled core gives them.


def _framed(body: bytes, key: str) -> bytes:
    header = {"format": FORMAT, "key": key, "size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    return json.dumps(header).encode() + b"\n" + body


def _unframed(data: bytes, key: str) -> bytes:
    """The payload of an entry; ValueError when it is damaged or not this build's entry for ``key``."""
    line, _, body = data.partition(b"\n")
    header = json.loads(line)
    if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("key") != key:
        raise ValueError("written by another version or for other rules")
    if header.get("size") != len(body) or header.get("sha256") != hashlib.sha256(body).hexdigest():
        raise ValueError("checksum mismatch: the entry is truncated or damaged")
    return body


def _encode(facts: PatternFacts) -> bytes:
    texts: dict[str, int] = {}

    def ref(text: str) -> int:
        return texts.setdefault(text, len(texts))

    compiled = []
    for (text, flags), pattern in facts.compiled.items():
        stored = _compiled_data(pattern)
        if stored is not None:
            compiled.append([ref(text), flags, *stored])
    payload: dict[str, Any] = {
        "compiled": compiled,
        "probed": [[ref(text), flags, bound] for text, flags, bound in sorted(facts.probed)],
        "timeouts": [[ref(text), case, value] for (text, case), value in facts.timeouts.items()],
        # Whole first words, then prefixes: tens of thousands of words, each written once as plain text.
        "starts": [[ref(text), case, sorted(word for word, whole in value if whole),
                    sorted(word for word, whole in value if not whole)]
                   for (text, case), value in facts.starts.items()],
        "required": [[ref(text), case, None if value is None else sorted(value)]
                     for (text, case), value in facts.required.items()],
        "firsts": [[ref(text), flags, None if value is None else "".join(sorted(value))]
                   for (text, flags), value in facts.firsts.items()],
        "translations": [[ref(text), flags, t.rust, t.fidelity.value, t.reason]
                         for (text, flags), t in facts.translations.items()],
        "confirmations": [[ref(text), flags, c.rust, list(c.names), list(c.python_names),
                           [[positive, check] for positive, check in c.checks], c.word_boundary, c.reason,
                           [[[kind, step] for kind, step in steps] for steps in c.arms],
                           [[positive, look, marker] for positive, look, marker in c.junctions], list(c.places)]
                          for (text, flags), c in facts.confirmations.items()],
        "documents": facts.documents,
        "selectors": sorted(facts.selectors),
        # Where this Python's Unicode data and the compiled module's differ (the key names both): asking them
        # again is most of what building the matching views costs a fresh process.
        # As runs of code points: letters past U+FFFF written as text would make the whole entry's text wide
        # (four bytes a character) and its parse slower.
        "views": None if facts.tables is None else [_runs(part)
                                                    for part in dataclasses.astuple(facts.tables.view_tables())],
    }
    payload["texts"] = list(texts)
    # ASCII (other characters escaped): the parse reads it faster than the same text as UTF-8.
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode()


def _runs(text: str) -> list[int]:
    """The code points of a text as runs of consecutive ones: the first and past-the-last of each, in order."""
    runs: list[int] = []
    for code in map(ord, text):
        if runs and runs[-1] == code:
            runs[-1] = code + 1
        else:
            runs += [code, code + 1]
    return runs


def _from_runs(runs: list[int]) -> str:
    """The text :func:`_runs` gave these runs for; ValueError when they are not runs of code points."""
    if len(runs) % 2 or not all(type(code) is int and 0 <= code <= 0x110000 for code in runs) or \
            any(start > end for start, end in zip(runs[::2], runs[1::2], strict=True)):
        raise ValueError("code point runs out of range")
    codes = array("I")
    for start, end in zip(runs[::2], runs[1::2], strict=True):
        codes.extend(range(start, end))
    return codes.tobytes().decode("utf-32-le" if sys.byteorder == "little" else "utf-32-be")


def _compiled_data(pattern: regex.Pattern[str]) -> list[Any] | None:
    """The arguments ``regex`` built the pattern's compiled object from, as JSON values (None when they hold
    something other than this shape, such as named lists, which rules never use)."""
    data = getattr(pattern, "_pickled_data", None)
    if not isinstance(data, tuple) or len(data) != 11:
        return None
    _text, flags, code, group_index, index_group, named_lists, list_indexes, offset, chars, req_flags, groups = data
    if not isinstance(code, bytes) or named_lists or list_indexes:
        return None
    return [flags, base64.b64encode(code).decode("ascii"), group_index, sorted(index_group.items()), offset,
            list(chars), req_flags, groups]


def _decode(data: bytes, key: str, facts: PatternFacts) -> None:
    """Fills ``facts`` from an entry; ValueError (or a type/index error) when it is damaged or foreign."""
    payload = json.loads(_unframed(data, key))
    texts: list[str] = payload["texts"]
    if not all(isinstance(text, str) for text in texts):
        raise TypeError("pattern table holds a non-text")
    for text_ref, given_flags, flags, code, group_index, index_group, offset, chars, req_flags, groups \
            in payload["compiled"]:
        text = texts[text_ref]
        pattern = _regex_engine.compile(
            text, flags, base64.b64decode(code, validate=True), group_index, dict(map(tuple, index_group)),
            {}, [], offset, tuple(chars), req_flags, groups)
        if pattern.pattern != text or dict(pattern.groupindex) != group_index:
            raise ValueError(f"pattern {text_ref} does not rebuild as stored")
        facts.compiled[(text, given_flags)] = pattern
    facts.probed.update((texts[text], flags, bound) for text, flags, bound in payload["probed"])
    facts.timeouts.update(((texts[text], bool(case)), bool(value)) for text, case, value in payload["timeouts"])
    # The (word, whole) pairs made by zip, not by a generator: tens of thousands of them.
    facts.starts.update(((texts[text], bool(case)),
                         frozenset([*zip(whole, repeat(True)), *zip(prefixes, repeat(False))]))
                        for text, case, whole, prefixes in payload["starts"])
    facts.required.update(((texts[text], bool(case)), None if value is None else frozenset(value))
                          for text, case, value in payload["required"])
    facts.firsts.update(((texts[text], flags), None if value is None else frozenset(value))
                        for text, flags, value in payload["firsts"])
    facts.translations.update(((texts[text], flags), Translation(rust, Fidelity(fidelity), reason))
                              for text, flags, rust, fidelity, reason in payload["translations"])
    facts.confirmations.update(
        ((texts[text], flags), Confirmation(rust, tuple(names), tuple(python_names),
                                            tuple((bool(positive), check) for positive, check in checks),
                                            bool(boundary), reason,
                                            tuple(tuple((int(kind), step) for kind, step in steps) for steps in arms),
                                            tuple((bool(positive), look, marker)
                                                  for positive, look, marker in junctions), tuple(places)))
        for text, flags, rust, names, python_names, checks, boundary, reason, arms, junctions, places
        in payload["confirmations"])
    documents = payload["documents"]
    if not all(isinstance(key, str) and isinstance(value, str) for key, value in documents.items()):
        raise TypeError("a document is not JSON text")
    facts.documents.update(documents)
    if not all(isinstance(selector, str) for selector in payload["selectors"]):
        raise TypeError("a selector is not text")
    facts.selectors.update(payload["selectors"])
    views = payload["views"]
    if views is not None:
        if not (isinstance(views, list) and len(views) == 4 and all(isinstance(part, list) for part in views)):
            raise TypeError("the view tables are not four lists of runs")
        tables = ViewTables(*map(_from_runs, views))
        if facts.tables is not None:  # offered last: a damaged entry offers nothing
            facts.tables.offer_view_tables(tables)
