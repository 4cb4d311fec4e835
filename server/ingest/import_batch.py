"""A batch of converted import lines: drop those whose data row exists, insert the rest with one statement per table.

Shared records (projects, schemas, ...) are inserted once per id. If the batch insert fails on a constraint, the
lines are retried one by one so only the offending ones are reported.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from graphlib import CycleError, TopologicalSorter
from itertools import pairwise
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from server.ingest.import_rows import EPOCH, IMPORT_DATASET, LineRows
from server.ingest.import_tables import TABLES, Rows, write_rows
from server.models import DataRow

R = DataRow.__table__.c  # type: ignore[attr-defined]
ORDERED = ("project", "model", "modelrun")


class ImportBatch:
    def __init__(self, engine: AsyncEngine, org_id: str, default_dataset: str) -> None:
        self.engine, self.org_id, self.default_dataset = engine, org_id, default_dataset
        self.lines: list[tuple[int, LineRows]] = []
        self.known: dict[str, set[str]] | None = None
        self.empty: bool | None = None  # whether the database had no data rows when the import began
        self.created: dict[str, set[str]] = defaultdict(set)
        self.edges: dict[str, dict[str, set[str]]] = {kind: defaultdict(set) for kind in ORDERED}

    def __len__(self) -> int:
        return len(self.lines)

    def add(self, number: int, rows: LineRows) -> None:
        self.lines.append((number, rows))
        for kind, ids in rows.orders.items():
            graph = self.edges[kind]
            for before, after in pairwise(ids):
                graph[after].add(before)
            for node in ids:
                graph.setdefault(node, set())

    async def flush(self) -> tuple[int, list[tuple[int, str]]]:
        """Write the batch; returns (lines written, [(line number, reason)])."""
        lines, self.lines = self.lines, []
        if not lines:
            return 0, []
        good, errors = await self._fresh(lines)
        await self._write_shared(good)
        try:
            await self._write([rows for _, rows in good])
        except IntegrityError:
            return await self._one_by_one(good, errors)
        return len(good), errors

    async def _fresh(self, lines: list[tuple[int, LineRows]]) -> tuple[list[tuple[int, LineRows]], list[Any]]:
        """Lines whose data row id and global key are new (in the database and earlier in the batch)."""
        taken = await self._taken(lines)
        good, errors = [], []
        for number, rows in lines:
            row = rows.rows["datarow"][0]
            clash = next((v for v in (row["id"], row["global_key"]) if v in taken), None)
            if clash is not None:
                errors.append((number, f"data row {row['id']!r}: id or global key {clash!r} already exists"))
                continue
            taken.update(v for v in (row["id"], row["global_key"]) if v is not None)
            good.append((number, rows))
        return good, errors

    async def _taken(self, lines: list[tuple[int, LineRows]]) -> set[str]:
        """Ids and global keys of the batch already in the database. Into a database that had no data rows when
        the import began, only earlier batches can clash: their unique constraints fail the insert, and the batch
        is retried line by line, so the lookup (two IN lists of BATCH values to compile) is skipped."""
        async with self.engine.connect() as conn:
            if self.empty is None:
                self.empty = (await conn.execute(select(R.id).limit(1))).first() is None
            if self.empty:
                return set()
            ids = [rows.rows["datarow"][0]["id"] for _, rows in lines]
            keys = [k for _, rows in lines if (k := rows.rows["datarow"][0]["global_key"]) is not None]
            taken = set((await conn.execute(select(R.id).where(R.id.in_(ids)))).scalars())
            scope = R.organization_id == self.org_id
            taken.update((await conn.execute(select(R.global_key).where(scope, R.global_key.in_(keys)))).scalars())
        return taken

    async def _load_known(self) -> dict[str, set[str]]:
        if self.known is None:
            self.known = {}
            async with self.engine.connect() as conn:
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
                    ids = (await conn.execute(select(t.id).where(t.organization_id == self.org_id))).scalars()
                    self.known[name] = set(ids)
        return self.known

    async def _write_shared(self, good: list[tuple[int, LineRows]]) -> None:
        known = await self._load_known()
        new: Rows = defaultdict(list)
        for _, rows in good:
            self._default_dataset_for(rows)
            for table, records in rows.shared.items():
                for record_id, record in records.items():
                    if record_id not in known[table]:
                        known[table].add(record_id)
                        self.created[table].add(record_id)
                        new[table].append(record)
        async with self.engine.begin() as conn:
            await write_rows(conn, new)

    def _default_dataset_for(self, rows: LineRows) -> None:
        if rows.rows["datarow"][0]["dataset_id"] == self.default_dataset:
            rows.share("dataset", id=self.default_dataset, name=IMPORT_DATASET, created_at=EPOCH)

    async def _write(self, chunk: list[LineRows]) -> None:
        merged: Rows = defaultdict(list)
        for rows in chunk:
            for table, values in rows.rows.items():
                merged[table].extend(values)
        async with self.engine.begin() as conn:
            await write_rows(conn, merged)

    async def _one_by_one(self, good: list[tuple[int, LineRows]], errors: list[Any]) -> tuple[int, list[Any]]:
        written = 0
        for number, rows in good:
            try:
                await self._write([rows])
                written += 1
            except IntegrityError as exc:
                errors.append((number, f"conflicts with existing records: {exc.orig}"))
        return written, errors

    async def apply_orders(self) -> None:
        """Creation times of new projects, models and runs follow the order lines list them in."""
        async with self.engine.begin() as conn:
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

    def _order(self, kind: str) -> list[str]:
        try:
            return list(TopologicalSorter(self.edges[kind]).static_order())
        except CycleError:
            return []
