"""Models, model runs, run labels/predictions and embeddings through HTTP."""

from __future__ import annotations

import math
import struct

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from server.errors import CatalogError
from server.ingest.modeling import set_embeddings
from server.models import DataRowEmbedding
from tests.ingest import ops
from tests.ingest.golden_catalog import Ids, image_annotations
from tests.utils.client import GraphQLClient


async def test_models_listing_and_lookups(gql: GraphQLClient, golden: Ids) -> None:
    listing = await gql.data("{ models { nodes { id name ontologyId modelRuns { id name modelId } } } }")
    run = {"id": golden["R"], "name": "run-1", "modelId": golden["M"]}
    assert listing["models"]["nodes"] == [
        {"id": golden["M"], "name": "detector", "ontologyId": golden["ONT"], "modelRuns": [run]}
    ]
    found = await gql.data("query($id: ID!) { modelRun(id: $id) { id name modelId } }", {"id": golden["R"]})
    assert found["modelRun"] == run


async def test_model_run_rows_get_new_annotation_groups(gql: GraphQLClient, golden: Ids) -> None:
    run = (await gql.data(ops.CREATE_RUN, {"m": golden["M"], "name": "run-2"}))["createModelRun"]["id"]
    added = (await gql.data(ops.ADD_TO_RUN, {"r": run, "ids": [golden["ROW3"]]}))["addDataRowsToModelRun"]
    assert added[0]["dataRowId"] == golden["ROW3"] and len(added[0]["annotationGroupId"]) == 25
    assert added[0]["annotationGroupId"] not in (golden["ROW3"], golden["AG1"], golden["AG2"])
    error = await gql.error(ops.ADD_TO_RUN, {"r": run, "ids": [golden["ROW3"]]})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "dataRowIds.0"}


async def test_model_run_label_needs_the_row_in_the_run(gql: GraphQLClient, golden: Ids) -> None:
    labels = [{"dataRowId": golden["ROW3"], "annotations": image_annotations(golden)}]
    error = await gql.error(ops.RUN_LABELS, {"r": golden["R"], "labels": labels, "src": "PREDICTION"})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "labels.0.dataRowId"}
    assert error["message"] == (
        f"Data row '{golden['ROW3']}' is not in this model run; add it with addDataRowsToModelRun first."
    )


async def test_model_run_labels_are_validated_against_the_models_ontology(gql: GraphQLClient, golden: Ids) -> None:
    annotations = image_annotations(golden)
    annotations["objects"][0]["feature_schema_id"] = "nope"
    labels = [{"dataRowId": golden["ROW1"], "annotations": annotations}]
    error = await gql.error(ops.RUN_LABELS, {"r": golden["R"], "labels": labels})
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "labels.0.annotations.objects.0.feature_schema_id",
    }


async def test_unknown_model_is_not_found(gql: GraphQLClient) -> None:
    error = await gql.error(ops.CREATE_RUN, {"m": "nope", "name": "r"})
    assert error["extensions"] == {"code": "NOT_FOUND", "field": "modelId"}
    assert error["message"] == "Model 'nope' does not exist."


async def test_embeddings_are_float32_little_endian(gql: GraphQLClient, golden: Ids, engine: AsyncEngine) -> None:
    vectors = [{"dataRowId": golden["ROW1"], "vector": [1.5, 0.0, -2.0]}]
    assert (await gql.data(ops.SET_EMBEDDINGS, {"e": golden["E"], "v": vectors}))["setEmbeddings"] == 1
    t = DataRowEmbedding.__table__.c
    async with engine.connect() as conn:
        stmt = select(t.vector).where(t.data_row_id == golden["ROW1"], t.embedding_id == golden["E"])
        (blob,) = (await conn.execute(stmt)).scalars().all()
    assert blob == struct.pack("<3f", 1.5, 0.0, -2.0)


@pytest.mark.parametrize(
    ("vector", "message"),
    [
        ([1.0, 2.0], "The vector has 2 values; this embedding has 3 dimensions."),
        ([], "The vector has 0 values; this embedding has 3 dimensions."),
        ([1.0, 2.0, 1e300], "Vector values must fit a 32-bit float."),
    ],
)
async def test_bad_vectors_are_rejected(gql: GraphQLClient, golden: Ids, vector: list, message: str) -> None:
    vectors = [
        {"dataRowId": golden["ROW2"], "vector": [0.0, 0.0, 0.0]},
        {"dataRowId": golden["ROW1"], "vector": vector},
    ]
    error = await gql.error(ops.SET_EMBEDDINGS, {"e": golden["E"], "v": vectors})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "vectors.1.vector"}
    assert error["message"] == message


@pytest.mark.parametrize("value", [math.nan, math.inf])
async def test_non_finite_vectors_are_rejected(engine: AsyncEngine, org_id: str, golden: Ids, value: float) -> None:
    vectors = [{"data_row_id": golden["ROW1"], "vector": [1.0, value, 2.0]}]
    with pytest.raises(CatalogError) as caught:
        await set_embeddings(engine, organization_id=org_id, embedding_id=golden["E"], vectors=vectors)
    assert (caught.value.code, caught.value.path) == ("BAD_USER_INPUT", "vectors.0.vector")
    assert caught.value.message == "Vector values must be finite numbers (no NaN or infinity)."


async def test_vectors_of_an_unknown_row_are_not_found(gql: GraphQLClient, golden: Ids) -> None:
    error = await gql.error(ops.SET_EMBEDDINGS, {"e": golden["E"], "v": [{"dataRowId": "ghost", "vector": [1, 2, 3]}]})
    assert error["extensions"] == {"code": "NOT_FOUND", "field": "vectors.0.dataRowId"}
