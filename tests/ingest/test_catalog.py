"""Datasets, data rows, attachments and metadata through HTTP: happy paths, errors, atomicity, statement counts."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from server.ingest.catalog import create_dataset
from server.models import Attachment, DataRow, MetadataValue
from server.orgs import ensure_organization
from tests.ingest import ops
from tests.ingest.golden_catalog import Ids
from tests.ingest.rows import count_rows
from tests.utils.client import GraphQLClient
from tests.utils.statements import count_statements

ROW_QUERY = (
    "query($id: ID!) { dataRow(id: $id) { id rowData globalKey externalId mediaAttributes "
    "attachments { type value name } metadataFields { schemaName value } } }"
)


def rows(n: int, **extra: Any) -> list[dict[str, Any]]:
    return [
        {"rowData": f"https://example.com/{i}.jpg", "mediaType": "IMAGE", "globalKey": f"k{i}", **extra}
        for i in range(n)
    ]


async def dataset(gql: GraphQLClient) -> str:
    return (await gql.data(ops.CREATE_DATASET, {"name": "d"}))["createDataset"]["id"]


async def test_create_and_update_dataset(gql: GraphQLClient) -> None:
    ds = await dataset(gql)
    updated = await gql.data(ops.UPDATE_DATASET, {"id": ds, "name": "renamed", "d": "about"})
    assert updated["updateDataset"] == {"id": ds, "name": "renamed", "description": "about"}
    found = await gql.data("query($id: ID!) { dataset(id: $id) { name description } }", {"id": ds})
    assert found["dataset"] == {"name": "renamed", "description": "about"}


async def test_created_rows_read_back_with_attachments_and_metadata(gql: GraphQLClient, golden: Ids) -> None:
    row = (await gql.data(ROW_QUERY, {"id": golden["ROW1"]}))["dataRow"]
    assert row["globalKey"] == "gk-1" and row["externalId"] == "ext-1"
    assert row["mediaAttributes"] == {"width": 640, "height": 480, "mime_type": "image/jpeg"}  # given as mimeType
    assert row["attachments"] == [
        {"type": "IMAGE_OVERLAY", "value": "https://example.com/o.png", "name": "overlay"},
        {"type": "TEXT", "value": "hello", "name": None},
    ]
    assert [m["schemaName"] for m in row["metadataFields"]] == ["tag", "score", "captured", "split", "clip"]


async def test_update_data_row_replaces_fields_and_metadata(gql: GraphQLClient, golden: Ids) -> None:
    changes = {"globalKey": "gk-new", "mediaAttributes": {"w": 1}, "metadataFields": [{"name": "tag", "value": "b"}]}
    assert (await gql.data(ops.UPDATE_ROW, {"id": golden["ROW1"], "c": changes}))["updateDataRow"] == golden["ROW1"]
    row = (await gql.data(ROW_QUERY, {"id": golden["ROW1"]}))["dataRow"]
    assert (row["globalKey"], row["mediaAttributes"], row["rowData"]) == (
        "gk-new",
        {"w": 1},
        "https://example.com/1.jpg",
    )
    assert row["metadataFields"] == [{"schemaName": "tag", "value": "b"}]


async def test_update_data_row_rejects_a_taken_global_key(gql: GraphQLClient, golden: Ids) -> None:
    error = await gql.error(ops.UPDATE_ROW, {"id": golden["ROW1"], "c": {"globalKey": "gk-2"}})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "globalKey"}
    assert error["message"] == "Global key 'gk-2' is already used by another data row."


async def test_more_than_1000_rows_is_limit_exceeded(gql: GraphQLClient) -> None:
    error = await gql.error(ops.CREATE_ROWS, {"ds": await dataset(gql), "rows": rows(1001)})
    assert error["extensions"] == {"code": "LIMIT_EXCEEDED", "field": "rows"}
    assert error["message"] == "1001 items given; one call takes at most 1000. Split the input."


async def test_unknown_dataset_is_not_found(gql: GraphQLClient) -> None:
    error = await gql.error(ops.CREATE_ROWS, {"ds": "nope", "rows": rows(1)})
    assert error["extensions"] == {"code": "NOT_FOUND", "field": "datasetId"}
    assert error["message"] == "Dataset 'nope' does not exist."


async def test_another_organizations_dataset_is_not_found(gql: GraphQLClient, engine: AsyncEngine) -> None:
    other = await ensure_organization(engine, "other")
    foreign = await create_dataset(engine, organization_id=other, name="theirs")
    error = await gql.error(ops.CREATE_ROWS, {"ds": foreign, "rows": rows(1)})
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert (await gql.data("query($id: ID!) { dataset(id: $id) { id } }", {"id": foreign}))["dataset"] is None


async def test_duplicate_global_key_in_one_call(gql: GraphQLClient) -> None:
    error = await gql.error(ops.CREATE_ROWS, {"ds": await dataset(gql), "rows": rows(2, globalKey="same")})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "rows.1"}
    assert error["message"] == "Global key 'same' appears twice in this call."


async def test_metadata_value_of_the_wrong_kind(gql: GraphQLClient, golden: Ids) -> None:
    bad = rows(3)
    bad[2]["metadataFields"] = [{"name": "tag", "value": "ok"}, {"name": "score", "value": "high"}]
    error = await gql.error(ops.CREATE_ROWS, {"ds": golden["DS"], "rows": bad})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "rows.2.metadataFields.1.value"}
    assert error["message"] == "Metadata 'score' is NUMBER: its value must be a finite number."


async def test_enum_metadata_needs_one_of_its_options(gql: GraphQLClient, golden: Ids) -> None:
    bad = rows(1, metadataFields=[{"name": "split", "value": "test"}])
    error = await gql.error(ops.CREATE_ROWS, {"ds": golden["DS"], "rows": bad})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "rows.0.metadataFields.0.value"}
    assert error["message"] == "Metadata 'split' is ENUM: its value must be the name or id of one of its options."


async def test_unknown_metadata_schema_is_not_found(gql: GraphQLClient, golden: Ids) -> None:
    error = await gql.error(
        ops.CREATE_ROWS, {"ds": golden["DS"], "rows": rows(1, metadataFields=[{"name": "x", "value": 1}])}
    )
    assert error["extensions"] == {"code": "NOT_FOUND", "field": "rows.0.metadataFields.0.name"}
    assert error["message"] == "MetadataSchema 'x' does not exist."


async def test_a_call_with_one_bad_row_writes_nothing(gql: GraphQLClient, golden: Ids, engine: AsyncEngine) -> None:
    before = [await count_rows(engine, m) for m in (DataRow, Attachment, MetadataValue)]
    batch = rows(50, attachments=[{"type": "TEXT", "value": "x"}], metadataFields=[{"name": "tag", "value": "t"}])
    batch[49]["metadataFields"] = [{"name": "captured", "value": "yesterday"}]
    error = await gql.error(ops.CREATE_ROWS, {"ds": golden["DS"], "rows": batch})
    assert error["extensions"]["field"] == "rows.49.metadataFields.0.value"
    assert [await count_rows(engine, m) for m in (DataRow, Attachment, MetadataValue)] == before


async def test_a_global_key_already_stored_writes_nothing(gql: GraphQLClient, golden: Ids, engine: AsyncEngine) -> None:
    batch = rows(3)
    batch[1]["globalKey"] = "gk-1"
    error = await gql.error(ops.CREATE_ROWS, {"ds": golden["DS"], "rows": batch})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "rows.1"}
    assert await count_rows(engine, DataRow) == 3


async def test_create_data_rows_statement_count_does_not_grow_with_rows(
    gql: GraphQLClient, golden: Ids, engine: AsyncEngine
) -> None:
    extra = {"attachments": [{"type": "TEXT", "value": "x"}], "metadataFields": [{"name": "tag", "value": "t"}]}
    counts = []
    for n, prefix in ((5, "a"), (500, "b")):
        batch = [{**r, "globalKey": prefix + r["globalKey"]} for r in rows(n, **extra)]
        with count_statements(engine) as counter:
            created = (await gql.data(ops.CREATE_ROWS, {"ds": golden["DS"], "rows": batch}))["createDataRows"]
        assert len(created) == n
        counts.append(counter.count)
    assert counts[0] == counts[1] == 11  # dataset, global keys, schemas, three inserts, search documents (5)


async def test_metadata_schemas_with_options_and_listing(gql: GraphQLClient, golden: Ids) -> None:
    listing = await gql.data("{ metadataSchemas { nodes { name kind options { name kind } } } }")
    by_name = {s["name"]: s for s in listing["metadataSchemas"]["nodes"]}
    assert sorted(by_name) == ["captured", "clip", "score", "split", "tag"]
    assert by_name["split"] == {
        "name": "split",
        "kind": "ENUM",
        "options": [{"name": "train", "kind": "OPTION"}, {"name": "valid", "kind": "OPTION"}],
    }


async def test_enum_schema_without_options_is_rejected(gql: GraphQLClient) -> None:
    error = await gql.error(ops.CREATE_SCHEMA, {"name": "e", "kind": "ENUM"})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "options"}
    assert error["message"] == "ENUM schemas need at least one option; other kinds take none."


async def test_datasets_listing_pages_by_id(gql: GraphQLClient) -> None:
    made = sorted([await dataset(gql) for _ in range(3)])
    query = "query($a: String) { datasets(first: 2, after: $a) { nodes { id } pageInfo { hasNextPage endCursor } } }"
    first = (await gql.data(query))["datasets"]
    assert [n["id"] for n in first["nodes"]] == made[:2] and first["pageInfo"] == {
        "hasNextPage": True,
        "endCursor": made[1],
    }
    second = (await gql.data(query, {"a": first["pageInfo"]["endCursor"]}))["datasets"]
    assert [n["id"] for n in second["nodes"]] == made[2:] and second["pageInfo"]["hasNextPage"] is False


async def test_media_attributes_must_be_an_object(gql: GraphQLClient, golden: Ids) -> None:
    error = await gql.error(
        ops.CREATE_ROWS,
        {"ds": golden["DS"], "rows": [*rows(1), {**rows(1)[0], "globalKey": "other", "mediaAttributes": [1]}]},
    )
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "rows.1.mediaAttributes"}
    assert error["message"] == "mediaAttributes must be a JSON object."


async def test_media_attribute_named_twice_is_refused(gql: GraphQLClient, golden: Ids) -> None:
    twice = {**rows(1)[0], "globalKey": "twice", "mediaAttributes": {"mimeType": "image/png", "mime_type": "image/png"}}
    error = await gql.error(ops.CREATE_ROWS, {"ds": golden["DS"], "rows": [*rows(1), twice]})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "rows.1.mediaAttributes"}
    assert error["message"] == "mediaAttributes names one attribute twice (in camelCase and snake_case)."
