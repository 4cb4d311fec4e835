"""The PostGraphile comparison (bench.postgraphile): its query texts for PostGraphile ask what ours ask, checked on a
small catalog served by both for real; and how rounds become the reported ratios."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.filter_catalog_pg import build_postgres
from bench.postgraphile import Run, Side, postgres_server, results, run, servers
from bench.postgraphile_queries import SHAPES, Shape, next_cursor, view
from bench.postgraphile_server import install
from server.db import create_engine
from server.facets.build import rebuild_dirty
from server.orgs import ensure_organization
from server.settings import Settings
from tests.utils.postgres import PostgresServer

ROWS = 250  # three pages of 100


async def _catalog(url: str) -> None:
    engine = create_engine(Settings(database_url=url))
    try:
        org = await ensure_organization(engine)
        await build_postgres(url.replace("+asyncpg", ""), org, ROWS)
        await rebuild_dirty(engine)
    finally:
        await engine.dispose()


async def _walk(http: Any, side: Side, shape: Shape) -> list[dict[str, Any]]:
    """Every answer of `shape` (each page up to the last, or the one count), as bench.postgraphile_queries.view."""
    seen, after = [], None
    while True:
        body = await side.ask(http, shape, after)
        seen.append(view(body))
        after = next_cursor(body) if shape.pages else None
        if after is None:
            return seen


@pytest.fixture
async def sides(postgres_server: PostgresServer, tmp_path: Path) -> Any:
    reason = install()
    if reason:
        pytest.skip(f"PostGraphile cannot be installed: {reason}")
    await postgres_server.empty()
    await _catalog(postgres_server.url)
    async with servers(postgres_server.url, tmp_path) as both:
        yield both


async def test_both_servers_answer_every_shape_alike(sides: tuple[Side, Side]) -> None:
    ours, theirs = sides
    async with httpx.AsyncClient(timeout=60) as http:
        for shape in SHAPES:
            answers = await _walk(http, ours, shape)
            assert answers == await _walk(http, theirs, shape), shape.name
            assert len(answers) == (3 if shape.pages else 1)
        count = next(s for s in SHAPES if not s.pages)
        assert (await _walk(http, ours, count))[0]["totalCount"] > 0
        stricter = replace(count, theirs=count.theirs.replace("greaterThan: 50", "greaterThan: 60"))
        assert await _walk(http, theirs, stricter) != await _walk(http, ours, count)


def test_rounds_become_medians_of_per_round_ratios() -> None:
    def timed(p50_ms: float, requests: int) -> Run:
        return Run([p50_ms / 1000] * requests, seconds=1.0)

    pairs = [(timed(10, 100), timed(5, 200)), (timed(12, 90), timed(4, 300)), (timed(9, 120), timed(9, 120))]
    p50, rate = results(SHAPES[0], 8, 1000, pairs)
    assert p50.case == "100-row page, scalar fields, 8 clients, 1,000 rows: p50"
    assert p50.value == pytest.approx(2.0)  # ratios 2.0, 3.0, 1.0
    assert p50.note == "ours 10.0 ms, PostGraphile 5.0 ms; rounds: 2.00 / 3.00 / 1.00; target <= 1"
    assert rate.value == pytest.approx(0.5)  # ratios 0.5, 0.3, 1.0
    assert rate.note == "ours 100/s, PostGraphile 200/s; rounds: 0.50 / 0.30 / 1.00; target >= 1"


def test_the_postgresql_server_is_the_first_named_or_the_local_one() -> None:
    sqlite, pg = "sqlite+aiosqlite:///x.db", "postgresql+asyncpg://u@h:5432/db"
    assert postgres_server(argparse.Namespace(database_url=[sqlite, pg])) == pg
    assert postgres_server(argparse.Namespace(database_url=None)).startswith("postgresql://postgres@127.0.0.1")
    assert postgres_server(argparse.Namespace(database_url=[sqlite])) is None


async def test_without_node_the_benchmark_is_skipped_saying_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no node, no npm
    assert await run(argparse.Namespace(database_url=None, rows=[10])) == []
    assert capsys.readouterr().err == "postgraphile: skipped, no `node` on PATH (apt-get install nodejs npm)\n"
