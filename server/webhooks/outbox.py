"""The delivery outbox: messages are stored before they are sent, claimed with a lease (a sender that dies leaves
them to another after the lease, with the same `webhook-id`: at-least-once), and retried with exponential backoff.

A sender may claim a message only when no earlier message of the same endpoint and subject (export task) is still
pending, and when its endpoint has nothing in flight: messages of one task arrive in order, one at a time per
endpoint, so a slow receiver holds up only itself."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from server.models import ExportTask, WebhookDelivery
from server.models.base import utcnow
from server.models.exports import EXPIRED
from server.models.webhooks import DeliveryStatus
from server.webhooks.events import EXPORT_EVENTS, envelope, task_data
from server.webhooks.store import D, W

T = ExportTask.__table__.c
INSERTS: dict[str, Callable[..., Any]] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
ERROR_CHARS = 500
RECENT_SECONDS = 600.0  # how far back the worker's sweep queues finished tasks' events again


def message_id(webhook_id: str, event_type: str, subject: str) -> str:
    """The same event for the same endpoint always gets the same id: queuing it twice stores it once."""
    return "msg_" + hashlib.sha256(f"{webhook_id}\n{event_type}\n{subject}".encode()).hexdigest()[:32]


async def _subscribers(conn: AsyncConnection, organization_id: str, event_type: str, at: datetime) -> list[str]:
    """Enabled endpoints of the organization subscribed to `event_type` that existed when the event happened."""
    where = (W.organization_id == organization_id, W.enabled.is_(True), W.created_at <= at)
    stmt = select(W.id, W.events).where(*where)
    return [row.id for row in (await conn.execute(stmt)).all() if event_type in orjson.loads(row.events)]


async def _insert(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    if rows:
        stmt = INSERTS[conn.dialect.name](WebhookDelivery.__table__).on_conflict_do_nothing(
            index_elements=["message_id"]
        )
        await conn.execute(stmt, rows)


def _row(webhook_id: str, organization_id: str, event_type: str, subject: str, payload: bytes, msg: str) -> dict:
    now = utcnow()
    return {
        "message_id": msg,
        "organization_id": organization_id,
        "webhook_id": webhook_id,
        "event_type": event_type,
        "subject": subject,
        "payload": payload.decode(),
        "status": DeliveryStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


async def enqueue_task_event(engine: AsyncEngine, task_id: str) -> int:
    """Queue the event of a finished export task for every subscribed endpoint (none while it runs); idempotent."""
    async with engine.begin() as conn:
        task = (await conn.execute(select(ExportTask.__table__).where(T.id == task_id))).first()
        event_type = EXPORT_EVENTS.get(task.status) if task is not None else None
        if task is None or event_type is None:
            return 0
        at = task.completed_at or utcnow()
        payload = envelope(event_type, at, task_data(task))
        hooks = await _subscribers(conn, task.organization_id, event_type, at)
        rows = [
            _row(h, task.organization_id, event_type, task_id, payload, message_id(h, event_type, task_id))
            for h in hooks
        ]
        await _insert(conn, rows)
    return len(rows)


async def enqueue_recent(engine: AsyncEngine, seconds: float = RECENT_SECONDS) -> int:
    """Queue again the events of tasks that ended in the last `seconds` (stored once: the ids are the same). Closes
    the gap between a task's final store and its event's, which a crash or an outage there would open."""
    expired = and_(T.failure_reason.is_not(None), T.failure_reason.startswith(EXPIRED))
    since = utcnow() - timedelta(seconds=seconds)
    stmt = select(T.id).where(T.status.in_(list(EXPORT_EVENTS)), T.completed_at >= since, ~expired)
    async with engine.connect() as conn:
        ids = list((await conn.execute(stmt)).scalars())
    return sum([await enqueue_task_event(engine, task_id) for task_id in ids])


async def enqueue_ping(engine: AsyncEngine, webhook: Any) -> str:
    """A `webhook.test` message to one endpoint (each ping is a new message)."""
    msg = "msg_" + secrets.token_hex(16)
    payload = envelope("webhook.test", utcnow(), {"webhookId": webhook.id})
    async with engine.begin() as conn:
        await _insert(conn, [_row(webhook.id, webhook.organization_id, "webhook.test", webhook.id, payload, msg)])
    return msg


async def get_delivery(engine: AsyncEngine, msg: str) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(select(WebhookDelivery.__table__).where(D.message_id == msg))).first()


@dataclass(frozen=True)
class Claimed:
    seq: int
    message_id: str
    event_type: str
    subject: str
    payload: str
    attempts: int
    url: str
    secret: str
    enabled: bool


def _due(now: Any) -> Any:
    earlier = WebhookDelivery.__table__.alias("earlier")
    blocked = exists().where(
        earlier.c.webhook_id == D.webhook_id,
        earlier.c.status == DeliveryStatus.PENDING,
        or_(and_(earlier.c.subject == D.subject, earlier.c.seq < D.seq), earlier.c.lease_until >= now),
    )
    free = or_(D.lease_until.is_(None), D.lease_until < now)
    return and_(D.status == DeliveryStatus.PENDING, D.next_attempt_at <= now, free, ~blocked)


async def claim_due(engine: AsyncEngine, sender: str, limit: int, lease_seconds: float) -> list[Claimed]:
    """Up to `limit` due messages, at most one per endpoint, leased to `sender`."""
    now = utcnow()
    columns = (D.seq, D.message_id, D.event_type, D.subject, D.payload, D.attempts, D.webhook_id)
    pick = select(*columns).where(_due(now)).order_by(D.next_attempt_at, D.seq).limit(limit * 4)
    claimed: list[Claimed] = []
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True, of=WebhookDelivery.__table__)
        endpoints: set[str] = set()
        for row in (await conn.execute(pick)).all():
            if row.webhook_id in endpoints or len(claimed) >= limit:
                continue
            lease = {"claimed_by": sender, "lease_until": now + timedelta(seconds=lease_seconds)}
            stmt = update(WebhookDelivery.__table__).where(D.seq == row.seq, _due(now)).values(**lease)
            if (await conn.execute(stmt)).rowcount != 1:
                continue
            endpoints.add(row.webhook_id)
            hook = (await conn.execute(select(W.url, W.secret, W.enabled).where(W.id == row.webhook_id))).one()
            claimed.append(Claimed(row.seq, row.message_id, row.event_type, row.subject, row.payload, row.attempts,
                                   hook.url, hook.secret, hook.enabled))  # fmt: skip
    return claimed


@dataclass(frozen=True)
class Outcome:
    code: int | None  # the receiver's HTTP status, None when it gave none
    error: str | None  # None: delivered
    final: bool = False  # no retry (the endpoint is disabled or its address is refused)


async def record(
    engine: AsyncEngine, message: Claimed, sender: str, outcome: Outcome, retry_seconds: float, max_attempts: int
) -> None:
    """Store an attempt: DELIVERED; or PENDING again after retry_seconds * 2^(attempts-1); or FAILED when the
    attempts are spent. Only while the lease is still this sender's."""
    now, attempts = utcnow(), message.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "last_attempt_at": now, "last_response_code": outcome.code}
    values |= {"claimed_by": None, "lease_until": None, "last_error": (outcome.error or "")[:ERROR_CHARS] or None}
    if outcome.error is None:
        values |= {"status": DeliveryStatus.DELIVERED, "delivered_at": now}
    elif outcome.final or attempts >= max_attempts:
        values |= {"status": DeliveryStatus.FAILED}
    else:
        values |= {"next_attempt_at": now + timedelta(seconds=retry_seconds * 2 ** (attempts - 1))}
    held = and_(D.seq == message.seq, D.claimed_by == sender, D.status == DeliveryStatus.PENDING)
    async with engine.begin() as conn:
        await conn.execute(update(WebhookDelivery.__table__).where(held).values(**values))
