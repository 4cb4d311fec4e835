"""`postgraphile` benchmark: our server and PostGraphile 4 (connection-filter plugin) side by side on the same
PostgreSQL catalog, over loopback, with the three shapes of bench.postgraphile_queries at 1, 8 and 32 clients.

The catalog is bench.filters' cached PostgreSQL database (`bench_filters_<rows>`, `--rows`, 100,000 by default) on
the server of the first PostgreSQL `--database-url` (127.0.0.1:5432 without one). Ours runs as `catalog-export
serve` (per-key rate limit raised, as in `load`), PostGraphile as one Node process (bench.postgraphile_server).
Before timing, each shape's first answer from both servers must agree (bench.postgraphile_queries.view).

Closed-loop clients (each sends its next request when the last one answered; page shapes walk the catalog page
after page) run SECONDS on one server, then on the other, ROUNDS times, the first server alternating. Reported per
shape and client count: the ratio ours/PostGraphile of p50 latency and of requests/s, each the median of the
per-round ratios (a pair taken back to back compares like with like on a shared machine), with both servers'
medians. The clients share the machine's cores with both servers and PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.engines import ADMIN_URL
from bench.export import free_port, serve
from bench.filters import catalog
from bench.postgraphile_queries import SHAPES, Shape, next_cursor, view
from bench.postgraphile_server import install, start, stop
from bench.registry import Result, register
from server.auth.keys import create_key
from server.db import create_engine
from server.orgs import ensure_organization
from server.settings import Settings

ROWS = (100_000,)
CLIENTS = (1, 8, 32)
ROUNDS = 3
SECONDS = 3.0
WARM_UP_SECONDS = 1.0
UNLIMITED = {"RATE_LIMIT_PER_SECOND": "1000000", "RATE_LIMIT_BURST": "1000000"}


@dataclass(frozen=True)
class Side:
    name: str
    url: str
    headers: dict[str, str]
    variables: dict[str, str]  # sent with every query (PostGraphile's: the organization id)
    ours: bool

    def query(self, shape: Shape) -> str:
        return shape.ours if self.ours else shape.theirs

    async def ask(self, http: httpx.AsyncClient, shape: Shape, after: str | None = None) -> dict[str, Any]:
        variables = self.variables | ({"after": after} if shape.pages else {})
        payload = orjson.dumps({"query": self.query(shape), "variables": variables})
        headers = {"Content-Type": "application/json"} | self.headers
        response = await http.post(self.url, content=payload, headers=headers)
        body: dict[str, Any] = orjson.loads(response.content)
        if response.status_code != 200 or "errors" in body:
            raise RuntimeError(f"{self.name} answered {response.status_code}: {response.text[:500]}")
        return body


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds


async def closed_loop(http: httpx.AsyncClient, side: Side, shape: Shape, clients: int, seconds: float) -> Run:
    """`clients` clients asking `shape` of `side` back to back for `seconds`."""
    run = Run()
    started = time.perf_counter()
    deadline = started + seconds

    async def client() -> None:
        after = None
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            body = await side.ask(http, shape, after)
            run.latencies.append(time.perf_counter() - sent)
            after = next_cursor(body) if shape.pages else None

    await asyncio.gather(*(client() for _ in range(clients)))
    run.seconds = time.perf_counter() - started
    return run


async def agree(sides: tuple[Side, Side], shape: Shape) -> None:
    """Both servers' first answer to `shape` is the same data; raises otherwise."""
    async with httpx.AsyncClient(timeout=60) as http:
        ours, theirs = [view(await side.ask(http, shape)) for side in sides]
    if ours != theirs:
        shown = "\n".join(f"{name}: {str(seen)[:2000]}" for name, seen in (("ours", ours), ("theirs", theirs)))
        raise AssertionError(f"{shape.name}: the servers disagree\n{shown}")


