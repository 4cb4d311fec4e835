"""facet columns

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 06:09:28.427864

`datarow.seq` (numbered in rowid order on SQLite, from its sequence on PostgreSQL, which the DDL creates), the facet
arrays and their dirty marks (server.models.facets), and the triggers that mark a chunk of 65,536 rows (`seq >> 16`)
on writes to data rows, metadata values, label features, project rows and model-run rows; every chunk holding rows
starts dirty.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.String(length=25).with_variant(sa.String(length=25, collation="C"), "postgresql")

# PostgreSQL: the rows numbered from the sequence, which then is the column's default.
SEQUENCE = (
    "CREATE SEQUENCE datarow_seq_seq OWNED BY datarow.seq",
    "UPDATE datarow SET seq = nextval('datarow_seq_seq')",
    "ALTER TABLE datarow ALTER COLUMN seq SET DEFAULT nextval('datarow_seq_seq')",
    "ALTER TABLE datarow ALTER COLUMN seq SET NOT NULL",
)

# SQLite: row triggers (the insert trigger numbers a new row); PostgreSQL: statement triggers over the transition
# tables, ENABLE ALWAYS so that a COPY in replica mode marks too.
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
CHUNK_MARKING_POSTGRESQL = (
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
CHUNK_MARKING = {"sqlite": CHUNK_TRIGGERS_SQLITE, "postgresql": CHUNK_MARKING_POSTGRESQL}
DROP_CHUNK_MARKING = {  # a PostgreSQL trigger goes with its function
    "sqlite": tuple(f"DROP TRIGGER {ddl.split()[2]}" for ddl in CHUNK_TRIGGERS_SQLITE),
    "postgresql": ("DROP FUNCTION facets_mark_rows() CASCADE", "DROP FUNCTION facets_mark_datarows() CASCADE"),
}
MARK_EVERY_CHUNK = (
    "INSERT INTO facetdirty(organization_id, chunk) SELECT DISTINCT organization_id, seq >> 16 FROM datarow"
)


def upgrade() -> None:
    op.create_table(
        "facetchunk",
        sa.Column("organization_id", ID, nullable=False),
        sa.Column(
            "key",
            sa.String(length=1200).with_variant(sa.String(length=1200, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "key", "chunk"),
    )
    op.create_table(
        "facetdirty",
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "chunk"),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.add_column("datarow", sa.Column("seq", sa.BigInteger(), nullable=False, server_default=sa.text("-1")))
        op.execute("UPDATE datarow SET seq = rowid")
    else:  # numbered, given its default and made NOT NULL by SEQUENCE
        op.add_column("datarow", sa.Column("seq", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("datarow", schema=None) as batch_op:
        batch_op.create_index("ix_datarow_seq", ["seq"], unique=True)
    for statement in (*(SEQUENCE if dialect == "postgresql" else ()), *CHUNK_MARKING[dialect]):
        op.execute(statement)
    op.execute(MARK_EVERY_CHUNK)


def downgrade() -> None:
    for statement in DROP_CHUNK_MARKING[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_index("ix_datarow_seq", table_name="datarow")
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch copy of the table would break the foreign keys
    # of the rows that reference it
    op.execute("ALTER TABLE datarow DROP COLUMN seq")
    op.drop_table("facetdirty")
    op.drop_table("facetchunk")
