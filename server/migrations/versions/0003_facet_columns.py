"""facet columns

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 06:09:28.427864

`datarow.seq` (numbered in rowid order on SQLite, from its sequence on PostgreSQL, which the DDL creates), the facet
arrays and their dirty marks (server.models.facets), and the triggers that mark; every chunk holding rows starts
dirty.
"""

import sqlalchemy as sa
from alembic import op

from server.models.facets import DATAROW_SEQ, MARKING_0003, drop_marking_ddl, mark_all, marking_ddl

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

CHUNKS = MARKING_0003
ID = sa.String(length=25).with_variant(sa.String(length=25, collation="C"), "postgresql")


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
    else:  # numbered, given its default and made NOT NULL by the DDL
        op.add_column("datarow", sa.Column("seq", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("datarow", schema=None) as batch_op:
        batch_op.create_index("ix_datarow_seq", ["seq"], unique=True)
    for statement in (*(DATAROW_SEQ if dialect == "postgresql" else ()), *marking_ddl(dialect, CHUNKS)):
        op.execute(statement)
    op.execute(mark_all(CHUNKS))


def downgrade() -> None:
    for statement in drop_marking_ddl(op.get_bind().dialect.name, CHUNKS):
        op.execute(statement)
    with op.batch_alter_table("datarow", schema=None) as batch_op:
        batch_op.drop_index("ix_datarow_seq")
        batch_op.drop_column("seq")
    op.drop_table("facetdirty")
    op.drop_table("facetchunk")
