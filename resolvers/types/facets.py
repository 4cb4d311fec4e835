"""DataRowFacets: how the matching rows break down per dataset, media type, project, model run, annotation class and
enum metadata option (only values with matching rows, most rows first)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import ID

from resolvers.enums import MediaType, WorkflowStatus
from server.facets.breakdown import Breakdown
from server.facets.names import Names
from server.filters.leaves.project import WORKFLOW_STATUSES


@strawberry.type(description="Matching rows in one dataset.")
class DatasetFacet:
    id: ID
    name: str | None
    count: int


@strawberry.type(description="Matching rows of one media type.")
class MediaTypeFacet:
    media_type: MediaType
    count: int


@strawberry.type(description="Matching rows of a project in one workflow status.")
class WorkflowStatusFacet:
    status: WorkflowStatus
    count: int


@strawberry.type(
    description="Matching rows in one project: `count` in its queue (per workflow status in `statuses`), "
    "`labeledCount` with a label there (the projects an export of these rows can take labels from)."
)
class ProjectFacet:
    id: ID
    name: str | None
    count: int
    labeled_count: int
    statuses: list[WorkflowStatusFacet]


@strawberry.type(description="Matching rows in one model run.")
class ModelRunFacet:
    id: ID
    name: str | None
    model_id: ID | None
    model_name: str | None
    count: int


@strawberry.type(description="Matching rows with at least one annotation (label or prediction) of a feature schema.")
class AnnotationClassFacet:
    feature_schema_id: ID
    name: str | None
    count: int


@strawberry.type(description="Matching rows holding one option of an enum metadata schema.")
class MetadataOptionFacet:
    schema_id: ID | None
    schema_name: str | None
    option_id: ID
    option_name: str | None
    count: int


@strawberry.type(description="How the rows matching a filter and/or slice break down.")
class DataRowFacets:
    total_count: int
    from_facet_arrays: bool = strawberry.field(
        description="True when the facet arrays answered (rows changed since their build counted by SQL); "
        "false when SQL GROUP BY did (a filter the arrays do not cover: ids, text, dates, search...)."
    )
    datasets: list[DatasetFacet]
    media_types: list[MediaTypeFacet]
    projects: list[ProjectFacet]
    model_runs: list[ModelRunFacet]
    annotation_classes: list[AnnotationClassFacet]
    metadata_options: list[MetadataOptionFacet]


def _ranked(counts: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _name(names: Names, ident: str, at: int = 0) -> Any:
    found = names.get(ident)
    return None if found is None else found[at]


def _project(ident: str, counts: Breakdown, names: Names) -> ProjectFacet:
    statuses: dict[str, int] = counts.projects.get(ident, {})
    return ProjectFacet(
        id=ID(ident),
        name=_name(names, ident),
        count=sum(statuses.values()),
        labeled_count=counts.labeled.get(ident, 0),
        statuses=[
            WorkflowStatusFacet(status=WorkflowStatus(s), count=statuses[s])
            for s in WORKFLOW_STATUSES
            if statuses.get(s)
        ],
    )


def data_row_facets(counts: Breakdown, names: dict[str, Names]) -> DataRowFacets:
    projects = [_project(p, counts, names["projects"]) for p in counts.projects.keys() | counts.labeled.keys()]
    runs, options = names["model_runs"], names["options"]
    return DataRowFacets(
        total_count=counts.total,
        from_facet_arrays=counts.from_arrays,
        datasets=[
            DatasetFacet(id=ID(i), name=_name(names["datasets"], i), count=n) for i, n in _ranked(counts.datasets)
        ],
        media_types=[MediaTypeFacet(media_type=MediaType(m), count=n) for m, n in _ranked(counts.media_types)],
        projects=sorted(projects, key=lambda p: (-p.count, -p.labeled_count, p.id)),
        model_runs=[
            ModelRunFacet(
                id=ID(i), name=_name(runs, i), model_id=_name(runs, i, 1), model_name=_name(runs, i, 2), count=n
            )
            for i, n in _ranked(counts.model_runs)
        ],
        annotation_classes=[
            AnnotationClassFacet(feature_schema_id=ID(i), name=_name(names["features"], i), count=n)
            for i, n in _ranked(counts.features)
        ],
        metadata_options=[
            MetadataOptionFacet(
                schema_id=_name(options, i, 1),
                schema_name=_name(options, i, 2),
                option_id=ID(i),
                option_name=_name(options, i),
                count=n,
            )
            for i, n in _ranked(counts.options)
        ],
    )
