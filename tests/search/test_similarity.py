"""similarTo on both engines: equal to brute force over the filtered rows, k/minScore, ties by id, coded errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import and_, delete, select, text, true, update

from server.errors import CatalogError, ErrorCode
from server.models import DataRow, DataRowEmbedding, EmbeddingGeneration
from server.search import cache, similarity
from server.search.ranking import rank
from server.search.vectors import pack
from tests.search.builders import add_embedding, add_rows, add_vectors
from tests.search.catalog import Catalog

T = DataRow.__table__.c
DIMS = 8
N_ROWS = 60


def _vectors(row_ids: list[str]) -> dict[str, np.ndarray]:
    """Seeded random vectors; every 7th row repeats row 0's vector (exact ties), every 9th has none."""
    rng = np.random.default_rng(7)
    vectors = {i: rng.standard_normal(DIMS).astype(np.float32) for i in row_ids}
    for n, row_id in enumerate(row_ids):
        if n % 7 == 0:
            vectors[row_id] = vectors[row_ids[0]]
    return {i: v for n, (i, v) in enumerate(vectors.items()) if n % 9 != 4}


@pytest.fixture
async def space(catalog: Catalog) -> tuple[list[str], dict[str, np.ndarray]]:
    async with catalog.engine.begin() as conn:
        row_ids = await add_rows(conn, catalog, [{"external_id": f"e{n % 5}"} for n in range(N_ROWS)])
        embedding_id = await add_embedding(conn, catalog, "clip", DIMS)
        vectors = _vectors(row_ids)
        await add_vectors(conn, catalog, embedding_id, vectors)
        other = await add_embedding(conn, catalog, "other", DIMS)
        await add_vectors(conn, catalog, other, {row_ids[1]: np.ones(DIMS)})
    return row_ids, vectors


def brute_force(vectors: dict[str, np.ndarray], allowed: set[str], query: np.ndarray, k: int, min_score: Any) -> list:
    q = query.astype(np.float64) / np.linalg.norm(query.astype(np.float64))
    scored = [(i, float(v.astype(np.float64) @ q / np.linalg.norm(v.astype(np.float64)))) for i, v in vectors.items()]
    # minScore applies to the score as the engine gives it (6 decimals): a row's self-similarity is exactly 1.0
    kept = [p for p in scored if p[0] in allowed and (min_score is None or round(p[1], 6) >= min_score)]
    return sorted(kept, key=lambda p: (-p[1], p[0]))[:k]


def assert_same(got: list[tuple[str, float]], expected: list[tuple[str, float]]) -> None:
    assert [i for i, _ in got] == [i for i, _ in expected]
    assert [s for _, s in got] == pytest.approx([s for _, s in expected], abs=1e-6)


async def ranked(catalog: Catalog, condition: dict[str, Any], candidates: Any = None) -> list[tuple[str, float]]:
    async with catalog.engine.connect() as conn:
        return await rank(conn, catalog.org_id, condition, true() if candidates is None else candidates)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    subset=st.lists(st.booleans(), min_size=N_ROWS, max_size=N_ROWS),
    external=st.none() | st.sampled_from(["e0", "e1", "e3"]),
    k=st.integers(1, 25),
    min_score=st.none() | st.floats(-1, 1),
    anchor=st.integers(0, N_ROWS - 1),
    by_row=st.booleans(),
)
async def test_equals_brute_force_over_filtered_rows(
    catalog: Catalog,
    space: Any,
    subset: list[bool],
    external: str | None,
    k: int,
    min_score: Any,
    anchor: int,
    by_row: bool,
) -> None:
    row_ids, vectors = space
    allowed = {i for i, keep in zip(row_ids, subset, strict=True) if keep}
    where = T.id.in_(allowed)
    if external:
        where = and_(where, T.external_id == external)
        allowed = {i for n, i in enumerate(row_ids) if i in allowed and f"e{n % 5}" == external}
    anchor_id = next(i for i in row_ids[anchor:] + row_ids if i in vectors)
    query = {"dataRowId": anchor_id} if by_row else {"vector": vectors[anchor_id].tolist()}
    condition = {"embedding": "clip", "k": k, "minScore": min_score, **query}
    assert_same(
        await ranked(catalog, condition, where), brute_force(vectors, allowed, vectors[anchor_id], k, min_score)
    )


