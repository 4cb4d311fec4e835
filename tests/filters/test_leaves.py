"""Leaves the export line cannot show (last activity) and equivalences: enum names vs ids, literal wildcards."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.factory.filters import CatalogSpec
from tests.utils.client import GraphQLClient

QUERY = "query($f: DataRowFilter) { dataRows(filter: $f, first: 1000) { totalCount nodes { id } } }"


async def ids(gql: GraphQLClient, tree: dict[str, Any]) -> set[str]:
    return {n["id"] for n in (await gql.data(QUERY, {"f": tree}))["dataRows"]["nodes"]}


async def test_last_activity_range_in_a_project(gql: GraphQLClient, catalog: CatalogSpec) -> None:
    project = catalog.names["proj-b"]
    since = datetime(2024, 1, 21)
    expected = {
        m["data_row_id"]
        for m in catalog.rows["projectdatarow"]
        if m["project_id"] == project and m["last_activity_at"] >= since
    }
    tree = {"project": {"projectId": project, "lastActivityAt": {"gte": "2024-01-21T00:00:00Z"}}}
    assert await ids(gql, tree) == expected
    assert 0 < len(expected) < 60


async def test_enum_options_by_name_or_id_select_the_same_rows(gql: GraphQLClient, catalog: CatalogSpec) -> None:
    by_name = await ids(gql, {"metadata": {"name": "weather", "in": ["sunny", "snowy"]}})
    by_id = await ids(
        gql, {"metadata": {"schemaId": catalog.names["weather"], "in": [catalog.names["sunny"], "snowy"]}}
    )
    expected = {
        v["data_row_id"]
        for v in catalog.rows["metadatavalue"]
        if v["option_id"] in (catalog.names["sunny"], catalog.names["snowy"])
    }
    assert by_name == by_id == expected


async def test_contains_treats_wildcards_literally(gql: GraphQLClient, catalog: CatalogSpec) -> None:
    percent = await ids(gql, {"metadata": {"name": "caption", "contains": "a%"}})
    expected = {
        v["data_row_id"] for v in catalog.rows["metadatavalue"] if v["string_value"] and "a%" in v["string_value"]
    }
    assert percent == expected and expected


async def test_max_count_with_min_zero_keeps_rows_without_the_feature(gql: GraphQLClient, catalog: CatalogSpec) -> None:
    cars: dict[str, int] = {}
    for f in catalog.rows["labelfeature"]:
        if f["name"] == "Car":
            cars[f["data_row_id"]] = cars.get(f["data_row_id"], 0) + f["count"]
    expected = {r["id"] for r in catalog.rows["datarow"] if cars.get(r["id"], 0) <= 1}
    assert await ids(gql, {"annotation": {"name": "Car", "minCount": 0, "maxCount": 1}}) == expected
    assert 0 < len(expected) < 120
