"""DataRow mirrors one export line: built from the same assembled dicts the export writes (plain attributes)."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry import ID, Private

from resolvers.execution import pure_field
from resolvers.scalars import JSON, DateTime
from server.loading.assemble import Line
from server.loading.pages import Page


@strawberry.enum
class MediaType(Enum):
    IMAGE = "IMAGE"
    VIDEO = "VIDEO"
    TEXT = "TEXT"
    CONVERSATIONAL = "CONVERSATIONAL"
    DOCUMENT = "DOCUMENT"
    AUDIO = "AUDIO"
    GEOSPATIAL = "GEOSPATIAL"
    DICOM = "DICOM"
    HTML = "HTML"


@strawberry.type
class DataRowDetails:
    dataset_id: ID
    dataset_name: str
    created_at: DateTime
    updated_at: DateTime
    created_by: str | None


@strawberry.type
class Attachment:
    id: ID
    type: str
    value: str
    name: str | None


@strawberry.type
class MetadataField:
    schema_id: ID
    schema_name: str
    value: JSON


@strawberry.type
class EmbeddingValues:
    id: ID
    name: str
    values: list[float]


@strawberry.type
class LabelDetails:
    created_at: DateTime
    updated_at: DateTime
    created_by: str | None
    reviews: JSON


@strawberry.type
class ExportLabel:
    label_kind: str
    version: str
    id: ID
    label_details: LabelDetails | None = None
    performance_details: JSON | None = None
    annotations: JSON


@strawberry.type
class ProjectDetails:
    ontology_id: ID | None
    task_id: str | None
    task_name: str | None
    batch_id: ID | None
    batch_name: str | None
    priority: int
    consensus_expected_label_count: int
    workflow_status: str
    workflow_history: JSON


@strawberry.type
class DataRowProject:
    id: ID
    project_name: str
    labels: list[ExportLabel]
    project_details: ProjectDetails | None = None


@strawberry.type
class DataRowModelRun:
    id: ID
    model_run_name: str
    annotation_group_id: ID
    labels: list[ExportLabel]
    predictions: list[ExportLabel] | None = None


@strawberry.type
class DataRowModel:
    id: ID
    model_name: str
    model_runs: list[DataRowModelRun]


def _label(lab: Line) -> ExportLabel:
    details = lab.get("label_details")
    return ExportLabel(
        label_kind=lab["label_kind"],
        version=lab["version"],
        id=lab["id"],
        label_details=LabelDetails(**details) if details else None,
        performance_details=lab.get("performance_details"),
        annotations=lab["annotations"],
    )


def _project(pid: str, entry: Line) -> DataRowProject:
    details = entry.get("project_details")
    return DataRowProject(
        id=ID(pid),
        project_name=entry["project_name"],
        labels=[_label(lab) for lab in entry["labels"]],
        project_details=ProjectDetails(**details) if details else None,
    )


def _run(rid: str, run: Line) -> DataRowModelRun:
    predictions = run.get("predictions")
    return DataRowModelRun(
        id=ID(rid),
        model_run_name=run["model_run_name"],
        annotation_group_id=run["annotation_group_id"],
        labels=[_label(lab) for lab in run["labels"]],
        predictions=None if predictions is None else [_label(lab) for lab in predictions],
    )


def _model(mid: str, entry: Line) -> DataRowModel:
    runs = [_run(rid, run) for rid, run in entry["model_runs"].items()]
    return DataRowModel(id=ID(mid), model_name=entry["model_name"], model_runs=runs)


@strawberry.type(
    description="One data row, shaped like its Export v2 line; optional parts are read only when selected."
)
class DataRow:
    id: ID
    row_data: str
    global_key: str | None
    external_id: str | None
    details: DataRowDetails | None
    media_attributes: JSON | None
    attachments: list[Attachment] | None
    metadata_fields: list[MetadataField] | None
    embeddings: list[EmbeddingValues] | None
    score: float | None = strawberry.field(default=None, description="Similarity or search score, when ranked.")
    _projects: Private[list[DataRowProject]]
    _models: Private[list[DataRowModel]]

    @pure_field(description="The projects this row is in (all, or those listed), with labels.")
    def projects(self, ids: list[ID] | None = None) -> list[DataRowProject]:
        return self._projects if ids is None else [p for p in self._projects if p.id in ids]

    @pure_field(
        description="The models (and their runs) this row is in: all, or those whose model or run id is listed."
    )
    def models(self, ids: list[ID] | None = None) -> list[DataRowModel]:
        if ids is None:
            return self._models
        return [m for m in self._models if m.id in ids or any(r.id in ids for r in m.model_runs)]

    @classmethod
    def from_line(cls, line: Line, score: float | None = None) -> DataRow:
        row = line["data_row"]
        details = row.get("details")
        attachments = line.get("attachments")
        metadata = line.get("metadata_fields")
        embeddings = line.get("embeddings")
        return cls(
            id=ID(row["id"]),
            row_data=row["row_data"],
            global_key=row["global_key"],
            external_id=row["external_id"],
            details=DataRowDetails(**details) if details else None,
            media_attributes=line.get("media_attributes"),
            attachments=None if attachments is None else [Attachment(**a) for a in attachments],
            metadata_fields=None if metadata is None else [MetadataField(**m) for m in metadata],
            embeddings=None if embeddings is None else [EmbeddingValues(**e) for e in embeddings],
            score=score,
            _projects=[_project(pid, entry) for pid, entry in line["projects"].items()],
            _models=[_model(mid, entry) for mid, entry in line["models"].items()],
        )


@strawberry.type(
    description="Where a page sits (Relay's PageInfo): pass `endCursor` as `after` for the next page. Pages go "
    "forward only: `hasPreviousPage` is true when the page was asked `after` a cursor."
)
class PageInfo:
    has_next_page: bool
    end_cursor: str | None
    has_previous_page: bool = False
    start_cursor: str | None = None


@strawberry.type
class DataRowEdge:
    cursor: str
    node: DataRow


@strawberry.type
class DataRowConnection:
    nodes: list[DataRow]
    page_info: PageInfo
    _page: Private[Page]
    _count: Private[Any]

    @pure_field(description="The nodes with their cursors (encoded only when selected).")
    def edges(self) -> list[DataRowEdge]:
        return [DataRowEdge(cursor=c, node=n) for c, n in zip(self._page.cursors, self.nodes, strict=True)]

    @strawberry.field(description="Rows matching the whole filter (computed only when selected).")
    async def total_count(self) -> int:
        return int(await self._count())
