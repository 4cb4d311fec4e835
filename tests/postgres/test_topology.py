"""The scaled-out topology on one machine: PostgreSQL, SeaweedFS, two `serve --no-worker` processes behind no
proxy, two `worker` processes. An export started on server A is followed to its end from server B; the worker
running it is killed (SIGKILL) mid-export and the other one finishes it; the object's bytes and SHA-256 equal a
clean local export of the same request. Also: a worker woken by NOTIFY starts a task queued on another server
without waiting for its poll."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from server.export.runner import ExportWorker
from server.export.tasks import ExportRequest, create_task, get_task
from server.orgs import ensure_organization
from server.settings import Settings, replace
from tests.faults.processes import CLI
from tests.utils.client import EVERYTHING
from tests.utils.export_tasks import running
from tests.utils.postgres import PostgresServer
from tests.utils.process import free_port, stop, wait_ready
from tests.utils.seaweed import SeaweedServer, with_s3

ROWS = 1500
INCLUDE = ",".join(name for name in EVERYTHING if name not in ("allProjects", "allModelRuns"))
EXPORT = "mutation($params: ExportParams) { exportDataRows(params: $params) { id } }"
TASK = "query($id: ID!) { exportTask(id: $id) { status rowCount sha256 url failureReason } }"


@pytest.fixture
def topology(postgres_server: PostgresServer, s3_server: SeaweedServer, tmp_path: Path) -> Settings:
    postgres_server.empty_tables()
    base = Settings(database_url=postgres_server.url, export_dir=tmp_path / "unused", facet_refresh_seconds=0)
    return with_s3(base, s3_server)


def _env(settings: Settings) -> dict[str, str]:
    return os.environ | {
        "DATABASE_URL": settings.database_url,
        "EXPORT_STORAGE": settings.export_storage,
        "S3_ENDPOINT_URL": settings.s3_endpoint_url,
        "AWS_REGION": settings.aws_region,
        "AWS_ACCESS_KEY_ID": settings.aws_access_key_id,
        "AWS_SECRET_ACCESS_KEY": settings.aws_secret_access_key,
        "SECRET_KEY": "topology-test",
        "EXPORT_PAGE_SIZE": "10",
        "EXPORT_FLUSH_SECONDS": "0",  # every page is a part: the kill lands between uploaded parts
        "EXPORT_LEASE_SECONDS": "2",
        "FACET_REFRESH_SECONDS": "0",
    }


def _run(settings: Settings, *args: str) -> str:
    return subprocess.run([*CLI, *args], env=_env(settings), capture_output=True, check=True).stdout.decode()


@pytest.fixture
def processes(topology: Settings) -> Iterator[dict[str, object]]:
    _run(topology, "seed", "--rows", str(ROWS))
    key = _run(topology, "keys", "create", "--org", "demo").strip().split()[-1]
    started: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([*CLI, *args], env=_env(topology), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append(proc)
        return proc

    try:
        servers = []
        for _ in range(2):
            port = free_port()
            start("serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port))
            servers.append(f"http://127.0.0.1:{port}")
        for url in servers:
            wait_ready(url)
        workers = [start("worker"), start("worker")]
        yield {"servers": servers, "workers": workers, "key": key}
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.terminate()
        for proc in started:
            stop(proc)


def _graphql(server: str, key: str, query: str, variables: dict[str, object]) -> dict[str, object]:
    answer = httpx.post(f"{server}/graphql", json={"query": query, "variables": variables},
                        headers={"Authorization": f"Bearer {key}"}, timeout=30).json()  # fmt: skip
    assert "errors" not in answer, answer
    return answer["data"]  # type: ignore[no-any-return]


def _claimer(settings: Settings, task_id: str) -> tuple[str, int, str | None]:
    async def read() -> tuple[str, int, str | None]:
        async with running(settings) as (app, _, _):
            row = await get_task(app.state.engine, app.state.organization_id, task_id)
            return row.status, row.row_count, row.claimed_by

    return asyncio.run(read())


def test_two_servers_two_workers_one_killed_mid_export(topology: Settings, processes: dict, tmp_path: Path) -> None:
    server_a, server_b = processes["servers"]
    key = processes["key"]
    task_id = _graphql(server_a, key, EXPORT, {"params": EVERYTHING})["exportDataRows"]["id"]

    followed: dict[str, bytes] = {}

    def follow() -> None:  # server B streams the task while the workers write it
        with httpx.stream("GET", f"{server_b}/exports/{task_id}.ndjson", headers={"Authorization": f"Bearer {key}"},
                          timeout=120) as response:  # fmt: skip
            followed["status"] = response.headers["x-export-status"].encode()
            followed["body"] = b"".join(response.iter_bytes())

    reader = threading.Thread(target=follow)
    reader.start()
    probe = replace(topology, export_worker_mode="none")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status, rows, claimer = _claimer(probe, task_id)
        if status == "IN_PROGRESS" and rows >= 100:
            break
        time.sleep(0.05)
    assert (status, claimer is not None) == ("IN_PROGRESS", True), (status, rows)
    pids = {proc.pid: proc for proc in processes["workers"]}
    victim = pids[int(claimer.split(":")[1])]
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)

    deadline = time.monotonic() + 120
    while (task := _graphql(server_b, key, TASK, {"id": task_id})["exportTask"])["status"] not in (
        "COMPLETE",
        "FAILED",
    ):
        assert time.monotonic() < deadline, task
        time.sleep(0.2)
    reader.join(60)
    assert task["status"] == "COMPLETE", task
    survivor = _claimer(probe, task_id)[2]
    assert survivor is not None and int(survivor.split(":")[1]) != victim.pid

    body = httpx.get(task["url"], timeout=60).content  # the pre-signed object URL
    local = tmp_path / "local.ndjson"
    _run(topology, "export", "--all-projects", "--all-model-runs", "--include", INCLUDE, "-o", str(local))
    expected = local.read_bytes()
    assert body.count(b"\n") == ROWS
    assert (
        body == expected and hashlib.sha256(body).hexdigest() == task["sha256"] == hashlib.sha256(expected).hexdigest()
    )
    assert followed["body"] == expected  # B followed the task from its parts to the end
    assert followed["status"] in (b"QUEUED", b"IN_PROGRESS")
    assert [orjson.loads(line)["data_row"]["id"] for line in body.splitlines()[:1]]


@pytest.fixture
def pg_settings(postgres_server: PostgresServer, tmp_path: Path) -> Settings:
    postgres_server.empty_tables()
    return Settings(database_url=postgres_server.url, export_dir=tmp_path, facet_refresh_seconds=0)


async def test_a_listening_worker_starts_a_task_queued_elsewhere_without_polling(pg_settings: Settings) -> None:
    settings = pg_settings
    async with running(replace(settings, export_worker_mode="none")) as (app, _, _):
        worker = ExportWorker(app.state.engine, settings, name="listener", poll=3600.0)
        worker.start()
        try:
            await asyncio.wait_for(worker.listener.listening.wait(), 10)
            await asyncio.sleep(0.2)  # past the wake-up the listener gives itself when it starts listening
            organization = await ensure_organization(app.state.engine)
            queued = time.monotonic()
            task_id = await create_task(app.state.engine, organization, ExportRequest())
            while (await get_task(app.state.engine, organization, task_id)).status != "COMPLETE":
                assert time.monotonic() - queued < 5, "the worker waited for its poll"
                await asyncio.sleep(0.02)
        finally:
            await worker.stop()
