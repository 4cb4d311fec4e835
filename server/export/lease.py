"""A running task's lease: its worker renews `lease_until` at every checkpoint and on a timer while a page is slow;
every write is conditional on still holding the claim, so a worker that lost its lease stops instead of racing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from server.export.tasks import E, get_task_status
from server.models import ExportTask
from server.models.base import utcnow


class Cancelled(Exception):
    """The task was canceled by its owner."""


class LeaseLost(Exception):
    """Another worker reclaimed the task (this one stalled past its lease): stop without touching its files."""


class Released(Exception):
    """The worker is shutting down: the task went back to the queue at its last checkpoint."""


async def _held_update(engine: AsyncEngine, task_id: str, worker: str, **values: Any) -> bool:
    stmt = update(ExportTask.__table__).where(E.id == task_id, E.claimed_by == worker, E.status == "IN_PROGRESS")
    async with engine.begin() as conn:
        return (await conn.execute(stmt.values(**values))).rowcount == 1


async def renew(engine: AsyncEngine, task_id: str, worker: str, lease_seconds: float, **values: Any) -> None:
    """Extend the lease (with checkpoint `values`); Cancelled or LeaseLost when the claim is no longer ours."""
    lease_until = utcnow() + timedelta(seconds=lease_seconds)
    if await _held_update(engine, task_id, worker, lease_until=lease_until, **values):
        return
    raise Cancelled if await get_task_status(engine, task_id) == "CANCELED" else LeaseLost


async def release(engine: AsyncEngine, task_id: str, worker: str) -> None:
    """Back to the queue at the last checkpoint, so another worker (or the next start) resumes it at once."""
    await _held_update(engine, task_id, worker, status="QUEUED", claimed_by=None, lease_until=None)


async def _beat(engine: AsyncEngine, task_id: str, worker: str, lease_seconds: float) -> None:
    while True:
        await asyncio.sleep(lease_seconds / 3)
        await _held_update(engine, task_id, worker, lease_until=utcnow() + timedelta(seconds=lease_seconds))


@asynccontextmanager
async def heartbeat(engine: AsyncEngine, task_id: str, worker: str, lease_seconds: float) -> AsyncIterator[None]:
    """Renew the lease every third of it while the block runs (a slow page or a slow reader keeps the claim)."""
    beat = asyncio.create_task(_beat(engine, task_id, worker, lease_seconds))
    try:
        yield
    finally:
        beat.cancel()
        await asyncio.gather(beat, return_exceptions=True)
