"""The layout is the architecture: the core imports only itself, the standard library and regex."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import ROOT

CORE = ROOT / "cleaner" / "core"
ALLOWED_THIRD_PARTY = {"regex"}
FORBIDDEN_STDLIB = {"os", "io", "pathlib", "shutil", "glob", "subprocess", "socket", "multiprocessing", "tempfile"}


def _imports(path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_imports_nothing_from_the_shells() -> None:
    for path in CORE.glob("*.py"):
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "cleaner":
                assert name.startswith("cleaner.core"), f"{path.name} imports {name}"
            elif top not in sys.stdlib_module_names:
                assert top in ALLOWED_THIRD_PARTY, f"{path.name} imports {name}"
            else:
                assert top not in FORBIDDEN_STDLIB, f"{path.name} does file or process I/O through {name}"


def test_core_has_no_open_calls_or_mutable_globals() -> None:
    for path in CORE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "open", f"{path.name} opens a file"
            if isinstance(node, ast.Global):
                raise AssertionError(f"{path.name} rebinds a global")


def test_import_leaves_heavy_modules_unloaded() -> None:
    code = "import sys, cleaner; cleaner.Cleaner(); cleaner.read_output; print(' '.join(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(result.stdout.split())
    assert "cleaner.core.engine" in loaded
    assert not loaded & {"polars", "trafilatura", "warcio", "ray", "lxml", "zstandard", "charset_normalizer", "fsspec",
                         "s3fs", "botocore"}


def test_package_names_load_on_first_use() -> None:
    """``import cleaner`` loads no engine, rules or regex module and ``cleaner --help`` no engine or rules;
    every public name still resolves, to the object its module defines."""
    code = ("import sys, cleaner; bare = set(sys.modules); from cleaner.cli import build_parser; build_parser(); "
            "helped = set(sys.modules); import cleaner._api; "
            "print(' '.join(n for n in cleaner.__all__ if getattr(cleaner, n) is not getattr("
            "sys.modules[cleaner._HOMES[n]], n))); print(' '.join(sorted(bare))); print(' '.join(sorted(helped)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    wrong, bare, helped = (set(line.split()) for line in result.stdout.split("\n")[:3])
    assert not wrong
    assert not bare & {"regex", "cleaner.core.engine", "cleaner._api", "typing"}
    assert not helped & {"cleaner.core.engine", "cleaner.core.rules", "cleaner._api", "polars"}
