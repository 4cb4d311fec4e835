"""EXPORT_WORKER_MODE=process: the export worker runs in a child process of the server, on a core of its own, while
the server's event loop only answers requests and streams result files.

The server talks to its child over the child's stdin and stdout: the pickled settings once, then `wake` when a task
is queued (so it starts at once rather than at the next poll) and `stop` at shutdown (graceful: the page being written
is finished and the task goes back to the queue). The child writes an empty line after every page and every task,
which wakes the readers following a result. When its stdin closes without `stop` (the server was killed), the child
exits at once: the task it held is left to its lease, exactly as if the worker had died with the server. A child
that dies on its own is started again; its task is reclaimed when the lease runs out.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import pickle
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from server.db import create_engine, warm_pool
from server.export.heap import tune_for_export
from server.export.progress_signal import ProgressSignal
from server.export.runner import ExportWorker, worker_name
from server.settings import Settings

log = logging.getLogger("catalog_export.export")
WAKE, STOP, READY = b"wake\n", b"stop\n", b"ready\n"
RESTART_SECONDS = 1.0
READY_SECONDS = 60.0
# An export reads each page once, in key order: a large SQLite page cache per pooled connection only costs memory
# (at 1M rows each connection filled its 16 MB); the index's inner pages fit in this.
WORKER_SQLITE_CACHE_MB = 2
# An export holds up to four connections at once (claim, pages, total, checkpoint): made before the worker says it is
# ready, the first export does not wait for them.
WORKER_CONNECTIONS = 4


class WorkerProcess(ProgressSignal):
    """The server's side: the same surface as ExportWorker for the app and the stream routes (notified after each
    message from the child)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self._proc: asyncio.subprocess.Process | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._stopping = False

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    async def start(self) -> None:
        """Start the child and wait until its worker runs (a task queued right after start-up is not kept waiting)."""
        self._supervisor = asyncio.create_task(self._supervise())
        await asyncio.wait({self._supervisor, asyncio.create_task(self._ready.wait())}, timeout=READY_SECONDS,
                           return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
        if self._supervisor.done():
            self._supervisor.result()  # the child could not be started: raise why

    def wake_up(self) -> None:
        self._send(WAKE)

    async def stop(self) -> None:
        self._stopping = True
        proc = self._proc
        if proc is not None and proc.returncode is None:
            self._send(STOP)
            try:
                await asyncio.wait_for(proc.wait(), self.settings.shutdown_grace_seconds + 5)
            except TimeoutError:
                proc.kill()
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)

    def _send(self, message: bytes) -> None:
        proc = self._proc
        if proc is not None and proc.stdin is not None and proc.returncode is None:
            proc.stdin.write(message)

    async def _supervise(self) -> None:
        while not self._stopping:
            code = await self._run_child()
            if not self._stopping:
                log.warning("export worker process exited with %s; starting another in %ss", code, RESTART_SECONDS)
                await asyncio.sleep(RESTART_SECONDS)

    async def _run_child(self) -> int:
        proc = self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "server.export.worker_process", stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(base64.b64encode(pickle.dumps(self.settings)) + b"\n")
        while line := await proc.stdout.readline():
            if line == READY:
                self._ready.set()
            self._notify()
        return await proc.wait()


AppWorker = ExportWorker | WorkerProcess


async def start_worker(engine: Any, settings: Settings) -> AppWorker | None:
    """The app's export worker for EXPORT_WORKER_MODE: `process` (a child process), `loop` (this event loop) or
    `none` (separate `catalog-export worker` processes run the tasks)."""
    if settings.export_worker_mode == "none":
        return None
    if settings.export_worker_mode == "process":
        child = WorkerProcess(settings)
        await child.start()
        return child
    in_loop = ExportWorker(engine, settings, name=worker_name())
    in_loop.start()
    return in_loop


async def _relay(worker: ExportWorker) -> None:
    """One empty line to the server after each page and each task the worker finishes."""
    while True:
        await worker.progressed.wait()
        sys.stdout.buffer.write(b"\n")
        sys.stdout.buffer.flush()


async def _commands(reader: asyncio.StreamReader, worker: ExportWorker, stop: asyncio.Event) -> None:
    while line := await reader.readline():
        if line == WAKE:
            worker.wake.set()
        elif line == STOP:
            stop.set()
            return
    os._exit(1)  # the server is gone: die with it, the task is left to its lease


@asynccontextmanager
async def running_worker(settings: Settings) -> AsyncIterator[ExportWorker]:
    """An export worker on its own engine, ready (pool warmed, heap tuned) until the block ends; then stopped
    gracefully (the page being written is finished and its task goes back to the queue)."""
    engine = create_engine(settings, sqlite_cache_mb=WORKER_SQLITE_CACHE_MB)
    try:
        await warm_pool(engine, min(WORKER_CONNECTIONS, settings.database_pool_size))
        worker = ExportWorker(engine, settings, name=worker_name())
        worker.start()
        tune_for_export()
        try:
            yield worker
        finally:
            await worker.stop()
    finally:
        await engine.dispose()


async def child_main() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    settings: Settings = pickle.loads(base64.b64decode(await reader.readline()))
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)  # stopped on its own (a service manager): graceful too
    async with running_worker(settings) as worker:
        tasks = [asyncio.create_task(_relay(worker)), asyncio.create_task(_commands(reader, worker, stop))]
        sys.stdout.buffer.write(READY)
        sys.stdout.buffer.flush()
        await stop.wait()
    for task in tasks:
        task.cancel()


async def standalone_main(settings: Settings) -> None:
    """`catalog-export worker`: run until SIGTERM or Ctrl-C, then stop gracefully."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with running_worker(settings) as worker:
        mode = "LISTEN/NOTIFY and polling" if worker.engine.dialect.name == "postgresql" else "polling"
        log.info("export worker %s running (wakes on %s); SIGTERM or Ctrl-C stops it", worker.name, mode)
        await stop.wait()
        log.info("export worker %s stopping: the current page is finished and its task handed back", worker.name)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the server stops us
    logging.basicConfig(level=logging.INFO)
    asyncio.run(child_main())
