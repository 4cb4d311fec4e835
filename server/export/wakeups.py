"""Waking workers when a task is queued: on PostgreSQL a NOTIFY sent with the task's insert (delivered at commit)
and a LISTEN connection per worker; SQLite has neither, so its workers keep polling.

The listener only shortens the wait: a worker still polls (which is also how it finds tasks whose lease ran out),
so a lost connection costs latency, never a task. It reconnects on its own."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger("catalog_export.export")
CHANNEL = "catalog_export_tasks"
RETRY_SECONDS = 2.0


async def announce(conn: AsyncConnection) -> None:
    """Inside the transaction that queues a task: wake the listening workers once it commits (PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


class TaskListener:
    """LISTEN on a pooled connection of its own; `wake` is called for every notification (and once on every
    (re)connect, for what was queued while it was not listening)."""

    def __init__(self, engine: AsyncEngine, wake: Callable[[], None]) -> None:
        self.engine, self.wake = engine, wake
        self.listening = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.engine.dialect.name == "postgresql":
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def _notified(self, *_args: Any) -> None:
        self.wake()

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database went away: poll meanwhile, listen again when it is back
                log.warning("task listener: %s: %s; listening again in %ss", type(exc).__name__, exc, RETRY_SECONDS)
            self.listening.clear()
            await asyncio.sleep(RETRY_SECONDS)

    async def _listen(self) -> None:
        async with self.engine.connect() as conn:
            raw: Any = (await conn.get_raw_connection()).driver_connection  # asyncpg's (it ships no types)
            closed = asyncio.Event()
            raw.add_termination_listener(lambda *_: closed.set())
            await raw.add_listener(CHANNEL, self._notified)
            try:
                self.listening.set()
                self.wake()
                await closed.wait()
                raise ConnectionError("the listening connection was closed")
            finally:
                with contextlib.suppress(Exception):
                    await raw.remove_listener(CHANNEL, self._notified)
