"""Mutations for ontologies, projects, batches, workflow status and labels."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import ID

from resolvers.enums import MediaType, WorkflowStatus
from resolvers.inputs import to_plain_snake
from resolvers.listings import load_one
from resolvers.mutations.ingest_common import Info, scope
from resolvers.scalars import JSON
from resolvers.types.catalog import Batch, Ontology, Project
from server.ingest import labeling, ontology


@strawberry.enum
class ToolType(Enum):
    BOUNDING_BOX = "BOUNDING_BOX"
    POLYGON = "POLYGON"
    POLYLINE = "POLYLINE"
    POINT = "POINT"
    SEGMENTATION_MASK = "SEGMENTATION_MASK"
    NAMED_ENTITY = "NAMED_ENTITY"
    RELATIONSHIP = "RELATIONSHIP"


@strawberry.enum
class ClassificationType(Enum):
    RADIO = "RADIO"
    CHECKLIST = "CHECKLIST"
    TEXT = "TEXT"


@strawberry.input
class OptionInput:
    name: str
    classifications: list[ClassificationInput] | None = None


@strawberry.input
class ClassificationInput:
    name: str
    type: ClassificationType
    options: list[OptionInput] | None = None


@strawberry.input
class ToolInput:
    name: str
    type: ToolType
    classifications: list[ClassificationInput] | None = None


@strawberry.input(description="One label: annotations in Export v2 shape, checked against the ontology.")
class LabelInput:
    data_row_id: ID
    annotations: JSON
    label_kind: str | None = None
    created_by: str | None = None
    reviews: JSON | None = None
    performance_details: JSON | None = None


@strawberry.type
class LabelingMutation:
    @strawberry.mutation(description="An ontology of tools and classifications, nested at any depth.")
    async def create_ontology(
        self,
        info: Info,
        name: str,
        tools: list[ToolInput] | None = None,
        classifications: list[ClassificationInput] | None = None,
    ) -> Ontology:
        trees = {"tools": to_plain_snake(tools or []), "classifications": to_plain_snake(classifications or [])}
        ident = await ontology.create_ontology(**scope(info), name=name, **trees)
        return await load_one(info.context, "ontology", ident)

    @strawberry.mutation
    async def create_project(
        self, info: Info, name: str, media_type: MediaType, ontology_id: ID | None = None
    ) -> Project:
        ident = await labeling.create_project(
            **scope(info), name=name, media_type=media_type.value, ontology_id=ontology_id
        )
        return await load_one(info.context, "project", ident)

    @strawberry.mutation(description="Queue data rows in a project (status TO_LABEL); priority 1 (high) to 5.")
    async def create_batch(
        self, info: Info, project_id: ID, name: str, data_row_ids: list[ID], priority: int = 5
    ) -> Batch:
        ident = await labeling.create_batch(
            **scope(info), project_id=str(project_id), name=name, data_row_ids=list(data_row_ids), priority=priority
        )
        return await load_one(info.context, "batch", ident)

    @strawberry.mutation(description="Move rows to a workflow status; appends to workflow_history. Returns rows moved.")
    async def set_workflow_status(
        self, info: Info, project_id: ID, data_row_ids: list[ID], status: WorkflowStatus, created_by: str | None = None
    ) -> int:
        return await labeling.set_workflow_status(
            **scope(info),
            project_id=str(project_id),
            data_row_ids=list(data_row_ids),
            status=status.value,
            created_by=created_by,
        )

    @strawberry.mutation(description="Labels of rows already batched into the project; returns their ids.")
    async def create_labels(self, info: Info, project_id: ID, labels: list[LabelInput]) -> list[ID]:
        ids = await labeling.create_labels(**scope(info), project_id=str(project_id), labels=to_plain_snake(labels))
        return [ID(i) for i in ids]
