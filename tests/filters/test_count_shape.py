"""The count-shaped compile (Scope.count_where): the same rows as the page compile, its relation sets intersected."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from server.filters.scope import request_where
from server.models import DataRow
from tests.filters.test_plans import RELATED
from tests.utils.filter_catalog import CatalogSpec

T = DataRow.__table__.c  # type: ignore[attr-defined]


def trees(c: CatalogSpec) -> dict[str, dict[str, Any]]:
    project, run = c.names["proj-a"], c.names["run-1"]
    return {
        "metadata+annotation+project+not": {
            "and": [{"metadata": {"name": "score", "gte": 2}}, {"annotation": {"name": "Car", "minCount": 2}}],
            "project": {"workflowStatus": ["IN_REVIEW", "DONE"]},
            "not": {"mediaTypes": ["TEXT"]},
        },
        "nested and, model runs, an or beside": {
            "and": [{"and": [{"modelRunIds": [run]}, {"project": {"projectId": project, "labeled": True}}]}],
            "or": [{"metadata": {"name": "weather", "eq": "sunny"}}, {"mediaTypes": ["VIDEO"]}],
        },
        "annotation ranges and a metadata absence": {
            "annotation": {"name": "Car", "minCount": 1, "maxCount": 2},
            "and": [
                {"metadata": {"name": "caption", "contains": "a"}},
                {"metadata": {"name": "captured_at", "exists": False}},
                {"annotation": {"kind": "Radio", "minCount": 0, "maxCount": 0}},
            ],
        },
    }


NAMES = list(trees(CatalogSpec(__import__("random").Random(0), names={k: k for k in ("proj-a", "run-1")})))


async def ids(engine: AsyncEngine, org_id: str, tree: dict[str, Any], attr: str) -> tuple[set[str], int]:
    async with engine.connect() as conn:
        where = getattr(await request_where(conn, org_id, tree), attr)
        rows = set((await conn.execute(select(T.id).where(where))).scalars())
        return rows, (await conn.execute(select(func.count()).select_from(DataRow.__table__).where(where))).scalar_one()


@pytest.mark.parametrize("name", NAMES)
async def test_count_where_admits_the_rows_of_where(
    engine: AsyncEngine, org_id: str, catalog: CatalogSpec, name: str
) -> None:
    tree = trees(catalog)[name]
    page_ids, page_count = await ids(engine, org_id, tree, "where")
    count_ids, count = await ids(engine, org_id, tree, "count_where")
    assert count_ids == page_ids and count == page_count == len(page_ids)
    assert 0 < count < 120


async def test_count_where_intersects_the_relation_sets_page_where_does_not(
    engine: AsyncEngine, org_id: str, catalog: CatalogSpec
) -> None:
    async with engine.connect() as conn:
        scope = await request_where(conn, org_id, trees(catalog)[NAMES[0]])
    count_sql = str(scope.count_where.compile(engine.sync_engine))
    assert count_sql.count("INTERSECT") == 2 and "ORDER BY 1" in count_sql
    assert "INTERSECT" not in str(scope.where.compile(engine.sync_engine))


@pytest.mark.parametrize("name", NAMES)
async def test_sqlite_merges_the_sets_read_from_their_indexes(
    engine_name: str, engine: AsyncEngine, org_id: str, catalog: CatalogSpec, name: str
) -> None:
    if engine_name != "sqlite":
        pytest.skip("reads SQLite's EXPLAIN QUERY PLAN")
    async with engine.connect() as conn:
        where = (await request_where(conn, org_id, trees(catalog)[name])).count_where
        stmt = select(func.count()).select_from(DataRow.__table__).where(where)
        sql = str(stmt.compile(conn.sync_connection, compile_kwargs={"literal_binds": True}))
        plan = [r[3] for r in (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)).all()]
    assert "MERGE (INTERSECT)" in plan, plan
    assert not any(s.startswith("INTERSECT USING TEMP B-TREE") for s in plan), plan
    assert [s for s in plan if s.startswith("SCAN") and s.split()[1] in RELATED] == [], plan
