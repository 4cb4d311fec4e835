"""The rows an export request means: its one set-up, shared by exportDataRows (checked before the task is stored),
the worker (when the task runs or resumes) and the CLI's local export, with the settings' filter limits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from server.export.tasks import ExportRequest
from server.filters.values import FilterLimits
from server.query.count import count_rows
from server.query.scope import Scope, for_every_page, request_where
from server.settings import Settings


async def request_scope(
    conn: AsyncConnection, settings: Settings, organization_id: str, request: ExportRequest
) -> Scope:
    """The request's filter, slice and ids compiled into one Scope; bad or oversized input raises before any row is
    read (a search/similarTo leaf is ranked now)."""
    ids = request.data_row_ids or None
    limits = FilterLimits.of(settings)
    return await request_where(conn, organization_id, request.filter, request.slice_id, ids, limits)


async def export_scope(
    conn: AsyncConnection, settings: Settings, organization_id: str, request: ExportRequest, total: int | None = None
) -> tuple[Scope, int | None]:
    """The scope an export pages through and the total of its rows when it was needed to decide how to page (or was
    given: a resumed task's); None: the caller counts beside the pages if it wants the total."""
    scope = await request_scope(conn, settings, organization_id, request)
    if total is not None or scope.probe is None:
        return scope, total
    total = await count_rows(conn, scope)
    return await for_every_page(conn, scope, total, settings.export_page_size), total
