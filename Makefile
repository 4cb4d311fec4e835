# catalog-export: every target creates .venv on first use (Python 3.11+ is all a fresh clone needs).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATABASE_URL ?= sqlite+aiosqlite:///./catalog.db
export DATABASE_URL

.PHONY: run test bench schema lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/catalog-export seed --rows 2000 --if-empty
	$(BIN)/catalog-export serve --dev

test: $(STAMP)
	$(BIN)/ruff check server resolvers tests bench
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

schema: $(STAMP)
	$(BIN)/catalog-export schema > schema.graphql

lint: $(STAMP)
	$(BIN)/ruff check server resolvers tests bench
	$(BIN)/ruff format --check server resolvers tests

clean:
	rm -rf $(VENV) exports catalog.db catalog.db-wal catalog.db-shm
