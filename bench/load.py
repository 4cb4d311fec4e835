"""`load` benchmark: 50 concurrent clients on a real uvicorn server over loopback for a fixed time, mixing dataRows
pages and filtered queries, while two large exports stream; throughput, p50/p99 latency, errors, server peak RSS;
with `serve --workers 1`, then with one server process a core.

Bounded: CLIENTS clients, DURATION seconds, one seeded catalog (100k rows by default, --rows to change), loopback
only. The per-key rate limit is raised for the run (the point is the server's capacity, not the limiter's).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx

from bench.engines import database, engines
from bench.export import RssSampler, free_port, serve, status_mb
from bench.registry import Result, register
from server.auth.keys import create_key
from server.db import create_engine
from server.ingest.seed import seed_database
from server.orgs import ensure_organization
from server.settings import Settings

CLIENTS, DURATION, ROWS = 50, 30.0, 100_000
WORKERS = tuple(sorted({1, os.cpu_count() or 1}))  # `serve --workers`: one process, then one a core
PHASES = ((0, DURATION / 2), (2, DURATION))  # (exports streaming, seconds): a baseline, then the mixed load
PAGE = "query($after: String, $f: DataRowFilter) { dataRows(first: 100, after: $after, filter: $f) " \
       "{ nodes { id globalKey externalId details { createdAt } } pageInfo { endCursor hasNextPage } } }"  # fmt: skip
FILTERS = (
    None,
    {"mediaTypes": ["IMAGE"]},
    {"createdAt": {"gte": "2024-01-01T00:00:00Z"}},
    {"or": [{"mediaTypes": ["TEXT"]}, {"not": {"mediaTypes": ["IMAGE", "VIDEO"]}}]},
    {"project": {"labeled": True}},
)
EXPORT = """mutation { exportDataRows(params: {dataRowDetails: true, attachments: true, metadataFields: true,
  labelDetails: true, projectDetails: true, allProjects: true, allModelRuns: true}) { id url } }"""


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    export_bytes: int = 0
    exports_done: int = 0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


async def _query(http: httpx.AsyncClient, tally: Tally, variables: dict[str, object]) -> str | None:
    start = time.perf_counter()
    try:
        response = await http.post("/graphql", json={"query": PAGE, "variables": variables})
    except httpx.HTTPError as exc:
        tally.error(type(exc).__name__)
        return None
    tally.latencies.append(time.perf_counter() - start)
    body = response.json()
    if response.status_code != 200 or "errors" in body:
        tally.error(f"HTTP {response.status_code}")
        return None
    info = body["data"]["dataRows"]["pageInfo"]
    return info["endCursor"] if info["hasNextPage"] else None


async def _client(http: httpx.AsyncClient, tally: Tally, deadline: float, rng: random.Random) -> None:
    """Walk a few pages of one filter, then pick another filter; until the deadline."""
    while time.perf_counter() < deadline:
        variables: dict[str, object] = {"f": rng.choice(FILTERS), "after": None}
        for _ in range(rng.randint(1, 5)):
            variables["after"] = await _query(http, tally, variables)
            if variables["after"] is None:
                break


async def _exporter(http: httpx.AsyncClient, tally: Tally, deadline: float) -> None:
    """Start a full export and read its stream while it is written; again until the deadline."""
    while time.perf_counter() < deadline:
        task = (await http.post("/graphql", json={"query": EXPORT})).json()["data"]["exportDataRows"]
        async with http.stream("GET", task["url"], timeout=None) as response:
            async for chunk in response.aiter_raw(1 << 20):
                tally.export_bytes += len(chunk)
                if time.perf_counter() >= deadline:
                    return
        tally.exports_done += 1


async def _key(settings: Settings) -> str:
    engine = create_engine(settings)
    try:
        return (await create_key(engine, await ensure_organization(engine), "load")).secret
    finally:
        await engine.dispose()


async def _drive(url: str, key: str, duration: float, exports: int) -> tuple[Tally, float]:
    tally, rngs = Tally(), [random.Random(i) for i in range(CLIENTS)]
    # idle connections are dropped before the server's keep-alive (HTTP_KEEP_ALIVE_SECONDS, 5 s) closes them: with
    # both at 5 s a request could be sent on a connection the server was closing (a ReadError)
    limits = httpx.Limits(max_connections=CLIENTS + 4, keepalive_expiry=2.0)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as http:
        start = time.perf_counter()
        deadline = start + duration
        streams = [asyncio.create_task(_exporter(http, tally, deadline)) for _ in range(exports)]
        await asyncio.gather(*(_client(http, tally, deadline, rng) for rng in rngs))
        for stream in streams:  # a stream that is still being read ends with the clients (bounded in time)
            stream.cancel()
        await asyncio.gather(*streams, return_exceptions=True)
    return tally, time.perf_counter() - start


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def measure(
    url: str, rows: int, work: Path, phases: tuple[tuple[int, float], ...] = PHASES, workers: tuple[int, ...] = WORKERS
) -> list[Result]:
    settings = Settings(database_url=url, export_dir=work / "exports")
    await seed_database(settings, rows=rows, seed=1)
    key = await _key(settings)
    results: list[Result] = []
    for count in workers:
        results += await _served(settings, key, rows, phases, count)
    return results


async def _served(
    settings: Settings, key: str, rows: int, phases: tuple[tuple[int, float], ...], workers: int
) -> list[Result]:
    """The phases against `serve --workers {workers}`; its process tree's peak memory."""
    env = {"RATE_LIMIT_PER_SECOND": "1000000", "RATE_LIMIT_BURST": "1000000", "SERVE_WORKERS": str(workers)}
    proc = serve(settings, free_port(), **env)
    results: list[Result] = []
    sampler = RssSampler(proc.pid)
    served = f"{rows:,} rows, --workers {workers}"
    try:
        for exports, duration in phases:
            tally, seconds = await _drive(f"http://127.0.0.1:{proc.args[-1]}", key, duration, exports)
            results += _results(f"{served}, {CLIENTS} clients + {exports} exports, {seconds:.0f}s", tally, seconds)
        anon, hwm = sampler.stop(), status_mb(proc.pid, "VmHWM")
        results += [
            Result("load", f"{served}: server peak RSS (anonymous)", anon, "MB"),
            Result("load", f"{served}: server peak RSS (VmHWM, incl. mmapped DB)", hwm, "MB"),
        ]
    finally:
        proc.terminate()
        proc.wait(60)
    return results


def _results(case: str, tally: Tally, seconds: float) -> list[Result]:
    errors, done = sum(tally.errors.values()), f"{tally.exports_done} exports finished"
    return [
        Result("load", f"{case}: queries", len(tally.latencies) / seconds, "requests/s"),
        Result("load", f"{case}: latency p50", _percentile(tally.latencies, 0.5) * 1000, "ms"),
        Result("load", f"{case}: latency p99", _percentile(tally.latencies, 0.99) * 1000, "ms", note="target ≤ 500"),
        Result("load", f"{case}: errors", errors, "requests", note=str(tally.errors) if errors else "target 0"),
        Result("load", f"{case}: export streams", tally.export_bytes / seconds / 1e6, "MB/s", note=done),
    ]  # fmt: skip


@register("load")
async def run(args: argparse.Namespace) -> list[Result]:
    results: list[Result] = []
    for rows in args.rows or (ROWS,):
        for engine in engines(args):
            with tempfile.TemporaryDirectory(prefix="bench-load-") as work:
                async with database(engine, Path(work), "load") as url:
                    results += [replace(r, engine=engine) for r in await measure(url, rows, Path(work))]
    return results
