"""The Subscription root (GraphQL over WebSocket, graphql-transport-ws: resolvers.websocket)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import strawberry
from strawberry import ID

from resolvers.context import Context
from resolvers.types.exports import ExportTask
from server.errors import not_found
from server.export.tasks import get_task
from server.models.exports import TERMINAL

Info = strawberry.Info[Context, None]
WATCHED = ("status", "total_rows", "row_count", "error_count", "bytes_written")


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="An export task of your organization: its state now, then each time its status, rows or bytes "
        "change (read every SUBSCRIPTION_POLL_SECONDS), ending with the task's final state (COMPLETE, FAILED or "
        "CANCELED). Polling exportTask works too."
    )
    async def export_task_updated(self, info: Info, id: ID) -> AsyncGenerator[ExportTask, None]:
        ctx, task_id = info.context, str(id)
        seen = None
        while True:
            row = await get_task(ctx.engine, ctx.organization_id, task_id)
            if row is None:
                raise not_found("ExportTask", task_id, "id")
            state = tuple(getattr(row, name) for name in WATCHED)
            if state != seen:
                seen = state
                yield ExportTask.from_row(row, ctx)
            if row.status in TERMINAL:
                return
            await asyncio.sleep(ctx.settings.subscription_poll_seconds)
