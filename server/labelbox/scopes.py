"""One ExportRequest per SDK export scope (catalog/dataset/data rows, project, model run, slice)."""

from __future__ import annotations

from typing import Any

from server.export.tasks import ExportRequest
from server.labelbox.params import export_params
from server.labelbox.search import search_filter


def _items(filters: dict[str, Any] | None) -> list[Any] | None:
    return ((filters or {}).get("searchQuery") or {}).get("query")


def catalog_request(filters: dict[str, Any] | None, params: dict[str, Any] | None) -> ExportRequest:
    """exportDataRowsInCatalog: dataset.export, catalog.export and DataRow.export all land here."""
    return ExportRequest(filter=search_filter(_items(filters)), params=export_params(params))


def project_request(project_id: str, filters: dict[str, Any] | None, params: dict[str, Any] | None) -> ExportRequest:
    return ExportRequest(
        filter=search_filter(_items(filters), project_id=project_id),
        params=export_params(params, project_ids=[project_id]),
    )


def model_run_request(model_run_id: str, params: dict[str, Any] | None) -> ExportRequest:
    return ExportRequest(
        filter={"modelRunIds": [model_run_id]},
        params=export_params(params, model_run_ids=[model_run_id]),
    )


def slice_request(slice_id: str, params: dict[str, Any] | None) -> ExportRequest:
    return ExportRequest(slice_id=slice_id, params=export_params(params))
