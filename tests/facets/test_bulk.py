"""Bulk loads number their new rows and mark their chunks themselves (server.facets.bulk): on SQLite without the
row triggers inside their transaction, which are back when it commits or rolls back."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db import create_engine
from server.facets.build import rebuild_dirty
from server.facets.bulk import bulk_load
from server.ingest.ndjson import import_file
from server.ingest.seed import seed_database
from server.models.facets import SQLITE_TRIGGERS
from server.orgs import ensure_organization
from server.settings import Settings
from tests.utils.export_tasks import exported
from tests.utils.facet_marks import counts, marks
from tests.utils.fixtures import empty_settings  # noqa: F401 (a fixture)

TREES = (
    {"mediaTypes": ["IMAGE"]},
    {"annotation": {"name": "Car", "minCount": 1}},
    {"project": {"workflowStatus": ["DONE"]}},
)


async def _triggers(engine: AsyncEngine) -> int:
    sql = {
        "sqlite": "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_facets_%'",
        "postgresql": "SELECT count(*) FROM pg_trigger WHERE tgname LIKE '%_facets_%'",
    }[engine.dialect.name]
    async with engine.connect() as conn:
        return int((await conn.execute(text(sql))).scalar_one())


async def _loaded(engine: AsyncEngine, org: str, rows: int) -> None:
    """Every row numbered once, in 1..rows, its chunk marked, the triggers in place; rebuilt, the arrays count as
    SQL does."""
    async with engine.connect() as conn:
        seqs = (await conn.execute(text("SELECT seq FROM datarow ORDER BY seq"))).scalars().all()
    assert len(seqs) == len(set(seqs)) == rows and seqs[0] >= 1 and seqs[-1] <= rows * 2
    assert await marks(engine, org) == [(org, 0)]
    assert await _triggers(engine) == len(SQLITE_TRIGGERS) == 18
    await rebuild_dirty(engine)
    for tree in TREES:
        facets, sql = await counts(engine, org, tree)
        assert facets == sql


async def test_a_seed_numbers_and_marks_its_rows(settings: Settings) -> None:
    await seed_database(settings, rows=40)
    engine = create_engine(settings)
    try:
        await _loaded(engine, await ensure_organization(engine), 40)
    finally:
        await engine.dispose()


async def test_an_import_numbers_and_marks_its_rows(
    settings: Settings,
    empty_settings: Settings,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    source = tmp_path / "rows.ndjson"
    source.write_bytes(await exported(settings, rows=30))
    report = await import_file(empty_settings, source)
    assert report.rows == 30
    engine = create_engine(empty_settings)
    try:
        await _loaded(engine, await ensure_organization(engine), 30)
    finally:
        await engine.dispose()


async def test_a_rolled_back_load_leaves_the_triggers(engine: AsyncEngine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's triggers stay during loads")
    with pytest.raises(RuntimeError):
        async with engine.begin() as conn, bulk_load(conn):
            assert await _triggers_in(conn) == 0
            raise RuntimeError
    assert await _triggers(engine) == len(SQLITE_TRIGGERS) == 18


async def _triggers_in(conn) -> int:  # type: ignore[no-untyped-def]
    sql = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_facets_%'"
    return int((await conn.execute(text(sql))).scalar_one())
