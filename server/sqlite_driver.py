"""aiosqlite under SQLAlchemy with one thread hand-off per statement.

Stock, each statement costs four hand-offs to the connection's thread (make a cursor, execute, fetch every row, close
the cursor), ~0.1 to 0.2 ms each on a busy machine. Here one function runs all four on that thread. Server-side cursors
(`stream()`) keep the stock cursor. Uses aiosqlite's own queue (`Connection._execute`) as its cursors do, and the
SQLAlchemy adapter's classes as its dialect does; `tests/test_sqlite_driver.py` checks the count.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)

if TYPE_CHECKING:
    from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection

Outcome = tuple[Any, list[Any], int, int | None]  # description, rows, rowcount, lastrowid


def _outcome(cursor: sqlite3.Cursor) -> Outcome:
    rows = cursor.fetchall() if cursor.description else []
    return cursor.description, rows, cursor.rowcount, cursor.lastrowid


def _execute(conn: sqlite3.Connection, operation: str, parameters: Any) -> Outcome:
    """On the connection's thread: the whole statement, cursor closed before the hand-off back."""
    cursor = conn.cursor()
    try:
        cursor.execute(operation, () if parameters is None else parameters)
        return _outcome(cursor)
    finally:
        cursor.close()


def _executemany(conn: sqlite3.Connection, operation: str, seq_of_parameters: Sequence[Any]) -> Outcome:
    cursor = conn.cursor()
    try:
        cursor.executemany(operation, seq_of_parameters)
        return _outcome(cursor)
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose statement runs in one hand-off; rows, description and counts are kept here."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        # None before any INSERT, as sqlite3 gives it; SQLAlchemy's adapter declares int
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    def _keep(self, outcome: Outcome) -> None:
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        driver = cast(aiosqlite.Connection, self._connection)  # the adapter types it as any asyncio DBAPI connection
        async with self._adapt_connection._execute_mutex:
            self._keep(await driver._execute(_execute, driver._conn, operation, parameters))

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        driver = cast(aiosqlite.Connection, self._connection)  # the adapter types it as any asyncio DBAPI connection
        async with self._adapt_connection._execute_mutex:
            self._keep(await driver._execute(_executemany, driver._conn, operation, seq_of_parameters))

    async def _async_soft_close(self) -> None:
        """Nothing to close: the sqlite3 cursor was closed on its thread."""

    def close(self) -> None:
        self._rows.clear()


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneHopCursor


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module SQLAlchemy's aiosqlite dialect gets (`create_async_engine(module=...)`)."""

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        return OneHopConnection(self, super().connect(*arg, **kw)._connection)


def one_hop_dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)
