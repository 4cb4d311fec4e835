"""The full-text document of each data row: one text body per row, indexed by FTS5 (SQLite) or tsvector (PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import DDL, Column, Index, Text, event
from sqlmodel import Field, SQLModel


class SearchDocument(SQLModel, table=True):
    """Concatenated searchable text of one data row; `id` is the FTS rowid. Maintained by server.search.fulltext."""

    __table_args__ = (Index("ix_searchdocument_row", "data_row_id", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    organization_id: str = Field(max_length=25, index=True)
    data_row_id: str = Field(max_length=25)
    body: str = Field(sa_column=Column(Text, nullable=False))


# The index lives next to the table it indexes: create_all (tests, seed, serve) builds it on either engine.
# Alembic migrations must run the same statements (server.models.search.INDEX_DDL lists them per dialect).
FTS_DDL = (
    "CREATE VIRTUAL TABLE searchdocument_fts USING fts5(body, content='searchdocument', content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER searchdocument_ai AFTER INSERT ON searchdocument BEGIN"
    " INSERT INTO searchdocument_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER searchdocument_ad AFTER DELETE ON searchdocument BEGIN"
    " INSERT INTO searchdocument_fts(searchdocument_fts, rowid, body) VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER searchdocument_au AFTER UPDATE ON searchdocument BEGIN"
    " INSERT INTO searchdocument_fts(searchdocument_fts, rowid, body) VALUES ('delete', old.id, old.body);"
    " INSERT INTO searchdocument_fts(rowid, body) VALUES (new.id, new.body); END",
)
TSVECTOR_DDL = (
    "CREATE INDEX ix_searchdocument_tsv ON searchdocument USING gin (to_tsvector('simple'::regconfig, body))",
)
INDEX_DDL: dict[str, tuple[str, ...]] = {"sqlite": FTS_DDL, "postgresql": TSVECTOR_DDL}

for _dialect, _statements in INDEX_DDL.items():
    for _statement in _statements:
        event.listen(SearchDocument.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))
event.listen(
    SearchDocument.__table__,
    "before_drop",
    DDL("DROP TABLE IF EXISTS searchdocument_fts").execute_if(dialect="sqlite"),
)
