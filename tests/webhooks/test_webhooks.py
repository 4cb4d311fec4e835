"""Webhooks against a real receiver on loopback that verifies Standard Webhooks signatures: endpoint management and
its refusals, export events with a working download URL, retries after 500s and timeouts with the same message id,
order per task, a receiver that never answers (nor delays another organization), the response cap, and an outbox
that survives a restart."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from starlette.applications import Starlette

from server.app import create_app
from server.auth.keys import create_key
from server.export.tasks import ExportRequest, create_task, set_task
from server.models.base import utcnow
from server.orgs import ensure_organization
from server.settings import Settings, replace
from server.webhooks.events import envelope
from server.webhooks.outbox import _insert, _row, enqueue_recent
from tests.factory import build
from tests.utils.client import EVERYTHING, GraphQLClient, http_client
from tests.utils.export_tasks import start_export
from tests.webhooks.receiver import OTHER_SECRET, SECRET, Receiver, start_receiver

CREATE = """mutation($url: String!, $events: [WebhookEvent!]!, $secret: String) {
  createWebhook(url: $url, events: $events, secret: $secret) { secret webhook { id url events enabled } }
}"""
UPDATE = """mutation($id: ID!, $events: [WebhookEvent!], $enabled: Boolean, $url: String) {
  updateWebhook(id: $id, events: $events, enabled: $enabled, url: $url) { id url events enabled }
}"""
LIST = "{ webhooks { id url events enabled } }"
DELETE = "mutation($id: ID!) { deleteWebhook(id: $id) }"
PING = "mutation($id: ID!) { testWebhook(id: $id) { id event status attempts } }"
DELIVERIES = """query($id: ID!, $first: Int, $after: String) {
  webhookDeliveries(webhookId: $id, first: $first, after: $after) {
    nodes { id event subject status attempts lastResponseCode lastError } hasNextPage endCursor
  }
}"""
CANCEL = "mutation($id: ID!) { cancelExportTask(id: $id) { status } }"
EXPORT_EVENTS = ["EXPORT_COMPLETED", "EXPORT_FAILED", "EXPORT_CANCELED"]


@asynccontextmanager
async def admin(settings: Settings, org: str = "demo") -> AsyncIterator[tuple[Starlette, GraphQLClient, str]]:
    """The app, a GraphQL client with an admin key of `org`, and that organization's id."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        organization_id = await ensure_organization(app.state.engine, org)
        key = (await create_key(app.state.engine, organization_id, "hooks", admin=True)).secret
        async with http_client(app, key) as http:
            yield app, GraphQLClient(http), organization_id


async def _hook(gql: GraphQLClient, url: str, events: list[str], secret: str = SECRET) -> str:
    created = (await gql.data(CREATE, {"url": url, "events": events, "secret": secret}))["createWebhook"]
    assert created["secret"] == secret
    return str(created["webhook"]["id"])


async def _deliveries(gql: GraphQLClient, hook_id: str) -> list[dict]:
    return (await gql.data(DELIVERIES, {"id": hook_id}))["webhookDeliveries"]["nodes"]


async def _settled(gql: GraphQLClient, hook_id: str, count: int = 1, seconds: float = 20) -> list[dict]:
    """The endpoint's deliveries once `count` of them are DELIVERED or FAILED."""
    deadline = time.monotonic() + seconds
    while True:
        nodes = await _deliveries(gql, hook_id)
        if sum(n["status"] != "PENDING" for n in nodes) >= count:
            return nodes
        assert time.monotonic() < deadline, nodes
        await asyncio.sleep(0.05)


