"""The facet arrays' marks from a test: which chunks are marked, counts from the arrays beside SQL's, rows spread
over blocks, the statements an engine sends, and writes that leave the arrays stale."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import delete, event, update
from sqlalchemy.ext.asyncio import AsyncEngine

from server.facets.build import rebuild_dirty
from server.facets.marks import dirty_blocks
from server.models import DataRow, FacetDirty
from server.models.facets import BLOCK_BITS, CHUNK_BITS, MARK_ALL
from server.query.scope import request_where

D = DataRow.__table__  # type: ignore[attr-defined]

STALE_WRITES = {
    3: "UPDATE datarow SET media_type = 'TEXT' WHERE id IN ({rows})",
    13: "DELETE FROM metadatavalue WHERE data_row_id IN ({rows})",
    23: "DELETE FROM labelfeature WHERE data_row_id IN ({rows})",
    33: "UPDATE projectdatarow SET workflow_status = 'DONE' WHERE data_row_id IN ({rows})",
    37: "DELETE FROM modelrundatarow WHERE data_row_id IN ({rows})",
    7: "UPDATE label SET project_id = NULL WHERE data_row_id IN ({rows})",
    17: "UPDATE projectdatarow SET batch_id = NULL WHERE data_row_id IN ({rows})",
}


async def marks(engine: AsyncEngine, org_id: str) -> list[tuple[str, int]]:
    """The chunks holding marked blocks."""
    async with engine.connect() as conn:
        return sorted({(org, block >> (CHUNK_BITS - BLOCK_BITS)) for org, block in await dirty_blocks(conn, org_id)})


async def counts(engine: AsyncEngine, org_id: str, tree: dict[str, Any]) -> tuple[int | None, int]:
    """(from the arrays and the marked blocks, or None when too much is marked; from SQL)."""
    async with engine.connect() as conn:
        scope = await request_where(conn, org_id, filter=tree)
        assert scope.facets is not None, tree
        return await scope.facets.count(conn), int((await conn.execute(scope.count)).scalar_one())


async def fresh(engine: AsyncEngine, org_id: str, tree: dict[str, Any]) -> int:
    """Rebuild what is marked; the arrays then count as SQL does."""
    await rebuild_dirty(engine)
    assert await marks(engine, org_id) == []
    facets, sql = await counts(engine, org_id, tree)
    assert facets == sql
    return sql


async def spread(engine: AsyncEngine, org_id: str, gap: int) -> None:
    """Rows `gap` apart by seq (in blocks, and chunks, of their own), all rebuilt."""
    async with engine.begin() as conn:
        await conn.execute(update(D).values(seq=D.c.seq * gap))
        await conn.execute(delete(FacetDirty.__table__))  # type: ignore[attr-defined]
        await conn.exec_driver_sql(MARK_ALL)
    await rebuild_dirty(engine)


@contextmanager
def statements(engine: AsyncEngine, *needles: str) -> Iterator[list[tuple[str, Any]]]:
    """The statements (and parameters) holding every needle that the engine sends while the block runs."""
    seen: list[tuple[str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if all(needle in statement for needle in needles):
            seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)
