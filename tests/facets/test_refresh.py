"""What keeps the arrays in use: the server's background rebuild (once the marks hold still), `catalog-export
facets`; and what they cannot say (several values of one schema on a row) goes to SQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from server.cli import main
from server.facets.build import PARTIAL_BLOCKS, lock_chunk, rebuild_dirty
from server.facets.build import SOURCES as SOURCE_TABLES
from server.facets.columns import dtype, empty
from server.facets.marks import Marks, dirty_blocks
from server.facets.refresher import FacetRefresher
from server.models import FacetChunk, MetadataValue
from server.models.facets import MARK_ALL
from server.settings import Settings
from tests.factory.filters import build_catalog
from tests.utils.facet_marks import STALE_WRITES, counts, fresh, marks, spread, statements

V = MetadataValue.__table__  # type: ignore[attr-defined]
C = FacetChunk.__table__.c  # type: ignore[attr-defined]


async def test_the_refresher_rebuilds_marks_that_held_still_for_one_interval(engine: AsyncEngine, org_id: str) -> None:
    await build_catalog(engine, org_id)
    refresher = FacetRefresher(engine, interval=1.0)
    seen = await refresher.tick([])
    assert seen == [(org_id, 0)] and await marks(engine, org_id) == seen  # new marks: an import may go on
    assert await refresher.tick([(org_id, 7)]) == seen  # the marks moved since: wait again
    assert await refresher.tick(seen) == [] and await marks(engine, org_id) == []
    await fresh(engine, org_id, {"mediaTypes": ["IMAGE"]})


async def test_a_schema_with_two_values_on_a_row_counts_from_sql(engine: AsyncEngine, org_id: str) -> None:
    spec = await build_catalog(engine, org_id)
    score = spec.names["score"]
    async with engine.begin() as conn:
        row = (await conn.execute(select(V).where(V.c.schema_id == score).limit(1))).mappings().one()
        await conn.execute(insert(V).values({**row, "id": "c-second-value", "number_value": 99.0}))
    await rebuild_dirty(engine)
    assert await counts(engine, org_id, {"metadata": {"name": "score", "gte": 99}}) == (None, 1)
    assert (await counts(engine, org_id, {"metadata": {"name": "score", "exists": True}}))[0] is not None


def test_the_facets_command_rebuilds_marked_chunks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--database-url", f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"]
    assert main(["seed", *db, "--rows", "300"]) == 0
    assert main(["facets", *db]) == 0
    assert "facet arrays: 1 chunk(s) rebuilt in" in capsys.readouterr().err
    assert main(["facets", *db]) == 0
    assert "facet arrays: 0 chunk(s) rebuilt in" in capsys.readouterr().err


async def _arrays(engine: AsyncEngine, org_id: str) -> dict[tuple[int, str], bytes]:
    async with engine.connect() as conn:
        stmt = select(C.chunk, C.key, C.data).where(C.organization_id == org_id)
        return {(chunk, facet): data for chunk, facet, data in await conn.execute(stmt)}


def _same(patched: dict[tuple[int, str], bytes], whole: dict[tuple[int, str], bytes]) -> bool:
    """The same arrays, an array missing on one side being the empty one."""
    import numpy as np

    def read(arrays: dict[tuple[int, str], bytes], at: tuple[int, str]) -> Any:
        data = arrays.get(at)
        return empty(at[1]) if data is None else np.frombuffer(data, dtype(at[1]))

    return all(
        np.array_equal(read(patched, at), read(whole, at), equal_nan=True) for at in patched.keys() | whole.keys()
    )


async def _patched_as_whole(engine: AsyncEngine, org_id: str) -> list[str]:
    """Rebuild the marks (patches), check the arrays equal a rebuild of every chunk; the statements that read rows."""
    with statements(engine, "datarow.seq BETWEEN") as reads:
        await rebuild_dirty(engine)
    patched = await _arrays(engine, org_id)
    async with engine.begin() as conn:
        await conn.exec_driver_sql(MARK_ALL)
    await rebuild_dirty(engine)  # 33 to 44 marks a chunk: whole chunks
    assert _same(patched, await _arrays(engine, org_id))
    return [statement for statement, _ in reads]


async def test_a_few_marked_blocks_are_patched_as_a_whole_rebuild_would_make_them(
    engine: AsyncEngine, org_id: str
) -> None:
    await build_catalog(engine, org_id)
    await spread(engine, org_id, 1500)  # a row per block, over three chunks
    async with engine.begin() as conn:  # one block: its row's old media type is in no other marked row
        await conn.exec_driver_sql("UPDATE datarow SET media_type = 'DICOM' WHERE seq = 45000")
    assert [r.count("BETWEEN") for r in await _patched_as_whole(engine, org_id)] == [1] * len(SOURCE_TABLES)
    async with engine.begin() as conn:
        rows = (await conn.exec_driver_sql("SELECT id, seq FROM datarow ORDER BY seq")).all()
        for at, write in STALE_WRITES.items():
            await conn.exec_driver_sql(write.format(rows=", ".join(f"'{i}'" for i, _ in rows[at::40])))
    async with engine.connect() as conn:
        by_chunk = Counter(block >> 6 for _, block in await dirty_blocks(conn, org_id))
    reads = sorted(r.count("BETWEEN") for r in await _patched_as_whole(engine, org_id))
    assert reads == sorted(n for n in by_chunk.values() for _ in SOURCE_TABLES)  # only the marked blocks' rows
    for tree in ({"mediaTypes": ["DICOM"]}, {"metadata": {"name": "score", "exists": True}}):
        await fresh(engine, org_id, tree)


async def test_rebuilds_of_one_chunk_wait_for_each_other(engine: AsyncEngine, org_id: str, settings: Settings) -> None:
    """A patch reads the arrays another rebuild may be writing: on PostgreSQL a rebuild waits for the chunk's lock
    (on SQLite the database's write lock serialises them)."""
    if settings.is_sqlite:
        pytest.skip("SQLite's single writer serialises rebuilds")
    await build_catalog(engine, org_id)
    await rebuild_dirty(engine)
    async with engine.begin() as conn:
        await conn.exec_driver_sql("UPDATE datarow SET media_type = 'DICOM' WHERE seq = 7")
    async with engine.begin() as holder:  # another rebuild of chunk 0, still running
        await lock_chunk(holder, org_id, 0)
        waiting = asyncio.create_task(rebuild_dirty(engine))
        await asyncio.sleep(0.5)
        assert not waiting.done()
    assert await waiting == 1
    await fresh(engine, org_id, {"mediaTypes": ["DICOM"]})


async def test_the_refresher_patches_settled_blocks_while_writes_go_on(engine: AsyncEngine, org_id: str) -> None:
    """Blocks marked a tick ago and still marked are patched though new marks keep coming; a chunk with many marks
    (an import filling it) waits for the marks to hold still."""
    await build_catalog(engine, org_id)
    await spread(engine, org_id, 1500)  # a row per block over three chunks, all rebuilt

    async def touch(*seqs: int) -> None:
        async with engine.begin() as conn:
            await conn.exec_driver_sql(f"UPDATE datarow SET media_type = 'DICOM' WHERE seq IN {(*seqs, -1)}")

    async def marked() -> Marks:
        async with engine.connect() as conn:
            return await dirty_blocks(conn, org_id)

    refresher = FacetRefresher(engine, interval=1.0)
    await touch(1500)
    seen = await refresher.tick([])
    assert seen == await marked() == [(org_id, 1)]
    await touch(3000)  # a new write: the marks moved, but block 1 has settled
    seen = await refresher.tick(seen)
    assert seen == await marked() == [(org_id, 2)]
    await touch(*range(4500, 4500 + 1500 * PARTIAL_BLOCKS, 1500))  # chunk 0 now holds 17 marks: it waits
    seen = await refresher.tick(seen)
    assert len(seen) == len(await marked()) == PARTIAL_BLOCKS + 1
    await touch(70 * 1500)  # chunk 1
    seen = await refresher.tick(seen)
    assert len(seen) == PARTIAL_BLOCKS + 2
    assert await refresher.tick(seen) == [] and await marked() == []
    await fresh(engine, org_id, {"mediaTypes": ["DICOM"]})
