"""A throw-away PostgreSQL database for one test session: created, migrated once, emptied per test, dropped."""

from __future__ import annotations

import asyncio
import os
import secrets
from dataclasses import dataclass

import asyncpg
from sqlalchemy import text

from server.db import create_engine
from server.models import metadata
from server.schema_check import prepare_schema
from server.settings import Settings

ENGINES = ("sqlite", "postgresql")  # the legs of every database test (`engine_name` in tests/conftest.py)
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

# data rows numbered from 1 again (facet chunks as in a new database), where the sequence exists
RESTART_SEQ = (
    "DO $$ BEGIN IF to_regclass('datarow_seq_seq') IS NOT NULL THEN ALTER SEQUENCE datarow_seq_seq RESTART;"
    " END IF; END $$"
)
TERMINATE_OTHERS = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
)
# A linguistic default collation (en-US via ICU) so that any ordering not pinned to COLLATE "C" shows up as a
# difference from SQLite; plain CREATE DATABASE when the server has no ICU.
CREATE_OPTIONS = ("TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'", "")


@dataclass
class PostgresServer:
    admin_url: str
    name: str = ""

    @classmethod
    def from_env(cls) -> PostgresServer:
        return cls(os.environ.get("TEST_POSTGRES_URL", DEFAULT_ADMIN_URL))

    @property
    def url(self) -> str:
        base = self.admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        return f"{base}/{self.name}"

    def unreachable(self) -> str | None:
        """Why no server can be used at `admin_url`, or None when one answers."""
        try:
            asyncio.run(self._admin("SELECT 1"))
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            return f"no PostgreSQL answers at {self.admin_url} ({type(exc).__name__}: {exc})"
        return None

    def create(self) -> None:
        self.name = f"catalog_test_{secrets.token_hex(4)}"
        for options in CREATE_OPTIONS:
            try:
                asyncio.run(self._admin(f'CREATE DATABASE "{self.name}" {options}'))
                break
            except asyncpg.PostgresError:
                continue
        asyncio.run(self._migrate())

    def drop(self) -> None:
        asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))

    def reset(self) -> None:
        """Drop every table (whatever revision a test left) and migrate the empty database to head again."""
        asyncio.run(self._execute(self.url.replace("+asyncpg", ""), "DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        asyncio.run(self._migrate())

    def empty_tables(self) -> None:
        """Every table emptied and data rows numbered from 1 again, as in a new database."""
        asyncio.run(self.empty())

    async def empty(self, lock_timeout: str = "10s") -> None:
        """DELETE every row (schema kept at head): ~1 ms for a test's rows, where TRUNCATE took ~125 ms."""
        # the facet marks last: deleting data rows marks their chunks
        tables = sorted(reversed(metadata.sorted_tables), key=lambda t: t.name.startswith("facet"))
        deletes = "; ".join(f'DELETE FROM "{t.name}"' for t in tables) + f"; {RESTART_SEQ}"
        url = self.url.replace("+asyncpg", "")
        try:
            await self._execute(url, f"SET lock_timeout = '{lock_timeout}'; {deletes}")
        except asyncpg.LockNotAvailableError:
            # a connection an earlier test left open (a process it could not stop) holds a lock: end it, so that one
            # failure stays one failure instead of every later test on this database waiting out the timeout
            await self._execute(url, TERMINATE_OTHERS)
            await self._execute(url, f"SET lock_timeout = '{lock_timeout}'; {deletes}")

    async def _admin(self, sql: str) -> None:
        await self._execute(self.admin_url, sql)

    async def _execute(self, url: str, sql: str) -> None:
        conn = await asyncpg.connect(url, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def _migrate(self) -> None:
        engine = create_engine(Settings(database_url=self.url))
        try:
            await prepare_schema(engine)
        finally:
            await engine.dispose()


async def estimated_rows(settings: Settings, table: str) -> float:
    """PostgreSQL's planner estimate of a table's rows (`pg_class.reltuples`: -1 until the table is analyzed)."""
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            estimate = await conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table})
            return float(estimate.scalar_one())
    finally:
        await engine.dispose()
