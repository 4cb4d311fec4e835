"""Engine and session factory; SQLite pragmas on connect. No module-level engine."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.util import await_only
from sqlmodel.ext.asyncio.session import AsyncSession

from server.errors import bad_input
from server.models import metadata
from server.settings import Settings
from server.sqlite_driver import one_hop_dbapi
from server.statement_cache import StatementCache

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
        f"PRAGMA soft_heap_limit={settings.sqlite_memory_mb * 1024 * 1024}",
        f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}",
    )

    def set_pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    return set_pragmas


# PostgreSQL session settings of every connection. No JIT: a count whose plan has per-row subplans is estimated
# costly enough to be compiled, and compiling took 0.7-1.2 s of a 1.2-1.7 s count at 100k rows (0.4-0.5 s without).
SERVER_SETTINGS = {"jit": "off"}


def _driver_options(settings: Settings) -> dict[str, Any]:
    """Server engines get a sized pool (checked on checkout by `_ping`) and SERVER_SETTINGS; SQLite keeps
    SQLAlchemy's default pool for file databases and runs each statement in one hand-off to aiosqlite's thread
    (server.sqlite_driver)."""
    if settings.is_sqlite:
        return {"module": one_hop_dbapi()}
    return {
        "pool_size": settings.database_pool_size,
        "max_overflow": settings.database_max_overflow,
        "connect_args": {"server_settings": SERVER_SETTINGS},
    }


# A pooled connection given back less than this long ago is handed out again without a ping: under traffic a
# request then costs no extra round trip per checkout (three a request: key lookup, page, count). One that failed
# meanwhile fails its statement instead, which invalidates the whole pool as a failed ping does.
PING_AFTER_IDLE_SECONDS = 2.0
RETURNED = "returned_at"  # ConnectionPoolEntry.info key: when the connection came back to the pool


def _returned(_dbapi_connection: Any, record: Any) -> None:
    record.info[RETURNED] = time.monotonic()


def _ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """`pool_pre_ping` in one round trip, and only for a connection idle PING_AFTER_IDLE_SECONDS or more (a new one
    was just made): asyncpg's simple-protocol `SELECT 1`. SQLAlchemy's own asyncpg ping wraps a prepared `;` in BEGIN
    and ROLLBACK (for pgbouncer's transaction mode, which the simple protocol does not need), three round trips on
    every checkout. A connection that fails it invalidates the pool, as a failed pre-ping does, and the pool
    connects afresh (or raises the server's error while it is down)."""
    returned = record.info.get(RETURNED)
    if returned is None or time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
        return
    try:
        await_only(dbapi_connection.driver_connection.execute("SELECT 1"))
    except Exception as exc:
        raise InvalidatePoolError() from exc


def _check_sqlite_directory(database_url: str) -> None:
    """A SQLite file in a missing directory: say so (the driver's own failure is a bare "unable to open")."""
    path = make_url(database_url).database
    if path and path != ":memory:" and not path.startswith("file:") and not Path(path).parent.is_dir():
        message = f"the directory of the SQLite database {path} does not exist: create it, or choose another path."
        raise bad_input(message, "database_url")


def create_engine(settings: Settings, sqlite_cache_mb: int = 16) -> AsyncEngine:
    """An async engine for the configured URL; JSON via orjson, SQLite tuned for one writer and many readers
    (`sqlite_cache_mb`: the page cache of each pooled connection)."""
    if settings.is_sqlite:
        _check_sqlite_directory(settings.database_url)
    engine = create_async_engine(
        settings.database_url,
        echo=settings.echo_sql,
        json_serializer=lambda v: orjson.dumps(v).decode(),
        json_deserializer=orjson.loads,
        execution_options={"compiled_cache": StatementCache()},
        **_driver_options(settings),
    )
    if settings.is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(settings, sqlite_cache_mb))
    else:
        event.listen(engine.sync_engine, "checkout", _ping)
        event.listen(engine.sync_engine, "checkin", _returned)
    return engine


async def warm_pool(engine: AsyncEngine, connections: int) -> None:
    """Open `connections` pooled connections together and give them back, so the first requests (or the first export,
    which uses four at once: claim, pages, total, checkpoint) do not each wait for a connection to be made: 5-20 ms
    apiece on PostgreSQL. The pool keeps them (up to its size)."""
    async with AsyncExitStack() as stack:
        await asyncio.gather(*(stack.enter_async_context(engine.connect()) for _ in range(connections)))


@asynccontextmanager
async def read_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for a single read (the key lookup, a count). PostgreSQL runs it in autocommit: under READ
    COMMITTED each statement takes its own snapshot inside a transaction too, so this drops only the BEGIN and ROLLBACK
    round trips (two of the four of a key lookup, pre-ping included). Not for server-side cursors (`stream()`), which
    PostgreSQL opens only inside a transaction. SQLite (pysqlite) never begins a transaction for a SELECT anyway."""
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


# The statement that begins one snapshot for several reads: under READ COMMITTED each PostgreSQL statement takes a
# snapshot of its own, and pysqlite begins no transaction for a SELECT.
SNAPSHOT = {"postgresql": "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "sqlite": "BEGIN"}


async def in_transaction(conn: AsyncConnection) -> bool:
    """Whether the driver's connection is in a transaction (SQLAlchemy's own flag says nothing of pysqlite's)."""
    driver: Any = (await conn.get_raw_connection()).driver_connection  # aiosqlite's or asyncpg's
    return bool(driver.in_transaction if conn.dialect.name == "sqlite" else driver.is_in_transaction())


@asynccontextmanager
async def snapshot(conn: AsyncConnection) -> AsyncIterator[None]:
    """The reads inside see the database at one moment: a read-only snapshot is begun (and rolled back after) when
    the connection is in no transaction (a `read_connection`, a connection that has only read on SQLite); inside a
    caller's transaction, that transaction stays as it is."""
    if await in_transaction(conn):
        yield
        return
    await conn.exec_driver_sql(SNAPSHOT[conn.dialect.name])
    try:
        yield
    finally:
        await conn.exec_driver_sql("ROLLBACK")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def refresh_statistics(engine: AsyncEngine) -> None:
    """After a bulk load. PostgreSQL plans keyset pages from table statistics, which autovacuum refreshes only a while
    later: without them a page over 100k fresh rows was planned as a sort of every remaining row (134 ms, not 3 ms).
    Only the catalog's own tables: a bare `ANALYZE` also samples the system catalogs (0.14-0.23 s, every time).
    SQLite's plans for these queries do not depend on statistics."""
    if engine.dialect.name == "postgresql":
        tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
        async with engine.begin() as conn:
            await conn.execute(text(f"ANALYZE {tables}"))
