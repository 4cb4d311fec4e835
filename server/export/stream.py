"""GET /exports/{id}.ndjson and /exports/{id}/errors.ndjson: stream a task's result, following it while it runs
(from the local file or the object store: server/export/storage.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from server.auth.principal import stream_organization
from server.errors import CatalogError, shown
from server.export.tasks import get_task, is_expired
from server.responses import error_response, rejection_response

OFFSET_DIGITS = 15  # more lines than any result holds


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
    body = state.storage.follow(state.engine, task, errors, int(raw_offset), getattr(state, "worker", None))
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
