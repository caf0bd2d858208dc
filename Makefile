# `make run` and `make test` set up everything they need on a machine with only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CONFIG ?= development.ini
# `make run PORT=8080` serves on another port. PasteDeploy lets an ini file's [DEFAULT]
# win over `pserve development.ini http_port=8080`, so the port gets a copy of $(CONFIG)
# in var/ with that http_port and the copy's %(here)s written out (the same database and
# SSO key): the migrations, the demo's printed URLs and pserve's listen address all come
# from that one file, and support commands against that server take it too.
VAR := $(dir $(CONFIG))var
ifdef PORT
RUN_CONFIG := $(VAR)/$(basename $(notdir $(CONFIG)))-$(PORT).ini
else
RUN_CONFIG := $(CONFIG)
endif
# Pyramid 2.1 imports pkg_resources; keep that one deprecation notice off the console.
export PYTHONWARNINGS := ignore:pkg_resources is deprecated as an API

.PHONY: bench-peers install migrate run test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Pyramid 2.1 imports pkg_resources, which setuptools 81+ deprecates with a warning;
# pinning setuptools keeps the suite runnable with warnings as errors.
$(STAMP): setup.py $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip 'setuptools<81' wheel
	$(BIN)/python -m pip install --quiet -e '.[testing]'
	touch $(STAMP)

install: $(STAMP)

ifdef PORT
$(RUN_CONFIG): $(CONFIG) Makefile
	@case '$(PORT)' in ''|*[!0-9]*) echo "PORT must be a port number, not '$(PORT)'" >&2; exit 2;; esac
	@grep -q '^http_port = ' $(CONFIG) || { echo "$(CONFIG) has no http_port for PORT to change" >&2; exit 2; }
	mkdir -p $(VAR)
	sed -e 's/^http_port = .*/http_port = $(PORT)/' -e 's|%(here)s|$(subst %,%%,$(abspath $(dir $(CONFIG))))|g' $(CONFIG) > $@
endif

# The reference HQ's history ([alembic], as a host's own), then the add-on's ([scim_alembic]).
migrate: install $(RUN_CONFIG)
	mkdir -p $(VAR)
	$(BIN)/alembic -c $(RUN_CONFIG) upgrade head
	$(BIN)/alembic -c $(RUN_CONFIG) -n scim_alembic upgrade head

run: migrate
	$(BIN)/livepreso-hq $(RUN_CONFIG) demo
	$(BIN)/pserve $(RUN_CONFIG)

# The import contracts first (.importlinter): the add-on never imports the reference HQ,
# which uses only the add-on's public entry points; dependencies run one way.
test: install
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Okta's hot paths at 1,000 to 100,000 users (PostgreSQL too when SCIM_TEST_POSTGRES_URL
# is set); BENCH_ARGS="--sizes 1000,10000" picks sizes. Writes bench/out/.
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The add-on beside other SCIM servers and a bare Pyramid route, over HTTP, in one
# interleaved run (bench/peers-bench/README.md): ROUNDS rounds at USERS users, then the
# tables of ratios. Peers' venvs go to $TMPDIR; results to $TMPDIR/peers-bench-results.
ROUNDS ?= 3
USERS ?= 2000
bench-peers: install
	bench/peers-bench/compare.sh setup
	bench/peers-bench/compare.sh matrix $(ROUNDS) $(USERS)
	bench/peers-bench/compare.sh summary $(USERS)

clean:
	rm -rf $(VENV) var *.egg-info .pytest_cache
