"""`seed` benchmark: seconds and rows/s to seed a fresh demo catalog of 10k and 100k rows (or --rows sizes)."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.engines import database, engines
from bench.registry import Result, register
from server.ingest.seed import seed_database
from server.settings import Settings

SIZES = (10_000, 100_000)


async def _seed_once(url: str, rows: int) -> tuple[float, float]:
    """Wall and CPU seconds of one seed into the empty database at `url`."""
    wall, cpu = time.perf_counter(), time.process_time()
    await seed_database(Settings(database_url=url), rows=rows, seed=1)
    return time.perf_counter() - wall, time.process_time() - cpu


async def _case(engine: str, rows: int) -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        async with database(engine, Path(tmp), "seed") as url:
            wall, cpu = await _seed_once(url, rows)
    note = f"process cpu {cpu:.1f}s"
    return [
        Result("seed", f"{rows:,} rows", wall, "s", engine=engine, note=note),
        Result("seed", f"{rows:,} rows", rows / wall, "rows/s", engine=engine, note=note),
    ]


@register("seed")
async def seed_benchmark(args: argparse.Namespace) -> list[Result]:
    """Each size into a fresh database on each engine (a SQLite file; a PostgreSQL database dropped after)."""
    results: list[Result] = []
    for rows in args.rows or SIZES:
        for engine in engines(args):
            results += await _case(engine, rows)
    return results
