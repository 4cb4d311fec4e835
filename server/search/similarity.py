"""The similarTo condition: validate it, find the query vector, rank the candidate rows' vectors exactly (cosine)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from server.errors import bad_input, not_found
from server.filters.leaves.ranking import SimilarTo, parse_similar
from server.models import DataRow, DataRowEmbedding, Embedding
from server.search.cache import CachedSpace, cached_space
from server.search.vectors import DTYPE, TopK, cosine_scores, unit, unit_rows, unpack, validate_vector

T = DataRow.__table__.c
E = Embedding.__table__.c
V = DataRowEmbedding.__table__.c
BATCH = 8192
PROBE_LIMIT = 8192  # widest window checked by id before fetching every candidate id
PROBE_MIN = 64


@dataclass(frozen=True)
class Space:
    id: str
    dims: int


async def find_space(conn: AsyncConnection, organization_id: str, ref: str, path: str) -> Space:
    stmt = select(E.id, E.dims).where(E.organization_id == organization_id, or_(E.id == ref, E.name == ref))
    row = (await conn.execute(stmt.order_by(E.id).limit(1))).first()
    if row is None:
        raise not_found("Embedding", ref, path)
    return Space(row.id, row.dims)


async def query_vector(conn: AsyncConnection, organization_id: str, space: Space, cond: SimilarTo) -> np.ndarray:
    if cond.vector is not None:
        return unit(validate_vector(cond.vector, space.dims, f"{cond.path}.vector"))
    stmt = select(V.vector).where(
        V.embedding_id == space.id, V.data_row_id == cond.data_row_id, V.organization_id == organization_id
    )
    blob = (await conn.execute(stmt)).scalar_one_or_none()
    if blob is None:
        message = f"Data row {cond.data_row_id!r} has no vector in embedding {cond.embedding!r}."
        raise bad_input(message, f"{cond.path}.dataRowId")
    return unit(validate_vector(unpack(blob).tolist(), space.dims, f"{cond.path}.dataRowId"))


def candidate_vectors(organization_id: str, space: Space, candidates: ColumnElement[bool] | None, *columns: Any) -> Any:
    """(data_row_id, vector) (or the given columns) of every candidate row with a well-formed vector in the space."""
    return (
        select(*(columns or (V.data_row_id, V.vector)))
        .join_from(DataRowEmbedding.__table__, DataRow.__table__, T.id == V.data_row_id)
        .where(V.embedding_id == space.id, func.length(V.vector) == space.dims * DTYPE.itemsize)
        .where(T.organization_id == organization_id, true() if candidates is None else candidates)
        .order_by(V.data_row_id)  # same batches on every engine, so the same float32 scores bit for bit
    )


async def top_k(conn: AsyncConnection, stmt: Any, dims: int, query: np.ndarray, best: TopK) -> list[tuple[str, float]]:
    """Exact ranking of the statement's (id, vector) rows, streamed in batches so memory stays flat."""
    result = await conn.stream(stmt.execution_options(yield_per=BATCH))
    async for batch in result.partitions(BATCH):
        ids = np.array([row[0] for row in batch], dtype=object)
        matrix = np.frombuffer(b"".join(row[1] for row in batch), dtype=DTYPE).reshape(len(batch), dims)
        best.add(ids, cosine_scores(unit_rows(matrix), query))
    return best.result()


async def _admitted(conn: AsyncConnection, organization_id: str, candidates: Any, ids: list[str]) -> set[str]:
    stmt = select(T.id).where(T.organization_id == organization_id, candidates, T.id.in_(ids))
    return set((await conn.execute(stmt)).scalars().all())


async def _probe(
    conn: AsyncConnection, organization_id: str, candidates: Any, ids: np.ndarray, scores: np.ndarray, best: TopK
) -> list[tuple[str, float]] | None:
    """Check the best-scored rows against the candidates, widening the window 8x at a time; None if too selective.

    Exact: once k admitted rows are found among the window's top m (ties by id), no row outside it can rank higher.
    """
    eligible = int((scores >= best.min_score).sum())
    size = min(max(4 * best.k, PROBE_MIN), eligible)
    while True:
        window = TopK(size, best.min_score)
        window.add(ids, scores)
        top = window.result()
        admitted = await _admitted(conn, organization_id, candidates, [i for i, _ in top])
        found = [(i, s) for i, s in top if i in admitted]
        if len(found) >= best.k or size >= eligible:
            return found[: best.k]
        if size >= PROBE_LIMIT:
            return None
        size = min(size * 8, PROBE_LIMIT, eligible)


async def _all_candidates(
    conn: AsyncConnection, organization_id: str, candidates: Any, ids: np.ndarray, scores: np.ndarray, best: TopK
) -> list[tuple[str, float]]:
    stmt = select(T.id).where(T.organization_id == organization_id, candidates)
    wanted = np.array((await conn.execute(stmt)).scalars().all(), dtype=ids.dtype)
    positions = np.minimum(np.searchsorted(ids, wanted), max(len(ids) - 1, 0))
    positions = positions[ids[positions] == wanted] if len(ids) else positions[:0]
    best.add(ids[positions], scores[positions])
    return best.result()


async def cached_top_k(
    conn: AsyncConnection, organization_id: str, cached: CachedSpace, candidates: Any, query: np.ndarray, best: TopK
) -> list[tuple[str, float]]:
    """One matrix product over the cached space, then the top k among the candidate rows (all when None)."""
    scores, ids = cosine_scores(cached.unit_matrix, query), cached.ids
    if candidates is None:
        best.add(ids, scores)
        return best.result()
    found = await _probe(conn, organization_id, candidates, ids, scores, best)
    return found if found is not None else await _all_candidates(conn, organization_id, candidates, ids, scores, best)


async def rank_similar(
    conn: AsyncConnection, organization_id: str, value: Any, candidates: ColumnElement[bool] | None, path: str
) -> list[tuple[str, float]]:
    """Exact cosine top-k among the candidates (None: every row of the organization)."""
    cond = parse_similar(value, path)
    space = await find_space(conn, organization_id, cond.embedding, f"{path}.embedding")
    query = await query_vector(conn, organization_id, space, cond)
    return await rank_vector(conn, organization_id, space, query, candidates, TopK(cond.k, cond.min_score))


async def rank_vector(
    conn: AsyncConnection, organization_id: str, space: Space, query: np.ndarray, candidates: Any, best: TopK
) -> list[tuple[str, float]]:
    """The best candidate rows for a unit query vector: from the cached space, or streamed when it is too large."""
    cached = await cached_space(conn, space.id, space.dims)
    if cached is not None:
        return await cached_top_k(conn, organization_id, cached, candidates, query, best)
    return await top_k(conn, candidate_vectors(organization_id, space, candidates), space.dims, query, best)
