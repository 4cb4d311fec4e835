"""Two organizations: each key sees and changes only its own; the other's ids answer NOT_FOUND or nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette

from server.auth.signing import sign_path
from tests.factory.tenants import Tenant, make_tenant
from tests.utils.client import http_client

EXPORT = "mutation($ids: [ID!]) { exportDataRows(dataRowIds: $ids) { id url errorsUrl } }"
TASK = "query($id: ID!) { exportTask(id: $id) { id status } }"


async def gql(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()


async def finished_export(http: httpx.AsyncClient, ids: list[str] | None = None) -> dict[str, Any]:
    task = (await gql(http, EXPORT, ids=ids))["data"]["exportDataRows"]
    for _ in range(400):
        if (await gql(http, TASK, id=task["id"]))["data"]["exportTask"]["status"] == "COMPLETE":
            return task
        await asyncio.sleep(0.025)
    raise AssertionError(task)


@pytest.fixture
async def tenants(app: Starlette) -> tuple[Tenant, Tenant]:
    return await make_tenant(app.state.engine, "acme"), await make_tenant(app.state.engine, "bolt")


def not_found(kind: str, ident: str, field: str) -> dict[str, Any]:
    return {"message": f"{kind} {ident!r} does not exist.", "code": "NOT_FOUND", "field": field}


def first_error(body: dict[str, Any]) -> dict[str, Any]:
    error = body["errors"][0]
    return {"message": error["message"], **error["extensions"]}


async def test_reads_of_another_organizations_ids_find_nothing(app: Starlette, tenants: tuple[Tenant, Tenant]) -> None:
    acme, bolt = tenants
    async with http_client(app, acme.key) as http:
        rows = await gql(
            http, "query($f: DataRowFilter) { dataRows(filter: $f) { nodes { id } } }", f={"ids": list(bolt.row_ids)}
        )
        one = await gql(http, "query($id: ID) { dataRow(id: $id) { id } }", id=bolt.row_ids[0])
        by_key = await gql(http, "query($k: String) { dataRow(globalKey: $k) { id } }", k=bolt.global_keys[0])
        sliced = await gql(http, "query($s: ID) { dataRows(slice: $s) { nodes { id } } }", s=bolt.slice_id)
        own = await gql(http, "{ dataRows { nodes { id } } }")
    assert rows["data"]["dataRows"]["nodes"] == []
    assert one == {"data": {"dataRow": None}} and by_key == {"data": {"dataRow": None}}
    assert first_error(sliced) == not_found("Slice", bolt.slice_id, "slice")
    assert sorted(n["id"] for n in own["data"]["dataRows"]["nodes"]) == sorted(acme.row_ids)


async def test_exports_of_another_organization_are_not_found(app: Starlette, tenants: tuple[Tenant, Tenant]) -> None:
    acme, bolt = tenants
    async with http_client(app, bolt.key) as bolt_http, http_client(app, acme.key) as acme_http:
        task = await finished_export(bolt_http)
        seen = await gql(acme_http, TASK, id=task["id"])
        cancel = await gql(acme_http, "mutation($id: ID!) { cancelExportTask(id: $id) { id } }", id=task["id"])
        stream = await acme_http.get(f"/exports/{task['id']}.ndjson")
        errors = await acme_http.get(f"/exports/{task['id']}/errors.ndjson")
        theirs = await finished_export(acme_http, list(bolt.row_ids))
        lines = (await acme_http.get(theirs["url"])).text
    assert first_error(seen) == not_found("ExportTask", task["id"], "id")
    assert first_error(cancel) == not_found("ExportTask", task["id"], "id")
    for response in (stream, errors):
        assert response.status_code == 404
        assert response.json()["errors"][0]["extensions"] == {"code": "NOT_FOUND"}
    assert lines == ""


async def test_stream_needs_the_key_or_a_valid_signed_link(app: Starlette, tenants: tuple[Tenant, Tenant]) -> None:
    acme, _ = tenants
    async with http_client(app, acme.key) as http:
        task = await finished_export(http)
        keyed = await http.get(f"/exports/{task['id']}.ndjson")
    path = f"/exports/{task['id']}.ndjson"
    secret = app.state.link_secret
    async with http_client(app) as anonymous:
        signed = await anonymous.get(task["url"])
        resumed = await anonymous.get(task["url"] + "&offset=2")
        bare = await anonymous.get(path)
        tampered = await anonymous.get(task["url"].replace("sig=", "sig=0"))
        expired = await anonymous.get(sign_path(secret, path, ttl_seconds=-1))
        other_path = await anonymous.get(task["url"].replace(".ndjson?", "/errors.ndjson?"))
    assert keyed.status_code == signed.status_code == 200
    assert sorted(orjson.loads(line)["data_row"]["id"] for line in signed.text.splitlines()) == sorted(acme.row_ids)
    assert signed.text == keyed.text and resumed.text == signed.text.split("\n", 2)[2]
    assert bare.status_code == 401 and bare.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    for response in (tampered, expired, other_path):
        assert response.status_code == 401
        assert response.json()["errors"][0] == {
            "message": "This export link is invalid or has expired; ask exportTask for a fresh `url`.",
            "extensions": {"code": "UNAUTHENTICATED"},
        }


async def test_key_mutations_need_an_admin_key_of_the_same_organization(
    app: Starlette, tenants: tuple[Tenant, Tenant]
) -> None:
    acme, bolt = tenants
    create = (
        "mutation($n: String!, $a: Boolean!) { createApiKey(name: $n, admin: $a) { key apiKey { id name admin } } }"
    )
    revoke = "mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }"
    async with http_client(app, acme.key) as member, http_client(app, acme.admin_key) as admin:
        forbidden = await gql(member, create, n="x", a=False)
        created = (await gql(admin, create, n="ci", a=False))["data"]["createApiKey"]
        blank = await gql(admin, create, n="  ", a=False)
    assert first_error(forbidden) == {
        "message": "Only admin keys can manage API keys; ask an admin of your organization.",
        "code": "FORBIDDEN",
    }
    assert created["apiKey"]["name"] == "ci" and created["apiKey"]["admin"] is False
    assert first_error(blank) == {
        "message": "`name` must be 1 to 200 characters.",
        "code": "BAD_USER_INPUT",
        "field": "name",
    }
    new_id = created["apiKey"]["id"]
    async with http_client(app, created["key"]) as new, http_client(app, bolt.admin_key) as other:
        rows = await gql(new, "{ dataRows { nodes { id } } }")
        cross = await gql(other, revoke, id=new_id)
        still = await gql(new, "{ dataRows { nodes { id } } }")
    assert sorted(n["id"] for n in rows["data"]["dataRows"]["nodes"]) == sorted(acme.row_ids)
    assert first_error(cross) == not_found("API key", new_id, "id")
    assert "errors" not in still
    async with http_client(app, acme.admin_key) as admin, http_client(app, created["key"]) as new:
        done = (await gql(admin, revoke, id=new_id))["data"]["revokeApiKey"]
        refused = await new.post("/graphql", json={"query": "{ dataRows { nodes { id } } }"})
    assert done["id"] == new_id and done["revokedAt"] is not None
    assert refused.status_code == 401
