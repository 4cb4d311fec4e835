"""Fixtures that test packages share, imported by the conftest or test module that uses them (a conftest is never
imported as a library): the filter catalog built in the test's organization, and a second, empty database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from server.settings import Settings
from tests.factory.filters import CatalogSpec, build_catalog
from tests.utils.postgres import PostgresServer


@pytest.fixture
async def catalog(engine: AsyncEngine, org_id: str) -> CatalogSpec:
    """The filter catalog (120 rows with projects, labels, model runs and metadata) in the test's organization."""
    return await build_catalog(engine, org_id)


@pytest.fixture
def empty_settings(engine_name: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Settings]:
    """A second, empty database on the same engine as `settings` (imports land there; PostgreSQL uses COPY)."""
    exports = tmp_path / "exports-empty"
    if engine_name == "sqlite":
        yield Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", export_dir=exports)
        return
    server = PostgresServer(request.getfixturevalue("postgres_server").admin_url)
    server.create()
    try:
        yield Settings(database_url=server.url, export_dir=exports)
    finally:
        server.drop()
