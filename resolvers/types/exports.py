"""ExportTask: status and progress of an export; the result streams from `url`, small results inline in `ndjson`."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry import ID, Private

from resolvers.context import Context
from resolvers.scalars import DateTime
from server.export.tasks import is_expired, result_path

INLINE_NDJSON_BYTES = 16 * 1024 * 1024


@strawberry.enum
class ExportStatus(Enum):
    QUEUED = "QUEUED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


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
    url: str = strawberry.field(description="GET it for the NDJSON stream (follows a running task; ?offset=N resumes).")
    errors_url: str
    _inline_ok: Private[bool]

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
            f"(default 10,000) and {INLINE_NDJSON_BYTES} bytes; else null (GET `url` instead)."
        )
    )
    def ndjson(self, info: strawberry.Info[Context, None]) -> str | None:
        if self.status != ExportStatus.COMPLETE or not self._inline_ok:
            return None
        path = result_path(info.context.settings.export_dir, str(self.id))
        return path.read_text(encoding="utf-8") if path.exists() else None

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
            url=ctx.signed_url(f"/exports/{row.id}.ndjson"),
            errors_url=ctx.signed_url(f"/exports/{row.id}/errors.ndjson"),
            _inline_ok=row.bytes_written <= INLINE_NDJSON_BYTES
            and row.row_count <= ctx.settings.inline_export_cap
            and not is_expired(row),
        )
