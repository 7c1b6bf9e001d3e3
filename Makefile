# The two set-up commands: `make demo` runs the whole system, `make test` runs every test.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: demo test bench lint clean

$(BIN)/joinedup: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

demo: $(BIN)/joinedup
	$(BIN)/joinedup demo

# Browser tests drive Debian's Chromium (a test tool's own browser download cannot work here).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

test: $(BIN)/joinedup $(CHROMIUM)
	$(BIN)/pytest -q

bench: $(BIN)/joinedup
	$(BIN)/python benchmarks/entities.py

lint: $(BIN)/joinedup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var build
