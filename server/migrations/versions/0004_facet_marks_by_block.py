"""facet marks by block, labels mark too

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 09:40:00.000000

A mark names a block of 1,024 rows (`facetdirty.block`, `seq >> 10`) instead of a chunk of 65,536: a count takes
only the marked blocks' rows from SQL. Writes to `label` mark too (the arrays now say which rows have a label in a
project). The triggers (and on PostgreSQL their functions) are made again; every block holding rows starts marked,
so the arrays are rebuilt (with the new facet) before counts read them alone.
"""

from alembic import op

from server.models.facets import MARKING_0003, Marking, drop_marking_ddl, mark_all, marking_ddl

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

CHUNKS, BLOCKS = MARKING_0003, Marking()


def _remark(old: Marking, new: Marking) -> None:
    dialect = op.get_bind().dialect.name
    for statement in drop_marking_ddl(dialect, old):
        op.execute(statement)
    op.execute("DELETE FROM facetdirty")
    op.execute(f"ALTER TABLE facetdirty RENAME COLUMN {old.column} TO {new.column}")
    for statement in marking_ddl(dialect, new):
        op.execute(statement)
    op.execute(mark_all(new))


def upgrade() -> None:
    _remark(CHUNKS, BLOCKS)


def downgrade() -> None:
    _remark(BLOCKS, CHUNKS)
