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

test: $(BIN)/joinedup
	$(BIN)/pytest -q

bench: $(BIN)/joinedup
	$(BIN)/python benchmarks/entities.py

lint: $(BIN)/joinedup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var build
