"""Task, as the SDK polls it (`user.createdTasks`, `task(where:)`) and reads its streams by byte offset."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import ID, Private
from strawberry.scalars import JSON

from resolvers.context import Context
from resolvers.labelbox.types import LbFileInfo, LbMetadataHeader, LbRange, TaskStreamType, UInt64
from server.errors import bad_input
from server.labelbox.dates import sdk_datetime
from server.labelbox.files import Header, header, rest_of_stream
from server.models.exports import ExportStatus

Info = strawberry.Info[Context, None]

# The SDK waits while a task is IN_PROGRESS and treats anything else as finished, so QUEUED reads IN_PROGRESS.
STATUS = {
    ExportStatus.QUEUED: "IN_PROGRESS",
    ExportStatus.IN_PROGRESS: "IN_PROGRESS",
    ExportStatus.COMPLETE: "COMPLETE",
    ExportStatus.FAILED: "FAILED",
}
STREAMS = {
    TaskStreamType.RESULT: (False, "/exports/{id}.ndjson", "row_count"),
    TaskStreamType.ERRORS: (True, "/exports/{id}/errors.ndjson", "error_count"),
}


async def stream_url(ctx: Context, task_id: str, stream: TaskStreamType, line: int = 0) -> str:
    """The one place the SDK's download URLs are made: it GETs them with no Authorization header, so they are signed
    (a whole finished stream in object storage: a pre-signed URL of its object)."""
    if not line:
        direct = await ctx.export_storage.download_url(task_id, STREAMS[stream][0], ctx.settings.link_ttl_seconds)
        if direct is not None:
            return direct
    route = STREAMS[stream][1].format(id=task_id)
    return ctx.signed_url(route) + (f"&offset={line}" if line else "")


def _percentage(row: Any) -> float:
    if row.status == ExportStatus.COMPLETE:
        return 100.0
    return 100.0 * (row.row_count + row.error_count) / row.total_rows if row.total_rows else 0.0


@strawberry.type(name="Task")
class LbTask:
    id: ID
    name: str | None = strawberry.field(default=None, description="Task names are not stored here.")
    type: str = "export-data-rows"
    status: str
    completion_percentage: float
    created_at: str | None
    updated_at: str | None
    metadata: JSON | None = None
    row: Private[Any]

    @strawberry.field(description="The result stream's URL once COMPLETE.")
    async def result(self, info: Info) -> str | None:
        if self.row.status != ExportStatus.COMPLETE:
            return None
        return await stream_url(info.context, self.row.id, TaskStreamType.RESULT)

    @strawberry.field(description="The error stream's URL when the export wrote errors.")
    async def errors(self, info: Info) -> str | None:
        if self.row.status != ExportStatus.COMPLETE or not self.row.error_count:
            return None
        return await stream_url(info.context, self.row.id, TaskStreamType.ERRORS)

    @classmethod
    def from_row(cls, row: Any, ctx: Context) -> LbTask:
        return cls(
            id=ID(row.id),
            status=STATUS.get(row.status, row.status),
            completion_percentage=_percentage(row),
            created_at=sdk_datetime(row.created_at),
            updated_at=sdk_datetime(row.completed_at or row.started_at or row.created_at),
            row=row,
        )

    async def _header(self, ctx: Context, stream: TaskStreamType) -> Header | None:
        if self.row.status != ExportStatus.COMPLETE:
            raise bad_input(f"Export {self.id} is {self.row.status}; its streams can be read once it is COMPLETE.")
        errors, _, count = STREAMS[stream]
        return await header(ctx.export_storage, self.row.id, errors, getattr(self.row, count))

    @strawberry.field(description="Size in bytes and lines of a finished stream; null when it is empty.")
    async def export_metadata_header(self, info: Info, stream_type: TaskStreamType) -> LbMetadataHeader | None:
        head = await self._header(info.context, stream_type)
        return (
            None if head is None else LbMetadataHeader(total_size=UInt64(head.total_size), total_lines=head.total_lines)
        )

    @strawberry.field(description="The rest of a stream from byte `offset`: its byte and line ranges and its URL.")
    async def export_file_from_offset(
        self,
        info: Info,
        stream_type: TaskStreamType,
        offset: UInt64,
    ) -> LbFileInfo | None:
        ctx = info.context
        head = await self._header(ctx, stream_type)
        if head is None:
            return None
        part = await rest_of_stream(ctx.export_storage, self.row.id, STREAMS[stream_type][0], head, offset)
        return LbFileInfo(
            offsets=LbRange(start=UInt64(part.offset_start), end=UInt64(part.offset_end)),
            lines=LbRange(start=UInt64(part.line_start), end=UInt64(part.line_end)),
            file=await stream_url(ctx, self.row.id, stream_type, part.line_start),
        )
