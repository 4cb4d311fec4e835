"""No row limit: a 10,000,000-row export over HTTP (opt-in, ~15 minutes: `python -m bench --only export_huge`,
`--rows N` for another size). The catalog (bench.export's bulk build: data rows with details and media attributes) is
a SQLite file cached in bench-results/. The stream is read as it is written, counted and hashed on the client: the
lines must be N and hash to the task's sha256; the server's peak memory is sampled as in bench.export."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from bench.export import PARAMS, START, RssSampler, build, free_port, row_values, serve, status_mb
from bench.filter_catalog import sqlite_sink, ts
from bench.filters import CACHE
from bench.registry import Result, register
from server.auth.keys import create_key
from server.db import create_engine
from server.orgs import ensure_organization
from server.settings import Settings

ROWS = 10_000_000
COMMIT = 500_000
DONE = "query($id: ID!) { exportTask(id: $id) { status rowCount sha256 } }"


@dataclass(frozen=True)
class Streamed:
    lines: int
    size: int
    sha256: str
    seconds: float
    first_byte: float


async def catalog(rows: int) -> tuple[Settings, str, float]:
    """The cached catalog's settings, an API key, and the seconds its build took (0 when cached)."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"export-{rows}.db"
    settings = Settings(database_url=f"sqlite+aiosqlite:///{path}")
    if path.exists():
        engine = create_engine(settings)
        key = (await create_key(engine, await ensure_organization(engine), "bench")).secret
        await engine.dispose()
        return settings, key, 0.0
    building = path.with_suffix(".building")  # renamed when complete: an interrupted build is never a cache
    building.unlink(missing_ok=True)
    started = time.perf_counter()
    key = await build(Settings(database_url=f"sqlite+aiosqlite:///{building}"), 0)
    _bulk(building, rows)
    building.rename(path)
    return settings, key, time.perf_counter() - started


def _bulk(path: Path, rows: int) -> None:
    """bench.export's data rows, by plain sqlite3 `executemany` in transactions of COMMIT rows with a 1 GiB page
    cache (bench.export.build writes one transaction: at 10M rows the whole database stayed in the WAL and the
    inserts slowed to a few thousand rows a second)."""
    db = sqlite3.connect(path)
    for pragma in ("journal_mode=WAL", "synchronous=OFF", "cache_size=-1048576"):
        db.execute(f"PRAGMA {pragma}")
    org, dataset = db.execute("SELECT organization_id, id FROM dataset").fetchone()
    columns = ", ".join(row_values(org, dataset, 0))
    put = sqlite_sink(db)
    for start in range(0, rows, COMMIT):
        put("datarow", columns, (_values(row_values(org, dataset, i)) for i in range(start, min(rows, start + COMMIT))))
        db.commit()
    db.execute("ANALYZE")
    db.close()


def _values(row: dict[str, object]) -> tuple[object, ...]:
    """In column order, timestamps as the text SQLAlchemy's SQLite DateTime stores."""
    return tuple(ts(v) if isinstance(v, datetime) else v for v in row.values())


def stream(http: httpx.Client) -> tuple[str, Streamed]:
    """Start the export and read its stream to the end: (task id, what came)."""
    start = time.perf_counter()
    task = http.post("/graphql", json={"query": START, "variables": {"p": PARAMS}}).json()["data"]["exportDataRows"]
    digest, lines, size, first = hashlib.sha256(), 0, 0, 0.0
    with http.stream("GET", task["url"], headers={"Accept-Encoding": "identity"}) as response:
        for chunk in response.iter_raw(1 << 20):
            first = first or time.perf_counter() - start
            digest.update(chunk)
            lines, size = lines + chunk.count(b"\n"), size + len(chunk)
    return task["id"], Streamed(lines, size, digest.hexdigest(), time.perf_counter() - start, first)


def export(settings: Settings, key: str, work: Path, port: int) -> tuple[Streamed, dict[str, object], float, float]:
    proc = serve(Settings(database_url=settings.database_url, export_dir=work), port)
    sampler = RssSampler(proc.pid)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=None,
                          headers={"Authorization": f"Bearer {key}"}) as http:  # fmt: skip
            task_id, streamed = stream(http)
            done = http.post("/graphql", json={"query": DONE, "variables": {"id": task_id}}).json()["data"]
        return streamed, done["exportTask"], sampler.stop(), status_mb(proc.pid, "VmHWM")
    finally:
        proc.terminate()
        proc.wait(30)


@register("export_huge", opt_in=True)
async def run(args: argparse.Namespace) -> list[Result]:
    rows = args.rows[0] if args.rows else ROWS
    settings, key, build_s = await catalog(rows)
    with tempfile.TemporaryDirectory(prefix="bench-huge-", dir=CACHE) as work:
        streamed, task, anon, hwm = await asyncio.to_thread(export, settings, key, Path(work), free_port())
    complete = task["status"] == "COMPLETE" and task["rowCount"] == streamed.lines == rows
    same = complete and task["sha256"] == streamed.sha256
    check = f"{streamed.lines:,} lines, {streamed.size / 1e9:.2f} GB, "
    check += "sha256 = the task's" if same else f"MISMATCH: {task}"
    case = f"{rows:,} rows http plain"
    return [
        Result("export_huge", f"{rows:,} rows catalog build", build_s, "s", note="0 = cached"),
        Result("export_huge", case, rows / streamed.seconds, "rows/s", note=check),
        Result("export_huge", f"{case} total", streamed.seconds, "s"),
        Result("export_huge", f"{case} first byte", streamed.first_byte * 1000, "ms"),
        Result("export_huge", f"{rows:,} rows server peak RSS (anonymous)", anon, "MB"),
        Result("export_huge", f"{rows:,} rows server peak RSS (VmHWM)", hwm, "MB"),
    ]
