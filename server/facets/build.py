"""Rebuilding the arrays of dirty chunks from the tables they mirror, one chunk per transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Table, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from server.facets.columns import empty, key, micros
from server.filters.leaves.project import WORKFLOW_STATUSES
from server.models import DataRow, FacetChunk, FacetDirty, LabelFeature, MetadataValue, ModelRunDataRow, ProjectDataRow
from server.models.facets import CHUNK_BITS

D = DataRow.__table__.c  # type: ignore[attr-defined]
DIRTY = FacetDirty.__table__  # type: ignore[attr-defined]
CHUNKS = FacetChunk.__table__  # type: ignore[attr-defined]
STATUS_CODES = {status: code for code, status in enumerate(WORKFLOW_STATUSES, 1)}


class Arrays:
    """The arrays of one chunk being built, made on first use."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def get(self, facet: str) -> np.ndarray:
        if facet not in self.arrays:
            self.arrays[facet] = empty(facet)
        return self.arrays[facet]

    def flag(self, facet: str, at: int) -> None:
        self.get(facet)[at] = True


def _datarow(out: Arrays, at: int, media_type: str, dataset_id: str) -> None:
    out.flag(key("live"), at)
    out.flag(key("media", media_type), at)
    out.flag(key("dataset", dataset_id), at)


def _metadata(out: Arrays, at: int, schema_id: str, number: Any, moment: Any, option_id: Any) -> None:
    has = out.get(key("has", schema_id))
    if has[at]:
        out.flag(key("multi", schema_id), at)
    has[at] = True
    if number is not None:
        out.get(key("number", schema_id))[at] = number
    if moment is not None:
        out.get(key("datetime", schema_id))[at] = micros(moment)
    if option_id is not None:
        out.flag(key("option", option_id), at)


def _feature(out: Arrays, at: int, schema_id: str, name: str, count: int) -> None:
    out.get(key("feature", schema_id))[at] += count
    out.get(key("featureName", name))[at] += count


def _project(out: Arrays, at: int, project_id: str, status: str) -> None:
    out.get(key("project", project_id))[at] = STATUS_CODES.get(status, 0)
    out.flag(key("status", status), at)


def _run(out: Arrays, at: int, run_id: str) -> None:
    out.flag(key("run", run_id), at)


Source = tuple[Table | None, tuple[str, ...], Callable[..., None]]
_V, _F = MetadataValue.__table__, LabelFeature.__table__  # type: ignore[attr-defined]
_P, _M = ProjectDataRow.__table__, ModelRunDataRow.__table__  # type: ignore[attr-defined]
# Each table the arrays mirror (None: datarow itself): the columns read per row, and what they set.
SOURCES: tuple[Source, ...] = (
    (None, ("media_type", "dataset_id"), _datarow),
    (_V, ("schema_id", "number_value", "datetime_value", "option_id"), _metadata),
    (_F, ("feature_schema_id", "name", "count"), _feature),
    (_P, ("project_id", "workflow_status"), _project),
    (_M, ("model_run_id",), _run),
)


def _statement(table: Table | None, columns: tuple[str, ...], rows: ColumnElement[bool]) -> Any:
    if table is None:
        return select(D.seq, *(D[c] for c in columns)).where(rows)
    joined = table.join(DataRow.__table__, D.id == table.c.data_row_id)  # type: ignore[attr-defined]
    return select(D.seq, *(table.c[c] for c in columns)).select_from(joined).where(rows)


async def chunk_arrays(conn: AsyncConnection, organization_id: str, chunk: int) -> dict[str, np.ndarray]:
    """Every facet array of the organization's rows in `chunk`, read from the tables."""
    low = chunk << CHUNK_BITS
    rows = (D.organization_id == organization_id) & D.seq.between(low, low + (1 << CHUNK_BITS) - 1)
    out = Arrays()
    for table, columns, apply in SOURCES:
        for seq, *values in await conn.execute(_statement(table, columns, rows)):
            apply(out, seq - low, *values)
    return out.arrays


def _records(organization_id: str, chunk: int, arrays: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    return [
        {"organization_id": organization_id, "chunk": chunk, "key": k, "data": a.tobytes()} for k, a in arrays.items()
    ]


async def rebuild_chunk(engine: AsyncEngine, organization_id: str, chunk: int) -> None:
    """The mark goes first: on SQLite that takes the write lock, so no write lands between the reads; on PostgreSQL
    it waits for a writer whose trigger holds the mark, then the reads see its rows (a later write marks again)."""
    async with engine.begin() as conn:
        where = (DIRTY.c.organization_id == organization_id) & (DIRTY.c.chunk == chunk)
        await conn.execute(delete(DIRTY).where(where))
        arrays = await chunk_arrays(conn, organization_id, chunk)
        await conn.execute(
            delete(CHUNKS).where((CHUNKS.c.organization_id == organization_id) & (CHUNKS.c.chunk == chunk))
        )
        if arrays:
            await conn.execute(insert(CHUNKS), _records(organization_id, chunk, arrays))


async def dirty_chunks(conn: AsyncConnection, organization_id: str | None = None) -> list[tuple[str, int]]:
    stmt = select(DIRTY.c.organization_id, DIRTY.c.chunk).order_by(DIRTY.c.organization_id, DIRTY.c.chunk)
    if organization_id is not None:
        stmt = stmt.where(DIRTY.c.organization_id == organization_id)
    return [(org, chunk) for org, chunk in await conn.execute(stmt)]


async def rebuild_dirty(engine: AsyncEngine, organization_id: str | None = None) -> int:
    """Rebuild every dirty chunk (of one organization, or all); how many."""
    async with engine.connect() as conn:
        chunks: Iterable[tuple[str, int]] = await dirty_chunks(conn, organization_id)
    done = 0
    for org, chunk in chunks:
        await rebuild_chunk(engine, org, chunk)
        done += 1
    return done
