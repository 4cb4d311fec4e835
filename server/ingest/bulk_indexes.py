"""Secondary indexes built once after a bulk load into empty tables instead of row by row.

An import's rows arrive in data row id order, which most secondary indexes do not follow (created and updated
times, external ids): each row then lands on a random leaf page of each of those, ~40 µs a row at 1M rows. An
import into a database without data rows drops the non-unique secondary indexes of the tables holding per-row
records (all empty then: each references datarow) in its first transaction, and builds each again after its last
commit in one sort. Primary keys and unique indexes stay: they catch duplicate lines. An import that dies in between
leaves those indexes missing: `restore_indexes` builds the ones the database lacks, and every import and
`catalog-export migrate` run it first.
"""

from __future__ import annotations

from sqlalchemy import Index, Table, inspect
from sqlalchemy.engine import Connection

from server.models import metadata


def _per_row(table: Table) -> bool:
    return table.name == "datarow" or "data_row_id" in table.c


DEFERRED: tuple[Index, ...] = tuple(
    index
    for table in metadata.sorted_tables
    if _per_row(table)
    for index in sorted(table.indexes, key=lambda ix: str(ix.name))
    if not index.unique
)


def drop_indexes(conn: Connection) -> None:
    for index in DEFERRED:
        index.drop(conn)


def restore_indexes(conn: Connection) -> list[str]:
    """Build the deferred indexes the database lacks; their names."""
    inspector = inspect(conn)
    missing = [ix for ix in DEFERRED if not inspector.has_index(ix.table.name, str(ix.name))]  # type: ignore[union-attr]
    for index in missing:
        index.create(conn)
    return [str(index.name) for index in missing]
