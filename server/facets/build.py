"""Rebuilding the arrays of chunks holding marked blocks from the tables they mirror, one chunk per transaction: the
whole chunk, or only the rows of its few marked blocks, patched into the stored arrays."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Table, delete, insert, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from server.facets.columns import ANY_STATUS, STATUS_CODES, dtype, empty, key
from server.facets.marks import Marks, dirty_blocks
from server.models import (
    DataRow,
    FacetChunk,
    FacetDirty,
    Label,
    LabelFeature,
    MetadataValue,
    ModelRunDataRow,
    ProjectDataRow,
)
from server.models.facets import BLOCK_BITS, BLOCK_ROWS, CHUNK_BITS, CHUNK_ROWS

D = DataRow.__table__.c
DIRTY = FacetDirty.__table__
CHUNKS = FacetChunk.__table__
PARTITION = 20_000
BLOCKS = CHUNK_BITS - BLOCK_BITS  # a chunk holds 1 << BLOCKS blocks
PARTIAL_BLOCKS = 16  # a chunk with fewer marked blocks is patched: only their rows are read again


class Arrays:
    """The arrays of one chunk being built, made on first use."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def get(self, facet: str) -> np.ndarray:
        if facet not in self.arrays:
            self.arrays[facet] = empty(facet)
        return self.arrays[facet]

    def flag_groups(self, kind: str, values: Sequence[Any], at: np.ndarray) -> None:
        """Set `kind:<value>` at the positions holding each value."""
        for value, rows in groups(values):
            self.get(key(kind, value))[at[rows]] = True


def groups(values: Sequence[Any]) -> Iterator[tuple[Any, np.ndarray]]:
    """Each distinct value but None, with the indices of `values` that hold it: values are coded 0, 1, … in the order
    first seen, so one sort of the codes splits into the groups in that order."""
    codes: dict[Any, int] = {}
    coded = np.array([codes.setdefault(v, len(codes)) for v in values], dtype=np.int64)
    order = np.argsort(coded, kind="stable")
    for value, rows in zip(codes, np.split(order, np.flatnonzero(np.diff(coded[order])) + 1), strict=True):
        if value is not None:
            yield value, rows


def _datarow(out: Arrays, at: np.ndarray, media_types: Sequence[str], dataset_ids: Sequence[str]) -> None:
    out.get(key("live"))[at] = True
    out.flag_groups("media", media_types, at)
    out.flag_groups("dataset", dataset_ids, at)


def _values(out: Arrays, schema_id: str, at: np.ndarray, numbers: np.ndarray, moments: np.ndarray) -> None:
    has, seen = out.get(key("has", schema_id)), np.unique(at, return_counts=True)
    several = np.concatenate([at[has[at]], seen[0][seen[1] > 1]])  # a second value, in this batch or before
    if several.size:
        out.get(key("multi", schema_id))[several] = True
    has[at] = True
    for kind, values in (("number", numbers), ("datetime", moments)):
        given = ~np.isnan(values)
        if given.any():
            out.get(key(kind, schema_id))[at[given]] = values[given]


def _metadata(out: Arrays, at: np.ndarray, schema_ids: Sequence[str], numbers: Any, moments: Any, options: Any) -> None:
    number = np.array(numbers, dtype=np.float64)  # None → NaN
    moment = np.array(moments, dtype="datetime64[us]")  # None → NaT
    micros = np.where(np.isnat(moment), np.nan, moment.astype(np.int64).astype(np.float64))
    for schema_id, rows in groups(schema_ids):
        _values(out, schema_id, at[rows], number[rows], micros[rows])
    out.flag_groups("option", options, at)


def _feature(out: Arrays, at: np.ndarray, schema_ids: Sequence[str], names: Sequence[str], counts: Any) -> None:
    count = np.array(counts, dtype=np.uint32)
    for kind, values in (("feature", schema_ids), ("featureName", names)):
        for value, rows in groups(values):
            np.add.at(out.get(key(kind, value)), at[rows], count[rows])


def _project(
    out: Arrays, at: np.ndarray, project_ids: Sequence[str], statuses: Sequence[str], batch_ids: Sequence[str | None]
) -> None:
    codes = np.array([STATUS_CODES.get(s, 0) for s in statuses], dtype=np.uint8)
    for project_id, rows in groups(project_ids):
        out.get(key("project", project_id))[at[rows]] = codes[rows]
    out.flag_groups("status", statuses, at)
    batches = [None if b is None else f"{p}/{b}" for p, b in zip(project_ids, batch_ids, strict=True)]
    out.flag_groups("batch", batches, at)


