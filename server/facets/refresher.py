"""The server's background rebuild of the chunks holding marked blocks: every `interval` seconds, once the marks have
held still for an interval (a running import keeps adding them; its chunks wait until it pauses), so counts come
back to the arrays alone."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from server.facets.build import Marks, dirty_blocks, rebuild_marked

log = logging.getLogger(__name__)


class FacetRefresher:
    def __init__(self, engine: AsyncEngine, interval: float) -> None:
        self.engine, self.interval = engine, interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.interval > 0:
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        seen: Marks = []
        while True:
            await asyncio.sleep(self.interval)
            try:
                seen = await self.tick(seen)
            except SQLAlchemyError as exc:  # a busy database, a lost connection: try again next time
                log.warning("facet arrays not rebuilt: %s", exc)

    async def tick(self, seen: Marks) -> Marks:
        """Rebuild when the marks are those seen last time; the marks now (none after a rebuild)."""
        async with self.engine.connect() as conn:
            marks = await dirty_blocks(conn)
        if marks and marks == seen:
            await rebuild_marked(self.engine, marks)
            return []
        return marks

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
