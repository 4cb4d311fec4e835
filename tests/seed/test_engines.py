"""The same seed gives the same export bytes on PostgreSQL as on SQLite (the session's scratch PostgreSQL database)."""

from __future__ import annotations

from pathlib import Path

from server.ingest.seed import seed_database
from server.settings import Settings
from tests.seed.exports import export_all, sha256, sqlite_settings
from tests.utils.postgres import PostgresServer


async def test_postgresql_gives_the_same_bytes_as_sqlite(postgres_server: PostgresServer, tmp_path: Path) -> None:
    postgres = Settings(database_url=postgres_server.url, export_dir=tmp_path / "pg-exports")
    await postgres_server.empty()
    try:
        await seed_database(postgres, rows=120, seed=6)
        on_postgres = await export_all(postgres, seed=6)
    finally:
        await postgres_server.empty()
    sqlite = sqlite_settings(tmp_path / "c.db")
    await seed_database(sqlite, rows=120, seed=6)
    on_sqlite = await export_all(sqlite, seed=6)
    assert len(on_postgres.splitlines()) == 120
    assert on_postgres == on_sqlite
    assert sha256(on_postgres) == sha256(on_sqlite)
