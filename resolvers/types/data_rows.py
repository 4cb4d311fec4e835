"""DataRow mirrors one export line: built from the same assembled dicts the export writes (plain attributes)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import ID, Private

from resolvers.execution import pure_field
from resolvers.scalars import JSON, DateTime
from server.loading.assemble import Line
from server.loading.pages import Page


@strawberry.type
class DataRowDetails:
    dataset_id: ID
    dataset_name: str
    created_at: DateTime
    updated_at: DateTime
    last_activity_at: DateTime
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


@strawberry.type(description="One vector of an embedding (Labelbox writes a list of them).")
class EmbeddingVector:
    value: list[float]


@strawberry.type(description="A data row's vector in one embedding space.")
class DataRowEmbedding:
    id: ID
    name: str
    dimensions: int
    is_custom: bool
    values: list[EmbeddingVector]


@strawberry.type
class LabelDetails:
    created_at: DateTime
    updated_at: DateTime
    created_by: str | None
    content_last_updated_at: DateTime
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


RENAMED = "Renamed as in the released Labelbox format: use `{}`."


@strawberry.type
class DataRowProject:
    id: ID
    name: str
    labels: list[ExportLabel]
    project_details: ProjectDetails | None = None

    @pure_field(deprecation_reason=RENAMED.format("name"))
    def project_name(self) -> str:
        return self.name


@strawberry.type(description="A model run holding the row (`experiments.<model>.runs.<run>` of a line).")
class DataRowModelRun:
    id: ID
    name: str
    run_data_row_id: ID = strawberry.field(description="The row's id inside this model run.")
    labels: list[ExportLabel]
    predictions: list[ExportLabel] | None = None

    @pure_field(deprecation_reason=RENAMED.format("name"))
    def model_run_name(self) -> str:
        return self.name

    @pure_field(deprecation_reason=RENAMED.format("runDataRowId"))
    def annotation_group_id(self) -> ID:
        return self.run_data_row_id


@strawberry.type(description="A model (an experiment) with the runs that hold the row.")
class DataRowModel:
    id: ID
    name: str
    runs: list[DataRowModelRun]

    @pure_field(deprecation_reason=RENAMED.format("name"))
    def model_name(self) -> str:
        return self.name

    @pure_field(deprecation_reason=RENAMED.format("runs"))
    def model_runs(self) -> list[DataRowModelRun]:
        return self.runs


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


def _embedding(e: Line) -> DataRowEmbedding:
    vectors = [EmbeddingVector(value=v["value"]) for v in e["values"]]
    return DataRowEmbedding(
        id=e["id"], name=e["name"], dimensions=e["dimensions"], is_custom=e["is_custom"], values=vectors
    )


def _project(pid: str, entry: Line) -> DataRowProject:
    details = entry.get("project_details")
    return DataRowProject(
        id=ID(pid),
        name=entry["name"],
        labels=[_label(lab) for lab in entry["labels"]],
        project_details=ProjectDetails(**details) if details else None,
    )


def _run(rid: str, run: Line) -> DataRowModelRun:
    predictions = run.get("predictions")
    return DataRowModelRun(
        id=ID(rid),
        name=run["name"],
        run_data_row_id=run["run_data_row_id"],
        labels=[_label(lab) for lab in run["labels"]],
        predictions=None if predictions is None else [_label(lab) for lab in predictions],
    )


def _model(mid: str, entry: Line) -> DataRowModel:
    runs = [_run(rid, run) for rid, run in entry["runs"].items()]
    return DataRowModel(id=ID(mid), name=entry["name"], runs=runs)


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
    embeddings: list[DataRowEmbedding] | None
    score: float | None = strawberry.field(default=None, description="Similarity or search score, when ranked.")
    _projects: Private[list[DataRowProject]]
    _models: Private[list[DataRowModel]]

    @pure_field(description="The projects this row is in (all, or those listed), with labels.")
    def projects(self, ids: list[ID] | None = None) -> list[DataRowProject]:
        return self._projects if ids is None else [p for p in self._projects if p.id in ids]

    @pure_field(
        description="The models (experiments) and their runs this row is in: all, or those whose model or run id "
        "is listed."
    )
    def experiments(self, ids: list[ID] | None = None) -> list[DataRowModel]:
        if ids is None:
            return self._models
        return [m for m in self._models if m.id in ids or any(r.id in ids for r in m.runs)]

    @pure_field(deprecation_reason=RENAMED.format("experiments"))
    def models(self, ids: list[ID] | None = None) -> list[DataRowModel]:
        return self.experiments(ids)

    @classmethod
    def from_line(cls, line: Line, score: float | None = None) -> DataRow:
        """One per row of a page: the sections a line has not got (most, on a page of scalar fields) cost a lookup
        each, no call."""
        row = line["data_row"]
        details = row.get("details")
        attachments = line.get("attachments")
        metadata = line.get("metadata_fields")
        embeddings = line.get("embeddings")
        projects, models = line["projects"], line["experiments"]
        return cls(
            id=ID(row["id"]),
            row_data=row["row_data"],
            global_key=row.get("global_key"),
            external_id=row.get("external_id"),
            details=DataRowDetails(**details) if details else None,
            media_attributes=line.get("media_attributes"),
            attachments=None if attachments is None else [Attachment(**a) for a in attachments],
            metadata_fields=None if metadata is None else [MetadataField(**m) for m in metadata],
            embeddings=None if embeddings is None else [_embedding(e) for e in embeddings],
            score=score,
            _projects=[_project(pid, entry) for pid, entry in projects.items()] if projects else [],
            _models=[_model(mid, entry) for mid, entry in models.items()] if models else [],
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
