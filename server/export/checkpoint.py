"""A running task's checkpoint: the position a resume continues from (rows, errors, bytes written, keyset cursor).

The page loop advances it after every page it has written and stores it (renewing the lease) after the first page and
then at most every `interval` seconds (EXPORT_CHECKPOINT_SECONDS), and once more before the task completes. The
heartbeat stores it too (every third of the lease), so a stalled loop's checkpoint is never older than that, and a
graceful stop stores it with the release. A resume cuts the files back to the stored position (files.open_files), so
lines written after it are written again, byte-identical: a sparser checkpoint only means more to redo after a crash.
A cancel or a lost lease is seen at the next store, so the loop writes at most `interval` seconds and one page more.
(Stored after every page, its commit waited ~6 ms a page for the GIL the next page's read held: 0.2-0.3 s per 100k.)
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from server.export.lease import extend, release, renew


@dataclass
class Checkpoint:
    engine: AsyncEngine
    task_id: str
    worker: str
    lease_seconds: float
    interval: float
    position: dict[str, Any] = field(default_factory=dict)  # empty until a page is written: the stored one stands
    _stored_at: float = -math.inf
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one store at a time, so a position never goes back

    async def advance(self, **position: Any) -> None:
        """A page was written up to `position`: stored if the last store is `interval` old (the first one at once)."""
        self.position = position
        if time.monotonic() - self._stored_at >= self.interval:
            await self.store()

    async def store(self, **outcome: Any) -> None:
        """Store the position with a renewed lease (and the task's `outcome` columns, when it ends); Cancelled or
        LeaseLost when the claim is no longer ours."""
        async with self._lock:
            self._stored_at = time.monotonic()
            await renew(self.engine, self.task_id, self.worker, self.lease_seconds, **self.position, **outcome)

    async def beat(self) -> None:
        """The heartbeat: renew the lease with the position; a claim no longer ours is left to the loop's next store."""
        async with self._lock:
            await extend(self.engine, self.task_id, self.worker, self.lease_seconds, **self.position)

    async def release(self) -> None:
        """Back to the queue at the position reached (the worker is stopping)."""
        await release(self.engine, self.task_id, self.worker, **self.position)
