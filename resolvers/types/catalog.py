"""Catalog entity types (plain attributes) and their builders: rows of one page plus children in one query each."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncConnection
from strawberry import ID, Private

from resolvers.enums import FeatureCategory, MediaType
from resolvers.scalars import DateTime
from resolvers.types.data_rows import PageInfo
from server import models
from server.loading.listings import children


@strawberry.type
class Dataset:
    id: ID
    name: str
    description: str | None
    created_at: DateTime
    created_by: str | None


@strawberry.type
class Batch:
    id: ID
    name: str
    project_id: ID
    priority: int
    created_at: DateTime


@strawberry.type
class Project:
    id: ID
    name: str
    description: str | None
    media_type: MediaType
    ontology_id: ID | None
    created_at: DateTime
    batches: list[Batch]


@strawberry.type(description="A tool, classification or option; `value` is the snake_case of `name`.")
class FeatureSchema:
    id: ID
    name: str
    value: str
    category: FeatureCategory
    type: str = strawberry.field(description="Tool type, classification type (RADIO, CHECKLIST, TEXT) or OPTION.")
    options: list[FeatureSchema] = strawberry.field(description="Answers of a RADIO or CHECKLIST classification.")
    classifications: list[FeatureSchema] = strawberry.field(description="Nested under a tool or an option.")


@strawberry.type
class Ontology:
    id: ID
    name: str
    created_at: DateTime
    tools: list[FeatureSchema]
    classifications: list[FeatureSchema]


@strawberry.type
class MetadataSchema:
    id: ID
    name: str
    kind: str = strawberry.field(description="STRING, NUMBER, DATETIME, ENUM or EMBEDDING; OPTION for enum options.")
    options: list[MetadataSchema]


@strawberry.type
class ModelRun:
    id: ID
    name: str
    model_id: ID
    created_at: DateTime


@strawberry.type
class Model:
    id: ID
    name: str
    ontology_id: ID | None
    created_at: DateTime
    model_runs: list[ModelRun]


@strawberry.type
class Embedding:
    id: ID
    name: str
    dims: int
    created_at: DateTime


@strawberry.type(description="A data row's place in a model run.")
class ModelRunDataRow:
    data_row_id: ID
    annotation_group_id: ID


T = TypeVar("T")


@strawberry.type(description="An entity with its cursor (its id).")
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of entities ordered by id; pass pageInfo.endCursor as `after` for the next.")
class Listing(Generic[T]):
    nodes: list[T]
    page_info: PageInfo
    _cursors: Private[list[str]]

    @strawberry.field(description="The nodes with their cursors (Relay connections).")
    def edges(self) -> list[Edge[T]]:
        return [Edge(cursor=c, node=n) for c, n in zip(self._cursors, self.nodes, strict=True)]


def _fields(row: Any, *names: str) -> dict[str, Any]:
    return {n: getattr(row, n) for n in names}


def _feature(row: Any, tree: dict[str | None, list[Any]]) -> FeatureSchema:
    kids = [_feature(r, tree) for r in tree.get(row.id, [])]
    is_option_parent = row.category == "classification"
    return FeatureSchema(
        **_fields(row, "id", "name", "value", "type"),
        category=FeatureCategory(row.category),
        options=kids if is_option_parent else [],
        classifications=[] if is_option_parent else kids,
    )


def _ontology(row: Any, features: list[Any]) -> Ontology:
    tree: dict[str | None, list[Any]] = defaultdict(list)
    for f in features:
        tree[f.parent_id].append(f)
    top = [_feature(f, tree) for f in tree[None]]
    return Ontology(
        **_fields(row, "id", "name", "created_at"),
        tools=[f for f in top if f.category == FeatureCategory.TOOL],
        classifications=[f for f in top if f.category == FeatureCategory.CLASSIFICATION],
    )


async def _ontologies(conn: AsyncConnection, rows: Sequence[Any]) -> list[Ontology]:
    features = await children(conn, models.FeatureSchema, "ontology_id", [r.id for r in rows])
    return [_ontology(r, features.get(r.id, [])) for r in rows]


async def _projects(conn: AsyncConnection, rows: Sequence[Any]) -> list[Project]:
    batches = await children(conn, models.Batch, "project_id", [r.id for r in rows])
    return [
        Project(
            **_fields(r, "id", "name", "description", "ontology_id", "created_at"),
            media_type=MediaType(r.media_type),
            batches=[Batch(**_fields(b, "id", "name", "project_id", "priority", "created_at")) for b in batches[r.id]],
        )
        for r in rows
    ]


async def _models(conn: AsyncConnection, rows: Sequence[Any]) -> list[Model]:
    runs = await children(conn, models.ModelRun, "model_id", [r.id for r in rows])
    return [
        Model(
            **_fields(r, "id", "name", "ontology_id", "created_at"),
            model_runs=[ModelRun(**_fields(m, "id", "name", "model_id", "created_at")) for m in runs[r.id]],
        )
        for r in rows
    ]


async def _metadata_schemas(conn: AsyncConnection, rows: Sequence[Any]) -> list[MetadataSchema]:
    options = await children(conn, models.MetadataSchema, "parent_id", [r.id for r in rows])
    return [
        MetadataSchema(
            **_fields(r, "id", "name", "kind"),
            options=[MetadataSchema(**_fields(o, "id", "name", "kind"), options=[]) for o in options[r.id]],
        )
        for r in rows
    ]


def _flat(cls: type, *names: str) -> Builder:
    async def build(conn: AsyncConnection, rows: Sequence[Any]) -> list[Any]:
        return [cls(**_fields(r, *names)) for r in rows]

    return build


Builder = Callable[[AsyncConnection, Sequence[Any]], Awaitable[list[Any]]]


@dataclass(frozen=True)
class Family:
    """A listed entity: its table and how a page of its rows becomes GraphQL objects."""

    model: Any
    build: Builder


FAMILIES: dict[str, Family] = {
    "dataset": Family(models.Dataset, _flat(Dataset, "id", "name", "description", "created_at", "created_by")),
    "project": Family(models.Project, _projects),
    "ontology": Family(models.Ontology, _ontologies),
    "model": Family(models.Model, _models),
    "model_run": Family(models.ModelRun, _flat(ModelRun, "id", "name", "model_id", "created_at")),
    "metadata_schema": Family(models.MetadataSchema, _metadata_schemas),
    "embedding": Family(models.Embedding, _flat(Embedding, "id", "name", "dims", "created_at")),
    "batch": Family(models.Batch, _flat(Batch, "id", "name", "project_id", "priority", "created_at")),
}
