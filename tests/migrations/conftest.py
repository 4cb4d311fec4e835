"""These tests rewrite the schema: the PostgreSQL session database is given back at head after each."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def fresh_schema_afterwards(engine_name: str, request: pytest.FixtureRequest) -> Iterator[None]:
    server = request.getfixturevalue("postgres_server") if engine_name == "postgresql" else None
    yield
    if server is not None:
        server.reset()
