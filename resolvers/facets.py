"""dataRowFacets: the breakdown of the rows a filter and/or slice match, for left panels, filter suggestions and the
export dialog's project and model run pickers."""

from __future__ import annotations

import strawberry
from strawberry import ID

from resolvers.context import Context
from resolvers.filters import DataRowFilter, filter_dict
from resolvers.selection import selected_names
from resolvers.types.facets import DataRowFacets, data_row_facets
from server.db import read_connection, snapshot
from server.facets.breakdown import facet_breakdown
from server.facets.names import facet_names
from server.filters.scope import request_where
from server.filters.values import FilterLimits

Info = strawberry.Info[Context, None]
# The facet arrays (server.facets.breakdown.KINDS) each field of DataRowFacets counts from: the others are not read.
FIELD_KINDS: dict[str, frozenset[str]] = {
    "datasets": frozenset({"dataset"}),
    "mediaTypes": frozenset({"media"}),
    "projects": frozenset({"project", "labeled"}),
    "modelRuns": frozenset({"run"}),
    "annotationClasses": frozenset({"feature"}),
    "metadataOptions": frozenset({"option"}),
}


def asked_kinds(info: Info) -> frozenset[str]:
    """The kinds of facet arrays the request's selection of dataRowFacets counts from."""
    return frozenset().union(*(FIELD_KINDS.get(name, frozenset()) for name in selected_names(info._raw_info)))


@strawberry.type
class FacetsQuery:
    @strawberry.field(
        description="How many matching rows (filter and/or slice: both means AND; neither: every row) there are per "
        "dataset, media type, project (per workflow status, and labeled there), model run, annotation class and enum "
        "metadata option. From the facet arrays when they cover the filter, else SQL GROUP BY."
    )
    async def data_row_facets(
        self, info: Info, filter: DataRowFilter | None = None, slice: ID | None = None
    ) -> DataRowFacets:
        ctx = info.context
        async with read_connection(ctx.engine) as conn, snapshot(conn):
            scope = await request_where(
                conn, ctx.organization_id, filter_dict(filter), slice, limits=FilterLimits.of(ctx.settings)
            )
            everything = filter is None and slice is None
            counts = await facet_breakdown(conn, ctx.organization_id, scope, everything, asked_kinds(info))
            names = await facet_names(conn, ctx.organization_id, counts)
        return data_row_facets(counts, names)
