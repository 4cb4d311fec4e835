"""Sends the outbox: every export worker process runs one WebhookSender beside its export loop, so deliveries never
wait for exports nor exports for deliveries. Each attempt is signed (Standard Webhooks: `webhook-id`,
`webhook-timestamp`, `webhook-signature` = v1 HMAC-SHA256, by the `standardwebhooks` library), bounded in time
(WEBHOOK_TIMEOUT_SECONDS, connect to last byte) and in what is read back (WEBHOOK_MAX_RESPONSE_BYTES), sent without
following redirects, and only to addresses targets.resolve_safe allows. Up to WEBHOOK_CONCURRENCY attempts run at
once, one per endpoint (outbox.claim_due), so a receiver that never answers holds one slot for one timeout."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx
import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks.webhooks import Webhook as Signer

from server.auth.signing import sign_path
from server.models import ExportTask
from server.settings import Settings
from server.unavailable import is_unavailable
from server.webhooks.events import EVENTS
from server.webhooks.outbox import Claimed, Outcome, claim_due, record
from server.webhooks.targets import UnsafeTarget, resolve_safe

log = logging.getLogger("catalog_export.webhooks")
POLL_SECONDS = 0.5
LEASE_MARGIN = 5.0  # beyond the attempt's timeout, before another sender may retry the message
USER_AGENT = "catalog-export-webhooks"
E = ExportTask.__table__.c


class DownloadLinks(Protocol):
    """What the sender asks of the export storage (server.export.storage.ExportStorage): a direct link to a result."""

    async def download_url(self, task_id: str, errors: bool, ttl_seconds: int) -> str | None: ...


class WebhookSender:
    def __init__(self, engine: AsyncEngine, settings: Settings, storage: DownloadLinks, name: str) -> None:
        self.engine, self.settings, self.storage, self.name = engine, settings, storage, name
        self.wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None

    def start(self) -> None:
        limits = httpx.Limits(max_connections=self.settings.webhook_concurrency * 2, max_keepalive_connections=10)
        self._client = httpx.AsyncClient(follow_redirects=False, limits=limits, headers={"User-Agent": USER_AGENT})
        self._loop_task = asyncio.create_task(self._loop())

    def wake_up(self) -> None:
        self.wake.set()

    async def stop(self) -> None:
        """Attempts in flight are abandoned: their lease runs out and a sender tries again (same `webhook-id`)."""
        tasks = [t for t in (self._loop_task, *self._sending) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    async def _loop(self) -> None:
        while True:
            try:
                claimed = await self._claim()
            except Exception as exc:  # never let the sender die: exports go on, messages wait in the outbox
                if is_unavailable(exc):
                    log.warning("webhooks: database unavailable (%s); retrying", type(exc).__name__)
                else:
                    log.exception("webhooks: claiming messages failed; retrying")
                claimed = []
            for message in claimed:
                task = asyncio.create_task(self._deliver(message))
                self._sending.add(task)
                task.add_done_callback(self._done)
            if not claimed:
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), POLL_SECONDS)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        self.wake.set()  # a slot is free, and the endpoint may have its next message

    async def _claim(self) -> list[Claimed]:
        free = self.settings.webhook_concurrency - len(self._sending)
        if free <= 0:
            return []
        lease = self.settings.webhook_timeout_seconds + LEASE_MARGIN
        return await claim_due(self.engine, self.name, free, lease)

    async def _deliver(self, message: Claimed) -> None:
        outcome = await self._attempt(message)
        s = self.settings
        try:
            await record(self.engine, message, self.name, outcome, s.webhook_retry_seconds, s.webhook_max_attempts)
        except Exception as exc:  # the lease runs out and the message is sent again
            log.warning("webhooks: could not record the attempt of %s: %s", message.message_id, exc)

    async def _attempt(self, message: Claimed) -> Outcome:
        if not message.enabled:
            return Outcome(None, "the endpoint is disabled", final=True)
        timeout = self.settings.webhook_timeout_seconds
        try:
            await resolve_safe(message.url, self.settings.webhook_allowed_networks)
            body = await self._body(message)
            code = await asyncio.wait_for(self._post(message, body), timeout)
        except UnsafeTarget as exc:
            return Outcome(None, f"refused: {exc}", final=True)
        except TimeoutError:
            return Outcome(None, f"no complete answer within {timeout:g} s")
        except httpx.HTTPError as exc:
            return Outcome(None, f"{type(exc).__name__}: {exc}"[:500])
        return Outcome(code, None if 200 <= code < 300 else f"HTTP {code}")

    async def _post(self, message: Claimed, body: bytes) -> int:
        assert self._client is not None
        now = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": message.message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Signer(message.secret).sign(message.message_id, now, body.decode()),
        }
        cap = self.settings.webhook_max_response_bytes
        async with self._client.stream("POST", message.url, content=body, headers=headers) as response:
            read = 0
            async for chunk in response.aiter_raw():
                read += len(chunk)
                if read >= cap:
                    break  # the rest is not read: the connection is closed
            return response.status_code

    async def _body(self, message: Claimed) -> bytes:
        """The stored message, with fresh download links for an export event."""
        if EVENTS.get(message.event_type) is None:
            return message.payload.encode()
        envelope = orjson.loads(message.payload)
        envelope["data"] |= await self._links(message.subject)
        return orjson.dumps(envelope)

    async def _links(self, task_id: str) -> dict[str, Any]:
        async with self.engine.connect() as conn:
            status = (await conn.execute(select(E.status).where(E.id == task_id))).scalar()
        if status != "COMPLETE":
            return {"url": None, "errorsUrl": None}
        return {"url": await self._link(task_id, False), "errorsUrl": await self._link(task_id, True)}

    async def _link(self, task_id: str, errors: bool) -> str:
        ttl = self.settings.link_ttl_seconds
        direct = await self.storage.download_url(task_id, errors, ttl)
        if direct is not None:
            return direct
        path = f"/exports/{task_id}/errors.ndjson" if errors else f"/exports/{task_id}.ndjson"
        s = self.settings
        base = s.public_url or f"http://{s.host}:{s.port}"
        # signed only with a shared SECRET_KEY: a per-process secret would not be the servers'
        return base + (sign_path(s.secret_key.encode(), path, ttl) if s.secret_key else path)
