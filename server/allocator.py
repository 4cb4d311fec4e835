"""glibc's allocator: set for a long-running process before it starts its threads, trimmed when the server is idle.

By default glibc gives each thread that meets contention an arena of its own (up to 8 per core) and raises its
threshold for mapping large blocks each time one is freed. A server whose SQLite connections each run on a thread and
whose requests now and then parse a megabyte of variables then keeps freed memory in many fragmented heaps: in a 60 s
fuzz of both endpoints RSS rose ~1 MB every 4 s. With two arenas and a fixed 128 KiB mapping threshold (large
blocks go back to the system when freed) the rise is a fraction of that once the caches fill. Values an operator
sets in the environment win; the same variables reach the processes this one starts."""

from __future__ import annotations

import asyncio
import ctypes
import os
from collections.abc import Callable
from functools import cache

from starlette.types import ASGIApp, Receive, Scope, Send

# environment variable (read by glibc at start-up) -> (mallopt parameter, value)
TUNING: dict[str, tuple[int, int]] = {
    "MALLOC_ARENA_MAX": (-8, 2),  # M_ARENA_MAX
    "MALLOC_MMAP_THRESHOLD_": (-3, 128 * 1024),  # M_MMAP_THRESHOLD (set, it no longer grows)
}


def tune() -> None:
    """Apply TUNING to this process (glibc only; elsewhere a no-op) and pass it on to child processes."""
    libc = _glibc()
    for name, (parameter, default) in TUNING.items():
        value = os.environ.setdefault(name, str(default))
        if libc is not None and value.isdigit():
            libc.mallopt(parameter, int(value))


def trim() -> None:
    """Give the C heap's free pages back to the system (glibc's malloc_trim; elsewhere a no-op)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


class IdleTrim:
    """ASGI middleware: once no HTTP request has been in flight for `idle_seconds` after some were served, `trim()`.

    glibc returns freed memory from the top of its heap only: a burst of requests (a 4 MiB body parses into tens of
    megabytes) leaves free pages between live blocks that stay in RSS. Measured in a fuzz of both endpoints, one
    server process: 17 MiB of a 136 MiB RSS came back this way after a burst; a trim of an idle heap took 0.2 ms,
    and it runs only when nothing is in flight. WebSocket connections are long-lived and do not count."""

    def __init__(self, app: ASGIApp, idle_seconds: float = 1.0, trim_heap: Callable[[], None] = trim) -> None:
        self.app, self.idle_seconds, self.trim_heap = app, idle_seconds, trim_heap
        self.in_flight, self.served = 0, False
        self._timer: asyncio.TimerHandle | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
            self.served = True
            if self.in_flight == 0:
                self._arm()

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(self.idle_seconds, self._idle)

    def _idle(self) -> None:
        self._timer = None
        if self.in_flight == 0 and self.served:
            self.served = False
            self.trim_heap()


@cache
def _glibc() -> ctypes.CDLL | None:
    """The C library this process runs on, if it is glibc (the symbols of the process itself: no library search,
    which on Linux runs `ldconfig -p` in a subprocess)."""
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return None
    except (AttributeError, ValueError, OSError):  # not glibc (musl, macOS) or no confstr (Windows)
        return None
    return ctypes.CDLL(None)
