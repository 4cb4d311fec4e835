"""What keeps a long-running server's memory bounded: the compiled-statement cache holds at most its budget of SQL,
SQLite's heap stays near its process-wide limit, and glibc's allocator is set before threads start."""

from __future__ import annotations

import asyncio
import ctypes
import os
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import and_, literal, or_, select
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from server.allocator import IdleTrim
from server.db import create_engine
from server.settings import Settings
from server.statement_cache import StatementCache


class Compiled:
    def __init__(self, chars: int) -> None:
        self.string = "x" * chars


def test_cache_evicts_least_recently_used_by_sql_size() -> None:
    cache = StatementCache(max_chars=100, max_entry_chars=60)
    cache["a"], cache["b"] = Compiled(40), Compiled(40)
    assert cache.get("a") is not None  # "a" is now the most recently used
    cache["c"] = Compiled(40)  # 120 > 100: "b", least recently used, goes
    assert (cache.get("b"), len(cache), cache.chars) == (None, 2, 80)
    cache["d"] = Compiled(61)  # over one entry's cap: compiled each time, never cached
    assert (cache.get("d"), cache.chars) == (None, 80)
    cache["a"] = Compiled(10)  # replacing an entry counts its new size only
    assert cache.chars == 50


def test_engine_caches_small_statements_and_not_huge_ones(tmp_path: Path) -> None:
    async def run() -> list[tuple[int, int]]:
        engine = create_engine(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"))
        cache = engine.sync_engine.get_execution_options()["compiled_cache"]
        assert isinstance(cache, StatementCache)
        huge = or_(*[and_(literal(i) == i, literal("v") == f"v{i}") for i in range(600)])
        sizes = []
        async with engine.connect() as conn:
            for stmt in (select(literal(1)), select(literal(1)).where(huge), select(literal(1))):
                await conn.execute(stmt)
                sizes.append((len(cache), cache.chars))
        await engine.dispose()
        return sizes

    (n, chars), after_huge, again = asyncio.run(run())
    assert n >= 1 and chars < 1000
    # the `or` of 600 conditions (~11k characters of SQL) ran uncached; the small one was a hit
    assert after_huge == again == (n, chars)


def test_sqlite_heap_limit_is_set_on_every_connection(tmp_path: Path) -> None:
    async def run() -> int:
        engine = create_engine(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", sqlite_memory_mb=7))
        async with engine.connect() as conn:
            limit = (await conn.exec_driver_sql("PRAGMA soft_heap_limit")).scalar_one()
        await engine.dispose()
        return int(limit)

    assert asyncio.run(run()) == 7 * 1024 * 1024


def test_allocator_settings_reach_child_processes_and_yield_to_the_operator() -> None:
    if not os.confstr("CS_GNU_LIBC_VERSION"):
        return  # glibc only: elsewhere tune() leaves the allocator alone
    probe = "from server import allocator; allocator.tune(); import os; print(os.environ['MALLOC_ARENA_MAX'])"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    ours = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    theirs = subprocess.run(
        [sys.executable, "-c", probe], env=env | {"MALLOC_ARENA_MAX": "4"}, capture_output=True, text=True, check=True
    )
    assert (ours.stdout.strip(), theirs.stdout.strip()) == ("2", "4")
    assert ctypes.CDLL(None).mallopt  # the call tune() makes exists in this libc


FRAGMENTED = """
from server import allocator
def rss():
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS")) // 1024
blocks = [bytes(4000) for _ in range(25_000)]  # ~100 MB of heap blocks below the mapping threshold
kept = blocks[::16]  # one block in 16 stays: the heap's top cannot shrink, its free pages stay resident
del blocks
before = rss()
allocator.trim()
print(before, rss())
"""


def test_trim_gives_free_pages_inside_the_heap_back() -> None:
    if not os.confstr("CS_GNU_LIBC_VERSION"):
        return  # glibc only: elsewhere trim() does nothing
    out = subprocess.run([sys.executable, "-c", FRAGMENTED], capture_output=True, text=True, check=True)
    before, after = map(int, out.stdout.split())
    assert before - after > 50, (before, after)  # MiB: most of the ~94 MB freed goes back


def test_idle_trim_runs_once_nothing_is_in_flight() -> None:
    trims: list[int] = []
    release = asyncio.Event()

    async def slow(request: Request) -> PlainTextResponse:
        await release.wait()
        return PlainTextResponse("done")

    middleware = [Middleware(IdleTrim, idle_seconds=0.05, trim_heap=lambda: trims.append(1))]
    app = Starlette(routes=[Route("/slow", slow), Route("/", lambda r: PlainTextResponse("ok"))], middleware=middleware)

    async def scenario() -> list[int]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            seen = []
            await http.get("/")
            slow_request = asyncio.create_task(http.get("/slow"))
            await asyncio.sleep(0.2)  # "/" is done but "/slow" is in flight: no trim
            seen.append(len(trims))
            release.set()
            await slow_request
            await asyncio.sleep(0.2)  # idle after serving: one trim
            seen.append(len(trims))
            await asyncio.sleep(0.2)  # idle with nothing served since: no more
            seen.append(len(trims))
            return seen

    assert asyncio.run(scenario()) == [0, 1, 1]
