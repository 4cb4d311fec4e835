"""server.labelbox: the SDK's search items, params and stream offsets in our terms (pure functions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from labelbox.schema.export_filters import build_filters

from server.errors import CatalogError
from server.export.params import ExportParams
from server.export.storage import LocalStorage
from server.labelbox.dates import sdk_datetime, to_iso
from server.labelbox.files import FileSlice, Header, header, line_at, rest_of_stream
from server.labelbox.params import export_params
from server.labelbox.search import search_filter

UTC_DAY = {"operator": "BETWEEN", "timezone": "UTC", "value": {"min": "2024-01-01", "max": "2024-01-31 23:59:59"}}
DAY_RANGE = {"gte": "2024-01-01T00:00:00.000+00:00", "lte": "2024-01-31T23:59:59.000+00:00"}


def sdk_items(filters: dict[str, Any]) -> list[dict[str, Any]]:
    """What the SDK itself sends for these filters (no dates: those ask the server for the user's time zone)."""
    return build_filters(None, filters)


def refused(call: Any, *args: Any, **kwargs: Any) -> CatalogError:
    with pytest.raises(CatalogError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == "BAD_USER_INPUT"
    return caught.value


def test_ids_and_global_keys() -> None:
    assert search_filter(sdk_items({"data_row_ids": ["a", "b"]})) == {"ids": ["a", "b"]}
    assert search_filter(sdk_items({"global_keys": ["k"]})) == {"globalKeys": ["k"]}


def test_dataset_scope_joins_the_other_conditions() -> None:
    items = [*sdk_items({"global_keys": ["k"]}), {"ids": ["ds"], "operator": "is", "type": "dataset"}]
    assert search_filter(items) == {"and": [{"globalKeys": ["k"]}, {"datasetIds": ["ds"]}]}


def test_no_items_is_no_filter() -> None:
    assert search_filter(None) is None
    assert search_filter([]) is None


@pytest.mark.parametrize(
    ("sdk_status", "ours"),
    [("ToLabel", "TO_LABEL"), ("InReview", "IN_REVIEW"), ("InRework", "IN_REWORK"), ("Done", "DONE")],
)
def test_project_workflow_status(sdk_status: str, ours: str) -> None:
    items = sdk_items({"workflow_status": sdk_status, "batch_ids": ["b1"]})
    expected = {"project": {"projectId": "p", "batchIds": ["b1"], "workflowStatus": [ours]}}
    assert search_filter(items, project_id="p") == expected


def test_project_dates_are_conditions_in_that_project() -> None:
    items = [{"type": "labeled_at", "value": UTC_DAY}, {"type": "data_row_last_activity_at", "value": UTC_DAY}]
    project = {"projectId": "p", "labelCreatedAt": DAY_RANGE, "lastActivityAt": DAY_RANGE}
    assert search_filter(items, project_id="p") == {"project": project}


def test_catalog_dates_mean_any_project() -> None:
    assert search_filter([{"type": "labeled_at", "value": UTC_DAY}]) == {"project": {"labelCreatedAt": DAY_RANGE}}
    activity = search_filter([{"type": "data_row_last_activity_at", "value": UTC_DAY}])
    assert activity == {"or": [{"updatedAt": DAY_RANGE}, {"project": {"lastActivityAt": DAY_RANGE}}]}


def test_one_sided_ranges() -> None:
    since = {"operator": "GREATER_THAN_OR_EQUAL", "timezone": None, "value": "2024-05-01"}
    until = {"operator": "LESS_THAN_OR_EQUAL", "timezone": "UTC", "value": "2024-05-02T10:00:00+0000"}
    got = search_filter(
        [{"type": "labeled_at", "value": since}, {"type": "data_row_last_activity_at", "value": until}], "p"
    )
    assert got == {
        "project": {
            "projectId": "p",
            "labelCreatedAt": {"gte": "2024-05-01T00:00:00.000+00:00"},
            "lastActivityAt": {"lte": "2024-05-02T10:00:00.000+00:00"},
        }
    }


def test_dates_are_read_in_the_given_time_zone() -> None:
    assert to_iso("2024-01-31", "Europe/Paris", "f") == "2024-01-30T23:00:00.000+00:00"
    assert to_iso("2024-07-01 12:30:00", "America/New_York", "f") == "2024-07-01T16:30:00.000+00:00"
    assert to_iso("2024-07-01T12:30:00+0200", "Europe/Paris", "f") == "2024-07-01T10:30:00.000+00:00"


@pytest.mark.parametrize(
    ("items", "project_id", "message"),
    [
        ([{"type": "similarity"}], None, "filters.searchQuery.query.0.type 'similarity' is not a filter this server"),
        ([{"type": "dataset", "ids": ["d"], "operator": "is_not"}], None, "operator 'is_not' is not supported"),
        ([{"type": "batch", "ids": ["b"], "operator": "is"}], None, "batch filters only apply to a project export"),
        ([{"type": "task_queue_status", "status": "Done"}], None, "workflow_status filters only apply to a project"),
        ([{"type": "task_queue_status", "status": "Skipped"}], "p", "status 'Skipped' is not one of"),
        ([{"type": "data_row_id", "ids": []}], None, "ids must be a non-empty list of strings"),
        (
            [{"type": "labeled_at", "value": {**UTC_DAY, "operator": "EQUALS"}}],
            None,
            "operator 'EQUALS' is not supported",
        ),
        ([{"type": "labeled_at", "value": {**UTC_DAY, "timezone": "Mars/Olympus"}}], None, "not an IANA time zone"),
        (
            [{"type": "labeled_at", "value": {**UTC_DAY, "value": {"min": "31/01/2024", "max": "x"}}}],
            None,
            "'31/01/2024'",
        ),
        ([{"type": "batch", "ids": ["a"]}, {"type": "batch", "ids": ["b"]}], "p", "repeats a batchIds condition"),
    ],
)
def test_refused_items(items: list[Any], project_id: str | None, message: str) -> None:
    assert message in refused(search_filter, items, project_id).message


def test_params_map_every_sdk_option() -> None:
    sdk = {
        "includeAttachments": True,
        "includeEmbeddings": True,
        "includeMetadata": True,
        "includeDataRowDetails": True,
        "includeProjectDetails": True,
        "includePerformanceDetails": True,
        "includeLabelDetails": True,
        "includeInterpolatedFrames": True,
        "includePredictions": True,
        "allProjects": True,
        "allModelRuns": True,
        "projectIds": ["p1"],
        "modelRunIds": ["r1"],
        "mediaTypeOverride": None,
        "includeModelRunDetails": False,
    }
    expected = ExportParams(**ExportParams.everything().to_json() | {"project_ids": ("p1",), "model_run_ids": ("r1",)})
    assert export_params(sdk) == expected


def test_params_defaults_and_scoped_ids() -> None:
    assert export_params(None) == ExportParams(media_attributes=True)
    scoped = export_params({"projectIds": ["p", "q"]}, project_ids=["p"], model_run_ids=["r"])
    assert (scoped.project_ids, scoped.model_run_ids) == (("p", "q"), ("r",))


@pytest.mark.parametrize(
    ("sdk", "message"),
    [
        ({"mediaTypeOverride": "IMAGE"}, "params.mediaTypeOverride is not supported"),
        ({"includeModelRunDetails": True}, "params.includeModelRunDetails is not supported"),
    ],
)
def test_params_we_do_not_have_are_refused(sdk: dict[str, Any], message: str) -> None:
    assert message in refused(export_params, sdk).message


async def test_stream_offsets(tmp_path: Path) -> None:
    (tmp_path / "t.ndjson").write_bytes(b'{"a":1}\n{"b":22}\n{"c":333}\n')
    files = LocalStorage(tmp_path)
    head = await header(files, "t", False, 3)
    assert head == Header(total_size=27, total_lines=3)
    assert await rest_of_stream(files, "t", False, head, 0) == FileSlice(0, 26, 0, 2)
    assert (await line_at(files, "t", False, 8), await line_at(files, "t", False, 17)) == (1, 2)
    part = await rest_of_stream(files, "t", False, head, 17)
    assert (part.offset_start, part.offset_end, part.line_start, part.line_end) == (17, 26, 2, 2)
    with pytest.raises(CatalogError, match="inside a line"):
        await rest_of_stream(files, "t", False, head, 9)
    with pytest.raises(CatalogError, match="between 0 and 26"):
        await rest_of_stream(files, "t", False, head, 27)


async def test_empty_or_missing_stream_has_no_header(tmp_path: Path) -> None:
    (tmp_path / "empty.ndjson").write_bytes(b"")
    assert await header(LocalStorage(tmp_path), "empty", False, 0) is None
    assert await header(LocalStorage(tmp_path), "missing", False, 0) is None


def test_sdk_datetime_is_what_the_sdk_parses() -> None:
    assert sdk_datetime("2024-01-31 12:00:00") == "2024-01-31T12:00:00.000Z"
    assert sdk_datetime(None) is None
