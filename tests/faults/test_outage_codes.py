"""What `server.unavailable.fault` says of each real error the engines raise: an outage (SERVICE_UNAVAILABLE), a
statement beyond the engine's limits (LIMIT_EXCEEDED) or neither (a bug, masked as INTERNAL_SERVER_ERROR). Each error
is made by the engine itself (a held lock, a full file, a role over its connection limit, a deep expression), never
built by hand; the end-to-end answers (503 bodies, /healthz) are in test_unavailable.py and hostile/test_filter_size.py.
"""

from __future__ import annotations

import secrets
import socket
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from server.db import create_engine
from server.settings import Settings, replace
from server.unavailable import Fault, fault

UNAVAILABLE, TOO_LARGE = Fault.UNAVAILABLE, Fault.TOO_LARGE

# Statements each engine refuses for their shape or as bugs, with the answer each must get.
SQLITE_STATEMENTS = {
    "expression tree too deep (SQLITE_ERROR)": (
        "SELECT 1 WHERE " + " OR ".join(f"1 = {i}" for i in range(1100)),
        TOO_LARGE,
    ),
    "parser stack overflow (SQLITE_ERROR)": ("SELECT " + "(" * 1200 + "1" + ")" * 1200, TOO_LARGE),
    "compound SELECT of 600 terms (SQLITE_ERROR)": (" UNION ALL ".join(["SELECT 1"] * 600), TOO_LARGE),
    "join of 70 tables (SQLITE_ERROR)": (
        "SELECT 1 FROM " + ", ".join(f"(SELECT 1) t{i}" for i in range(70)),
        TOO_LARGE,
    ),
    "string or blob too big (SQLITE_TOOBIG)": ("SELECT zeroblob(2000000000)", TOO_LARGE),
    "syntax error (SQLITE_ERROR)": ("SELEC 1", None),
    "no such table (SQLITE_ERROR)": ("SELECT * FROM no_such_table", None),
    "unique violation (SQLITE_CONSTRAINT)": ("CREATE TEMP TABLE u(x UNIQUE); INSERT INTO u VALUES (1), (1)", None),
}
POSTGRES_STATEMENTS = {
    "stack depth limit exceeded (54001)": (
        "SET max_stack_depth = '100kB'; SELECT " + " + ".join(["1"] * 30000),
        TOO_LARGE,
    ),
    "more than 100 function arguments (54023)": ("SELECT concat(" + ", ".join(["1"] * 120) + ")", TOO_LARGE),
    "connection terminated by the administrator (08003)": (
        "SELECT pg_terminate_backend(pg_backend_pid())",
        UNAVAILABLE,
    ),
    "syntax error (42601)": ("SELEC 1", None),
    "no such table (42P01)": ("SELECT * FROM no_such_table", None),
    "division by zero (22012)": ("SELECT 1 / 0", None),
    "unique violation (23505)": ("CREATE TEMP TABLE u(x int UNIQUE); INSERT INTO u VALUES (1), (1)", None),
}


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """The server's own engine on the test database (no app: nothing here needs the tables)."""
    made = create_engine(settings)
    yield made
    await made.dispose()


async def _raised(engine: AsyncEngine, statements: str, params: dict[str, object] | None = None) -> BaseException:
    with pytest.raises(Exception) as raised:  # any failure: which one is what the test asserts
        async with engine.connect() as conn:
            for statement in statements.split("; "):
                await conn.execute(text(statement), params or {})
    return raised.value


async def test_each_statement_error_gets_its_answer(engine_name: str, engine: AsyncEngine) -> None:
    cases = SQLITE_STATEMENTS if engine_name == "sqlite" else POSTGRES_STATEMENTS
    answers = {name: fault(await _raised(engine, sql)) for name, (sql, _) in cases.items()}
    assert answers == {name: answer for name, (_, answer) in cases.items()}


