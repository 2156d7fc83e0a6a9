# Two commands do the whole set-up on a fresh machine:
#   make build   create .venv from the pinned requirements if missing, build the demo warehouse
#   make test    fresh build of a test warehouse (seeds, models, data + unit tests), validation, lint, pytest,
#                then the same project on local Spark with parity against DuckDB
# requirements.txt is what a build needs (runtime); requirements-dev.txt adds the test and lint tools
# (make test installs both).
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
# Both reach scripts/publish.py as environment variables (CRM_BUILD_VARS, CRM_AS_OF_DATE), taken
# verbatim: $(value ...) stops make from expanding $(...) in them, the only quote that matters inside
# '...' is escaped, and they are not exported (make would expand them to export them).
VARS ?=
AS_OF_DATE ?=
unexport VARS AS_OF_DATE
# dbt artefacts of `make build` (make export reads its manifest.json)
PUBLISH_TARGET_PATH ?= target/publish
shell_quote = '$(subst ','\'',$(value $(1)))'
PIP_INSTALL := $(PYTHON) -m pip install --quiet --disable-pip-version-check

.PHONY: help venv venv-dev build test test-dbt lint pytest clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

venv: $(VENV)/.installed ## create the virtualenv from requirements.txt (only when missing or changed)

$(VENV)/.installed: requirements.txt
	@test -x $(PYTHON) || { echo "venv: creating $(VENV)"; python3 -m venv $(VENV); }
	@echo "venv: pip install -r requirements.txt (runtime: dbt, DuckDB, Great Expectations; a few minutes the first time)"
	@$(PIP_INSTALL) -r requirements.txt
	@touch $@

venv-dev: $(VENV)/.installed-dev ## add the development and test tools (requirements-dev.txt) to .venv

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	@echo "venv: pip install -r requirements-dev.txt (pytest, sqlfluff, playwright, SQLAlchemy for the BI test)"
	@$(PIP_INSTALL) -r requirements-dev.txt -c requirements.txt
	@touch $@

# The recipe execs publish.py (no shell left in between), so a SIGTERM that make forwards reaches it:
# it stops dbt, deletes the half-built file and says so.
build: venv ## build into a new file, validate it, then publish it atomically as $(CRM_DUCKDB_PATH)
	@mkdir -p $(dir $(CRM_DUCKDB_PATH))
	@CRM_BUILD_VARS=$(call shell_quote,VARS) CRM_AS_OF_DATE=$(call shell_quote,AS_OF_DATE) \
	    exec $(PYTHON) scripts/publish.py --warehouse $(CRM_DUCKDB_PATH) --target-path $(PUBLISH_TARGET_PATH)

test: venv-dev test-dbt lint pytest test-spark ## fresh dbt build with all tests + GX validation, lint, pytest, Spark build + parity

# The metric macros' tests (models/metric_tests, seeds/metric_cases) are enabled only by
# CRM_METRIC_TESTS=true: the test builds below set it, `make build` never does, so they are
# not in the published warehouse (docs/decisions.md "Layering and tests").
test-dbt: venv ## fresh dbt build (seeds, models, data tests, unit tests, metric macro tests) into $(TEST_DUCKDB_PATH)
	@mkdir -p $(dir $(TEST_DUCKDB_PATH))
	rm -f $(TEST_DUCKDB_PATH) $(TEST_DUCKDB_PATH).wal
	CRM_METRIC_TESTS=true CRM_DUCKDB_PATH=$(TEST_DUCKDB_PATH) $(DBT) build --target-path target/test
	CRM_METRIC_TESTS=true CRM_DUCKDB_PATH=$(TEST_DUCKDB_PATH) $(DBT) docs generate --target-path target/test
	$(PYTHON) scripts/validate.py --warehouse $(TEST_DUCKDB_PATH)

lint: venv-dev ## sqlfluff (dbt templater) over models, tests and analyses: zero violations
	@test -f $(TEST_DUCKDB_PATH) || $(MAKE) test-dbt
	@echo "lint: sqlfluff with the dbt templater over models, tests, analyses (compiles every file; a few minutes)"
	CRM_METRIC_TESTS=true CRM_DUCKDB_PATH=$(TEST_DUCKDB_PATH) $(SQLFLUFF) lint models tests analyses