def _run(out: Arrays, at: np.ndarray, run_ids: Sequence[str]) -> None:
    out.flag_groups("run", run_ids, at)


def _labeled(out: Arrays, at: np.ndarray, project_ids: Sequence[str | None]) -> None:
    out.flag_groups("labeled", project_ids, at)  # a model run's label has no project: left out


def _flag(out: Arrays, facet: str, rows: np.ndarray) -> None:
    if rows.any():
        out.get(facet)[rows] = True


def _labeled_in(out: Arrays) -> None:
    """From the project and labeled arrays: labeledIn / unlabeledIn by workflow status (and any status), for the
    project leaf's `labeled` without a `projectId`."""
    for facet, codes in list(out.arrays.items()):
        kind, project = facet.split(":", 1)
        if kind != "project":
            continue
        labeled = out.arrays.get(key("labeled", project), empty(key("labeled", project)))
        for status, rows in ((ANY_STATUS, codes != 0), *((s, codes == c) for s, c in STATUS_CODES.items())):
            _flag(out, key("labeledIn", status), rows & labeled)
            _flag(out, key("unlabeledIn", status), rows & ~labeled)


Source = tuple[Table | None, tuple[str, ...], Callable[..., None]]
_V, _F = MetadataValue.__table__, LabelFeature.__table__
_P, _M = ProjectDataRow.__table__, ModelRunDataRow.__table__
_L = Label.__table__
# Each table the arrays mirror (None: datarow itself): the columns read, and what a batch of them sets (given the
# rows' positions in the chunk and each column as a sequence).
SOURCES: tuple[Source, ...] = (
    (None, ("media_type", "dataset_id"), _datarow),
    (_V, ("schema_id", "number_value", "datetime_value", "option_id"), _metadata),
    (_F, ("feature_schema_id", "name", "count"), _feature),
    (_P, ("project_id", "workflow_status", "batch_id"), _project),
    (_M, ("model_run_id",), _run),
    (_L, ("project_id",), _labeled),
)


def _statement(table: Table | None, columns: tuple[str, ...], rows: ColumnElement[bool]) -> Any:
    if table is None:
        return select(D.seq, *(D[c] for c in columns)).where(rows)
    joined = table.join(DataRow.__table__, D.id == table.c.data_row_id)
    return select(D.seq, *(table.c[c] for c in columns)).select_from(joined).where(rows)


def _blocks(chunk: int, blocks: Sequence[int] | None) -> ColumnElement[bool]:
    """The rows of the chunk by `seq`, or of the given blocks of it."""
    if blocks is None:
        return D.seq.between(chunk << CHUNK_BITS, ((chunk + 1) << CHUNK_BITS) - 1)
    return or_(*(D.seq.between(b << BLOCK_BITS, ((b + 1) << BLOCK_BITS) - 1) for b in blocks))


async def chunk_arrays(
    conn: AsyncConnection, organization_id: str, chunk: int, blocks: Sequence[int] | None = None
) -> dict[str, np.ndarray]:
    """Every facet array of the organization's rows in `chunk` (or only in the given blocks of it: the other
    positions left empty), read from the tables."""
    low, rows = chunk << CHUNK_BITS, (D.organization_id == organization_id) & _blocks(chunk, blocks)
    out = Arrays()
    for table, columns, apply in SOURCES:
        result = await conn.stream(_statement(table, columns, rows))
        async for part in result.partitions(PARTITION):  # a bounded batch of rows in memory at a time
            seqs, *values = zip(*part, strict=True)
            apply(out, np.array(seqs, dtype=np.int64) - low, *values)
    _labeled_in(out)
    return out.arrays


async def _stored(conn: AsyncConnection, organization_id: str, chunk: int) -> dict[str, np.ndarray]:
    stmt = select(CHUNKS.c.key, CHUNKS.c.data).where(
        (CHUNKS.c.organization_id == organization_id) & (CHUNKS.c.chunk == chunk)
    )
    return {facet: np.frombuffer(data, dtype(facet)).copy() for facet, data in await conn.execute(stmt)}


def _holds_values(array: np.ndarray) -> bool:
    return bool((~np.isnan(array)).any() if array.dtype.kind == "f" else array.any())


