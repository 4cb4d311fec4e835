"""Task, as the SDK polls it (`user.createdTasks`, `task(where:)`) and reads its streams by byte offset."""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from strawberry import ID, Private
from strawberry.scalars import JSON

from resolvers.context import Context
from resolvers.labelbox.types import LbFileInfo, LbMetadataHeader, LbRange, TaskStreamType, UInt64
from server.errors import bad_input
from server.export.tasks import errors_path, result_path
from server.labelbox.dates import sdk_datetime
from server.labelbox.files import Header, header, rest_of_file

Info = strawberry.Info[Context, None]

# The SDK waits while a task is IN_PROGRESS and treats anything else as finished, so QUEUED reads IN_PROGRESS.
STATUS = {"QUEUED": "IN_PROGRESS", "IN_PROGRESS": "IN_PROGRESS", "COMPLETE": "COMPLETE", "FAILED": "FAILED"}
STREAMS = {
    TaskStreamType.RESULT: (result_path, "/exports/{id}.ndjson", "row_count"),
    TaskStreamType.ERRORS: (errors_path, "/exports/{id}/errors.ndjson", "error_count"),
}


def stream_url(ctx: Context, task_id: str, stream: TaskStreamType, line: int = 0) -> str:
    """The one place the SDK's download URLs are made: it GETs them with no Authorization header, so they are signed."""
    route = STREAMS[stream][1].format(id=task_id)
    return ctx.signed_url(route) + (f"&offset={line}" if line else "")


def _percentage(row: Any) -> float:
    if row.status == "COMPLETE":
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
    result: str | None = strawberry.field(description="The result stream's URL once COMPLETE.")
    errors: str | None = strawberry.field(description="The error stream's URL when the export wrote errors.")
    metadata: JSON | None = None
    row: Private[Any]

    @classmethod
    def from_row(cls, row: Any, ctx: Context) -> LbTask:
        done = row.status == "COMPLETE"
        return cls(
            id=ID(row.id),
            status=STATUS.get(row.status, row.status),
            completion_percentage=_percentage(row),
            created_at=sdk_datetime(row.created_at),
            updated_at=sdk_datetime(row.completed_at or row.started_at or row.created_at),
            result=stream_url(ctx, row.id, TaskStreamType.RESULT) if done else None,
            errors=stream_url(ctx, row.id, TaskStreamType.ERRORS) if done and row.error_count else None,
            row=row,
        )

    def _header(self, ctx: Context, stream: TaskStreamType) -> Header | None:
        if self.row.status != "COMPLETE":
            raise bad_input(f"Export {self.id} is {self.row.status}; its streams can be read once it is COMPLETE.")
        path_of, _, count = STREAMS[stream]
        return header(path_of(ctx.settings.export_dir, self.row.id), getattr(self.row, count))

    @strawberry.field(description="Size in bytes and lines of a finished stream; null when it is empty.")
    def export_metadata_header(self, info: Info, stream_type: TaskStreamType) -> LbMetadataHeader | None:
        head = self._header(info.context, stream_type)
        return None if head is None else LbMetadataHeader(total_size=head.total_size, total_lines=head.total_lines)

    @strawberry.field(description="The rest of a stream from byte `offset`: its byte and line ranges and its URL.")
    async def export_file_from_offset(
        self,
        info: Info,
        stream_type: TaskStreamType,
        offset: UInt64,  # type: ignore[valid-type]
    ) -> LbFileInfo | None:
        ctx = info.context
        head = self._header(ctx, stream_type)
        if head is None:
            return None
        path_of = STREAMS[stream_type][0]
        part = await asyncio.to_thread(rest_of_file, path_of(ctx.settings.export_dir, self.row.id), head, offset)
        return LbFileInfo(
            offsets=LbRange(start=part.offset_start, end=part.offset_end),
            lines=LbRange(start=part.line_start, end=part.line_end),
            file=stream_url(ctx, self.row.id, stream_type, part.line_start),
        )
