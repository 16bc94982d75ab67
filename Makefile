# Two commands do everything on a fresh machine:
#   make serve   set up, ingest the sample content, serve on http://127.0.0.1:8000
#   make test    set up (system packages too), lint (ruff check, ruff format --check,
#                mypy --strict), then run the whole test suite twice: on SQLite, then on a
#                throwaway PostgreSQL cluster (scripts/postgres.sh)
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: setup serve lint test test-sqlite test-postgres soak postgres-stop system-deps browser-deps bench clean

$(BIN)/syndicate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/syndicate

serve: setup
	$(BIN)/syndicate ingest content/samples
	$(BIN)/syndicate serve

system-deps:
	bash scripts/system-deps.sh

# axe-core (npm), which the browser tests inject into pages to check their accessibility.
AXE = tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund --silent
	touch $@

browser-deps: system-deps $(AXE)

LINTED = syndicate tests bench wsgi.py

lint: setup
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy --strict syndicate

test: lint test-sqlite test-postgres

test-sqlite: setup system-deps browser-deps
	$(BIN)/pytest

# The same suite with every test in its own schema of a PostgreSQL database (tests/conftest.py).
test-postgres: setup system-deps browser-deps
	url="$$(bash scripts/postgres.sh url syndicate_test)" && \
	SYNDICATE_TEST_DATABASE_URL="$$url" $(BIN)/pytest

# The long fault runs left out of `make test` (pytest -m soak): 100 SIGKILLs with restarts,
# fuzzing with 3,000 hypothesis examples and 120 s of atheris a kind, on SQLite and then on PostgreSQL.
soak: setup system-deps
	$(BIN)/pytest -m soak -s
	url="$$(bash scripts/postgres.sh url syndicate_test)" && \
	SYNDICATE_TEST_DATABASE_URL="$$url" $(BIN)/pytest -m soak -s

postgres-stop:
	bash scripts/postgres.sh stop

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
