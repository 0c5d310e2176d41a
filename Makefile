# Two entry points for a newcomer: `make demo` and `make test`. Both create .venv on first use: the demo
# installs only what cleaning needs, the tests add the developer tools (the `dev` extra: pytest, ruff, mypy).
# `make test-slow` installs every extra (Ray, object storage and its test server, Scrapy) and runs the long
# tests that `make test` leaves out; CI runs both. Installing builds the compiled core (src/, Rust: cargo is
# needed) in release mode, about a minute and a half from clean; a change to it is rebuilt by the next make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The Python the venv was made with; a venv made by another one (or too old a one) is rebuilt.
PY_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)

.PHONY: setup setup-demo setup-all check-python demo test test-slow bench bench-full clean

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || \
		{ echo "cleaner needs Python 3.11 or newer; '$(PYTHON)' is $(or $(PY_VERSION),missing). Run: make PYTHON=python3.12 ..."; exit 2; }
	@if [ -d $(VENV) ] && [ "$$(cat $(VENV)/.python 2>/dev/null)" != "$(PY_VERSION)" ]; then \
		echo "rebuilding $(VENV): it was made with another Python than $(PYTHON) ($(PY_VERSION))"; rm -rf $(VENV); fi

$(VENV)/.python: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	echo "$(PY_VERSION)" > $@

setup-demo: check-python $(VENV)/.python $(VENV)/.installed-demo
setup: check-python $(VENV)/.python $(VENV)/.installed
setup-all: check-python $(VENV)/.python $(VENV)/.installed-all

# What an install builds from: a change to any of these installs (and compiles) again.
BUILT_FROM := pyproject.toml Cargo.toml Cargo.lock $(wildcard src/*.rs)

$(VENV)/.installed-demo: $(BUILT_FROM)
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed: $(BUILT_FROM)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed-demo

$(VENV)/.installed-all: $(BUILT_FROM)
	$(BIN)/python -m pip install --quiet -e '.[dev,ray,s3-server,scrapy]'
	touch $@ $(VENV)/.installed $(VENV)/.installed-demo

demo: setup-demo
	$(BIN)/cleaner clean fixtures/seeds fixtures/dumps fixtures/html --out out/demo --overwrite
	$(BIN)/cleaner show out/demo --limit 12

# The default run, on every core (pytest-xdist): tests marked slow are deselected, and those of an extra that is
# not installed skip.
test: setup
	$(BIN)/ruff check cleaner tests benchmarks conftest.py
	$(BIN)/mypy cleaner
	$(BIN)/python -m pytest tests -n auto

# Only the tests marked slow, with every extra installed (--runslow also makes the benchmarks' corpus full size,
# but -m slow selects none of the unmarked benchmarks).
test-slow: setup-all
	$(BIN)/python -m pytest --runslow -m slow

# Benchmarks with their gates (benchmarks/gates.py, figures in benchmarks/figures.toml): speed ratios and
# quality figures measured in the same run; a figure that falls past its tolerance fails. The quality
# benchmarks over the evaluation pages run when CLEANER_EVAL_DATA (or --eval-data) names them.
bench: setup
	$(BIN)/python -m pytest benchmarks

# The same with the 200 MB corpus instead of 8 MB.
bench-full: setup
	$(BIN)/python -m pytest benchmarks --runslow

clean:
	rm -rf out .pytest_cache .benchmarks build dist target