def patched(
    stored: dict[str, np.ndarray], fresh: dict[str, np.ndarray], chunk: int, blocks: Sequence[int]
) -> dict[str, np.ndarray]:
    """The stored arrays with the positions of `blocks` taken from `fresh` (built from those blocks' rows alone);
    an array left without any value is dropped (a rebuild of the whole chunk would not make it)."""
    at = np.zeros(CHUNK_ROWS, dtype=bool)
    for block in blocks:
        start = (block << BLOCK_BITS) - (chunk << CHUNK_BITS)
        at[start : start + BLOCK_ROWS] = True
    out = {}
    for facet in stored.keys() | fresh.keys():
        array = stored.get(facet, empty(facet))
        array[at] = fresh.get(facet, empty(facet))[at]
        if _holds_values(array):
            out[facet] = array
    return out


def _records(organization_id: str, chunk: int, arrays: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    return [
        {"organization_id": organization_id, "chunk": chunk, "key": k, "data": a.tobytes()} for k, a in arrays.items()
    ]


async def lock_chunk(conn: AsyncConnection, organization_id: str, chunk: int) -> None:
    """One rebuild of a chunk at a time (a patch reads the arrays another rebuild may be writing). On SQLite the
    marks' DELETE takes the database's write lock, which does it."""
    if conn.dialect.name == "postgresql":
        lock = text("SELECT pg_advisory_xact_lock(hashtext(:organization_id), :chunk)")
        await conn.execute(lock, {"organization_id": organization_id, "chunk": chunk})


async def rebuild_chunk(
    engine: AsyncEngine, organization_id: str, chunk: int, blocks: Sequence[int] | None = None
) -> None:
    """Rebuild the chunk's arrays; given a few marked `blocks`, only their rows are read again and patched into the
    stored arrays (all of them when the chunk has none yet). The marks go first: on SQLite that takes the write
    lock, so no write lands between the reads; on PostgreSQL it waits for a writer whose trigger holds a mark, then
    the reads see its rows (a later write marks again)."""
    async with engine.begin() as conn:
        await lock_chunk(conn, organization_id, chunk)
        marks = DIRTY.c.organization_id == organization_id
        await conn.execute(delete(DIRTY).where(marks & _marked(chunk, blocks)))
        stored = {} if blocks is None else await _stored(conn, organization_id, chunk)
        if stored and blocks is not None:
            arrays = patched(stored, await chunk_arrays(conn, organization_id, chunk, blocks), chunk, blocks)
        else:
            if blocks is not None:  # no arrays to patch: the whole chunk is read, so all its marks go
                await conn.execute(delete(DIRTY).where(marks & _marked(chunk, None)))
            arrays = await chunk_arrays(conn, organization_id, chunk)
        await conn.execute(
            delete(CHUNKS).where((CHUNKS.c.organization_id == organization_id) & (CHUNKS.c.chunk == chunk))
        )
        if arrays:
            await conn.execute(insert(CHUNKS), _records(organization_id, chunk, arrays))


def _marked(chunk: int, blocks: Sequence[int] | None) -> ColumnElement[bool]:
    if blocks is None:
        return DIRTY.c.block.between(chunk << BLOCKS, ((chunk + 1) << BLOCKS) - 1)
    return DIRTY.c.block.in_(blocks)


def patchable(blocks: Marks, marks: Marks, built: Marks) -> Marks:
    """Those of `blocks` whose chunk has arrays and fewer than PARTIAL_BLOCKS `marks`: rebuilt, they are patched."""
    per_chunk = Counter((org, block >> BLOCKS) for org, block in marks)
    chunks = {chunk for chunk, n in per_chunk.items() if n < PARTIAL_BLOCKS}.intersection(built)
    return [(org, block) for org, block in blocks if (org, block >> BLOCKS) in chunks]


async def rebuild_marked(engine: AsyncEngine, marks: Marks) -> int:
    """Rebuild the chunks of the marked (organization, block) pairs, patching those with fewer than PARTIAL_BLOCKS
    marked blocks; how many chunks."""
    chunks: dict[tuple[str, int], list[int]] = {}
    for org, block in marks:
        chunks.setdefault((org, block >> BLOCKS), []).append(block)
    for (org, chunk), blocks in chunks.items():
        await rebuild_chunk(engine, org, chunk, blocks if len(blocks) < PARTIAL_BLOCKS else None)
    return len(chunks)


async def rebuild_dirty(engine: AsyncEngine, organization_id: str | None = None) -> int:
    """Rebuild every chunk holding a marked block (of one organization, or all); how many."""
    async with engine.connect() as conn:
        marks = await dirty_blocks(conn, organization_id)
    return await rebuild_marked(engine, marks)
