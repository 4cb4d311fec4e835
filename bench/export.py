"""Export throughput: HTTP export from a real uvicorn process (plain and gzip) vs a reference pipeline, and import.

Per engine (a SQLite file, and a throw-away PostgreSQL database on 127.0.0.1:5432 created and dropped by the run;
`--database-url` URLs pick the engines) and per size: a bulk-built catalog (data rows with details and media
attributes; Core inserts, no seed dependency), then
- reference: keyset pages of raw SQL (same columns and join) + orjson.dumps per row, written to a file, no server;
- http plain / gzip: exportDataRows(dataRowDetails, mediaAttributes) on `catalog-export serve`, its url read while
  the task runs; rows/s, MB/s (on the wire), time to first byte, ratio to the reference, server peak RSS (VmHWM).
  The reference and a plain export alternate ROUNDS times; the round with the median ratio is reported;
- import: the exported file loaded into an empty database with `import_file` (rows/s), and a seeded catalog of a
  fifth of the size (`seed`: every annotation kind, labels, metadata, embeddings, attachments) exported locally
  with every section and imported into an empty database (rows/s, and whether any line was refused).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import orjson
from sqlalchemy import insert, text

from bench.engines import database, engines
from bench.registry import Result, register
from server.auth.keys import create_key
from server.db import create_engine
from server.export.local import export_local
from server.export.params import ExportParams
from server.export.tasks import ExportRequest
from server.ingest.ndjson import import_file
from server.ingest.seed import seed_database
from server.models import DataRow, Dataset
from server.models.base import new_id
from server.orgs import ensure_organization
from server.schema_check import create_all
from server.settings import Settings
from server.timefmt import iso

SIZES = (10_000, 100_000, 1_000_000)
CHUNK = 10_000
PAGE = 2000
# The reference and a plain HTTP export alternate ROUNDS times and the round with the median ratio is reported: this
# VM's pace swung 2-3x within a minute (session 14), so only a pair taken back to back compares like with like.
ROUNDS = 3
T0 = datetime(2024, 1, 31, 12, 0)
PARAMS = {"dataRowDetails": True, "mediaAttributes": True}
START = "mutation($p: ExportParams) { exportDataRows(params: $p) { id url } }"


async def build(settings: Settings, rows: int) -> str:
    """The catalog; returns an API key of its organization."""
    engine = create_engine(settings)
    await create_all(engine)
    org = await ensure_organization(engine)
    key = (await create_key(engine, org, "bench")).secret
    dataset = {"id": new_id(), "organization_id": org, "name": "bench", "created_at": T0}
    async with engine.begin() as conn:
        await conn.execute(insert(Dataset.__table__), [dataset])
        for start in range(0, rows, CHUNK):
            batch = [row_values(org, dataset["id"], i) for i in range(start, min(rows, start + CHUNK))]
            await conn.execute(insert(DataRow.__table__), batch)
    async with engine.begin() as conn:  # planner statistics, as a live database has them (autovacuum analyses later)
        await conn.execute(text("ANALYZE"))
    await engine.dispose()
    return key


def row_values(org: str, dataset: str, i: int) -> dict[str, object]:
    at = T0 + timedelta(seconds=i)
    return {
        "id": new_id(), "organization_id": org, "dataset_id": dataset, "global_key": f"gk-{i:08d}",
        "external_id": f"ext-{i}", "row_data": f"https://example.com/images/{i}.png", "media_type": "IMAGE",
        "media_attributes": f'{{"mime_type":"image/png","width":{i % 4000},"height":480}}',
        "created_at": at, "updated_at": at, "created_by": "bench@example.com",
    }  # fmt: skip


REFERENCE_SQL = text(
    "SELECT r.id, r.external_id, r.global_key, r.row_data, r.dataset_id, d.name, r.created_at, r.updated_at,"
    " r.created_by, r.media_attributes, coalesce(r.last_activity_at, r.updated_at)"
    " FROM datarow r JOIN dataset d ON d.id = r.dataset_id"
    " WHERE r.id > :after ORDER BY r.id LIMIT :n"
)


def _reference_line(r: tuple) -> bytes:  # type: ignore[type-arg]
    details = {"dataset_id": r[4], "dataset_name": r[5], "created_at": iso(r[6]), "updated_at": iso(r[7]),
               "last_activity_at": iso(r[10]), "created_by": r[8]}  # fmt: skip
    row = {"id": r[0], "global_key": r[2], "external_id": r[1]}
    row = {k: v for k, v in row.items() if v is not None} | {"row_data": r[3], "details": details}
    line = {"data_row": row, "media_attributes": orjson.Fragment(r[9]), "projects": {}, "experiments": {}}
    return orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE)


async def reference(settings: Settings, out: Path) -> tuple[int, float]:
    """Raw SQL keyset pages + orjson, no server: the floor the HTTP export is compared with."""
    engine = create_engine(settings)
    start, rows, after = time.perf_counter(), 0, ""
    with out.open("wb") as handle:
        while True:
            async with engine.connect() as conn:
                page = (await conn.execute(REFERENCE_SQL, {"after": after, "n": PAGE})).all()
            if not page:
                break
            handle.write(b"".join(_reference_line(tuple(r)) for r in page))
            rows, after = rows + len(page), page[-1][0]
    await engine.dispose()
    return rows, time.perf_counter() - start


@dataclass
class HttpRun:
    rows: int
    wire_bytes: int
    seconds: float
    first_byte: float


def http_export(url: str, key: str, gzip: bool) -> HttpRun:
    headers = {"Accept-Encoding": "gzip" if gzip else "identity"}
    with httpx.Client(base_url=url, timeout=600, headers={"Authorization": f"Bearer {key}"}) as http:
        start = time.perf_counter()
        task = http.post("/graphql", json={"query": START, "variables": {"p": PARAMS}}).json()["data"]["exportDataRows"]
        rows = wire = 0
        first = 0.0
        with http.stream("GET", task["url"], headers=headers) as response:
            for raw in response.iter_raw():
                first = first or time.perf_counter() - start
                wire += len(raw)
            rows = -1 if gzip else 0
        seconds = time.perf_counter() - start
    return HttpRun(rows, wire, seconds, first)


def serve(settings: Settings, port: int, args: tuple[str, ...] = (), **extra: str) -> subprocess.Popen[bytes]:
    env = os.environ | {"DATABASE_URL": settings.database_url, "EXPORT_DIR": str(settings.export_dir), **extra}
    cmd = [sys.executable, "-m", "server.cli", "serve", *args, "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(400):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


def _process_mb(pid: int, field: str) -> float:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except FileNotFoundError:
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in lines if line.startswith(field + ":")), 0.0)


def _tree(pid: int) -> list[int]:
    """The process and all its descendants (server processes, the export worker process)."""
    try:
        threads = list(Path(f"/proc/{pid}/task").iterdir())
    except FileNotFoundError:
        return []
    children: list[int] = []
    for thread in threads:
        try:
            children += map(int, (thread / "children").read_text().split())
        except FileNotFoundError:
            continue
    return [pid, *(p for child in children for p in _tree(child))]


def status_mb(pid: int, field: str) -> float:
    """`field` summed over the server's whole process tree: what the server costs."""
    return sum(_process_mb(p, field) for p in _tree(pid))


