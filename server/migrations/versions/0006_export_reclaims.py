"""export tasks count their reclaims

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 03:40:00.000000

`exporttask.reclaims` counts how often a task was claimed again after its worker stopped renewing the lease (the
worker died while running it): past EXPORT_MAX_RECLAIMS the task is FAILED instead of claimed again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exporttask", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reclaims", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("exporttask", schema=None) as batch_op:
        batch_op.drop_column("reclaims")
