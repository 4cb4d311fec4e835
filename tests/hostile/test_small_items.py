"""The smaller hostile-input findings: huge numbers in signed links, security headers on GraphQL answers, Allow on
every 405, control characters in key names, ids echoed at any length, the Host header in links, signatures in the
access log."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from server.access_log import HideSignatures
from server.app import create_app
from server.auth.keys import create_key
from server.errors import CatalogError
from server.settings import Settings, replace
from tests.utils.client import http_client

NOBODY = "c" + "0" * 24


def coded(response: httpx.Response) -> list[tuple[str, str]]:
    return [(e["message"], e["extensions"]["code"]) for e in response.json()["errors"]]


async def test_signed_links_with_huge_numbers_are_refused_not_500(anon_client: httpx.AsyncClient) -> None:
    huge_exp = await anon_client.get(f"/exports/{NOBODY}.ndjson", params={"exp": "9" * 5000, "sig": "0"})
    assert huge_exp.status_code == 401
    assert coded(huge_exp) == [
        ("This export link is invalid or has expired; ask exportTask for a fresh `url`.", "UNAUTHENTICATED")
    ]


async def test_a_huge_offset_is_refused(client: httpx.AsyncClient) -> None:
    task = (await client.post("/graphql", json={"query": "mutation { exportDataRows { id } }"})).json()
    task_id = task["data"]["exportDataRows"]["id"]
    response = await client.get(f"/exports/{task_id}.ndjson", params={"offset": "9" * 5000})
    assert (response.status_code, coded(response)) == (
        400,
        [("offset must be a whole number of lines already read (0 or more).", "BAD_USER_INPUT")],
    )


@pytest.mark.parametrize("path", ["/graphql", "/labelbox/graphql"])
async def test_graphql_answers_carry_security_headers(client: httpx.AsyncClient, path: str) -> None:
    for response in (
        await client.post(path, json={"query": "{ __typename }"}),
        await client.post(path, content=b"{", headers={"content-type": "application/json"}),
    ):
        headers = {k: response.headers.get(k) for k in ("x-content-type-options", "x-frame-options", "cache-control")}
        assert headers == {"x-content-type-options": "nosniff", "x-frame-options": "DENY", "cache-control": "no-store"}


async def test_every_405_says_what_is_allowed(client: httpx.AsyncClient) -> None:
    stream = await client.put(f"/exports/{NOBODY}.ndjson")
    health = await client.post("/healthz")
    for response in (stream, health):  # Starlette lists them from a set: any order
        assert (response.status_code, set(response.headers["allow"].split(", "))) == (405, {"GET", "HEAD"})
    assert coded(stream)[0][1] == "BAD_USER_INPUT"


async def test_key_names_refuse_control_characters(engine: AsyncEngine, org_id: str) -> None:
    with pytest.raises(CatalogError, match="must not contain control characters"):
        await create_key(engine, org_id, "ops\x1b[2J")


async def test_ids_are_echoed_cut_short(client: httpx.AsyncClient) -> None:
    long_id = "x" * 5000
    query = "mutation($id: ID!) { cancelExportTask(id: $id) { id } }"
    body = (await client.post("/graphql", json={"query": query, "variables": {"id": long_id}})).json()
    assert body["errors"][0]["message"] == f"ExportTask {'x' * 64!r}... (5000 characters) does not exist."
    stream = await client.get(f"/exports/{long_id}.ndjson")
    assert stream.status_code == 404 and len(stream.text) < 300


async def test_links_use_the_public_url_not_the_host_header(settings: Settings) -> None:
    app: Starlette = create_app(replace(settings, public_url="https://catalog.example.com/"))
    async with app.router.lifespan_context(app):
        key = (await create_key(app.state.engine, app.state.organization_id, "k")).secret
        async with http_client(app, key) as http:
            query = "mutation { exportDataRows { url } }"
            body = (await http.post("/graphql", json={"query": query}, headers={"Host": "evil.example"})).json()
    assert body["data"]["exportDataRows"]["url"].startswith("https://catalog.example.com/exports/")


def test_the_access_log_hides_link_signatures() -> None:
    args = ("127.0.0.1:5000", "GET", f"/exports/{NOBODY}.ndjson?exp=1700000000&sig=abcdef0123&offset=2", "1.1", 200)
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', args, None)
    assert HideSignatures().filter(record)
    assert record.getMessage() == (
        f'127.0.0.1:5000 - "GET /exports/{NOBODY}.ndjson?exp=1700000000&sig=<hidden>&offset=2 HTTP/1.1" 200'
    )


@pytest.mark.parametrize("position", [-1, -(10**6), True, 1.5])
def test_a_rank_cursor_needs_a_position_of_zero_or_more(position: object) -> None:
    from server.loading.ranked import decode_rank_cursor, encode_rank_cursor

    assert decode_rank_cursor(encode_rank_cursor(3, NOBODY)) == (3, NOBODY)
    forged = encode_rank_cursor(position, NOBODY)  # type: ignore[arg-type]
    with pytest.raises(CatalogError, match="is not a cursor of a ranked result"):
        decode_rank_cursor(forged)
