"""The library internals the code relies on, one test each, so a release that changes one fails here by name.

pyproject.toml bounds these libraries to the releases the tests passed on; docs/architecture.md lists the seams.
Behaviour through each seam is tested where it is used: tests/test_sqlite_driver.py (the one-hand-off cursor),
tests/test_execution.py (the direct executor), tests/test_selection.py (Info._raw_info),
tests/subscriptions/test_export_updates.py (coded errors over websockets), tests/hostile/test_connections.py
(request timeouts)."""

from __future__ import annotations

import inspect
import sqlite3
import warnings
from pathlib import Path
from typing import Any

import aiosqlite
import graphql
import strawberry
from sqlalchemy import JSON, Column, DateTime, String
from sqlalchemy.dialects.postgresql import asyncpg
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection, AsyncAdapt_aiosqlite_cursor
from sqlalchemy.exc import SADeprecationWarning
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from resolvers.execution import CatalogExecutor, _definition
from server.db import create_engine
from server.ingest.import_tables import _processor
from server.schema_check import migrate
from server.settings import Settings
from server.sqlite_driver import OneHopConnection, OneHopCursor


def _parameters(function: Any) -> list[str]:
    return list(inspect.signature(function).parameters)


async def test_aiosqlite_runs_a_function_on_its_thread_with_the_sqlite3_connection(tmp_path: Path) -> None:
    """server.sqlite_driver: `Connection._execute(fn, *args)` runs `fn(*args)` on the connection's thread."""
    async with aiosqlite.connect(tmp_path / "seam.db") as conn:
        assert isinstance(conn._conn, sqlite3.Connection)
        assert await conn._execute(lambda raw, n: raw.execute("SELECT ?", (n,)).fetchall(), conn._conn, 7) == [(7,)]


def test_the_aiosqlite_adapter_has_what_the_one_hop_cursor_replaces() -> None:
    """server.sqlite_driver: the adapter makes cursors from `_cursor_cls` and runs statements in these methods."""
    assert AsyncAdapt_aiosqlite_connection._cursor_cls is AsyncAdapt_aiosqlite_cursor
    assert OneHopConnection._cursor_cls is OneHopCursor
    assert _parameters(AsyncAdapt_aiosqlite_cursor._execute_async) == ["self", "operation", "parameters"]
    assert _parameters(AsyncAdapt_aiosqlite_cursor._executemany_async) == ["self", "operation", "seq_of_parameters"]
    assert inspect.iscoroutinefunction(AsyncAdapt_aiosqlite_cursor._async_soft_close)
    slots = {name for cls in AsyncAdapt_aiosqlite_cursor.__mro__ for name in getattr(cls, "__slots__", ())}
    assert {"_adapt_connection", "_connection", "_rows"} <= slots


async def test_an_engine_connection_is_one_hop_with_the_adapters_mutex(tmp_path: Path) -> None:
    engine: AsyncEngine = create_engine(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'seam.db'}"))
    try:
        async with engine.connect() as conn:
            adapted = (await conn.get_raw_connection()).dbapi_connection
            assert isinstance(adapted, OneHopConnection) and isinstance(adapted._connection, aiosqlite.Connection)
            assert hasattr(adapted._execute_mutex, "acquire")
            assert isinstance(adapted.cursor(), OneHopCursor)
    finally:
        await engine.dispose()


def test_a_type_gives_its_cached_bind_processor_per_dialect() -> None:
    """server.ingest.import_tables: COPY records are bound with `TypeEngine._cached_bind_processor(dialect)`."""
    dialect = asyncpg.dialect()
    process = _processor(Column("payload", JSON), dialect)
    assert process is not None and process({"a": 1}) == '{"a": 1}'
    assert _processor(Column("name", String(5)), dialect) is None
    assert _processor(Column("at", DateTime), dialect) is None


async def test_alembic_migrates_without_what_sqlalchemy_deprecates(tmp_path: Path) -> None:
    """pyproject's alembic bound: its operations pass no empty parameter sequence to `execute()` (SQLAlchemy 2.1
    deprecates it, to raise later), from alembic 1.13.2 on."""
    engine = create_engine(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'seam.db'}"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", SADeprecationWarning)
            await migrate(engine)
    finally:
        await engine.dispose()


def test_a_core_field_and_argument_link_back_to_their_strawberry_definitions() -> None:
    """resolvers.execution: GraphQLCoreConverter.DEFINITION_BACKREF in a field's (and argument's) extensions."""

    @strawberry.type
    class Query:
        @strawberry.field
        def doubled(self, some_number: int) -> int:
            return 2 * some_number

    field = strawberry.Schema(Query)._schema.query_type.fields["doubled"]
    assert _definition(field).python_name == "doubled"
    assert _definition(field.args["someNumber"]).python_name == "some_number"


def test_strawberry_info_holds_graphql_cores_resolve_info() -> None:
    """resolvers.queries and resolvers.facets read the selection (resolvers.selection) from `Info._raw_info`."""
    seen: list[Any] = []

    @strawberry.type
    class Query:
        @strawberry.field
        def one(self, info: strawberry.Info) -> int:
            seen.append(info._raw_info)
            return 1

    assert strawberry.Schema(Query).execute_sync("{ one }").data == {"one": 1}
    raw = seen[0]
    assert [node.name.value for node in raw.field_nodes] == ["one"] and raw.fragments == {}
    assert isinstance(raw.return_type, graphql.GraphQLNonNull) and isinstance(raw.schema, graphql.GraphQLSchema)
    assert isinstance(raw.operation, graphql.OperationDefinitionNode) and raw.variable_values is not None


def test_graphql_cores_executor_has_what_the_direct_executor_overrides_and_calls() -> None:
    """resolvers.execution: CatalogExecutor overrides execute_fields and calls collect_subfields,
    get_argument_values and is_awaitable with these parameters."""
    core = next(c for c in StrawberryGraphQLCoreExecutionContext.__mro__ if c.__module__.startswith("graphql."))
    assert issubclass(CatalogExecutor, core)
    assert _parameters(core.execute_fields) == _parameters(CatalogExecutor.execute_fields)
    assert _parameters(core.execute_fields) == [
        "self",
        "parent_type",
        "source_value",
        "path",
        "grouped_field_set",
        "position_context",
    ]
    assert _parameters(core.collect_subfields) == ["self", "return_type", "field_details_list"]
    expected = ["type_def", "node", "variable_values", "fragment_variable_values", "hide_suggestions"]
    assert _parameters(graphql.execution.values.get_argument_values) == expected
    assert callable(core.is_awaitable)


def test_strawberrys_websocket_handler_streams_results_through_one_method() -> None:
    """resolvers.websocket codes each streamed result's errors in `_send_result_stream(operation, results)`."""
    assert _parameters(BaseGraphQLTransportWSHandler._send_result_stream) == ["self", "operation", "result_source"]


async def test_uvicorns_h11_protocol_has_the_state_the_timeouts_read() -> None:
    """server.http_timeouts reads `conn`, `cycle`, `timeout_keep_alive_task`, `loop` and `transport`."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        return None

    config = Config(app=app, http="h11")
    config.load()
    protocol = H11Protocol(config, ServerState(), app_state={})
    assert protocol.cycle is None and protocol.timeout_keep_alive_task is None and protocol.loop is not None
    assert protocol.conn.their_state is not None
    assert "transport" in H11Protocol.connection_made.__code__.co_names
