"""Where a task's result and error streams live: files in EXPORT_DIR (the default) or objects in S3-compatible
storage (EXPORT_STORAGE=s3://bucket/prefix, server/export/s3.py). The runner writes through a TaskWriter, the stream
routes, resolvers and the sweeper read and delete through an ExportStorage; nothing else knows which one it is."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from server.export.files import TaskFiles, open_files, remove_results
from server.export.follow import follow_file
from server.export.progress_signal import ProgressSignal
from server.export.tasks import errors_path, result_path
from server.models.exports import TERMINAL
from server.settings import Settings

READ_CHUNK = 1 << 20


class TaskWriter(Protocol):
    digest: Any
    # True: every durable point is stored at once (an upload is rare and costly to redo); False: stored at most every
    # EXPORT_CHECKPOINT_SECONDS (every page is durable on disk, a resume truncates to the stored one)
    store_each_durable: bool

    async def write(self, data: bytes, errors: list[bytes]) -> bool:
        """Append a page; True when everything written so far is durable (a resume may start here)."""

    def state(self) -> dict[str, Any]:
        """Extra checkpoint columns that go with the durable position."""

    async def finish(self) -> None:
        """Make the streams whole (flush, fsync, compose): done before the task is stored COMPLETE."""

    async def finished(self) -> None:
        """After the COMPLETE store: drop what only a resume needed (part objects)."""

    async def close(self) -> None: ...


class ExportStorage(Protocol):
    async def open(self, task: Any) -> TaskWriter:
        """A writer positioned at the task's checkpoint (Unresumable when the stored data does not match it)."""

    async def remove(self, task_id: str) -> None:
        """Delete everything the task stored (results, errors, parts, unfinished uploads)."""

    def follow(
        self, engine: AsyncEngine, task: Any, errors: bool, offset: int, signal: ProgressSignal | None
    ) -> AsyncIterator[bytes]:
        """Whole lines after line `offset`, following the task while it runs."""

    def read(self, task_id: str, errors: bool, start: int = 0) -> AsyncIterator[bytes]:
        """A finished stream's bytes from byte `start` (nothing when it was never written)."""

    async def size(self, task_id: str, errors: bool) -> int:
        """A finished stream's size in bytes (0 when it was never written)."""

    async def download_url(self, task_id: str, errors: bool, ttl_seconds: int) -> str | None:
        """A pre-signed URL of a finished stream's object, or None (local files are served by the stream routes)."""

    async def aclose(self) -> None: ...


class LocalWriter:
    """TaskFiles off the event loop: every page is on disk when written (a resume truncates to the checkpoint)."""

    store_each_durable = False

    def __init__(self, files: TaskFiles) -> None:
        self.files = files
        self.digest = files.digest

    async def write(self, data: bytes, errors: list[bytes]) -> bool:
        await asyncio.to_thread(self.files.write, data, errors)
        return True

    def state(self) -> dict[str, Any]:
        return {}

    async def finish(self) -> None:
        await asyncio.to_thread(self.files.sync)

    async def finished(self) -> None:
        return None

    async def close(self) -> None:
        self.files.close()


class LocalStorage:
    """Files in EXPORT_DIR: `<id>.ndjson` and `<id>.errors.ndjson` (shared storage when several hosts serve)."""

    def __init__(self, export_dir: Path) -> None:
        self.export_dir = export_dir

    def path(self, task_id: str, errors: bool) -> Path:
        return (errors_path if errors else result_path)(self.export_dir, task_id)

    async def open(self, task: Any) -> TaskWriter:
        files = await asyncio.to_thread(open_files, self.export_dir, task.id, task.bytes_written, task.error_count)
        return LocalWriter(files)

    async def remove(self, task_id: str) -> None:
        await asyncio.to_thread(remove_results, self.export_dir, task_id)

    def follow(
        self, engine: AsyncEngine, task: Any, errors: bool, offset: int, signal: ProgressSignal | None
    ) -> AsyncIterator[bytes]:
        running = task.status not in TERMINAL
        return follow_file(engine, task.id, self.path(task.id, errors), offset, signal, running)

    async def read(self, task_id: str, errors: bool, start: int = 0) -> AsyncIterator[bytes]:
        path = self.path(task_id, errors)
        if not path.exists():
            return
        with path.open("rb") as handle:
            handle.seek(start)
            while chunk := await asyncio.to_thread(handle.read, READ_CHUNK):
                yield chunk

    async def size(self, task_id: str, errors: bool) -> int:
        path = self.path(task_id, errors)
        return path.stat().st_size if path.exists() else 0

    async def download_url(self, task_id: str, errors: bool, ttl_seconds: int) -> str | None:
        return None

    async def aclose(self) -> None:
        return None


def open_storage(settings: Settings) -> ExportStorage:
    """The storage EXPORT_STORAGE names (its client is made on first use, on the running event loop)."""
    if settings.export_storage.startswith("s3://"):
        from server.export.s3 import S3Storage

        return S3Storage(settings)
    return LocalStorage(settings.export_dir)


async def read_all(storage: ExportStorage, task_id: str, errors: bool = False) -> bytes:
    return b"".join([chunk async for chunk in storage.read(task_id, errors)])
