"""A batch of converted import lines: drop those whose data row exists, insert the rest with one statement per table.

Shared records (projects, schemas, ...) are inserted once per id. If the batch insert fails on a constraint, the
lines are retried one by one so only the offending ones are reported. Every batch (and every retried line) is
written under a savepoint of one open transaction, committed once it holds `commit_rows` rows or has been open
COMMIT_SECONDS: whole batches land or none of a batch does, and on SQLite a commit covers several batches (each
commit writes every page it dirtied to the WAL and checkpoints them into the file; the secondary indexes filled in
random key order dirty a page for nearly every row of a batch once they outgrow it, so fewer commits write less).
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import timedelta
from graphlib import CycleError, TopologicalSorter
from itertools import pairwise
from types import TracebackType
from typing import Any, Self

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from server.bulk_indexes import drop_indexes, restore_indexes
from server.facets.bulk import NewRows
from server.ingest.import_chunks import Chunk
from server.ingest.import_rows import EPOCH
from server.ingest.import_tables import ALL_TABLES, TABLES, RecordMaker, Tables, write_records
from server.ingest.pg_copy import unchecked_tables
from server.models import DataRow

R = DataRow.__table__.c
ORDERED = ("project", "model", "modelrun")
COMMIT_SECONDS = 3.0  # a transaction open this long commits after its batch: the SQLite write lock is held meanwhile


def number_records(new_rows: NewRows, tables: Tables) -> Tables:
    """Records by (table, columns), the new data rows' with `seq` added (on SQLite)."""
    if not new_rows.active:
        return tables
    numbered: Tables = {}
    for (name, columns), records in tables.items():
        if name == "datarow":
            seqs = new_rows.numbers(len(records))
            numbered[(name, (*columns, "seq"))] = [(*r, s) for r, s in zip(records, seqs, strict=True)]
        else:
            numbered[(name, columns)] = records
    return numbered


