"""createWebhook / updateWebhook / deleteWebhook / testWebhook (admin keys only)."""

from __future__ import annotations

import strawberry
from strawberry import ID

from resolvers.context import Context
from resolvers.enums import WebhookEvent
from resolvers.types.webhooks import Webhook, WebhookDelivery, require_admin
from server.webhooks.outbox import enqueue_ping, get_delivery
from server.webhooks.store import create_webhook, delete_webhook, get_webhook, update_webhook

Info = strawberry.Info[Context, None]


@strawberry.type
class CreatedWebhook:
    webhook: Webhook
    secret: str = strawberry.field(
        description="The signing secret (`whsec_…`): verify `webhook-signature` with it. Shown only here."
    )


def _names(events: list[WebhookEvent] | None) -> list[str] | None:
    return None if events is None else [event.value for event in events]


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(
        description="Register an endpoint for events. `secret` (`whsec_` + base64) is generated when not given. "
        "Only http(s) URLs; internal addresses are refused unless WEBHOOK_ALLOWED_NETWORKS allows them."
    )
    async def create_webhook(
        self, info: Info, url: str, events: list[WebhookEvent], secret: str | None = None
    ) -> CreatedWebhook:
        ctx = info.context
        networks = ctx.settings.webhook_allowed_networks
        row = await create_webhook(ctx.engine, require_admin(ctx), url, _names(events) or [], secret, networks)
        return CreatedWebhook(webhook=Webhook.from_row(row), secret=row.secret)

    @strawberry.mutation(description="Change an endpoint's URL, events or secret, or disable it (enabled: false).")
    async def update_webhook(
        self,
        info: Info,
        id: ID,
        url: str | None = None,
        events: list[WebhookEvent] | None = None,
        secret: str | None = None,
        enabled: bool | None = None,
    ) -> Webhook:
        ctx = info.context
        changes = {"url": url, "events": _names(events), "secret": secret, "enabled": enabled}
        networks = ctx.settings.webhook_allowed_networks
        return Webhook.from_row(await update_webhook(ctx.engine, require_admin(ctx), str(id), networks, **changes))

    @strawberry.mutation(description="Delete an endpoint and its delivery log; returns its id.")
    async def delete_webhook(self, info: Info, id: ID) -> ID:
        ctx = info.context
        await delete_webhook(ctx.engine, require_admin(ctx), str(id))
        return id

    @strawberry.mutation(description="Queue a `webhook.test` message to the endpoint; follow it in webhookDeliveries.")
    async def test_webhook(self, info: Info, id: ID) -> WebhookDelivery:
        ctx = info.context
        webhook = await get_webhook(ctx.engine, require_admin(ctx), str(id))
        return WebhookDelivery.from_row(await get_delivery(ctx.engine, await enqueue_ping(ctx.engine, webhook)))
