"""Property: whatever operations two organizations' keys run (queries, slices, exports, streams, mutations),
neither ever sees or changes the other's data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from server.settings import Settings, replace
from tests.factory.tenants import Tenant, make_tenant
from tests.utils.client import http_client

ROWS = "query($f: DataRowFilter) { dataRows(filter: $f, first: 50) { nodes { id } } }"
ROW = "query($id: ID) { dataRow(id: $id) { id } }"
SLICE = "query($s: ID) { dataRows(slice: $s) { nodes { id } } }"
EXPORT = "mutation($ids: [ID!]) { exportDataRows(dataRowIds: $ids) { id } }"
TASK = "query($id: ID!) { exportTask(id: $id) { id status } }"
CANCEL = "mutation($id: ID!) { cancelExportTask(id: $id) { id status } }"
UPDATE_ROW = "mutation($id: ID!, $x: String) { updateDataRow(id: $id, changes: {externalId: $x}) }"
EXTERNAL = "query($id: ID) { dataRow(id: $id) { externalId } }"
RENAME_SLICE = "mutation($id: ID!, $n: String) { updateSlice(id: $id, name: $n) { id name } }"
SLICE_NAME = "query($id: ID!) { slice(id: $id) { name } }"


@pytest.fixture
def settings(tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    base = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}", export_dir=tmp_path / "exports")
    return replace(base, max_concurrent_exports=1000, rate_limit_per_second=0)


class World:
    """Two tenants, their clients, and every export task each has started."""

    def __init__(self, app: Starlette, tenants: dict[str, Tenant]) -> None:
        self.tenants = tenants
        self.clients = {name: http_client(app, t.key) for name, t in tenants.items()}
        self.tasks: dict[str, list[str]] = {name: [] for name in tenants}

    async def gql(self, actor: str, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.clients[actor].post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        return response.json()

    def ids(self, actor: str) -> set[str]:
        return set(self.tenants[actor].row_ids)


def code(body: dict[str, Any]) -> str | None:
    return body["errors"][0]["extensions"]["code"] if "errors" in body else None


async def op_rows(w: World, actor: str, target: str, pick: int) -> None:
    body = await w.gql(actor, ROWS, f={"ids": sorted(w.ids(target))[: pick % 3 + 1]})
    found = {n["id"] for n in body["data"]["dataRows"]["nodes"]}
    assert found <= w.ids(actor) and (actor != target or found)


async def op_row(w: World, actor: str, target: str, pick: int) -> None:
    row = sorted(w.ids(target))[pick % 3]
    body = await w.gql(actor, ROW, id=row)
    assert body["data"]["dataRow"] == ({"id": row} if actor == target else None)


async def op_slice(w: World, actor: str, target: str, pick: int) -> None:
    body = await w.gql(actor, SLICE, s=w.tenants[target].slice_id)
    if actor == target:
        assert {n["id"] for n in body["data"]["dataRows"]["nodes"]} == w.ids(actor)
    else:
        assert code(body) == "NOT_FOUND"


async def op_export(w: World, actor: str, target: str, pick: int) -> None:
    body = await w.gql(actor, EXPORT, ids=sorted(w.ids(target)))
    w.tasks[actor].append(body["data"]["exportDataRows"]["id"])


async def _target_task(w: World, actor: str, target: str, pick: int) -> str | None:
    if not w.tasks[target]:
        await op_export(w, target, target, pick)
    return w.tasks[target][pick % len(w.tasks[target])]


async def op_task(w: World, actor: str, target: str, pick: int) -> None:
    task = await _target_task(w, actor, target, pick)
    body = await w.gql(actor, TASK, id=task)
    assert (body["data"]["exportTask"]["id"] == task) if actor == target else code(body) == "NOT_FOUND"


async def op_cancel(w: World, actor: str, target: str, pick: int) -> None:
    task = await _target_task(w, actor, target, pick)
    before = (await w.gql(target, TASK, id=task))["data"]["exportTask"]["status"]
    body = await w.gql(actor, CANCEL, id=task)
    after = (await w.gql(target, TASK, id=task))["data"]["exportTask"]["status"]
    if actor != target:
        assert code(body) == "NOT_FOUND"
        assert after != "CANCELED" or before == "CANCELED"  # the worker may move it on; the other org cannot cancel


async def op_stream(w: World, actor: str, target: str, pick: int) -> None:
    task = await _target_task(w, actor, target, pick)
    response = await w.clients[actor].get(f"/exports/{task}.ndjson")
    if actor != target:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert {orjson.loads(line)["data_row"]["id"] for line in response.text.splitlines()} <= w.ids(actor)


async def op_update_row(w: World, actor: str, target: str, pick: int) -> None:
    row = sorted(w.ids(target))[pick % 3]
    before = (await w.gql(target, EXTERNAL, id=row))["data"]["dataRow"]["externalId"]
    body = await w.gql(actor, UPDATE_ROW, id=row, x=f"{actor}-{pick}")
    after = (await w.gql(target, EXTERNAL, id=row))["data"]["dataRow"]["externalId"]
    if actor == target:
        assert (body["data"]["updateDataRow"], after) == (row, f"{actor}-{pick}")
    else:
        assert (code(body), after) == ("NOT_FOUND", before)


async def op_rename_slice(w: World, actor: str, target: str, pick: int) -> None:
    slice_id = w.tenants[target].slice_id
    before = (await w.gql(target, SLICE_NAME, id=slice_id))["data"]["slice"]["name"]
    body = await w.gql(actor, RENAME_SLICE, id=slice_id, n=f"{actor}-{pick}")
    after = (await w.gql(target, SLICE_NAME, id=slice_id))["data"]["slice"]["name"]
    if actor == target:
        assert after == f"{actor}-{pick}"
    else:
        assert (code(body), after) == ("NOT_FOUND", before)


OPS: dict[str, Callable[[World, str, str, int], Awaitable[None]]] = {
    "rows": op_rows,
    "row": op_row,
    "slice": op_slice,
    "export": op_export,
    "task": op_task,
    "cancel": op_cancel,
    "stream": op_stream,
    "update_row": op_update_row,
    "rename_slice": op_rename_slice,
}
Step = tuple[str, str, str, int]
STEP = st.tuples(st.sampled_from(sorted(OPS)), st.sampled_from("ab"), st.sampled_from("ab"), st.integers(0, 99))


@pytest.fixture
async def world(app: Starlette) -> World:
    tenants = {"a": await make_tenant(app.state.engine, "acme"), "b": await make_tenant(app.state.engine, "bolt")}
    w = World(app, tenants)
    yield w  # type: ignore[misc]
    for client in w.clients.values():
        await client.aclose()


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=8))
async def test_random_operations_never_cross_organizations(world: World, steps: list[Step]) -> None:
    for name, actor, target, pick in steps:
        await OPS[name](world, actor, target, pick)
