"""facet marks by block, labels mark too

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 09:40:00.000000

A mark names a block of 1,024 rows (`facetdirty.block`, `seq >> 10`) instead of a chunk of 65,536: a count takes
only the marked blocks' rows from SQL. Writes to `label` mark too (the arrays now say which rows have a label in a
project). The triggers (and on PostgreSQL their functions) are made again; every block holding rows starts marked,
so the arrays are rebuilt (with the new facet) before counts read them alone. The downgrade makes 0003's again
(a copy of them is kept here).
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# SQLite: 0004's row triggers, marking blocks (on label writes too), and 0003's, marking chunks.
BLOCK_TRIGGERS_SQLITE = (
    (
        "CREATE TRIGGER datarow_facets_ai AFTER INSERT ON datarow BEGIN UPDATE datarow SET seq = coalesce((SELECT "
        "max(seq) FROM datarow), 0) + 1 WHERE rowid = new.rowid AND new.seq = -1; INSERT OR IGNORE INTO "
        "facetdirty(organization_id, block) SELECT organization_id, seq >> 10 FROM datarow WHERE rowid = new.rowid; "
        "END"
    ),
    (
        "CREATE TRIGGER datarow_facets_au AFTER UPDATE OF organization_id, dataset_id, media_type ON datarow BEGIN "
        "INSERT OR IGNORE INTO facetdirty(organization_id, block) VALUES (old.organization_id, old.seq >> 10), "
        "(new.organization_id, new.seq >> 10); END"
    ),
    (
        "CREATE TRIGGER datarow_facets_ad AFTER DELETE ON datarow BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, block) VALUES (old.organization_id, old.seq >> 10); END"
    ),
    (
        "CREATE TRIGGER metadatavalue_facets_ai AFTER INSERT ON metadatavalue BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, block) SELECT organization_id, seq >> 10 FROM datarow WHERE id IN "
        "(new.data_row_id); END"
    ),
    (
        "CREATE TRIGGER metadatavalue_facets_au AFTER UPDATE ON metadatavalue BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, block) SELECT organization_id, seq >> 10 FROM datarow WHERE id IN "
        "(old.data_row_id, new.data_row_id); END"
    ),
    (
        "CREATE TRIGGER metadatavalue_facets_ad AFTER DELETE ON metadatavalue BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, block) SELECT organization_id, seq >> 10 FROM datarow WHERE id IN "
        "(old.data_row_id); END"
    ),
    (
        "CREATE TRIGGER labelfeature_facets_ai AFTER INSERT ON labelfeature BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, block) SELECT organization_id, seq >> 10 FROM datarow WHERE id IN "
        "(new.data_row_id); END"
    ),
    (
        "CREATE TRIGGER labelfeature_facets_au AFTER UPDATE ON labelfeature BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, block) SELECT organization_id, seq >> 10 FROM datarow WHERE id IN "
        "(old.data_row_id, new.data_row_id); END"
    ),
    (
        "CREATE TRIGGER labelfeature_facets_ad AFTER DELETE ON labelfeature BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, block) SELECT organization_id, seq >> 10 FROM datarow WHERE id IN "
        "(old.data_row_id); END"
    ),
    (
        "CREATE TRIGGER projectdatarow_facets_ai AFTER INSERT ON projectdatarow BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, block) SELECT organization_id, seq >> 10 FROM datarow WHERE id IN "
        "(new.data_row_id); END"
    ),
    (
        "CREATE TRIGGER projectdatarow_facets_au AFTER UPDATE ON projectdatarow BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, block) SELECT organization_id, seq >> 10 FROM datarow WHERE id IN "
        "(old.data_row_id, new.data_row_id); END"
    ),
    (
        "CREATE TRIGGER projectdatarow_facets_ad AFTER DELETE ON projectdatarow BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, block) SELECT organization_id, seq >> 10 FROM datarow WHERE id IN "
        "(old.data_row_id); END"
    ),
    (
        "CREATE TRIGGER modelrundatarow_facets_ai AFTER INSERT ON modelrundatarow BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, block) SELECT organization_id, seq >> 10 FROM datarow WHERE id IN "
        "(new.data_row_id); END"
    ),
    (
        "CREATE TRIGGER modelrundatarow_facets_au AFTER UPDATE ON modelrundatarow BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, block) SELECT organization_id, seq >> 10 FROM datarow WHERE id IN "
        "(old.data_row_id, new.data_row_id); END"
    ),
    (
        "CREATE TRIGGER modelrundatarow_facets_ad AFTER DELETE ON modelrundatarow BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, block) SELECT organization_id, seq >> 10 FROM datarow WHERE id IN "
        "(old.data_row_id); END"
    ),
    (
        "CREATE TRIGGER label_facets_ai AFTER INSERT ON label BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, block) SELECT organization_id, seq >> 10 FROM datarow WHERE id IN "
        "(new.data_row_id); END"
    ),
    (
        "CREATE TRIGGER label_facets_au AFTER UPDATE ON label BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, block) SELECT organization_id, seq >> 10 FROM datarow WHERE id IN "
        "(old.data_row_id, new.data_row_id); END"
    ),
    (
        "CREATE TRIGGER label_facets_ad AFTER DELETE ON label BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, block) SELECT organization_id, seq >> 10 FROM datarow WHERE id IN "
        "(old.data_row_id); END"
    ),
)
CHUNK_TRIGGERS_SQLITE = (
    (
        "CREATE TRIGGER datarow_facets_ai AFTER INSERT ON datarow BEGIN UPDATE datarow SET seq = coalesce((SELECT "
        "max(seq) FROM datarow), 0) + 1 WHERE rowid = new.rowid AND new.seq = -1; INSERT OR IGNORE INTO "
        "facetdirty(organization_id, chunk) SELECT organization_id, seq >> 16 FROM datarow WHERE rowid = new.rowid; "
        "END"
    ),
    (
        "CREATE TRIGGER datarow_facets_au AFTER UPDATE OF organization_id, dataset_id, media_type ON datarow BEGIN "
        "INSERT OR IGNORE INTO facetdirty(organization_id, chunk) VALUES (old.organization_id, old.seq >> 16), "
        "(new.organization_id, new.seq >> 16); END"
    ),
    (
        "CREATE TRIGGER datarow_facets_ad AFTER DELETE ON datarow BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, chunk) VALUES (old.organization_id, old.seq >> 16); END"
    ),
    (
        "CREATE TRIGGER metadatavalue_facets_ai AFTER INSERT ON metadatavalue BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, chunk) SELECT organization_id, seq >> 16 FROM datarow WHERE id IN "
        "(new.data_row_id); END"
    ),
    (
        "CREATE TRIGGER metadatavalue_facets_au AFTER UPDATE ON metadatavalue BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, chunk) SELECT organization_id, seq >> 16 FROM datarow WHERE id IN "
        "(old.data_row_id, new.data_row_id); END"
    ),
    (
        "CREATE TRIGGER metadatavalue_facets_ad AFTER DELETE ON metadatavalue BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, chunk) SELECT organization_id, seq >> 16 FROM datarow WHERE id IN "
        "(old.data_row_id); END"
    ),
    (
        "CREATE TRIGGER labelfeature_facets_ai AFTER INSERT ON labelfeature BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, chunk) SELECT organization_id, seq >> 16 FROM datarow WHERE id IN "
        "(new.data_row_id); END"
    ),
    (
        "CREATE TRIGGER labelfeature_facets_au AFTER UPDATE ON labelfeature BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, chunk) SELECT organization_id, seq >> 16 FROM datarow WHERE id IN "
        "(old.data_row_id, new.data_row_id); END"
    ),
    (
        "CREATE TRIGGER labelfeature_facets_ad AFTER DELETE ON labelfeature BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, chunk) SELECT organization_id, seq >> 16 FROM datarow WHERE id IN "
        "(old.data_row_id); END"
    ),
    (
        "CREATE TRIGGER projectdatarow_facets_ai AFTER INSERT ON projectdatarow BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, chunk) SELECT organization_id, seq >> 16 FROM datarow WHERE id IN "
        "(new.data_row_id); END"
    ),
    (
        "CREATE TRIGGER projectdatarow_facets_au AFTER UPDATE ON projectdatarow BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, chunk) SELECT organization_id, seq >> 16 FROM datarow WHERE id IN "
        "(old.data_row_id, new.data_row_id); END"
    ),
    (
        "CREATE TRIGGER projectdatarow_facets_ad AFTER DELETE ON projectdatarow BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, chunk) SELECT organization_id, seq >> 16 FROM datarow WHERE id IN "
        "(old.data_row_id); END"
    ),
    (
        "CREATE TRIGGER modelrundatarow_facets_ai AFTER INSERT ON modelrundatarow BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, chunk) SELECT organization_id, seq >> 16 FROM datarow WHERE id IN "
        "(new.data_row_id); END"
    ),
    (
        "CREATE TRIGGER modelrundatarow_facets_au AFTER UPDATE ON modelrundatarow BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, chunk) SELECT organization_id, seq >> 16 FROM datarow WHERE id IN "
        "(old.data_row_id, new.data_row_id); END"
    ),
    (
        "CREATE TRIGGER modelrundatarow_facets_ad AFTER DELETE ON modelrundatarow BEGIN INSERT OR IGNORE INTO "
        "facetdirty(organization_id, chunk) SELECT organization_id, seq >> 16 FROM datarow WHERE id IN "
        "(old.data_row_id); END"
    ),
)
# PostgreSQL: each marking's two functions; the statement triggers that call them are 0003's, and label's from
# 0004 on (a function dropped with CASCADE takes its triggers along, so each marking makes them again).
BLOCK_FUNCTIONS_POSTGRESQL = (
    (
        "CREATE OR REPLACE FUNCTION facets_mark_datarows() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO "
        "facetdirty(organization_id, block) SELECT DISTINCT organization_id, seq >> 10 FROM changed ORDER BY 1, 2 ON "
        "CONFLICT (organization_id, block) DO UPDATE SET block = excluded.block; IF TG_OP = 'UPDATE' THEN INSERT "
        "INTO facetdirty(organization_id, block) SELECT DISTINCT organization_id, seq >> 10 FROM previous ORDER BY "
        "1, 2 ON CONFLICT (organization_id, block) DO UPDATE SET block = excluded.block; END IF; RETURN NULL; END $$"
    ),
    (
        "CREATE OR REPLACE FUNCTION facets_mark_rows() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO "
        "facetdirty(organization_id, block) SELECT DISTINCT d.organization_id, d.seq >> 10 FROM changed c JOIN "
        "datarow d ON d.id = c.data_row_id ORDER BY 1, 2 ON CONFLICT (organization_id, block) DO UPDATE SET block = "
        "excluded.block; IF TG_OP = 'UPDATE' THEN INSERT INTO facetdirty(organization_id, block) SELECT DISTINCT "
        "d.organization_id, d.seq >> 10 FROM previous c JOIN datarow d ON d.id = c.data_row_id ORDER BY 1, 2 ON "
        "CONFLICT (organization_id, block) DO UPDATE SET block = excluded.block; END IF; RETURN NULL; END $$"
    ),
)
CHUNK_FUNCTIONS_POSTGRESQL = (
    (
        "CREATE OR REPLACE FUNCTION facets_mark_datarows() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO "
        "facetdirty(organization_id, chunk) SELECT DISTINCT organization_id, seq >> 16 FROM changed ORDER BY 1, 2 ON "
        "CONFLICT (organization_id, chunk) DO UPDATE SET chunk = excluded.chunk; IF TG_OP = 'UPDATE' THEN INSERT "
        "INTO facetdirty(organization_id, chunk) SELECT DISTINCT organization_id, seq >> 16 FROM previous ORDER BY "
        "1, 2 ON CONFLICT (organization_id, chunk) DO UPDATE SET chunk = excluded.chunk; END IF; RETURN NULL; END $$"
    ),
    (
        "CREATE OR REPLACE FUNCTION facets_mark_rows() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO "
        "facetdirty(organization_id, chunk) SELECT DISTINCT d.organization_id, d.seq >> 16 FROM changed c JOIN "
        "datarow d ON d.id = c.data_row_id ORDER BY 1, 2 ON CONFLICT (organization_id, chunk) DO UPDATE SET chunk = "
        "excluded.chunk; IF TG_OP = 'UPDATE' THEN INSERT INTO facetdirty(organization_id, chunk) SELECT DISTINCT "
        "d.organization_id, d.seq >> 16 FROM previous c JOIN datarow d ON d.id = c.data_row_id ORDER BY 1, 2 ON "
        "CONFLICT (organization_id, chunk) DO UPDATE SET chunk = excluded.chunk; END IF; RETURN NULL; END $$"
    ),
)
TRIGGERS_POSTGRESQL = (
    (
        "CREATE TRIGGER datarow_facets_ai AFTER INSERT ON datarow REFERENCING NEW TABLE AS changed FOR EACH "
        "STATEMENT EXECUTE FUNCTION facets_mark_datarows()"
    ),
    "ALTER TABLE datarow ENABLE ALWAYS TRIGGER datarow_facets_ai",
    (
        "CREATE TRIGGER datarow_facets_au AFTER UPDATE ON datarow REFERENCING OLD TABLE AS previous NEW TABLE AS "
        "changed FOR EACH STATEMENT EXECUTE FUNCTION facets_mark_datarows()"
    ),
    "ALTER TABLE datarow ENABLE ALWAYS TRIGGER datarow_facets_au",
    (
        "CREATE TRIGGER datarow_facets_ad AFTER DELETE ON datarow REFERENCING OLD TABLE AS changed FOR EACH "
        "STATEMENT EXECUTE FUNCTION facets_mark_datarows()"
    ),
    "ALTER TABLE datarow ENABLE ALWAYS TRIGGER datarow_facets_ad",
    (
        "CREATE TRIGGER metadatavalue_facets_ai AFTER INSERT ON metadatavalue REFERENCING NEW TABLE AS changed FOR "
        "EACH STATEMENT EXECUTE FUNCTION facets_mark_rows()"
    ),
    "ALTER TABLE metadatavalue ENABLE ALWAYS TRIGGER metadatavalue_facets_ai",
    (
        "CREATE TRIGGER metadatavalue_facets_au AFTER UPDATE ON metadatavalue REFERENCING OLD TABLE AS previous NEW "
        "TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION facets_mark_rows()"
    ),
    "ALTER TABLE metadatavalue ENABLE ALWAYS TRIGGER metadatavalue_facets_au",
    (
        "CREATE TRIGGER metadatavalue_facets_ad AFTER DELETE ON metadatavalue REFERENCING OLD TABLE AS changed FOR "
        "EACH STATEMENT EXECUTE FUNCTION facets_mark_rows()"
    ),
    "ALTER TABLE metadatavalue ENABLE ALWAYS TRIGGER metadatavalue_facets_ad",
    (
        "CREATE TRIGGER labelfeature_facets_ai AFTER INSERT ON labelfeature REFERENCING NEW TABLE AS changed FOR "
        "EACH STATEMENT EXECUTE FUNCTION facets_mark_rows()"
    ),
    "ALTER TABLE labelfeature ENABLE ALWAYS TRIGGER labelfeature_facets_ai",
    (
        "CREATE TRIGGER labelfeature_facets_au AFTER UPDATE ON labelfeature REFERENCING OLD TABLE AS previous NEW "
        "TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION facets_mark_rows()"
    ),
    "ALTER TABLE labelfeature ENABLE ALWAYS TRIGGER labelfeature_facets_au",
    (
        "CREATE TRIGGER labelfeature_facets_ad AFTER DELETE ON labelfeature REFERENCING OLD TABLE AS changed FOR "
        "EACH STATEMENT EXECUTE FUNCTION facets_mark_rows()"
    ),
    "ALTER TABLE labelfeature ENABLE ALWAYS TRIGGER labelfeature_facets_ad",
    (
        "CREATE TRIGGER projectdatarow_facets_ai AFTER INSERT ON projectdatarow REFERENCING NEW TABLE AS changed FOR "
        "EACH STATEMENT EXECUTE FUNCTION facets_mark_rows()"
    ),
    "ALTER TABLE projectdatarow ENABLE ALWAYS TRIGGER projectdatarow_facets_ai",
    (
        "CREATE TRIGGER projectdatarow_facets_au AFTER UPDATE ON projectdatarow REFERENCING OLD TABLE AS previous "
        "NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION facets_mark_rows()"
    ),
    "ALTER TABLE projectdatarow ENABLE ALWAYS TRIGGER projectdatarow_facets_au",
    (
        "CREATE TRIGGER projectdatarow_facets_ad AFTER DELETE ON projectdatarow REFERENCING OLD TABLE AS changed FOR "
        "EACH STATEMENT EXECUTE FUNCTION facets_mark_rows()"
    ),
    "ALTER TABLE projectdatarow ENABLE ALWAYS TRIGGER projectdatarow_facets_ad",
    (
        "CREATE TRIGGER modelrundatarow_facets_ai AFTER INSERT ON modelrundatarow REFERENCING NEW TABLE AS changed "
        "FOR EACH STATEMENT EXECUTE FUNCTION facets_mark_rows()"
    ),
    "ALTER TABLE modelrundatarow ENABLE ALWAYS TRIGGER modelrundatarow_facets_ai",
    (
        "CREATE TRIGGER modelrundatarow_facets_au AFTER UPDATE ON modelrundatarow REFERENCING OLD TABLE AS previous "
        "NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION facets_mark_rows()"
    ),
    "ALTER TABLE modelrundatarow ENABLE ALWAYS TRIGGER modelrundatarow_facets_au",
    (
        "CREATE TRIGGER modelrundatarow_facets_ad AFTER DELETE ON modelrundatarow REFERENCING OLD TABLE AS changed "
        "FOR EACH STATEMENT EXECUTE FUNCTION facets_mark_rows()"
    ),
    "ALTER TABLE modelrundatarow ENABLE ALWAYS TRIGGER modelrundatarow_facets_ad",
)
LABEL_TRIGGERS_POSTGRESQL = (
    (
        "CREATE TRIGGER label_facets_ai AFTER INSERT ON label REFERENCING NEW TABLE AS changed FOR EACH STATEMENT "
        "EXECUTE FUNCTION facets_mark_rows()"
    ),
    "ALTER TABLE label ENABLE ALWAYS TRIGGER label_facets_ai",
    (
        "CREATE TRIGGER label_facets_au AFTER UPDATE ON label REFERENCING OLD TABLE AS previous NEW TABLE AS changed "
        "FOR EACH STATEMENT EXECUTE FUNCTION facets_mark_rows()"
    ),
    "ALTER TABLE label ENABLE ALWAYS TRIGGER label_facets_au",
    (
        "CREATE TRIGGER label_facets_ad AFTER DELETE ON label REFERENCING OLD TABLE AS changed FOR EACH STATEMENT "
        "EXECUTE FUNCTION facets_mark_rows()"
    ),
    "ALTER TABLE label ENABLE ALWAYS TRIGGER label_facets_ad",
)
DROP_FUNCTIONS_POSTGRESQL = ("DROP FUNCTION facets_mark_rows() CASCADE", "DROP FUNCTION facets_mark_datarows() CASCADE")

BLOCK_MARKING = {
    "sqlite": BLOCK_TRIGGERS_SQLITE,
    "postgresql": (*BLOCK_FUNCTIONS_POSTGRESQL, *TRIGGERS_POSTGRESQL, *LABEL_TRIGGERS_POSTGRESQL),
}
DROP_BLOCK_MARKING = {
    "sqlite": tuple(f"DROP TRIGGER {ddl.split()[2]}" for ddl in BLOCK_TRIGGERS_SQLITE),
    "postgresql": DROP_FUNCTIONS_POSTGRESQL,
}
MARK_EVERY_BLOCK = (
    "INSERT INTO facetdirty(organization_id, block) SELECT DISTINCT organization_id, seq >> 10 FROM datarow"
)

CHUNK_MARKING = {"sqlite": CHUNK_TRIGGERS_SQLITE, "postgresql": (*CHUNK_FUNCTIONS_POSTGRESQL, *TRIGGERS_POSTGRESQL)}
DROP_CHUNK_MARKING = {
    "sqlite": tuple(f"DROP TRIGGER {ddl.split()[2]}" for ddl in CHUNK_TRIGGERS_SQLITE),
    "postgresql": DROP_FUNCTIONS_POSTGRESQL,
}
MARK_EVERY_CHUNK = (
    "INSERT INTO facetdirty(organization_id, chunk) SELECT DISTINCT organization_id, seq >> 16 FROM datarow"
)


def _remark(drop: dict[str, tuple[str, ...]], old: str, new: str, make: dict[str, tuple[str, ...]], mark: str) -> None:
    dialect = op.get_bind().dialect.name
    for statement in drop[dialect]:
        op.execute(statement)
    op.execute("DELETE FROM facetdirty")
    op.execute(f"ALTER TABLE facetdirty RENAME COLUMN {old} TO {new}")
    for statement in make[dialect]:
        op.execute(statement)
    op.execute(mark)


def upgrade() -> None:
    _remark(DROP_CHUNK_MARKING, "chunk", "block", BLOCK_MARKING, MARK_EVERY_BLOCK)


def downgrade() -> None:
    _remark(DROP_BLOCK_MARKING, "block", "chunk", CHUNK_MARKING, MARK_EVERY_CHUNK)
