# Two entry points for a newcomer: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench bench-full clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: setup
	$(BIN)/cleaner clean fixtures/seeds fixtures/dumps --out out/demo
	$(BIN)/cleaner show out/demo --limit 12

test: setup
	$(BIN)/ruff check cleaner tests benchmarks
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python -m pytest benchmarks --benchmark-only --benchmark-autosave

bench-full: setup
	$(BIN)/python -m pytest benchmarks --benchmark-only --runslow --benchmark-autosave

clean:
	rm -rf out .pytest_cache .benchmarks build dist
