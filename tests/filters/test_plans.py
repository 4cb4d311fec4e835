"""EXPLAIN QUERY PLAN: every leaf family is served by an index; no filter reads JSON text or scans a related table."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from server.filters.scope import request_where
from server.models import DataRow
from tests.utils.filter_catalog import CatalogSpec

RELATED = ("label", "labelfeature", "metadatavalue", "projectdatarow", "modelrundatarow")
JSON_COLUMNS = ("value_json", "annotations", "workflow_history", "json_")


def trees(c: CatalogSpec) -> dict[str, dict[str, Any]]:
    project, run = c.names["proj-a"], c.names["run-1"]
    return {
        "metadata+annotation": {"metadata": {"name": "score", "gt": 2}, "annotation": {"name": "Car", "minCount": 2}},
        "enum": {"metadata": {"name": "weather", "in": ["sunny", "rainy"]}},
        "datetime metadata": {"metadata": {"name": "captured_at", "lt": "2024-01-10T00:00:00Z"}},
        "string contains": {"metadata": {"name": "caption", "contains": "beta"}},
        "not exists": {"not": {"metadata": {"name": "weather", "exists": True}}},
        "feature in project": {"annotation": {"featureSchemaId": "fs-car", "projectId": project}},
        "kind in run": {"annotation": {"kind": "Radio", "modelRunId": run, "source": "PREDICTION"}},
        "run only": {"annotation": {"modelRunId": run}},
        "project state": {
            "project": {
                "projectId": project,
                "workflowStatus": ["DONE"],
                "labeled": True,
                "labelCreatedAt": {"gte": "2024-01-02T00:00:00Z"},
            }
        },
        "status anywhere": {"project": {"workflowStatus": ["IN_REVIEW"]}},
        "batches": {"project": {"batchIds": [c.names["proj-a-batch1"]]}},
        "model runs": {"modelRunIds": [run]},
        "created": {"createdAt": {"gte": "2024-01-02T00:00:00Z"}},
        "keys": {"globalKeys": ["gk-0001"], "externalIds": ["ext-1"]},
    }


async def plan_of(conn: Any, org_id: str, tree: dict[str, Any]) -> tuple[str, list[str]]:
    stmt = select(func.count()).select_from(DataRow.__table__).where((await request_where(conn, org_id, tree)).where)
    sql = str(stmt.compile(conn.sync_connection, compile_kwargs={"literal_binds": True}))
    rows = (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)).all()
    return sql, [r[3] for r in rows]


@pytest.mark.parametrize(
    "name",
    list(
        trees(CatalogSpec(__import__("random").Random(0), names={k: k for k in ("proj-a", "run-1", "proj-a-batch1")}))
    ),
)
async def test_filter_uses_indexes_and_never_json(
    engine_name: str, engine: Any, org_id: str, catalog: CatalogSpec, name: str
) -> None:
    if engine_name != "sqlite":
        pytest.skip("reads SQLite's EXPLAIN QUERY PLAN; PostgreSQL plans are measured in make bench")
    async with engine.connect() as conn:
        sql, plan = await plan_of(conn, org_id, trees(catalog)[name])
    assert not any(column in sql for column in JSON_COLUMNS), sql
    scans = [step for step in plan if step.startswith("SCAN") and step.split()[1] in RELATED]
    assert scans == [], plan
    assert any("INDEX" in step for step in plan), plan
