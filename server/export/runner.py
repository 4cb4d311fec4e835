"""The background export worker: claim a task, stream its pages through the encoder into the task's files.

Progress (rows, errors, bytes, resume cursor) is checkpointed after every page; a task found IN_PROGRESS when
the worker starts continues from its checkpoint (files cut back to it, hash rebuilt) or ends FAILED with why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from server.errors import CatalogError
from server.export.encode import encode_page
from server.export.files import TaskFiles, Unresumable, open_files, remove_results
from server.export.tasks import (
    EXPIRED,
    ExportRequest,
    claim_next,
    due_for_expiry,
    expiry,
    get_task_status,
    interrupted_tasks,
    set_task,
)
from server.filters.scope import Scope, request_where
from server.loading.lines import iter_line_pages
from server.loading.pages import count_rows
from server.loading.timefmt import iso
from server.models.base import utcnow
from server.settings import Settings

log = logging.getLogger("catalog_export.export")
PageHook = Callable[[str, int], Awaitable[None]]
SWEEP_SECONDS = 60.0


class Cancelled(Exception):
    pass


async def _fail(engine: AsyncEngine, settings: Settings, task_id: str, reason: str) -> None:
    values = {"failure_reason": reason, "completed_at": utcnow(), "expires_at": expiry(settings.export_ttl_seconds)}
    await set_task(engine, task_id, status="FAILED", **values)


async def run_task(engine: AsyncEngine, settings: Settings, task: Any, on_page: PageHook | None = None) -> None:
    """Run one claimed task (fresh or from its checkpoint) to COMPLETE, FAILED (with a reason) or CANCELED."""
    try:
        await _export(engine, settings, task, on_page)
    except Cancelled:
        remove_results(settings.export_dir, task.id)
        await set_task(engine, task.id, completed_at=utcnow(), expires_at=expiry(settings.export_ttl_seconds))
    except CatalogError as exc:
        await _fail(engine, settings, task.id, exc.message)
    except Unresumable as exc:
        await _fail(engine, settings, task.id, f"could not resume after a restart: {exc}")
    except OSError as exc:
        await _fail(engine, settings, task.id, f"writing the result failed: {exc}")


async def _scope(engine: AsyncEngine, task: Any, request: ExportRequest) -> tuple[Scope, int]:
    """The task's rows as of now: a search/similarTo leaf is ranked again when the task runs (or resumes)."""
    async with engine.connect() as conn:
        scope = await request_where(
            conn, task.organization_id, request.filter, request.slice_id, request.data_row_ids or None
        )
        total = task.total_rows if task.total_rows is not None else await count_rows(conn, scope.where)
    return scope, total


async def _export(engine: AsyncEngine, settings: Settings, task: Any, on_page: PageHook | None) -> None:
    request = ExportRequest.from_json(task.request)
    scope, total = await _scope(engine, task, request)
    await set_task(engine, task.id, total_rows=total)
    plan = request.params.to_plan()
    rows, errors = task.row_count, task.error_count
    files = await asyncio.to_thread(open_files, settings.export_dir, task.id, task.bytes_written, errors)
    try:
        written = task.bytes_written
        pages = iter_line_pages(engine, scope.where, plan, settings.export_page_size, task.resume_cursor, scope.ranking)
        async for page in pages:
            encoded = encode_page(page)
            await asyncio.to_thread(files.write, encoded.data, encoded.errors)
            rows, errors, written = rows + encoded.rows, errors + len(encoded.errors), written + len(encoded.data)
            await _checkpoint(engine, task.id, rows=rows, errors=errors, written=written, cursor=page.page.end_cursor)
            if on_page is not None:
                await on_page(task.id, rows)
        await asyncio.to_thread(_sync, files)
    finally:
        files.close()
    await _complete(engine, settings, task.id, files)


def _sync(files: TaskFiles) -> None:
    os.fsync(files.out.fileno())
    os.fsync(files.err.fileno())


async def _complete(engine: AsyncEngine, settings: Settings, task_id: str, files: TaskFiles) -> None:
    await set_task(
        engine,
        task_id,
        status="COMPLETE",
        sha256=files.digest.hexdigest(),
        completed_at=utcnow(),
        expires_at=expiry(settings.export_ttl_seconds),
    )


async def _checkpoint(
    engine: AsyncEngine, task_id: str, *, rows: int, errors: int, written: int, cursor: str | None
) -> None:
    if await get_task_status(engine, task_id) == "CANCELED":
        raise Cancelled
    await set_task(engine, task_id, row_count=rows, error_count=errors, bytes_written=written, resume_cursor=cursor)


async def requeue_interrupted(engine: AsyncEngine) -> int:
    """Put tasks a stopped process left IN_PROGRESS back in the queue; they resume from their checkpoint."""
    tasks = await interrupted_tasks(engine)
    for task in tasks:
        log.info("export %s was interrupted at %s bytes; resuming", task.id, task.bytes_written)
        await set_task(engine, task.id, status="QUEUED", claimed_by=None)
    return len(tasks)


async def sweep_expired(engine: AsyncEngine, settings: Settings) -> int:
    """Delete the files of finished tasks past `expires_at`; the task reads FAILED, reason `expired at …`."""
    ids = await due_for_expiry(engine)
    for task_id in ids:
        await asyncio.to_thread(remove_results, settings.export_dir, task_id)
        reason = f"{EXPIRED} at {iso(utcnow())}: the result was deleted after its time to live; start a new export."
        await set_task(engine, task_id, status="FAILED", failure_reason=reason)
    return len(ids)


class ExportWorker:
    """Owned by the app lifespan: resumes interrupted tasks, then wakes on new tasks (or every `poll` seconds),
    runs them one at a time and sweeps expired results every SWEEP_SECONDS."""

    def __init__(self, engine: AsyncEngine, settings: Settings, name: str = "worker", poll: float = 1.0) -> None:
        self.engine, self.settings, self.name, self.poll = engine, settings, name, poll
        self.wake = asyncio.Event()
        self.progressed = asyncio.Event()  # replaced after each page: readers following a task wait on it
        self.on_page: PageHook | None = None
        self._task: asyncio.Task[None] | None = None
        self._swept = 0.0

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _loop(self) -> None:
        await requeue_interrupted(self.engine)
        while True:
            await self._maybe_sweep()
            task = await claim_next(self.engine, self.name)
            if task is not None:
                await run_task(self.engine, self.settings, task, self._page_done)
                self._notify()
                continue
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.poll)

    def _notify(self) -> None:
        self.progressed.set()
        self.progressed = asyncio.Event()

    async def _page_done(self, task_id: str, rows: int) -> None:
        self._notify()
        if self.on_page is not None:
            await self.on_page(task_id, rows)

    async def _maybe_sweep(self) -> None:
        if time.monotonic() - self._swept >= SWEEP_SECONDS:
            self._swept = time.monotonic()
            await sweep_expired(self.engine, self.settings)
