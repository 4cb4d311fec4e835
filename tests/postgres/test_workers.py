"""Several processes on one database: each export task is claimed by exactly one worker; any app serves any result."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from server.app import create_app
from server.db import create_engine
from server.export.tasks import E, ExportRequest, claim_next, create_task
from server.orgs import ensure_organization
from server.schema_check import prepare_schema
from server.settings import Settings, replace
from tests.factory.engine_bytes import ROW_IDS, insert_catalog
from tests.utils.client import GraphQLClient, http_client

TASKS = 12


async def _queued(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).where(E.status == "QUEUED"))).scalar_one())


async def _drain(engine: AsyncEngine, name: str) -> list[str]:
    """Claim until nothing is queued; a lost race (None while tasks remain) just tries again."""
    claimed: list[str] = []
    while True:
        task = await claim_next(engine, name)
        if task is not None:
            claimed.append(task.id)
        elif not await _queued(engine):
            return claimed


async def test_racing_claimers_take_each_task_exactly_once(settings: Settings) -> None:
    engines = [create_engine(settings) for _ in range(2)]  # two "processes", three claimers each
    await prepare_schema(engines[0])
    org = await ensure_organization(engines[0])
    ids = [await create_task(engines[0], org, ExportRequest()) for _ in range(TASKS)]

    names = [f"w{i}.{j}" for i in range(2) for j in range(3)]
    claims = await asyncio.gather(*(_drain(engines[int(n[1])], n) for n in names))

    claimed = [task_id for worker in claims for task_id in worker]
    assert sorted(claimed) == sorted(ids)  # every task once, none twice
    async with engines[0].connect() as conn:
        owners = dict((await conn.execute(select(E.id, E.claimed_by))).all())
    assert owners == {task_id: name for name, worker in zip(names, claims, strict=True) for task_id in worker}
    for engine in engines:
        await engine.dispose()


EXPORT = "mutation { exportDataRows(params: {dataRowDetails: true}) { id } }"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Room for the six exports this module queues at once (the default quota is four per organization)."""
    return replace(settings, max_concurrent_exports=8)


async def test_two_apps_share_tasks_and_results(
    settings: Settings, app: Starlette, engine: AsyncEngine, org_id: str, gql: GraphQLClient, demo_key: str
) -> None:
    await insert_catalog(engine, org_id)
    other = create_app(settings)
    async with (
        other.router.lifespan_context(other),
        http_client(other, demo_key) as other_http,
    ):
        ids = [(await gql.data(EXPORT))["exportDataRows"]["id"] for _ in range(6)]
        tasks = [await gql.wait_export(task_id) for task_id in ids]
        assert [t["status"] for t in tasks] == ["COMPLETE"] * 6
        for task_id, task in zip(ids, tasks, strict=True):
            body = (await other_http.get(f"/exports/{task_id}.ndjson")).content  # served by the app that did not run it
            assert body.count(b"\n") == task["rowCount"] == len(ROW_IDS)
            assert hashlib.sha256(body).hexdigest() == task["sha256"]
