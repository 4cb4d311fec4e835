"""Engine and session factory; SQLite pragmas on connect. No module-level engine."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from server.settings import Settings

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=10000",
    "PRAGMA foreign_keys=ON",
    "PRAGMA cache_size=-65536",
    "PRAGMA temp_store=MEMORY",
    "PRAGMA mmap_size=268435456",
)


def _set_sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def create_engine(settings: Settings) -> AsyncEngine:
    """An async engine for the configured URL; JSON via orjson, SQLite tuned for one writer and many readers."""
    engine = create_async_engine(
        settings.database_url,
        echo=settings.echo_sql,
        json_serializer=lambda v: orjson.dumps(v).decode(),
        json_deserializer=orjson.loads,
    )
    if settings.is_sqlite:
        event.listen(engine.sync_engine, "connect", _set_sqlite_pragmas)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def create_all(engine: AsyncEngine) -> None:
    """Create every table of the current models (used by tests, seed and serve until migrations take over)."""
    from server.models import metadata

    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
