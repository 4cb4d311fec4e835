"""facet marks by block

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 09:40:00.000000

A mark names a block of 1,024 rows (`facetdirty.block`, `seq >> 10`) instead of a chunk of 65,536: a count takes
only the marked blocks' rows from SQL. The marks there are carried over (a chunk's mark becomes its 64 blocks'),
the triggers (SQLite) or the functions they call (PostgreSQL) are made again for the new marking.
"""

import sqlalchemy as sa
from alembic import op

from server.models.facets import Marking, pg_functions, sqlite_triggers

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

CHUNKS, BLOCKS = Marking("chunk", 16), Marking()


def _covering(mark: int, old: Marking, new: Marking) -> range:
    """The marks of `new` covering the rows `mark` of `old` covers."""
    return range((mark << old.bits) >> new.bits, ((((mark + 1) << old.bits) - 1) >> new.bits) + 1)


def _remark(old: Marking, new: Marking) -> None:
    bind = op.get_bind()
    marks = bind.execute(sa.text(f"SELECT organization_id, {old.column} FROM facetdirty")).all()
    sqlite = bind.dialect.name == "sqlite"
    for name in sqlite_triggers(old) if sqlite else ():
        op.execute(f"DROP TRIGGER {name}")
    op.execute("DELETE FROM facetdirty")
    op.execute(f"ALTER TABLE facetdirty RENAME COLUMN {old.column} TO {new.column}")
    for statement in sqlite_triggers(new).values() if sqlite else pg_functions(new):
        op.execute(statement)
    carried = {(org, m) for org, mark in marks for m in _covering(mark, old, new)}
    if carried:
        table = sa.table("facetdirty", sa.column("organization_id"), sa.column(new.column))
        op.bulk_insert(table, [{"organization_id": org, new.column: m} for org, m in sorted(carried)])


def upgrade() -> None:
    _remark(CHUNKS, BLOCKS)


def downgrade() -> None:
    _remark(BLOCKS, CHUNKS)
