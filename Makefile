# Two entry points for a newcomer: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

BENCH_STORAGE := file://benchmarks/baselines
.PHONY: setup demo test bench bench-full bench-compare bench-baseline clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: setup
	$(BIN)/cleaner clean fixtures/seeds fixtures/dumps fixtures/html --out out/demo --overwrite
	$(BIN)/cleaner show out/demo --limit 12

test: setup
	$(BIN)/ruff check cleaner tests benchmarks conftest.py
	$(BIN)/mypy cleaner
	$(BIN)/python -m pytest

# Short mode (8 MB corpus), as CI runs it; the full mode uses a 200 MB corpus.
bench: setup
	$(BIN)/python -m pytest benchmarks --benchmark-only --speed-gate

bench-full: setup
	$(BIN)/python -m pytest benchmarks --benchmark-only --runslow --speed-gate

# Fails when a benchmark's best time is more than 25% slower than the saved baseline of this machine kind.
bench-compare: setup
	$(BIN)/python -m pytest benchmarks --benchmark-only --benchmark-storage=$(BENCH_STORAGE) \
		--benchmark-compare=0002 --benchmark-compare-fail=min:25%

bench-baseline: setup
	$(BIN)/python -m pytest benchmarks --benchmark-only --benchmark-storage=$(BENCH_STORAGE) \
		--benchmark-save=baseline

clean:
	rm -rf out .pytest_cache .benchmarks build dist
