# Two commands on a fresh machine: `make demo` and `make test`. Each sets up what it needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

STATE   := $(CURDIR)/.state
VENV    := $(CURDIR)/.venv
BIN     := $(VENV)/bin
UV      := $(or $(shell command -v uv 2>/dev/null),$(STATE)/bootstrap/bin/uv)

export AIRFLOW_HOME                   := $(STATE)/airflow
export AIRFLOW__CORE__DAGS_FOLDER     := $(CURDIR)/dags
export AIRFLOW__CORE__LOAD_EXAMPLES   := False
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False
export DO_NOT_TRACK                   := 1
export SCARF_NO_ANALYTICS             := true
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DBT_PROFILES_DIR               := $(CURDIR)/dbt_project

.PHONY: help venv db-up db-down airflow-db dbt-parse browser demo airflow airflow-down test test-fast bench lint format clean

help:
	@echo "make demo      run the nightly DAG end to end on a generated export"
	@echo "make airflow   start Airflow for real (UI, scheduler, DAGs on their schedules); make airflow-down stops it"
	@echo "make test      run the whole test suite (real PostgreSQL, dbt and Airflow)"
	@echo "make browser   unpack the headless Chromium of the site's browser test (npm @sparticuz/chromium)"
	@echo "make db-up     start the project-local PostgreSQL (skipped when WAREHOUSE_DSN is set)"
	@echo "make db-down   stop it"
	@echo "make bench     benchmark: 1M dossiers through ingestion and dbt (BENCH_ARGS=\"--dossiers N\", --national, --record)"
	@echo "make lint      ruff and sqlfluff"
	@echo "make clean     remove the local cluster, the venv's state and build output"

$(STATE)/bootstrap/bin/uv:
	python3 -m venv $(STATE)/bootstrap
	$(STATE)/bootstrap/bin/pip install --quiet uv

# Bytecode is compiled at install: imports then cost the same with PYTHONDONTWRITEBYTECODE set.
$(BIN)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python 3.11 --compile-bytecode
	@touch $@

venv: $(BIN)/.synced

db-up: venv
	@if [ -n "$$WAREHOUSE_DSN" ]; then echo "Using WAREHOUSE_DSN; no local cluster started"; \
	else scripts/pg.sh up; fi

db-down:
	@scripts/pg.sh down

$(AIRFLOW_HOME)/.migrated: $(BIN)/.synced
	@mkdir -p $(AIRFLOW_HOME)
	$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/migrate.log 2>&1 || { cat $(AIRFLOW_HOME)/migrate.log; exit 1; }
	@touch $@

airflow-db: $(AIRFLOW_HOME)/.migrated

# Cosmos renders the DAG from dbt's manifest, so it is built before Airflow parses the DAG.
dbt-parse: venv
	$(BIN)/dbt parse --project-dir dbt_project --profiles-dir dbt_project --quiet

# The headless Chromium of the site's browser test, from the npm package @sparticuz/chromium (browser hosts are
# out of reach here; docs/publish.md). Without npm the target says so and the test skips, naming why.
$(STATE)/browser/bin/chromium:
	scripts/headless_browser.sh $(STATE)/browser

browser: $(STATE)/browser/bin/chromium

demo: db-up airflow-db dbt-parse
	$(BIN)/cds demo

# Airflow for real: api-server, scheduler, dag-processor and triggerer on this machine (scripts/airflow.sh).
airflow: db-up dbt-parse
	$(BIN)/cds setup
	AIRFLOW_HOME=$(STATE)/airflow-server scripts/airflow.sh up

airflow-down:
	@AIRFLOW_HOME=$(STATE)/airflow-server scripts/airflow.sh down

# The test under Airflow's own scheduler (tests/test_scheduler.py) runs beside the rest of the suite, on its
# own databases: it mostly waits on the scheduler, so the two share the cores. Its output follows the suite's.
test: db-up airflow-db dbt-parse browser
	@CDS_TEST_DB=cds_test_scheduler $(BIN)/pytest tests/test_scheduler.py $(PYTEST_ARGS) \
		> $(STATE)/test_scheduler.log 2>&1 & scheduler=$$!; \
	$(BIN)/pytest -m "slow or not slow" --ignore=tests/test_scheduler.py $(PYTEST_ARGS); suite=$$?; \
	wait $$scheduler; under_scheduler=$$?; cat $(STATE)/test_scheduler.log; \
	exit $$(( suite || under_scheduler ))

test-fast: db-up airflow-db dbt-parse
	$(BIN)/pytest -m "not slow"

# Speed and memory, one run: `make bench` (1M dossiers), `make bench BENCH_ARGS="--dossiers N --record"`, --national.
bench: db-up dbt-parse
	$(BIN)/cds bench $(BENCH_ARGS)

lint: venv
	$(BIN)/ruff check src tests dags
	$(BIN)/ruff format --check src tests dags
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/tests

format: venv
	$(BIN)/ruff format src tests dags
	$(BIN)/ruff check --fix src tests dags

clean:
	-scripts/pg.sh destroy
	rm -rf $(STATE) dbt_project/target dbt_project/logs .pytest_cache .ruff_cache
