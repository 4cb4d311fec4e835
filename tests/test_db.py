"""server.db: the pool is warmed at start-up, so first requests and the first export find connections made."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from server import db
from server.app import SERVER_CONNECTIONS
from server.db import create_engine, warm_pool
from server.settings import Settings
from tests.utils.statements import queries_sent


async def test_warm_pool_leaves_the_connections_open_in_the_pool(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        assert engine.sync_engine.pool.checkedin() == 0
        await warm_pool(engine, 3)
        assert engine.sync_engine.pool.checkedin() == 3
    finally:
        await engine.dispose()


async def test_the_app_starts_with_its_connections_made(app: Starlette) -> None:
    assert app.state.engine.sync_engine.pool.checkedin() >= SERVER_CONNECTIONS


async def test_postgresql_connections_never_jit_compile(app: Starlette, settings: Settings) -> None:
    if settings.is_sqlite:
        pytest.skip("PostgreSQL's JIT")
    async with app.state.engine.connect() as conn:
        assert (await conn.execute(text("SHOW jit"))).scalar_one() == "off"


async def _sent(engine: AsyncEngine, reads: int) -> list[str]:
    """What `reads` single-statement reads, one after another on pooled connections, sent to the server."""
    with queries_sent(engine) as sent:
        for _ in range(reads):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 2"))
        await asyncio.sleep(0)  # the loggers run on the loop's next turn
    return [q for q in sent if q != "SELECT 2"]


async def test_a_connection_given_back_moments_ago_is_not_pinged(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the transaction of each read is sent (BEGIN and ROLLBACK); a connection idle longer is pinged first. On an
    engine of its own: an app's background work (the export worker's polls) would send statements in between."""
    if settings.is_sqlite:
        pytest.skip("the ping is PostgreSQL's")
    engine = create_engine(settings)
    try:
        await _sent(engine, 1)  # the pool's connection is made
        assert await _sent(engine, 5) == ["BEGIN;", "ROLLBACK;"] * 5
        monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
        assert await _sent(engine, 2) == ["SELECT 1", "BEGIN;", "ROLLBACK;"] * 2
    finally:
        await engine.dispose()
