"""Hypothesis fuzzing over the schema's input types: variables for dataRows, dataRow and exportDataRows generated from
the argument types themselves (so new filter fields are fuzzed as they appear), valid and wrong-typed alike.

Properties: the status is below 500, every error has extensions.code, and exportDataRows writes a task exactly
when it answers without errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from resolvers.schema import schema
from server.settings import Settings, replace
from tests.utils.snapshot import table_counts

GRAPHQL = schema._schema
TEXT = st.text(max_size=40)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=8,
)
SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "String": TEXT,
    "ID": TEXT | st.sampled_from(["c" + "0" * 24, ""]),
    "Int": st.integers(-(2**31), 2**31 - 1) | st.sampled_from([0, 1, 1000, 1001]),
    "Float": st.floats(allow_nan=False, allow_infinity=False),
    "Boolean": st.booleans(),
    "DateTime": st.datetimes().map(lambda d: d.isoformat() + "Z") | TEXT,
    "JSON": JSON_VALUES,
}


def values(kind: GraphQLInputType, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of `kind`, sometimes null where nullable, sometimes any JSON at all (wrong types)."""
    if isinstance(kind, GraphQLNonNull):
        return _values(kind.of_type, depth)
    return st.none() | _values(kind, depth) | JSON_VALUES.filter(lambda _: depth == 0)


def _values(kind: Any, depth: int) -> st.SearchStrategy[Any]:
    if isinstance(kind, GraphQLList):
        return st.lists(values(kind.of_type, depth + 1), max_size=3)
    if isinstance(kind, GraphQLEnumType):
        return st.sampled_from(sorted(kind.values)) | TEXT
    if isinstance(kind, GraphQLScalarType):
        return SCALARS.get(kind.name, JSON_VALUES)
    return _input_object(kind, depth)


def _input_object(kind: GraphQLInputObjectType, depth: int) -> st.SearchStrategy[dict[str, Any]]:
    if depth > 3:
        return st.just({})
    fields = {name: st.deferred(lambda f=field: values(f.type, depth + 1)) for name, field in kind.fields.items()}
    return st.fixed_dictionaries({}, optional=fields)


def operation(root: str, field: str, selection: str) -> tuple[str, st.SearchStrategy[dict[str, Any]]]:
    """A document passing every argument of `root.field` as a variable, and a strategy for those variables."""
    args = getattr(GRAPHQL, f"{root}_type").fields[field].args
    definitions = ", ".join(f"${name}: {arg.type}" for name, arg in args.items())
    passing = ", ".join(f"{name}: ${name}" for name in args)
    keyword = "query" if root == "query" else "mutation"
    document = f"{keyword}({definitions}) {{ {field}({passing}) {{ {selection} }} }}"
    strategy = st.fixed_dictionaries({}, optional={name: values(arg.type) for name, arg in args.items()})
    return document, strategy


DATA_ROWS = operation("query", "dataRows", "nodes { id } pageInfo { endCursor }")
DATA_ROW = operation("query", "dataRow", "id globalKey")
EXPORT = operation("mutation", "exportDataRows", "id status")
FUZZ = hypothesis_settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def settings(tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    base = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}", export_dir=tmp_path / "exports")
    return replace(base, max_concurrent_exports=10_000, rate_limit_per_second=0)


async def check(client: httpx.AsyncClient, document: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": document, "variables": variables})
    assert response.status_code < 500, response.text
    body = response.json()
    assert all("code" in (e.get("extensions") or {}) for e in body.get("errors", [])), body
    assert all(e["extensions"]["code"] != "INTERNAL_SERVER_ERROR" for e in body.get("errors", [])), body
    return body


@FUZZ
@given(variables=DATA_ROWS[1])
async def test_fuzz_data_rows(client: httpx.AsyncClient, variables: dict[str, Any]) -> None:
    await check(client, DATA_ROWS[0], variables)


@FUZZ
@given(variables=DATA_ROW[1])
async def test_fuzz_data_row(client: httpx.AsyncClient, variables: dict[str, Any]) -> None:
    await check(client, DATA_ROW[0], variables)


@FUZZ
@given(variables=EXPORT[1])
async def test_fuzz_export_data_rows(client: httpx.AsyncClient, engine: AsyncEngine, variables: dict[str, Any]) -> None:
    before = (await table_counts(engine))["exporttask"]
    body = await check(client, EXPORT[0], variables)
    assert (await table_counts(engine))["exporttask"] == before + (0 if "errors" in body else 1)
