# Stratify: `make run` and `make test` work on a fresh clone with nothing but Python 3.11 installed.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

export STRATIFY_HOME ?= $(CURDIR)/data
export STRATIFY_CONFIG ?= $(CURDIR)/stratify.yaml
export DAGSTER_HOME ?= $(STRATIFY_HOME)/dagster
# Offline machine: no telemetry, no version checks.
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DBT_VERSION_CHECK := false
export GX_ANALYTICS_ENABLED := false
export DAGSTER_DISABLE_TELEMETRY := true

# The virtualenv's tools (dbt, dagster) first on PATH, for every recipe and the processes they start.
export PATH := $(CURDIR)/$(BIN):$(PATH)

UI_PORT ?= 3000

.PHONY: setup run test ui bench lint clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

## setup: virtualenv, the project with its dev extras, the dbt manifest and a Dagster instance
setup: $(STAMP)
	@$(BIN)/stratify prepare

## run: demo data (if none landed yet), then the whole pipeline
# The demo's PII is synthetic, so a fixed demo salt is fine here; real data needs its own secret salt.
run: export STRATIFY_PII_SALT ?= stratify-demo-salt-not-a-secret
run: setup
	@if ! compgen -G "$(STRATIFY_HOME)/landing/*/*" > /dev/null; then $(BIN)/stratify demo-data; fi
	$(BIN)/stratify run

## test: the test suite (real DuckDB, dbt, Dagster, Great Expectations; small data), one worker per core;
## a file's tests share a worker, so module fixtures (a built demo warehouse) are built once
test: setup
	$(BIN)/python -m pytest -q -n auto --dist loadfile --durations=12

## ui: the Dagster UI and daemon on http://127.0.0.1:$(UI_PORT)
ui: setup
	$(BIN)/dagster dev -h 127.0.0.1 -p $(UI_PORT) -w workspace.yaml

## bench: benchmarks (issue #10): make bench SCALE=small|10m|50m; results in benchmarks/results/
SCALE ?= small
bench: setup
	$(BIN)/python -m benchmarks.run --scale $(SCALE)

lint: setup
	$(BIN)/ruff check pipelines tests benchmarks
	$(BIN)/ruff format --check pipelines tests benchmarks

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs
