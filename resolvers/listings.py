"""Listings (keyset pages on id) and by-id lookups of datasets, projects, ontologies, models, metadata schemas."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import ID

from resolvers.context import Context
from resolvers.types.catalog import (
    FAMILIES,
    Dataset,
    Listing,
    MetadataSchema,
    Model,
    ModelRun,
    Ontology,
    Project,
)
from resolvers.types.data_rows import PageInfo
from server.errors import bad_input, limit_exceeded
from server.loading.listings import by_id, page

Info = strawberry.Info[Context, None]
MAX_LISTING = 100


def _check_first(first: int) -> None:
    if first < 0:
        raise bad_input("`first` must be 0 or more.", "first")
    if first > MAX_LISTING:
        raise limit_exceeded(f"`first` is {first}; listings return at most {MAX_LISTING} per page.", "first")


async def listing(info: Info, family: str, first: int, after: str | None, where: tuple = ()) -> Listing[Any]:
    _check_first(first)
    ctx, fam = info.context, FAMILIES[family]
    async with ctx.engine.connect() as conn:
        result = await page(conn, fam.model, ctx.organization_id, first, after, where)
        nodes = await fam.build(conn, result.rows)
    ids = [str(row.id) for row in result.rows]
    page_info = PageInfo(
        has_next_page=result.has_next,
        end_cursor=ids[-1] if ids else None,
        has_previous_page=after is not None,
        start_cursor=ids[0] if ids else None,
    )
    return Listing(nodes=nodes, page_info=page_info, _cursors=ids)


async def load_one(ctx: Context, family: str, ident: str) -> Any:
    """The GraphQL object of one entity of the caller's organization, or None."""
    fam = FAMILIES[family]
    async with ctx.engine.connect() as conn:
        row = await by_id(conn, fam.model, ctx.organization_id, str(ident))
        return (await fam.build(conn, [row]))[0] if row is not None else None


@strawberry.type
class ListingQuery:
    @strawberry.field(description="Datasets of your organization, by id.")
    async def datasets(self, info: Info, first: int = 50, after: str | None = None) -> Listing[Dataset]:
        return await listing(info, "dataset", first, after)

    @strawberry.field(description="Projects with their batches, by id.")
    async def projects(self, info: Info, first: int = 50, after: str | None = None) -> Listing[Project]:
        return await listing(info, "project", first, after)

    @strawberry.field(description="Models with their runs, by id.")
    async def models(self, info: Info, first: int = 50, after: str | None = None) -> Listing[Model]:
        return await listing(info, "model", first, after)

    @strawberry.field(description="Top-level metadata schemas with their enum options, by id.")
    async def metadata_schemas(self, info: Info, first: int = 50, after: str | None = None) -> Listing[MetadataSchema]:
        parent = FAMILIES["metadata_schema"].model.__table__.c.parent_id
        return await listing(info, "metadata_schema", first, after, (parent.is_(None),))

    @strawberry.field(description="Ontologies with their feature schema trees, by id.")
    async def ontologies(self, info: Info, first: int = 50, after: str | None = None) -> Listing[Ontology]:
        return await listing(info, "ontology", first, after)

    @strawberry.field
    async def dataset(self, info: Info, id: ID) -> Dataset | None:
        return await load_one(info.context, "dataset", id)

    @strawberry.field
    async def project(self, info: Info, id: ID) -> Project | None:
        return await load_one(info.context, "project", id)

    @strawberry.field
    async def model(self, info: Info, id: ID) -> Model | None:
        return await load_one(info.context, "model", id)

    @strawberry.field
    async def model_run(self, info: Info, id: ID) -> ModelRun | None:
        return await load_one(info.context, "model_run", id)

    @strawberry.field
    async def ontology(self, info: Info, id: ID) -> Ontology | None:
        return await load_one(info.context, "ontology", id)
