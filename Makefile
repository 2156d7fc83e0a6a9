# Two commands do the whole set-up on a fresh machine:
#   make build   create .venv from the pinned requirements if missing, build the demo warehouse
#   make test    fresh build of a test warehouse (seeds, models, data + unit tests), lint, pytest
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PYTHON := $(VENV)/bin/python
DBT := $(VENV)/bin/dbt
SQLFLUFF := $(VENV)/bin/sqlfluff
PYTEST := $(VENV)/bin/pytest

export DBT_PROFILES_DIR := $(CURDIR)/profiles
CRM_DUCKDB_PATH ?= warehouse/crm.duckdb
TEST_DUCKDB_PATH ?= warehouse/test.duckdb
# make build VARS="{raw_orders: /data/orders.parquet}" AS_OF_DATE=2024-06-30
VARS ?=
AS_OF_DATE ?=

.PHONY: help venv build test test-dbt lint pytest clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

venv: $(VENV)/.installed ## create the virtualenv from requirements.txt (only when missing or changed)

$(VENV)/.installed: requirements.txt
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

build: venv ## build the demo warehouse into $(CRM_DUCKDB_PATH)
	@mkdir -p $(dir $(CRM_DUCKDB_PATH))
	@vars='$(VARS)'; \
	if [ -n '$(AS_OF_DATE)' ]; then \
	    if [ -n "$$vars" ]; then vars="$${vars%\}}, as_of_date: '$(AS_OF_DATE)'}"; else vars="{as_of_date: '$(AS_OF_DATE)'}"; fi; \
	fi; \
	echo "dbt build $${vars:+--vars \"$$vars\"}"; \
	CRM_DUCKDB_PATH=$(CRM_DUCKDB_PATH) $(DBT) build $${vars:+--vars "$$vars"}

test: test-dbt lint pytest ## fresh dbt build with all tests, lint, pytest

test-dbt: venv ## fresh dbt build (seeds, models, data tests, unit tests) into $(TEST_DUCKDB_PATH)
	@mkdir -p $(dir $(TEST_DUCKDB_PATH))
	rm -f $(TEST_DUCKDB_PATH) $(TEST_DUCKDB_PATH).wal
	CRM_DUCKDB_PATH=$(TEST_DUCKDB_PATH) $(DBT) build --target-path target/test

lint: venv ## sqlfluff (dbt templater) over models, tests and analyses: zero violations
	@test -f $(TEST_DUCKDB_PATH) || $(MAKE) test-dbt
	CRM_DUCKDB_PATH=$(TEST_DUCKDB_PATH) $(SQLFLUFF) lint models tests analyses

pytest: venv ## Python tests against the test warehouse
	@test -f $(TEST_DUCKDB_PATH) || $(MAKE) test-dbt
	CRM_DUCKDB_PATH=$(TEST_DUCKDB_PATH) $(PYTEST) -q tests/python

clean: ## remove build artefacts (not the virtualenv)
	rm -rf target logs warehouse
