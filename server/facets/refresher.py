"""The server's background rebuild of the chunks holding marked blocks, every `interval` seconds: all of them once the
marks have held still for an interval (a running import keeps adding them; its chunks wait until it pauses), and
meanwhile the blocks marked a tick ago and still marked when their chunk can be patched (few marks in it), so
scattered writes that never pause (a team labeling all day) are folded in as they settle."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from server.facets.build import patchable, rebuild_marked
from server.facets.marks import Marks, built_chunks, dirty_blocks

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
        """All the marks when they are those seen last time; else those seen then that a patch rebuilds. The marks
        left."""
        async with self.engine.connect() as conn:
            marks = await dirty_blocks(conn)
            if marks == seen:
                settled = marks
            else:
                held = sorted(set(marks) & set(seen))
                settled = patchable(held, marks, await built_chunks(conn)) if held else []
        if settled:
            await rebuild_marked(self.engine, settled)
        return sorted(set(marks) - set(settled))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
