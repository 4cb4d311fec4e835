"""exportDataRows validates and plans, stores a QUEUED task and returns at once; the worker streams the rows."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, get_type_hints

import strawberry
from strawberry import ID

from resolvers.context import Context
from resolvers.enums import ExportFormat
from resolvers.filters import DataRowFilter, filter_dict
from resolvers.types.exports import ExportTask
from server.errors import not_found
from server.export.params import ExportParams as Params
from server.export.rows import request_scope
from server.export.tasks import ExportRequest, expiry, get_task, queue_task, set_task
from server.limits import check_export_quota
from server.models.base import utcnow
from server.models.exports import ACTIVE, ExportStatus
from server.webhooks.outbox import enqueue_task_event

Info = strawberry.Info[Context, None]


async def start_export(ctx: Context, request: ExportRequest) -> Any:
    """Every endpoint's way to start an export: the request checked within the filter limits (bad filters fail here,
    before anything is stored), the organization's export quota, then the task queued and the worker woken. The
    task's row as queued (a worker woken at once may claim it before a later read would see it QUEUED)."""
    async with ctx.engine.connect() as conn:
        await request_scope(conn, ctx.settings, ctx.organization_id, request)
    await check_export_quota(ctx.engine, ctx.organization_id, ctx.settings.max_concurrent_exports)
    row = await queue_task(ctx.engine, ctx.organization_id, request)
    if ctx.worker is not None:
        ctx.worker.wake_up()
    return row


def _graphql_option(kind: object, default: object) -> tuple[object, object]:
    """The GraphQL type and default of an option of server.export.params.ExportParams (the options' one home)."""
    if kind is bool or kind is ExportFormat:  # resolvers.enums.ExportFormat is the server's enum, registered
        return kind, default
    if kind == tuple[str, ...]:
        return list[ID] | None, None
    raise TypeError(f"ExportParams has an option of type {kind} that GraphQL cannot spell yet")


OPTION_TYPES = get_type_hints(Params)  # resolved once: the module's annotations are strings
ID_OPTIONS = tuple(name for name, kind in OPTION_TYPES.items() if kind == tuple[str, ...])


def _to_params(self: Any) -> Params:
    values = {f.name: getattr(self, f.name) for f in fields(Params)}
    return Params(**values | {name: tuple(values[name] or ()) for name in ID_OPTIONS})


def _export_params_input() -> type:
    """`input ExportParams`: one field per option of server.export.params.ExportParams, in its order, camelCased."""
    options = {f.name: _graphql_option(OPTION_TYPES[f.name], f.default) for f in fields(Params)}
    namespace = {
        "__annotations__": {name: kind for name, (kind, _) in options.items()},
        **{name: default for name, (_, default) in options.items()},
        "to_params": _to_params,
    }
    description = "Optional sections of each export line (all off by default) and which projects/model runs."
    return strawberry.input(type("ExportParams", (), namespace), description=description)


ExportParams = _export_params_input()


@strawberry.type
class ExportMutation:
    @strawberry.mutation(description="Start an export of the matching rows; poll exportTask or GET its url.")
    async def export_data_rows(
        self,
        info: Info,
        filter: DataRowFilter | None = None,
        slice: ID | None = None,
        data_row_ids: list[ID] | None = None,
        params: ExportParams | None = None,  # type: ignore[valid-type]  # a class made at import from server.export.params
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
        if row.status in ACTIVE:
            # expires_at: what a dead worker's task left behind is swept then (a live one deletes it at once)
            expires = expiry(ctx.settings.export_ttl_seconds)
            await set_task(ctx.engine, row.id, status=ExportStatus.CANCELED, completed_at=utcnow(), expires_at=expires)
            await enqueue_task_event(ctx.engine, row.id)
        return ExportTask.from_row(await get_task(ctx.engine, ctx.organization_id, str(id)), ctx)