async def test_endpoints_are_created_listed_updated_and_deleted(settings: Settings, receiver: Receiver) -> None:
    async with admin(settings) as (_, gql, _):
        made = (await gql.data(CREATE, {"url": receiver.url, "events": ["EXPORT_COMPLETED"]}))["createWebhook"]
        assert made["secret"].startswith("whsec_") and len(made["secret"]) == 38
        hook = made["webhook"]
        assert hook == {"id": hook["id"], "url": receiver.url, "events": ["EXPORT_COMPLETED"], "enabled": True}
        changed = await gql.data(UPDATE, {"id": hook["id"], "events": EXPORT_EVENTS, "enabled": False})
        assert changed["updateWebhook"]["events"] == ["EXPORT_CANCELED", "EXPORT_COMPLETED", "EXPORT_FAILED"]
        assert (await gql.data(LIST))["webhooks"] == [changed["updateWebhook"]]
        assert (await gql.data(DELETE, {"id": hook["id"]}))["deleteWebhook"] == hook["id"]
        assert (await gql.data(LIST))["webhooks"] == []
        missing = await gql.error(DELETE, {"id": hook["id"]})
    assert missing["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/hook", "`url` must be an http:// or https:// URL."),
        ("http://10.1.2.3/hook", "`url` is refused: 10.1.2.3 resolves to 10.1.2.3, an internal address; allow its "
         "network in WEBHOOK_ALLOWED_NETWORKS."),
        ("http://169.254.169.254/latest/meta-data", "`url` is refused: 169.254.169.254 resolves to 169.254.169.254, "
         "an internal address; allow its network in WEBHOOK_ALLOWED_NETWORKS."),
        ("http://[::1]:8000/hook", "`url` is refused: ::1 resolves to ::1, an internal address; allow its network in "
         "WEBHOOK_ALLOWED_NETWORKS."),
        ("http://user:pw@example.com/", "`url` must not carry a user name or password; sign with the webhook secret "
         "instead."),
    ],
)  # fmt: skip
async def test_unsafe_urls_are_refused(settings: Settings, url: str, message: str) -> None:
    async with admin(settings) as (_, gql, _):
        error = await gql.error(CREATE, {"url": url, "events": ["EXPORT_COMPLETED"]})
    assert (error["message"], error["extensions"]) == (message, {"code": "BAD_USER_INPUT", "field": "url"})


async def test_loopback_is_refused_unless_allowed(settings: Settings, receiver: Receiver) -> None:
    strict = replace(settings, webhook_allowed_networks=())
    async with admin(strict) as (_, gql, _):
        error = await gql.error(CREATE, {"url": receiver.url, "events": ["EXPORT_COMPLETED"]})
    assert error["message"].startswith("`url` is refused: 127.0.0.1 resolves to 127.0.0.1, an internal address")


async def test_only_admin_keys_manage_webhooks(settings: Settings, client: httpx.AsyncClient) -> None:
    error = await GraphQLClient(client).error(LIST)
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_bad_events_and_secrets_are_refused(settings: Settings, receiver: Receiver) -> None:
    async with admin(settings) as (_, gql, _):
        no_events = await gql.error(CREATE, {"url": receiver.url, "events": []})
        bad_secret = await gql.error(CREATE, {"url": receiver.url, "events": ["EXPORT_FAILED"], "secret": "hunter2"})
    assert no_events["extensions"]["field"] == "events"
    assert bad_secret["message"] == "`secret` must be `whsec_` + base64 of 24-64 random bytes."


async def test_a_completed_export_is_announced_signed_with_a_working_url(
    settings: Settings, receiver: Receiver
) -> None:
    shared = replace(settings, secret_key="shared-by-servers-and-workers")
    async with admin(shared) as (app, gql, org):
        hook = await _hook(gql, receiver.url, EXPORT_EVENTS)
        await build("export", app.state.engine, org, rows=6)
        task = await start_export(gql, EVERYTHING)
        [message] = await receiver.wait_for(1)
        nodes = await _settled(gql, hook)
        done = await gql.wait_export(task["id"])
        async with http_client(app) as anonymous:  # the signed link works without a key
            link = message.body["data"]["url"]
            assert link.startswith(f"http://127.0.0.1:8000/exports/{task['id']}.ndjson?exp=")
            body = (await anonymous.get(link.removeprefix("http://127.0.0.1:8000"))).content
    data = message.body["data"]
    assert message.body["type"] == "export.completed"
    assert {k: data[k] for k in ("taskId", "status", "rowCount", "errorCount", "sha256")} == {
        "taskId": task["id"], "status": "COMPLETE", "rowCount": 6, "errorCount": 0, "sha256": done["sha256"],
    }  # fmt: skip
    assert hashlib.sha256(body).hexdigest() == done["sha256"]
    assert receiver.refused == []
    assert nodes == [{"id": message.id, "event": "EXPORT_COMPLETED", "subject": task["id"], "status": "DELIVERED",
                      "attempts": 1, "lastResponseCode": 200, "lastError": None}]  # fmt: skip


