# Two commands do everything on a fresh machine:
#   make serve   set up, ingest the sample content, serve on http://127.0.0.1:8000
#   make test    set up (system packages too) and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: setup serve test system-deps bench clean

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

test: setup system-deps
	$(BIN)/pytest

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
