"""The one storage layer: every file system goes through cleaner.io.storage, and what it promises on the disk
(atomic commits, flock, parts checked by their bytes) holds through fsspec's file protocol.

The same layer against a real S3-compatible server is tested in test_objstore.py."""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import polars as pl
import pytest

from cleaner.core.errors import CleanerError
from cleaner.io.storage import DataFolder, expand
from tests.conftest import ROOT

PACKAGE = ROOT / "cleaner"
STORAGE = PACKAGE / "io" / "storage.py"
#: Names only the storage layer may use: telling file systems apart, or reaching one directly.
STORAGE_ONLY = {"is_remote", "scheme_of", "filesystem", "_on_disk", "_fs_path", "fsspec", "s3fs", "gcsfs", "adlfs",
                "fcntl", "LocalFileSystem", "ObjectStore"}
#: The modules that read inputs and write, resume, dedup and read output folders: they reach files only
#: through the storage layer.
THROUGH_STORAGE = [*sorted((PACKAGE / "run").glob("*.py")), PACKAGE / "io" / "readers.py",
                   PACKAGE / "io" / "writers.py", PACKAGE / "_show.py"]
#: File-system calls of the standard library's modules (``os.replace``, ``os.path.getsize``, ``shutil.rmtree``)...
MODULE_CALLS = {"replace", "rename", "remove", "unlink", "fsync", "makedirs", "mkdir", "rmdir", "rmtree", "stat",
                "scandir", "listdir", "walk", "glob", "iglob", "exists", "isfile", "isdir", "getsize", "getmtime",
                "realpath", "copy", "copyfile", "copytree", "move", "mkstemp", "flock"}
FILE_MODULES = {"os", "shutil", "glob", "tempfile", "fcntl"}
#: ... and of pathlib's paths (names the storage layer's DataFolder does not use).
PATH_METHODS = {"rglob", "iterdir", "is_file", "is_dir", "read_bytes", "write_text", "write_bytes", "unlink",
                "mkdir", "rmdir", "stat", "touch", "open", "glob"}


