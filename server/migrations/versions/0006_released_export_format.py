"""columns of the released Labelbox export format

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 04:00:00.000000

`datarow.last_activity_at` (details.last_activity_at), `label.content_last_updated_at`
(label_details.content_last_updated_at) and `embedding.is_custom` (embeddings[].is_custom). The two timestamps are
nullable: NULL reads as the row's or label's `updated_at`, so existing rows need no backfill.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("datarow", sa.Column("last_activity_at", sa.DateTime(), nullable=True))
    op.add_column("label", sa.Column("content_last_updated_at", sa.DateTime(), nullable=True))
    op.add_column("embedding", sa.Column("is_custom", sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch copy of the table would drop its facet triggers
    for table, column in (
        ("embedding", "is_custom"),
        ("label", "content_last_updated_at"),
        ("datarow", "last_activity_at"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
