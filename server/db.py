"""Engine and session factory; SQLite pragmas on connect. No module-level engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import metadata
from server.settings import Settings

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA temp_store=MEMORY",
)


def _sqlite_pragmas(settings: Settings, cache_mb: int) -> Callable[[Any, Any], None]:
    """Set on every new connection; a writer waits busy_timeout for the lock, then fails (SERVICE_UNAVAILABLE)."""
    pragmas = (
        *SQLITE_PRAGMAS,
        f"PRAGMA cache_size=-{cache_mb * 1024}",
        f"PRAGMA mmap_size={settings.sqlite_mmap_mb * 1024 * 1024}",
        f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}",
    )

    def set_pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    return set_pragmas


def _pool_options(settings: Settings) -> dict[str, Any]:
    """Server engines get a sized pool; SQLite keeps SQLAlchemy's default for file databases."""
    if settings.is_sqlite:
        return {}
    return {"pool_size": settings.pool_size, "max_overflow": settings.pool_max_overflow, "pool_pre_ping": True}


def create_engine(settings: Settings, sqlite_cache_mb: int = 16) -> AsyncEngine:
    """An async engine for the configured URL; JSON via orjson, SQLite tuned for one writer and many readers
    (`sqlite_cache_mb`: the page cache of each pooled connection)."""
    engine = create_async_engine(
        settings.database_url,
        echo=settings.echo_sql,
        json_serializer=lambda v: orjson.dumps(v).decode(),
        json_deserializer=orjson.loads,
        **_pool_options(settings),
    )
    if settings.is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(settings, sqlite_cache_mb))
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def create_all(engine: AsyncEngine) -> None:
    """Bring an empty database to the head migration, so every schema this code makes is tracked by Alembic."""
    from server.schema_check import prepare_schema

    await prepare_schema(engine)


async def refresh_statistics(engine: AsyncEngine) -> None:
    """After a bulk load. PostgreSQL plans keyset pages from table statistics, which autovacuum refreshes only a while
    later: without them a page over 100k fresh rows was planned as a sort of every remaining row (134 ms, not 3 ms).
    Only the catalog's own tables: a bare `ANALYZE` also samples the system catalogs (0.14-0.23 s, every time).
    SQLite's plans for these queries do not depend on statistics."""
    if engine.dialect.name == "postgresql":
        tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
        async with engine.begin() as conn:
            await conn.execute(text(f"ANALYZE {tables}"))