pytest: venv-dev venv-spark venv-metricflow browser ## Python tests against the test warehouse (some check the Spark target's config)
	@test -f $(TEST_DUCKDB_PATH) || $(MAKE) test-dbt
	CRM_DUCKDB_PATH=$(TEST_DUCKDB_PATH) $(PYTEST) -q tests/python

# --- Documentation and Parquet export (issue 11) -------------------------------
DOCS_TARGET_PATH ?= target/docs
EXPORT_DIR ?= warehouse/export
# The manifest of the build that made $(CRM_DUCKDB_PATH): `make build` (scripts/publish.py) writes target/publish.
EXPORT_DBT_MANIFEST ?= $(PUBLISH_TARGET_PATH)/manifest.json

.PHONY: docs export

# Read-only target: works while BI tools hold the file. --static: one self-contained
# static_index.html (manifest and catalog inside) that opens from disk, no server.
docs: venv ## dbt docs of $(CRM_DUCKDB_PATH) (read-only) as one file that opens from disk: $(DOCS_TARGET_PATH)/static_index.html
	@test -f $(CRM_DUCKDB_PATH) || { echo "docs: no warehouse at $(CRM_DUCKDB_PATH); run make build first" >&2; exit 1; }
	@echo "docs: dbt docs generate --static (read-only target) of $(CRM_DUCKDB_PATH) ..."
	@CRM_TARGET=readonly CRM_DUCKDB_PATH=$(CRM_DUCKDB_PATH) $(DBT) --quiet docs generate --static \
	    --target-path $(DOCS_TARGET_PATH) --log-path logs/docs
	@echo "docs: open $(DOCS_TARGET_PATH)/static_index.html in a browser (no server needed)"

export: venv ## every public mart of $(CRM_DUCKDB_PATH) as Parquet + manifest.json into $(EXPORT_DIR)
	$(PYTHON) scripts/export.py --warehouse $(CRM_DUCKDB_PATH) --out $(EXPORT_DIR) --dbt-manifest $(EXPORT_DBT_MANIFEST)

# --- Browser for the dashboard test ----------------------------------------------
# tests/python/test_dashboard.py opens the dashboard in Debian's headless Chromium
# through playwright (executable_path: playwright cannot download its own browser here).
.PHONY: browser

browser: ## install Debian's chromium for the dashboard's browser test when missing (needs root)
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

clean: ## remove build artefacts (not the virtualenv)
	rm -rf target logs warehouse

# --- Spark (issue 3) ------------------------------------------------------------
# The same project on local Spark through dbt-spark's session method (Java 17 on
# the machine), compared table by table with a DuckDB build of the same data.
# One `dbt build` into a fresh SPARK_DIR with the in-memory catalog (no Derby
# metastore: faster, no 32 KB limit on a view's SQL); the parity script reads the
# Spark tables as the Parquet files under $(SPARK_DIR)/warehouse.
SPARK_DIR ?= warehouse/spark
SPARK_REF_DUCKDB_PATH ?= warehouse/spark_ref.duckdb

.PHONY: venv-spark test-spark

venv-spark: $(VENV)/.installed-spark ## add the Spark extras (requirements-spark.txt) to .venv

$(VENV)/.installed-spark: requirements-spark.txt $(VENV)/.installed
	@echo "venv: pip install -r requirements-spark.txt (dbt-spark, pyspark: about 490 MB the first time)"
	@$(PIP_INSTALL) -r requirements-spark.txt -c requirements.txt
	@touch $@

