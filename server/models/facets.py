"""Facet columns: the filterable facets of the data rows as fixed-width arrays, one per (organization, key, chunk of
65,536 rows by `datarow.seq`), so a count over several leaves is array arithmetic instead of joins
(server.facets); and the blocks of 1,024 rows that changed since their chunk's arrays were built, marked by triggers
on every write to a table the arrays are read from, so a stale array is never read: a count takes a marked block's
rows from SQL and the rest from the arrays.

`datarow.seq` is the dense integer position of a row (unmapped: the ORM and the importers never set it). PostgreSQL
draws it from a sequence (the column's default, DATAROW_SEQ); SQLite has no sequence for a column that is not the
rowid, so the column defaults to -1 and the insert trigger sets `max(seq) + 1` (an index keeps that one probe; the
rowid itself may be renumbered by VACUUM). Either way a writer that names the column with NULL fails, never leaves
a row outside the arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from server.models.catalog import DataRow

SEQ = Column("seq", BigInteger, nullable=False)
DataRow.__table__.append_column(SEQ)  # type: ignore[attr-defined]
Index("ix_datarow_seq", SEQ, unique=True)

CHUNK_BITS = 16
CHUNK_ROWS = 1 << CHUNK_BITS
BLOCK_BITS = 10  # a mark covers the 1,024 rows of one block: counts take a marked block's rows from SQL
BLOCK_ROWS = 1 << BLOCK_BITS


class FacetChunk(SQLModel, table=True):
    """One facet's values for the organization's rows of one chunk: `data` is a numpy array of CHUNK_ROWS entries
    (position `seq % CHUNK_ROWS`), of the dtype its key's kind gives (server.facets.kinds)."""

    organization_id: str = Field(primary_key=True, max_length=25)
    key: str = Field(primary_key=True, max_length=1200)
    chunk: int = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class FacetDirty(SQLModel, table=True):
    """A block (BLOCK_ROWS rows by `seq`) of the organization whose arrays may be stale: counts take its rows from
    SQL until its chunk is rebuilt."""

    organization_id: str = Field(primary_key=True, max_length=25)
    block: int = Field(primary_key=True)


# The tables besides datarow whose rows the arrays are built from (each names its row in `data_row_id`).
SOURCES = ("metadatavalue", "labelfeature", "projectdatarow", "modelrundatarow", "label")


@dataclass(frozen=True)
class Marking:
    """What a mark names: the column of facetdirty and the bits of `seq` it drops (`seq >> bits`), and the tables
    whose writes mark besides datarow. Revision 0003 marked chunks (`chunk`, 16) for the first four; 0004 marks
    blocks, for labels too."""

    column: str = "block"
    bits: int = BLOCK_BITS
    sources: tuple[str, ...] = SOURCES


_MARK_SQLITE = (
    "INSERT OR IGNORE INTO facetdirty(organization_id, {column})"
    " SELECT organization_id, seq >> {bits} FROM datarow WHERE {where}"
)
# An update marks the blocks of both the old and the new row (a value moved to another data row changes both).
_SQLITE_DATAROW = (
    "CREATE TRIGGER datarow_facets_ai AFTER INSERT ON datarow BEGIN"
    " UPDATE datarow SET seq = coalesce((SELECT max(seq) FROM datarow), 0) + 1"
    " WHERE rowid = new.rowid AND new.seq = -1; " + _MARK_SQLITE.replace("{where}", "rowid = new.rowid") + "; END",
    "CREATE TRIGGER datarow_facets_au AFTER UPDATE OF organization_id, dataset_id, media_type ON datarow BEGIN"
    " INSERT OR IGNORE INTO facetdirty(organization_id, {column})"
    " VALUES (old.organization_id, old.seq >> {bits}), (new.organization_id, new.seq >> {bits}); END",
    "CREATE TRIGGER datarow_facets_ad AFTER DELETE ON datarow BEGIN"
    " INSERT OR IGNORE INTO facetdirty(organization_id, {column}) VALUES (old.organization_id, old.seq >> {bits}); END",
)
_SQLITE_EVENTS = {
    "ai": ("INSERT", "new.data_row_id"),
    "au": ("UPDATE", "old.data_row_id, new.data_row_id"),
    "ad": ("DELETE", "old.data_row_id"),
}


