"""Seed helpers: a fresh SQLite file per call, and the full export of a seeded file computed without the app."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from server.db import create_engine
from server.export.encode import encode_page
from server.export.params import ExportParams
from server.filters.compile import scoped_where
from server.ingest.seed import organization_id, seed_database
from server.loading.lines import iter_line_pages
from server.settings import Settings

Export = Callable[..., Awaitable[bytes]]


def sqlite_settings(path: Path) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{path}", export_dir=path.parent / "exports")


async def export_all(settings: Settings, seed: int) -> bytes:
    """Every row of the seed's demo organization with every export section on, as NDJSON bytes."""
    engine = create_engine(settings)
    chunks: list[bytes] = []
    try:
        where = scoped_where(organization_id(seed))
        async for page in iter_line_pages(engine, where, ExportParams.everything().to_plan(), 500):
            encoded = encode_page(page)
            assert encoded.errors == []
            chunks.append(encoded.data)
    finally:
        await engine.dispose()
    return b"".join(chunks)


@pytest.fixture
def seeded_export(tmp_path: Path) -> Export:
    """seed(rows, seed, name) → the export bytes of a fresh file seeded with those arguments."""

    async def run(rows: int, seed: int, name: str) -> bytes:
        settings = sqlite_settings(tmp_path / f"{name}.db")
        await seed_database(settings, rows=rows, seed=seed)
        return await export_all(settings, seed)

    return run


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
async def seeded(settings: Settings) -> Settings:
    """The test's own database file seeded with 60 rows (seed 5) before the app starts on it."""
    await seed_database(settings, rows=60, seed=5)
    return settings
