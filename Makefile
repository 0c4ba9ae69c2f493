# hikeshi — `make run` starts everything, `make test` runs every check.
# Needs only Python 3.11 and pip; dependencies come pinned from requirements/*.txt.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed
export HIKESHI_DATA_DIR ?= ./var
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test install install-dev lint typecheck migrations-check pytest train lock clean messages

run: install
	$(BIN)/hikeshi check-config
	$(BIN)/hikeshi migrate --verbosity 0
	$(BIN)/hikeshi demo --if-empty
	$(BIN)/hikeshi serve

install: $(RUNTIME_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the lock files or the package metadata change.
$(RUNTIME_STAMP): requirements/lock.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/lock.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(DEV_STAMP): $(RUNTIME_STAMP) requirements/dev-lock.txt
	$(BIN)/pip install --quiet -r requirements/dev-lock.txt
	touch $@

install-dev: $(DEV_STAMP)

lint: install-dev
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: install-dev
	$(BIN)/mypy

migrations-check: install-dev
	HIKESHI_DATA_DIR=$$(mktemp -d) $(BIN)/hikeshi makemigrations --check --dry-run

pytest: install-dev
	HIKESHI_DATA_DIR=$$(mktemp -d) $(BIN)/pytest -n 2 --dist loadgroup

test: lint typecheck migrations-check pytest

train: install-dev
	$(BIN)/python -m hikeshi.analysis.training
	$(BIN)/python -m hikeshi.analysis.training.kana_forms

# Regenerate the pinned lock files from requirements/*.in (needs network access to PyPI).
lock: install-dev
	$(BIN)/pip install --quiet pip-tools
	cd requirements && ../$(BIN)/pip-compile --quiet --strip-extras --no-header --allow-unsafe --no-emit-index-url --no-emit-find-links -o lock.txt base.in
	cd requirements && ../$(BIN)/pip-compile --quiet --strip-extras --no-header --allow-unsafe --no-emit-index-url --no-emit-find-links -o dev-lock.txt dev.in

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache test-output
