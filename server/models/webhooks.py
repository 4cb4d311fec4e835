"""Webhook endpoints of an organization and the outbox of their deliveries (stored before they are sent)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import NaiveDatetime
from sqlalchemy import Column, Index, Text
from sqlmodel import Field

from server.models.base import TableModel, id_field, org_field, ref_field, utcnow


class WebhookEvent(StrEnum):
    """What an endpoint subscribes to: its stored `events` and a delivery's `event_type` hold these values."""

    EXPORT_COMPLETED = "export.completed"
    EXPORT_FAILED = "export.failed"
    EXPORT_CANCELED = "export.canceled"
    WEBHOOK_TEST = "webhook.test"


class DeliveryStatus(StrEnum):
    """A delivery's `status`."""

    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class Webhook(TableModel, table=True):
    id: str = id_field()
    organization_id: str = org_field()
    url: str = Field(sa_column=Column(Text, nullable=False))
    events: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of WebhookEvent values
    secret: str = Field(max_length=100)  # `whsec_` + base64: the Standard Webhooks signing key
    enabled: bool = True
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    updated_at: NaiveDatetime = Field(default_factory=utcnow)


class WebhookDelivery(TableModel, table=True):
    """One message to one endpoint. `message_id` (the `webhook-id` header) is unique, so queuing the same event twice
    is a no-op; `seq` orders the messages of one endpoint and subject (an export task)."""

    __table_args__ = (
        Index("ix_webhookdelivery_due", "status", "next_attempt_at"),
        Index("ix_webhookdelivery_order", "webhook_id", "subject", "seq"),
    )
    seq: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(max_length=100, unique=True)
    organization_id: str = org_field()
    webhook_id: str = ref_field("webhook.id", index=False)
    event_type: str = Field(max_length=40)  # a WebhookEvent
    subject: str = Field(max_length=25)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=DeliveryStatus.PENDING.value, max_length=16)  # a DeliveryStatus
    attempts: int = 0
    next_attempt_at: NaiveDatetime = Field(default_factory=utcnow)
    last_attempt_at: NaiveDatetime | None = None
    last_response_code: int | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    claimed_by: str | None = Field(default=None, max_length=100)
    lease_until: NaiveDatetime | None = None  # a sender holds the message until then; past it, any sender retries
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    delivered_at: NaiveDatetime | None = None
