"""The test harness's own PostgreSQL database: a connection an earlier test left holding a lock does not make every
later test wait out the lock timeout."""

from __future__ import annotations

import asyncpg

from tests.utils.postgres import PostgresServer


async def test_emptying_ends_a_leftover_connection_that_holds_a_lock(postgres_server: PostgresServer) -> None:
    leftover = await asyncpg.connect(postgres_server.url.replace("+asyncpg", ""))
    try:
        await leftover.execute("BEGIN; LOCK TABLE datarow IN ACCESS EXCLUSIVE MODE")
        await postgres_server.empty(lock_timeout="200ms")
        assert leftover.is_closed() or not await _alive(leftover)
    finally:
        await leftover.close(timeout=1)


async def _alive(conn: asyncpg.Connection) -> bool:
    try:
        await conn.fetchval("SELECT 1")
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
        return False
    return True
