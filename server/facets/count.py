"""Counting a covered tree from the facet arrays: one read of the marks, one of the organization's chunks, then the
arrays it needs a few chunks at a time, numpy per chunk."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.facets.columns import dtype, empty, key
from server.facets.cover import Covered
from server.models import FacetChunk, FacetDirty

CHUNKS = FacetChunk.__table__.c  # type: ignore[attr-defined]
DIRTY = FacetDirty.__table__.c  # type: ignore[attr-defined]
LIVE = key("live")
CHUNKS_A_READ = 8  # 8 chunks of a number facet: 4 MB


async def _any_dirty(conn: AsyncConnection, organization_id: str) -> bool:
    stmt = select(DIRTY.chunk).where(DIRTY.organization_id == organization_id).limit(1)
    return (await conn.execute(stmt)).first() is not None


async def _live_chunks(conn: AsyncConnection, organization_id: str) -> list[int]:
    stmt = select(CHUNKS.chunk).where(CHUNKS.organization_id == organization_id, CHUNKS.key == LIVE)
    return list((await conn.execute(stmt.order_by(CHUNKS.chunk))).scalars())


async def _arrays(
    conn: AsyncConnection, organization_id: str, keys: frozenset[str], chunks: list[int]
) -> dict[int, dict[str, bytes]]:
    """The arrays of `keys` for the chunks from the first to the last of `chunks`, by chunk."""
    stmt = select(CHUNKS.chunk, CHUNKS.key, CHUNKS.data).where(
        CHUNKS.organization_id == organization_id,
        CHUNKS.key.in_(sorted(keys)),
        CHUNKS.chunk.between(chunks[0], chunks[-1]),
    )
    arrays: dict[int, dict[str, bytes]] = defaultdict(dict)
    for chunk, facet, data in await conn.execute(stmt):
        arrays[chunk][facet] = data
    return arrays


def _count(covered: Covered, arrays: dict[str, bytes]) -> int:
    import numpy as np

    if LIVE not in arrays:
        return 0

    def column(facet: str) -> np.ndarray:
        data = arrays.get(facet)
        return empty(facet) if data is None else np.frombuffer(data, dtype(facet))

    return int(np.count_nonzero(covered.mask(column) & column(LIVE)))


async def facet_count(conn: AsyncConnection, organization_id: str, covered: Covered) -> int | None:
    """The organization's rows the tree admits; None when some chunk of it is dirty or cannot say (then: SQL).
    Read CHUNKS_A_READ chunks at a time, so memory stays the same whatever the number of rows."""
    if await _any_dirty(conn, organization_id):
        return None
    keys, live, total = covered.keys | covered.void | {LIVE}, await _live_chunks(conn, organization_id), 0
    for start in range(0, len(live), CHUNKS_A_READ):
        chunks = await _arrays(conn, organization_id, keys, live[start : start + CHUNKS_A_READ])
        if any(facet in covered.void for arrays in chunks.values() for facet in arrays):
            return None
        total += sum(_count(covered, arrays) for arrays in chunks.values())
    return total


@dataclass(frozen=True)
class FacetQuery:
    """A request's rows as a covered tree of one organization (server.filters.scope.Scope.facets)."""

    organization_id: str
    covered: Covered

    async def count(self, conn: AsyncConnection) -> int | None:
        return await facet_count(conn, self.organization_id, self.covered)
