"""createSlice / updateSlice / deleteSlice: the filter is validated (names resolved) before it is saved."""

from __future__ import annotations

import strawberry
from strawberry import ID

from resolvers.context import Context
from resolvers.filters import DataRowFilter, filter_dict
from resolvers.types.slices import Slice
from server.filters.values import FilterLimits
from server.query.slices import create_slice, delete_slice, update_slice

Info = strawberry.Info[Context, None]


@strawberry.type
class SliceMutation:
    @strawberry.mutation(description="Save a filter under a name.")
    async def create_slice(self, info: Info, name: str, filter: DataRowFilter) -> Slice:
        ctx = info.context
        limits = FilterLimits.of(ctx.settings)
        row = await create_slice(ctx.engine, ctx.organization_id, name, filter_dict(filter) or {}, limits)
        return Slice.from_row(row)

    @strawberry.mutation(description="Rename a slice and/or replace its filter.")
    async def update_slice(
        self, info: Info, id: ID, name: str | None = None, filter: DataRowFilter | None = None
    ) -> Slice:
        ctx = info.context
        limits = FilterLimits.of(ctx.settings)
        row = await update_slice(ctx.engine, ctx.organization_id, str(id), limits, name, filter_dict(filter))
        return Slice.from_row(row)

    @strawberry.mutation(description="Delete a slice; returns its id.")
    async def delete_slice(self, info: Info, id: ID) -> ID:
        await delete_slice(info.context.engine, info.context.organization_id, str(id))
        return id