class RssSampler:
    """Peak anonymous RSS (heap: what buffering would grow; or another `field`) sampled every 50 ms; VmHWM also
    counts mapped DB pages. Both are summed over the server's process tree."""

    def __init__(self, pid: int, field: str = "RssAnon") -> None:
        self.pid, self.field, self.peak, self.done = pid, field, 0.0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.done.wait(0.05):
            self.peak = max(self.peak, status_mb(self.pid, self.field))

    def stop(self) -> float:
        self.done.set()
        self.thread.join()
        return self.peak


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def measure(engine: str, rows: int, work: Path) -> list[Result]:
    async with database(engine, work, "export") as url:
        settings = Settings(database_url=url, export_dir=work / "exports")
        key = await build(settings, rows)
        proc = serve(settings, free_port())
        sampler = RssSampler(proc.pid)
        base = f"http://127.0.0.1:{proc.args[-1]}"
        try:
            rounds = [await _round(settings, base, key, work) for _ in range(ROUNDS)]
            zipped = await asyncio.to_thread(http_export, base, key, True)
            peak = (sampler.stop(), status_mb(proc.pid, "VmHWM"))
        finally:
            proc.terminate()
            proc.wait(10)
    exported = next(p for p in (work / "exports").glob("*.ndjson") if not p.name.endswith(".errors.ndjson"))
    same = _digest(exported) == _digest(work / "reference.ndjson")
    async with database(engine, work, "import") as url:
        report = await import_file(Settings(database_url=url), exported)
    results = _results(engine, rows, rounds, zipped, peak, report.rows / report.seconds, same)
    return [*results, await seeded_import(engine, max(rows // 5, 1), work)]


async def _round(settings: Settings, base: str, key: str, work: Path) -> tuple[float, HttpRun]:
    """The reference's rows/s, then a plain HTTP export on the running server."""
    ref_rows, ref_seconds = await reference(settings, work / "reference.ndjson")
    return ref_rows / ref_seconds, await asyncio.to_thread(http_export, base, key, False)


def _median_round(rounds: list[tuple[float, HttpRun]], n: int) -> tuple[tuple[float, HttpRun], str]:
    """The round whose plain/reference ratio is the median, and every round's ratio in run order."""
    ratios = [n / run.seconds / ref for ref, run in rounds]
    middle = sorted(range(len(rounds)), key=ratios.__getitem__)[len(rounds) // 2]
    return rounds[middle], " / ".join(f"{ratio:.2f}" for ratio in ratios)


EVERY_SECTION = ExportParams.everything()


async def seeded_import(engine: str, rows: int, work: Path) -> Result:
    """A seeded catalog exported with every section, then imported into an empty database."""
    source = work / "seeded.ndjson"
    async with database(engine, work, "seeded") as url:
        await seed_database(Settings(database_url=url), rows=rows, seed=1)
        with source.open("wb") as out, (work / "seeded.errors.ndjson").open("wb") as err:
            await export_local(Settings(database_url=url), "demo", ExportRequest(params=EVERY_SECTION), out, err)
    async with database(engine, work, "seeded-import") as url:
        report = await import_file(Settings(database_url=url), source)
    note = f"{source.stat().st_size / rows / 1000:.1f} kB a line; {len(report.errors)} lines refused"
    return Result("export", f"{rows:,} seeded rows, every section, import", report.rows / report.seconds, "rows/s",
                  note=note)  # fmt: skip


def _results(
    engine: str, n: int, rounds: list[tuple[float, HttpRun]], zipped: HttpRun, peak: tuple[float, float],
    imported: float, same: bool,
) -> list[Result]:  # fmt: skip
    case = f"{n:,} rows"
    check = "same bytes as the server's file" if same else "DIFFERS from the server's file"
    (ref, plain), ratios = _median_round(rounds, n)
    out = [Result("export", f"{case} reference (SQL pages + orjson)", ref, "rows/s", note=check)]
    for label, run in (("http plain", plain), ("http gzip", zipped)):
        rate = n / run.seconds
        note = f"{rate / ref:.2f}x reference" + (f" (median round; rounds: {ratios})" if run is plain else "")
        out += [
            Result("export", f"{case} {label}", rate, "rows/s", note=note),
            Result("export", f"{case} {label}", run.wire_bytes / run.seconds / 1e6, "MB/s on the wire"),
            Result("export", f"{case} {label} total", run.seconds, "s"),
            Result("export", f"{case} {label} first byte", run.first_byte * 1000, "ms"),
        ]
    out += [
        Result("export", f"{case} server peak RSS (anonymous)", peak[0], "MB"),
        Result("export", f"{case} server peak RSS (VmHWM)", peak[1], "MB"),
        Result("export", f"{case} import", imported, "rows/s"),
    ]
    return out


Measure = Callable[[str, int, Path], Awaitable[list[Result]]]


async def each_size_and_engine(args: argparse.Namespace, sizes: tuple[int, ...], measure: Measure) -> list[Result]:
    """`measure(engine, rows, work)` for every size (`--rows`, else `sizes`) and engine, each in a fresh work folder."""
    results: list[Result] = []
    for rows in args.rows or sizes:
        for engine in engines(args):
            with tempfile.TemporaryDirectory(prefix="bench-export-") as work:
                results += [replace(r, engine=engine) for r in await measure(engine, rows, Path(work))]
    return results


@register("export")
async def run(args: argparse.Namespace) -> list[Result]:
    return await each_size_and_engine(args, SIZES, measure)
