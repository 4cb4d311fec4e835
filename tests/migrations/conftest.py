"""These tests rewrite the schema: the PostgreSQL session database is given back at head after each that used it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def fresh_schema_afterwards(request: pytest.FixtureRequest) -> Iterator[None]:
    uses_postgres = "settings" in request.fixturenames and request.getfixturevalue("engine_name") == "postgresql"
    server = request.getfixturevalue("postgres_server") if uses_postgres else None
    yield
    if server is not None:
        server.reset()
