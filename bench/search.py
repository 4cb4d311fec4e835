"""Search benchmarks: exact top-10 cosine over N x 384-d vectors (kernel and end to end) and full-text query latency.

Run: `python -m bench --only search [--rows 100000] [--database-url postgresql+asyncpg://...]`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert, true
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.registry import Result, register
from server.db import create_engine
from server.loading.lines import load_lines
from server.loading.plan import RowPlan
from server.models import DataRow, DataRowEmbedding, Dataset, Embedding, Organization
from server.models.base import new_id
from server.query.scope import request_where
from server.schema_check import create_all
from server.search.fulltext import index_new_rows
from server.search.ranking import rank
from server.search.vectors import TopK, cosine_scores, pack, unit
from server.settings import Settings

DIMS = 384
WORDS = (
    "red", "green", "blue", "car", "truck", "boat", "cat", "dog",
    "bird", "tree", "river", "city", "night", "day", "snow", "rain",
)  # fmt: skip
CHUNK = 5000
ALL_ROWS = true()  # a filter that admits every row: measures the candidate-id SELECT


def _timed_ms(fn: Callable[[], Any], repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


async def _timed_async_ms(fn: Callable[[], Awaitable[Any]], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def kernel(rows: int) -> Result:
    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((rows, DIMS), dtype=np.float32)
    ids = np.array([f"r{i:08d}" for i in range(rows)], dtype=object)
    query = unit(matrix[0])

    def top10() -> None:
        best = TopK(10, None)
        for start in range(0, rows, 8192):
            best.add(ids[start : start + 8192], cosine_scores(matrix[start : start + 8192], query))

    return Result("search", f"similarity kernel top-10, {rows:,} x {DIMS}", _timed_ms(top10), "ms", "numpy")


async def _seed(engine: AsyncEngine, rows: int) -> tuple[str, str]:
    await create_all(engine)
    org_id, dataset_id, embedding_id = new_id(), new_id(), new_id()
    rng = np.random.default_rng(1)
    async with engine.begin() as conn:
        await conn.execute(insert(Organization.__table__), [{"id": org_id, "name": f"bench-{org_id}"}])
        await conn.execute(insert(Dataset.__table__), [{"id": dataset_id, "organization_id": org_id, "name": "b"}])
        space = {"id": embedding_id, "organization_id": org_id, "name": "bench", "dims": DIMS}
        await conn.execute(insert(Embedding.__table__), [space])
    for start in range(0, rows, CHUNK):
        await _seed_chunk(engine, org_id, dataset_id, embedding_id, rng, min(CHUNK, rows - start))
    return org_id, embedding_id


async def _seed_chunk(engine: AsyncEngine, org: str, dataset: str, space: str, rng: Any, n: int) -> None:
    ids = [new_id() for _ in range(n)]
    texts = [" ".join(rng.choice(WORDS, 6)) for _ in range(n)]
    vectors = rng.standard_normal((n, DIMS), dtype=np.float32)
    async with engine.begin() as conn:
        rows = [
            {"id": i, "organization_id": org, "dataset_id": dataset, "row_data": t, "media_type": "TEXT"}
            for i, t in zip(ids, texts, strict=True)
        ]
        await conn.execute(insert(DataRow.__table__), rows)
        values = [
            {"embedding_id": space, "data_row_id": i, "organization_id": org, "vector": pack(v)}
            for i, v in zip(ids, vectors, strict=True)
        ]
        await conn.execute(insert(DataRowEmbedding.__table__), values)
        await index_new_rows(conn, ids)


async def end_to_end(database_url: str, rows: int, engine_name: str) -> list[Result]:
    engine = create_engine(Settings(database_url=database_url))
    start = time.perf_counter()
    org_id, embedding_id = await _seed(engine, rows)
    seed_s = time.perf_counter() - start
    similar = {"embedding": embedding_id, "vector": np.ones(DIMS).tolist(), "k": 10}

    async def query(condition: dict[str, Any], candidates: Any = ALL_ROWS) -> None:
        async with engine.connect() as conn:
            await rank(conn, org_id, condition, candidates)

    results = [
        Result("search", f"seed + reindex {rows:,} rows", rows / seed_s, "rows/s", engine_name),
        Result(
            "search",
            f"similarTo top-10, {rows:,} x {DIMS}, no other condition",
            await _timed_async_ms(lambda: query(similar, None)),
            "ms",
            engine_name,
            "exact, cached matrix (first query loads it)",
        ),
        Result(
            "search",
            f"similarTo top-10, {rows:,} x {DIMS}, with a filter admitting all rows",
            await _timed_async_ms(lambda: query(similar)),
            "ms",
            engine_name,
            "exact, cached matrix + best-window id check",
        ),
    ]
    for words in ("river", "red car night"):
        ms = await _timed_async_ms(lambda w=words: query({"query": w}))
        results.append(Result("search", f"full-text '{words}', {rows:,} rows", ms, "ms", engine_name, "top 10,000"))
    results += await _pages(engine, org_id, similar, rows, engine_name)
    await engine.dispose()
    return results


async def _pages(engine: AsyncEngine, org_id: str, similar: dict[str, Any], rows: int, name: str) -> list[Result]:
    """What dataRows does: request_where (filter, then rank) and the first ranked page of 10 lines."""

    async def page(filter: dict[str, Any]) -> None:
        async with engine.connect() as conn:
            scope = await request_where(conn, org_id, filter)
            await load_lines(conn, scope.where, RowPlan(), 10, ranking=scope.ranking)

    results = []
    for label, filter in (
        ("similarTo top-10 + mediaTypes", {"similarTo": similar, "mediaTypes": ["TEXT"]}),
        ("search 'red car night' + mediaTypes", {"search": {"query": "red car night"}, "mediaTypes": ["TEXT"]}),
    ):
        ms = await _timed_async_ms(lambda f=filter: page(f))
        results.append(Result("search", f"first page of 10, {label}, {rows:,} rows", ms, "ms", name, "request_where"))
    return results


@register("search")
async def search_bench(args: argparse.Namespace) -> list[Result]:
    results: list[Result] = []
    for rows in args.rows or [100_000]:
        results.append(kernel(rows))
        with tempfile.TemporaryDirectory() as tmp:
            urls = args.database_url or [f"sqlite+aiosqlite:///{Path(tmp) / 'search.db'}"]
            for url in urls:
                results += await end_to_end(url, rows, url.split(":")[0].split("+")[0])
    return results
