"""Injection strings in every text argument and filter value, and forged cursors: a correct answer or a coded error,
never a 500, never a stack trace, and nothing written (other than what a correct answer writes)."""

from __future__ import annotations

import asyncio
import base64
import unicodedata
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from tests.factory.tenants import Tenant, make_tenant
from tests.utils.client import http_client
from tests.utils.snapshot import table_counts

HOSTILE = [
    "' OR '1'='1",
    "'; DROP TABLE datarow; --",
    '" OR ""="',
    "1; SELECT * FROM apikey",
    "%",
    "_",
    "\\",
    "\x00",
    "a\r\nX-Injected: 1",
    "../../../etc/passwd",
    "<script>alert(1)</script>",
    "${7*7}{{7*7}}",
    '{"$ne": null}',
    "‮gnp.exe",
    "😀" * 10,
    " ",
    "",
]

# (query, variables builder): every text argument and filter value of the read paths.
READS: dict[str, tuple[str, Any]] = {
    "dataRow.id": ("query($v: ID) { dataRow(id: $v) { id } }", lambda v: {"v": v}),
    "dataRow.globalKey": ("query($v: String) { dataRow(globalKey: $v) { id } }", lambda v: {"v": v}),
    "filter.ids": ("query($f: DataRowFilter) { dataRows(filter: $f) { nodes { id } } }", lambda v: {"f": {"ids": [v]}}),
    "filter.globalKeys": (
        "query($f: DataRowFilter) { dataRows(filter: $f) { nodes { id } } }",
        lambda v: {"f": {"globalKeys": [v]}},
    ),
    "filter.externalIds": (
        "query($f: DataRowFilter) { dataRows(filter: $f) { nodes { id } } }",
        lambda v: {"f": {"or": [{"externalIds": [v]}, {"datasetIds": [v]}]}},
    ),
    "slice": ("query($v: ID) { dataRows(slice: $v) { nodes { id } } }", lambda v: {"v": v}),
    "after": ("query($v: String) { dataRows(after: $v) { nodes { id } } }", lambda v: {"v": v}),
    "exportTask.id": ("query($v: ID!) { exportTask(id: $v) { id } }", lambda v: {"v": v}),
    "cancelExportTask.id": ("mutation($v: ID!) { cancelExportTask(id: $v) { id } }", lambda v: {"v": v}),
    "revokeApiKey.id": ("mutation($v: ID!) { revokeApiKey(id: $v) { id } }", lambda v: {"v": v}),
}
ALLOWED = {
    "dataRow.id": {"data": {"dataRow": None}},
    "dataRow.globalKey": {"data": {"dataRow": None}},
    "filter.ids": {"data": {"dataRows": {"nodes": []}}},
    "filter.globalKeys": {"data": {"dataRows": {"nodes": []}}},
    "filter.externalIds": {"data": {"dataRows": {"nodes": []}}},
}