async def test_too_many_bind_parameters_is_too_large_on_postgres(engine_name: str, engine: AsyncEngine) -> None:
    if engine_name == "sqlite":
        pytest.skip("asyncpg's own limit; SQLite's is in test_each_statement_error_gets_its_answer")
    params = {f"p{i}": i for i in range(40_000)}
    in_list = ", ".join(f":p{i}" for i in range(40_000))
    raised = await _raised(engine, f"SELECT 1 WHERE 1 IN ({in_list})", params)
    assert (str(getattr(raised, "orig", "")), fault(raised)) == (
        "the number of query arguments cannot exceed 32767",
        TOO_LARGE,
    )


async def test_a_locked_sqlite_database_is_unavailable(
    engine_name: str, settings: Settings, engine: AsyncEngine
) -> None:
    if engine_name != "sqlite":
        pytest.skip("SQLite's write lock")
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))  # the file exists, in WAL mode
    holder = sqlite3.connect(make_url(settings.database_url).database or "", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        raised = await _raised(engine, "CREATE TABLE t(x)")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (getattr(raised, "orig", None).sqlite_errorname, fault(raised)) == ("SQLITE_BUSY", UNAVAILABLE)


async def test_a_full_sqlite_database_is_unavailable(engine_name: str, engine: AsyncEngine) -> None:
    if engine_name != "sqlite":
        pytest.skip("SQLite's page limit")
    raised = await _raised(
        engine, "PRAGMA max_page_count = 5; CREATE TABLE t(x); INSERT INTO t SELECT zeroblob(100000) FROM (SELECT 1)"
    )
    assert (getattr(raised, "orig", None).sqlite_errorname, fault(raised)) == ("SQLITE_FULL", UNAVAILABLE)


async def test_a_sqlite_file_that_cannot_open_is_unavailable(
    engine_name: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    if engine_name != "sqlite":
        pytest.skip("SQLite's file")
    (tmp_path / "a-directory.db").mkdir()
    raised = await _raised(engine, f"ATTACH DATABASE '{tmp_path / 'a-directory.db'}' AS other")
    assert (getattr(raised, "orig", None).sqlite_errorname, fault(raised)) == ("SQLITE_CANTOPEN", UNAVAILABLE)


async def test_postgres_refusing_connections_is_unavailable(engine_name: str, settings: Settings) -> None:
    if engine_name == "sqlite":
        pytest.skip("PostgreSQL's socket")
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = make_url(settings.database_url).set(port=port).render_as_string(False)
    made = create_engine(replace(settings, database_url=url))
    try:
        raised = await _raised(made, "SELECT 1")
    finally:
        await made.dispose()
    assert (type(raised), fault(raised)) == (ConnectionRefusedError, UNAVAILABLE)


async def test_a_role_over_its_connection_limit_is_unavailable(engine_name: str, engine: AsyncEngine) -> None:
    if engine_name == "sqlite":
        pytest.skip("PostgreSQL's roles")
    role = f"catalog_test_{secrets.token_hex(4)}"
    async with engine.connect() as conn:
        await conn.execute(text(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 0"))
        await conn.commit()
    limited = create_async_engine(engine.url.set(username=role))
    try:
        raised = await _raised(limited, "SELECT 1")
        with pytest.raises(asyncpg.PostgresError) as raw:  # the driver's own error, as a bulk import's COPY meets it
            await asyncpg.connect(engine.url.set(drivername="postgresql", username=role).render_as_string(False))
    finally:
        await limited.dispose()
        async with engine.connect() as conn:
            await conn.execute(text(f"DROP ROLE {role}"))
            await conn.commit()
    assert (getattr(raised, "orig", None).sqlstate, fault(raised)) == ("53300", UNAVAILABLE)
    assert (raw.value.sqlstate, fault(raw.value)) == ("53300", UNAVAILABLE)


async def test_no_connection_left_in_the_pool_is_unavailable(engine_name: str, engine: AsyncEngine) -> None:
    small = create_async_engine(engine.url, pool_size=1, max_overflow=0, pool_timeout=0.05)
    try:
        async with small.connect():
            raised = await _raised(small, "SELECT 1")
    finally:
        await small.dispose()
    assert (type(raised).__name__, fault(raised)) == ("TimeoutError", UNAVAILABLE)
