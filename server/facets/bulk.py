"""Bulk loads of new data rows on SQLite without the per-row marking triggers.

A row trigger makes SQLite keep a statement journal for every row an INSERT writes: an import of 50k lines in one
transaction ran at 6.9k rows/s instead of 17k, slower the longer the transaction (each row's pages copied once the
cache spills). So a bulk writer of new rows (the NDJSON import, the seed) drops the triggers inside its own write
transaction, numbers its data rows itself (`seq`), and before it commits marks the blocks of the rows it numbered and
makes the triggers again. SQLite has one writer and DDL is transactional: no other connection ever writes, or reads,
the schema without them, and a rolled-back load brings them back. Only for writers whose every row (and every row
their child records name) is one they numbered; PostgreSQL's triggers run once per statement and stay.

This module is the protocol's one home: `bulk_load` (one transaction), `NewRows` (its steps, for a writer that
commits several transactions), `sqlite_bulk_load` (a plain sqlite3 connection).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db import in_transaction
from server.models.facets import SQLITE_TRIGGERS, mark_rows

if TYPE_CHECKING:
    from server.ingest.import_tables import Tables

MARK_NUMBERED = mark_rows("seq BETWEEN :first AND :last")
DROP_TRIGGERS = tuple(f"DROP TRIGGER {name}" for name in SQLITE_TRIGGERS)
MAKE_TRIGGERS = tuple(SQLITE_TRIGGERS.values())


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
        for statement in DROP_TRIGGERS:
            await self.conn.exec_driver_sql(statement)
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

    def number_records(self, tables: Tables) -> Tables:
        """Records by (table, columns), the new data rows' with `seq` added (on SQLite)."""
        if not self.active:
            return tables
        numbered: Tables = {}
        for (name, columns), records in tables.items():
            if name == "datarow":
                seqs = self.numbers(len(records))
                numbered[(name, (*columns, "seq"))] = [(*r, s) for r, s in zip(records, seqs, strict=True)]
            else:
                numbered[(name, columns)] = records
        return numbered

    async def close(self) -> None:
        if not self.opened:
            return
        self.opened = False
        if self.next > self.first:
            await self.conn.execute(text(MARK_NUMBERED), {"first": self.first, "last": self.next - 1})
        for statement in MAKE_TRIGGERS:
            await self.conn.exec_driver_sql(statement)
        self.first = self.next


@asynccontextmanager
async def bulk_load(conn: AsyncConnection) -> AsyncIterator[NewRows]:
    """New data rows written inside the caller's transaction, numbered by the `NewRows` yielded; their blocks are
    marked and the triggers made again on leaving. Left by an exception, nothing more runs: the caller's rollback
    brings the triggers back."""
    new_rows = NewRows(conn)
    await new_rows.open()
    yield new_rows
    await new_rows.close()


@contextmanager
def sqlite_bulk_load(db: sqlite3.Connection) -> Iterator[None]:
    """The same on a plain sqlite3 connection whose load numbers every new row itself (`seq`): triggers dropped,
    then every block holding rows marked and the triggers made again."""
    for statement in DROP_TRIGGERS:
        db.execute(statement)
    yield
    db.execute(mark_rows("true"))
    for statement in MAKE_TRIGGERS:
        db.execute(statement)
