"""Which rows a request means: its filter, its slice's saved filter and explicit ids, all together (AND)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.errors import bad_input, not_found
from server.filters.compile import scoped_where
from server.filters.tree import Leaf, Node, parse_filter
from server.models import Slice

S = Slice.__table__.c  # type: ignore[attr-defined]


async def slice_filter(conn: AsyncConnection, organization_id: str, slice_id: str) -> Node:
    stmt = select(S.filter).where(S.id == slice_id, S.organization_id == organization_id)
    saved = (await conn.execute(stmt)).scalar_one_or_none()
    if saved is None:
        raise not_found("Slice", slice_id, "slice")
    return parse_filter(orjson.loads(saved), "slice.filter")


async def request_where(
    conn: AsyncConnection,
    organization_id: str,
    filter: dict[str, Any] | None = None,
    slice_id: str | None = None,
    data_row_ids: Sequence[str] | None = None,
) -> ColumnElement[bool]:
    """Compile everything the caller gave into one WHERE; bad input raises before any row is read."""
    nodes: list[Node | None] = [parse_filter(filter) if filter is not None else None]
    if slice_id is not None:
        nodes.append(await slice_filter(conn, organization_id, slice_id))
    if data_row_ids is not None:
        if not data_row_ids:
            raise bad_input("dataRowIds is empty; omit it to export every matching row.", "dataRowIds")
        nodes.append(Leaf("ids", list(data_row_ids), "dataRowIds"))
    return scoped_where(organization_id, *nodes)
