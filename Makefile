# catalog-export: every target creates .venv on first use (Python 3.11+ is all a fresh clone needs).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
DATABASE_URL ?= sqlite+aiosqlite:///./catalog.db
export DATABASE_URL

.PHONY: run test bench schema lint clean migration lowest

# `make run` installs what serving needs; the test extras (pytest, ruff, import-linter, mypy, the Labelbox SDK,
# Playwright) come with the targets that use them.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install -q -e '.[test]'
	touch $(TEST_STAMP)

run: $(STAMP)
	$(BIN)/catalog-export seed --rows 2000 --if-empty
	$(BIN)/catalog-export serve --dev

test: $(TEST_STAMP)
	$(BIN)/ruff check server resolvers tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: $(TEST_STAMP)
	$(BIN)/python -m bench --docs $(BENCH_ARGS)

schema: $(STAMP)
	$(BIN)/catalog-export schema > schema.graphql

# A new Alembic revision for model changes: make migration MESSAGE="add x to y". Diffed against a scratch
# SQLite database migrated to head; review the file (autogenerate misses renames, triggers and functions: write
# their DDL out in the revision, never import it from the models) and commit it.
MIGRATION_DB := $(shell mktemp -u /tmp/catalog-migration-XXXXXX).db
migration: $(TEST_STAMP)
	$(BIN)/catalog-export migrate --database-url sqlite+aiosqlite:///$(MIGRATION_DB) --revision "$(MESSAGE)"
	rm -f $(MIGRATION_DB)*
	$(BIN)/ruff format -q server/migrations/versions && $(BIN)/ruff check --fix -q server/migrations/versions

lint: $(TEST_STAMP)
	$(BIN)/ruff check server resolvers tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/ruff format --check server resolvers tests

# `make lowest`: a separate venv with every runtime dependency at its declared lower bound (uv's lowest-direct
# resolution; the test tools at their newest), then the library seams and the suites that go through them on both
# engines. Run it after changing a bound in pyproject.toml; it is not part of `make test` or CI.
LOWEST_VENV ?= .venv-lowest
LOWEST_TESTS ?= tests/test_library_seams.py tests/test_sqlite_driver.py tests/test_execution.py tests/test_selection.py \
	tests/test_settings.py tests/test_db.py tests/migrations tests/loading tests/api tests/golden \
	tests/hostile/test_limits.py tests/hostile/test_connections.py tests/subscriptions tests/export/test_recovery.py \
	tests/cli/test_workers.py
lowest:
	rm -rf $(LOWEST_VENV)
	$(PYTHON) -m venv $(LOWEST_VENV)
	$(LOWEST_VENV)/bin/pip install -q uv
	$(LOWEST_VENV)/bin/uv pip compile -q --no-deps --resolution lowest-direct pyproject.toml -o $(LOWEST_VENV)/lowest.txt
	$(LOWEST_VENV)/bin/uv pip install -q --python $(LOWEST_VENV)/bin/python -e '.[test]' -c $(LOWEST_VENV)/lowest.txt
	$(LOWEST_VENV)/bin/python -m pytest -q $(PYTEST_ARGS) $(LOWEST_TESTS)

clean:
	rm -rf $(VENV) $(LOWEST_VENV) .mypy_cache exports catalog.db catalog.db-wal catalog.db-shm
