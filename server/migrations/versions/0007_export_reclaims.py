"""export tasks count their reclaims; organizations take turns

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 03:40:00.000000

`exporttask.reclaims` counts how often a task was claimed again after its worker stopped renewing the lease (the
worker died while running it): past EXPORT_MAX_RECLAIMS the task is FAILED instead of claimed again.
`ix_exporttask_org_started` finds when an organization last had a task started: workers claim the oldest task of the
organization served least recently.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exporttask", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reclaims", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_index("ix_exporttask_org_started", ["organization_id", "started_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("exporttask", schema=None) as batch_op:
        batch_op.drop_index("ix_exporttask_org_started")
        batch_op.drop_column("reclaims")
