"""Tables in foreign-key order, and one bulk write per table for a batch of row dicts.

The rows skip SQLAlchemy's per-row parameter handling: each table's values become tuples in column order (the
column's bind processor and default applied once per value), written with the driver's `executemany` on SQLite
and with COPY (`copy_records_to_table`) on PostgreSQL, inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

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
Records = list[tuple[Any, ...]]

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


def _filler(column: Any) -> Callable[[], Any]:
    """The value of a column a row dict leaves out: its Python default (called per row if callable) or NULL."""
    default = column.default
    if default is None:
        return lambda: None
    if default.is_callable:
        return lambda: default.arg(None)
    return lambda: default.arg


def _records(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> tuple[list[str], Records]:
    """Every column any row sets or that has a default, and one tuple per row, bind-processed for the dialect."""
    present = set().union(*rows)
    columns = [c for c in table.columns if c.name in present or c.default is not None]
    dialect = conn.dialect
    steps = [(c.name, _filler(c), c.type._cached_bind_processor(dialect)) for c in columns]
    missing = object()
    records: Records = []
    for row in rows:
        values = []
        for name, fill, process in steps:
            value = row.get(name, missing)
            value = fill() if value is missing else value
            values.append(process(value) if process is not None and value is not None else value)
        records.append(tuple(values))
    return [c.name for c in columns], records


async def _executemany(conn: AsyncConnection, table: Table, columns: list[str], records: Records) -> None:
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    await conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', records)


async def _copy(conn: AsyncConnection, table: Table, columns: list[str], records: Records) -> None:
    """COPY on the transaction's own connection; a constraint violation becomes IntegrityError like an INSERT's."""
    import asyncpg

    await conn.exec_driver_sql("SELECT 1")  # the adapter opens its asyncpg transaction on the first statement
    raw = (await conn.get_raw_connection()).driver_connection
    try:
        await raw.copy_records_to_table(table.name, records=records, columns=columns)
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise IntegrityError(f"COPY {table.name}", None, exc) from exc


async def _insert_select(conn: AsyncConnection, table: Table, columns: list[str], records: Records) -> None:
    """SQLite, one statement for all rows (INSERT ... SELECT over a JSON array): searchdocument's trigger feeds FTS5,
    which flushes its pending terms at every statement, so an executemany costs 3-4x the CPU (a segment per row)."""
    names = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(columns)))
    sql = f'INSERT INTO "{table.name}" ({names}) SELECT {values} FROM json_each(?)'
    await conn.exec_driver_sql(sql, (orjson.dumps(records).decode(),))


WRITERS = {"sqlite": _executemany, "postgresql": _copy}
ONE_STATEMENT = {("sqlite", "searchdocument"): _insert_select}


async def write_rows(conn: AsyncConnection, rows: Rows) -> None:
    """Insert every table's rows (parents first), one bulk write per table, then the full-text documents of the new
    data rows: every text part of a new row is in the same batch, so the bodies are built from these dicts."""
    dialect = conn.dialect.name
    tables = [(model.__table__, rows.get(name)) for name, model in TABLES.items()]
    for table, values in [*tables, (SearchDocument.__table__, new_documents(rows))]:
        if values:
            columns, records = _records(conn, table, values)
            write = ONE_STATEMENT.get((dialect, table.name), WRITERS[dialect])
            await write(conn, table, columns, records)
