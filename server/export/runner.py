"""The background export worker: claim a task, stream its pages through the encoder into the task's files.

Progress (rows, errors, bytes, resume cursor) is checkpointed after the first page and then every
EXPORT_CHECKPOINT_SECONDS (checkpoint.py), renewing the worker's lease. A task whose lease ran out (its worker was
killed) is reclaimed by any worker and continues from its checkpoint (files cut back to it, hash rebuilt) or ends
FAILED with why. A stopping worker finishes its page and puts the task back at it.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from server.errors import CatalogError
from server.export.checkpoint import Checkpoint
from server.export.encode import EncodedPage, encode_page
from server.export.files import Unresumable
from server.export.lease import Cancelled, LeaseLost, Released, heartbeat
from server.export.progress_signal import ProgressSignal
from server.export.rows import export_scope
from server.export.storage import ExportStorage, TaskWriter, open_storage
from server.export.storage_error import StorageError
from server.export.tasks import ExportRequest, claim_next, due_for_expiry, expiry, set_task
from server.export.wakeups import TaskListener
from server.loading.lines import iter_line_pages
from server.loading.plan import RowPlan
from server.models.base import utcnow
from server.models.exports import EXPIRED, ExportStatus
from server.query.count import count_rows
from server.query.scope import Scope
from server.settings import Settings
from server.timefmt import iso
from server.unavailable import NETWORK_ERRORS, for_the_log, is_too_large, is_unavailable, too_large
from server.webhooks.outbox import enqueue_recent, enqueue_task_event
from server.webhooks.sender import WebhookSender

log = logging.getLogger("catalog_export.export")
PageHook = Callable[[str, int], Awaitable[None]]
SWEEP_SECONDS = 60.0
# The first page of a run is this short, so a reader following the task gets its first lines sooner (at 2,000 rows
# the first page took ~50 ms longer to reach the reader).
FIRST_PAGE_ROWS = 200


@dataclass
class Claim:
    """The running worker's side of a task: who holds it, for how long, and whether it should stop after this page."""

    worker: str
    lease_seconds: float
    stopping: Callable[[], bool] = lambda: False


async def _fail(engine: AsyncEngine, settings: Settings, task_id: str, reason: str) -> None:
    values = {"failure_reason": reason, "completed_at": utcnow(), "expires_at": expiry(settings.export_ttl_seconds)}
    await set_task(engine, task_id, status=ExportStatus.FAILED, **values)


async def run_task(
    engine: AsyncEngine,
    settings: Settings,
    storage: ExportStorage,
    task: Any,
    claim: Claim,
    on_page: PageHook | None = None,
) -> None:
    """Run one claimed task (fresh or from its checkpoint) to COMPLETE, FAILED (with a reason) or CANCELED;
    or, when the worker stops, back to QUEUED at its last checkpoint."""
    # At most a third of the lease apart: a worker that lost its lease (no store for a whole lease) finds out at the
    # first page it writes after, whatever EXPORT_CHECKPOINT_SECONDS says.
    interval = min(settings.export_checkpoint_seconds, claim.lease_seconds / 3)
    checkpoint = Checkpoint(engine, task.id, claim.worker, claim.lease_seconds, interval)
    try:
        async with heartbeat(checkpoint.beat, claim.lease_seconds / 3):
            await _export(engine, settings, storage, task, checkpoint, claim, on_page)
    except (Released, asyncio.CancelledError):
        if claim.stopping():  # graceful stop; a bare cancellation is a crash: the lease runs out instead
            await asyncio.shield(checkpoint.release())
        raise
    except LeaseLost:
        log.warning("export %s: lease lost to another worker; stopped", task.id)
    except Cancelled:
        await storage.remove(task.id)
        await set_task(engine, task.id, completed_at=utcnow(), expires_at=expiry(settings.export_ttl_seconds))
    except CatalogError as exc:
        await _fail(engine, settings, task.id, exc.message)
    except Unresumable as exc:
        await _fail(engine, settings, task.id, f"could not resume after a restart: {exc}")
    except StorageError as exc:
        with contextlib.suppress(StorageError):
            await storage.remove(task.id)
        await _fail(engine, settings, task.id, f"writing the result failed: {exc}; the partial result was removed")
    except NETWORK_ERRORS:  # the database, not the disk: keep the lease, the worker retries
        raise
    except OSError as exc:  # disk full (ENOSPC), file too large (EFBIG), export dir gone...
        await storage.remove(task.id)
        name = errno.errorcode.get(exc.errno or 0, "OSError")
        await _fail(
            engine, settings, task.id, f"writing the result failed ({name}): {exc}; the partial file was removed"
        )
    except Exception as exc:  # a fault of this task alone (a bug, a stored request it cannot read): it fails alone
        if is_unavailable(exc):
            raise
        log.error("export %s failed", task.id, exc_info=for_the_log(exc))
        with contextlib.suppress(StorageError, OSError):
            await storage.remove(task.id)
        await _fail(engine, settings, task.id, failure_reason(exc))


