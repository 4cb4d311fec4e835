"""The filter-benchmark catalog in PostgreSQL: the same rows as bench.filter_catalog, written as CSV files and loaded
with COPY (PostgreSQL parses the text), then ANALYZE. The database is kept between runs as a cache."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg

from bench.filter_catalog import fill


def _csv_sink(folder: Path, files: list[tuple[str, str, Path]]) -> Any:
    def put(table: str, columns: str, rows: Iterator[tuple[Any, ...]]) -> None:
        path = folder / f"{len(files):02d}-{table}.csv"
        with path.open("w", newline="") as out:
            csv.writer(out, quoting=csv.QUOTE_NONNUMERIC).writerows(rows)  # None → "" → NULL (force_null)
        files.append((table, columns, path))

    return put


async def build_postgres(url: str, org: str, n: int) -> None:
    """Fill the (already migrated, empty) tables of the PostgreSQL database at `url` (asyncpg form)."""
    conn = await asyncpg.connect(url)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            files: list[tuple[str, str, Path]] = []
            fill(_csv_sink(Path(tmp), files), org, n)
            for table, columns, path in files:
                names = [c.strip() for c in columns.split(",")]
                await conn.copy_to_table(table, source=path, columns=names, format="csv", force_null=names)
        await conn.execute("VACUUM (ANALYZE)")  # statistics, and the visibility map index-only scans need
    finally:
        await conn.close()
