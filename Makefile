# modops: `make help` lists the targets.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
PYTEST := $(VENV)/bin/pytest
MODOPS_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
export MODOPS_TEST_POSTGRES_URL

.PHONY: help setup run test test-sqlite test-postgres lint bench services demo clean screenshots

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml requirements.lock package-lock.json scripts/setup.sh scripts/setup-system.sh scripts/build-assets.sh
	bash scripts/setup.sh
	@touch $@

setup: $(VENV)/.installed ## create .venv with the locked dependencies

run: setup ## migrate, load the demo into an empty database, serve on http://127.0.0.1:8000 (SQLite)
	bash scripts/run.sh

services: ## start PostgreSQL, NATS and Redis if they are not running
	bash scripts/services.sh

test: setup services ## the whole suite, on SQLite and on PostgreSQL
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite: setup
	env -u DATABASE_URL $(PYTEST) -p no:cacheprovider

test-postgres: setup
	DATABASE_URL=$(MODOPS_TEST_POSTGRES_URL) $(PYTEST) -p no:cacheprovider

lint: setup ## ruff, mypy and the import contracts
	$(VENV)/bin/ruff check src bench
	$(VENV)/bin/ruff format --check src bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: setup services ## benchmarks on PostgreSQL; results go in docs/benchmarks.md
	bash scripts/bench.sh

screenshots: setup ## save screenshots of the console's main pages under docs/screenshots/
	env -u DATABASE_URL MODOPS_SCREENSHOTS=docs/screenshots $(PYTEST) -p no:cacheprovider -m browser src/modops/console

clean: ## remove the environment and local data
	rm -rf $(VENV) var