async def test_data_row_id_and_vector_queries_agree_and_ties_go_by_id(catalog: Catalog, space: Any) -> None:
    row_ids, vectors = space
    by_row = await ranked(catalog, {"embedding": "clip", "dataRowId": row_ids[0], "k": 5})
    by_vector = await ranked(catalog, {"embedding": "clip", "vector": vectors[row_ids[0]].tolist(), "k": 5})
    twins = sorted(i for n, i in enumerate(row_ids) if n % 7 == 0 and i in vectors)
    assert by_row == by_vector
    assert [i for i, _ in by_row] == twins[:5]
    assert [s for _, s in by_row] == pytest.approx([1.0] * 5, abs=1e-6)


async def test_min_score_alone_returns_every_row_above_it(catalog: Catalog, space: Any) -> None:
    row_ids, vectors = space
    got = await ranked(catalog, {"embedding": "clip", "dataRowId": row_ids[3], "minScore": 0.3})
    assert_same(got, brute_force(vectors, set(row_ids), vectors[row_ids[3]], 10_000, 0.3))
    assert got and all(s >= 0.3 for _, s in got)


async def test_embedding_by_id_and_other_spaces_stay_apart(catalog: Catalog, space: Any) -> None:
    row_ids, _ = space
    assert_same(await ranked(catalog, {"embedding": "other", "vector": [1.0] * DIMS, "k": 3}), [(row_ids[1], 1.0)])


@pytest.mark.parametrize(
    ("condition", "code", "message", "path"),
    [
        (
            {"embedding": "clip", "vector": [1.0] * 3, "k": 1},
            "BAD_USER_INPUT",
            "similarTo.vector has 3 dimensions; this embedding has 8.",
            "similarTo.vector",
        ),
        (
            {"embedding": "clip", "vector": [float("nan")] * 8, "k": 1},
            "BAD_USER_INPUT",
            "similarTo.vector must not contain NaN or infinity.",
            "similarTo.vector",
        ),
        (
            {"embedding": "clip", "vector": [], "k": 1},
            "BAD_USER_INPUT",
            "similarTo.vector must be a non-empty list of numbers.",
            "similarTo.vector",
        ),
        (
            {"embedding": "clip", "k": 1},
            "BAD_USER_INPUT",
            "similarTo needs exactly one of dataRowId or vector.",
            "similarTo",
        ),
        (
            {"embedding": "clip", "vector": [1.0] * 8},
            "BAD_USER_INPUT",
            "similarTo needs k, minScore or both, to bound the result.",
            "similarTo",
        ),
        (
            {"embedding": "clip", "vector": [1.0] * 8, "k": 0},
            "BAD_USER_INPUT",
            "similarTo.k must be an integer from 1 to 10000.",
            "similarTo.k",
        ),
        (
            {"embedding": "clip", "vector": [1.0] * 8, "minScore": 2},
            "BAD_USER_INPUT",
            "similarTo.minScore must be a number from -1 to 1 (a cosine similarity).",
            "similarTo.minScore",
        ),
        (
            {"embedding": "nope", "vector": [1.0] * 8, "k": 1},
            "NOT_FOUND",
            "Embedding 'nope' does not exist.",
            "similarTo.embedding",
        ),
        (
            {"embedding": "clip", "dataRowId": "cmissing", "k": 1},
            "BAD_USER_INPUT",
            "Data row 'cmissing' has no vector in embedding 'clip'.",
            "similarTo.dataRowId",
        ),
        (
            {"embedding": "clip", "vector": [1.0] * 8, "k": 1, "bogus": 1},
            "BAD_USER_INPUT",
            "similarTo takes only dataRowId, embedding, k, minScore, vector.",
            "similarTo",
        ),
    ],
)
async def test_bad_conditions_are_coded_errors(
    catalog: Catalog, space: Any, condition: dict, code: str, message: str, path: str
) -> None:
    with pytest.raises(CatalogError) as err:
        await ranked(catalog, condition)
    assert (err.value.code, err.value.message, err.value.path) == (ErrorCode(code), message, path)