async def test_a_canceled_export_is_announced_once(settings: Settings, receiver: Receiver) -> None:
    async with admin(settings) as (app, gql, _):
        await app.state.worker.stop()  # the task stays QUEUED until it is canceled
        hook = await _hook(gql, receiver.url, ["EXPORT_CANCELED"])
        task = await start_export(gql)
        assert (await gql.data(CANCEL, {"id": task["id"]}))["cancelExportTask"]["status"] == "CANCELED"
        await gql.data(CANCEL, {"id": task["id"]})  # canceling again queues nothing
        app.state.worker.webhooks.start()
        [message] = await receiver.wait_for(1)
        await asyncio.sleep(0.5)
        nodes = await _deliveries(gql, hook)
        await app.state.worker.webhooks.stop()
    assert (message.body["type"], message.body["data"]["status"]) == ("export.canceled", "CANCELED")
    assert len(receiver.messages) == 1 and [n["status"] for n in nodes] == ["DELIVERED"]


async def test_failures_are_retried_with_backoff_under_the_same_message_id(
    settings: Settings, receiver: Receiver
) -> None:
    receiver.answers = [500, "hang", 200]  # a server error, then no answer within the 1 s timeout, then success
    async with admin(settings) as (_, gql, _):
        hook = await _hook(gql, receiver.url, ["EXPORT_COMPLETED"])
        ping = (await gql.data(PING, {"id": hook}))["testWebhook"]
        assert (ping["event"], ping["status"], ping["attempts"]) == ("WEBHOOK_TEST", "PENDING", 0)
        messages = await receiver.wait_for(3)
        [node] = await _settled(gql, hook)
    assert [m.id for m in messages] == [ping["id"]] * 3
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(messages)]
    assert gaps[0] >= 0.2 and gaps[1] >= 1.0 + 0.4  # 0.2 s backoff; the 1 s timeout, then 0.4 s backoff
    assert (node["status"], node["attempts"], node["lastResponseCode"], node["lastError"]) == (
        "DELIVERED",
        3,
        200,
        None,
    )


async def test_a_receiver_that_never_answers_fails_and_delays_no_other_organization(settings: Settings) -> None:
    patient = replace(settings, webhook_timeout_seconds=4.0, webhook_max_attempts=2)
    silent, other = Receiver(answers=["hang"] * 5), Receiver(secret=OTHER_SECRET)
    runners = [await start_receiver(silent), await start_receiver(other)]
    try:
        async with admin(patient) as (app, gql_a, _):
            hook_a = await _hook(gql_a, silent.url, ["EXPORT_COMPLETED"])
            key_b = (await create_key(app.state.engine, await ensure_organization(app.state.engine, "other"), "b",
                                      admin=True)).secret  # fmt: skip
            async with http_client(app, key_b) as http_b:
                gql_b = GraphQLClient(http_b)
                hook_b = await _hook(gql_b, other.url, ["EXPORT_COMPLETED"], OTHER_SECRET)
                await gql_a.data(PING, {"id": hook_a})
                await silent.wait_for(1)
                await gql_b.data(PING, {"id": hook_b})
                await other.wait_for(1)
                [holding] = await _deliveries(gql_a, hook_a)  # A's first attempt is still waiting for an answer
                [failed] = await _settled(gql_a, hook_a)
    finally:
        for runner in runners:
            await runner.cleanup()
    assert (holding["status"], holding["attempts"]) == ("PENDING", 0)
    assert (failed["status"], failed["attempts"], failed["lastResponseCode"]) == ("FAILED", 2, None)
    assert failed["lastError"] == "no complete answer within 4 s"
    assert len(silent.messages) == 2


