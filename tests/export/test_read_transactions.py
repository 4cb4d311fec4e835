"""A running export reads its pages on one connection but in short transactions: between two pages it holds none, so
it never pins PostgreSQL's vacuum horizon nor keeps SQLite from checkpointing its WAL (README: Export reads)."""

from __future__ import annotations

import asyncio
import sqlite3

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.settings import Settings
from tests.conftest import EVERYTHING
from tests.export.conftest import Gate, start_export
from tests.export.test_recovery import running
from tests.utils.export_catalog import build_catalog

IDLE_IN_TRANSACTION = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    " AND state LIKE 'idle in transaction%'"
)


async def _transactions_held(engine: AsyncEngine, settings: Settings) -> bool:
    if settings.is_sqlite:  # a TRUNCATE checkpoint waits for every reader of the WAL: busy while one is open
        path = settings.database_url.split("///", 1)[1]
        with sqlite3.connect(path, timeout=0.2) as conn:
            return bool(conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0])
    async with engine.connect() as conn:
        return bool((await conn.execute(IDLE_IN_TRANSACTION)).scalar_one())


async def test_a_running_export_holds_no_transaction_between_pages(settings: Settings) -> None:
    async with running(settings) as (app, gql, _):
        await build_catalog(app.state.engine, app.state.organization_id, rows=12)
        gate = Gate(2).install(app)
        task = await start_export(gql, EVERYTHING)
        await gate.reached.wait()  # between pages 2 and 3; page 3 is read ahead meanwhile
        for _ in range(50):
            if not await _transactions_held(app.state.engine, settings):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the export kept a transaction open between its pages")
        gate.opened.set()
        assert (await gql.wait_export(task["id"], "status rowCount")) == {"status": "COMPLETE", "rowCount": 12}
