"""webhooks and their delivery outbox

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 03:31:40.842898

`webhook`: an organization's endpoints (URL, subscribed event types as JSON text, Standard Webhooks secret).
`webhookdelivery`: the outbox, one message per endpoint and event, written before it is sent; `message_id` is
unique (the `webhook-id` header), `seq` orders the messages of one endpoint and subject.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook",
        sa.Column(
            "id", sa.String(length=25).with_variant(sa.String(length=25, collation="C"), "postgresql"), nullable=False
        ),
        sa.Column(
            "organization_id",
            sa.String(length=25).with_variant(sa.String(length=25, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", sa.Text(), nullable=False),
        sa.Column(
            "secret",
            sa.String(length=100).with_variant(sa.String(length=100, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("webhook", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "webhookdelivery",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column(
            "message_id",
            sa.String(length=100).with_variant(sa.String(length=100, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "organization_id",
            sa.String(length=25).with_variant(sa.String(length=25, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "webhook_id",
            sa.String(length=25).with_variant(sa.String(length=25, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "event_type",
            sa.String(length=40).with_variant(sa.String(length=40, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "subject",
            sa.String(length=25).with_variant(sa.String(length=25, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.String(length=16).with_variant(sa.String(length=16, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_response_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "claimed_by",
            sa.String(length=100).with_variant(sa.String(length=100, collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["webhook.id"],
        ),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("message_id"),
    )
    with op.batch_alter_table("webhookdelivery", schema=None) as batch_op:
        batch_op.create_index("ix_webhookdelivery_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index("ix_webhookdelivery_order", ["webhook_id", "subject", "seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_webhookdelivery_organization_id"), ["organization_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("webhookdelivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhookdelivery_organization_id"))
        batch_op.drop_index("ix_webhookdelivery_order")
        batch_op.drop_index("ix_webhookdelivery_due")

    op.drop_table("webhookdelivery")
    with op.batch_alter_table("webhook", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_organization_id"))

    op.drop_table("webhook")
