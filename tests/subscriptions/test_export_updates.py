"""exportTaskUpdated over a real WebSocket (the `websockets` client, graphql-transport-ws) against a real uvicorn
server: states in order and the final one, keys and organizations, the per-key connection limit, and a dropped
connection leaving no task, slot or database connection behind."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, update
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from server.models import ExportTask
from server.models.base import new_id, utcnow
from server.orgs import ensure_organization
from server.settings import Settings, replace
from tests.utils.client import EVERYTHING
from tests.utils.live import Live, live_server
from tests.utils.postgres import ENGINES, PostgresServer

PROTOCOL = "graphql-transport-ws"
UPDATES = """subscription($id: ID!) { exportTaskUpdated(id: $id) {
  id status progress rowCount errorCount bytesWritten totalRows url } }"""
EXPORT = "mutation($p: ExportParams) { exportDataRows(params: $p) { id } }"
SOCKETS = 3
OBJECTS, BYTES = 50, 64 * 1024  # JSON objects and arrays, and bytes, of one message
T = ExportTask.__table__  # type: ignore[attr-defined]


@pytest.fixture(scope="module", params=ENGINES)
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp: Path = tmp_path_factory.mktemp("subscriptions")
    url, pg = f"sqlite+aiosqlite:///{tmp / 'c.db'}", None
    if request.param == "postgresql":
        pg = PostgresServer(request.getfixturevalue("postgres_server").admin_url)
        pg.create()
        url = pg.url
    settings = Settings(database_url=url, export_dir=tmp / "exports", facet_refresh_seconds=0)
    settings = replace(
        settings,
        max_sockets_per_key=SOCKETS,
        subscription_poll_seconds=0.02,
        export_page_size=20,
        max_body_objects=OBJECTS,
        max_body_bytes=BYTES,
    )
    try:
        with live_server(settings, rows=300) as server:
            yield server
    finally:
        if pg is not None:
            pg.drop()


async def socket(live: Live, key: str | None, **headers: str) -> ClientConnection:
    """An open, acknowledged connection (the key in the connection_init payload, when given)."""
    ws = await connect(live.ws_url, subprotocols=[PROTOCOL], additional_headers=headers)  # type: ignore[list-item]
    payload = {} if key is None else {"Authorization": f"Bearer {key}"}
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    message = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert message == {"type": "connection_ack"}, message
    return ws


async def refusal(live: Live, payload: dict[str, Any], **headers: str) -> tuple[int, str]:
    """The close code and reason of a connection_init the server refuses."""
    ws = await connect(live.ws_url, subprotocols=[PROTOCOL], additional_headers=headers)  # type: ignore[list-item]
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def messages(ws: ClientConnection, task_id: str, op: str = "1") -> AsyncIterator[dict[str, Any]]:
    """The operation's messages until its `complete` (or `error`)."""
    await ws.send(
        json.dumps({"id": op, "type": "subscribe", "payload": {"query": UPDATES, "variables": {"id": task_id}}})
    )
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 30))
        assert message["id"] == op, message
        yield message
        if message["type"] in ("complete", "error"):
            return


async def follow(live: Live, key: str, task_id: str) -> list[dict[str, Any]]:
    """Every message of one subscription to the task, on a connection of its own."""
    ws = await socket(live, key)
    got = [m async for m in messages(ws, task_id)]
    await ws.close()
    return got


async def held_task(live: Live) -> str:
    """A task claimed by a worker that does not exist (lease far ahead): only the test moves its state."""
    engine = live.app.state.engine
    org = await ensure_organization(engine)
    task_id = new_id()
    values = {"id": task_id, "organization_id": org, "status": "IN_PROGRESS", "request": "{}", "total_rows": 100}
    lease = {"claimed_by": "test", "lease_until": utcnow() + timedelta(hours=1), "started_at": utcnow()}
    async with engine.begin() as conn:
        await conn.execute(insert(T).values(**values, **lease))
    return task_id


async def closed(opening: Any) -> None:
    """Open (acknowledged), then close."""
    await (await opening).close()


def run(live: Live, coro: Any) -> Any:
    """On the server's loop: the engine lives there."""
    return live.on_server_loop(coro)


async def move(live: Live, task_id: str, **values: Any) -> None:
    async with live.app.state.engine.begin() as conn:
        await conn.execute(update(T).where(T.c.id == task_id).values(**values))


def test_each_state_arrives_in_order_and_the_final_one_ends_it(live: Live) -> None:
    task_id = run(live, held_task(live))
    steps = [{"row_count": 10, "bytes_written": 1000}, {"row_count": 60, "bytes_written": 6000}]
    final = {"status": "COMPLETE", "row_count": 100, "bytes_written": 10_000, "completed_at": utcnow()}

    async def follow() -> list[dict[str, Any]]:
        ws = await socket(live, live.key)
        got: list[dict[str, Any]] = []
        async for message in messages(ws, task_id):
            got.append(message)
            if message["type"] == "next":
                seen = len([m for m in got if m["type"] == "next"])
                step = steps[seen - 1] if seen <= len(steps) else final if seen == len(steps) + 1 else None
                if step is not None:
                    run(live, move(live, task_id, **step))
        await ws.close()
        return got

    got = asyncio.run(follow())
    assert [m["type"] for m in got] == ["next"] * 4 + ["complete"]
    states = [m["payload"]["data"]["exportTaskUpdated"] for m in got[:4]]
    assert [(s["status"], s["rowCount"], s["bytesWritten"], s["progress"]) for s in states] == [
        ("IN_PROGRESS", 0, 0, 0.0),
        ("IN_PROGRESS", 10, 1000, 0.1),
        ("IN_PROGRESS", 60, 6000, 0.6),
        ("COMPLETE", 100, 10_000, 1.0),
    ]
    assert all(s["url"].startswith(f"{live.url}/exports/{task_id}.ndjson?exp=") for s in states)


