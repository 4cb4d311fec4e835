"""Both GraphQL endpoints go through one request pipeline: the same document and variable limits, introspection
setting, authentication, export quota and coded JSON refusals (never plain text, never a 500); /labelbox/graphql
only re-labels codes for the SDK and takes POST alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from server.app import create_app
from server.auth.keys import create_key
from server.settings import Settings, replace
from tests.hostile.documents import nested_fragments
from tests.utils.client import http_client

ENDPOINTS = ["/graphql", "/labelbox/graphql"]
JSON = {"content-type": "application/json"}


@pytest.fixture
def settings(tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    base = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}", export_dir=tmp_path / "exports")
    return replace(
        base, max_aliases=3, max_query_depth=3, max_tokens=200, max_string_length=50, max_concurrent_exports=1
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(replace(settings, introspection=False))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    key = (await create_key(app.state.engine, app.state.organization_id, "k")).secret
    async with http_client(app, key) as http:
        yield http


def errors(response: httpx.Response) -> list[tuple[str, str]]:
    assert response.headers["content-type"].startswith("application/"), response.text
    return [(e["message"], e["extensions"]["code"]) for e in response.json()["errors"]]


async def post(client: httpx.AsyncClient, path: str, query: str, **variables: Any) -> httpx.Response:
    return await client.post(path, json={"query": query, "variables": variables})


@pytest.mark.parametrize("path", ENDPOINTS)
async def test_document_limits(client: httpx.AsyncClient, path: str) -> None:
    aliases = await post(client, path, "{ a: __typename b: __typename c: __typename d: __typename }")
    expanded = await post(client, path, nested_fragments(3, "a: __typename"))
    tokens = await post(client, path, "{ " + "__typename " * 250 + "}")
    long = await post(client, path, '{ __type(name: "%s") { name } }' % ("k" * 51))
    assert errors(aliases) == [("4 aliases found. Allowed: 3", "LIMIT_EXCEEDED")]
    assert errors(expanded) == [("1000 aliases found. Allowed: 3", "LIMIT_EXCEEDED")]
    assert errors(tokens) == [
        ("Syntax Error: Document contains more than 200 tokens. Parsing aborted.", "LIMIT_EXCEEDED")
    ]
    assert ("A string in the document is 51 characters long; inputs take at most 50.", "LIMIT_EXCEEDED") in errors(long)


@pytest.mark.parametrize("path", ENDPOINTS)
async def test_introspection_off_on_every_endpoint(client: httpx.AsyncClient, path: str) -> None:
    body = (await post(client, path, "{ __schema { queryType { name } } }")).json()
    assert (
        body["errors"][0]["message"]
        == "GraphQL introspection has been disabled, but the requested query contained the field '__schema'."
    )


@pytest.mark.parametrize("path", ENDPOINTS)
async def test_variables_are_checked(client: httpx.AsyncClient, path: str) -> None:
    query = "query($s: String) { __typename }"
    long, nul = await post(client, path, query, s="x" * 51), await post(client, path, query, s="a\x00b")
    assert (long.status_code, errors(long)) == (
        400,
        [("variables.s is 51 characters long; inputs take at most 50.", "LIMIT_EXCEEDED")],
    )
    assert nul.status_code == 400 and errors(nul)[0][1] == "BAD_USER_INPUT"


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize(
    "body",
    [
        b'{"query": "{ __typename }", "x": "\xff\xfe"}',  # invalid UTF-8
        b"5",
        b'"{ __typename }"',
        b'{"query": "{ __typename }", "variables": {"n": ' + b"9" * 5000 + b"}}",
        b'{"query": "{ __typename }", "variables": {"v": ' + b"[" * 5000 + b"]" * 5000 + b"}}",
        b"{",
    ],
    ids=["utf8", "number", "string", "huge-integer", "deep-variables", "truncated"],
)
async def test_malformed_bodies_get_a_coded_400(client: httpx.AsyncClient, path: str, body: bytes) -> None:
    response = await client.post(path, content=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert [code for _, code in errors(response)] == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    ("path", "code"), [("/graphql", "UNAUTHENTICATED"), ("/labelbox/graphql", "AUTHENTICATION_ERROR")]
)
async def test_no_key(app: Starlette, path: str, code: str) -> None:
    async with http_client(app) as anonymous:
        response = await post(anonymous, path, "{ __typename }")
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert [c for _, c in errors(response)] == [code]


async def test_labelbox_takes_post_only(client: httpx.AsyncClient) -> None:
    response = await client.get("/labelbox/graphql", params={"query": "{ __typename }"})
    assert (response.status_code, response.headers["allow"]) == (405, "POST")
    assert errors(response) == [("/labelbox/graphql answers POST, not GET.", "BAD_USER_INPUT")]


LABELBOX_EXPORT = "mutation { exportDataRowsInCatalog(input: {filters: null}) { taskId } }"


async def test_the_export_quota_counts_both_endpoints(app: Starlette, client: httpx.AsyncClient) -> None:
    await app.state.worker.stop()  # keep tasks QUEUED
    first = (await post(client, "/labelbox/graphql", LABELBOX_EXPORT)).json()
    assert "errors" not in first, first
    refused = [
        await post(client, "/labelbox/graphql", LABELBOX_EXPORT),
        await post(client, "/graphql", "mutation { exportDataRows { id } }"),
    ]
    message = (
        "1 exports are already queued or running (at most 1 at once); "
        "wait for one to finish or cancel one with cancelExportTask."
    )
    assert [errors(r) for r in refused] == [[(message, "LIMIT_EXCEEDED")]] * 2


def nested(levels: int, leaf: Any, key: str | None) -> Any:
    for _ in range(levels):
        leaf = [leaf] if key is None else {key: leaf}
    return leaf


FILTER_QUERY = "query($v: DataRowFilter) { dataRows(filter: $v) { nodes { id } } }"


@pytest.mark.parametrize(
    ("path", "query", "value", "step"),
    [
        ("/graphql", FILTER_QUERY, nested(900, {"ids": ["x"]}, "not"), ".not"),
        ("/graphql", "query($v: [String]) { __typename }", nested(900, "x", None), ".0"),
        ("/labelbox/graphql", "query($v: [String]) { __typename }", nested(900, "x", None), ".0"),
    ],
)
async def test_variables_nest_at_most_64_levels(
    client: httpx.AsyncClient, path: str, query: str, value: Any, step: str
) -> None:
    response = await post(client, path, query, v=value)
    at = "variables.v" + step * 64
    assert (response.status_code, errors(response)) == (
        400,
        [(f"{at} nests deeper than 64 levels; variables take at most that.", "LIMIT_EXCEEDED")],
    )


async def test_labelbox_mutations_answer_not_found(client: httpx.AsyncClient) -> None:
    """The SDK raises its ResourceNotFoundError on RESOURCE_NOT_FOUND for lookups; a mutation keeps NOT_FOUND."""
    query = 'mutation { exportDataRowsInProject(input: {filters: {projectId: "%s"}}) { taskId } }' % ("c" + "0" * 24)
    body = (await post(client, "/labelbox/graphql", query)).json()
    assert [e["extensions"] for e in body["errors"]] == [{"code": "NOT_FOUND", "field": "input.filters.projectId"}]
