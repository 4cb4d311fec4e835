"""The same seed gives the same export bytes on PostgreSQL as on SQLite (needs a scratch PostgreSQL database)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from server.db import create_engine
from server.ingest.seed import seed_database
from server.models import metadata
from server.settings import Settings
from tests.seed.conftest import export_all, sha256, sqlite_settings

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")


async def drop_all(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
    finally:
        await engine.dispose()


@pytest.mark.skipif(
    not POSTGRES_URL, reason="set TEST_POSTGRES_URL to a scratch PostgreSQL database (its tables are dropped)"
)
async def test_postgresql_gives_the_same_bytes_as_sqlite(tmp_path: Path) -> None:
    postgres = Settings(database_url=str(POSTGRES_URL))
    await drop_all(postgres)
    try:
        await seed_database(postgres, rows=120, seed=6)
        on_postgres = await export_all(postgres, seed=6)
    finally:
        await drop_all(postgres)
    sqlite = sqlite_settings(tmp_path / "c.db")
    await seed_database(sqlite, rows=120, seed=6)
    on_sqlite = await export_all(sqlite, seed=6)
    assert len(on_postgres.splitlines()) == 120
    assert sha256(on_postgres) == sha256(on_sqlite)
