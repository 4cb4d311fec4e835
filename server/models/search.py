"""The full-text document of each data row: one text body per row, indexed by FTS5 (SQLite) or tsvector (PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Text
from sqlmodel import Field

from server.models.base import TableModel


class SearchDocument(TableModel, table=True):
    """Concatenated searchable text of one data row; `id` is the FTS rowid. Maintained by server.search.fulltext."""

    __table_args__ = (Index("ix_searchdocument_row", "data_row_id", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    organization_id: str = Field(max_length=25, index=True)
    data_row_id: str = Field(max_length=25)
    body: str = Field(sa_column=Column(Text, nullable=False))


# The full-text index of the current schema, per dialect (`create_all` makes it: server.models.ddl).
FTS_DDL = (
    "CREATE VIRTUAL TABLE searchdocument_fts USING fts5(body, content='searchdocument', content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER searchdocument_ai AFTER INSERT ON searchdocument BEGIN"
    " INSERT INTO searchdocument_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER searchdocument_ad AFTER DELETE ON searchdocument BEGIN"
    " INSERT INTO searchdocument_fts(searchdocument_fts, rowid, body) VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER searchdocument_au AFTER UPDATE ON searchdocument BEGIN"
    " INSERT INTO searchdocument_fts(searchdocument_fts, rowid, body) VALUES ('delete', old.id, old.body);"
    " INSERT INTO searchdocument_fts(rowid, body) VALUES (new.id, new.body); END",
)
TSVECTOR_DDL = (  # a stored column: ts_rank reads it instead of re-parsing every matching body
    "ALTER TABLE searchdocument ADD COLUMN tsv tsvector"
    " GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, body)) STORED",
    "CREATE INDEX ix_searchdocument_tsv ON searchdocument USING gin (tsv)",
)
INDEX_DDL: dict[str, tuple[str, ...]] = {"sqlite": FTS_DDL, "postgresql": TSVECTOR_DDL}
INDEX_DROP: dict[str, tuple[str, ...]] = {"sqlite": ("DROP TABLE IF EXISTS searchdocument_fts",)}


class EmbeddingGeneration(TableModel, table=True):
    """Set to a fresh random token by triggers on writes to an embedding's vectors (random, not a counter, so a
    rolled-back write's token never comes back): in-process vector caches compare it to stay exact.

    PostgreSQL bumps it once per transaction, which it records in `writer_xid`: every update of one row within one
    transaction leaves a version the next must step over, so a bump per vector made a bulk load quadratic (10k
    vectors 0.74 s, 40k 11.5 s; now 0.09 / 0.44 s). A transaction's later writes keep its token, so the cache never
    keeps a space read by the transaction that wrote it (server.search.cache). SQLite updates in place: every write
    bumps, `writer_xid` stays NULL."""

    embedding_id: str = Field(primary_key=True, max_length=25)
    generation: int = 0
    writer_xid: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


_BUMP_SQLITE = (
    "CREATE TRIGGER datarowembedding_gen_{event} AFTER {event} ON datarowembedding BEGIN"
    " INSERT INTO embeddinggeneration(embedding_id, generation) VALUES ({row}.embedding_id, abs(random()))"
    " ON CONFLICT(embedding_id) DO UPDATE SET generation = abs(random()); END"
)
BUMP_FUNCTION_POSTGRESQL = (
    "CREATE OR REPLACE FUNCTION bump_embedding_generation() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " INSERT INTO embeddinggeneration(embedding_id, generation, writer_xid)"
    " VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.embedding_id ELSE NEW.embedding_id END, floor(random() * 2e9),"
    " txid_current())"
    " ON CONFLICT (embedding_id) DO UPDATE SET generation = floor(random() * 2e9), writer_xid = txid_current()"
    " WHERE embeddinggeneration.writer_xid IS DISTINCT FROM txid_current();"
    " RETURN NULL; END $$"
)
_BUMP_POSTGRESQL = (
    BUMP_FUNCTION_POSTGRESQL,
    "CREATE TRIGGER datarowembedding_gen AFTER INSERT OR UPDATE OR DELETE ON datarowembedding"
    " FOR EACH ROW EXECUTE FUNCTION bump_embedding_generation()",
)
# The triggers on `datarowembedding` that bump its space's generation, per dialect.
GENERATION_DDL: dict[str, tuple[str, ...]] = {
    "sqlite": tuple(
        _BUMP_SQLITE.format(event=e, row=r) for e, r in (("INSERT", "new"), ("UPDATE", "new"), ("DELETE", "old"))
    ),
    "postgresql": _BUMP_POSTGRESQL,
}
