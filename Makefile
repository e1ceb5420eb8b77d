# Two commands for a fresh machine (see README.md):
#   make demo   install into .venv, build the demo database on SQLite, serve on port 5000
#   make test   install test needs, lint, run every test on SQLite (at 22:30 UTC by
#               faketime; the browser journeys and Lighthouse on the real clock), then on
#               PostgreSQL (at 18:59 UTC)
#
# Works as root with no terminal (CI=true, no stdin): apt-get runs non-interactively, and
# everything Python goes into .venv. Any pytest exit status other than 0 fails the target,
# including 5 ("no tests collected").

SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
BIN := $(VENV)/bin
# pytest-xdist: two workers (the suite is written for it); PYTEST_ARGS= runs serially.
PYTEST_ARGS ?= -n 2
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

export DEBIAN_FRONTEND := noninteractive
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test system-deps install install-test lighthouse test-lighthouse lint test-sqlite test-postgresql test-faketime

$(BIN)/python:
	if ! python3 -c 'import ensurepip' 2>/dev/null; then
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv
	fi
	python3 -m venv $(VENV)

install: $(BIN)/python
	$(BIN)/pip install -q -e .

demo: install
	$(BIN)/qauym demo --reset
	$(BIN)/qauym run --host 0.0.0.0

# Chromium for the browser journeys, PostgreSQL server binaries (initdb, pg_ctl) for the
# PostgreSQL run, redis-server, nginx and openssl for the shared-state and two-server tests,
# Node.js and npm for Lighthouse: installed with apt-get only when missing (python3-venv: see
# $(BIN)/python).
system-deps:
	need=""
	[ -x /usr/bin/chromium ] || need="$$need chromium"
	if command -v node >/dev/null; then command -v npm >/dev/null || need="$$need npm"; else need="$$need nodejs npm"; fi
	command -v faketime >/dev/null || need="$$need faketime"
	command -v redis-server >/dev/null || need="$$need redis-server"
	[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || need="$$need nginx"
	command -v openssl >/dev/null || need="$$need openssl"
	has_pg=no
	if command -v initdb >/dev/null || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then has_pg=yes; fi
	if [ -n "$$need" ] || [ "$$has_pg" = no ]; then
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q
	  if [ "$$has_pg" = no ]; then
	    pg=""
	    for p in postgresql-15 postgresql-16 postgresql-17 postgresql; do
	      if apt-cache policy "$$p" 2>/dev/null | grep -q 'Candidate: [0-9]'; then pg="$$p"; break; fi
	    done
	    [ -n "$$pg" ] || { echo "no PostgreSQL server package found by apt-cache policy" >&2; exit 1; }
	    need="$$need $$pg"
	  fi
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$need
	fi

install-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'

# Lighthouse for tests/test_lighthouse_browser.py: the exact versions of
# tests/lighthouse/package-lock.json, installed by `npm ci` (again only when the lock changed).
# It drives Debian's Chromium (CHROME_PATH), never a downloaded browser.
LIGHTHOUSE := tests/lighthouse
lighthouse: $(LIGHTHOUSE)/node_modules/.package-lock.json

$(LIGHTHOUSE)/node_modules/.package-lock.json: $(LIGHTHOUSE)/package.json $(LIGHTHOUSE)/package-lock.json
	cd $(LIGHTHOUSE) && npm ci --no-audit --no-fund --loglevel=error
	touch "$(CURDIR)/$@"

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Each suite runs once, and each database under one of two hard instants of the clock
# (libfaketime: the clock runs on from the given instant; monotonic time stays real so
# timeouts behave): 22:30 UTC is 03:30 the next day in Almaty, 18:59 UTC a minute before the
# Almaty midnight. Today's date, so a test that hard-codes "the future" is caught too. No
# test may depend on the hour it runs at. The browser journeys and the two-server test run
# on the real clock (Chromium and the servers they start keep their own).
TODAY := $(shell date -u +%F)
SQLITE_AT ?= $(TODAY) 22:30:00
POSTGRESQL_AT ?= $(TODAY) 18:59:00
FAKETIME := TZ=UTC FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f
NOT_BROWSER := -m "not browser and not multiserver"

test-sqlite: install-test lighthouse
	echo "== SQLite, the suite at $(SQLITE_AT) UTC (faketime)"
	$(FAKETIME) "@$(SQLITE_AT)" $(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS) $(NOT_BROWSER)
	echo "== SQLite, browser journeys and the two-server test"
	$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS) -m "(browser or multiserver) and not lighthouse"
	echo "== SQLite, Lighthouse on the main pages"
	$(BIN)/pytest -q -p no:cacheprovider -n 0 -m lighthouse

# Lighthouse's four scores (1.00 each) on the main pages (tests/test_lighthouse_browser.py), on
# one worker so that no other test shares the CPU it measures; the last step of test-sqlite,
# and on its own here.
test-lighthouse: install-test lighthouse
	$(BIN)/pytest -q -p no:cacheprovider -n 0 -m lighthouse

# The two-server test (marker multiserver) runs once, in test-sqlite: it always brings its own
# PostgreSQL, Redis, S3 server, nginx and gunicorn processes, whatever QAUYM_TEST_DB says.
test-postgresql: install-test
	echo "== PostgreSQL, the suite at $(POSTGRESQL_AT) UTC (faketime)"
	QAUYM_TEST_DB=postgresql $(FAKETIME) "@$(POSTGRESQL_AT)" \
	  $(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS) $(NOT_BROWSER)

# The non-browser suite on SQLite at any other instants: make test-faketime FAKETIME_AT="...|..."
FAKETIME_AT ?= $(TODAY) 22:30:00|$(TODAY) 18:59:00
test-faketime: install-test
	IFS='|' read -ra instants <<< "$(FAKETIME_AT)"
	for at in "$${instants[@]}"; do
	  echo "== the suite at $$at UTC (faketime)"
	  $(FAKETIME) "@$$at" $(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS) $(NOT_BROWSER)
	done

test: system-deps
	$(MAKE) --no-print-directory install-test
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgresql
