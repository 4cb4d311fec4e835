"""The SDK's export `params` (includeAttachments … allModelRuns) → our ExportParams.

The SDK has no media-attributes switch (Labelbox lines always carry them), so SDK exports always include them.
Options we do not have are refused, never ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from server.errors import bad_input
from server.export.params import ExportParams

FLAGS = {
    "includeAttachments": "attachments",
    "includeEmbeddings": "embeddings",
    "includeMetadata": "metadata_fields",
    "includeDataRowDetails": "data_row_details",
    "includeProjectDetails": "project_details",
    "includePerformanceDetails": "performance_details",
    "includeLabelDetails": "label_details",
    "includeInterpolatedFrames": "interpolated_frames",
    "includePredictions": "predictions",
    "allProjects": "all_projects",
    "allModelRuns": "all_model_runs",
}
UNSUPPORTED = {
    "mediaTypeOverride": "this server exports each row with its stored media type; leave media_type_override unset",
    "includeModelRunDetails": "model run details are not stored here; leave model_run_details off",
}


def _refuse_unsupported(sdk: dict[str, Any], path: str) -> None:
    for key, why in UNSUPPORTED.items():
        if sdk.get(key):
            raise bad_input(f"{path}.{key} is not supported: {why}.", f"{path}.{key}")


def _ids(given: Any, implied: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*(given or ()), *implied]))


def export_params(
    sdk: dict[str, Any] | None,
    *,
    project_ids: Iterable[str] = (),
    model_run_ids: Iterable[str] = (),
    path: str = "params",
) -> ExportParams:
    """ExportParams for the SDK's params; a project or model run export adds its own id to the scoped ids."""
    given = {k: v for k, v in (sdk or {}).items() if v is not None}
    _refuse_unsupported(given, path)
    flags: dict[str, Any] = {ours: bool(given.get(theirs, False)) for theirs, ours in FLAGS.items()}
    return ExportParams(
        **flags,
        media_attributes=True,
        project_ids=_ids(given.get("projectIds"), project_ids),
        model_run_ids=_ids(given.get("modelRunIds"), model_run_ids),
    )
