"""The layout is the architecture: the core imports only itself, the compiled core (cleaner._native), the
standard library and regex, and the package's modules import one way, down its layers, with no circle anywhere."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "cleaner"
CORE = PACKAGE / "core"
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
                # The compiled core is pure too (src/lib.rs: no I/O, no global state).
                native = name == "cleaner._native" or (name == "cleaner"
                                                       and _imported_names(path, "cleaner") <= {"_native"})
                assert name.startswith("cleaner.core") or native, f"{path.name} imports {name}"
            elif top not in sys.stdlib_module_names:
                assert top in ALLOWED_THIRD_PARTY, f"{path.name} imports {name}"
            else:
                assert top not in FORBIDDEN_STDLIB, f"{path.name} does file or process I/O through {name}"


def _imported_names(path, module: str) -> set[str]:
    """The names a file imports with ``from <module> import ...``."""
    return {alias.name for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.ImportFrom) and node.module == module for alias in node.names}


def test_core_has_no_open_calls_or_mutable_globals() -> None:
    for path in CORE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "open", f"{path.name} opens a file"
            if isinstance(node, ast.Global):
                raise AssertionError(f"{path.name} rebinds a global")


def test_core_keeps_no_cache_beyond_an_object() -> None:
    """The core caches nothing for the process (functools caches): what outlives an object (the compiled
    line matcher, the translator's character tables, the answers about patterns in a PatternFacts) is kept
    by a shell, which hands it to the core."""
    found = []
    for path in sorted(CORE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for decorator in node.decorator_list:
                    target = decorator.func if isinstance(decorator, ast.Call) else decorator
                    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
                    if name in ("lru_cache", "cache"):
                        found.append(f"{path.name}: {node.name}")
    assert found == []


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


#: The package's layers, lowest first. A module may import modules of its own layer or of lower ones, never
#: of a higher one (a back-arrow), and no import may close a circle, at any level: imports inside functions
#: and under TYPE_CHECKING count too, since they still tie the modules together. A module is in the layer of
#: the longest prefix it matches; "cleaner" alone is the package's lazy public API, at the top.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("cleaner._version", "cleaner._options", "cleaner._native", "cleaner.core"),
    ("cleaner.io",),
    ("cleaner._api",),
    ("cleaner.run",),
    ("cleaner.evaluation", "cleaner.integrations", "cleaner._config", "cleaner._show", "cleaner._commands",
     "cleaner.cli"),
    ("cleaner",),
)


def _modules(package: Path = PACKAGE) -> dict[str, Path]:
    found = {}
    # The compiled core is known by its stub (cleaner/_native.pyi).
    for path in [*package.rglob("*.py"), *package.glob("*.pyi")]:
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _layer(module: str) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for layer, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), layer)
    return None if best is None else best[1]


def _import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Every module of the package at ``root`` and the modules of that package it imports, anywhere in its file."""
    modules = _modules(root)

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
                # "from cleaner.run import layout" imports the module cleaner.run.layout.
                names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
            else:
                continue
            targets.update(t for t in map(resolve, (n for n in names if n.split(".")[0] == root.name)) if t)
        graph[module] = targets - {module}
    return graph


def test_every_module_has_a_layer() -> None:
    assert sorted(m for m in _modules() if _layer(m) is None) == []


def test_imports_never_point_up_a_layer() -> None:
    graph = _import_graph()
    upward = sorted(f"{module} -> {target}" for module, targets in graph.items() for target in targets
                    if (_layer(target) or 0) > (_layer(module) or 0))
    assert upward == []


@pytest.mark.parametrize("package", [PACKAGE, ROOT / "benchmarks"], ids=lambda p: p.name)
def test_no_import_circle_anywhere_in_the_package(package: Path) -> None:
    graph = _import_graph(package)
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                circles.append([*path[path.index(target):], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert [" -> ".join(circle) for circle in circles] == []
