"""`catalog-export import FILE.ndjson`: Export v2 lines back into the catalog, ids and global keys kept.

Lines are read in batches of BATCH lines (or BATCH_BYTES of text), converted to records (import_chunks: a worker
process converts batch N+1 while batch N is written) and written with one bulk write per table per batch, each
batch under a savepoint of a transaction committed every `commit_rows` rows (SQLite: COMMIT_ROWS, or after
import_batch.COMMIT_SECONDS; PostgreSQL: every batch). A bad line (invalid JSON, missing keys, a data row id or
global key that already exists) is reported with its line number and left out; the good lines land. Project, model
and model-run creation times are set at the end from the order the lines list them in, so a re-export lists them in
the same order.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from collections.abc import AsyncGenerator, Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import aclosing
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db import create_engine, refresh_statistics
from server.ingest.import_batch import ImportBatch
from server.ingest.import_chunks import Chunk, convert_chunk
from server.ingest.import_rows import IMPORT_DATASET
from server.orgs import ensure_organization
from server.schema_check import create_all
from server.settings import Settings

BATCH = 10_000
BATCH_BYTES = 16 << 20  # a batch also ends at this much NDJSON, so lines with big label payloads stay in memory bounds
COMMIT_ROWS = 100_000  # SQLite: rows a transaction gathers before it commits (fewer commits, less written to the WAL)
IMPORT_CACHE_KIB = 262_144  # SQLite page cache of the import's connections (the server's is 16 MiB)
Progress = Callable[[str], None]
Convert = Callable[[list[tuple[int, bytes]]], Chunk]


@dataclass
class ImportReport:
    lines: int = 0
    rows: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    seconds: float = 0.0
    batches: int = 0
    committed: int = 0  # batches committed
    last_line: int = 0

    def summary(self) -> str:
        rate = self.rows / self.seconds if self.seconds else 0.0
        text = f"imported {self.rows:,} of {self.lines:,} lines in {self.seconds:.1f}s ({rate:,.0f} rows/s)"
        shown = [f"line {n}: {message}" for n, message in self.errors[:20]]
        more = [f"... and {len(self.errors) - 20} more bad lines"] if len(self.errors) > 20 else []
        return "\n".join([text, *shown, *more])


def batch_line(report: ImportReport, landed: int) -> str:
    """Printed as each transaction commits: after a crash, the rows of exactly these batches are in the database."""
    first, last = report.committed + 1, report.batches
    batches = f"batch {last}" if first == last else f"batches {first}-{last}"
    return f"{batches} committed: lines up to {report.last_line}, {landed} rows landed ({report.rows} in all)"


async def import_lines(
    engine: AsyncEngine,
    org_id: str,
    path: Path,
    batch_size: int = BATCH,
    progress: Progress | None = None,
    commit_rows: int = 0,
) -> ImportReport:
    """`commit_rows`: rows a transaction gathers before it commits (0: every batch commits)."""
    report = ImportReport()
    start = time.perf_counter()
    convert = partial(convert_chunk, org=org_id, dataset=_default_dataset(org_id), drivername=engine.url.drivername)
    async with ImportBatch(engine, org_id, commit_rows) as batch:
        _tell(progress, batch.restored, "an earlier import left missing")
        with path.open("rb") as handle:
            async with aclosing(_converted(_chunks(handle, batch_size), convert)) as chunks:
                async for chunk in chunks:
                    await _flush(batch, chunk, report, progress)
        await _commit(batch, report, progress, due_only=False)
        await batch.apply_orders()
        _tell(progress, await batch.build_indexes(), "dropped for the load into a database without data rows")
    await refresh_statistics(engine)
    report.errors.sort()
    report.seconds = time.perf_counter() - start
    return report


def _tell(progress: Progress | None, indexes: list[str], why: str) -> None:
    if indexes and progress is not None:
        progress(f"built {len(indexes)} secondary indexes ({why})")


def _chunks(handle: BinaryIO, size: int) -> Iterator[list[tuple[int, bytes]]]:
    """The file's non-blank lines, numbered, `size` (or BATCH_BYTES of text) to a batch."""
    chunk: list[tuple[int, bytes]] = []
    held = 0
    for number, raw in enumerate(handle, start=1):
        if raw.strip():
            chunk.append((number, raw))
            held += len(raw)
        if len(chunk) >= size or held >= BATCH_BYTES:
            yield chunk
            chunk, held = [], 0
    if chunk:
        yield chunk


async def _converted(chunks: Iterator[list[tuple[int, bytes]]], convert: Convert) -> AsyncGenerator[Chunk, None]:
    """Converted batches, the next one converted in a worker process while the caller writes the current one.
    A file of one batch is converted here (no process to start)."""
    first, second = next(chunks, None), next(chunks, None)
    if first is None:
        return
    if second is None:
        yield convert(first)
        return
    loop = asyncio.get_running_loop()
    fork = multiprocessing.get_context("fork")  # no re-import of the caller's __main__, no start-up cost
    with ProcessPoolExecutor(1, mp_context=fork, initializer=_exit_with_parent, initargs=(os.getpid(),)) as pool:
        ahead = loop.run_in_executor(pool, convert, second)
        yield convert(first)
        for chunk in chunks:
            current, ahead = await ahead, loop.run_in_executor(pool, convert, chunk)
            yield current
        yield await ahead


def _exit_with_parent(parent: int) -> None:
    """Worker initializer: a forked worker holds both ends of the executor's pipes, so it would not notice its parent
    die (a SIGKILL mid-import) and would live on holding the parent's stderr; it exits when the parent is gone."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


async def _flush(batch: ImportBatch, chunk: Chunk, report: ImportReport, progress: Progress | None) -> None:
    report.lines += len(chunk.errors) + len(chunk.numbers)
    report.errors += chunk.errors
    report.last_line = chunk.last_line
    for orders in chunk.orders:
        batch.add_orders(orders)
    if not chunk.numbers:
        return
    written, errors = await batch.flush(chunk)
    report.rows += written
    report.errors += errors
    report.batches += 1
    await _commit(batch, report, progress)


async def _commit(batch: ImportBatch, report: ImportReport, progress: Progress | None, due_only: bool = True) -> None:
    landed = batch.pending
    if await batch.commit(due_only):
        if progress is not None:
            progress(batch_line(report, landed))
        report.committed = report.batches


def _bigger_cache(dbapi_conn: Any, _record: Any) -> None:
    """The secondary indexes of a bulk load are updated in random order: a larger cache spares page reloads."""
    cursor = dbapi_conn.cursor()
    cursor.execute(f"PRAGMA cache_size=-{IMPORT_CACHE_KIB}")
    cursor.close()


def _default_dataset(org_id: str) -> str:
    """The dataset of lines without data_row.details (created only if such a line lands)."""
    return f"{IMPORT_DATASET}-{org_id}"[:25]


async def import_file(
    settings: Settings,
    path: Path,
    organization: str = "demo",
    batch_size: int = BATCH,
    progress: Progress | None = None,
    commit_rows: int | None = None,
) -> ImportReport:
    """`commit_rows`: rows a transaction gathers before it commits (default: COMMIT_ROWS on SQLite, every batch on
    PostgreSQL, where a commit costs little)."""
    engine = create_engine(settings)
    if settings.is_sqlite:
        event.listen(engine.sync_engine, "connect", _bigger_cache)
    try:
        await create_all(engine)
        org_id = await ensure_organization(engine, organization)
        if commit_rows is None:
            commit_rows = COMMIT_ROWS if settings.is_sqlite else 0
        return await import_lines(engine, org_id, path, batch_size, progress, commit_rows)
    finally:
        await engine.dispose()
