"""Bulk loads of new data rows on SQLite without the per-row marking triggers.

A row trigger makes SQLite keep a statement journal for every row an INSERT writes: an import of 50k lines in one
transaction ran at 6.9k rows/s instead of 17k, slower the longer the transaction (each row's pages copied once the
cache spills). So a bulk writer of new rows (the NDJSON import, the seed) drops the triggers inside its own write
transaction, numbers its data rows itself (`seq`), and before it commits marks the blocks of the rows it numbered and
makes the triggers again. SQLite has one writer and DDL is transactional: no other connection ever writes, or reads,
the schema without them, and a rolled-back load brings them back. Only for writers whose every row (and every row
their child records name) is one they numbered; PostgreSQL's triggers run once per statement and stay.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db import in_transaction
from server.models.facets import SQLITE_TRIGGERS, mark_rows

MARK_NUMBERED = mark_rows("seq BETWEEN :first AND :last")


class NewRows:
    """The numbering of one transaction's new data rows; `open` after the transaction began, `close` just before
    it commits (both do nothing but on SQLite)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.active = conn.dialect.name == "sqlite"
        self.first = self.next = 0
        self.opened = False

    async def open(self) -> None:
        if not self.active or self.opened:
            return
        self.opened = True
        if not await in_transaction(self.conn):
            await self.conn.exec_driver_sql("BEGIN IMMEDIATE")  # sqlite3 would run the DDL outside a transaction
        for name in SQLITE_TRIGGERS:
            await self.conn.exec_driver_sql(f"DROP TRIGGER {name}")
        last = (await self.conn.exec_driver_sql("SELECT max(seq) FROM datarow")).scalar()
        self.first = self.next = (last or 0) + 1

    def numbers(self, count: int) -> Iterable[int]:
        """`seq` for the next `count` new rows (on SQLite; elsewhere the database numbers them)."""
        taken = range(self.next, self.next + count)
        self.next += count
        return taken

    def number(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """New data row dicts with their `seq` (on SQLite)."""
        if not self.active:
            return rows
        return [row | {"seq": seq} for row, seq in zip(rows, self.numbers(len(rows)), strict=True)]

    async def close(self) -> None:
        if not self.opened:
            return
        self.opened = False
        if self.next > self.first:
            await self.conn.execute(text(MARK_NUMBERED), {"first": self.first, "last": self.next - 1})
        for ddl in SQLITE_TRIGGERS.values():
            await self.conn.exec_driver_sql(ddl)
        self.first = self.next
