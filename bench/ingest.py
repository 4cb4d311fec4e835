"""Ingest throughput: createDataRows-sized calls (1,000 rows with an attachment and a metadata value each)."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.engines import database, engines
from bench.registry import Result, register
from server.db import create_engine
from server.ingest.catalog import create_data_rows, create_dataset
from server.ingest.metadata import create_metadata_schema
from server.orgs import ensure_organization
from server.schema_check import create_all
from server.settings import Settings

CALL = 1000


def _rows(start: int) -> list[dict]:
    return [
        {"row_data": f"https://example.com/{i}.jpg", "media_type": "IMAGE", "global_key": f"k{i}"}
        | {"attachments": [{"type": "TEXT", "value": "x"}], "metadata_fields": [{"name": "tag", "value": "t"}]}
        for i in range(start, start + CALL)
    ]


async def _case(engine_name: str, total: int) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        async with database(engine_name, Path(tmp), "ingest") as url:
            elapsed = await _ingest(url, total)
    note = f"{total:,} rows in calls of {CALL:,}, 1 attachment + 1 metadata value each"
    return Result(
        "ingest", "createDataRows (server function)", total / elapsed, "rows/s", engine=engine_name, note=note
    )


@register("ingest")
async def ingest(args: argparse.Namespace) -> list[Result]:
    total = max(CALL, (args.rows[0] if args.rows else 20_000) // CALL * CALL)
    return [await _case(name, total) for name in engines(args)]


async def _ingest(url: str, total: int) -> float:
    """Seconds to write `total` rows through create_data_rows into the empty database at `url`."""
    engine = create_engine(Settings(database_url=url))
    try:
        await create_all(engine)
        org = await ensure_organization(engine)
        await create_metadata_schema(engine, organization_id=org, name="tag", kind="STRING")
        ds = await create_dataset(engine, organization_id=org, name="bench")
        started = time.perf_counter()
        for start in range(0, total, CALL):
            await create_data_rows(engine, organization_id=org, dataset_id=ds, rows=_rows(start))
        return time.perf_counter() - started
    finally:
        await engine.dispose()
