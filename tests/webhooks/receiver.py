"""A real HTTP receiver on loopback (aiohttp) that verifies every message with the `standardwebhooks` library and
answers as each test scripts it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web
from standardwebhooks.webhooks import Webhook as Verifier

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # 24 bytes, base64
OTHER_SECRET = "whsec_" + "c2Vjb25kLW9yZ2FuaXphdGlvbi1zZWNyZXQ="


@dataclass
class Message:
    id: str
    timestamp: str
    body: dict[str, Any]
    at: float


@dataclass
class Receiver:
    """Records every verified message; answers 200 unless `answers` says otherwise: an int status, "hang" (never
    answers), "endless" (200 and a body that never ends)."""

    secret: str = SECRET
    answers: list[Any] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # messages whose signature did not verify
    url: str = ""
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        try:
            payload = Verifier(self.secret).verify(body, dict(request.headers))
        except Exception as exc:
            self.refused.append(f"{type(exc).__name__}: {exc}")
            return web.Response(status=400)
        self.messages.append(Message(request.headers["webhook-id"], request.headers["webhook-timestamp"],
                                     payload, time.monotonic()))  # fmt: skip
        self.arrived.set()
        answer = self.answers.pop(0) if self.answers else 200
        if answer == "hang":
            await asyncio.sleep(3600)
        if answer == "endless":
            response = web.StreamResponse(status=200)
            await response.prepare(request)
            while True:
                await response.write(b"x" * 65536)
        return web.Response(status=answer, text="ok")

    async def wait_for(self, count: int, seconds: float = 20) -> list[Message]:
        deadline = time.monotonic() + seconds
        while len(self.messages) < count:
            assert time.monotonic() < deadline, f"{len(self.messages)} of {count} messages arrived: {self.messages}"
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), max(0.01, deadline - time.monotonic()))
        return self.messages

    def bodies(self) -> list[dict[str, Any]]:
        return [orjson.loads(orjson.dumps(m.body)) for m in self.messages]


async def start_receiver(receiver: Receiver) -> web.AppRunner:
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    receiver.url = f"http://127.0.0.1:{port}/hook"
    return runner
