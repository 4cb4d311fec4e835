"""Seed helpers: a fresh SQLite file per call, and the full export of a seeded file computed without the app."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.ingest.seed import seed_database
from server.settings import Settings
from tests.seed.exports import Export, export_all, sqlite_settings


@pytest.fixture
def seeded_export(tmp_path: Path) -> Export:
    """seed(rows, seed, name) → the export bytes of a fresh file seeded with those arguments."""

    async def run(rows: int, seed: int, name: str) -> bytes:
        settings = sqlite_settings(tmp_path / f"{name}.db")
        await seed_database(settings, rows=rows, seed=seed)
        return await export_all(settings, seed)

    return run


@pytest.fixture
async def seeded(settings: Settings) -> Settings:
    """The test's own database file seeded with 60 rows (seed 5) before the app starts on it."""
    await seed_database(settings, rows=60, seed=5)
    return settings
