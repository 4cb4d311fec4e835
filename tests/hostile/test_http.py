"""Malformed requests at /graphql: each gets a coded JSON error with the right status, never a 500, nothing written."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.utils.snapshot import table_counts

JSON = {"content-type": "application/json"}
GQL_RESPONSE = "application/graphql-response+json"
NOT_OBJECT = 'Expected a JSON object such as {"query": "{ dataRows { nodes { id } } }"}.'
EXPORT = '{"query": "mutation { exportDataRows { id } }"}'


def coded(response: httpx.Response) -> tuple[int, str, str]:
    error = response.json()["errors"][0]
    return response.status_code, error["extensions"]["code"], error["message"]


UNPARSABLE = "Unable to parse request body as JSON"
MUTATION = b'"query": "mutation { exportDataRows { id } }"'
# name -> (body, message); each is a 400 BAD_USER_INPUT.
BAD_BODIES: dict[str, tuple[bytes, str]] = {
    "truncated JSON": (b"{" + MUTATION, UNPARSABLE),
    "invalid UTF-8": (b"{" + MUTATION + b', "x": "\xff\xfe"}', UNPARSABLE),
    "lone surrogate": (b'{"query": "{ dataRow(globalKey: \\"\\ud800\\") { id } }"}', UNPARSABLE),
    "empty body": (b"", UNPARSABLE),
    "JSON array (batch)": (b"[" + EXPORT.encode() + b"]", "Batching is not enabled"),
    "JSON string": (b'"mutation { exportDataRows { id } }"', NOT_OBJECT),
    "query is a number": (b'{"query": 5}', "The GraphQL operation's `query` must be a string or null, if provided."),
    "variables is a list": (
        b"{" + MUTATION + b', "variables": [1]}',
        "The GraphQL operation's `variables` must be an object or null, if provided.",
    ),
    "no query": (b'{"variables": {}}', "No GraphQL query found in the request"),
}


@pytest.mark.parametrize("name", sorted(BAD_BODIES))
async def test_malformed_bodies_get_coded_400s(client: httpx.AsyncClient, engine: AsyncEngine, name: str) -> None:
    body, message = BAD_BODIES[name]
    before = await table_counts(engine)
    response = await client.post("/graphql", content=body, headers=JSON)
    assert coded(response) == (400, "BAD_USER_INPUT", message)
    assert await table_counts(engine) == before


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", "application/graphql"],
)
async def test_unsupported_content_types_get_415(
    client: httpx.AsyncClient, engine: AsyncEngine, content_type: str
) -> None:
    before = await table_counts(engine)
    response = await client.post("/graphql", content=EXPORT.encode(), headers={"content-type": content_type})
    assert coded(response) == (
        415,
        "BAD_USER_INPUT",
        f"POST bodies must be `Content-Type: application/json`, not {content_type.split(';')[0] or 'missing'!r}.",
    )
    assert await table_counts(engine) == before


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_other_methods_get_405_with_allow(client: httpx.AsyncClient, method: str) -> None:
    response = await client.request(method, "/graphql", content=EXPORT.encode(), headers=JSON)
    assert coded(response) == (405, "BAD_USER_INPUT", f"/graphql answers GET (queries) and POST, not {method}.")
    assert response.headers["allow"] == "GET, POST"


async def test_mutation_over_get_is_405_and_writes_nothing(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    before = await table_counts(engine)
    response = await client.get("/graphql", params={"query": "mutation { exportDataRows { id } }"})
    assert coded(response) == (405, "BAD_USER_INPUT", "Mutations need POST; GET runs queries only.")
    assert response.headers["allow"] == "POST"
    assert await table_counts(engine) == before


async def test_queries_over_get_work(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "{ dataRows { nodes { id } } }", "variables": "{}"})
    assert response.status_code == 200 and response.json() == {"data": {"dataRows": {"nodes": []}}}
    broken = await client.get("/graphql", params={"query": "{ dataRows { nodes { id } } }", "variables": "{x"})
    assert coded(broken) == (400, "BAD_USER_INPUT", "Unable to parse request body as JSON")


@pytest.mark.parametrize(
    ("accept", "status", "media_type", "has_data"),
    [
        (GQL_RESPONSE, 400, GQL_RESPONSE, False),
        (f"{GQL_RESPONSE}, application/json;q=0.9", 400, GQL_RESPONSE, False),
        ("application/json", 200, "application/json", True),
        (None, 200, "application/json", True),
    ],
)
async def test_request_errors_follow_graphql_over_http(
    client: httpx.AsyncClient, accept: str | None, status: int, media_type: str, has_data: bool
) -> None:
    headers = {"accept": accept} if accept else {}
    for query in (
        "{ dataRows { nodes { id } ",
        "{ noSuchField }",
        "query($x: Int!) { dataRows(first: $x) { nodes { id } } }",
    ):
        response = await client.post("/graphql", json={"query": query}, headers=headers)
        body = response.json()
        assert (response.status_code, response.headers["content-type"], "data" in body) == (
            status,
            media_type,
            has_data,
        )
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    ok = await client.post("/graphql", json={"query": "{ dataRows { nodes { id } } }"}, headers=headers)
    assert (ok.status_code, ok.headers["content-type"]) == (200, media_type)


async def test_field_errors_keep_data_and_200(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={"query": '{ dataRows(first: 5) { nodes { id } } exportTask(id: "nope") { id } }'},
        headers={"accept": GQL_RESPONSE},
    )
    body: dict[str, Any] = response.json()
    assert response.status_code == 200 and body["data"] == {"dataRows": {"nodes": []}, "exportTask": None}
    assert body["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "id"}


WRONG_VARIABLES = [
    ("query($f: Int) { dataRows(first: $f) { nodes { id } } }", {"f": "ten"}),
    ("query($f: Int) { dataRows(first: $f) { nodes { id } } }", {"f": 2**40}),
    ("query($f: Int) { dataRows(first: $f) { nodes { id } } }", {"f": 1.5}),
    ("query($f: DataRowFilter) { dataRows(filter: $f) { nodes { id } } }", {"f": "ids"}),
    ("query($f: DataRowFilter) { dataRows(filter: $f) { nodes { id } } }", {"f": {"ids": [1, {"a": 2}]}}),
    ("query($f: DataRowFilter) { dataRows(filter: $f) { nodes { id } } }", {"f": {"mediaTypes": ["MOVIE"]}}),
    ("query($f: DataRowFilter) { dataRows(filter: $f) { nodes { id } } }", {"f": {"unknownKey": 1}}),
    ("mutation($p: ExportParams) { exportDataRows(params: $p) { id } }", {"p": {"attachments": "yes"}}),
    ("mutation($i: [ID!]) { exportDataRows(dataRowIds: $i) { id } }", {"i": [None]}),
    ("query($id: ID!) { exportTask(id: $id) { id } }", {}),
]


@pytest.mark.parametrize(("query", "variables"), WRONG_VARIABLES)
async def test_wrong_variable_types_are_coded_and_write_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine, query: str, variables: dict[str, Any]
) -> None:
    before = await table_counts(engine)
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    body = response.json()
    assert response.status_code == 200 and body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"] * len(body["errors"])
    assert "Traceback" not in response.text
    assert await table_counts(engine) == before