@pytest.fixture
async def acme(app: Starlette) -> Tenant:
    return await make_tenant(app.state.engine, "acme")


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def ask(http: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code < 500 and "Traceback" not in response.text, response.text
    return response.json()


@pytest.mark.parametrize("case", sorted(READS))
async def test_injection_in_read_arguments(app: Starlette, engine: AsyncEngine, acme: Tenant, case: str) -> None:
    query, variables = READS[case]
    before = await table_counts(engine)
    async with http_client(app, acme.admin_key) as http:
        for value in HOSTILE:
            body = await ask(http, query, variables(value))
            if case == "after" and value == "":  # an empty cursor is no cursor: the first page
                assert len(body["data"]["dataRows"]["nodes"]) == 3
                continue
            if "\x00" in value:  # refused on every engine before any SQL (PostgreSQL cannot hold NUL)
                assert codes(body) == ["BAD_USER_INPUT"], (value, body)
                continue
            assert body == ALLOWED[case] if case in ALLOWED else codes(body) in (["NOT_FOUND"], ["BAD_USER_INPUT"]), (
                value,
                body,
            )
    assert await table_counts(engine) == before
    async with http_client(app, acme.key) as http:
        rows = await ask(http, "{ dataRows { nodes { id } } }", {})
    assert sorted(n["id"] for n in rows["data"]["dataRows"]["nodes"]) == sorted(acme.row_ids)


async def test_injection_in_export_arguments_exports_nothing_or_is_refused(
    app: Starlette, engine: AsyncEngine, acme: Tenant
) -> None:
    query = (
        "mutation($f: DataRowFilter, $s: ID, $ids: [ID!], $p: ExportParams) "
        "{ exportDataRows(filter: $f, slice: $s, dataRowIds: $ids, params: $p) { id } }"
    )
    task = "query($id: ID!) { exportTask(id: $id) { status rowCount ndjson } }"
    async with http_client(app, acme.key) as http:
        for value in HOSTILE:
            for variables in (
                {"f": {"globalKeys": [value], "externalIds": [value]}},
                {"ids": [value]},
                {"f": {"ids": [value]}, "p": {"projectIds": [value], "modelRunIds": [value], "labelDetails": True}},
                {"s": value},
            ):
                before = await table_counts(engine)
                body = await ask(http, query, variables)
                if "errors" in body:
                    assert codes(body) in (["NOT_FOUND"], ["BAD_USER_INPUT"]) and await table_counts(engine) == before
                    continue
                done = await _finished(http, task, body["data"]["exportDataRows"]["id"])
                assert done == {"status": "COMPLETE", "rowCount": 0, "ndjson": ""}, (value, variables)


async def _finished(http: httpx.AsyncClient, query: str, task_id: str) -> dict[str, Any]:
    for _ in range(400):
        task = (await ask(http, query, {"id": task_id}))["data"]["exportTask"]
        if task["status"] not in ("QUEUED", "IN_PROGRESS"):
            return task
        await asyncio.sleep(0.02)
    raise AssertionError(task_id)


async def test_injection_in_key_names_is_stored_verbatim_or_refused(app: Starlette, acme: Tenant) -> None:
    query = "mutation($n: String!) { createApiKey(name: $n) { apiKey { name } } }"
    async with http_client(app, acme.admin_key) as http:
        for value in HOSTILE:
            body = await ask(http, query, {"n": value})
            controls = any(unicodedata.category(c) in ("Cc", "Cf") for c in value)  # `keys list` prints names
            if value.strip() and not controls:
                assert body["data"]["createApiKey"]["apiKey"]["name"] == value.strip()
            else:
                assert codes(body) == ["BAD_USER_INPUT"]


def _cursor(payload: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode()


FORGED = [
    "",
    "not base64!",
    "====",
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    _cursor("just a string"),
    _cursor([1, 2, 3]),
    _cursor([None, 5]),
    _cursor([{"a": 1}, "c1"]),
    _cursor([[1, 2], "c1"]),
    _cursor(["not a date", "c1"]),
    base64.urlsafe_b64encode(b"[1" + b"0" * 30 + b', "c1"]').decode(),
    _cursor(["' OR 1=1 --", "' OR 1=1 --"]),
]


@pytest.mark.parametrize("field", ["ID", "CREATED_AT", "UPDATED_AT", "GLOBAL_KEY"])
async def test_forged_cursors(client: httpx.AsyncClient, engine: AsyncEngine, acme: Tenant, field: str) -> None:
    query = "query($a: String, $o: DataRowOrder) { dataRows(first: 2, after: $a, orderBy: $o) { nodes { id } } }"
    for cursor in FORGED:
        body = await ask(client, query, {"a": cursor, "o": {"field": field}})
        assert "errors" not in body or body["errors"][0]["extensions"] == {
            "code": "BAD_USER_INPUT",
            "field": "after",
        }, (
            cursor,
            body,
        )


@pytest.mark.parametrize(
    "path",
    [
        "/exports/..%2F..%2Fetc%2Fpasswd.ndjson",
        "/exports/%00.ndjson",
        "/exports/' OR 1=1 --.ndjson",
        "/exports/x.ndjson?offset=-1",
        "/exports/x.ndjson?offset=²",
        "/exports/x.ndjson?exp=²&sig=x",
        "/exports/x.ndjson?exp=99999999999999999999&sig=",
    ],
)
async def test_hostile_stream_paths(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code in (400, 401, 404), response.text
    assert response.json()["errors"][0]["extensions"]["code"] in ("BAD_USER_INPUT", "UNAUTHENTICATED", "NOT_FOUND")
