"""`serve --workers 2`: two server processes answer on one port, one background process runs every export (once),
a server process that dies is replaced, and SIGTERM stops every child."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import signal
import socket
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from server.auth.keys import create_key
from server.db import create_engine
from server.export.tasks import E
from server.orgs import ensure_organization
from server.schema_check import prepare_schema
from server.settings import Settings
from tests.factory import build
from tests.faults.processes import CLI, cli_env
from tests.utils.client import GraphQLClient
from tests.utils.export_tasks import start_export
from tests.utils.proc_tree import alive, ask, children, listeners, owner, wait_for
from tests.utils.process import free_port, stop, wait_ready

ROWS = 30


@dataclass(frozen=True)
class Served:
    url: str
    port: int
    process: subprocess.Popen[bytes]

    def servers(self) -> set[int]:
        return listeners(self.process.pid, self.port)

    def background(self) -> set[int]:
        return children(self.process.pid) - self.servers()


@contextmanager
def served(settings: Settings, *args: str, **env: str) -> Iterator[Served]:
    port = free_port()
    cmd = [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port), *args]
    proc = subprocess.Popen(cmd, env=cli_env(settings, **env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(f"http://127.0.0.1:{port}")
        running = Served(f"http://127.0.0.1:{port}", port, proc)
        wait_for(lambda: len(running.servers()) == 2 and len(running.background()) == 1)
        wait_for(lambda: answering(running) == running.servers())  # both have started: each accepts connections
        yield running
    finally:
        stop(proc)


@asynccontextmanager
async def catalog(settings: Settings) -> AsyncIterator[str]:
    """ROWS rows in the test's database; an admin key of their organization."""
    engine = create_engine(settings)
    try:
        await prepare_schema(engine)
        org = await ensure_organization(engine)
        await build("export", engine, org, rows=ROWS)
        yield (await create_key(engine, org, "workers", admin=True)).secret
    finally:
        await engine.dispose()


def answering(running: Served, connections: int = 40) -> set[int]:
    """The processes that accepted `connections` connections held open at once."""
    held = [ask(running.port) for _ in range(connections)]
    try:
        return {owner(running.process.pid, running.port, conn.getsockname()[1]) for conn in held}
    finally:
        for conn in held:
            conn.close()


async def _download(url: str) -> bytes:
    """On a connection of its own: any server process may answer."""
    async with httpx.AsyncClient(timeout=30) as http:
        return (await http.get(url)).content


async def _claims(settings: Settings, ids: list[str]) -> list[tuple[str, str, int]]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(select(E.status, E.claimed_by, E.reclaims).where(E.id.in_(ids)))
            return [tuple(row) for row in rows]
    finally:
        await engine.dispose()


async def test_two_processes_answer_on_one_port_and_one_background_process_runs_each_export(
    settings: Settings,
) -> None:
    async with catalog(settings) as key:
        with served(settings, "--workers", "2") as running:
            assert len(answering(running)) == 2
            (background,) = running.background()
            headers = {"Authorization": f"Bearer {key}"}
            async with httpx.AsyncClient(base_url=running.url, headers=headers, timeout=30) as http:
                gql = GraphQLClient(http)
                tasks = [await start_export(gql) for _ in range(4)]
                done = [await gql.wait_export(task["id"]) for task in tasks]
            bodies = {await _download(task["url"]) for task in tasks for _ in range(3)}
            claims = await _claims(settings, [task["id"] for task in tasks])
    assert [(d["status"], d["rowCount"]) for d in done] == [("COMPLETE", ROWS)] * 4
    assert len(bodies) == 1 and next(iter(bodies)).count(b"\n") == ROWS  # every link checks in every process
    assert sorted(status for status, _, _ in claims) == ["COMPLETE"] * 4
    assert {claimed.split(":")[1] for _, claimed, _ in claims} == {str(background)}
    assert [reclaims for _, _, reclaims in claims] == [0] * 4


async def test_a_dead_child_is_replaced_and_sigterm_stops_them_all(settings: Settings) -> None:
    async with catalog(settings):
        with served(settings, "--workers", "2") as running:
            first, (background,) = running.servers(), running.background()
            killed = min(first)
            os.kill(killed, signal.SIGKILL)
            wait_for(lambda: len(running.servers()) == 2 and killed not in running.servers())
            os.kill(background, signal.SIGKILL)
            wait_for(lambda: len(running.background()) == 1 and background not in running.background())
            wait_for(lambda: answering(running) == running.servers())  # the replacement serves once started
            everyone = children(running.process.pid)
            assert stop(running.process) == 0
    assert everyone & first == first - {killed} and len(everyone) == 3
    assert [pid for pid in everyone if alive(pid)] == []


