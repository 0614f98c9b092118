# Quick start: `make demo` and `make test`. Both create .venv, install torch first (TORCH selects
# the build: the default pins the CPU wheel this project is developed with; use e.g.
# TORCH="torch --index-url https://download.pytorch.org/whl/cu126" for CUDA), then fastmel with
# what the target needs: the demo only matplotlib, the tests their extra, the docs theirs.
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
BIN = $(VENV)/bin

.PHONY: install demo test docs plain pyright bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q $(TORCH)
	$(BIN)/python -m pip install -q -e ".[test]"
	# openai-whisper itself, as a reference for the whisper preset; --no-deps because its
	# requirements would pull another torch (its imports are in the test extra).
	$(BIN)/python -m pip install -q --no-deps openai-whisper==20250625
	touch $@

install: $(VENV)/.installed

$(VENV)/.demo-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q $(TORCH)
	$(BIN)/python -m pip install -q -e ".[plot]"
	touch $@

demo: $(VENV)/.demo-installed
	$(BIN)/fastmel demo

$(VENV)/.docs-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q $(TORCH)
	$(BIN)/python -m pip install -q -e ".[docs]"
	touch $@

# The documentation site into site/; --strict fails on any warning (a broken reference).
docs: $(VENV)/.docs-installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# A plain install (no extras) in a fresh venv runs the CLI and the demo (scripts/plain.sh).
plain:
	TORCH="$(TORCH)" PYTHON="$(PYTHON)" bash scripts/plain.sh

test: install
	$(BIN)/python -m pytest
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

pyright: install
	$(BIN)/python -m pip install -q basedpyright
	$(BIN)/basedpyright

bench: install
	$(BIN)/python -m pip install -q -e ".[bench]"
	$(BIN)/python -m bench run --report

clean:
	rm -rf $(VENV) .venv-numpy1 .venv-plain build dist site *.egg-info .mypy_cache