def failure_reason(exc: BaseException) -> str:
    """What a task's owner reads when its run raised unexpectedly (the traceback is in the server's log)."""
    if is_too_large(exc):
        return too_large().message
    return f"the export failed on an internal error ({type(exc).__name__}); it is logged on the server"


async def _scope(
    engine: AsyncEngine, settings: Settings, task: Any, request: ExportRequest
) -> tuple[Scope, int | None]:
    """The task's rows as of now (a search/similarTo leaf is ranked again when the task runs or resumes) and their
    total when it is needed before the pages (stored, or to decide how to page); None: counted beside the pages."""
    async with engine.connect() as conn:
        return await export_scope(conn, settings, task.organization_id, request, task.total_rows)


async def _store_total(engine: AsyncEngine, task: Any, scope: Scope, total: int | None) -> None:
    """Store the total unless the task already holds it (a resume); counted here, on a connection of its own, when
    `_scope` did not need it, so the first page need not wait for it."""
    if task.total_rows is not None:
        return
    if total is None:
        async with engine.connect() as conn:
            total = await count_rows(conn, scope)
    await set_task(engine, task.id, total_rows=total)


async def _export(
    engine: AsyncEngine,
    settings: Settings,
    storage: ExportStorage,
    task: Any,
    checkpoint: Checkpoint,
    claim: Claim,
    on_page: PageHook | None,
) -> None:
    request = ExportRequest.from_json(task.request)
    scope, total = await _scope(engine, settings, task, request)
    counting = asyncio.create_task(_store_total(engine, task, scope, total))
    try:
        writer = await storage.open(task)
        try:
            await _write(engine, settings, writer, task, scope, request.params.to_plan(), checkpoint, claim, on_page)
        finally:
            await writer.close()
        await counting
    finally:
        counting.cancel()
        await asyncio.gather(counting, return_exceptions=True)
    # The final counts with the outcome, in one conditional store: a cancel since the last store is seen here.
    done = {"completed_at": utcnow(), "expires_at": expiry(settings.export_ttl_seconds)}
    await checkpoint.store(status=ExportStatus.COMPLETE, sha256=writer.digest.hexdigest(), **done)
    try:
        await writer.finished()
    except StorageError as exc:  # what is left is deleted with the rest at expiry
        log.warning("export %s: could not delete its part objects: %s", task.id, exc)


@dataclass
class _Written:
    """Where a task's files are: counts after the last page whose write completed, and that page's end cursor."""

    rows: int
    errors: int
    bytes: int
    cursor: str | None

    def reached(self) -> dict[str, Any]:
        """The checkpoint columns of this position."""
        counts = {"row_count": self.rows, "error_count": self.errors, "bytes_written": self.bytes}
        return counts | {"resume_cursor": self.cursor}


async def _write(
    engine: AsyncEngine,
    settings: Settings,
    writer: TaskWriter,
    task: Any,
    scope: Scope,
    plan: RowPlan,
    checkpoint: Checkpoint,
    claim: Claim,
    on_page: PageHook | None,
) -> None:
    """Stream the scope's pages from the task's checkpoint into its writer, checkpointing where it is durable (every
    page for files; every uploaded part for object storage).

    A page is encoded while the one before it is written (hashed and written by a thread, which the GIL does not
    hold back): one write at a time, in page order, and a page counts once its write completed. The run's first page
    is written before the next is encoded, so a reader following the task gets it at once."""
    at = _Written(task.row_count, task.error_count, task.bytes_written, task.resume_cursor)
    pending: tuple[asyncio.Task[bool], EncodedPage, str | None] | None = None

    async def settle() -> None:
        """Wait for the page being written, then count it, checkpoint, and stop or report if asked."""
        nonlocal pending
        if pending is None:
            return
        write, encoded, end = pending
        durable = await write
        pending = None
        at.rows, at.errors, at.bytes = (
            at.rows + encoded.rows,
            at.errors + len(encoded.errors),
            at.bytes + len(encoded.data),
        )
        at.cursor = end
        reached = at.reached()
        if durable and writer.store_each_durable:
            checkpoint.position = reached | writer.state()
            await checkpoint.store()
        else:
            await checkpoint.advance(**(reached | writer.state() if durable else checkpoint.position))
        if claim.stopping():
            raise Released
        if on_page is not None:
            await on_page(task.id, at.rows)

    size = settings.export_page_size
    pages = iter_line_pages(engine, scope.where, plan, size, at.cursor, scope.ranking, FIRST_PAGE_ROWS, scope.probe)
    try:
        async with contextlib.aclosing(pages):  # a task that stops early gives its reading connection back at once
            first = True
            async for page in pages:
                encoded = encode_page(page)
                await settle()
                pending = (
                    asyncio.create_task(writer.write(encoded.data, encoded.errors)),
                    encoded,
                    page.page.end_cursor,
                )
                if first:
                    await settle()
                    first = False
            await settle()
    finally:
        if pending is not None:  # a failure while a page was being written: let the write end before files close
            await asyncio.gather(pending[0], return_exceptions=True)
    await writer.finish()
    checkpoint.position = at.reached() | writer.state()