async def test_vector_writes_invalidate_the_cached_space(catalog: Catalog, space: Any) -> None:
    row_ids, _ = space
    target = row_ids[5]
    query = {"embedding": "clip", "vector": [0.0] * (DIMS - 1) + [1.0], "k": 1}
    before = await ranked(catalog, query)
    async with catalog.engine.begin() as conn:
        await conn.execute(
            update(DataRowEmbedding.__table__)
            .where(DataRowEmbedding.__table__.c.data_row_id == target)
            .values(vector=pack([0.0] * (DIMS - 1) + [1.0]))
        )
    assert before != [(target, 1.0)]
    assert await ranked(catalog, query) == [(target, 1.0)]
    async with catalog.engine.begin() as conn:
        await conn.execute(delete(DataRowEmbedding.__table__).where(DataRowEmbedding.__table__.c.data_row_id == target))
    assert await ranked(catalog, query) == before


async def test_a_transaction_that_writes_a_space_ranks_what_it_wrote(catalog: Catalog, space: Any) -> None:
    """PostgreSQL keeps one generation token per writing transaction: reads inside it must not be cached under it."""
    row_ids, _ = space
    first, second = row_ids[5], row_ids[6]
    query = {"embedding": "clip", "vector": [0.0] * (DIMS - 1) + [1.0], "k": 1}
    vectors = DataRowEmbedding.__table__
    async with catalog.engine.begin() as conn:
        for target in (first, second):
            stmt = update(vectors).where(vectors.c.data_row_id == target).values(vector=pack(query["vector"]))
            await conn.execute(stmt)
            await conn.execute(delete(vectors).where(vectors.c.data_row_id == first, vectors.c.data_row_id != target))
            assert await rank(conn, catalog.org_id, query, true()) == [(target, 1.0)]
    assert await ranked(catalog, query) == [(second, 1.0)]


async def test_postgresql_bumps_a_space_once_per_transaction(catalog: Catalog, space: Any) -> None:
    if catalog.engine.dialect.name != "postgresql":
        pytest.skip("SQLite updates the generation row in place on every write")
    row_ids, _ = space
    vectors = DataRowEmbedding.__table__
    generation = select(EmbeddingGeneration.__table__.c.generation)
    updates = text("SELECT pg_stat_get_xact_tuples_updated('embeddinggeneration'::regclass)")
    async with catalog.engine.connect() as conn:
        before = set((await conn.execute(generation)).scalars())
    async with catalog.engine.begin() as conn:
        for row_id in row_ids[5:10]:  # vectors of "clip" only, one statement each, as executemany sends them
            await conn.execute(update(vectors).where(vectors.c.data_row_id == row_id).values(vector=pack([1.0] * DIMS)))
        assert (await conn.execute(updates)).scalar_one() == 1
    async with catalog.engine.connect() as conn:
        after = set((await conn.execute(generation)).scalars())
    assert len(after - before) == 1


async def test_streamed_path_for_uncacheable_spaces_equals_the_cached_path(
    catalog: Catalog, space: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    row_ids, _ = space
    condition = {"embedding": "clip", "dataRowId": row_ids[2], "k": 30}
    where = T.external_id.in_(["e1", "e2"])
    cached = await ranked(catalog, condition, where)
    monkeypatch.setattr(cache, "MAX_CACHED_FLOATS", 0)
    assert await ranked(catalog, condition, where) == cached
    assert len(cached) == 22  # 24 rows are e1/e2; two of them have no vector


@pytest.mark.parametrize(
    ("probe_min", "probe_limit"), [(1, 8192), (1, 2), (64, 1)], ids=["widening", "fallback", "none"]
)
async def test_probe_windows_and_fallback_stay_exact(
    catalog: Catalog, space: Any, monkeypatch: pytest.MonkeyPatch, probe_min: int, probe_limit: int
) -> None:
    row_ids, vectors = space
    monkeypatch.setattr(similarity, "PROBE_MIN", probe_min)
    monkeypatch.setattr(similarity, "PROBE_LIMIT", probe_limit)
    rng = np.random.default_rng(3)
    for _ in range(8):
        allowed = {i for i in row_ids if rng.random() < 0.3}
        anchor = row_ids[int(rng.integers(1, 4))]
        k = int(rng.integers(1, 6))
        got = await ranked(catalog, {"embedding": "clip", "dataRowId": anchor, "k": k}, T.id.in_(allowed))
        assert_same(got, brute_force(vectors, allowed, vectors[anchor], k, None))
