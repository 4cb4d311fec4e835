"""Search tests run on both engines: a fresh SQLite file, and a fresh PostgreSQL database created and dropped here."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine

from server.db import create_engine
from server.models import Dataset, Organization
from server.models.base import new_id
from server.schema_check import create_all
from server.settings import Settings
from tests.search.catalog import Catalog

PG_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"


async def _postgres_available() -> bool:
    engine = create_async_engine(f"{PG_SERVER}/postgres")
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True
    except (OSError, Exception):
        return False
    finally:
        await engine.dispose()


async def _admin(statement: str) -> None:
    engine = create_async_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(statement))
    await engine.dispose()


@pytest.fixture
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'search.db'}"
        return
    if not await _postgres_available():
        pytest.skip(f"PostgreSQL is not reachable at {PG_SERVER}")
    name = f"search_test_{secrets.token_hex(4)}"
    await _admin(f"CREATE DATABASE {name}")
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        await _admin(f"DROP DATABASE {name} WITH (FORCE)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_url" in metafunc.fixturenames:
        metafunc.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
async def catalog(database_url: str) -> AsyncIterator[Catalog]:
    engine = create_engine(Settings(database_url=database_url))
    await create_all(engine)
    org_id, dataset_id = new_id(), new_id()
    async with engine.begin() as conn:
        await conn.execute(insert(Organization.__table__), [{"id": org_id, "name": f"org-{org_id}"}])
        await conn.execute(insert(Dataset.__table__), [{"id": dataset_id, "organization_id": org_id, "name": "d"}])
    yield Catalog(engine, org_id, dataset_id)
    await engine.dispose()
