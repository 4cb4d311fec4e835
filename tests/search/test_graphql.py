"""similarTo and search through GraphQL on both engines: dataRows, slices and exportDataRows equal brute force."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from server.errors import CatalogError
from server.models import DataRow
from server.query.scope import request_where
from server.search import semantic
from tests.factory.filters import CatalogSpec, build_catalog
from tests.ingest import ops
from tests.ingest.golden_catalog import Ids, build_golden_catalog
from tests.utils.client import GraphQLClient

DIMS = 8
PAGE = (
    "query($f: DataRowFilter, $s: ID, $first: Int, $after: String) { dataRows(filter: $f, slice: $s, first: $first, "
    "after: $after) { totalCount nodes { id score } pageInfo { hasNextPage endCursor } } }"
)
CREATE_SLICE = "mutation($n: String!, $f: DataRowFilter!) { createSlice(name: $n, filter: $f) { id rowCount } }"
EXPORT = "mutation($f: DataRowFilter, $s: ID) { exportDataRows(filter: $f, slice: $s) { id } }"
Ranked = list[tuple[str, float]]


@pytest.fixture
async def space(gql: GraphQLClient, engine: AsyncEngine, org_id: str) -> dict[str, np.ndarray]:
    """The filter catalog (metadata, labels, projects) with an 8-d vector on 6 rows of 7, set through GraphQL."""
    spec: CatalogSpec = await build_catalog(engine, org_id)
    rng = np.random.default_rng(5)
    vectors = {i: rng.standard_normal(DIMS) for n, i in enumerate(spec.ids(DataRow)) if n % 7}
    embedding = (await gql.data(ops.CREATE_EMBEDDING, {"name": "clip", "dims": DIMS}))["createEmbedding"]["id"]
    values = [{"dataRowId": i, "vector": v.tolist()} for i, v in vectors.items()]
    await gql.data(ops.SET_EMBEDDINGS, {"e": embedding, "v": values})
    return {i: v.astype(np.float32).astype(np.float64) for i, v in vectors.items()}


async def all_pages(
    gql: GraphQLClient, filter: dict[str, Any] | None, slice: str | None = None, first: int = 7
) -> Ranked:
    ranked, after = [], None
    while True:
        page = (await gql.data(PAGE, {"f": filter, "s": slice, "first": first, "after": after}))["dataRows"]
        ranked += [(n["id"], n["score"]) for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            return ranked
        after = page["pageInfo"]["endCursor"]


def brute_force(
    vectors: dict[str, np.ndarray], query: np.ndarray, admitted: set[str], k: int | None, min_score: float | None
) -> Ranked:
    unit = query / np.linalg.norm(query)
    scored = [(i, float(vectors[i] @ unit / np.linalg.norm(vectors[i]))) for i in admitted if i in vectors]
    kept = [p for p in scored if min_score is None or round(p[1], 6) >= min_score]  # minScore sees 6 decimals
    kept.sort(key=lambda p: (-p[1], p[0]))
    return kept[:k]


def assert_same(got: Ranked, expected: Ranked) -> None:
    assert [i for i, _ in got] == [i for i, _ in expected]
    assert np.allclose([s for _, s in got], [s for _, s in expected], atol=1e-6, rtol=0)


CASES = [  # (other conditions of the filter, of the slice, where the similarTo leaf sits, k, minScore)
    (
        {"metadata": {"name": "score", "gte": 1}, "annotation": {"name": "Car"}},
        {"mediaTypes": ["IMAGE", "TEXT"]},
        "filter",
        5,
        None,
    ),
    (
        {"project": {"workflowStatus": ["DONE", "IN_REVIEW"]}, "not": {"metadata": {"name": "weather", "eq": "rainy"}}},
        None,
        "filter",
        None,
        0.1,
    ),
    (
        {"annotation": {"name": "Person", "minCount": 1}},
        {"metadata": {"name": "caption", "exists": True}},
        "slice",
        12,
        -0.2,
    ),
]


@pytest.mark.parametrize(("other", "slice_other", "holder", "k", "min_score"), CASES)
@pytest.mark.parametrize("by_row", [False, True], ids=["vector", "dataRowId"])
async def test_similar_to_equals_brute_force_over_the_filtered_rows(
    gql: GraphQLClient,
    space: dict[str, np.ndarray],
    other: dict,
    slice_other: dict | None,
    holder: str,
    k: int | None,
    min_score: float | None,
    by_row: bool,
) -> None:
    anchor = sorted(space)[3]
    query = space[anchor] if by_row else np.random.default_rng(9).standard_normal(DIMS)
    similar = {"embedding": "clip", "k": k, "minScore": min_score}
    similar |= {"dataRowId": anchor} if by_row else {"vector": query.tolist()}
    admitted = {i for i, _ in await all_pages(gql, {"and": [other, slice_other or other]}, first=1000)}
    rank_filter, slice_filter = (
        (other | {"similarTo": similar}, slice_other)
        if holder == "filter"
        else (other, (slice_other or {}) | {"similarTo": similar})
    )
    slice_id = None
    if slice_filter is not None:
        slice_id = (await gql.data(CREATE_SLICE, {"n": "s", "f": slice_filter}))["createSlice"]["id"]
    expected = brute_force(space, query, admitted, k, min_score)
    assert len(expected) >= 3
    assert_same(await all_pages(gql, rank_filter, slice_id, first=2), expected)
    one = (await gql.data(PAGE, {"f": rank_filter, "s": slice_id, "first": 1}))["dataRows"]
    assert one["totalCount"] == len(expected)


async def test_a_ranked_export_writes_lines_in_rank_order_without_a_score(
    gql: GraphQLClient, space: dict[str, np.ndarray]
) -> None:
    query = np.random.default_rng(2).standard_normal(DIMS)
    similar = {"similarTo": {"embedding": "clip", "vector": query.tolist(), "k": 15}}
    slice_id = (await gql.data(CREATE_SLICE, {"n": "ranked", "f": similar}))["createSlice"]["id"]
    filter = {"mediaTypes": ["IMAGE", "VIDEO"]}
    expected = await all_pages(gql, filter, slice_id)
    task = (await gql.data(EXPORT, {"f": filter, "s": slice_id}))["exportDataRows"]
    done = await gql.wait_export(task["id"], "status ndjson rowCount")
    lines = [orjson.loads(line) for line in done["ndjson"].splitlines()]
    assert [line["data_row"]["id"] for line in lines] == [i for i, _ in expected] and len(expected) == 15
    assert done["rowCount"] == 15 and not any("score" in line or "score" in line["data_row"] for line in lines)


async def test_ranked_pages_refuse_order_by_and_keyset_cursors(
    gql: GraphQLClient, space: dict[str, np.ndarray]
) -> None:
    similar = {"similarTo": {"embedding": "clip", "dataRowId": sorted(space)[0], "k": 3}}
    query = "query($f: DataRowFilter) { dataRows(filter: $f, orderBy: {field: CREATED_AT}) { nodes { id } } }"
    error = await gql.error(query, {"f": similar})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "orderBy"}
    keyset = (await gql.data(PAGE, {"first": 1}))["dataRows"]["pageInfo"]["endCursor"]
    error = await gql.error(PAGE, {"f": similar, "after": keyset})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}


V = "filter.similarTo.vector"
BAD_VECTORS = [
    ([1.0] * (DIMS - 1), f"{V} has 7 dimensions; this embedding has {DIMS}."),
    ([], f"{V} must be a non-empty list of numbers."),
    ([0.0] * DIMS, f"{V} is all zeros; cosine similarity needs a non-zero vector."),
    ([1e39] + [0.0] * (DIMS - 1), f"{V} has values too large for float32."),
]


@pytest.mark.parametrize(("vector", "message"), BAD_VECTORS, ids=["dimension", "empty", "zeros", "float32-range"])
async def test_bad_vectors_are_coded_errors_on_the_vector_field(
    gql: GraphQLClient, space: dict[str, np.ndarray], vector: list[float], message: str
) -> None:
    error = await gql.error(PAGE, {"f": {"similarTo": {"embedding": "clip", "vector": vector, "k": 3}}})
    assert (error["extensions"], error["message"]) == ({"code": "BAD_USER_INPUT", "field": V}, message)


async def test_nan_from_a_json_filter_is_a_coded_error(engine: AsyncEngine, org_id: str, space: dict) -> None:
    """GraphQL has no NaN, but the CLI's --filter JSON does (Python's json reads NaN)."""
    filter = {"similarTo": {"embedding": "clip", "vector": [float("nan")] + [1.0] * (DIMS - 1), "k": 3}}
    async with engine.connect() as conn:
        with pytest.raises(CatalogError) as err:
            await request_where(conn, org_id, filter)
    assert (err.value.code, err.value.path) == ("BAD_USER_INPUT", "filter.similarTo.vector")


BAD_CONDITIONS = [
    ({"search": {"query": ""}}, "filter.search.query"),
    ({"search": {"query": "?!* ()"}}, "filter.search.query"),
    ({"search": {"query": " ".join(f"w{n}" for n in range(33))}}, "filter.search.query"),
    ({"search": {"query": "x" * 501}}, "filter.search.query"),
    ({"or": [{"ids": ["x"]}, {"search": {"query": "car"}}]}, "filter.or.1.search"),
    ({"similarTo": {"embedding": "clip", "k": 3}}, "filter.similarTo"),
    ({"similarTo": {"embedding": "clip", "dataRowId": "x", "vector": [1.0], "k": 3}}, "filter.similarTo"),
    ({"similarTo": {"embedding": "clip", "vector": [1.0] * DIMS}}, "filter.similarTo"),
    ({"similarTo": {"embedding": "clip", "vector": [1.0] * DIMS, "k": 0}}, "filter.similarTo.k"),
    ({"similarTo": {"embedding": "clip", "vector": [1.0] * DIMS, "minScore": 2}}, "filter.similarTo.minScore"),
    ({"similarTo": {"embedding": "clip", "dataRowId": "ghost", "k": 3}}, "filter.similarTo.dataRowId"),
]


@pytest.mark.parametrize(("filter", "field"), BAD_CONDITIONS)
async def test_bad_conditions_are_coded_errors_with_their_field(
    gql: GraphQLClient, space: dict[str, np.ndarray], filter: dict[str, Any], field: str
) -> None:
    error = await gql.error(PAGE, {"f": filter})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


async def test_a_slice_with_a_misplaced_ranking_leaf_is_refused_when_saved(gql: GraphQLClient) -> None:
    filter = {"not": {"search": {"query": "car"}}}
    error = await gql.error(CREATE_SLICE, {"n": "bad", "f": filter})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "filter.not.search"}
    assert error["message"] == "filter.not.search cannot sit under `not`: combine it with other conditions by `and`."


async def test_unknown_embedding_is_not_found(gql: GraphQLClient, space: dict[str, np.ndarray]) -> None:
    error = await gql.error(PAGE, {"f": {"similarTo": {"embedding": "nope", "vector": [1.0], "k": 1}}})
    assert error["extensions"] == {"code": "NOT_FOUND", "field": "filter.similarTo.embedding"}


@pytest.mark.skipif(semantic.available(), reason="the semantic extra is installed: semantic mode works")
async def test_semantic_mode_without_the_extra_says_how_to_enable_it(gql: GraphQLClient) -> None:
    error = await gql.error(PAGE, {"f": {"search": {"query": "red car", "mode": "SEMANTIC"}}})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "filter.search.mode"}
    assert error["message"] == "Semantic search needs the optional model: pip install 'catalog-export[semantic]'."


async def search(gql: GraphQLClient, query: str, **extra: Any) -> Ranked:
    return await all_pages(gql, {"search": {"query": query}} | extra)


async def test_full_text_ranks_by_relevance(gql: GraphQLClient) -> None:
    dataset = (await gql.data(ops.CREATE_DATASET, {"name": "texts"}))["createDataset"]["id"]
    texts = ["red red red car car car", "red car road trip long drive", "red bike", "car", "blue bike"]
    rows = [{"rowData": t, "mediaType": "TEXT"} for t in texts]
    ids = (await gql.data(ops.CREATE_ROWS, {"ds": dataset, "rows": rows}))["createDataRows"]
    ranked = await search(gql, "Red CAR")
    assert [i for i, _ in ranked] == ids[:2] and ranked[0][1] > ranked[1][1] > 0
    assert [i for i, _ in await search(gql, "bike", ids=ids[2:])] == sorted([ids[2], ids[4]])  # a tie: by id
    assert {i for i, _ in await search(gql, "bike", ids=[ids[4]])} == {ids[4]}
    assert await search(gql, "red", ids=[ids[3]]) == []


@pytest.fixture
async def golden(gql: GraphQLClient) -> Ids:
    return await build_golden_catalog(gql)


async def test_full_text_follows_every_write_path(gql: GraphQLClient, golden: Ids) -> None:
    """golden made rows (text, metadata, attachments) by createDataRows and labels by createLabels."""
    assert [i for i, _ in await search(gql, "hello alpha gk 1")] == [golden["ROW1"]]  # attachment, metadata, key
    assert [i for i, _ in await search(gql, "alice ext 3")] == [golden["ROW3"]]  # text row data, external id
    assert [i for i, _ in await search(gql, "person name")] == [golden["ROW3"]]  # its label's feature name
    await gql.data(ops.UPDATE_ROW, {"id": golden["ROW3"], "c": {"rowData": "Bob walks."}})
    await gql.data(ops.UPDATE_ROW, {"id": golden["ROW1"], "c": {"metadataFields": [{"name": "tag", "value": "zebra"}]}})
    assert await search(gql, "alice") == [] and await search(gql, "alpha") == []
    assert [i for i, _ in await search(gql, "bob walks person")] == [golden["ROW3"]]
    assert [i for i, _ in await search(gql, "zebra hello")] == [golden["ROW1"]]
