"""Every configurable limit answers LIMIT_EXCEEDED (or 413/429) with a message naming the limit, and writes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from strawberry.extensions.validation_cache import DEFAULT_MAXSIZE, _get_validate_cache

from server.app import create_app
from server.auth.keys import create_key
from server.orgs import ensure_organization
from server.settings import Settings, replace
from tests.hostile.documents import nested_fragments
from tests.utils.client import http_client
from tests.utils.snapshot import table_counts

ROWS = "{ dataRows { nodes { id } } }"


@pytest.fixture
def settings(tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    base = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}", export_dir=tmp_path / "exports")
    return replace(
        base,
        max_query_depth=3,
        max_aliases=3,
        max_tokens=60,
        max_string_length=50,
        max_body_bytes=4000,
        max_body_objects=40,
        max_concurrent_exports=2,
    )


def limited(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["message"], e["extensions"]["code"]) for e in body["errors"]]


async def post(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    return (await client.post("/graphql", json={"query": query, "variables": variables})).json()


async def test_query_depth(client: httpx.AsyncClient) -> None:
    deep = "query Deep { dataRows { edges { node { details { createdAt } } } } }"
    assert limited(await post(client, deep)) == [("'Deep' exceeds maximum operation depth of 3", "LIMIT_EXCEEDED")]
    assert "errors" not in await post(client, "{ dataRows { edges { node { id } } } }")


async def test_a_repeated_document_is_validated_once_with_the_limits(client: httpx.AsyncClient) -> None:
    """The limit rules are the same classes every request, so the validation cache answers the second time."""
    cache = _get_validate_cache(DEFAULT_MAXSIZE)
    deep = "query Deep { dataRows { edges { node { details { updatedAt } } } } }"
    for _ in range(2):
        before = cache.cache_info()
        assert limited(await post(client, deep)) == [("'Deep' exceeds maximum operation depth of 3", "LIMIT_EXCEEDED")]
    after = cache.cache_info()
    assert (after.hits - before.hits, after.misses - before.misses) == (1, 0)


async def test_aliases(client: httpx.AsyncClient) -> None:
    body = await post(client, "{ a: __typename b: __typename c: __typename d: __typename }")
    assert limited(body) == [("4 aliases found. Allowed: 3", "LIMIT_EXCEEDED")]


async def test_tokens(client: httpx.AsyncClient) -> None:
    body = await post(client, "{ " + "__typename " * 70 + "}")
    message = "Syntax Error: Document contains more than 60 tokens. Parsing aborted."
    assert limited(body) == [(message, "LIMIT_EXCEEDED")]


async def test_string_literals_in_the_document(client: httpx.AsyncClient) -> None:
    body = await post(client, '{ dataRow(globalKey: "%s") { id } }' % ("k" * 51))
    message = "A string in the document is 51 characters long; inputs take at most 50."
    assert limited(body) == [(message, "LIMIT_EXCEEDED")]


async def test_strings_in_variables(client: httpx.AsyncClient) -> None:
    query = "query($f: DataRowFilter) { dataRows(filter: $f) { nodes { id } } }"
    response = await client.post("/graphql", json={"query": query, "variables": {"f": {"globalKeys": ["a", "b" * 51]}}})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "message": "variables.f.globalKeys.1 is 51 characters long; inputs take at most 50.",
            "extensions": {"code": "LIMIT_EXCEEDED", "field": "variables.f.globalKeys.1"},
        }
    ]


async def test_page_size(client: httpx.AsyncClient) -> None:
    body = await post(client, "{ dataRows(first: 1001) { nodes { id } } }")
    assert body["errors"][0]["extensions"] == {"code": "LIMIT_EXCEEDED", "field": "first"}


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), 1000):
        yield data[start : start + 1000]


async def test_request_body_size(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    before = await table_counts(engine)
    big = b'{"query": "mutation { exportDataRows { id } }", "pad": "' + b"x" * 4000 + b'"}'
    message = "Request body is larger than 4000 bytes; send less per request."
    declared = await client.post("/graphql", content=big, headers={"content-type": "application/json"})
    streamed = await client.post("/graphql", content=_chunks(big), headers={"content-type": "application/json"})
    for response in (declared, streamed):
        assert response.status_code == 413
        assert limited(response.json()) == [(message, "LIMIT_EXCEEDED")]
    assert await table_counts(engine) == before
    just_fits = await client.post("/graphql", content=_chunks(b'{"query": "%s"}' % ROWS.encode()))
    assert just_fits.status_code == 415  # read in full, then judged on its (missing) content type


def _body(lists: int, padding: int = 0) -> bytes:
    """A GraphQL request body holding lists + 3 '{' and '[' characters (its object, the variables, the query's
    selection and `lists` nested lists), and `padding` more inside a string."""
    variables = b"[" * lists + b"]" * lists
    return b'{"query": "{ __typename }", "pad": "%s", "variables": {"v": %s}}' % (b"{" * padding, variables)


@pytest.mark.parametrize("path", ["/graphql", "/labelbox/graphql"])
async def test_json_objects_per_body(client: httpx.AsyncClient, engine: AsyncEngine, path: str) -> None:
    before = await table_counts(engine)
    headers = {"content-type": "application/json"}
    too_many = await client.post(path, content=_body(38), headers=headers)
    assert too_many.status_code == 413, too_many.text
    message = (
        "The request holds 41 JSON objects and arrays (counting '{' and '[' characters); one request takes at most 40."
        " Send less per request."
    )
    assert limited(too_many.json()) == [(message, "LIMIT_EXCEEDED")]
    in_a_string = await client.post(path, content=_body(0, padding=38), headers=headers)
    assert in_a_string.status_code == 413  # counted before parsing: characters in strings count too
    fits = await client.post(path, content=_body(37), headers=headers)
    assert fits.status_code == 200, fits.text
    assert fits.json()["data"] == {"__typename": "Query"}
    assert await table_counts(engine) == before


async def test_concurrent_exports_per_organization(
    app: Starlette, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await app.state.worker.stop()  # keep tasks QUEUED
    export = "mutation { exportDataRows { id } }"
    first, _second = (await post(client, export))["data"], (await post(client, export))["data"]
    before = await table_counts(engine)
    third = await post(client, export)
    assert limited(third) == [
        (
            "2 exports are already queued or running (at most 2 at once); "
            "wait for one to finish or cancel one with cancelExportTask.",
            "LIMIT_EXCEEDED",
        )
    ]
    assert await table_counts(engine) == before
    other_org = (await create_key(engine, await ensure_organization(engine, "other"), "k")).secret
    async with http_client(app, other_org) as other:
        assert "errors" not in await post(other, export)
    await post(client, "mutation($id: ID!) { cancelExportTask(id: $id) { id } }", id=first["exportDataRows"]["id"])
    assert "errors" not in await post(client, export)


async def test_request_rate_per_key(settings: Settings) -> None:
    app = create_app(replace(settings, rate_limit_per_second=0.5, rate_limit_burst=2))
    async with app.router.lifespan_context(app):
        keys = [(await create_key(app.state.engine, app.state.organization_id, n)).secret for n in "ab"]
        async with http_client(app, keys[0]) as first, http_client(app, keys[1]) as second:
            statuses = [(await first.post("/graphql", json={"query": ROWS})).status_code for _ in range(3)]
            refused = await first.post("/graphql", json={"query": ROWS})
            other = await second.post("/graphql", json={"query": ROWS})
    assert statuses == [200, 200, 429]
    assert refused.status_code == 429 and refused.headers["retry-after"] == "2"
    assert limited(refused.json()) == [
        ("Too many requests for this key (at most 0.5/s, bursts of 2); retry in 2 s.", "LIMIT_EXCEEDED")
    ]
    assert other.status_code == 200


DEEP = "dataRows { edges { node { details { createdAt } } } }"


async def test_nested_fragments_are_validated_without_expanding_them(settings: Settings) -> None:
    app = create_app(replace(settings, max_tokens=5000, max_aliases=30, max_query_depth=3))
    async with app.router.lifespan_context(app):
        key = (await create_key(app.state.engine, app.state.organization_id, "k")).secret
        async with http_client(app, key) as client:
            plain = await post(client, nested_fragments(8, "__typename"))
            aliased = await post(client, nested_fragments(8, "a: __typename"))
            deep = await post(client, nested_fragments(8, DEEP))
    assert plain == {"data": {"__typename": "Query"}}
    assert limited(aliased) == [("100000000 aliases found. Allowed: 30", "LIMIT_EXCEEDED")]
    assert limited(deep) == [("'Q' exceeds maximum operation depth of 3", "LIMIT_EXCEEDED")]


def test_tokens_are_counted_as_the_parser_counts_them() -> None:
    """The token rule refuses exactly where graphql-core's own max_tokens would stop (comments count), and reads no
    further than the token past the limit."""
    from graphql import GraphQLSyntaxError, parse

    from resolvers.limits import token_overflow

    for document in ("{ " + "__typename " * 60 + "}", "#c\n" * 100 + "{ a }", "{ a(s: [" + '"x", ' * 90 + "]) }"):
        for most in (40, 61, 62, 101, 200):
            try:
                parse(document, max_tokens=most)
                expected = None
            except GraphQLSyntaxError as error:
                expected = error.positions[0] if error.positions else None
            assert token_overflow(document, most) == expected, (document[:20], most)
    assert token_overflow("{ a b }", 3) == 6 and token_overflow("{ a b }", 4) is None
    assert token_overflow("{ a" + " " * 100 + "\u0000 }", 10) is None  # not lexable: the parser reports it
    huge = "{ " + "a " * 2_000_000 + "}"
    assert token_overflow(huge, 5) == len("{ a a a a ")
