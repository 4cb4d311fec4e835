"""Follow a task's local result file: whole lines after line N, waiting for more while the task runs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.ext.asyncio import AsyncEngine

from server.export.progress_signal import ProgressSignal
from server.export.tasks import get_task_status
from server.models.exports import TERMINAL

CHUNK = 256 * 1024
FOLLOW_POLL = 0.2


def _skip_lines(handle: BinaryIO, offset: int) -> None:
    """Position the file after its first `offset` lines."""
    for _ in range(offset):
        if not handle.readline():
            return


def _notifications(worker: ProgressSignal | None) -> int:
    return worker.notifications if worker is not None else 0


async def _next_page(worker: ProgressSignal | None, seen: int) -> None:
    """Until this server's worker writes its next page, or FOLLOW_POLL (another process may be writing). `seen` is
    the worker's count of pages and tasks finished when the reader last read: one finished since is not waited for
    (the task's last page and its end, notified while the reader read that page, used to cost it FOLLOW_POLL)."""
    if worker is None:
        await asyncio.sleep(FOLLOW_POLL)
        return
    if worker.notifications != seen:
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(worker.progressed.wait(), FOLLOW_POLL)


def _whole_lines(pending: bytes, chunk: bytes) -> tuple[bytes, bytes]:
    """(whole lines to send, the unfinished last line to keep)."""
    pending += chunk
    cut = pending.rfind(b"\n") + 1
    return pending[:cut], pending[cut:]


def _open(path: Path) -> BinaryIO | None:
    """The file, or None while it does not exist (not created yet, or deleted: a canceled task's worker removes its
    files when it next checkpoints, which may fall between a check for the file and its opening)."""
    try:
        return path.open("rb")
    except FileNotFoundError:
        return None


async def follow_file(
    engine: AsyncEngine,
    task_id: str,
    path: Path,
    offset: int,
    worker: ProgressSignal | None = None,
    running: bool = True,
) -> AsyncIterator[bytes]:
    """Yield whole lines from `path` after line `offset`; while the task is `running`, wait for more until it ends.

    The task's status is read from the database only when the file stopped growing (no new bytes after a page's
    wait), so a reader keeping up with the worker costs no query per page."""
    seen = _notifications(worker)
    while (handle := await asyncio.to_thread(_open, path)) is None:
        if await get_task_status(engine, task_id) in TERMINAL:
            return
        await _next_page(worker, seen)
        seen = _notifications(worker)
    with handle:
        await asyncio.to_thread(_skip_lines, handle, offset)
        pending, grew = b"", False
        while True:
            chunk = handle.read(CHUNK)
            if chunk:
                lines, pending = _whole_lines(pending, chunk)
                if lines:
                    yield lines
                grew = True
                continue
            if running and (grew or await get_task_status(engine, task_id) not in TERMINAL):
                grew = False
                await _next_page(worker, seen)
                seen = _notifications(worker)
                continue
            if pending + (rest := handle.read()):
                yield pending + rest
            return
