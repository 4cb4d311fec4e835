"""Webhook endpoints of an organization: create (with a generated secret unless one is given), list, update,
delete (with its deliveries); the delivery log of an endpoint, newest first."""

from __future__ import annotations

import base64
import secrets
from typing import Any

import orjson
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks.webhooks import Webhook as Signer

from server.errors import bad_input, limit_exceeded, not_found
from server.models import Webhook, WebhookDelivery
from server.models.base import new_id, utcnow
from server.webhooks.events import EVENTS
from server.webhooks.targets import UnsafeTarget, check_url, resolve_safe

W = Webhook.__table__.c
D = WebhookDelivery.__table__.c
SECRET_PREFIX = "whsec_"
MAX_WEBHOOKS = 20  # per organization
MAX_SECRET = 100


def new_secret() -> str:
    """24 random bytes, base64, with Standard Webhooks' `whsec_` prefix."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def check_secret(secret: str) -> str:
    if len(secret) > MAX_SECRET or not secret.startswith(SECRET_PREFIX):
        raise bad_input(f"`secret` must be `{SECRET_PREFIX}` + base64 of 24-64 random bytes.", "secret")
    try:
        raw = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
        Signer(secret)
    except Exception as exc:
        raise bad_input(f"`secret` is not `{SECRET_PREFIX}` + valid base64: {exc}.", "secret") from exc
    if not 24 <= len(raw) <= 64:
        raise bad_input("`secret` must hold 24 to 64 random bytes.", "secret")
    return secret


def check_events(events: list[str]) -> str:
    unknown = sorted(set(events) - set(EVENTS))
    if not events or unknown:
        raise bad_input(f"`events` must name one or more of {sorted(EVENTS)}; unknown: {unknown}.", "events")
    return orjson.dumps(sorted(set(events))).decode()


async def check_target(url: str, networks: tuple[str, ...]) -> None:
    """BAD_USER_INPUT for a URL webhooks may not call (checked again before every attempt)."""
    check_url(url)
    try:
        await resolve_safe(url, networks)
    except UnsafeTarget as exc:
        raise bad_input(f"`url` is refused: {exc}.", "url") from exc


async def create_webhook(
    engine: AsyncEngine, organization_id: str, url: str, events: list[str], secret: str | None, networks: tuple = ()
) -> Any:
    await check_target(url, networks)
    values: dict[str, Any] = {
        "id": new_id(),
        "organization_id": organization_id,
        "url": url,
        "events": check_events(events),
        "secret": check_secret(secret) if secret is not None else new_secret(),
        "enabled": True,
        "created_at": utcnow(),
        "updated_at": utcnow(),
    }
    async with engine.begin() as conn:
        count = len((await conn.execute(select(W.id).where(W.organization_id == organization_id))).all())
        if count >= MAX_WEBHOOKS:
            raise limit_exceeded(f"An organization has at most {MAX_WEBHOOKS} webhooks; delete one first.")
        await conn.execute(Webhook.__table__.insert().values(**values))
    return await get_webhook(engine, organization_id, values["id"])


async def get_webhook(engine: AsyncEngine, organization_id: str, webhook_id: str) -> Any:
    async with engine.connect() as conn:
        stmt = select(Webhook.__table__).where(W.id == webhook_id, W.organization_id == organization_id)
        row = (await conn.execute(stmt)).first()
    if row is None:
        raise not_found("Webhook", webhook_id, "id")
    return row


async def list_webhooks(engine: AsyncEngine, organization_id: str) -> list[Any]:
    async with engine.connect() as conn:
        stmt = select(Webhook.__table__).where(W.organization_id == organization_id).order_by(W.created_at, W.id)
        return list((await conn.execute(stmt)).all())


async def update_webhook(
    engine: AsyncEngine, organization_id: str, webhook_id: str, networks: tuple = (), **changes: Any
) -> Any:
    await get_webhook(engine, organization_id, webhook_id)
    values: dict[str, Any] = {"updated_at": utcnow()}
    if changes.get("url") is not None:
        await check_target(changes["url"], networks)
        values["url"] = changes["url"]
    if changes.get("events") is not None:
        values["events"] = check_events(changes["events"])
    if changes.get("secret") is not None:
        values["secret"] = check_secret(changes["secret"])
    if changes.get("enabled") is not None:
        values["enabled"] = changes["enabled"]
    async with engine.begin() as conn:
        await conn.execute(update(Webhook.__table__).where(W.id == webhook_id).values(**values))
    return await get_webhook(engine, organization_id, webhook_id)


async def delete_webhook(engine: AsyncEngine, organization_id: str, webhook_id: str) -> None:
    await get_webhook(engine, organization_id, webhook_id)
    async with engine.begin() as conn:
        await conn.execute(delete(WebhookDelivery.__table__).where(D.webhook_id == webhook_id))
        await conn.execute(delete(Webhook.__table__).where(W.id == webhook_id))


async def list_deliveries(
    engine: AsyncEngine, organization_id: str, webhook_id: str, first: int, before: int | None
) -> tuple[list[Any], bool]:
    """A page of the endpoint's deliveries, newest first (keyset on `seq`); whether older ones follow."""
    await get_webhook(engine, organization_id, webhook_id)
    stmt = select(WebhookDelivery.__table__).where(D.webhook_id == webhook_id)
    if before is not None:
        stmt = stmt.where(D.seq < before)
    async with engine.connect() as conn:
        rows = list((await conn.execute(stmt.order_by(D.seq.desc()).limit(first + 1))).all())
    return rows[:first], len(rows) > first
