"""What an engine sends while a block runs: SQL statements counted, and PostgreSQL's out-of-statement queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


def _is_key_lookup(statement: str) -> bool:
    return " FROM apikey " in f"{statement.replace(chr(10), ' ')} " and statement.lstrip().upper().startswith("SELECT")


@contextmanager
def count_statements(engine: AsyncEngine) -> Iterator[StatementCounter]:
    """Count every SQL statement the engine sends while the block runs. Excluded: PRAGMAs, SELECT 1, the one API key
    lookup that authenticates each HTTP request (constant per request, counted in tests/auth), and statements on the
    exporttask table (with the NOTIFY that goes with queuing a task) and the webhook tables (the background export
    worker polls and checkpoints there, and its webhook sender polls the outbox, at their own pace)."""
    counter = StatementCounter()

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        lowered = statement.lower()
        ignored = statement.lstrip().upper().startswith(("PRAGMA", "SELECT 1")) or "exporttask" in lowered
        ignored = ignored or "webhook" in lowered or "pg_notify" in lowered
        if not ignored and not _is_key_lookup(statement):
            counter.statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)


@contextmanager
def queries_sent(engine: AsyncEngine) -> Iterator[list[str]]:
    """What the engine's PostgreSQL connections send outside prepared statements while the block runs: pings, BEGIN,
    ROLLBACK (asyncpg's query logger, which reports on the event loop's next turn: read the list after an await)."""
    sent: list[str] = []

    def log(record: Any) -> None:
        sent.append(record.query)

    def attach(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(log)

    def detach(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.driver_connection.remove_query_logger(log)

    event.listen(engine.sync_engine, "checkout", attach, insert=True)  # before the ping
    event.listen(engine.sync_engine, "checkin", detach)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "checkout", attach)
        event.remove(engine.sync_engine, "checkin", detach)
