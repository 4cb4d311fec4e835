"""PostgreSQL COPY without per-row foreign-key triggers: still refuses a missing parent, never for a table with
triggers of its own, and only for a role allowed to set the replication role."""

from __future__ import annotations

import secrets
from datetime import datetime

import asyncpg
import pytest
from sqlalchemy import func, make_url, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db import create_engine
from server.ingest.import_tables import ALL_TABLES, RecordMaker, Tables, write_records
from server.ingest.pg_copy import unchecked_tables
from server.models import DataRow
from server.settings import Settings

T0 = datetime(2024, 1, 31, 12, 0)


@pytest.fixture(autouse=True)
def _postgresql_only(settings: Settings) -> None:
    if settings.is_sqlite:
        pytest.skip("replication role and per-row foreign-key triggers are PostgreSQL's")


def _data_row(engine: AsyncEngine, org_id: str, dataset_id: str) -> Tables:
    row = {"id": "row-1", "organization_id": org_id, "dataset_id": dataset_id, "row_data": "https://x/1.png",
           "media_type": "IMAGE", "created_at": T0, "updated_at": T0}  # fmt: skip
    tables: Tables = {}
    RecordMaker(engine.url.drivername).add(tables, "datarow", [row])
    return tables


async def _count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(DataRow.__table__))).scalar_one())


async def test_a_copy_without_triggers_still_refuses_a_missing_parent(engine: AsyncEngine, org_id: str) -> None:
    unchecked = await unchecked_tables(engine, ALL_TABLES)
    assert "datarow" in unchecked
    assert "datarowembedding" not in unchecked  # its embedding-generation trigger must fire
    with pytest.raises(IntegrityError, match=r"Key \(dataset_id\)=\(no-such-dataset\) is not present"):
        async with engine.begin() as conn:
            await write_records(conn, _data_row(engine, org_id, "no-such-dataset"), unchecked)
    assert await _count(engine) == 0


async def test_the_triggers_are_back_on_after_the_copy(engine: AsyncEngine, org_id: str) -> None:
    unchecked = await unchecked_tables(engine, ALL_TABLES)
    dataset = {"id": "ds-1", "organization_id": org_id, "name": "ds", "created_at": T0}
    async with engine.begin() as conn:
        await write_records(conn, {("dataset", tuple(dataset)): [tuple(dataset.values())]}, unchecked)
        await write_records(conn, _data_row(engine, org_id, "ds-1"), unchecked)
        assert (await conn.execute(text("SHOW session_replication_role"))).scalar_one() == "origin"
    assert await _count(engine) == 1


async def test_a_role_that_may_not_set_the_replication_role_keeps_the_triggers(settings: Settings) -> None:
    role = f"catalog_plain_{secrets.token_hex(4)}"
    admin = settings.database_url.replace("+asyncpg", "")
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE ROLE "{role}" LOGIN')
        url = make_url(settings.database_url).set(username=role, password=None)
        engine = create_engine(Settings(database_url=url.render_as_string(hide_password=False)))
        try:
            assert await unchecked_tables(engine, ALL_TABLES) == frozenset()
        finally:
            await engine.dispose()
    finally:
        await conn.execute(f'DROP ROLE IF EXISTS "{role}"')
        await conn.close()
