"""server.db: the pool is warmed at start-up, so first requests and the first export find connections made."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from starlette.applications import Starlette

from server.app import SERVER_CONNECTIONS
from server.db import create_engine, warm_pool
from server.settings import Settings


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
