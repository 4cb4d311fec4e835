"""An in-process cache of each embedding space's unit vectors, so a similarity query costs one matrix product.

Entries are keyed by (database URL, embedding id) and carry the space's generation (server.models.search.
EmbeddingGeneration, bumped by triggers on every vector write), so a cached matrix is never stale: a changed
generation reloads it. Spaces larger than MAX_CACHED_FLOATS are not cached; they are streamed per query.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import false, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.models import DataRowEmbedding, EmbeddingGeneration
from server.search.vectors import DTYPE, unit_rows

V = DataRowEmbedding.__table__.c
G = EmbeddingGeneration.__table__.c
MAX_CACHED_FLOATS = 64 * 1024 * 1024  # 256 MB of float32 over every cached space together
LOAD_BATCH = 8192


@dataclass(frozen=True)
class CachedSpace:
    generation: int
    ids: np.ndarray  # sorted data row ids (unicode)
    unit_matrix: np.ndarray  # float32, len(ids) x dims, rows of length 1 (or 0)


_CACHE: OrderedDict[tuple[str, str], CachedSpace] = OrderedDict()


async def _generation(conn: AsyncConnection, embedding_id: str) -> tuple[int, bool]:
    """The space's generation, and whether this connection's open transaction wrote it: PostgreSQL bumps a space once
    per transaction, so what that transaction reads may still change under the same token and is not cached."""
    mine = G.writer_xid == func.txid_current_if_assigned() if conn.dialect.name == "postgresql" else false()
    row = (await conn.execute(select(G.generation, mine).where(G.embedding_id == embedding_id))).first()
    return (row[0], bool(row[1])) if row is not None else (0, False)


async def _count(conn: AsyncConnection, embedding_id: str, dims: int) -> int:
    stmt = select(func.count()).where(V.embedding_id == embedding_id, func.length(V.vector) == dims * DTYPE.itemsize)
    return (await conn.execute(stmt)).scalar_one()


async def _load(conn: AsyncConnection, embedding_id: str, dims: int, n: int, generation: int) -> CachedSpace:
    ids = np.empty(n, dtype="<U25")
    matrix = np.empty((n, dims), dtype=DTYPE)
    stmt = (
        select(V.data_row_id, V.vector)
        .where(V.embedding_id == embedding_id, func.length(V.vector) == dims * DTYPE.itemsize)
        .order_by(V.data_row_id)
    )
    filled = 0
    result = await conn.stream(stmt.execution_options(yield_per=LOAD_BATCH))
    async for batch in result.partitions(LOAD_BATCH):
        end = min(filled + len(batch), n)  # rows written since the count wait for the next generation
        ids[filled:end] = [row[0] for row in batch][: end - filled]
        matrix[filled:end] = np.frombuffer(b"".join(row[1] for row in batch[: end - filled]), DTYPE).reshape(-1, dims)
        filled = end
    return CachedSpace(generation, ids[:filled], unit_rows(matrix[:filled]))


def _store(key: tuple[str, str], space: CachedSpace) -> None:
    _CACHE[key] = space
    while sum(s.unit_matrix.size for s in _CACHE.values()) > MAX_CACHED_FLOATS and len(_CACHE) > 1:
        _CACHE.popitem(last=False)


async def cached_space(conn: AsyncConnection, embedding_id: str, dims: int) -> CachedSpace | None:
    """The space's current unit vectors, loaded at most once per generation; None when too large to cache, or while
    the reading transaction is one that wrote the space (PostgreSQL)."""
    key = (conn.engine.url.render_as_string(hide_password=True), embedding_id)
    generation, mine = await _generation(conn, embedding_id)
    if mine:
        return None
    hit = _CACHE.get(key)
    if hit is not None and hit.generation == generation:
        _CACHE.move_to_end(key)
        return hit
    n = await _count(conn, embedding_id, dims)
    if n * dims > MAX_CACHED_FLOATS:
        return None
    space = await _load(conn, embedding_id, dims, n, generation)
    _store(key, space)
    return space