async def rounds(sides: tuple[Side, Side], shape: Shape, clients: int) -> list[tuple[Run, Run]]:
    """ROUNDS pairs of runs (ours, theirs), each server warmed up first; the server that goes first alternates."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        for side in sides:
            await closed_loop(http, side, shape, clients, WARM_UP_SECONDS)
        pairs = []
        for number in range(ROUNDS):
            order = sides if number % 2 == 0 else sides[::-1]
            runs = {side.name: await closed_loop(http, side, shape, clients, SECONDS) for side in order}
            pairs.append((runs[sides[0].name], runs[sides[1].name]))
    return pairs


def results(shape: Shape, clients: int, rows: int, pairs: list[tuple[Run, Run]]) -> list[Result]:
    case = f"{shape.name}, {clients} client{'s' if clients > 1 else ''}, {rows:,} rows"
    p50 = [ours.p50_ms / theirs.p50_ms for ours, theirs in pairs]
    rate = [ours.rate / theirs.rate for ours, theirs in pairs]
    ours_p50, theirs_p50 = (statistics.median(r.p50_ms for r in side) for side in zip(*pairs, strict=True))
    ours_rate, theirs_rate = (statistics.median(r.rate for r in side) for side in zip(*pairs, strict=True))
    return [
        Result("postgraphile", f"{case}: p50", statistics.median(p50), "ours/PostGraphile", "postgresql",
               f"ours {ours_p50:.1f} ms, PostGraphile {theirs_p50:.1f} ms; rounds: {_listed(p50)}; target <= 1"),
        Result("postgraphile", f"{case}: requests/s", statistics.median(rate), "ours/PostGraphile", "postgresql",
               f"ours {ours_rate:.0f}/s, PostGraphile {theirs_rate:.0f}/s; rounds: {_listed(rate)}; target >= 1"),
    ]  # fmt: skip


def _listed(ratios: list[float]) -> str:
    return " / ".join(f"{r:.2f}" for r in ratios)


async def compare(sides: tuple[Side, Side], rows: int) -> list[Result]:
    found: list[Result] = []
    for shape in SHAPES:
        await agree(sides, shape)
        for count in CLIENTS:
            found += results(shape, count, rows, await rounds(sides, shape, count))
    return found


async def _key_and_org(url: str) -> tuple[str, str]:
    engine = create_engine(Settings(database_url=url))
    try:
        org = await ensure_organization(engine)
        return (await create_key(engine, org, "bench-postgraphile")).secret, org
    finally:
        await engine.dispose()


@asynccontextmanager
async def servers(url: str, work: Path) -> AsyncIterator[tuple[Side, Side]]:
    """Ours (`catalog-export serve`) and PostGraphile on the PostgreSQL database `url`, stopped afterwards."""
    key, org = await _key_and_org(url)
    ours_port, theirs_port = free_port(), free_port()
    ours = serve(Settings(database_url=url, export_dir=work / "exports"), ours_port, **UNLIMITED)
    try:
        theirs = start(url, theirs_port, work / "postgraphile.log")
        try:
            yield (
                Side("ours", f"http://127.0.0.1:{ours_port}/graphql", {"Authorization": f"Bearer {key}"}, {}, True),
                Side("PostGraphile", f"http://127.0.0.1:{theirs_port}/graphql", {}, {"org": org}, False),
            )
        finally:
            stop(theirs)
    finally:
        ours.terminate()
        ours.wait(30)


async def measure(server: str, rows: int) -> list[Result]:
    url, _, _ = await catalog(rows, server)
    with tempfile.TemporaryDirectory(prefix="bench-postgraphile-") as work:
        async with servers(url, Path(work)) as sides:
            return await compare(sides, rows)


def postgres_server(args: argparse.Namespace) -> str | None:
    """The first PostgreSQL `--database-url`, else the local server; None when only other engines are named."""
    urls = getattr(args, "database_url", None) or [ADMIN_URL]
    return next((u for u in urls if u.startswith("postgresql")), None)


@register("postgraphile")
async def run(args: argparse.Namespace) -> list[Result]:
    server = postgres_server(args)
    reason = "no PostgreSQL --database-url" if server is None else await asyncio.to_thread(install)
    if server is None or reason:
        print(f"postgraphile: skipped, {reason}", file=sys.stderr)
        return []
    found: list[Result] = []
    for rows in getattr(args, "rows", None) or ROWS:
        found += await measure(server, rows)
    return found
