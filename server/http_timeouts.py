"""uvicorn's HTTP/1.1 protocol (h11) with the timeouts it lacks: a connection must send a request's complete headers
within HTTP_HEADER_TIMEOUT_SECONDS of opening (or of its first bytes after a keep-alive pause), and its body within
HTTP_BODY_TIMEOUT_SECONDS of the headers; else it is closed. Idle keep-alive connections close after
HTTP_KEEP_ALIVE_SECONDS and at most MAX_CONNECTIONS are served at once (uvicorn's own settings, see `uvicorn_options`).
Responses are not timed: slow readers of an export stream are served at their pace."""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from server.settings import Settings


class TimedH11Protocol(H11Protocol):
    header_seconds = 10.0
    body_seconds = 30.0

    # a stream server hands its protocol a Transport; asyncio.BaseProtocol declares any BaseTransport
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._deadline: asyncio.TimerHandle | None = None
        self._waiting_for: object = None
        super().connection_made(transport)
        self._watch()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        super().connection_lost(exc)

    def _watch(self) -> None:
        """Arm the timer for what the connection owes now: headers (IDLE with bytes of a request begun, or a fresh
        connection), a body (SEND_BODY); nothing while the app answers or the keep-alive timer waits."""
        state = self.conn.their_state
        begun = self.timeout_keep_alive_task is None and (self.cycle is None or self.cycle.response_complete)
        if state is h11.IDLE and begun:
            self._arm(h11.IDLE, self.header_seconds)
        elif state is h11.SEND_BODY:
            self._arm(h11.SEND_BODY, self.body_seconds)
        else:
            self._cancel()

    def _arm(self, waiting_for: object, seconds: float) -> None:
        if self._waiting_for is waiting_for:
            return  # already counting from when it began
        self._cancel()
        self._waiting_for = waiting_for
        self._deadline = self.loop.call_later(seconds, self._expire)

    def _cancel(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline, self._waiting_for = None, None

    def _expire(self) -> None:
        self._deadline, self._waiting_for = None, None
        if not self.transport.is_closing():
            self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The protocol and uvicorn's own connection settings for `catalog-export serve`."""
    protocol = type(
        "CatalogH11Protocol",
        (TimedH11Protocol,),
        {"header_seconds": settings.http_header_timeout_seconds, "body_seconds": settings.http_body_timeout_seconds},
    )
    return {
        "http": protocol,
        "timeout_keep_alive": settings.http_keep_alive_seconds,
        "limit_concurrency": settings.max_connections or None,
        "ws_max_size": settings.max_body_bytes,  # a WebSocket message is bounded as a request body is
    }