async def test_the_children_stop_when_the_supervisor_is_killed(settings: Settings) -> None:
    async with catalog(settings):
        with served(settings, "--workers", "2") as running:
            everyone = children(running.process.pid)
            running.process.kill()
            running.process.wait()
            wait_for(lambda: not any(alive(pid) for pid in everyone))  # none keeps the port or claims tasks
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", running.port), timeout=5)


def test_workers_1_runs_one_process_with_its_worker_child(settings: Settings) -> None:
    port = free_port()
    cmd = [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    proc = subprocess.Popen(cmd, env=cli_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(f"http://127.0.0.1:{port}")
        assert listeners(proc.pid, port) == set()  # the server is this process; its only child is the export worker
        assert len(children(proc.pid)) == 1
    finally:
        stop(proc)


def _connections_per_process(running: Served, each: int) -> dict[int, list[http.client.HTTPConnection]]:
    """`each` open connections to every server process (others opened on the way are closed)."""
    held: dict[int, list[http.client.HTTPConnection]] = {pid: [] for pid in running.servers()}
    for _ in range(200 * each):
        if all(len(conns) >= each for conns in held.values()):
            return held
        conn = http.client.HTTPConnection("127.0.0.1", running.port, timeout=30)
        conn.request("GET", "/healthz")
        conn.getresponse().read()
        pid = owner(running.process.pid, running.port, conn.sock.getsockname()[1])
        if len(held[pid]) < each:
            held[pid].append(conn)
        else:
            conn.close()
    raise AssertionError(f"connections did not reach every process: {held}")


def _status(conn: http.client.HTTPConnection, key: str) -> int:
    body = json.dumps({"query": "{ dataRows(first: 1) { totalCount } }"})
    conn.request("POST", "/graphql", body, {"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    return response.status


async def test_a_key_gets_its_rate_once_whichever_process_answers(settings: Settings) -> None:
    async with catalog(settings) as key:
        env = {"RATE_LIMIT_PER_SECOND": "0.001", "RATE_LIMIT_BURST": "6"}
        with served(settings, "--workers", "2", **env) as running:
            held = _connections_per_process(running, 5)
            statuses = {pid: [_status(conn, key) for conn in conns] for pid, conns in held.items()}
            for conns in held.values():
                for conn in conns:
                    conn.close()
    answered = [status for answers in statuses.values() for status in answers]
    assert len(statuses) == 2 and sorted(answered) == [200] * 6 + [429] * 4, statuses


def _answer(conn: http.client.HTTPConnection, key: str, query: str, variables: dict[str, str]) -> tuple[int, dict]:
    body = json.dumps({"query": query, "variables": variables})
    conn.request("POST", "/graphql", body, {"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, json.loads(response.read())


CREATE = 'mutation { createApiKey(name: "doomed") { key apiKey { prefix } } }'
REVOKE = "mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }"


async def test_a_key_revoked_through_one_process_is_refused_by_every_process_at_once(settings: Settings) -> None:
    """Each process remembers the key (for an hour here); the revoking one bumps the generation they share."""
    async with catalog(settings) as admin:
        with served(settings, "--workers", "2", API_KEY_CACHE_SECONDS="3600") as running:
            held = _connections_per_process(running, 1)
            first, second = (conns[0] for conns in held.values())
            _, created = _answer(first, admin, CREATE, {})
            doomed, prefix = created["data"]["createApiKey"]["key"], created["data"]["createApiKey"]["apiKey"]["prefix"]
            before = [_status(conn, doomed) for conn in (first, second)]
            _, revoked = _answer(second, admin, REVOKE, {"id": prefix})
            after = [_status(conn, doomed) for conn in (first, second)]
            for conns in held.values():
                for conn in conns:
                    conn.close()
    assert revoked["data"]["revokeApiKey"]["revokedAt"] is not None
    assert (before, after) == ([200, 200], [401, 401])


async def test_a_key_revoked_by_the_cli_is_refused_by_every_process_within_api_key_cache_seconds(
    settings: Settings,
) -> None:
    async with catalog(settings) as key:
        with served(settings, "--workers", "2", API_KEY_CACHE_SECONDS="0.5") as running:
            held = _connections_per_process(running, 1)
            before = [_status(conns[0], key) for conns in held.values()]
            command = [*CLI, "keys", "revoke", key[:10]]
            revoke = await asyncio.to_thread(subprocess.run, command, env=cli_env(settings), capture_output=True)
            await asyncio.sleep(0.5)
            after = [_status(conns[0], key) for conns in held.values()]
            for conns in held.values():
                for conn in conns:
                    conn.close()
    assert revoke.returncode == 0, revoke.stderr
    assert (before, after) == ([200, 200], [401, 401])
