"""The background export worker: claim a task, stream its pages through orjson into the task's file."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from server.errors import CatalogError
from server.export.tasks import (
    ExportRequest,
    claim_next,
    errors_path,
    expiry,
    get_task_status,
    result_path,
    set_task,
)
from server.filters.scope import request_where
from server.loading.assemble import Line
from server.loading.lines import iter_line_pages
from server.loading.pages import count_rows
from server.models.base import utcnow
from server.settings import Settings

log = logging.getLogger("catalog_export.export")
DUMP = orjson.OPT_APPEND_NEWLINE


def encode_page(lines: list[Line]) -> tuple[bytes, list[bytes]]:
    """NDJSON bytes for the page, plus an error line for each row that could not be encoded."""
    out: list[bytes] = []
    errors: list[bytes] = []
    for line in lines:
        try:
            out.append(orjson.dumps(line, option=DUMP))
        except (orjson.JSONEncodeError, TypeError) as exc:
            errors.append(orjson.dumps({"data_row_id": line["data_row"]["id"], "error": str(exc)}, option=DUMP))
    return b"".join(out), errors


class Cancelled(Exception):
    pass


async def run_task(engine: AsyncEngine, settings: Settings, task: Any) -> None:
    """Run one claimed task to COMPLETE, FAILED (with a reason) or CANCELED."""
    try:
        await _export(engine, settings, task)
    except Cancelled:
        await set_task(engine, task.id, completed_at=utcnow())
    except CatalogError as exc:
        await set_task(engine, task.id, status="FAILED", failure_reason=exc.message, completed_at=utcnow())
    except OSError as exc:
        await set_task(
            engine, task.id, status="FAILED", failure_reason=f"writing the result failed: {exc}", completed_at=utcnow()
        )


async def _export(engine: AsyncEngine, settings: Settings, task: Any) -> None:
    request = ExportRequest.from_json(task.request)
    async with engine.connect() as conn:
        where = await request_where(
            conn, task.organization_id, request.filter, request.slice_id, request.data_row_ids or None
        )
        total = await count_rows(conn, where)
    await set_task(engine, task.id, total_rows=total, row_count=0, error_count=0, bytes_written=0)
    settings.export_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    rows = errors = written = 0
    with (
        result_path(settings.export_dir, task.id).open("wb") as out,
        errors_path(settings.export_dir, task.id).open("wb") as err,
    ):
        async for page in iter_line_pages(engine, where, request.params.to_plan(), settings.export_page_size):
            data, bad = encode_page(page.lines)
            out.write(data)
            out.flush()
            err.writelines(bad)
            err.flush()
            digest.update(data)
            rows += len(page.lines) - len(bad)
            errors += len(bad)
            written += len(data)
            await _checkpoint(engine, task.id, rows=rows, errors=errors, written=written, cursor=page.page.end_cursor)
        os.fsync(out.fileno())
    await set_task(
        engine,
        task.id,
        status="COMPLETE",
        sha256=digest.hexdigest(),
        completed_at=utcnow(),
        expires_at=expiry(settings.export_ttl_seconds),
    )


async def _checkpoint(
    engine: AsyncEngine, task_id: str, *, rows: int, errors: int, written: int, cursor: str | None
) -> None:
    current = await get_task_status(engine, task_id)
    if current == "CANCELED":
        raise Cancelled
    await set_task(engine, task_id, row_count=rows, error_count=errors, bytes_written=written, resume_cursor=cursor)


class ExportWorker:
    """Owned by the app lifespan: wakes on new tasks (or every `poll` seconds) and runs them one at a time."""

    def __init__(self, engine: AsyncEngine, settings: Settings, name: str = "worker", poll: float = 1.0) -> None:
        self.engine, self.settings, self.name, self.poll = engine, settings, name, poll
        self.wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            task = await claim_next(self.engine, self.name)
            if task is not None:
                await run_task(self.engine, self.settings, task)
                continue
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.poll)


def remove_results(export_dir: Path, task_id: str) -> None:
    for path in (result_path(export_dir, task_id), errors_path(export_dir, task_id)):
        path.unlink(missing_ok=True)