class ImportBatch:
    """Writes converted chunks one after another on one connection; remembers the shared records it created and the
    ordering hints. Use as `async with`: leaving it closes the connection, rolling back what was not committed."""

    def __init__(self, engine: AsyncEngine, org_id: str, commit_rows: int = 0) -> None:
        self.engine, self.org_id, self.commit_rows = engine, org_id, commit_rows
        self._conn: AsyncConnection | None = None
        self.pending = 0  # rows written since the last commit
        self.opened = 0.0  # when the open transaction began (time.monotonic)
        self.maker = RecordMaker(engine.url.drivername)
        self.new_rows: NewRows  # numbers the new data rows of each transaction (set on entering)
        self.known: dict[str, set[str]] | None = None
        self.unchecked: frozenset[str] | None = None  # tables whose COPY skips per-row triggers (pg_copy)
        self.empty: bool | None = None  # whether the database had no data rows when the import began
        self.restored: list[str] = []  # deferred indexes missing at the start, built before the import went on
        self.created: dict[str, set[str]] = defaultdict(set)
        self.edges: dict[str, dict[str, set[str]]] = {kind: defaultdict(set) for kind in ORDERED}

    def add_orders(self, orders: dict[str, list[str]]) -> None:
        for kind, ids in orders.items():
            graph = self.edges[kind]
            for before, after in pairwise(ids):
                graph[after].add(before)
            for node in ids:
                graph.setdefault(node, set())

    async def __aenter__(self) -> Self:
        """Connect, and first build any deferred index an earlier import left missing (it died before building)."""
        self._conn = await self.engine.connect()
        self.new_rows = NewRows(self._conn)
        self.restored = await (await self._begin()).run_sync(restore_indexes)
        await self.commit(due_only=False)
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        await self.conn.close()

    @property
    def conn(self) -> AsyncConnection:
        assert self._conn is not None, "ImportBatch is used as `async with`"
        return self._conn

    async def _begin(self) -> AsyncConnection:
        """The open transaction, begun if none is. On SQLite with an explicit BEGIN IMMEDIATE: the driver begins a
        transaction only before a write, so a savepoint opened first would be the outer transaction, and releasing
        it would commit. Its new data rows are numbered without the marking triggers (server.facets.bulk)."""
        if not self.conn.in_transaction():
            await self.conn.begin()
            if self.engine.dialect.name == "sqlite":
                await self.conn.exec_driver_sql("BEGIN IMMEDIATE")
            await self.new_rows.open()
            self.opened = time.monotonic()
        return self.conn

    async def commit(self, due_only: bool = True) -> bool:
        """Commit the open transaction (if `due_only`, only once it holds `commit_rows` rows or has been open
        COMMIT_SECONDS); whether it committed."""
        due = self.pending >= self.commit_rows or time.monotonic() - self.opened >= COMMIT_SECONDS
        if not self.conn.in_transaction() or (due_only and not due):
            return False
        await self.new_rows.close()
        await self.conn.commit()
        self.pending = 0
        return True

    async def flush(self, chunk: Chunk) -> tuple[int, list[tuple[int, str]]]:
        """Write the chunk's good lines (not committed: see `commit`); returns (lines written, [(line number,
        reason)])."""
        await self._begin()
        await self._defer_indexes()
        good, errors = await self._fresh(chunk)
        await self._write_shared(chunk, good)
        try:
            await self._write(chunk.tables if len(good) == len(chunk.numbers) else chunk.select(good))
            written = len(good)
        except IntegrityError:
            written, errors = await self._one_by_one(chunk, good, errors)
        self.pending += written
        return written, errors

    async def _fresh(self, chunk: Chunk) -> tuple[set[int], list[tuple[int, str]]]:
        """Lines whose data row id and global key are new (in the database and earlier in the batch)."""
        taken = await self._taken(chunk)
        values = [*chunk.row_ids, *(key for key in chunk.global_keys if key is not None)]
        if taken.isdisjoint(values) and len(set(values)) == len(values):  # the usual case, in C
            return set(range(len(chunk.numbers))), []
        good, errors = set(), []
        for index, (row_id, key) in enumerate(zip(chunk.row_ids, chunk.global_keys, strict=True)):
            clash = next((v for v in (row_id, key) if v in taken), None)
            if clash is not None:
                message = f"data row {row_id!r}: id or global key {clash!r} already exists"
                errors.append((chunk.numbers[index], message))
                continue
            taken.update(v for v in (row_id, key) if v is not None)
            good.add(index)
        return good, errors

    async def _is_empty(self) -> bool:
        if self.empty is None:
            self.empty = (await self.conn.execute(select(R.id).limit(1))).first() is None
        return self.empty

    async def _defer_indexes(self) -> None:
        """A database without data rows: drop the deferred indexes in the first transaction (bulk_indexes)."""
        if self.empty is None and await self._is_empty():
            await self.conn.run_sync(drop_indexes)

    async def build_indexes(self) -> list[str]:
        """After the last commit: build the indexes `_defer_indexes` dropped (committed); their names. It dropped them
        when the first batch found no data rows (`empty`)."""
        if not self.empty:
            return []
        built = await (await self._begin()).run_sync(restore_indexes)
        await self.commit(due_only=False)
        return built

    async def _taken(self, chunk: Chunk) -> set[str]:
        """Ids and global keys of the batch already in the database. Into a database that had no data rows when
        the import began, only earlier batches can clash: their unique constraints fail the insert, and the batch
        is retried line by line, so the lookup (two IN lists of BATCH values to compile) is skipped."""
        conn = self.conn
        if await self._is_empty():
            return set()
        keys = [k for k in chunk.global_keys if k is not None]
        taken = set((await conn.execute(select(R.id).where(R.id.in_(chunk.row_ids)))).scalars())
        scope = R.organization_id == self.org_id
        taken.update((await conn.execute(select(R.global_key).where(scope, R.global_key.in_(keys)))).scalars())
        return taken

    async def _load_known(self) -> dict[str, set[str]]:
        if self.known is None:
            self.known = {}
            for name in (
                "dataset",
                "ontology",
                "featureschema",
                "project",
                "batch",
                "model",
                "modelrun",
                "metadataschema",
                "embedding",
            ):
                t = TABLES[name].__table__.c
                ids = (await self.conn.execute(select(t.id).where(t.organization_id == self.org_id))).scalars()
                self.known[name] = set(ids)
        return self.known

    async def _write_shared(self, chunk: Chunk, good: set[int]) -> None:
        """The shared records good lines need that the database does not have yet."""
        known = await self._load_known()
        tables: Tables = {}
        for (table, record_id), users in chunk.users.items():
            if record_id not in known[table] and not good.isdisjoint(users):
                known[table].add(record_id)
                self.created[table].add(record_id)
                self.maker.add(tables, table, [chunk.shared[table][record_id]])
        await self._write(tables)

    async def _write(self, tables: Tables) -> None:
        """Under a savepoint: a failed write leaves the open transaction as it was (nothing to write: no savepoint)."""
        if not tables:
            return
        unchecked = await self._unchecked()
        async with self.conn.begin_nested():
            await write_records(self.conn, number_records(self.new_rows, tables), unchecked)

    async def _unchecked(self) -> frozenset[str]:
        if self.unchecked is None:
            postgresql = self.engine.dialect.name == "postgresql"
            self.unchecked = await unchecked_tables(self.engine, ALL_TABLES) if postgresql else frozenset()
        return self.unchecked

    async def _one_by_one(self, chunk: Chunk, good: set[int], errors: list[Any]) -> tuple[int, list[Any]]:
        written = 0
        for index in sorted(good):
            try:
                await self._write(chunk.select({index}))
                written += 1
            except IntegrityError as exc:
                errors.append((chunk.numbers[index], f"conflicts with existing records: {exc.orig}"))
        return written, errors

    async def apply_orders(self) -> None:
        """Creation times of new projects, models and runs follow the order lines list them in (committed)."""
        conn = await self._begin()
        for kind in ORDERED:
            t = TABLES[kind].__table__
            times = [
                {"node": node, "at": EPOCH + timedelta(milliseconds=i)}
                for i, node in enumerate(self._order(kind))
                if node in self.created[kind]
            ]
            if times:
                stmt = update(t).where(t.c.id == bindparam("node")).values(created_at=bindparam("at"))
                await conn.execute(stmt, times)
        await self.commit(due_only=False)

    def _order(self, kind: str) -> list[str]:
        try:
            return list(TopologicalSorter(self.edges[kind]).static_order())
        except CycleError:
            return []
