"""GET /exports/{id}.ndjson and /exports/{id}/errors.ndjson: stream a task's file, following it while it runs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from server.auth.principal import stream_organization
from server.errors import CatalogError, shown
from server.export.tasks import TERMINAL, errors_path, get_task, get_task_status, is_expired, result_path
from server.export.worker_process import AppWorker
from server.responses import error_response, rejection_response

CHUNK = 256 * 1024
OFFSET_DIGITS = 15  # more lines than any result holds
FOLLOW_POLL = 0.2


def _skip_lines(handle: object, offset: int) -> None:
    """Position the file after its first `offset` lines."""
    for _ in range(offset):
        if not handle.readline():  # type: ignore[attr-defined]
            return


def _notifications(worker: AppWorker | None) -> int:
    return worker.notifications if worker is not None else 0


async def _next_page(worker: AppWorker | None, seen: int) -> None:
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
    engine: AsyncEngine, task_id: str, path: Path, offset: int, worker: AppWorker | None = None, running: bool = True
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


async def _stream(request: Request, errors: bool) -> Response:
    state = request.app.state
    task_id = request.path_params["task_id"]
    try:
        organization_id = await stream_organization(request, task_id)
    except CatalogError as error:
        return rejection_response(error)
    task = await get_task(state.engine, organization_id, task_id)
    if task is None:
        return error_response(404, "NOT_FOUND", f"Export task {shown(task_id)} does not exist.")
    if is_expired(task):
        message = f"Export task {shown(task_id)} has expired and its result was deleted; start a new export."
        return error_response(410, "NOT_FOUND", message)
    raw_offset = request.query_params.get("offset", "0")
    if not (raw_offset.isascii() and raw_offset.isdigit() and len(raw_offset) <= OFFSET_DIGITS):
        return error_response(400, "BAD_USER_INPUT", "offset must be a whole number of lines already read (0 or more).")
    path = (errors_path if errors else result_path)(state.settings.export_dir, task_id)
    running = task.status not in TERMINAL
    body = follow_file(state.engine, task_id, path, int(raw_offset), getattr(state, "worker", None), running)
    name = f"{task_id}.errors.ndjson" if errors else f"{task_id}.ndjson"
    headers = {
        "X-Export-Status": task.status,
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="{name}"',
    }
    return StreamingResponse(body, media_type="application/x-ndjson", headers=headers)


async def export_result(request: Request) -> Response:
    return await _stream(request, errors=False)


async def export_errors(request: Request) -> Response:
    return await _stream(request, errors=True)
