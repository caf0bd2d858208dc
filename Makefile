# `make run` and `make test` set up everything they need on a machine with only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CONFIG ?= development.ini
# Pyramid 2.1 imports pkg_resources; keep that one deprecation notice off the console.
export PYTHONWARNINGS := ignore:pkg_resources is deprecated as an API

.PHONY: install migrate run test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Pyramid 2.1 imports pkg_resources, which setuptools 81+ deprecates with a warning;
# pinning setuptools keeps the suite runnable with warnings as errors.
$(STAMP): setup.py $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip 'setuptools<81' wheel
	$(BIN)/python -m pip install --quiet -e '.[testing]'
	touch $(STAMP)

install: $(STAMP)

# The reference HQ's history ([alembic], as a host's own), then the add-on's ([scim_alembic]).
migrate: install
	mkdir -p var
	$(BIN)/alembic -c $(CONFIG) upgrade head
	$(BIN)/alembic -c $(CONFIG) -n scim_alembic upgrade head

run: migrate
	$(BIN)/livepreso-hq $(CONFIG) demo
	$(BIN)/pserve $(CONFIG)

# The import contracts first (.importlinter): the add-on never imports the reference HQ,
# which uses only the add-on's public entry points; dependencies run one way.
test: install
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Okta's hot paths at 1,000 to 100,000 users (PostgreSQL too when SCIM_TEST_POSTGRES_URL
# is set); BENCH_ARGS="--sizes 1000,10000" picks sizes. Writes bench/out/.
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var *.egg-info .pytest_cache