async def sweep_expired(engine: AsyncEngine, settings: Settings, storage: ExportStorage | None = None) -> int:
    """Delete the results of finished tasks past `expires_at`; the task reads FAILED, reason `expired at …`."""
    ids = await due_for_expiry(engine)
    own = storage is None
    storage = storage or open_storage(settings)
    try:
        for task_id in ids:
            await _expire(engine, storage, task_id)
    finally:
        if own:
            await storage.aclose()
    return len(ids)


async def _expire(engine: AsyncEngine, storage: ExportStorage, task_id: str) -> None:
    await storage.remove(task_id)
    reason = f"{EXPIRED} at {iso(utcnow())}: the result was deleted after its time to live; start a new export."
    await set_task(engine, task_id, status=ExportStatus.FAILED, failure_reason=reason)


def worker_name() -> str:
    """Who claimed a task (`exporttask.claimed_by`): host, process and worker, unique among those sharing a database."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"[-100:]


class ExportWorker(ProgressSignal):
    """Owned by the app lifespan: wakes on new tasks (or every `poll` seconds, which also picks up tasks whose lease
    ran out), runs them one at a time and sweeps expired results every SWEEP_SECONDS."""

    def __init__(
        self,
        engine: AsyncEngine,
        settings: Settings,
        name: str = "worker",
        poll: float = 1.0,
        storage: ExportStorage | None = None,
    ) -> None:
        super().__init__()
        self.engine, self.settings, self.name, self.poll = engine, settings, name, poll
        self.storage = storage or open_storage(settings)
        self._owns_storage = storage is None
        self.wake = asyncio.Event()
        self.on_page: PageHook | None = None
        self.claim = Claim(name, settings.export_lease_seconds, lambda: self._stopping)
        self._task: asyncio.Task[None] | None = None
        self._swept = 0.0
        self._stopping = False
        self._between_pages = True  # idle, or in the page hook: nothing half-done, a stop may cancel at once
        self.listener = TaskListener(engine, self.wake_up)  # PostgreSQL: woken by tasks queued on any server
        self.webhooks = WebhookSender(engine, settings, self.storage, name)  # beside the export loop, never in it

    def start(self) -> None:
        self._start_loop()
        self.listener.start()
        self.webhooks.start()

    def _start_loop(self) -> None:
        self._task = asyncio.create_task(self._loop())
        self._task.add_done_callback(self._replace)

    def _replace(self, ended: asyncio.Task[None]) -> None:
        """A loop killed by an error no handler expected is replaced at once; the task it held, if any, is reclaimed
        when its lease runs out (EXPORT_MAX_RECLAIMS times at most). A cancelled loop is a worker stopping or dying."""
        if self._stopping or ended.cancelled():
            return
        log.error("export worker loop ended (%r); starting another", ended.exception())
        self._between_pages = True
        self._start_loop()

    def wake_up(self) -> None:
        """A task was queued: claim it now rather than at the next poll."""
        self.wake.set()

    async def stop(self) -> None:
        """Graceful: the page being written is finished and checkpointed, then the task goes back to the queue."""
        if self._task is None:
            return
        self._stopping = True
        await self.listener.stop()
        if not self._between_pages:
            await asyncio.wait({self._task}, timeout=self.settings.shutdown_grace_seconds)
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self.webhooks.stop()
        if self._owns_storage:
            await self.storage.aclose()

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                await self._step()
            except Exception as exc:  # database unreachable: the task keeps its lease and checkpoint; retry later
                if is_unavailable(exc):
                    log.warning(
                        "export worker: database unavailable (%s); retrying in %ss", type(exc).__name__, self.poll
                    )
                else:  # a fault outside any task's run (claiming, sweeping): logged, and the loop goes on
                    log.exception("export worker: unexpected error; going on in %ss", self.poll)
                self._between_pages = True
                await asyncio.sleep(self.poll)

    async def _step(self) -> None:
        await self._maybe_sweep()
        settings = self.settings
        task = await claim_next(
            self.engine, self.name, self.claim.lease_seconds, settings.export_max_reclaims, settings.export_ttl_seconds
        )
        if task is not None:
            self._between_pages = False
            await run_task(self.engine, self.settings, self.storage, task, self.claim, self._page_done)
            self._between_pages = True
            await self._announce(task.id)
            self._notify()
            return
        self.wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), self.poll)

    async def _announce(self, task_id: str) -> None:
        """Queue the webhook event of a task that ended here (COMPLETE, FAILED, CANCELED; nothing otherwise)."""
        try:
            if await enqueue_task_event(self.engine, task_id):
                self.webhooks.wake_up()
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            log.warning("export %s: its webhook event could not be queued: %s", task_id, exc)

    async def _page_done(self, task_id: str, rows: int) -> None:
        self._notify()
        if self.on_page is not None:
            self._between_pages = True
            await self.on_page(task_id, rows)
            self._between_pages = False

    async def _maybe_sweep(self) -> None:
        if time.monotonic() - self._swept >= SWEEP_SECONDS:
            self._swept = time.monotonic()
            await sweep_expired(self.engine, self.settings, self.storage)
            if await enqueue_recent(self.engine):
                self.webhooks.wake_up()
