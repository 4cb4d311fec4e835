"""Mutations for datasets, data rows (attachments, metadata) and metadata schemas."""

from __future__ import annotations

import strawberry
from strawberry import ID

from resolvers.enums import MediaType, MetadataKind
from resolvers.inputs import to_plain_snake
from resolvers.listings import load_one
from resolvers.mutations.ingest_common import Info, scope
from resolvers.scalars import JSON
from resolvers.types.catalog import Dataset, MetadataSchema
from server.ingest import catalog, metadata


@strawberry.input
class AttachmentInput:
    type: str
    value: str
    name: str | None = None


@strawberry.input(
    description="A metadata value: name its schema by `schemaId` or by `name`; enum values by option name or id."
)
class MetadataFieldInput:
    schema_id: ID | None = None
    name: str | None = None
    value: JSON


@strawberry.input
class DataRowInput:
    row_data: str
    media_type: MediaType
    global_key: str | None = None
    external_id: str | None = None
    media_attributes: JSON | None = None
    attachments: list[AttachmentInput] | None = None
    metadata_fields: list[MetadataFieldInput] | None = None


@strawberry.input(description="Fields to change; omitted ones stay. metadataFields, when given, replaces every value.")
class DataRowUpdate:
    row_data: str | None = None
    global_key: str | None = None
    external_id: str | None = None
    media_attributes: JSON | None = None
    metadata_fields: list[MetadataFieldInput] | None = None


@strawberry.type
class CatalogMutation:
    @strawberry.mutation
    async def create_dataset(self, info: Info, name: str, description: str | None = None) -> Dataset:
        ident = await catalog.create_dataset(**scope(info), name=name, description=description)
        return await load_one(info.context, "dataset", ident)

    @strawberry.mutation
    async def update_dataset(
        self, info: Info, id: ID, name: str | None = None, description: str | None = None
    ) -> Dataset:
        await catalog.update_dataset(**scope(info), dataset_id=str(id), name=name, description=description)
        return await load_one(info.context, "dataset", id)

    @strawberry.mutation(description="Create up to 1,000 data rows in one all-or-nothing call; returns their ids.")
    async def create_data_rows(self, info: Info, dataset_id: ID, rows: list[DataRowInput]) -> list[ID]:
        ids = await catalog.create_data_rows(**scope(info), dataset_id=str(dataset_id), rows=to_plain_snake(rows))
        return [ID(i) for i in ids]

    @strawberry.mutation(description="Change a data row's fields; returns its id.")
    async def update_data_row(self, info: Info, id: ID, changes: DataRowUpdate) -> ID:
        await catalog.update_data_row(**scope(info), data_row_id=str(id), changes=to_plain_snake(changes))
        return id

    @strawberry.mutation(description="A metadata field; ENUM schemas take their option names.")
    async def create_metadata_schema(
        self, info: Info, name: str, kind: MetadataKind, options: list[str] | None = None
    ) -> MetadataSchema:
        ident = await metadata.create_metadata_schema(**scope(info), name=name, kind=kind.value, options=options)
        return await load_one(info.context, "metadata_schema", ident)
