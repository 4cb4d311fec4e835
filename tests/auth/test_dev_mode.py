"""--dev: anonymous loopback requests act as `demo`, GraphiQL carries its key; GraphiQL, introspection, CORS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from graphql import get_introspection_query
from starlette.applications import Starlette

from server.app import create_app, dev_key_name
from server.auth.keys import KeyInfo, create_key, list_keys
from server.cli import main
from server.settings import Settings, replace
from tests.factory.tenants import make_tenant
from tests.utils.client import http_client

ROWS = {"query": "{ dataRows { nodes { globalKey } } }"}
HTML = {"accept": "text/html"}


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Starlette]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


async def test_dev_mode_serves_loopback_anonymously_as_demo(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running(replace(settings, dev=True)) as app:
        printed = capsys.readouterr().err.strip().rsplit(" ", 1)[1]
        assert printed == app.state.dev_key and printed.startswith("ce_")
        await make_tenant(app.state.engine, "demo", rows=2)
        await make_tenant(app.state.engine, "other", rows=1)
        for host in ("127.0.0.1", "::1"):
            async with http_client(app, host=host) as http:
                body = (await http.post("/graphql", json=ROWS)).json()
            assert sorted(n["globalKey"] for n in body["data"]["dataRows"]["nodes"]) == ["demo-row-0", "demo-row-1"]
        async with http_client(app, host="192.0.2.7") as http:
            response = await http.post("/graphql", json=ROWS)
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
        async with http_client(app, printed, host="192.0.2.7") as http:
            assert (await http.post("/graphql", json=ROWS)).status_code == 200


async def test_each_dev_server_has_its_own_key_revoked_when_it_stops(settings: Settings) -> None:
    dev = replace(settings, dev=True)
    async with running(dev) as app:
        first = app.state.dev_key
        async with running(replace(dev, port=8001)) as other:  # a second server on another port
            second = other.state.dev_key
            live = {k.prefix for k in await list_keys(app.state.engine) if k.revoked_at is None}
            assert {first[:10], second[:10]} <= live
        keys = {k.prefix: k for k in await list_keys(app.state.engine)}
        assert keys[first[:10]].revoked_at is None and keys[second[:10]].revoked_at is not None
        async with http_client(app, first) as http:
            assert (await http.post("/graphql", json=ROWS)).status_code == 200
    assert [k.revoked_at is not None for k in await keys_of(dev, first)] == [True]


async def keys_of(settings: Settings, secret: str) -> list[KeyInfo]:
    async with running(replace(settings, dev=False)) as app:
        return [k for k in await list_keys(app.state.engine) if k.prefix == secret[:10]]


async def test_a_killed_dev_servers_key_is_revoked_by_the_next_on_its_address(settings: Settings) -> None:
    dev = replace(settings, dev=True)
    async with running(replace(dev, dev=False)) as app:
        org = app.state.organization_id
        left = await create_key(app.state.engine, org, dev_key_name(dev), admin=True)  # its server never stopped
        elsewhere = await create_key(app.state.engine, org, dev_key_name(replace(dev, port=9)), admin=True)
    async with running(dev) as app:
        keys = {k.id: k for k in await list_keys(app.state.engine)}
    assert keys[left.info.id].revoked_at is not None and keys[elsewhere.info.id].revoked_at is None


async def test_graphiql_prefills_the_key_only_for_loopback_in_dev_mode(settings: Settings) -> None:
    async with running(replace(settings, dev=True)) as app:
        key = app.state.dev_key
        async with http_client(app) as local, http_client(app, host="192.0.2.7") as remote:
            local_html = (await local.get("/graphql", headers=HTML)).text
            remote_html = (await remote.get("/graphql", headers=HTML)).text
    assert f'const headers = {{"Authorization":"Bearer {key}"}};' in local_html
    assert key not in remote_html and "const headers = {};" in remote_html


async def test_without_dev_nothing_is_anonymous_even_from_loopback(app: Starlette) -> None:
    assert app.state.dev_key is None
    async with http_client(app) as http:
        assert (await http.post("/graphql", json=ROWS)).status_code == 401
        assert "const headers = {};" in (await http.get("/graphql", headers=HTML)).text


async def test_graphiql_and_introspection_can_be_turned_off(settings: Settings) -> None:
    async with running(replace(settings, graphiql=False, introspection=False)) as app:
        key = (await create_key(app.state.engine, app.state.organization_id, "t")).secret
        async with http_client(app, key) as http:
            ide = await http.get("/graphql", headers=HTML)
            schema = (await http.post("/graphql", json={"query": "{ __schema { types { name } } }"})).json()
    assert ide.status_code == 404
    assert ide.json()["errors"][0] == {
        "message": "GraphiQL is turned off on this server.",
        "extensions": {"code": "NOT_FOUND"},
    }
    assert schema["data"] is None
    assert schema["errors"][0]["message"] == (
        "GraphQL introspection has been disabled, but the requested query contained the field '__schema'."
    )
    assert schema["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_cors_allows_only_configured_origins(settings: Settings) -> None:
    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type",
    }
    async with running(replace(settings, cors_origins=("https://app.example",))) as app, http_client(app) as http:
        allowed = await http.options("/graphql", headers={"origin": "https://app.example", **preflight})
        denied = await http.options("/graphql", headers={"origin": "https://evil.example", **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert denied.status_code == 400 and "access-control-allow-origin" not in denied.headers
    assert denied.headers["content-type"] == "application/json"
    assert denied.json()["errors"] == [
        {
            "message": "CORS preflight from https://evil.example refused: its origin is not allowed. Origins are listed"
            " in CORS_ORIGINS; methods GET and POST; headers Authorization, Content-Type, Accept.",
            "extensions": {"code": "BAD_USER_INPUT"},
        }
    ]


def test_serve_dev_refuses_a_public_address_before_touching_a_database(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///./catalog.db")
    assert main(["serve", "--dev", "--host", "0.0.0.0"]) == 2
    assert capsys.readouterr().err == "error: --dev serves anonymous requests; bind it to loopback, not 0.0.0.0.\n"
    assert list(tmp_path.iterdir()) == []


async def test_graphiql_introspection_fits_the_default_limits(client: httpx.AsyncClient) -> None:
    query = get_introspection_query(descriptions=True, input_value_deprecation=True)
    body = (await client.post("/graphql", json={"query": query})).json()
    assert "errors" not in body and body["data"]["__schema"]["queryType"]["name"] == "Query"
