"""Slice (a saved DataRowFilter) and the slice listings of the Query root."""

from __future__ import annotations

from typing import Any

import orjson
import strawberry
from strawberry import ID, Private

from resolvers.context import Context
from resolvers.scalars import JSON, DateTime
from server.filters.values import FilterLimits
from server.query.slices import find_slice, list_slices, slice_row_count

Info = strawberry.Info[Context, None]


@strawberry.type(description="A saved filter; use it as dataRows(slice:) or exportDataRows(slice:).")
class Slice:
    id: ID
    name: str
    filter: JSON = strawberry.field(description="The saved DataRowFilter, as its camelCase JSON.")
    created_at: DateTime
    updated_at: DateTime
    _org: Private[str]

    @strawberry.field(description="How many rows the slice holds now (one count query, only when selected).")
    async def row_count(self, info: Info) -> int:
        ctx = info.context
        return await slice_row_count(ctx.engine, self._org, str(self.id), FilterLimits.of(ctx.settings))

    @classmethod
    def from_row(cls, row: Any) -> Slice:
        return cls(
            id=ID(row.id),
            name=row.name,
            filter=orjson.loads(row.filter),
            created_at=row.created_at,
            updated_at=row.updated_at,
            _org=row.organization_id,
        )


@strawberry.type
class SliceQuery:
    @strawberry.field(description="Every slice of your organization, oldest first.")
    async def slices(self, info: Info) -> list[Slice]:
        rows = await list_slices(info.context.engine, info.context.organization_id)
        return [Slice.from_row(r) for r in rows]

    @strawberry.field(description="One slice of your organization by id, or null.")
    async def slice(self, info: Info, id: ID) -> Slice | None:
        row = await find_slice(info.context.engine, info.context.organization_id, str(id))
        return None if row is None else Slice.from_row(row)
