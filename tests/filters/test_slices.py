"""Slices through GraphQL; dataRows(slice:) and exportDataRows(slice:) read them; slice + filter = AND."""

from __future__ import annotations

from typing import Any

import orjson

from tests.factory.filters import CatalogSpec
from tests.utils.client import GraphQLClient
from tests.utils.statements import count_statements

CREATE = "mutation($n: String!, $f: DataRowFilter!) { createSlice(name: $n, filter: $f) { id name filter rowCount } }"
UPDATE = (
    "mutation($id: ID!, $n: String, $f: DataRowFilter) { updateSlice(id: $id, name: $n, filter: $f) { name rowCount } }"
)
ROWS = "query($s: ID, $f: DataRowFilter) { dataRows(slice: $s, filter: $f, first: 1000) { totalCount nodes { id } } }"
SCORE = {"metadata": {"name": "score", "gte": 2}}


async def create(gql: GraphQLClient, tree: dict[str, Any], name: str = "high score") -> dict[str, Any]:
    return (await gql.data(CREATE, {"n": name, "f": tree}))["createSlice"]


async def ids(gql: GraphQLClient, **variables: Any) -> set[str]:
    return {n["id"] for n in (await gql.data(ROWS, variables))["dataRows"]["nodes"]}


async def test_slice_selects_what_its_filter_selects(gql: GraphQLClient, catalog: CatalogSpec) -> None:
    created = await create(gql, SCORE)
    expected = await ids(gql, f=SCORE)
    assert created["filter"] == SCORE and created["name"] == "high score"
    assert created["rowCount"] == len(expected) > 0
    assert await ids(gql, s=created["id"]) == expected


async def test_slice_and_filter_together_mean_both(gql: GraphQLClient, catalog: CatalogSpec) -> None:
    created = await create(gql, SCORE)
    images = {"mediaTypes": ["IMAGE"]}
    both = await ids(gql, s=created["id"], f=images)
    assert both == (await ids(gql, f=SCORE)) & (await ids(gql, f=images))
    assert 0 < len(both) < created["rowCount"]


async def test_export_of_a_slice_writes_its_rows(gql: GraphQLClient, catalog: CatalogSpec) -> None:
    created = await create(gql, SCORE)
    task = await gql.data("mutation($s: ID) { exportDataRows(slice: $s) { id } }", {"s": created["id"]})
    done = await gql.wait_export(task["exportDataRows"]["id"])
    exported = {orjson.loads(line)["data_row"]["id"] for line in done["ndjson"].splitlines()}
    assert exported == await ids(gql, f=SCORE)


async def test_listing_update_and_delete(gql: GraphQLClient, catalog: CatalogSpec) -> None:
    first = await create(gql, SCORE, "a")
    second = await create(gql, {"mediaTypes": ["VIDEO"]}, "b")
    listing = (await gql.data("{ slices { id name rowCount } }"))["slices"]
    assert listing == [{"id": s["id"], "name": s["name"], "rowCount": s["rowCount"]} for s in (first, second)]
    updated = await gql.data(UPDATE, {"id": first["id"], "n": "videos", "f": {"mediaTypes": ["VIDEO"]}})
    assert updated["updateSlice"] == {"name": "videos", "rowCount": second["rowCount"]}
    deleted = await gql.data("mutation($id: ID!) { deleteSlice(id: $id) }", {"id": first["id"]})
    assert deleted == {"deleteSlice": first["id"]}
    assert await gql.data("query($id: ID!) { slice(id: $id) { name } }", {"id": first["id"]}) == {"slice": None}
    again = await gql.error("mutation($id: ID!) { deleteSlice(id: $id) }", {"id": first["id"]})
    assert again["extensions"] == {"code": "NOT_FOUND", "field": "id"}


async def test_a_bad_filter_is_never_saved(gql: GraphQLClient, catalog: CatalogSpec) -> None:
    error = await gql.error(CREATE, {"n": "x", "f": {"metadata": {"name": "nope", "exists": True}}})
    assert error["extensions"] == {"code": "NOT_FOUND", "field": "filter.metadata.name"}
    blank = await gql.error(CREATE, {"n": "  ", "f": SCORE})
    assert blank["extensions"] == {"code": "BAD_USER_INPUT", "field": "name"}
    assert (await gql.data("{ slices { id } }"))["slices"] == []


async def test_row_count_is_only_counted_when_selected(gql: GraphQLClient, engine: Any, catalog: CatalogSpec) -> None:
    await create(gql, SCORE)
    with count_statements(engine) as counter:
        await gql.data("{ slices { id name } }")
    assert not any("count(" in s for s in counter.statements)
    with count_statements(engine) as counter:
        await gql.data("{ slices { rowCount } }")
    assert sum("count(" in s for s in counter.statements) == 1