def _sqlite_sources(tables: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(
        f"CREATE TRIGGER {table}_facets_{name} AFTER {event} ON {table} BEGIN "
        + _MARK_SQLITE.replace("{where}", f"id IN ({rows})")
        + "; END"
        for table in tables
        for name, (event, rows) in _SQLITE_EVENTS.items()
    )


_MARK_POSTGRESQL = (
    "INSERT INTO facetdirty(organization_id, {column}) SELECT DISTINCT {select} ORDER BY 1, 2"
    " ON CONFLICT (organization_id, {column}) DO UPDATE SET {column} = excluded.{column};"
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
    marks = {
        rows: _MARK_POSTGRESQL.replace("{select}", select.replace("{rows}", rows)) for rows in ("changed", "previous")
    }
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
PG_FUNCTIONS = (
    _pg_function("datarows", "organization_id, seq >> {bits} FROM {rows}"),
    _pg_function("rows", "d.organization_id, d.seq >> {bits} FROM {rows} c JOIN datarow d ON d.id = c.data_row_id"),
)


# Revision 0003 marked chunks, on writes to these tables (0004 marks blocks, on writes to labels too).
MARKING_0003 = Marking("chunk", 16, ("metadatavalue", "labelfeature", "projectdatarow", "modelrundatarow"))


def _marking(statements: tuple[str, ...], marking: Marking) -> tuple[str, ...]:
    return tuple(s.replace("{column}", marking.column).replace("{bits}", str(marking.bits)) for s in statements)


def sqlite_triggers(marking: Marking = Marking()) -> dict[str, str]:
    """The SQLite triggers by name."""
    return {ddl.split()[2]: ddl for ddl in _marking((*_SQLITE_DATAROW, *_sqlite_sources(marking.sources)), marking)}


def pg_functions(marking: Marking = Marking()) -> tuple[str, ...]:
    """The PostgreSQL marking functions (the triggers name them, whatever they mark)."""
    return _marking(PG_FUNCTIONS, marking)


def pg_triggers(tables: tuple[str, ...]) -> tuple[str, ...]:
    """The PostgreSQL triggers of the given tables (datarow's own included when named)."""
    return tuple(s for t in tables for s in _pg_triggers(t, "datarows" if t == "datarow" else "rows"))


def marking_ddl(dialect: str, marking: Marking = Marking()) -> tuple[str, ...]:
    """The marking triggers, and on PostgreSQL the functions they call."""
    if dialect == "sqlite":
        return tuple(sqlite_triggers(marking).values())
    return (*pg_functions(marking), *pg_triggers(("datarow", *marking.sources)))


def drop_marking_ddl(dialect: str, marking: Marking) -> tuple[str, ...]:
    """Drops what `marking_ddl` made."""
    if dialect == "sqlite":
        return tuple(f"DROP TRIGGER {name}" for name in sqlite_triggers(marking))
    return ("DROP FUNCTION facets_mark_rows() CASCADE", "DROP FUNCTION facets_mark_datarows() CASCADE")


def mark_all(marking: Marking = Marking()) -> str:
    """Marks every block holding rows (a database migrated with rows in it; rebuilt on first use)."""
    insert = "INSERT INTO facetdirty(organization_id, {column}) SELECT DISTINCT organization_id, seq >> {bits}"
    return _marking((insert + " FROM datarow",), marking)[0]


SQLITE_TRIGGERS = sqlite_triggers()
MARK_ALL = mark_all()


def mark_rows(where: str) -> str:
    """Marks the blocks of the rows `where` admits (those marked already stay)."""
    return f"{MARK_ALL} WHERE {where} ON CONFLICT DO NOTHING"


# What a revision that adds a facet kind runs: every block holding rows marked, so the arrays are rebuilt with it.
MARK_EVERY_BLOCK = mark_rows("true")
