"""server.sqlite_driver: each statement is one hand-off to aiosqlite's thread, with the stock cursor's results."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db import create_engine
from server.settings import Settings


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}"))
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
    yield engine
    await engine.dispose()


@pytest.fixture
def hand_offs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The functions sent to aiosqlite's connection threads, in order."""
    sent: list[str] = []
    queue = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        sent.append(getattr(fn, "__name__", repr(fn)))
        return await queue(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return sent


async def test_a_select_is_one_hand_off(sqlite_engine: AsyncEngine, hand_offs: list[str]) -> None:
    async with sqlite_engine.connect() as conn:
        await conn.execute(text("SELECT 1"))  # the pool's first connect (pragmas) is not what is counted
        hand_offs.clear()
        for n in range(10):
            assert (await conn.execute(text("SELECT :n AS n, 'x' AS s"), {"n": n})).all() == [(n, "x")]
        assert len(hand_offs) == 10


async def test_writes_report_rowcount_lastrowid_and_errors(sqlite_engine: AsyncEngine) -> None:
    async with sqlite_engine.begin() as conn:
        inserted = await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
        assert inserted.lastrowid == 1
        many = await conn.execute(text("INSERT INTO t (name) VALUES (:name)"), [{"name": "b"}, {"name": "c"}])
        assert many.rowcount == 2
        updated = await conn.execute(text("UPDATE t SET name = name || '!' WHERE id > 1"))
        assert updated.rowcount == 2
    with pytest.raises(IntegrityError):
        async with sqlite_engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
    async with sqlite_engine.connect() as conn:
        result = await conn.execute(text("SELECT id, name FROM t ORDER BY id"))
        assert list(result.keys()) == ["id", "name"]
        assert result.all() == [(1, "a"), (2, "b!"), (3, "c!")]


async def test_a_stream_keeps_its_server_side_cursor(sqlite_engine: AsyncEngine) -> None:
    async with sqlite_engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (name) VALUES (:name)"), [{"name": str(i)} for i in range(300)])
    async with sqlite_engine.connect() as conn:
        streamed = [row.name async for row in await conn.stream(text("SELECT name FROM t ORDER BY id"))]
    assert streamed == [str(i) for i in range(300)]
