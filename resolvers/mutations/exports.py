"""exportDataRows validates and plans, stores a QUEUED task and returns at once; the worker streams the rows."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import ID

from resolvers.context import Context
from resolvers.enums import ExportFormat
from resolvers.filters import DataRowFilter, filter_dict
from resolvers.types.exports import ExportTask
from server.errors import not_found
from server.export.params import ExportParams as Params
from server.export.tasks import ExportRequest, expiry, get_task, queue_task, set_task
from server.filters.values import FilterLimits
from server.limits import check_export_quota
from server.models.base import utcnow
from server.query.scope import request_where
from server.webhooks.outbox import enqueue_task_event

Info = strawberry.Info[Context, None]


async def start_export(ctx: Context, request: ExportRequest) -> Any:
    """Every endpoint's way to start an export: the request checked within the filter limits (bad filters fail here,
    before anything is stored), the organization's export quota, then the task queued and the worker woken. The
    task's row as queued (a worker woken at once may claim it before a later read would see it QUEUED)."""
    async with ctx.engine.connect() as conn:
        limits = FilterLimits.of(ctx.settings)
        ids = request.data_row_ids or None
        await request_where(conn, ctx.organization_id, request.filter, request.slice_id, ids, limits)
    await check_export_quota(ctx.engine, ctx.organization_id, ctx.settings.max_concurrent_exports)
    row = await queue_task(ctx.engine, ctx.organization_id, request)
    if ctx.worker is not None:
        ctx.worker.wake_up()
    return row


@strawberry.input(
    description="Optional sections of each export line (all off by default) and which projects/model runs."
)
class ExportParams:
    data_row_details: bool = False
    media_attributes: bool = False
    attachments: bool = False
    metadata_fields: bool = False
    project_details: bool = False
    label_details: bool = False
    performance_details: bool = False
    predictions: bool = False
    embeddings: bool = False
    interpolated_frames: bool = False
    project_ids: list[ID] | None = None
    model_run_ids: list[ID] | None = None
    all_projects: bool = False
    all_model_runs: bool = False
    format: ExportFormat = ExportFormat.LABELBOX

    def to_params(self) -> Params:
        values = {name: getattr(self, name) for name in Params.__dataclass_fields__}
        values["project_ids"] = tuple(self.project_ids or ())
        values["model_run_ids"] = tuple(self.model_run_ids or ())
        return Params(**values)


@strawberry.type
class ExportMutation:
    @strawberry.mutation(description="Start an export of the matching rows; poll exportTask or GET its url.")
    async def export_data_rows(
        self,
        info: Info,
        filter: DataRowFilter | None = None,
        slice: ID | None = None,
        data_row_ids: list[ID] | None = None,
        params: ExportParams | None = None,
    ) -> ExportTask:
        ctx = info.context
        request = ExportRequest(
            filter=filter_dict(filter),
            slice_id=slice,
            data_row_ids=tuple(data_row_ids) if data_row_ids is not None else (),
            params=params.to_params() if params is not None else Params(),
        )
        return ExportTask.from_row(await start_export(ctx, request), ctx)

    @strawberry.mutation(description="Cancel a queued or running export; finished ones are left as they are.")
    async def cancel_export_task(self, info: Info, id: ID) -> ExportTask:
        ctx = info.context
        row = await get_task(ctx.engine, ctx.organization_id, str(id))
        if row is None:
            raise not_found("ExportTask", str(id), "id")
        if row.status in ("QUEUED", "IN_PROGRESS"):
            # expires_at: what a dead worker's task left behind is swept then (a live one deletes it at once)
            expires = expiry(ctx.settings.export_ttl_seconds)
            await set_task(ctx.engine, row.id, status="CANCELED", completed_at=utcnow(), expires_at=expires)
            await enqueue_task_event(ctx.engine, row.id)
        return ExportTask.from_row(await get_task(ctx.engine, ctx.organization_id, str(id)), ctx)
