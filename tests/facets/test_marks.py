"""Every write to a table the facet arrays are built from marks its block of 1,024 rows (row triggers on SQLite,
statement triggers on PostgreSQL, which fire in replica mode too), and a count takes a marked block's rows from SQL
until its chunk is rebuilt: a count never reads a stale array, and reads the arrays for the rest."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db import read_connection
from server.facets import count
from server.facets.build import rebuild_dirty
from server.facets.count import fewest
from server.facets.marks import dirty_blocks
from server.ingest.import_tables import ALL_TABLES, RecordMaker, Tables, write_records
from server.ingest.pg_copy import unchecked_tables
from server.models import DataRow, FacetDirty, LabelFeature, MetadataValue, ModelRunDataRow, ProjectDataRow
from server.models.facets import BLOCK_BITS, CHUNK_ROWS, MARK_ALL
from server.orgs import ensure_organization
from server.query.count import count_rows
from server.query.scope import request_where
from server.settings import Settings
from tests.factory.filters import CatalogSpec, build_catalog
from tests.utils.facet_marks import counts, fresh, marks, spread, statements

D = DataRow.__table__  # type: ignore[attr-defined]


@pytest.fixture
async def spec(engine: AsyncEngine, org_id: str) -> CatalogSpec:
    built = await build_catalog(engine, org_id)
    assert await rebuild_dirty(engine) == 1  # 120 rows: one chunk
    return built


SOURCES: dict[str, tuple[Any, Any]] = {  # table → (a tree its rows answer, which of its rows to write)
    "metadatavalue": (
        lambda s: {"metadata": {"name": "score", "gte": 1}},
        lambda s: MetadataValue.__table__.c.schema_id == s.names["score"],  # type: ignore[attr-defined]
    ),
    "labelfeature": (lambda s: {"annotation": {"name": "Car", "minCount": 2}}, lambda s: LabelFeature.name == "Car"),
    "projectdatarow": (
        lambda s: {"project": {"workflowStatus": ["DONE"]}},
        lambda s: ProjectDataRow.workflow_status == "DONE",
    ),
    "modelrundatarow": (
        lambda s: {"modelRunIds": [s.names["run-1"]]},
        lambda s: ModelRunDataRow.model_run_id == s.names["run-1"],
    ),
}


async def _one(engine: AsyncEngine, table: Table, where: Any) -> dict[str, Any]:
    async with engine.connect() as conn:
        return dict((await conn.execute(select(table).where(where).limit(1))).mappings().one())


def _key(table: Table, row: dict[str, Any]) -> Any:
    return [column == row[column.name] for column in table.primary_key]


@pytest.mark.parametrize("name", sorted(SOURCES))
async def test_a_delete_an_insert_and_an_update_each_mark_the_block(
    engine: AsyncEngine, org_id: str, spec: CatalogSpec, name: str
) -> None:
    table, (tree_of, rows_of) = ALL_TABLES[name], SOURCES[name]
    tree = tree_of(spec)
    before = await fresh(engine, org_id, tree)
    row = await _one(engine, table, rows_of(spec))
    writes = (delete(table).where(*_key(table, row)), insert(table).values(row), update(table).where(*_key(table, row)))
    for write in writes:
        async with engine.begin() as conn:
            await conn.execute(write.values(row) if isinstance(write, type(writes[2])) else write)
        assert await marks(engine, org_id) == [(org_id, 0)]
        facets, sql = await counts(engine, org_id, tree)
        assert facets == sql  # block 0 (all 120 rows) from SQL
        await fresh(engine, org_id, tree)
    assert await fresh(engine, org_id, tree) == before


async def test_a_new_row_is_numbered_and_marked_and_a_moved_row_counted_again(
    engine: AsyncEngine, org_id: str, spec: CatalogSpec
) -> None:
    images = await fresh(engine, org_id, {"mediaTypes": ["IMAGE"]})
    row = await _one(engine, D, (D.c.organization_id == org_id) & (D.c.media_type == "IMAGE"))
    new = {k: v for k, v in row.items() if k != "seq"} | {"id": "c-new-row", "global_key": None}
    async with engine.begin() as conn:
        await conn.execute(insert(D).values(new))
    assert await marks(engine, org_id) == [(org_id, 0)]
    async with engine.connect() as conn:
        seqs = (await conn.execute(select(D.c.seq).order_by(D.c.seq))).scalars().all()
    assert seqs[-1] == max(seqs) and len(set(seqs)) == len(seqs) == 121 and None not in seqs
    assert await fresh(engine, org_id, {"mediaTypes": ["IMAGE"]}) == images + 1
    async with engine.begin() as conn:
        await conn.execute(update(D).where(D.c.id == "c-new-row").values(media_type="VIDEO"))
    assert await marks(engine, org_id) == [(org_id, 0)]
    assert await fresh(engine, org_id, {"mediaTypes": ["IMAGE"]}) == images
    other = await ensure_organization(engine, "other")
    await fresh(engine, org_id, {"mediaTypes": ["VIDEO"]})
    async with engine.begin() as conn:  # a row moved to another organization: both organizations' chunks
        await conn.execute(update(D).where(D.c.id == "c-new-row").values(organization_id=other))
    assert await marks(engine, org_id) == [(org_id, 0)] and await marks(engine, other) == [(other, 0)]
    assert await fresh(engine, other, {"mediaTypes": ["VIDEO"]}) == 1
    async with engine.begin() as conn:
        await conn.execute(delete(D).where(D.c.id == "c-new-row"))
    assert await marks(engine, other) == [(other, 0)]
    assert await fresh(engine, other, {"mediaTypes": ["VIDEO"]}) == 0


async def test_a_copy_in_replica_mode_marks_too(
    engine: AsyncEngine, org_id: str, spec: CatalogSpec, settings: Settings
) -> None:
    if settings.is_sqlite:
        pytest.skip("COPY and the replication role are PostgreSQL's")
    unchecked = await unchecked_tables(engine, ALL_TABLES)
    assert "datarow" in unchecked  # the marking triggers fire ALWAYS: they do not stop the fast COPY
    row = await _one(engine, D, D.c.organization_id == org_id)
    in_dataset = {"datasetIds": [row["dataset_id"]]}
    before = await fresh(engine, org_id, in_dataset)
    tables: Tables = {}
    RecordMaker(engine.url.drivername).add(
        tables, "datarow", [{**{k: v for k, v in row.items() if k != "seq"}, "id": "c-copied", "global_key": None}]
    )
    async with engine.begin() as conn:
        await write_records(conn, tables, unchecked)
    assert await marks(engine, org_id) == [(org_id, 0)]
    assert await fresh(engine, org_id, in_dataset) == before + 1


@pytest.mark.parametrize("at_once", [1, 2, 8])
async def test_rows_in_several_chunks_count_a_few_chunks_at_a_time(
    engine: AsyncEngine, org_id: str, spec: CatalogSpec, monkeypatch: pytest.MonkeyPatch, at_once: int
) -> None:
    async with engine.begin() as conn:  # the 120 rows spread over chunks 0, 1, 2 and 5, then all rebuilt
        await conn.execute(update(D).values(seq=D.c.seq + CHUNK_ROWS * (D.c.seq % 4 + D.c.seq % 4 // 3 * 2)))
        await conn.execute(delete(FacetDirty.__table__))  # type: ignore[attr-defined]
        await conn.exec_driver_sql(MARK_ALL)
    assert len(await marks(engine, org_id)) == 4
    monkeypatch.setattr(count, "CHUNKS_A_READ", at_once)
    for tree in (
        {"mediaTypes": ["IMAGE"]},
        {"and": [{"metadata": {"name": "score", "gte": 1}}, {"not": {"annotation": {"name": "Car", "minCount": 2}}}]},
    ):
        assert await fresh(engine, org_id, tree) > 0


def sql_parts(engine: AsyncEngine) -> Any:
    """The statements that count rows by ranges of seq."""
    return statements(engine, "datarow.seq >=", "count(")


IMAGES = {"mediaTypes": ["IMAGE"]}


async def test_only_the_marked_blocks_rows_are_counted_from_sql(
    engine: AsyncEngine, org_id: str, spec: CatalogSpec
) -> None:
    await spread(engine, org_id, 1500)  # 120 rows over 120 blocks of three chunks
    images = await fresh(engine, org_id, IMAGES)
    row = await _one(engine, D, (D.c.organization_id == org_id) & (D.c.media_type == "IMAGE"))
    async with engine.begin() as conn:
        await conn.execute(update(D).where(D.c.id == row["id"]).values(media_type="VIDEO"))
    block = row["seq"] >> BLOCK_BITS
    async with engine.connect() as conn:
        assert await dirty_blocks(conn, org_id) == [(org_id, block)]
    with sql_parts(engine) as parts:
        assert await counts(engine, org_id, IMAGES) == (images - 1, images - 1)  # the arrays alone say `images`
    [(statement, parameters)] = parts
    assert " OR " not in statement
    assert {block << BLOCK_BITS, (block + 1) << BLOCK_BITS} <= set(parameters)
    assert await fresh(engine, org_id, IMAGES) == images - 1


async def test_many_marked_blocks_go_to_sql_in_a_few_ranges_and_too_many_all_of_it(
    engine: AsyncEngine, org_id: str, spec: CatalogSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    await spread(engine, org_id, 1500)
    images = await fresh(engine, org_id, IMAGES)
    async with engine.begin() as conn:  # 40 rows, each in a block of its own: 40 marks
        moved = select(D.c.id).where(D.c.organization_id == org_id, D.c.media_type == "IMAGE").limit(40)
        await conn.execute(update(D).where(D.c.id.in_(moved.scalar_subquery())).values(media_type="TEXT"))
    monkeypatch.setattr(count, "MOST_SPANS", 4)
    monkeypatch.setattr(count, "SQL_SHARE", 1)
    monkeypatch.setitem(count.SQL_ROWS, engine.dialect.name, CHUNK_ROWS * 3)
    with sql_parts(engine) as parts:
        assert await counts(engine, org_id, IMAGES) == (images - 40, images - 40)
    assert [statement.count(" OR ") for statement, _ in parts] == [3]  # four ranges
    monkeypatch.undo()  # 40 of the 3 chunks' 192 blocks: over an eighth of the rows, so the count is SQL's
    assert await counts(engine, org_id, IMAGES) == (None, images - 40)


def test_the_fewest_ranges_join_the_closest_ones() -> None:
    spans = [(0, 10), (10, 20), (30, 40), (100, 110), (200, 210)]
    assert fewest(spans, most=4) == [(0, 20), (30, 40), (100, 110), (200, 210)]
    assert fewest(spans, most=3) == [(0, 40), (100, 110), (200, 210)]
    assert fewest(spans, most=2) == [(0, 110), (200, 210)]
    assert fewest(spans, most=1) == [(0, 210)]
    assert fewest([(5, 9), (0, 6)], most=4) == [(0, 9)]


async def test_a_count_reads_the_arrays_of_one_moment(
    engine: AsyncEngine, org_id: str, spec: CatalogSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write to rows of two chunks, rebuilt between the count's reads of those chunks, is seen in neither."""
    await spread(engine, org_id, 1500)  # three chunks
    images = await fresh(engine, org_id, IMAGES)
    first, last = CHUNK_ROWS, 3 * CHUNK_ROWS
    moved = [
        await _one(engine, D, (D.c.media_type == "IMAGE") & (D.c.seq < first)),
        await _one(engine, D, (D.c.media_type == "IMAGE") & (D.c.seq >= 2 * CHUNK_ROWS) & (D.c.seq < last)),
    ]
    reads = count._arrays

    async def write_between(*args: Any) -> Any:
        if args[3][0] == 1:  # chunk 0 read: move an image of chunk 0 and one of chunk 2, and rebuild both
            async with engine.begin() as conn:
                ids = [row["id"] for row in moved]
                await conn.execute(update(D).where(D.c.id.in_(ids)).values(media_type="VIDEO"))
            await rebuild_dirty(engine)
        return await reads(*args)

    monkeypatch.setattr(count, "CHUNKS_A_READ", 1)
    monkeypatch.setattr(count, "_arrays", write_between)
    async with read_connection(engine) as conn:
        scope = await request_where(conn, org_id, filter=IMAGES)
        assert await count_rows(conn, scope) == images  # as before the write (without a snapshot: images - 1)
    monkeypatch.undo()
    assert await fresh(engine, org_id, IMAGES) == images - 2
