"""The Labelbox SDK's exports from a live server, as cases that run on every server the tests start (local files and
object storage)."""

from __future__ import annotations

from typing import Any

from labelbox.schema.export_task import ExportTask, StreamType

from tests.labelbox.live import LiveServer

# Every SDK option on, and what it means in our ExportParams (media attributes: always, as Labelbox lines have them).
SDK_ALL = {
    "attachments": True,
    "embeddings": True,
    "metadata_fields": True,
    "data_row_details": True,
    "project_details": True,
    "label_details": True,
    "performance_details": True,
    "interpolated_frames": True,
    "predictions": True,
    "all_projects": True,
    "all_model_runs": True,
}
NATIVE_ALL = {
    "attachments": True,
    "embeddings": True,
    "metadataFields": True,
    "dataRowDetails": True,
    "mediaAttributes": True,
    "projectDetails": True,
    "labelDetails": True,
    "performanceDetails": True,
    "interpolatedFrames": True,
    "predictions": True,
    "allProjects": True,
    "allModelRuns": True,
}
MEDIA = {"mediaAttributes": True}


def sdk_lines(task: ExportTask, stream: StreamType = StreamType.RESULT) -> list[dict[str, Any]]:
    task.wait_till_done()
    assert task.status == "COMPLETE"
    return [output.json for output in task.get_buffered_stream(stream)]


def ids(lines: list[dict[str, Any]]) -> list[str]:
    return [line["data_row"]["id"] for line in lines]


def dataset_export_with_every_option(live: LiveServer) -> None:
    cat = live.catalog
    task = live.sdk().get_dataset(cat.dataset_id).export(params=SDK_ALL)
    lines = sdk_lines(task)
    assert ids(lines) == cat.row_ids
    assert lines == live.native(filter={"datasetIds": [cat.dataset_id]}, params=NATIVE_ALL)
    assert lines[2]["projects"][cat.project_id]["labels"][0]["label_details"]["created_by"] == "labeler@example.com"
    assert task.has_errors() is False


def error_stream_and_has_errors(live: LiveServer) -> None:
    cat = live.catalog
    task = live.sdk().get_dataset(cat.other_dataset_id).export()
    lines = sdk_lines(task)
    assert ids(lines) == cat.other_row_ids
    assert task.has_errors() is True
    errors = sdk_lines(task, StreamType.ERRORS)
    assert [e["data_row_id"] for e in errors] == [cat.broken_row_id]
    native = {"filter": {"datasetIds": [cat.other_dataset_id]}, "params": MEDIA}
    assert lines == live.native(**native)
    assert errors == live.native(stream="errorsUrl", **native)
