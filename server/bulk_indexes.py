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


# every deferred index is declared on its table (Index.table is None only for an index not yet attached)
TABLES = sorted({index.table.name for index in DEFERRED})  # type: ignore[union-attr]


def restore_indexes(conn: Connection) -> list[str]:
    """Build the deferred indexes the database lacks (their tables' indexes read in one reflection); their names."""
    reflected = inspect(conn).get_multi_indexes(filter_names=TABLES).values()
    present = {index["name"] for indexes in reflected for index in indexes}
    missing = [index for index in DEFERRED if index.name not in present]
    for index in missing:
        index.create(conn)
    return [str(index.name) for index in missing]
