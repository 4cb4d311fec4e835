"""Webhook endpoints and their delivery log (admin keys only: an endpoint receives the organization's events)."""

from __future__ import annotations

from typing import Any

import orjson
import strawberry
from strawberry import ID

from resolvers.context import Context
from resolvers.enums import DeliveryStatus, WebhookEvent
from resolvers.scalars import DateTime
from server.errors import bad_input, limit_exceeded
from server.webhooks.store import list_deliveries, list_webhooks

Info = strawberry.Info[Context, None]
MAX_DELIVERIES = 100


@strawberry.type(description="An endpoint that receives signed messages (Standard Webhooks) for its events.")
class Webhook:
    id: ID
    url: str
    events: list[WebhookEvent]
    enabled: bool
    created_at: DateTime
    updated_at: DateTime

    @classmethod
    def from_row(cls, row: Any) -> Webhook:
        events = [WebhookEvent(name) for name in orjson.loads(row.events)]
        return cls(
            id=ID(row.id),
            url=row.url,
            events=events,
            enabled=row.enabled,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.type(description="One message to one endpoint: stored before it is sent, retried with backoff.")
class WebhookDelivery:
    id: ID = strawberry.field(description="The message id, sent as the `webhook-id` header (same on every retry).")
    event: WebhookEvent
    subject: ID = strawberry.field(description="The export task the message is about (the webhook, for a test).")
    status: DeliveryStatus
    attempts: int
    last_response_code: int | None = strawberry.field(description="The HTTP status of the last attempt, if any.")
    last_error: str | None
    created_at: DateTime
    last_attempt_at: DateTime | None
    next_attempt_at: DateTime | None = strawberry.field(description="When a PENDING message is tried next.")
    delivered_at: DateTime | None
    cursor: str

    @classmethod
    def from_row(cls, row: Any) -> WebhookDelivery:
        return cls(
            id=ID(row.message_id),
            event=WebhookEvent(row.event_type),
            subject=ID(row.subject),
            status=DeliveryStatus(row.status),
            attempts=row.attempts,
            last_response_code=row.last_response_code,
            last_error=row.last_error,
            created_at=row.created_at,
            last_attempt_at=row.last_attempt_at,
            next_attempt_at=row.next_attempt_at if row.status == DeliveryStatus.PENDING else None,
            delivered_at=row.delivered_at,
            cursor=str(row.seq),
        )


@strawberry.type
class WebhookDeliveryPage:
    nodes: list[WebhookDelivery]
    has_next_page: bool
    end_cursor: str | None


def require_admin(ctx: Context) -> str:
    return ctx.admin_organization("webhooks")


@strawberry.type
class WebhookQuery:
    @strawberry.field(description="Your organization's webhook endpoints (admin keys only).")
    async def webhooks(self, info: Info) -> list[Webhook]:
        rows = await list_webhooks(info.context.engine, require_admin(info.context))
        return [Webhook.from_row(row) for row in rows]

    @strawberry.field(description="An endpoint's deliveries, newest first; `after` is the last page's endCursor.")
    async def webhook_deliveries(
        self, info: Info, webhook_id: ID, first: int = 50, after: str | None = None
    ) -> WebhookDeliveryPage:
        organization_id = require_admin(info.context)
        if first < 0:
            raise bad_input("`first` must be 0 or more.", "first")
        if first > MAX_DELIVERIES:
            raise limit_exceeded(f"`first` is {first}; at most {MAX_DELIVERIES} deliveries per page.", "first")
        if after is not None and not (after.isascii() and after.isdigit()):
            raise bad_input("`after` must be the endCursor of an earlier page.", "after")
        before = int(after) if after is not None else None
        rows, more = await list_deliveries(info.context.engine, organization_id, str(webhook_id), first, before)
        nodes = [WebhookDelivery.from_row(row) for row in rows]
        return WebhookDeliveryPage(nodes=nodes, has_next_page=more, end_cursor=nodes[-1].cursor if nodes else None)