def _file_calls(tree: ast.AST) -> list[tuple[int, str]]:
    """The calls of a module that reach a file system themselves: open(), os/shutil/glob functions, methods
    of pathlib's paths."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "open":
            found.append((node.lineno, "open"))
        elif isinstance(func, ast.Attribute):
            owner = func.value
            module = owner.id if isinstance(owner, ast.Name) else \
                owner.value.id if isinstance(owner, ast.Attribute) and isinstance(owner.value, ast.Name) else None
            if (module in FILE_MODULES and func.attr in MODULE_CALLS) or func.attr in PATH_METHODS:
                found.append((node.lineno, func.attr))
    return found


def _names(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            found.update(alias.name.split(".")[0] for alias in node.names)
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module.split(".")[0])
    return found


def test_only_the_storage_layer_tells_file_systems_apart() -> None:
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == STORAGE:
            continue
        used = _names(ast.parse(path.read_text(encoding="utf-8"))) & STORAGE_ONLY
        if used:
            offenders[str(path.relative_to(ROOT))] = sorted(used)
    assert not offenders, f"file systems told apart outside cleaner/io/storage.py: {offenders}"


def test_inputs_and_output_folders_are_reached_only_through_the_storage_layer() -> None:
    offenders = {str(path.relative_to(ROOT)): calls for path in THROUGH_STORAGE
                 if (calls := _file_calls(ast.parse(path.read_text(encoding="utf-8"))))}
    assert not offenders, f"file systems reached outside cleaner/io/storage.py: {offenders}"


def test_the_checks_above_can_fail() -> None:
    # The same walks over a module that does what they forbid.
    bad = ast.parse("import shutil, os\nfrom cleaner.io.storage import is_remote\nshutil.rmtree(p)\nopen(p)\n"
                    "os.path.getsize(p)\nPath(p).unlink()\nfolder.read_text('x')\n")
    assert _names(bad) & STORAGE_ONLY == {"is_remote"}
    assert [name for _, name in _file_calls(bad)] == ["rmtree", "open", "getsize", "unlink"]


def test_a_plain_path_and_a_file_url_are_the_same_folder(tmp_path) -> None:
    plain, url = DataFolder(str(tmp_path / "out")), DataFolder(f"file://{tmp_path}/out/")
    assert plain.location == url.location == str(tmp_path / "out")
    assert plain.renames and url.renames
    url.put("a/b.json", b"{}")
    assert plain.read_text("a/b.json") == "{}" and plain.sizes() == {"a/b.json": 2}


def test_a_write_appears_whole_and_leaves_no_temporary_file(tmp_path) -> None:
    folder = DataFolder(str(tmp_path))
    folder.put("x/state.json", b"one")
    folder.put("x/state.json", b"two")  # replaced, not appended to
    assert (tmp_path / "x" / "state.json").read_bytes() == b"two"
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == ["state.json"]
    frame = pl.DataFrame({"a": [1, 2, 3]})
    size, digest = folder.write_parquet("records/p-0000.parquet", frame, row_group_rows=2, metadata={"k": "v"})
    data = (tmp_path / "records" / "p-0000.parquet").read_bytes()
    assert (size, digest) == (len(data), hashlib.sha256(data).hexdigest())
    assert pl.read_parquet(tmp_path / "records" / "p-0000.parquet").equals(frame)
    assert sorted(p.name for p in (tmp_path / "records").iterdir()) == ["p-0000.parquet"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch) -> None:
    folder = DataFolder(str(tmp_path))
    folder.put("m.json", b"old")

    class Boom(Exception):
        pass

    def failing(self, file, *args, **kwargs):  # type: ignore[no-untyped-def]
        Path(file).write_bytes(b"PAR1 half")
        raise Boom

    monkeypatch.setattr(pl.DataFrame, "write_parquet", failing)
    with pytest.raises(Boom):
        folder.write_parquet("m.json", pl.DataFrame({"a": [1]}), row_group_rows=1, metadata=None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json"] and folder.read_text("m.json") == "old"


def test_a_part_of_the_same_size_but_other_bytes_fails_its_check_on_the_disk(tmp_path) -> None:
    folder = DataFolder(str(tmp_path))
    folder.put("p", b"abcd")
    sums = (4, hashlib.sha256(b"abcd").hexdigest())
    assert folder.verify("p", sums, 4)
    (tmp_path / "p").write_bytes(b"abce")
    assert not folder.verify("p", sums, 4)
    assert not folder.verify("p", sums, 5)


def test_listing_by_prefix_and_discarding_what_an_attempt_left(tmp_path) -> None:
    folder = DataFolder(str(tmp_path))
    for name in ("records/aaa-0000.parquet", "records/.aaa-0001.parquet.tmp", "records/aab-0000.parquet",
                 "records/mine.txt"):
        folder.put(name, b"x")
    # The local file system lists a whole folder (it has no prefix listing): the layer filters.
    assert sorted(folder.sizes("records", "aaa-")) == ["records/aaa-0000.parquet"]
    folder.discard("records", "aaa-")
    assert sorted(folder.sizes("records")) == ["records/aab-0000.parquet", "records/mine.txt"]
    assert folder.sizes("nothing-here") == {}
    folder.remove_tree("records")
    assert not (tmp_path / "records").exists()


def test_the_lock_of_a_folder_on_disk_refuses_a_second_holder(tmp_path) -> None:
    class Conflict(CleanerError):
        pass

    class Unusable(CleanerError):
        pass

    with DataFolder(str(tmp_path / "out")).lock(".lock", Conflict, Unusable), \
            pytest.raises(Conflict, match="being written by another cleaner run"), \
            DataFolder(str(tmp_path / "out")).lock(".lock", Conflict, Unusable):
        pass
    with DataFolder(str(tmp_path / "out")).lock(".lock", Conflict, Unusable):
        pass  # released with its holder
    (tmp_path / "file").write_text("")
    with pytest.raises(Unusable, match="cannot be written"), \
            DataFolder(str(tmp_path / "file" / "out")).lock(".lock", Conflict, Unusable):
        pass


def test_a_wildcard_matches_no_hidden_name_unless_it_asks_for_one(tmp_path) -> None:
    for name in ("a.jsonl", ".partial.jsonl", ".hidden/b.jsonl", "sub/c.jsonl"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}\n")
    kind, _, entries = expand(f"{tmp_path}/*.jsonl")
    assert kind == "glob" and [Path(e.location).name for e in entries] == ["a.jsonl"]
    _, _, entries = expand(f"{tmp_path}/**/*.jsonl")
    assert sorted(Path(e.location).name for e in entries) == ["a.jsonl", "c.jsonl"]
    _, _, entries = expand(f"{tmp_path}/.*.jsonl")
    assert [Path(e.location).name for e in entries] == [".partial.jsonl"]
    kind, _, entries = expand(str(tmp_path))  # a folder: everything under it (the planner filters)
    assert kind == "folder" and len(entries) == 4
    assert expand(str(tmp_path / "none"))[0] == "missing"
