"""Writes, two rebuilders and counts at once, for a few seconds: every count the arrays answer equals SQL's count in
the same snapshot (the marks, the patches, the rebuild lock and the snapshot working together)."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from server.db import read_connection, snapshot
from server.facets.build import rebuild_dirty
from server.query.scope import request_where
from tests.factory.filters import build_catalog
from tests.utils.facet_marks import spread

SECONDS = 3.0
TREES: list[dict[str, Any]] = [
    {"mediaTypes": ["IMAGE"]},
    {"metadata": {"name": "score", "gte": 20}},
    {"and": [{"mediaTypes": ["VIDEO", "TEXT"]}, {"not": {"annotation": {"name": "Car", "minCount": 2}}}]},
    {"project": {"workflowStatus": ["DONE"]}},
]
WRITES = (
    "UPDATE datarow SET media_type = '{choice}' WHERE id IN ({rows})",
    "UPDATE metadatavalue SET number_value = {number} WHERE number_value IS NOT NULL AND data_row_id IN ({rows})",
    "UPDATE projectdatarow SET workflow_status = '{status}' WHERE data_row_id IN ({rows})",
    "UPDATE labelfeature SET count = {count} WHERE name = 'Car' AND data_row_id IN ({rows})",
)


async def test_counts_equal_sql_while_rows_are_written_and_rebuilt(engine: AsyncEngine, org_id: str) -> None:
    await build_catalog(engine, org_id)
    await spread(engine, org_id, 1500)  # a row per block over three chunks
    async with engine.connect() as conn:
        ids = [row[0] for row in await conn.exec_driver_sql("SELECT id FROM datarow")]
    rng, stop = random.Random(4), time.monotonic() + SECONDS
    seen = {"writes": 0, "rebuilds": 0, "from arrays": 0}

    async def write() -> None:
        while time.monotonic() < stop:
            rows = ", ".join(f"'{i}'" for i in rng.sample(ids, 2))
            values = {"choice": rng.choice(["IMAGE", "VIDEO"]), "status": rng.choice(["DONE", "TO_LABEL"])}
            values |= {"number": rng.randint(0, 40), "count": rng.randint(1, 3)}
            statement = rng.choice(WRITES).format(rows=rows, **values)
            async with engine.begin() as conn:
                await conn.exec_driver_sql(statement)
            seen["writes"] += 1
            await asyncio.sleep(0.02)

    async def rebuild() -> None:
        while time.monotonic() < stop:
            await rebuild_dirty(engine)
            seen["rebuilds"] += 1
            await asyncio.sleep(0.03)

    async def count() -> None:
        while time.monotonic() < stop:
            async with read_connection(engine) as conn, snapshot(conn):
                scope = await request_where(conn, org_id, filter=rng.choice(TREES))
                assert scope.facets is not None
                facets = await scope.facets.count(conn)
                assert facets in (None, int((await conn.execute(scope.count)).scalar_one()))
            seen["from arrays"] += facets is not None
            await asyncio.sleep(0)

    await asyncio.gather(write(), rebuild(), rebuild(), count())
    assert min(seen.values()) > 0, seen
