"""Rows of a table, counted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine


async def count_rows(engine: AsyncEngine, model: Any) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(model.__table__))).scalar_one()