test-spark: venv-spark ## build on local Spark (seeds, models, tests) and check parity of every table with DuckDB
	@command -v java >/dev/null || { echo "test-spark: needs Java 17 (apt-get install openjdk-17-jre-headless)" >&2; exit 1; }
	@set -euo pipefail; start=$$(date +%s); \
	rm -rf $(SPARK_DIR); mkdir -p $(SPARK_DIR) $(dir $(SPARK_REF_DUCKDB_PATH)); \
	echo "== Spark build into $(SPARK_DIR) (python models are disabled on Spark)"; \
	CRM_TARGET=spark CRM_SPARK_DIR=$(abspath $(SPARK_DIR)) CRM_SPARK_CATALOG=in-memory SPARK_LOCAL_IP=127.0.0.1 \
	    CRM_METRIC_TESTS=true $(DBT) build --target-path target/spark; \
	spark_done=$$(date +%s); \
	echo "== DuckDB build of the same data into $(SPARK_REF_DUCKDB_PATH)"; \
	rm -f $(SPARK_REF_DUCKDB_PATH) $(SPARK_REF_DUCKDB_PATH).wal; \
	CRM_TARGET=duckdb CRM_DUCKDB_PATH=$(SPARK_REF_DUCKDB_PATH) CRM_METRIC_TESTS=true \
	    $(DBT) build --resource-type seed --resource-type model --target-path target/spark_ref; \
	echo "== Parity"; \
	$(PYTHON) scripts/spark_parity.py --spark-dir $(SPARK_DIR) --duckdb $(SPARK_REF_DUCKDB_PATH) \
	    --manifest target/spark/manifest.json --compiled-dir target/spark/compiled; \
	end=$$(date +%s); \
	echo "test-spark: $$((end - start)) s (Spark build $$((spark_done - start)) s)"

# Optional, not part of `make test`: the thrift target against a Spark Thrift Server started
# here from the pyspark jars (127.0.0.1:10000), whole project + parity; DBT_ARGS="--select ..."
# narrows it (with --indirect-selection cautious). Needs a virtualenv with dbt-spark[PyHive] (THRIFT_VENV; the script prints how).
THRIFT_VENV ?= .venv-thrift
DBT_ARGS ?=

.PHONY: test-spark-thrift

test-spark-thrift: venv-spark ## optional: dbt build through a local Spark Thrift Server (thrift target) + parity
	CRM_THRIFT_VENV=$(THRIFT_VENV) scripts/spark_thrift_local.sh --parity $(DBT_ARGS)

# --- Semantic layer (issue 11) ---------------------------------------------------
# MetricFlow's `mf` CLI over models/semantic/ (dbt-metricflow, pinned in
# requirements-metricflow.txt without changing a pin of requirements.txt).
.PHONY: venv-metricflow

venv-metricflow: $(VENV)/.installed-metricflow ## add MetricFlow (requirements-metricflow.txt, the `mf` CLI) to .venv

$(VENV)/.installed-metricflow: requirements-metricflow.txt $(VENV)/.installed
	@echo "venv: pip install -r requirements-metricflow.txt (MetricFlow, the mf CLI)"
	@$(PIP_INSTALL) -r requirements-metricflow.txt -c requirements.txt
	@touch $@

# --- The CRM dashboard (issue 22) ------------------------------------------------
# An Observable Framework site (dashboards/, npm versions pinned by its
# package-lock.json) over JSON that dashboards/export_data.py writes from the marts
# of $(CRM_DUCKDB_PATH), read-only. Static: open $(DASHBOARD_OUT)/index.html
# through any web server (python3 -m http.server -d $(DASHBOARD_OUT)).
DASHBOARD_OUT ?= dashboards/dist

.PHONY: dashboard

dashboards/node_modules/.installed: dashboards/package-lock.json
	@command -v npm >/dev/null || { echo "dashboard: needs Node.js 20+ and npm (apt-get install nodejs npm)" >&2; exit 1; }
	@echo "dashboard: npm ci (versions pinned by dashboards/package-lock.json)"
	cd dashboards && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

dashboard: venv dashboards/node_modules/.installed ## the CRM dashboard of $(CRM_DUCKDB_PATH) (read-only) as a static site in $(DASHBOARD_OUT)
	@set -euo pipefail; start=$$(date +%s); \
	$(PYTHON) dashboards/export_data.py --warehouse $(CRM_DUCKDB_PATH) --out dashboards/src/data; \
	out='$(abspath $(DASHBOARD_OUT))'; \
	cd dashboards && OBSERVABLE_TELEMETRY_DISABLE=true CRM_DASHBOARD_OUT="$$out" \
	    npx --no-install observable build > "$$out.log" 2>&1 || { cat "$$out.log"; exit 1; }; \
	echo "dashboard: $$out/index.html in $$(( $$(date +%s) - start )) s (log $$out.log); serve it: python3 -m http.server -d $$out"
