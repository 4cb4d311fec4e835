"""The factory's one write: row dicts by table in one transaction, Core inserts in foreign-key order. New data rows
are numbered without the marking triggers (server.facets.bulk) and get their full-text documents, as the seed's."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from server.facets.bulk import bulk_load
from server.models import metadata
from server.search.fulltext import index_new_rows

Rows = dict[str, list[dict[str, Any]]]


async def insert(engine: AsyncEngine, rows: Rows) -> None:
    async with engine.begin() as conn, bulk_load(conn) as new_rows:
        for table in metadata.sorted_tables:
            values = rows.get(table.name)
            if values:
                await conn.execute(table.insert(), new_rows.number(values) if table.name == "datarow" else values)
        await index_new_rows(conn, [row["id"] for row in rows.get("datarow", [])])
