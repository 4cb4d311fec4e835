"""The SDK's four export mutations: each becomes one of our export tasks (same planner, filters and worker)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

import strawberry
from strawberry import ID
from strawberry.scalars import JSON

from resolvers.context import Context
from resolvers.inputs import to_plain
from resolvers.labelbox import entities
from resolvers.mutations.exports import start_export
from server.errors import not_found
from server.export.tasks import ExportRequest
from server.labelbox.scopes import catalog_request, model_run_request, project_request, slice_request

Info = strawberry.Info[Context, None]


@strawberry.input(name="SearchQueryInput", description="The SDK's filters: a list of typed search items.")
class SearchQuery:
    scope: JSON | None = None
    query: list[JSON] | None = None


@strawberry.input(name="ExportParamsInput", description="The SDK's export params; unsupported ones are refused.")
class SdkExportParams:
    media_type_override: str | None = None
    include_attachments: bool | None = None
    include_embeddings: bool | None = None
    include_metadata: bool | None = None
    include_data_row_details: bool | None = None
    include_project_details: bool | None = None
    include_performance_details: bool | None = None
    include_label_details: bool | None = None
    include_interpolated_frames: bool | None = None
    include_predictions: bool | None = None
    include_model_run_details: bool | None = None
    project_ids: list[ID] | None = None
    model_run_ids: list[ID] | None = None
    all_projects: bool | None = None
    all_model_runs: bool | None = None


@strawberry.input(name="CatalogExportFiltersInput")
class CatalogFilters:
    search_query: SearchQuery | None = None


@strawberry.input(name="ProjectExportFiltersInput")
class ProjectFilters:
    project_id: ID
    search_query: SearchQuery | None = None


@strawberry.input(name="ModelRunExportFiltersInput")
class ModelRunFilters:
    model_run_id: ID


@strawberry.input(name="SliceExportFiltersInput")
class SliceFilters:
    slice_id: ID


def _export_input(name: str, filters: object) -> type:
    """One ExportDataRowsIn…Input: the same envelope around a scope-specific `filters`."""
    annotations = {
        "filters": filters,
        "params": SdkExportParams | None,
        "task_name": str | None,
        "is_streamable_ready": bool | None,
        "streamable": bool | None,
    }
    defaults = {k: None for k in annotations if k != "filters"}
    return strawberry.input(type(name, (), {"__annotations__": annotations, **defaults}), name=name)


if TYPE_CHECKING:  # the inputs are classes made at import; what the mutations read of them

    class _ExportInput(Protocol):
        filters: Any
        params: SdkExportParams | None

    CatalogInput: TypeAlias = _ExportInput
    ProjectInput: TypeAlias = _ExportInput
    ModelRunInput: TypeAlias = _ExportInput
    SliceInput: TypeAlias = _ExportInput
else:
    CatalogInput = _export_input("ExportDataRowsInCatalogInput", CatalogFilters | None)
    ProjectInput = _export_input("ExportDataRowsInProjectInput", ProjectFilters)
    ModelRunInput = _export_input("ExportDataRowsInModelRunInput", ModelRunFilters)
    SliceInput = _export_input("ExportDataRowsInSliceInput", SliceFilters)


@strawberry.type(name="ExportTaskCreated")
class ExportTaskCreated:
    task_id: ID
    is_streamable: bool = True


def _plain(value: Any) -> dict[str, Any] | None:
    return None if value is None else to_plain(value)


async def _start(ctx: Context, request: ExportRequest) -> ExportTaskCreated:
    """As exportDataRows: the same filter limits and export quota (resolvers.mutations.exports.start_export)."""
    return ExportTaskCreated(task_id=ID((await start_export(ctx, request)).id))


async def _require(ctx: Context, load: Callable[..., Awaitable[Any]], kind: str, ident: str, path: str) -> None:
    if await load(ctx.engine, ctx.organization_id, ident) is None:
        raise not_found(kind, ident, path)


@strawberry.type(name="Mutation")
class LabelboxMutation:
    @strawberry.mutation(description="dataset.export, catalog.export and DataRow.export.")
    async def export_data_rows_in_catalog(self, info: Info, input: CatalogInput) -> ExportTaskCreated:
        return await _start(info.context, catalog_request(_plain(input.filters), _plain(input.params)))

    @strawberry.mutation(description="project.export: rows in the project, its labels, optional search items.")
    async def export_data_rows_in_project(self, info: Info, input: ProjectInput) -> ExportTaskCreated:
        project_id = str(input.filters.project_id)
        await _require(info.context, entities.project, "Project", project_id, "input.filters.projectId")
        request = project_request(project_id, _plain(input.filters), _plain(input.params))
        return await _start(info.context, request)

    @strawberry.mutation(description="model_run.export: rows in the model run with its labels and predictions.")
    async def export_data_rows_in_model_run(self, info: Info, input: ModelRunInput) -> ExportTaskCreated:
        run_id = str(input.filters.model_run_id)
        await _require(info.context, entities.model_run, "ModelRun", run_id, "input.filters.modelRunId")
        return await _start(info.context, model_run_request(run_id, _plain(input.params)))

    @strawberry.mutation(description="slice.export: the rows of a catalog slice.")
    async def export_data_rows_in_slice(self, info: Info, input: SliceInput) -> ExportTaskCreated:
        return await _start(info.context, slice_request(str(input.filters.slice_id), _plain(input.params)))