async def test_an_endless_answer_is_cut_at_the_size_cap(settings: Settings, receiver: Receiver) -> None:
    receiver.answers = ["endless"]
    async with admin(settings) as (_, gql, _):
        hook = await _hook(gql, receiver.url, ["EXPORT_COMPLETED"])
        await gql.data(PING, {"id": hook})
        [node] = await _settled(gql, hook)
    assert (node["status"], node["attempts"], node["lastResponseCode"]) == ("DELIVERED", 1, 200)


async def test_messages_of_one_task_arrive_in_order(settings: Settings, receiver: Receiver) -> None:
    """The second message of a subject waits until the first is delivered, even while the first is retried."""
    receiver.answers = [500, 500]
    async with admin(settings) as (app, gql, org):
        hook = await _hook(gql, receiver.url, ["EXPORT_COMPLETED"])
        now = utcnow()
        rows = [_row(hook, org, kind, "ctask0000000000000000000a", envelope(kind, now, {"n": n}), f"msg_order{n}")
                for n, kind in enumerate(["export.failed", "export.completed"])]  # fmt: skip
        async with app.state.engine.begin() as conn:
            await _insert(conn, rows)
        messages = await receiver.wait_for(4)
    assert [m.id for m in messages] == ["msg_order0", "msg_order0", "msg_order0", "msg_order1"]


async def test_pending_deliveries_survive_a_restart_and_are_not_sent_twice(settings: Settings) -> None:
    receiver = Receiver()
    runner = await start_receiver(receiver)
    url = receiver.url
    await runner.cleanup()  # the receiver is down: every attempt is refused
    slow = replace(settings, webhook_retry_seconds=0.5, webhook_max_attempts=8)
    async with admin(slow) as (_, gql, _):
        hook = await _hook(gql, url, ["EXPORT_COMPLETED"])
        ping = (await gql.data(PING, {"id": hook}))["testWebhook"]
        deadline = time.monotonic() + 10
        while (await _deliveries(gql, hook))[0]["attempts"] < 1:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
    [before] = await _after_restart(slow, hook, url, receiver)
    assert before["id"] == ping["id"] and before["status"] == "DELIVERED" and before["attempts"] >= 2
    assert before["lastError"] is None and "ConnectError" not in str(before)
    assert [m.id for m in receiver.messages] == [ping["id"]]  # once, with the id of the attempts before


async def _after_restart(settings: Settings, hook: str, url: str, receiver: Receiver) -> list[dict]:
    from aiohttp import web

    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", int(url.rsplit(":", 1)[1].split("/")[0])).start()
    try:
        async with admin(settings) as (_, gql, _):
            await receiver.wait_for(1)
            nodes = await _settled(gql, hook)
            await asyncio.sleep(1.0)  # a duplicate would arrive meanwhile
            return nodes
    finally:
        await runner.cleanup()


async def test_the_sweep_queues_a_finished_tasks_missing_event_once(settings: Settings, receiver: Receiver) -> None:
    """A task stored COMPLETE whose event was never queued (a crash between the two) is announced by the worker's
    sweep, once however often it runs; an endpoint made after the task ended gets nothing."""
    async with admin(settings) as (app, gql, org):
        await app.state.worker.stop()  # no export loop to claim the task: only the sender runs
        app.state.worker.webhooks.start()
        hook = await _hook(gql, receiver.url, ["EXPORT_COMPLETED"])
        task_id = await create_task(app.state.engine, org, ExportRequest())
        await set_task(app.state.engine, task_id, status="COMPLETE", completed_at=utcnow(), row_count=0)
        late = await _hook(gql, receiver.url, ["EXPORT_COMPLETED"])
        await enqueue_recent(app.state.engine)
        await enqueue_recent(app.state.engine)
        [message] = await receiver.wait_for(1)
        await asyncio.sleep(0.5)
        assert await _deliveries(gql, late) == []
        [node] = await _settled(gql, hook)
        await app.state.worker.webhooks.stop()
    assert (message.body["type"], message.body["data"]["taskId"]) == ("export.completed", task_id)
    assert len(receiver.messages) == 1 and node["status"] == "DELIVERED"
