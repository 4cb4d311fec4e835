"""`serve --workers N` with N > 1: uvicorn's own supervisor (uvicorn.supervisors.Multiprocess) runs N server
processes on the one socket the parent bound, restarts one that dies and stops them all on SIGTERM or Ctrl-C. Beside
them the parent runs ONE background process, supervised the same way, with the work a server does for the whole
catalog rather than per request: the export worker (and its webhook deliveries) and the facet refresher. The server
processes run neither (EXPORT_WORKER_MODE=none, no facet refresh), exactly as `serve --no-worker` beside a
`catalog-export worker`."""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import secrets
import signal
from multiprocessing import reduction
from multiprocessing.context import SpawnProcess
from socket import socket
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from server.settings import Settings, replace
from server.shared_limits import bucket_file

log = logging.getLogger("uvicorn.error")
spawn = multiprocessing.get_context("spawn")
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def server_settings(settings: Settings, workers: int) -> Settings:
    """What each of the `workers` server processes runs with: no export worker or facet refresh of its own, one
    link secret for all (a link one process signs, another one checks), and its share of the per-process limits."""
    return replace(
        settings,
        export_worker_mode="none",
        facet_refresh_seconds=0.0,
        secret_key=settings.secret_key or secrets.token_urlsafe(32),
        max_sockets_per_key=max(1, settings.max_sockets_per_key // workers),
    )


class ServerConfig(uvicorn.Config):
    """A uvicorn Config that builds the app from Settings in each server process. uvicorn pickles the config into
    every child it spawns; this one travels as its arguments (the app and the protocol class it makes are not
    picklable) and is rebuilt on arrival."""

    def __init__(self, settings: Settings, workers: int, rates: int) -> None:
        from server.access_log import log_config
        from server.http_timeouts import uvicorn_options

        self.settings, self.workers_wanted, self.rates = settings, workers, rates
        options = uvicorn_options(settings)
        super().__init__("server.app:create_app", factory=True, host=settings.host, port=settings.port,
                         log_level="info", log_config=log_config(), workers=workers, **options)  # fmt: skip

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled while a child is spawned: the shared table's descriptor goes along, duplicated into the child."""
        return _arrived, (self.settings, self.workers_wanted, reduction.DupFd(self.rates))

    def load_app(self) -> Any:
        from server.app import create_app
        from server.shared_limits import SharedGeneration, SharedRateLimiter, SharedTable

        die_with_parent()
        settings = self.settings
        table = SharedTable(self.rates)
        limiter = SharedRateLimiter(table, settings.rate_limit_per_second, settings.rate_limit_burst)
        return lambda: create_app(settings, limiter, SharedGeneration(table))


def _arrived(settings: Settings, workers: int, rates: Any) -> ServerConfig:
    return ServerConfig(settings, workers, rates.detach())


def background_needed(settings: Settings) -> bool:
    return settings.export_worker_mode != "none" or settings.facet_refresh_seconds > 0


async def _background(settings: Settings) -> None:
    """The export worker (unless EXPORT_WORKER_MODE=none) and the facet refresher until SIGTERM; then both stop
    gracefully (the page being written is finished and its task goes back to the queue)."""
    from contextlib import AsyncExitStack

    from server.db import create_engine
    from server.export.worker_process import running_worker
    from server.facets.refresher import FacetRefresher

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    engine = create_engine(settings)
    facets = FacetRefresher(engine, settings.facet_refresh_seconds)
    try:
        async with AsyncExitStack() as stack:
            if settings.export_worker_mode != "none":
                await stack.enter_async_context(running_worker(settings))
            facets.start()
            await stop.wait()
            await facets.stop()
    finally:
        await engine.dispose()


def die_with_parent() -> None:
    """In a child: SIGTERM (a graceful stop) when the supervisor dies, even by SIGKILL, so no orphan keeps serving
    the port or claiming tasks (Linux; elsewhere a no-op)."""
    parent = multiprocessing.parent_process()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if parent is not None and not parent.is_alive():  # it died before the request was made
        os.kill(os.getpid(), signal.SIGTERM)


def background_main(settings: Settings) -> None:
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the parent stops us
    logging.basicConfig(level=logging.INFO)
    asyncio.run(_background(settings))


class Supervisor(Multiprocess):
    """uvicorn's supervisor of the server processes, also keeping the background process (if any) alive."""

    def __init__(self, config: ServerConfig, sockets: list[socket], background: Settings | None) -> None:
        super().__init__(config, sockets)
        self.background_settings = background
        self.background: SpawnProcess | None = None
        self.grace = config.settings.shutdown_grace_seconds + 5

    def _start_background(self) -> None:
        if self.background_settings is not None:
            self.background = spawn.Process(target=background_main, args=(self.background_settings,))
            self.background.start()
            log.info(f"Started background process [{self.background.pid}] (export worker, facet refresh)")

    def init_processes(self) -> None:
        self._start_background()
        super().init_processes()

    def keep_subprocess_alive(self) -> None:
        super().keep_subprocess_alive()
        if self.should_exit.is_set() or self.background is None or self.background.is_alive():
            return
        log.warning(f"Background process [{self.background.pid}] died ({self.background.exitcode}); restarting it")
        self._start_background()

    def terminate_all(self) -> None:
        super().terminate_all()
        if self.background is not None and self.background.exitcode is None:
            self.background.terminate()

    def join_all(self) -> None:
        super().join_all()
        if self.background is not None:
            self.background.join(self.grace)
            if self.background.exitcode is None:
                self.background.kill()
                self.background.join()


def run_workers(settings: Settings, sock: socket, workers: int) -> None:
    """N server processes and the background process on `sock`, until SIGTERM or Ctrl-C."""
    shared = server_settings(settings, workers)
    background = replace(settings, secret_key=shared.secret_key) if background_needed(settings) else None
    rates = bucket_file()
    try:
        config = ServerConfig(shared, workers, rates)
        config.configure_logging()
        Supervisor(config, [sock], background).run()
    finally:
        os.close(rates)
