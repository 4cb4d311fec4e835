"""embedding generation bumped once per transaction on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 02:05:00

Adds `embeddinggeneration.writer_xid` and makes PostgreSQL's trigger function bump a space's generation only on the
first vector write of a transaction (server.models.search.EmbeddingGeneration says why); the downgrade restores
0001's function.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ONCE_PER_TRANSACTION = (
    "CREATE OR REPLACE FUNCTION bump_embedding_generation() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " INSERT INTO embeddinggeneration(embedding_id, generation, writer_xid)"
    " VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.embedding_id ELSE NEW.embedding_id END, floor(random() * 2e9),"
    " txid_current())"
    " ON CONFLICT (embedding_id) DO UPDATE SET generation = floor(random() * 2e9), writer_xid = txid_current()"
    " WHERE embeddinggeneration.writer_xid IS DISTINCT FROM txid_current();"
    " RETURN NULL; END $$"
)
EVERY_WRITE = (
    "CREATE OR REPLACE FUNCTION bump_embedding_generation() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " INSERT INTO embeddinggeneration(embedding_id, generation)"
    " VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.embedding_id ELSE NEW.embedding_id END, floor(random() * 2e9))"
    " ON CONFLICT (embedding_id) DO UPDATE SET generation = floor(random() * 2e9);"
    " RETURN NULL; END $$"
)


def upgrade() -> None:
    op.add_column("embeddinggeneration", sa.Column("writer_xid", sa.BigInteger(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(ONCE_PER_TRANSACTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(EVERY_WRITE)
    op.drop_column("embeddinggeneration", "writer_xid")
