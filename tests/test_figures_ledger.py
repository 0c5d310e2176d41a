"""The committed figures (benchmarks/figures.toml) and their ledger (benchmarks/FIGURES.md) agree, and no
floor was ever lowered.

The ledger is replayed line by line: a figure enters once as ``new``, each later line moves it from its
last value to a new one, and a move to a worse value needs its measured cause. A figure whose measurement
itself changed (its labelled pages changed) is retired with its cause and never enters again; what is
measured now enters under a name of its own, with its own floor. Replayed to the end it
must give exactly what figures.toml commits. In the git history, a commit that lowers a committed figure
touches nothing but those two files: a fall is a commit of its own.
"""

from __future__ import annotations

import re
import subprocess
import tomllib

import pytest

from benchmarks.gates import FIGURES_FILE, Better, load_figures

LEDGER = FIGURES_FILE.parent / "FIGURES.md"
ROOT = FIGURES_FILE.parents[1]
#: `name`: old -> new (floor F): cause   (old is "new" when the figure enters the ledger)
ENTRY = re.compile(r"^- `(?P<name>[\w.]+)`: (?P<old>new|-?[\d.]+) -> (?P<new>-?[\d.]+) "
                   r"\(floor (?P<floor>-?[\d.]+)\)(?:: (?P<cause>.*))?$")
#: `name`: retired (higher is better): cause   (the figure's measurement changed; it leaves figures.toml)
RETIRED = re.compile(r"^- `(?P<name>[\w.]+)`: retired \((?P<better>higher|lower) is better\): (?P<cause>.{20,})$")


def _replayed(ledger: str | None = None) -> dict[str, tuple[float, float]]:
    figures = load_figures()
    state: dict[str, tuple[float, float]] = {}
    retired: set[str] = set()
    lines = (LEDGER.read_text(encoding="utf-8") if ledger is None else ledger).splitlines()
    retiring = {ending["name"]: Better(ending["better"]) for line in lines if (ending := RETIRED.match(line))}
    for number, line in enumerate(lines, start=1):
        if not line.startswith("- `"):
            continue
        if ending := RETIRED.match(line):
            name = ending["name"]
            assert name in state, f"FIGURES.md:{number}: {name} is retired before it entered the ledger"
            assert name not in figures, f"FIGURES.md:{number}: {name} is retired but still in figures.toml"
            del state[name]
            retired.add(name)
            continue
        entry = ENTRY.match(line)
        assert entry, f"FIGURES.md:{number}: not a ledger line: {line!r}"
        name = entry["name"]
        assert name in figures or name in retiring, f"FIGURES.md:{number}: {name} is not in figures.toml"
        assert name not in retired, f"FIGURES.md:{number}: {name} was retired: a new measurement needs a new name"
        new, floor = float(entry["new"]), float(entry["floor"])
        higher = (figures[name].better if name in figures else retiring[name]) is Better.HIGHER
        if entry["old"] == "new":
            assert name not in state, f"FIGURES.md:{number}: {name} enters the ledger twice"
        else:
            assert name in state, f"FIGURES.md:{number}: {name} moves before it entered the ledger"
            last, last_floor = state[name]
            assert float(entry["old"]) == last, f"FIGURES.md:{number}: {name} was {last}, not {entry['old']}"
            lowered = floor < last_floor if higher else floor > last_floor
            assert not lowered, f"FIGURES.md:{number}: the floor of {name} may never be lowered"
            worse = new < last if higher else new > last
            assert not worse or len((entry["cause"] or "").strip()) >= 20, \
                f"FIGURES.md:{number}: {name} falls without its measured cause"
        beyond = new < floor if higher else new > floor
        assert not beyond, f"FIGURES.md:{number}: {name} committed beyond its floor"
        state[name] = (new, floor)
    return state


def test_the_ledger_replays_to_the_committed_figures() -> None:
    figures = load_figures()
    state = _replayed()
    assert set(state) == set(figures), f"in one file only: {sorted(set(state) ^ set(figures))}"
    for name, figure in figures.items():
        assert state[name] == (figure.committed, figure.floor), name


def test_a_retired_figure_leaves_the_ledger_and_never_comes_back() -> None:
    name = next(iter(load_figures()))
    entered = "- `quality.made.up`: new -> 0.5 (floor 0.5)\n"
    retired = "- `quality.made.up`: retired (higher is better): its labelled pages changed in this made-up case\n"
    assert "quality.made.up" not in _replayed(entered + retired)
    with pytest.raises(AssertionError, match="a new measurement needs a new name"):
        _replayed(entered + retired + "- `quality.made.up`: new -> 0.4 (floor 0.4)\n")
    with pytest.raises(AssertionError, match="retired before it entered"):
        _replayed(retired)
    with pytest.raises(AssertionError, match=r"still in figures\.toml"):
        _replayed(f"- `{name}`: new -> 1 (floor 1)\n"
                  f"- `{name}`: retired (higher is better): a cause long enough to read\n")


def test_every_figure_says_what_it_measures_its_goal_and_the_figure_before() -> None:
    for figure in load_figures().values():
        assert figure.description and figure.goal and figure.before, figure.name
        assert 0 < figure.tolerance <= (0.30 if figure.relative else 0.05), figure.name


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout


def _committed_at(commit: str) -> dict[str, dict]:
    try:
        return tomllib.loads(_git("show", f"{commit}:benchmarks/figures.toml"))
    except subprocess.CalledProcessError:
        return {}  # the file did not exist yet


def test_a_figure_falls_only_in_a_commit_of_its_own() -> None:
    if not (ROOT / ".git").exists():
        pytest.fail("this check reads the git history: run it in a git checkout")
    commits = _git("log", "--format=%H", "--", "benchmarks/figures.toml").split()
    for commit in commits:
        parents = _git("rev-list", "--parents", "-n", "1", commit).split()[1:]
        before = _committed_at(parents[0]) if parents else {}
        after = _committed_at(commit)
        fell = []
        for name, table in after.items():
            if name not in before:
                continue
            higher = table.get("better", "higher") == "higher"
            old, new = float(before[name]["committed"]), float(table["committed"])
            if (new < old) if higher else (new > old):
                fell.append(name)
        if fell:
            touched = set(_git("show", "--name-only", "--format=", commit).split())
            assert touched <= {"benchmarks/figures.toml", "benchmarks/FIGURES.md"}, \
                f"{commit[:10]} lowers {fell} but also changes {sorted(touched)}"


def test_a_figure_not_committed_yet_is_printed_as_pending_and_a_committed_one_is_gated(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks import gates
    from benchmarks.gates import gate_when_committed

    monkeypatch.setattr(gates, "REPORTS", [])  # this test's reports are not the run's figures
    gate_when_committed("quality.not.committed.yet", 0.25, "lower")
    assert "[gate pending] quality.not.committed.yet = 0.25 (not in figures.toml yet; lower is better)" in (
        capsys.readouterr().out)
    name, figure = next(iter(load_figures().items()))
    worse = figure.limit() - 1 if figure.better is Better.HIGHER else figure.limit() + 1
    with pytest.raises(AssertionError, match="gate FAILED"):
        gate_when_committed(name, worse, figure.better.value)
    capsys.readouterr()  # the made-up failure is no line of the run's log
