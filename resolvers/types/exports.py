"""ExportTask: status and progress of an export; the result streams from `url`, small results inline in `ndjson`."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import ID, Private

from resolvers.context import Context
from resolvers.enums import ExportStatus
from resolvers.scalars import DateTime
from server.export.storage import read_all
from server.export.tasks import is_expired


@strawberry.type
class ExportTask:
    id: ID
    status: ExportStatus
    row_count: int
    error_count: int
    bytes_written: int = strawberry.field(description="Bytes of NDJSON written so far.")
    total_rows: int | None = strawberry.field(description="Rows the export will write (known once it starts).")
    created_at: DateTime
    started_at: DateTime | None
    completed_at: DateTime | None
    expires_at: DateTime | None
    sha256: str | None = strawberry.field(description="SHA-256 of the complete NDJSON result.")
    failure_reason: str | None
    _inline_ok: Private[bool]
    _bytes: Private[int]
    _row: Private[Any]

    @strawberry.field(
        description="GET it for the NDJSON stream (follows a running task; ?offset=N resumes). With object storage, "
        "a COMPLETE task's url is a pre-signed URL of its object (Range requests work)."
    )
    async def url(self, info: strawberry.Info[Context, None]) -> str:
        return await stream_link(info.context, self._row, errors=False)

    @strawberry.field(description="The error stream, as `url`.")
    async def errors_url(self, info: strawberry.Info[Context, None]) -> str:
        return await stream_link(info.context, self._row, errors=True)

    @strawberry.field(description="Fraction done, 0..1 (rows written / total rows).")
    def progress(self) -> float:
        if self.status == ExportStatus.COMPLETE:
            return 1.0
        if not self.total_rows:
            return 0.0
        return min(1.0, (self.row_count + self.error_count) / self.total_rows)

    @strawberry.field(
        description=(
            "The whole NDJSON result inline, once COMPLETE, with at most INLINE_EXPORT_CAP rows "
            "(default 10,000) and MAX_INLINE_BYTES bytes (default 16 MiB); else null (GET `url` instead). "
            "A request answers at most MAX_INLINE_BYTES inline in all (LIMIT_EXCEEDED beyond)."
        )
    )
    async def ndjson(self, info: strawberry.Info[Context, None]) -> str | None:
        if self.status != ExportStatus.COMPLETE or not self._inline_ok:
            return None
        info.context.take_inline(self._bytes)
        return (await read_all(info.context.export_storage, str(self.id))).decode()

    @classmethod
    def from_row(cls, row: Any, ctx: Context) -> ExportTask:
        return cls(
            id=ID(row.id),
            status=ExportStatus(row.status),
            row_count=row.row_count,
            error_count=row.error_count,
            bytes_written=row.bytes_written,
            total_rows=row.total_rows,
            created_at=row.created_at,
            started_at=row.started_at,
            completed_at=row.completed_at,
            expires_at=row.expires_at,
            sha256=row.sha256,
            failure_reason=row.failure_reason,
            _bytes=row.bytes_written,
            _row=row,
            _inline_ok=row.bytes_written <= ctx.settings.max_inline_bytes
            and row.row_count <= ctx.settings.inline_export_cap
            and not is_expired(row),
        )


async def stream_link(ctx: Context, row: Any, errors: bool) -> str:
    """A COMPLETE task's object as a pre-signed URL (object storage); else the signed link to its stream route."""
    if row.status == ExportStatus.COMPLETE and not is_expired(row):
        direct = await ctx.export_storage.download_url(row.id, errors, ctx.settings.link_ttl_seconds)
        if direct is not None:
            return direct
    return ctx.signed_url(f"/exports/{row.id}/errors.ndjson" if errors else f"/exports/{row.id}.ndjson")
