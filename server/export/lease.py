"""A running task's lease: its worker renews `lease_until` with every checkpoint it stores and on a timer between;
every write is conditional on still holding the claim, so a worker that lost its lease stops instead of racing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from server.export.tasks import E, get_task_status
from server.models import ExportTask
from server.models.base import utcnow
from server.models.exports import ExportStatus


class Cancelled(Exception):
    """The task was canceled by its owner."""


class LeaseLost(Exception):
    """Another worker reclaimed the task (this one stalled past its lease): stop without touching its files."""


class Released(Exception):
    """The worker is shutting down: the task went back to the queue at its last checkpoint."""


async def extend(engine: AsyncEngine, task_id: str, worker: str, lease_seconds: float, **values: Any) -> bool:
    """Extend the lease (with checkpoint `values`) if the claim is still ours; whether it was."""
    lease_until = utcnow() + timedelta(seconds=lease_seconds)
    return await _held_update(engine, task_id, worker, lease_until=lease_until, **values)


async def _held_update(engine: AsyncEngine, task_id: str, worker: str, **values: Any) -> bool:
    stmt = update(ExportTask.__table__).where(
        E.id == task_id, E.claimed_by == worker, E.status == ExportStatus.IN_PROGRESS
    )
    async with engine.begin() as conn:
        return (await conn.execute(stmt.values(**values))).rowcount == 1


async def renew(engine: AsyncEngine, task_id: str, worker: str, lease_seconds: float, **values: Any) -> None:
    """Extend the lease (with checkpoint `values`); Cancelled or LeaseLost when the claim is no longer ours."""
    if await extend(engine, task_id, worker, lease_seconds, **values):
        return
    raise Cancelled if await get_task_status(engine, task_id) == ExportStatus.CANCELED else LeaseLost


async def release(engine: AsyncEngine, task_id: str, worker: str, **values: Any) -> None:
    """Back to the queue at the checkpoint `values` (or the last stored one), so another worker resumes it at once."""
    await _held_update(engine, task_id, worker, status=ExportStatus.QUEUED, claimed_by=None, lease_until=None, **values)


async def _beat(renewal: Callable[[], Awaitable[object]], every: float) -> None:
    while True:
        await asyncio.sleep(every)
        await renewal()


@asynccontextmanager
async def heartbeat(renewal: Callable[[], Awaitable[object]], every: float) -> AsyncIterator[None]:
    """Call `renewal` every `every` seconds while the block runs (a slow page or a stalled loop keeps the claim)."""
    beat = asyncio.create_task(_beat(renewal, every))
    try:
        yield
    finally:
        beat.cancel()
        await asyncio.gather(beat, return_exceptions=True)
