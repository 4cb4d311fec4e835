"""A timed fuzz of both GraphQL endpoints of a real `catalog-export serve` process (SQLite, worker process): for
FUZZ_SECONDS (default 60) four clients send hostile and careless requests drawn from a seeded generator (nested
fragments, aliases, deep or huge variables, wide filters, unknown ids, malformed bodies, wrong methods, exports and
inline results), while a fifth polls /healthz.

Asserted throughout: no answer is a 5xx; every error body is JSON and every error carries `extensions.code`;
/healthz answers 200 within 1 s every time; the server's RSS, read when it has been idle for 2 s (it trims its heap
after 1 s: server.allocator.IdleTrim), ends within 20 MB of where it stood after a warm-up; an export started
afterwards completes (no request stopped the worker). Measured so, one server process, load 8-11: +3 MiB at 30 s,
+9-11 MiB from 50 s on and flat to 160 s, as its bounded caches fill (tracked objects 12k -> 54k, then flat)."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from server.app import create_app
from server.auth.keys import create_key
from server.settings import Settings
from tests.factory import build
from tests.hostile.documents import nested_fragments
from tests.utils.process import free_port, rss_kib, stop, wait_ready

SECONDS = float(os.environ.get("FUZZ_SECONDS", "60"))
WARM_UP = min(5.0, SECONDS / 4)
CLIENTS = 4
HEALTH_WITHIN = 1.0
RSS_MARGIN_KIB = 20 * 1024
IDLE = 2.0  # seconds without requests before RSS is read: the server gives its free heap pages back after 1 s
NOBODY = "c" + "0" * 24
Request = tuple[str, str, dict[str, str], bytes]  # method, path, headers, body
JSON = {"content-type": "application/json"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes], str]]:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", export_dir=tmp_path / "exports")

    async def prepare() -> str:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            await build("export", app.state.engine, app.state.organization_id, rows=30)
            return (await create_key(app.state.engine, app.state.organization_id, "fuzz")).secret

    key = asyncio.run(prepare())
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": settings.database_url,
        "EXPORT_DIR": str(settings.export_dir),
        "RATE_LIMIT_PER_SECOND": "0",  # the fuzz is about what requests do, not how many a key may send
        "INTROSPECTION": "0",
        "SERVE_WORKERS": "1",  # the process that serves is the one whose memory is measured
    }
    cmd = [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url)
        yield url, proc, key
    finally:
        stop(proc)


def _graphql(path: str, query: str, variables: Any = None) -> Request:
    return "POST", path, JSON, orjson.dumps({"query": query, "variables": variables or {}})


def _filter(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    roll = rng.random()
    if depth < 4 and roll < 0.3:
        kind = rng.choice(["and", "or"])
        return {kind: [_filter(rng, depth + 1) for _ in range(rng.randint(1, 4))]}
    if depth < 4 and roll < 0.4:
        return {"not": _filter(rng, depth + 1)}
    return rng.choice(
        [
            {"modelRunIds": [NOBODY]},
            {"datasetIds": [NOBODY, "x" * rng.randint(1, 300)]},
            {"ids": [rng.choice([NOBODY, "", "\u0000", "é" * 30])]},
            {"project": {"projectId": NOBODY, "labeled": rng.random() < 0.5}},
            {"project": {"batchIds": [NOBODY]}},
            {"mediaTypes": ["IMAGE"]},
            {"createdAt": {"gte": rng.choice(["2024-01-01T00:00:00Z", "yesterday", "9" * 40])}},
            {"metadata": {"name": rng.choice(["split", NOBODY]), "eq": "train"}},
            {"annotation": {"name": "Car", "minCount": rng.randint(-5, 5)}},
        ]
    )


ROWS = "query($f: DataRowFilter, $n: Int) { dataRows(filter: $f, first: $n) { totalCount nodes { id } } }"
EXPORT = "mutation($f: DataRowFilter) { exportDataRows(filter: $f) { id } }"
LABELBOX_EXPORT = "mutation { exportDataRowsInCatalog(input: {filters: null}) { taskId } }"


def _wide_or(rng: random.Random) -> Request:
    leaves = rng.choice(["ids", "globalKeys", "createdAt", "modelRunIds"])
    value = {"gte": "2024-01-01T00:00:00Z"} if leaves == "createdAt" else [NOBODY]
    return _graphql("/graphql", ROWS, {"f": {"or": [{leaves: value}] * rng.choice([10, 499, 600, 5_000, 40_000])}})


def _document(rng: random.Random) -> Request:
    path = rng.choice(["/graphql", "/labelbox/graphql"])
    leaf = rng.choice(["__typename", "a: __typename", "dataRows { nodes { id } }", "x { y }"])
    query = rng.choice(
        [
            nested_fragments(rng.randint(1, 9), leaf),
            "{ " + " ".join(f"a{i}: __typename" for i in range(rng.choice([5, 31, 10_000]))) + " }",
            "{ " + "dataRows { nodes { projects { " * rng.randint(1, 40) + "id" + " } } }" * 3 + " }",
            "{ __schema { types { name } } }",
            "".join(rng.choice("{}()[]:$@!.,\"'\\ abc\n#") for _ in range(rng.randint(0, 400))),
            'query { dataRow(globalKey: "' + "k" * rng.choice([10, 70_000]) + '") { id } }',
        ]
    )
    return _graphql(path, query)


def _variables(rng: random.Random) -> Request:
    path = rng.choice(["/graphql", "/labelbox/graphql"])
    levels = rng.choice([10, 63, 65, 900, 1500])
    opening, closing = rng.choice([(b"[", b"]"), (b'{"not":', b"}")])
    value = rng.choice(
        [
            opening * levels + b'"x"' + closing * levels,
            orjson.dumps("a\u0000b"),
            orjson.dumps("y" * 70_000),
            b"9" * rng.randint(1, 400),
            b"1e308",
            b"null",
        ]
    )
    query = rng.choice(["query($v: String) { __typename }", ROWS.replace("$f", "$v")])
    return "POST", path, JSON, b'{"query": ' + orjson.dumps(query) + b', "variables": {"v": ' + value + b"}}"


def _body(rng: random.Random) -> Request:
    path = rng.choice(["/graphql", "/labelbox/graphql", "/exports/" + NOBODY + ".ndjson", "/nowhere"])
    body = rng.choice(
        [b"\xff\xfe{", b"5", b"[]", b'"x"', b"{", b"null", bytes(rng.randrange(256) for _ in range(200)), b"{}"]
    )
    method = rng.choice(["POST", "POST", "GET", "PUT", "DELETE", "PATCH"])
    headers = rng.choice([JSON, {"content-type": "text/plain"}, {}, {"content-type": "application/json; charset=x"}])
    return method, path, headers, body


def _rows(rng: random.Random) -> Request:
    return _graphql("/graphql", ROWS, {"f": _filter(rng), "n": rng.choice([1, 10, 1000, 1001, -1, 2**31 - 1])})


def _export(rng: random.Random) -> Request:
    if rng.random() < 0.3:
        return _graphql("/labelbox/graphql", LABELBOX_EXPORT)
    return _graphql("/graphql", EXPORT, {"f": _filter(rng)})


def _inline(rng: random.Random) -> Request:
    fields = " ".join(f"t{i}: exportTasks {{ id }}" for i in range(rng.choice([1, 30])))
    return _graphql("/graphql", "{ " + fields + " }")


KINDS: list[Callable[[random.Random], Request]] = [_wide_or, _document, _variables, _body, _rows, _export, _inline]


def _check(request: Request, response: httpx.Response) -> None:
    where = f"{request[0]} {request[1]} {request[3][:200]!r}"
    assert response.status_code < 500, f"{response.status_code} for {where}: {response.text[:300]}"
    if response.headers.get("content-type", "").startswith(("application/json", "application/graphql-response+json")):
        body = orjson.loads(response.content)
        for error in body.get("errors") or []:
            assert error.get("extensions", {}).get("code"), f"uncoded error for {where}: {error}"
    elif response.status_code >= 400:
        raise AssertionError(f"{response.status_code} without a JSON body for {where}: {response.text[:300]}")


async def _client(url: str, key: str, seed: int, until: float, counts: dict[str, int]) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60) as http:
        while time.monotonic() < until:
            kind = rng.choice(KINDS)
            method, path, headers, body = request = kind(rng)
            response = await http.request(method, path, headers=headers, content=body)
            _check(request, response)
            counts[kind.__name__] = counts.get(kind.__name__, 0) + 1


async def _health(url: str, until: float) -> list[float]:
    took = []
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        while time.monotonic() < until:
            start = time.monotonic()
            try:
                response = await http.get("/healthz")
            except httpx.TimeoutException:
                took.append(time.monotonic() - start)  # over 10 s: the assertion on `took` reports it
                continue
            took.append(time.monotonic() - start)
            assert response.status_code == 200, response.text
            await asyncio.sleep(0.25)
    return took


async def _fuzz(url: str, key: str, seconds: float, first_seed: int) -> tuple[list[float], dict[str, int]]:
    until, counts = time.monotonic() + seconds, {}
    clients = [_client(url, key, first_seed + i, until, counts) for i in range(CLIENTS)]
    took, *_ = await asyncio.gather(_health(url, until), *clients)
    return took, counts


async def _export_completes(url: str, key: str) -> None:
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
        for _ in range(600):  # the fuzz's own exports (4 at most queued) finish first
            body = (await http.post("/graphql", json={"query": EXPORT})).json()
            if "errors" not in body:
                break
            await asyncio.sleep(0.1)
        task_id = body["data"]["exportDataRows"]["id"]
        for _ in range(600):
            query = "query($id: ID!) { exportTask(id: $id) { status } }"
            status = (await http.post("/graphql", json={"query": query, "variables": {"id": task_id}})).json()
            if status["data"]["exportTask"]["status"] == "COMPLETE":
                return
            await asyncio.sleep(0.1)
    raise AssertionError(f"export {task_id} did not complete after the fuzz: {status}")


def test_fuzz_both_endpoints(server: tuple[str, subprocess.Popen[bytes], str]) -> None:
    url, proc, key = server
    warm, _ = asyncio.run(_fuzz(url, key, WARM_UP, first_seed=100))
    time.sleep(IDLE)
    before = rss_kib(proc.pid)
    took, counts = asyncio.run(_fuzz(url, key, SECONDS - WARM_UP, first_seed=0))
    time.sleep(IDLE)
    after = rss_kib(proc.pid)
    assert max(warm + took) < HEALTH_WITHIN, f"/healthz took {sorted(warm + took)[-5:]} s"
    assert set(counts) == {kind.__name__ for kind in KINDS}, counts
    asyncio.run(_export_completes(url, key))
    assert after - before < RSS_MARGIN_KIB, f"RSS grew {(after - before) // 1024} MiB during the fuzz"
