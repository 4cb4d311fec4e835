"""The test factory's profiles (tests/factory) over the seed's spec: what each promises its tests."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from server.models import DataRow, Label, ModelRunDataRow, ProjectDataRow
from server.orgs import ensure_organization
from tests.factory import build

D = DataRow.__table__  # type: ignore[attr-defined]


async def _column(engine: AsyncEngine, column: object) -> list[object]:
    async with engine.connect() as conn:
        return list((await conn.execute(select(column))).scalars())


async def test_every_export_row_is_in_a_project_and_a_model_run_with_a_label(engine: AsyncEngine, org_id: str) -> None:
    built = await build("export", engine, org_id, rows=6)
    rows = set(built.row_ids)
    assert len(rows) == 6
    assert set(await _column(engine, ProjectDataRow.data_row_id)) == rows
    assert set(await _column(engine, ModelRunDataRow.data_row_id)) == rows
    assert set(await _column(engine, Label.data_row_id)) == rows
    assert Counter(await _column(engine, D.c.media_type)) == dict.fromkeys(("IMAGE", "VIDEO", "TEXT"), 2)
    async with engine.connect() as conn:
        keys = dict((await conn.execute(select(D.c.id, D.c.global_key))).all())
    assert [keys[row] for row in built.row_ids] == [f"gk-{i:07d}" for i in range(6)]  # row i is row_ids[i]


async def test_two_organizations_built_in_one_database_share_no_id(engine: AsyncEngine, org_id: str) -> None:
    other = await ensure_organization(engine, "other")
    mine, theirs = await build("export", engine, org_id, rows=3), await build("export", engine, other, rows=3)
    assert len(set(mine.row_ids + theirs.row_ids)) == 6
    assert not set(mine.project_ids + mine.run_ids) & set(theirs.project_ids + theirs.run_ids)
