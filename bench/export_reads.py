"""Export reads: keyset pages in short transactions (what the worker does) vs one long snapshot transaction.

`python -m bench --only export_reads --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/DB`; the rows go
under a throw-away organization and are deleted afterwards.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import orjson
from sqlalchemy import ColumnElement, delete
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.registry import Result, register
from server.db import create_engine
from server.loading.lines import iter_line_pages, load_lines
from server.loading.plan import RowPlan
from server.models import DataRow, Dataset, Organization
from server.models.base import new_id
from server.schema_check import prepare_schema
from server.settings import Settings

PLAN = RowPlan(details=True, media_attributes=True)
PAGE = 2000
ROUNDS = 3  # alternating, best of: the first read after the bulk insert is cold on both engines
SNAPSHOT = {"postgresql": "REPEATABLE READ", "sqlite": "SERIALIZABLE"}
T = DataRow.__table__.c  # type: ignore[attr-defined]


def _rows(org: str, n: int) -> list[dict[str, object]]:
    t0 = datetime(2024, 1, 1)
    return [
        {"id": new_id(), "organization_id": org, "dataset_id": org, "global_key": f"k{i}", "row_data": f"x/{i}",
         "media_type": "IMAGE", "media_attributes": '{"w":1}', "created_at": t0,
         "updated_at": t0 + timedelta(seconds=i)}
        for i in range(n)
    ]  # fmt: skip


async def _fill(engine: AsyncEngine, org: str, n: int) -> None:
    rows = _rows(org, n)
    async with engine.begin() as conn:
        await conn.execute(Organization.__table__.insert(), [{"id": org, "name": org}])
        await conn.execute(Dataset.__table__.insert(), [{"id": org, "organization_id": org, "name": "bench"}])
        for start in range(0, n, 5000):
            await conn.execute(DataRow.__table__.insert(), rows[start : start + 5000])


async def _drop(engine: AsyncEngine, org: str) -> None:
    async with engine.begin() as conn:
        for model, column in ((DataRow, T.organization_id), (Dataset, None), (Organization, None)):
            table = model.__table__  # type: ignore[attr-defined]
            key = column if column is not None else table.c.id
            await conn.execute(delete(table).where(key == org))


async def short_transactions(engine: AsyncEngine, where: ColumnElement[bool]) -> int:
    size = 0
    async for page in iter_line_pages(engine, where, PLAN, PAGE):
        size += sum(len(orjson.dumps(line)) for line in page.lines)
    return size


async def one_snapshot(engine: AsyncEngine, where: ColumnElement[bool]) -> int:
    size, after = 0, None
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level=SNAPSHOT[engine.dialect.name])
        async with conn.begin():
            while True:
                result = await load_lines(conn, where, PLAN, PAGE, after)
                size += sum(len(orjson.dumps(line)) for line in result.lines)
                if not result.page.has_next:
                    return size
                after = result.page.end_cursor


READS: dict[str, Callable[[AsyncEngine, ColumnElement[bool]], Awaitable[int]]] = {
    "keyset pages, short transactions": short_transactions,
    "one snapshot transaction": one_snapshot,
}


async def _measure(url: str, n: int) -> list[Result]:
    engine = create_engine(Settings(database_url=url))
    org = new_id()
    await prepare_schema(engine)
    await _fill(engine, org, n)
    best = dict.fromkeys(READS, 0.0)
    try:
        for _ in range(ROUNDS):
            for case, read in READS.items():
                started = time.perf_counter()
                await read(engine, T.organization_id == org)
                best[case] = max(best[case], n / (time.perf_counter() - started))
    finally:
        await _drop(engine, org)
        await engine.dispose()
    note = f"{n:,} rows, page {PAGE}, best of {ROUNDS}"
    return [Result("export_reads", case, rate, "rows/s", engine.dialect.name, note) for case, rate in best.items()]


@register("export_reads")
async def export_reads(args: argparse.Namespace) -> list[Result]:
    urls = args.database_url or [f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"]
    return [r for url in urls for n in (args.rows or [100_000]) for r in await _measure(url, n)]