def test_a_real_export_ends_complete_with_the_file_it_wrote(live: Live) -> None:
    headers = {"Authorization": f"Bearer {live.key}"}
    body = httpx.post(f"{live.url}/graphql", json={"query": EXPORT, "variables": {"p": EVERYTHING}}, headers=headers)
    task_id = body.json()["data"]["exportDataRows"]["id"]

    got = asyncio.run(follow(live, live.key, task_id))
    assert got[-1]["type"] == "complete"
    states = [m["payload"]["data"]["exportTaskUpdated"] for m in got[:-1]]
    order = ["QUEUED", "IN_PROGRESS", "COMPLETE"]
    assert [order.index(s["status"]) for s in states] == sorted(order.index(s["status"]) for s in states)
    for field in ("rowCount", "bytesWritten"):
        assert [s[field] for s in states] == sorted(s[field] for s in states)
    last = states[-1]
    assert last["status"] == "COMPLETE" and last["rowCount"] == 300 and last["progress"] == 1.0
    result = httpx.get(last["url"])
    assert len(result.content) == last["bytesWritten"] and len(result.content.splitlines()) == 300


def test_another_organizations_key_cannot_follow_the_task(live: Live) -> None:
    task_id = run(live, held_task(live))

    got = asyncio.run(follow(live, live.other_key, task_id))
    assert [m["type"] for m in got] == ["next", "complete"]
    assert got[0]["payload"]["data"] is None
    assert [e["extensions"]["code"] for e in got[0]["payload"]["errors"]] == ["NOT_FOUND"]


def test_no_key_or_a_wrong_key_is_refused_with_a_reason(live: Live) -> None:
    code, reason = asyncio.run(refusal(live, {}))
    assert (code, reason.startswith("This request has no API key.")) == (4401, True)
    code, reason = asyncio.run(refusal(live, {"Authorization": "Bearer ce_wrong"}))
    assert (code, reason.startswith("This API key is unknown or has been revoked.")) == (4401, True)
    code, reason = asyncio.run(refusal(live, {"Authorization": 7}))
    assert code == 4401 and "must be a string" in reason
    asyncio.run(closed(socket(live, None, Authorization=f"Bearer {live.key}")))  # the handshake's header works too


def test_a_message_too_large_closes_the_connection_before_it_is_parsed(live: Live) -> None:
    async def sent(message: str) -> tuple[int, str]:
        ws = await socket(live, live.key)
        await ws.send(message)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None
        return closed.value.rcvd.code, closed.value.rcvd.reason

    def subscribe(variables: str) -> str:
        payload = '{"query": ' + json.dumps(UPDATES) + ', "variables": ' + variables + "}"
        return '{"id": "1", "type": "subscribe", "payload": ' + payload + "}"

    nested = "[" * (OBJECTS - 4) + "]" * (OBJECTS - 4)
    message = subscribe('{"id": "x", "v": ' + nested + "}")  # 3 objects, 2 '{' in the query and the lists
    assert message.count("{") + message.count("[") == OBJECTS + 1
    code, reason = asyncio.run(sent(message))
    assert code == 4413 and reason.startswith(f"The request holds {OBJECTS + 1} JSON objects and arrays"), reason
    code, _ = asyncio.run(sent(subscribe('{"id": "' + "x" * BYTES + '"}')))
    assert code == 1009  # over MAX_BODY_BYTES: uvicorn refuses the frame
    asyncio.run(closed(socket(live, live.key)))  # the server goes on


def test_connections_per_key_are_limited_and_given_back(live: Live) -> None:
    async def scenario() -> None:
        open_ = [await socket(live, live.key) for _ in range(SOCKETS)]
        code, reason = await refusal(live, {"Authorization": f"Bearer {live.key}"})
        assert code == 4429 and reason == f"Too many WebSocket connections for this API key (at most {SOCKETS})."
        await closed(socket(live, live.other_key))  # another key has its own slots
        await open_.pop().close()
        await asyncio.sleep(0.2)
        open_.append(await socket(live, live.key))
        for ws in open_:
            await ws.close()

    asyncio.run(scenario())


async def _tasks() -> int:
    return len(asyncio.all_tasks())


def test_a_dropped_connection_leaves_nothing_behind(live: Live) -> None:
    task_id = run(live, held_task(live))
    engine = live.app.state.engine
    before = live.on_server_loop(_tasks())
    held = engine.pool.checkedout()  # the export worker's LISTEN connection on PostgreSQL, held for its life

    async def drop() -> None:
        ws = await socket(live, live.key)
        stream = messages(ws, task_id)
        first = await anext(stream)
        assert first["payload"]["data"]["exportTaskUpdated"]["status"] == "IN_PROGRESS"
        assert live.app.state.sockets.open  # the key holds a slot while the subscription runs
        ws.transport.abort()  # no close frame: the network went away

    asyncio.run(drop())
    for _ in range(200):
        if not live.app.state.sockets.open and live.on_server_loop(_tasks()) <= before:
            break
        asyncio.run(asyncio.sleep(0.05))
    assert live.app.state.sockets.open == {}
    assert live.on_server_loop(_tasks()) <= before
    assert engine.pool.checkedout() == held
