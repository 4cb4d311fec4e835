"""Reading the marks (blocks whose arrays may be stale) and which chunks have arrays: numpy-free, for counts (which
the export worker plans) and for rebuilds."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.facets.columns import key
from server.models import FacetChunk, FacetDirty

CHUNKS = FacetChunk.__table__.c
DIRTY = FacetDirty.__table__.c
LIVE = key("live")
Marks = list[tuple[str, int]]  # (organization, block or chunk)


async def dirty_blocks(conn: AsyncConnection, organization_id: str | None = None) -> Marks:
    """The marked (organization, block) pairs, in order: of one organization, or all."""
    stmt = select(DIRTY.organization_id, DIRTY.block).order_by(DIRTY.organization_id, DIRTY.block)
    if organization_id is not None:
        stmt = stmt.where(DIRTY.organization_id == organization_id)
    return [(org, block) for org, block in await conn.execute(stmt)]


async def built_chunks(conn: AsyncConnection, organization_id: str | None = None) -> Marks:
    """The (organization, chunk) pairs that have arrays, in order: of one organization, or all."""
    stmt = select(CHUNKS.organization_id, CHUNKS.chunk).where(CHUNKS.key == LIVE)
    if organization_id is not None:
        stmt = stmt.where(CHUNKS.organization_id == organization_id)
    return [(org, chunk) for org, chunk in await conn.execute(stmt.order_by(CHUNKS.organization_id, CHUNKS.chunk))]
