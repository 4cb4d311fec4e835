"""Facet columns: the filterable facets of the data rows as fixed-width arrays, one per (organization, key, chunk of
65,536 rows by `datarow.seq`), so a count over several leaves is array arithmetic instead of joins
(server.facets); and the blocks of 1,024 rows that changed since their chunk's arrays were built, marked by triggers
on every write to a table the arrays are read from, so a stale array is never read: a count takes a marked block's
rows from SQL and the rest from the arrays.

A row's place in the arrays is `datarow.seq` (server.models.catalog.DataRow says how it is drawn). MARKING_DDL is
the current schema's marking (`create_all` makes it, server.models.ddl); a revision keeps its own copy.
"""

from __future__ import annotations

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field

from server.models.base import TableModel
from server.models.catalog import DataRow

SEQ = DataRow.__table__.c.seq

CHUNK_BITS = 16
CHUNK_ROWS = 1 << CHUNK_BITS
BLOCK_BITS = 10  # a mark covers the 1,024 rows of one block: counts take a marked block's rows from SQL
BLOCK_ROWS = 1 << BLOCK_BITS


class FacetChunk(TableModel, table=True):
    """One facet's values for the organization's rows of one chunk: `data` is a numpy array of CHUNK_ROWS entries
    (position `seq % CHUNK_ROWS`), of the dtype its key's kind gives (server.facets.kinds)."""

    organization_id: str = Field(primary_key=True, max_length=25)
    key: str = Field(primary_key=True, max_length=1200)
    chunk: int = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class FacetDirty(TableModel, table=True):
    """A block (BLOCK_ROWS rows by `seq`) of the organization whose arrays may be stale: counts take its rows from
    SQL until its chunk is rebuilt."""

    organization_id: str = Field(primary_key=True, max_length=25)
    block: int = Field(primary_key=True)


# The tables besides datarow whose rows the arrays are built from (each names its row in `data_row_id`).
SOURCES = ("metadatavalue", "labelfeature", "projectdatarow", "modelrundatarow", "label")


_MARK_SQLITE = (
    "INSERT OR IGNORE INTO facetdirty(organization_id, block)"
    f" SELECT organization_id, seq >> {BLOCK_BITS} FROM datarow WHERE {{where}}"
)
# An update marks the blocks of both the old and the new row (a value moved to another data row changes both).
_SQLITE_DATAROW = (
    "CREATE TRIGGER datarow_facets_ai AFTER INSERT ON datarow BEGIN"
    " UPDATE datarow SET seq = coalesce((SELECT max(seq) FROM datarow), 0) + 1"
    " WHERE rowid = new.rowid AND new.seq = -1; " + _MARK_SQLITE.format(where="rowid = new.rowid") + "; END",
    "CREATE TRIGGER datarow_facets_au AFTER UPDATE OF organization_id, dataset_id, media_type ON datarow BEGIN"
    " INSERT OR IGNORE INTO facetdirty(organization_id, block)"
    f" VALUES (old.organization_id, old.seq >> {BLOCK_BITS}), (new.organization_id, new.seq >> {BLOCK_BITS}); END",
    "CREATE TRIGGER datarow_facets_ad AFTER DELETE ON datarow BEGIN INSERT OR IGNORE INTO"
    f" facetdirty(organization_id, block) VALUES (old.organization_id, old.seq >> {BLOCK_BITS}); END",
)
_SQLITE_EVENTS = {
    "ai": ("INSERT", "new.data_row_id"),
    "au": ("UPDATE", "old.data_row_id, new.data_row_id"),
    "ad": ("DELETE", "old.data_row_id"),
}
_SQLITE_SOURCES = tuple(
    f"CREATE TRIGGER {table}_facets_{name} AFTER {event} ON {table} BEGIN "
    + _MARK_SQLITE.format(where=f"id IN ({rows})")
    + "; END"
    for table in SOURCES
    for name, (event, rows) in _SQLITE_EVENTS.items()
)
SQLITE_TRIGGERS = {ddl.split()[2]: ddl for ddl in (*_SQLITE_DATAROW, *_SQLITE_SOURCES)}  # name → DDL

_MARK_POSTGRESQL = (
    "INSERT INTO facetdirty(organization_id, block) SELECT DISTINCT {select} ORDER BY 1, 2"
    " ON CONFLICT (organization_id, block) DO UPDATE SET block = excluded.block;"
)
_FUNCTION_POSTGRESQL = (
    "CREATE OR REPLACE FUNCTION facets_mark_{name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {changed}"
    " IF TG_OP = 'UPDATE' THEN {previous} END IF; RETURN NULL; END $$"
)
# ON CONFLICT DO UPDATE locks an existing mark until the writer commits, so a rebuild deleting it waits and then
# reads the write (DO NOTHING would let it read around an uncommitted write and drop the mark).
_PG_EVENTS = {
    "ai": ("INSERT", "NEW TABLE AS changed"),
    "au": ("UPDATE", "OLD TABLE AS previous NEW TABLE AS changed"),
    "ad": ("DELETE", "OLD TABLE AS changed"),
}


def _pg_function(name: str, select: str) -> str:
    """Marks the blocks of the rows in `changed` (and, on an update, of the rows before it: `previous`)."""
    marks = {rows: _MARK_POSTGRESQL.format(select=select.format(rows=rows)) for rows in ("changed", "previous")}
    return _FUNCTION_POSTGRESQL.format(name=name, **marks)


def _pg_triggers(table: str, function: str) -> tuple[str, ...]:
    """Statement-level, over the transition tables; ENABLE ALWAYS, so a COPY in replica mode marks too."""
    return tuple(
        statement
        for name, (event, tables) in _PG_EVENTS.items()
        for statement in (
            f"CREATE TRIGGER {table}_facets_{name} AFTER {event} ON {table} REFERENCING {tables}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION facets_mark_{function}()",
            f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_facets_{name}",
        )
    )


_POSTGRESQL = (
    _pg_function("datarows", f"organization_id, seq >> {BLOCK_BITS} FROM {{rows}}"),
    _pg_function(
        "rows", f"d.organization_id, d.seq >> {BLOCK_BITS} FROM {{rows}} c JOIN datarow d ON d.id = c.data_row_id"
    ),
    *_pg_triggers("datarow", "datarows"),
    *(statement for table in SOURCES for statement in _pg_triggers(table, "rows")),
)
MARKING_DDL: dict[str, tuple[str, ...]] = {"sqlite": tuple(SQLITE_TRIGGERS.values()), "postgresql": _POSTGRESQL}
# Every block holding rows marked (rebuilt on first use).
MARK_ALL = (
    f"INSERT INTO facetdirty(organization_id, block) SELECT DISTINCT organization_id, seq >> {BLOCK_BITS} FROM datarow"
)


def mark_rows(where: str) -> str:
    """Marks the blocks of the rows `where` admits (those marked already stay)."""
    return f"{MARK_ALL} WHERE {where} ON CONFLICT DO NOTHING"
