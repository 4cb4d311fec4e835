"""Facet columns: the filterable facets of the data rows as fixed-width arrays, one per (organization, key, chunk of
65,536 rows by `datarow.seq`), so a count over several leaves is array arithmetic instead of joins
(server.facets); and the chunks whose rows changed since their arrays were built, marked by triggers on every write
to a table the arrays are read from, so a stale array is never read.

`datarow.seq` is the dense integer position of a row (unmapped: the ORM and the importers never set it). PostgreSQL
draws it from a sequence (the column's default, DATAROW_SEQ); SQLite has no sequence for a column that is not the
rowid, so the column defaults to -1 and the insert trigger sets `max(seq) + 1` (an index keeps that one probe; the
rowid itself may be renumbered by VACUUM). Either way a writer that names the column with NULL fails, never leaves
a row outside the arrays.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from server.models.catalog import DataRow

SEQ = Column("seq", BigInteger, nullable=False)
DataRow.__table__.append_column(SEQ)  # type: ignore[attr-defined]
Index("ix_datarow_seq", SEQ, unique=True)

CHUNK_BITS = 16
CHUNK_ROWS = 1 << CHUNK_BITS


class FacetChunk(SQLModel, table=True):
    """One facet's values for the organization's rows of one chunk: `data` is a numpy array of CHUNK_ROWS entries
    (position `seq % CHUNK_ROWS`), of the dtype its key's kind gives (server.facets.kinds)."""

    organization_id: str = Field(primary_key=True, max_length=25)
    key: str = Field(primary_key=True, max_length=1200)
    chunk: int = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class FacetDirty(SQLModel, table=True):
    """A chunk of the organization whose arrays may be stale: counts over it go to SQL until it is rebuilt."""

    organization_id: str = Field(primary_key=True, max_length=25)
    chunk: int = Field(primary_key=True)


# The tables besides datarow whose rows the arrays are built from (each names its row in `data_row_id`).
SOURCES = ("metadatavalue", "labelfeature", "projectdatarow", "modelrundatarow")

_MARK_SQLITE = (
    "INSERT OR IGNORE INTO facetdirty(organization_id, chunk)"
    " SELECT organization_id, seq >> 16 FROM datarow WHERE {where}"
)
# An update marks the chunks of both the old and the new row (a value moved to another data row changes both).
_SQLITE_DATAROW = (
    "CREATE TRIGGER datarow_facets_ai AFTER INSERT ON datarow BEGIN"
    " UPDATE datarow SET seq = coalesce((SELECT max(seq) FROM datarow), 0) + 1"
    " WHERE rowid = new.rowid AND new.seq = -1; " + _MARK_SQLITE.format(where="rowid = new.rowid") + "; END",
    "CREATE TRIGGER datarow_facets_au AFTER UPDATE OF organization_id, dataset_id, media_type ON datarow BEGIN"
    " INSERT OR IGNORE INTO facetdirty(organization_id, chunk)"
    " VALUES (old.organization_id, old.seq >> 16), (new.organization_id, new.seq >> 16); END",
    "CREATE TRIGGER datarow_facets_ad AFTER DELETE ON datarow BEGIN"
    " INSERT OR IGNORE INTO facetdirty(organization_id, chunk) VALUES (old.organization_id, old.seq >> 16); END",
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

_MARK_POSTGRESQL = (
    "INSERT INTO facetdirty(organization_id, chunk) SELECT DISTINCT {select} ORDER BY 1, 2"
    " ON CONFLICT (organization_id, chunk) DO UPDATE SET chunk = excluded.chunk;"
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
    """Marks the chunks of the rows in `changed` (and, on an update, of the rows before it: `previous`)."""
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


DATAROW_SEQ = (
    "CREATE SEQUENCE datarow_seq_seq OWNED BY datarow.seq",
    "UPDATE datarow SET seq = nextval('datarow_seq_seq')",
    "ALTER TABLE datarow ALTER COLUMN seq SET DEFAULT nextval('datarow_seq_seq')",
    "ALTER TABLE datarow ALTER COLUMN seq SET NOT NULL",
)
_POSTGRESQL = (
    *DATAROW_SEQ,
    _pg_function("datarows", "organization_id, seq >> 16 FROM {rows}"),
    _pg_function("rows", "d.organization_id, d.seq >> 16 FROM {rows} c JOIN datarow d ON d.id = c.data_row_id"),
    *_pg_triggers("datarow", "datarows"),
    *(statement for table in SOURCES for statement in _pg_triggers(table, "rows")),
)
SQLITE_TRIGGERS = {ddl.split()[2]: ddl for ddl in (*_SQLITE_DATAROW, *_SQLITE_SOURCES)}  # name → DDL
FACET_DDL: dict[str, tuple[str, ...]] = {"sqlite": tuple(SQLITE_TRIGGERS.values()), "postgresql": _POSTGRESQL}
# Every chunk holding rows starts dirty (a database migrated with rows in it; rebuilt on first use).
MARK_ALL = "INSERT INTO facetdirty(organization_id, chunk) SELECT DISTINCT organization_id, seq >> 16 FROM datarow"
