"""API keys: format, stored only as a hash, and every way a request can fail to authenticate."""

from __future__ import annotations

import asyncio
import hashlib

import httpx
import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from server.app import create_app
from server.auth.keys import create_key, lookup_key, revoke_key
from server.cli import main
from server.models import ApiKey
from server.settings import Settings, replace
from tests.utils.client import http_client
from tests.utils.statements import count_statements

ROWS = "{ dataRows { nodes { id } } }"
NO_KEY = (
    "This request has no API key. Send `Authorization: Bearer <key>`; "
    "`catalog-export keys create --org NAME` prints a new key."
)
BAD_KEY = (
    "This API key is unknown or has been revoked. Send `Authorization: Bearer <key>`; "
    "`catalog-export keys create --org NAME` prints a new key."
)


async def test_keys_are_random_and_stored_only_as_sha256(engine: AsyncEngine, org_id: str) -> None:
    first, second = await create_key(engine, org_id, "a"), await create_key(engine, org_id, "b")
    assert first.secret.startswith("ce_") and len(first.secret) == 46 and first.secret != second.secret
    async with engine.connect() as conn:
        rows = (await conn.execute(select(ApiKey.__table__))).all()  # type: ignore[attr-defined]
    stored = {r.name: r for r in rows}
    assert stored["a"].hash == hashlib.sha256(first.secret.encode()).hexdigest()
    assert stored["a"].prefix == first.secret[:10]
    assert all(first.secret not in str(tuple(r)) for r in rows)
    assert (await lookup_key(engine, first.secret)).id == first.info.id  # type: ignore[union-attr]


async def test_authenticated_request_sees_its_organization(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": ROWS})
    assert response.status_code == 200
    assert response.json() == {"data": {"dataRows": {"nodes": []}}}


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (None, NO_KEY),
        ("Bearer ce_not-a-key", BAD_KEY),
        ("Bearer ", "The Authorization header is not a bearer token. " + NO_KEY.split(". ", 1)[1]),
        ("Basic dXNlcjpwYXNz", "The Authorization header is not a bearer token. " + NO_KEY.split(". ", 1)[1]),
    ],
)
async def test_missing_wrong_or_malformed_key_is_unauthenticated(
    anon_client: httpx.AsyncClient, authorization: str | None, message: str
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = await anon_client.post("/graphql", json={"query": ROWS}, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]}


REVOKE = "mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }"


async def test_a_key_revoked_through_the_api_is_refused_at_once(
    app: Starlette, engine: AsyncEngine, org_id: str
) -> None:
    key, admin = await create_key(engine, org_id, "soon gone"), await create_key(engine, org_id, "admin", admin=True)
    async with http_client(app, key.secret) as http, http_client(app, admin.secret) as admin_http:
        assert (await http.post("/graphql", json={"query": ROWS})).status_code == 200  # now remembered
        revoked = await admin_http.post("/graphql", json={"query": REVOKE, "variables": {"id": key.info.prefix}})
        assert revoked.json()["data"]["revokeApiKey"]["revokedAt"] is not None
        response = await http.post("/graphql", json={"query": ROWS})
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == BAD_KEY


async def test_a_key_revoked_elsewhere_is_refused_once_remembered_for_api_key_cache_seconds(settings: Settings) -> None:
    """Revoked as the CLI does, outside this server: the cache entry expires (0: no cache, refused at once)."""
    for seconds in (0.0, 0.2):
        app = create_app(replace(settings, export_worker_mode="none", api_key_cache_seconds=seconds))
        async with app.router.lifespan_context(app):
            key = await create_key(app.state.engine, app.state.organization_id, "revoked elsewhere")
            async with http_client(app, key.secret) as http:
                assert (await http.post("/graphql", json={"query": ROWS})).status_code == 200
                assert (await revoke_key(app.state.engine, key.info.prefix)).revoked_at is not None
                await asyncio.sleep(seconds)
                response = await http.post("/graphql", json={"query": ROWS})
        assert response.status_code == 401, seconds
        assert response.json()["errors"][0]["message"] == BAD_KEY


def test_cli_creates_lists_and_revokes_keys(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    db = ["--database-url", f"sqlite:///{tmp_path / 'keys.db'}"]
    assert main(["keys", *db, "create", "--org", "acme", "--admin", "--name", "ci"]) == 0
    out = capsys.readouterr()
    secret = out.out.strip()
    assert secret.startswith("ce_") and secret[:10] in out.err and " ci  admin " in out.err
    assert main(["keys", *db, "list"]) == 0
    listed = capsys.readouterr().out
    assert secret[:10] in listed and listed.rstrip().endswith("live") and secret not in listed
    assert main(["keys", *db, "revoke", secret[:10]]) == 0
    assert " revoked " in capsys.readouterr().out
    assert main(["keys", *db, "revoke", "ce_nothing"]) == 1
    assert capsys.readouterr().err == "error: API key 'ce_nothing' does not exist.\n"


async def test_authentication_costs_one_statement_per_key_then_none(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    seen: list[str] = []

    def before(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        await client.post("/graphql", json={"query": "{ __typename }"})
        lookups = [s for s in seen if "FROM apikey" in s]
        assert len(lookups) == 1 and lookups[0].startswith("SELECT apikey.id")
        seen.clear()
        with count_statements(engine) as counter:
            await client.post("/graphql", json={"query": "{ __typename }"})
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)
    assert not [s for s in seen if "apikey" in s]  # remembered (server.auth.key_cache)
    assert counter.statements == []
