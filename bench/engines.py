"""Both engines side by side: which ones a run measures, and a fresh database on each (PostgreSQL dropped after)."""

from __future__ import annotations

import argparse
import contextlib
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
ENGINES = ("sqlite", "postgresql")


def engines(args: argparse.Namespace) -> list[str]:
    """The engines named by `--database-url` (by scheme), else both."""
    return [url.split(":")[0].split("+")[0] for url in args.database_url or []] or list(ENGINES)


@contextlib.asynccontextmanager
async def database(engine: str, work: Path, name: str) -> AsyncIterator[str]:
    """A fresh database URL: a SQLite file under `work`, or a PostgreSQL database dropped afterwards."""
    if engine == "sqlite":
        yield f"sqlite+aiosqlite:///{work / name}.db"
        return
    db = f"bench_{name}_{secrets.token_hex(4)}"
    await _admin(f'CREATE DATABASE "{db}"')
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{db}"
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()
