"""The compiled-rule cache (cleaner/io/rulecache.py): a build from a stored entry is the build without it (same
compiled patterns, same translations, same records), a damaged or foreign entry is rebuilt with a warning, a
folder that cannot be written leaves the build uncached, and an entry belongs to its rule files' bytes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import regex

import cleaner
from cleaner.core.rules import BlockRule, Layout, LineRule, RuleSet
from cleaner.io import rulecache
from cleaner.io.rulecache import RuleCache, RuleCacheWarning, cache_key, cached_rules, remember
from cleaner.io.rulefiles import snapshot_rules
from tests.conftest import ROOT

DOCUMENTS = [
    "A Headline Of Some Length\nThe story begins here and it goes on for a while, as stories do.\n"
    "Read more\nShare this article\nAdvertisement\nThe second paragraph ends the story.\n",
    "Weather\nRain all day tomorrow in the valley and on the coast, the forecast says.\nShare this article\n",
]
MY_RULES = '''
[[rule]]
id = "MINE001"
purpose = "our sign-off"
pattern = '(?:that was|this was) (?:all|everything) for today'
examples.junk = ["That was all for today"]
examples.keep = ["A story"]
'''


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of this test's own, and no answers kept from this process's earlier builds (so every
    build here reads the disk, as a fresh process does)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("CLEANER_CACHE_DIR", str(folder))
    monkeypatch.delenv("CLEANER_NO_RULE_CACHE", raising=False)
    monkeypatch.setattr(rulecache, "_known", {})
    return folder


def _patterns(rules: RuleSet) -> list[tuple[str, int, dict[str, int]]]:
    found: list[regex.Pattern[str]] = []
    for rule in rules:
        if isinstance(rule, LineRule) and rule.pattern is not None:
            found.append(rule.pattern)
        elif isinstance(rule, BlockRule):
            found += [rule.start, rule.end]
        elif isinstance(rule, Layout):
            found += [rule.header, *(s.pattern for s in rule.slots if s.pattern is not None)]
            found += [rule.controls] if rule.controls is not None else []
    return [(p.pattern, p.flags, dict(p.groupindex)) for p in found]


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("rules-*.json")) if folder.is_dir() else []


def _outcome(built: cleaner.Cleaner) -> tuple[object, ...]:
    records = [built.process(text, doc_id=str(n)) for n, text in enumerate(DOCUMENTS)]
    return (_patterns(built.rules), [t for t in built.engine.matcher.translations],  # type: ignore[union-attr]
            [(c.records, c.removals) for c in records])


def test_a_build_from_the_cache_is_the_build_without_it(cache_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text(MY_RULES, encoding="utf-8")
    first = cleaner.Cleaner(tmp_path / "mine.toml")
    assert not first.rules_from_cache
    assert len(_entries(cache_dir)) == 1
    monkeypatch.setattr(rulecache, "_known", {})
    again = cleaner.Cleaner(tmp_path / "mine.toml")
    assert again.rules_from_cache
    # The patterns were rebuilt from the entry, not compiled again (regex's own cache would hand back the
    # same objects): yet they are the same patterns, and they match alike.
    mine = again.rules.by_id["MINE001"].pattern  # type: ignore[attr-defined]
    assert mine is not first.rules.by_id["MINE001"].pattern  # type: ignore[attr-defined]
    assert mine.fullmatch("THIS WAS EVERYTHING FOR TODAY") and not mine.fullmatch("this was all")
    monkeypatch.setenv("CLEANER_NO_RULE_CACHE", "1")
    monkeypatch.setattr(rulecache, "_known", {})
    uncached = cleaner.Cleaner(tmp_path / "mine.toml")
    assert not uncached.rules_from_cache
    assert _outcome(again) == _outcome(uncached) == _outcome(first)
    assert any(c.removals for c in (again.process(t) for t in DOCUMENTS))  # the documents do meet rules


def test_a_fresh_process_with_the_cache_gives_the_same_records(cache_dir: Path) -> None:
    code = ("import json, sys, cleaner\nc = cleaner.Cleaner()\n"
            "docs = json.loads(sys.stdin.read())\n"
            "print(json.dumps([[c.rules_from_cache, c.engine.matcher.from_compiled],"
            " [[r._asdict() for r in c.clean(d)] for d in docs], [t.rust for t in c.engine.matcher.translations]],"
            " default=str))")

    def run() -> list[object]:
        done = subprocess.run([sys.executable, "-c", code], input=json.dumps(DOCUMENTS), capture_output=True,
                              text=True, check=True, cwd=ROOT, env={**os.environ, "CLEANER_CACHE_DIR": str(cache_dir)})
        return json.loads(done.stdout)

    cold, warm = run(), run()
    assert (cold[0], warm[0]) == ([False, False], [True, True])
    assert cold[1:] == warm[1:]
    assert warm[1][0]  # records were made


@pytest.mark.parametrize("damage", ["flipped byte", "truncated", "other version", "not json", "empty"])
def test_a_damaged_or_foreign_entry_is_rebuilt_with_a_warning(cache_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                              damage: str) -> None:
    reference = _outcome(cleaner.Cleaner())
    [entry] = _entries(cache_dir)
    data = entry.read_bytes()
    header, _, body = data.partition(b"\n")
    if damage == "flipped byte":
        middle = len(body) // 2
        data = header + b"\n" + body[:middle] + bytes([body[middle] ^ 0x01]) + body[middle + 1:]
    elif damage == "truncated":
        data = data[: len(data) * 2 // 3]
    elif damage == "other version":
        # What another build of the package would have written under this name: its own key and format.
        data = json.dumps({**json.loads(header), "format": rulecache.FORMAT + 1}).encode() + b"\n" + body
    elif damage == "not json":
        data = b"\x00\x01 not an entry at all"
    else:
        data = b""
    entry.write_bytes(data)
    monkeypatch.setattr(rulecache, "_known", {})
    with pytest.warns(RuleCacheWarning, match="rebuilding"):
        rebuilt = cleaner.Cleaner()
    assert not rebuilt.rules_from_cache
    assert _outcome(rebuilt) == reference
    # The entry was written anew, whole: the next build uses it, with no warning.
    monkeypatch.setattr(rulecache, "_known", {})
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuleCacheWarning)
        assert cleaner.Cleaner().rules_from_cache


def test_a_folder_that_cannot_be_written_leaves_the_build_uncached(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("CLEANER_CACHE_DIR", str(blocker / "cache"))  # under a file: no folder can be made
    monkeypatch.setattr(rulecache, "_known", {})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        built = cleaner.Cleaner()
    assert not built.rules_from_cache
    assert built.clean(DOCUMENTS[0])
    assert RuleCache(blocker / "cache").write("0" * 64, built.rules.facts) is False  # type: ignore[arg-type]
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_the_cache_can_be_switched_off(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("CLEANER_NO_RULE_CACHE", "1"), ("CLEANER_CACHE_DIR", "")):
        with monkeypatch.context() as patch:
            patch.setenv(name, value)
            patch.setattr(rulecache, "_known", {})
            assert rulecache.default_directory() is None
            assert not cleaner.Cleaner().rules_from_cache
    assert _entries(cache_dir) == []


def test_the_key_follows_the_rule_files_bytes_and_the_build(cache_dir: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_text(MY_RULES, encoding="utf-8")
    before = cache_key(data for _, data in snapshot_rules([mine]))
    assert before == cache_key(data for _, data in snapshot_rules([mine]))
    cleaner.Cleaner(mine)
    mine.write_text(MY_RULES.replace("for today", "for this week"), encoding="utf-8")
    after = cache_key(data for _, data in snapshot_rules([mine]))
    assert after != before
    changed = cleaner.Cleaner(mine)
    assert not changed.rules_from_cache  # the edited file's rule is compiled, not taken from the old entry
    assert changed.rules.by_id["MINE001"].pattern.fullmatch("That was all for this week")  # type: ignore[attr-defined]
    assert {p.name for p in _entries(cache_dir)} == {f"rules-{before}.json", f"rules-{after}.json"}
    # Another version of the package (or of regex, Python, the compiled core) names other entries.
    monkeypatch.setattr(rulecache, "__version__", "0.0.0-other")
    rulecache.build_identity.cache_clear()
    try:
        assert cache_key(data for _, data in snapshot_rules([mine])) != after
    finally:
        rulecache.build_identity.cache_clear()


def test_the_identity_follows_cssselect_sources_without_importing_it(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The selectors cssselect found valid are stored, so its sources are part of the key: read, not imported
    (a build from the cache needs cssselect for nothing else)."""
    sources = rulecache._cssselect_sources()
    assert {p.name for p in sources} >= {"__init__.py", "parser.py", "xpath.py"}
    done = subprocess.run([sys.executable, "-c", "import sys; from cleaner.io import rulecache; "
                           "rulecache.build_identity(); print('cssselect' in sys.modules)"],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.split() == ["False"]
    copy = tmp_path / "parser.py"
    copy.write_bytes(sources[0].read_bytes())
    rulecache.build_identity.cache_clear()
    try:
        monkeypatch.setattr(rulecache, "_cssselect_sources", lambda: [copy])
        before = rulecache.build_identity()
        rulecache.build_identity.cache_clear()
        copy.write_bytes(copy.read_bytes() + b"\n# another release\n")
        assert rulecache.build_identity() != before
    finally:
        rulecache.build_identity.cache_clear()


def test_the_compiled_module_is_hashed_once_per_file(tmp_path: Path) -> None:
    """The compiled module's hash (part of every key) is remembered beside the entries under the file's path,
    size, inode and change times: used while they stay, computed again when the file is replaced (even by one
    of the same size), each file with a memo of its own (installs may share a folder), and a memo that does not
    read as one is written anew."""
    import hashlib

    module = tmp_path / "module.so"
    module.write_bytes(b"compiled code, first build")
    folder = tmp_path / "cache"
    first = rulecache.native_digest(module, folder)
    assert first == hashlib.sha256(module.read_bytes()).digest()
    [memo] = folder.glob("native-*.sha256")
    tag, _, digest = memo.read_text(encoding="utf-8").partition("\n")
    assert digest == first.hex()
    # The memo is what is used while the file is the same one (a made-up digest comes back as written).
    memo.write_text(f"{tag}\n{'ab' * 32}", encoding="utf-8")
    assert rulecache.native_digest(module, folder) == bytes.fromhex("ab" * 32)
    # Another install's module beside it has its own memo, and leaves this one alone.
    other = tmp_path / "other.so"
    other.write_bytes(b"another install's module")
    assert rulecache.native_digest(other, folder) == hashlib.sha256(b"another install's module").digest()
    assert len(list(folder.glob("native-*.sha256"))) == 2
    assert rulecache.native_digest(module, folder) == bytes.fromhex("ab" * 32)
    # Installed as a build installs it, a new file renamed over the old (same size, new bytes): a new inode,
    # whatever the clock's resolution.
    (tmp_path / "new.so").write_bytes(b"compiled code, next build")
    (tmp_path / "new.so").replace(module)
    second = rulecache.native_digest(module, folder)
    assert second == hashlib.sha256(b"compiled code, next build").digest() != first
    [memo] = [p for p in folder.glob("native-*.sha256") if p.read_text(encoding="utf-8").endswith(second.hex())]
    tag = memo.read_text(encoding="utf-8").partition("\n")[0]
    for damaged in ("", "no tag", f"{tag}\nnot hex at all, but sixty-four characters long............"):
        memo.write_text(damaged, encoding="utf-8")
        assert rulecache.native_digest(module, folder) == second
        assert memo.read_text(encoding="utf-8").endswith(second.hex())
    assert rulecache.native_digest(module, None) == second  # no cache folder: hashed each time
    assert not [p for p in folder.iterdir() if not p.name.startswith("native-")]


@pytest.mark.parametrize("text", ["", "a", "abc", "cba", "ace", "zzz", "a\U00010000b\U0010ffff", "\u00e9\u00ea\u00e8"])
def test_texts_are_stored_as_runs_of_code_points_and_read_back_whole(text: str) -> None:
    assert rulecache._from_runs(rulecache._runs(text)) == text


@pytest.mark.parametrize("runs", [[1], [-1, 2], [5, 3], [0x110001, 0x110002], [0xD800, 0xD801], [True, 2], ["a", "b"]])
def test_runs_that_are_not_code_points_are_refused(runs: list[int]) -> None:
    with pytest.raises(ValueError):
        rulecache._from_runs(runs)


def test_the_view_tables_come_back_from_the_entry_as_asked(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where this Python's Unicode data and the compiled module's differ is stored in the entry (named by both)
    and handed back, not asked again: the same tables, and the same views made from them."""
    from cleaner.core import text, translate
    from cleaner.core.translate import CharacterTables

    cleaner.Cleaner()
    [entry] = _entries(cache_dir)
    asked = text.view_tables()
    tables = CharacterTables()
    monkeypatch.setattr(translate, "view_tables", lambda: pytest.fail("asked again, not read from the entry"))
    RuleCache(cache_dir).read(entry.name.removeprefix("rules-").removesuffix(".json"), tables)
    assert tables.view_tables() == asked
    lines = ["Ａｄｖｅｒｔｉｓｅｍｅｎｔ", "Аdvert\u200bisement", "plain", "ﬁnal ᾼ ǅ Ⅻ", "\u0378x\u0530"]
    assert tables.views().views(lines, True) == text.build_views(asked).views(lines, True)
    # A damaged entry offers none (they are asked, as without an entry).
    entry.write_bytes(entry.read_bytes()[:-5])
    fresh = CharacterTables()
    with pytest.warns(RuleCacheWarning):
        RuleCache(cache_dir).read(entry.name.removeprefix("rules-").removesuffix(".json"), fresh)
    monkeypatch.setattr(translate, "view_tables", text.view_tables)
    assert fresh.view_tables() == asked


def test_the_collector_is_paused_only_while_rules_are_built(tmp_path: Path) -> None:
    """The build runs with the cyclic collector off and leaves it as it found it: on again after a build, and
    after a build that failed; still off when the caller had switched it off."""
    import gc

    from cleaner import _api
    from cleaner.core.errors import RuleError

    seen: list[bool] = []
    real = _api.cached_rules

    def spy(*args: object, **kwargs: object) -> RuleSet:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    bad = tmp_path / "bad.toml"
    bad.write_text("[[rule]]\nid = 'nope'\n", encoding="utf-8")
    assert gc.isenabled()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_api, "cached_rules", spy)
        cleaner.Cleaner()
        assert gc.isenabled()
        with pytest.raises(RuleError):
            cleaner.Cleaner(bad)
        assert gc.isenabled()
        gc.disable()
        try:
            cleaner.Cleaner()
            assert not gc.isenabled()
        finally:
            gc.enable()
    assert seen == [False, False, False]


def test_entries_are_written_whole_and_pruned(cache_dir: Path) -> None:
    snapshot = snapshot_rules()
    rules = cached_rules(snapshot)
    facts = rules.facts
    assert facts is not None and facts.learned
    remember(facts)
    [entry] = _entries(cache_dir)
    written = entry.read_bytes()
    assert not any(p.name.endswith(".tmp") for p in cache_dir.iterdir())
    store = RuleCache(cache_dir)
    for n in range(rulecache.KEEP + 3):
        assert store.write(f"{n:064x}", facts)
    assert len(_entries(cache_dir)) == rulecache.KEEP
    # Each entry names its own key inside: an entry copied under another name is not used.
    other = cache_dir / f"rules-{'f' * 64}.json"
    other.write_bytes(written)
    with pytest.warns(RuleCacheWarning):
        assert not store.read("f" * 64).compiled


def test_the_line_matcher_is_rebuilt_from_its_stored_form(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled pattern set is stored beside the entry and rebuilt from it, with the same answers; one for
    other patterns, or damaged, is not used (a warning, and it is written anew)."""
    from cleaner import _api
    from cleaner._api import _stored_line_matcher

    monkeypatch.setattr(_api, "_matchers", {})  # no matcher built earlier in this process
    built = cleaner.Cleaner()
    engine = built.engine
    probes = tuple((p.pattern.pattern, p.pattern.flags, p.max_chars) for p in engine._probes)
    args = (engine._longest, tuple(sorted(engine._exact)), engine._exact_longest)
    [stored] = sorted(cache_dir.glob("matcher-*.bin"))
    rebuilt = _stored_line_matcher(probes, *args, None)
    assert rebuilt.from_compiled
    lines = [line for text in DOCUMENTS for line in text.splitlines()] + ["READ MORE", "Straße", "x" * 300]
    compiled = engine.matcher
    assert compiled is not None and not compiled.from_compiled
    assert rebuilt.matching(lines) == compiled.matching(lines) and rebuilt.scan(lines) == compiled.scan(lines)
    assert any(rebuilt.matching(lines))
    # Fewer patterns (a rule switched off) have a set of their own.
    fewer = _stored_line_matcher(probes[1:], *args, None)
    assert not fewer.from_compiled and len(list(cache_dir.glob("matcher-*.bin"))) == 2
    assert _stored_line_matcher(probes[1:], *args, None).from_compiled
    # A form that passes its checksum yet is not this set's: the compiled core refuses it.
    form = compiled.compiled_form()
    other = fewer.compiled_form()
    assert form is not None and other is not None
    for wrong in (other, form[: len(form) // 2], b"not a matcher"):
        header = json.loads(stored.read_bytes().partition(b"\n")[0])
        stored.write_bytes(rulecache._framed(wrong, header["key"]))
        with pytest.warns(RuleCacheWarning, match="unusable"):
            again = _stored_line_matcher(probes, *args, None)
        assert not again.from_compiled and again.matching(lines) == compiled.matching(lines)
        assert _stored_line_matcher(probes, *args, None).from_compiled  # written anew
    data = stored.read_bytes()
    stored.write_bytes(data[:-10])
    with pytest.warns(RuleCacheWarning, match="truncated or damaged"):
        assert not _stored_line_matcher(probes, *args, None).from_compiled


def test_a_matcher_rebuilt_on_its_own_thread_answers_threads_that_use_it_at_once(
        cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The set rebuilt from its stored form finishes on a thread of the compiled core's own; threads that scan
    with it before it is ready wait for it, and get the answers of the set compiled from the patterns."""
    from concurrent.futures import ThreadPoolExecutor

    from cleaner import _api
    from cleaner._api import _stored_line_matcher

    monkeypatch.setattr(_api, "_matchers", {})
    engine = cleaner.Cleaner().engine
    compiled = engine.matcher
    assert compiled is not None and not compiled.from_compiled
    probes = tuple((p.pattern.pattern, p.pattern.flags, p.max_chars) for p in engine._probes)
    args = (engine._longest, tuple(sorted(engine._exact)), engine._exact_longest)
    lines = [line for text in DOCUMENTS for line in text.splitlines()] + ["READ MORE", "Straße", "x" * 300]
    expected = (compiled.matching(lines), compiled.scan(lines))
    for _ in range(3):
        rebuilt = _stored_line_matcher(probes, *args, None)
        assert rebuilt.from_compiled
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda m: (m.matching(lines), m.scan(lines)), [rebuilt] * 8))
        assert answers == [expected] * 8
        rebuilt.wait()  # ready: returns at once
    assert any(expected[0])


def _scanned_key_line(lines: list[str], start: int, probe: re.Pattern[str]) -> int:
    """Where a key sits, found as the locator found it before it listed every line's keys: a scan from the
    table's first line to the next table, for the key's ``probe``."""
    for number in range(start, len(lines) + 1):
        if number > start and _TABLE_START.match(lines[number - 1]):
            break
        if probe.match(lines[number - 1]):
            return number
    return start


_TABLE_START = re.compile(r"\s*\[\[?\s*[A-Za-z0-9_-]+\s*[\].]")


def test_the_locator_finds_each_key_where_a_scan_finds_it() -> None:
    """The line numbers errors name are those of a line-by-line scan, for every key of every built-in file and
    of a file with keys in inline tables, dotted keys, prefixes of other keys and look-alikes in strings."""
    from cleaner.core.rules import _Locator
    from cleaner.io.rulefiles import builtin_rules_dir

    texts = [path.read_text(encoding="utf-8") for path in sorted(builtin_rules_dir().glob("*.toml"))]
    texts.append('[[rule]]\nid = "X001"\nmax = 1\nmax_chars = 2\nexamples.junk = ["a"]\nslots = [{ field = "title", '
                 'pattern = "x" }, {pattern="y",max_chars=3}]\npurpose = "a, pattern = b { id = c"\n[[layout]]\n'
                 '  header= "h"\n\n[[rule]]\n"quoted key" = 1\nline.x = 2\n')
    checked = 0
    for text in texts:
        locator = _Locator(text)
        # Every word written as a key somewhere, and words that are not keys or only prefixes of one.
        keys = set(re.findall(r"^\s*([A-Za-z0-9_-]+)\s*[=.]|[{,]\s*([A-Za-z0-9_-]+)\s*=", text, re.MULTILINE))
        words = {word for pair in keys for word in pair if word} | {"absent", "quoted key", "max_c", "ma"}
        starts = [n for n, line in enumerate(locator.lines, 1) if _TABLE_START.match(line)] + \
            list(range(1, len(locator.lines) + 1, 17))
        for key in words:
            probe = re.compile(rf"\s*{re.escape(key)}\s*[=.]|.*[{{,]\s*{re.escape(key)}\s*=")
            for start in starts:
                assert locator.key(start, key) == _scanned_key_line(locator.lines, start, probe), (start, key)
                checked += 1
    assert checked > 10_000
