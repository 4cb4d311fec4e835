"""`catalog-export import FILE.ndjson`: Export v2 lines back into the catalog, ids and global keys kept.

Lines are converted in memory (import_rows) and written in batches of BATCH lines, one Core executemany per table
per batch. A bad line (invalid JSON, missing keys, a data row id or global key that already exists) is reported
with its line number and left out; the good lines land. Project, model and model-run creation times are set at
the end from the order the lines list them in, so a re-export lists them in the same order.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db import create_all, create_engine
from server.ingest.import_batch import ImportBatch
from server.ingest.import_rows import IMPORT_DATASET, convert_line
from server.orgs import ensure_organization
from server.settings import Settings

BATCH = 2000
Progress = Callable[[str], None]


@dataclass
class ImportReport:
    lines: int = 0
    rows: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    seconds: float = 0.0
    batches: int = 0

    def summary(self) -> str:
        rate = self.rows / self.seconds if self.seconds else 0.0
        text = f"imported {self.rows:,} of {self.lines:,} lines in {self.seconds:.1f}s ({rate:,.0f} rows/s)"
        shown = [f"line {n}: {message}" for n, message in self.errors[:20]]
        more = [f"... and {len(self.errors) - 20} more bad lines"] if len(self.errors) > 20 else []
        return "\n".join([text, *shown, *more])


def _parse(raw: bytes, org: str, dataset: str) -> Any:
    try:
        return convert_line(orjson.loads(raw), org, dataset)
    except orjson.JSONDecodeError as exc:
        return f"not valid JSON: {exc}"
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return f"not an Export v2 line ({type(exc).__name__}: {exc})"


def batch_line(report: ImportReport, landed: int, last_line: int) -> str:
    """Printed as each batch commits: after a crash, the rows of exactly these batches are in the database."""
    return f"batch {report.batches} committed: lines up to {last_line}, {landed} rows landed ({report.rows} in all)"


async def import_lines(
    engine: AsyncEngine, org_id: str, path: Path, batch_size: int = BATCH, progress: Progress | None = None
) -> ImportReport:
    report = ImportReport()
    start = time.perf_counter()
    batch = ImportBatch(engine, org_id, _default_dataset(org_id))
    number = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            report.lines += 1
            parsed = _parse(raw, org_id, batch.default_dataset)
            if isinstance(parsed, str):
                report.errors.append((number, parsed))
            else:
                batch.add(number, parsed)
            if len(batch) >= batch_size:
                await _flush(batch, report, number, progress)
    await _flush(batch, report, number, progress)
    await batch.apply_orders()
    report.errors.sort()
    report.seconds = time.perf_counter() - start
    return report


async def _flush(batch: ImportBatch, report: ImportReport, last_line: int, progress: Progress | None) -> None:
    if not len(batch):
        return
    written, errors = await batch.flush()
    report.rows += written
    report.errors += errors
    report.batches += 1
    if progress is not None:
        progress(batch_line(report, written, last_line))


def _default_dataset(org_id: str) -> str:
    """The dataset of lines without data_row.details (created only if such a line lands)."""
    return f"{IMPORT_DATASET}-{org_id}"[:25]


async def import_file(
    settings: Settings,
    path: Path,
    organization: str = "demo",
    batch_size: int = BATCH,
    progress: Progress | None = None,
) -> ImportReport:
    engine = create_engine(settings)
    try:
        await create_all(engine)
        org_id = await ensure_organization(engine, organization)
        return await import_lines(engine, org_id, path, batch_size, progress)
    finally:
        await engine.dispose()
