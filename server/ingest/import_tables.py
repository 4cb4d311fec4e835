"""Tables in foreign-key order, row dicts → records, and one bulk write per table for a batch of records.

The rows skip SQLAlchemy's per-row parameter handling: each table's values become tuples in column order (the
column's bind processor and default applied once per value, by `RecordMaker`, also in the import's worker process),
written with the driver's `executemany` on SQLite and with COPY (`pg_copy.copy_records`) on PostgreSQL, inside the
caller's transaction. The full-text documents of new data rows are built from the same dicts and written with them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Any

import orjson
from sqlalchemy import URL, DateTime, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from server.ingest.pg_copy import Records, copy_records
from server.models import (
    Attachment,
    Batch,
    DataRow,
    DataRowEmbedding,
    Dataset,
    Embedding,
    FeatureSchema,
    Label,
    LabelFeature,
    MetadataSchema,
    MetadataValue,
    Model,
    ModelRun,
    ModelRunDataRow,
    Ontology,
    Project,
    ProjectDataRow,
    SearchDocument,
)
from server.search.fulltext import new_documents

Rows = dict[str, list[dict[str, Any]]]
Key = tuple[str, tuple[str, ...]]  # (table, columns)
Tables = dict[Key, Records]

TABLES: dict[str, Any] = {
    "ontology": Ontology,
    "dataset": Dataset,
    "featureschema": FeatureSchema,
    "project": Project,
    "batch": Batch,
    "model": Model,
    "modelrun": ModelRun,
    "metadataschema": MetadataSchema,
    "embedding": Embedding,
    "datarow": DataRow,
    "attachment": Attachment,
    "metadatavalue": MetadataValue,
    "datarowembedding": DataRowEmbedding,
    "projectdatarow": ProjectDataRow,
    "modelrundatarow": ModelRunDataRow,
    "label": Label,
    "labelfeature": LabelFeature,
}
ALL_TABLES: dict[str, Table] = {name: model.__table__ for name, model in TABLES.items()}
ALL_TABLES["searchdocument"] = SearchDocument.__table__
ORDER = {name: position for position, name in enumerate(ALL_TABLES)}


def _filler(column: Any) -> Callable[[], Any]:
    """The value of a column a row dict leaves out: its Python default (called per row if callable) or NULL."""
    default = column.default
    if default is None:
        return lambda: None
    if default.is_callable:
        return lambda: default.arg(None)
    return lambda: default.arg


def _sqlite_datetime(value: datetime) -> str:
    """SQLAlchemy's SQLite DATETIME storage text (`2024-01-31 12:00:00.000000`) for a naive datetime, in one C call."""
    return value.isoformat(" ", "microseconds")


def _processor(column: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    if dialect.name == "sqlite" and isinstance(column.type, DateTime):
        return _sqlite_datetime
    return column.type._cached_bind_processor(dialect)


Step = tuple[str, Callable[[], Any], Callable[[Any], Any] | None]
MISSING = object()


def _record(row: dict[str, Any], steps: list[Step]) -> tuple[Any, ...]:
    values = []
    for column, fill, process in steps:
        value = row.get(column, MISSING)
        value = fill() if value is MISSING else value
        values.append(process(value) if process is not None and value is not None else value)
    return tuple(values)


class RecordMaker:
    """Row dicts → tuples in column order, bind-processed for one dialect (given by its driver name, so a worker
    process can make the same records). The column plan is made once per table and set of keys."""

    def __init__(self, drivername: str) -> None:
        self.dialect = URL.create(drivername).get_dialect()()
        self.plans: dict[tuple[str, tuple[str, ...]], tuple[Key, list[Step]]] = {}

    def add(self, tables: Tables, name: str, rows: list[dict[str, Any]]) -> None:
        """Append the records of `rows` (rows of table `name`) to `tables`."""
        for row in rows:
            key, steps = self._plan(name, row)
            tables.setdefault(key, []).append(_record(row, steps))

    def _plan(self, name: str, row: dict[str, Any]) -> tuple[Key, list[Step]]:
        """Every column the row sets or that has a default, in table order."""
        found = self.plans.get((name, tuple(row)))
        if found is None:
            columns = [c for c in ALL_TABLES[name].columns if c.name in row or c.default is not None]
            steps = [(c.name, _filler(c), _processor(c, self.dialect)) for c in columns]
            found = self.plans[(name, tuple(row))] = ((name, tuple(c.name for c in columns)), steps)
        return found

    def tables(self, rows: Rows) -> Tables:
        """The records of row dicts by table, plus the full-text documents of their new data rows."""
        tables: Tables = {}
        for name, values in [*rows.items(), ("searchdocument", new_documents(rows))]:
            self.add(tables, name, values)
        return tables


async def _executemany(conn: AsyncConnection, table: Table, columns: list[str], records: Records) -> None:
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    await conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', records)


async def _insert_select(conn: AsyncConnection, table: Table, columns: list[str], records: Records) -> None:
    """SQLite, one statement for all rows (INSERT ... SELECT over a JSON array): searchdocument's trigger feeds FTS5,
    which flushes its pending terms at every statement, so an executemany costs 3-4x the CPU (a segment per row)."""
    names = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(columns)))
    sql = f'INSERT INTO "{table.name}" ({names}) SELECT {values} FROM json_each(?)'
    await conn.exec_driver_sql(sql, (orjson.dumps(records).decode(),))


ONE_STATEMENT = {("sqlite", "searchdocument"): _insert_select}


async def write_records(conn: AsyncConnection, tables: Tables, unchecked: frozenset[str] = frozenset()) -> None:
    """One bulk write per table and column set, parents first, inside the caller's transaction (`unchecked`: the
    tables whose PostgreSQL COPY may skip per-row triggers, see `pg_copy`)."""
    dialect = conn.dialect.name
    writers: dict[str, Callable[..., Awaitable[None]]] = {
        "sqlite": _executemany,
        "postgresql": partial(copy_records, unchecked=unchecked),
    }
    for (name, columns), records in sorted(tables.items(), key=lambda item: ORDER[item[0][0]]):
        table = ALL_TABLES[name]
        write = ONE_STATEMENT.get((dialect, name), writers[dialect])
        await write(conn, table, list(columns), records)


async def write_rows(conn: AsyncConnection, rows: Rows) -> None:
    """Insert row dicts of whole new data rows (with every text part: their full-text documents are built from
    these dicts) and of the records they refer to."""
    await write_records(conn, RecordMaker(conn.engine.url.drivername).tables(rows))
