"""`serve`'s connection timeouts (server.http_timeouts), on a real uvicorn server over real sockets: a connection that
sends nothing, half its headers, or a trickle of its body is closed; an idle keep-alive connection is closed; a
request sent in time is answered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import uvicorn

from server.app import create_app
from server.http_timeouts import uvicorn_options
from server.settings import Settings, replace
from tests.utils.process import free_port

CLOSED_WITHIN = 10.0  # seconds: far beyond the timeouts below; a connection still open then is held forever


@pytest.fixture
async def port(settings: Settings) -> AsyncIterator[int]:
    timed = replace(settings, http_header_timeout_seconds=0.5, http_body_timeout_seconds=0.5, http_keep_alive_seconds=1)
    config = uvicorn.Config(
        create_app(timed), host="127.0.0.1", port=free_port(), log_level="warning", **uvicorn_options(timed)
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    for _ in range(500):  # uvicorn says it started by a flag only
        if server.started:
            break
        await asyncio.sleep(0.02)
    yield config.port
    server.should_exit = True
    await serving


async def closed_by_server(port: int, *parts: bytes) -> bytes:
    """What the server sends before it closes the connection, after `parts` were sent 0.2 s apart."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for part in parts:
            writer.write(part)
            await writer.drain()
            await asyncio.sleep(0.2)
        return await asyncio.wait_for(reader.read(), CLOSED_WITHIN)
    except ConnectionResetError:  # closed while the client was still sending
        return b""
    finally:
        writer.close()


HEAD = b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"


@pytest.mark.parametrize("engine_name", ["sqlite"])
@pytest.mark.parametrize(
    "parts",
    [
        (),  # connects and sends nothing
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\n",),  # half the headers
        (b"GET /healthz HTTP/1.1\r\n", b"Host: x\r\n", b"X-A: 1\r\n", b"X-B: 2\r\n", b"X-C: 3\r\n"),  # trickled
        (HEAD, b'{"query"', b": ", b'"{', b" __typename"),  # headers, then a body trickled past its timeout
    ],
    ids=["idle", "half-headers", "trickled-headers", "trickled-body"],
)
async def test_slow_connections_are_closed(port: int, parts: tuple[bytes, ...]) -> None:
    assert await closed_by_server(port, *parts) == b""


@pytest.mark.parametrize("engine_name", ["sqlite"])
async def test_a_request_in_time_is_answered_and_its_idle_connection_closed(port: int) -> None:
    answer = await closed_by_server(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 OK") and answer.endswith(b'{"status":"ok","database":"ok"}')
