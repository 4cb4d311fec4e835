"""The seed tests' helpers: a SQLite file's settings, and the full export of a seeded file computed without the app."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path

from server.db import create_engine
from server.export.encode import encode_page
from server.export.params import ExportParams
from server.filters.compile import scoped_where
from server.ingest.seed import organization_id
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


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
