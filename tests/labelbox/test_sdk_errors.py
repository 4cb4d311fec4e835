"""What the SDK raises when we cannot answer: its own exception types, carrying our message and code."""

from __future__ import annotations

import pytest
from labelbox.schema.media_type import MediaType
from lbox.exceptions import AuthenticationError, InvalidQueryError, LabelboxError, ResourceNotFoundError

from tests.labelbox.live import LiveServer


def test_unknown_ids_are_resource_not_found(live: LiveServer) -> None:
    client = live.sdk()
    for lookup in (client.get_dataset, client.get_project, client.get_model_run, client.get_catalog_slice):
        with pytest.raises(ResourceNotFoundError):
            lookup("cnope00000000000000000000")


def test_media_type_override_is_refused(live: LiveServer) -> None:
    dataset = live.sdk().get_dataset(live.catalog.dataset_id)
    with pytest.raises(LabelboxError) as caught:
        dataset.export(params={"media_type_override": MediaType.Image})
    assert "params.mediaTypeOverride is not supported" in caught.value.message
    assert "'code': 'BAD_USER_INPUT'" in caught.value.message


def test_model_run_details_are_refused(live: LiveServer) -> None:
    run = live.sdk().get_model_run(live.catalog.model_run_id)
    with pytest.raises(LabelboxError, match=r"params\.includeModelRunDetails is not supported"):
        run.export(params={"model_run_details": True})


def test_project_only_filters_on_the_catalog_are_refused(live: LiveServer) -> None:
    with pytest.raises(LabelboxError, match="workflow_status filters only apply to a project export"):
        live.sdk().get_catalog().export(filters={"workflow_status": "Done"})


def test_an_operation_we_do_not_serve_is_an_invalid_query(live: LiveServer) -> None:
    with pytest.raises(InvalidQueryError, match="Cannot query field 'labels' on type 'Dataset'"):
        live.sdk().execute("query ($id: ID!) { dataset(where: {id: $id}) { labels { id } } }", {"id": "x"})


def test_lookups_read_our_records(live: LiveServer) -> None:
    cat = live.catalog
    client = live.sdk()
    dataset = client.get_dataset(cat.dataset_id)
    assert (dataset.name, dataset.row_count, dataset.created_at.isoformat()) == (
        "dataset 1",
        5,
        "2024-01-31T12:00:00+00:00",
    )
    project = client.get_project(cat.project_id)
    assert (project.name, project.media_type, project.data_row_count) == ("project 1", MediaType.Image, 5)
    assert project.last_activity_time.isoformat() == "2024-02-24T12:00:00+00:00"
    run = client.get_model_run(cat.model_run_id)
    assert (run.name, run.model_id) == ("run 1", "cmodel0000000000000000001")


def test_a_wrong_key_is_an_authentication_error(live: LiveServer) -> None:
    with pytest.raises(AuthenticationError):
        live.sdk(api_key="ce_not-a-real-key").get_dataset(live.catalog.dataset_id)
