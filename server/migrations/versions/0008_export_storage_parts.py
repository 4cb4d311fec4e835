"""export task part objects (object storage)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 03:30:00.000000

`exporttask.storage_parts`: with EXPORT_STORAGE=s3://…, the sizes of the part objects a running export has uploaded
(JSON text, `{"result": [...], "errors": [...]}`), stored with its checkpoint; null for files in EXPORT_DIR.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exporttask") as table:
        table.add_column(sa.Column("storage_parts", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("exporttask") as table:
        table.drop_column("storage_parts")
