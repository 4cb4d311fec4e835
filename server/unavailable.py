"""The one decision of what a storage failure means to the caller, `fault(exc)`: an outage (the database unreachable,
locked, out of resources or shutting down: SERVICE_UNAVAILABLE, 503, retry) or a statement beyond the engine's limits
(the request's shape: LIMIT_EXCEEDED, never an outage); anything else is a bug, logged and masked by the caller.

Decided by what the driver says, not by its message: PostgreSQL's SQLSTATE (asyncpg), SQLite's result code (`sqlite3`
errors' `sqlite_errorcode`), and the exception's class where no code exists (sockets, SQLAlchemy's pool timeout,
asyncpg's client-side errors). Every caller (GraphQL errors, HTTP routes, the export worker, the webhook sender, the
CLI's one-line failures) asks here; `tests/faults/test_outage_codes.py` pins the answer for each real error of both
engines."""

from __future__ import annotations

import re
import socket
import sqlite3
from enum import Enum

from sqlalchemy.exc import DBAPIError, InterfaceError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from server.errors import CatalogError, ErrorCode, limit_exceeded


class Fault(Enum):
    UNAVAILABLE = "unavailable"  # the service cannot answer now; the same request later can
    TOO_LARGE = "too_large"  # the statement is beyond the engine's limits; the same request never can


UNAVAILABLE_MESSAGE = "The database is unavailable right now; retry in a few seconds."
LOGGED_STATEMENT = 500  # characters of a failed statement kept in the log

# OSErrors of reaching a server (refused, reset, timed out, name not resolved), as opposed to a local file's (disk
# full, file too large): the export worker keeps its lease on these and fails the task on the others.
NETWORK_ERRORS: tuple[type[OSError], ...] = (ConnectionError, TimeoutError, socket.gaierror)

# PostgreSQL SQLSTATE: class 08 connection exception, 53 insufficient resources (too many connections, disk full,
# out of memory), 57P01-57P03 admin/crash shutdown and "cannot connect now"; class 54 program limit exceeded
# (54001 statement too complex, 54023 too many arguments): the request's shape.
PG_UNAVAILABLE_CLASSES = ("08", "53")
PG_UNAVAILABLE_CODES = ("57P01", "57P02", "57P03")
PG_TOO_LARGE_CLASS = "54"

# SQLite primary result codes (the low byte of an extended code: SQLITE_BUSY_SNAPSHOT is SQLITE_BUSY).
SQLITE_UNAVAILABLE = frozenset(
    {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN}
)
SQLITE_TOO_LARGE = frozenset({sqlite3.SQLITE_TOOBIG})
# SQLite's limits on a statement's shape all come as plain SQLITE_ERROR, which is also a syntax error or a missing
# table (bugs): only their messages tell them apart. Each is SQLite's exact wording (expression depth, parser stack,
# compound SELECT terms, host parameters, tables in a join).
SQLITE_TOO_LARGE_MESSAGE = re.compile(
    r"^(Expression tree is too large \(maximum depth \d+\)|parser stack overflow|too many terms in compound SELECT"
    r"|too many SQL variables|at most \d+ tables in a join)$"
)
# asyncpg checks the number of bind parameters itself, before PostgreSQL sees the statement, and raises its client
# InterfaceError with no SQLSTATE: its message is all that tells it apart from a closed connection.
ASYNCPG_TOO_MANY_ARGUMENTS = re.compile(r"^the number of query arguments cannot exceed \d+$")


def fault(exc: BaseException | None) -> Fault | None:
    """What `exc` means to the caller: an outage, a statement beyond the engine's limits, or neither (None: a bug,
    an integrity error, anything the caller reports as it is)."""
    if isinstance(exc, DBAPIError):
        found = _driver_fault(exc)
        return Fault.UNAVAILABLE if found is None and exc.connection_invalidated else found
    if isinstance(exc, OSError | PoolTimeout):  # a socket's failure (asyncpg connecting), no connection from the pool
        return Fault.UNAVAILABLE
    sqlstate = sqlstate_of(exc)  # asyncpg's own error, raised past SQLAlchemy (a bulk import's COPY)
    return None if sqlstate is None else _postgres_fault(sqlstate)


def sqlstate_of(exc: BaseException | None) -> str | None:
    """PostgreSQL's SQLSTATE of `exc`: asyncpg's, whether SQLAlchemy wrapped it (its adapter keeps the code) or not."""
    found = getattr(exc.orig if isinstance(exc, DBAPIError) else exc, "sqlstate", None)
    return found if isinstance(found, str) else None


def _driver_fault(exc: DBAPIError) -> Fault | None:
    orig = exc.orig
    if isinstance(orig, sqlite3.Error):
        return _sqlite_fault(orig)
    sqlstate = sqlstate_of(exc)
    if sqlstate is not None:
        return _postgres_fault(sqlstate)
    if isinstance(exc, InterfaceError):  # asyncpg's client side (no SQLSTATE): a closed connection, or the one limit
        return Fault.TOO_LARGE if ASYNCPG_TOO_MANY_ARGUMENTS.match(str(orig)) else Fault.UNAVAILABLE
    return None


def _postgres_fault(sqlstate: str) -> Fault | None:
    if sqlstate[:2] in PG_UNAVAILABLE_CLASSES or sqlstate in PG_UNAVAILABLE_CODES:
        return Fault.UNAVAILABLE
    if sqlstate[:2] == PG_TOO_LARGE_CLASS:
        return Fault.TOO_LARGE
    return None


def _sqlite_fault(orig: sqlite3.Error) -> Fault | None:
    code = getattr(orig, "sqlite_errorcode", None)
    if code is None:  # raised by the sqlite3 module itself (a closed connection, a bad binding): no engine answer
        return None
    primary = code & 0xFF
    if primary in SQLITE_UNAVAILABLE:
        return Fault.UNAVAILABLE
    if primary in SQLITE_TOO_LARGE:
        return Fault.TOO_LARGE
    if primary == sqlite3.SQLITE_ERROR and SQLITE_TOO_LARGE_MESSAGE.match(str(orig)):
        return Fault.TOO_LARGE
    return None


def is_unavailable(exc: BaseException | None) -> bool:
    return fault(exc) is Fault.UNAVAILABLE


def is_too_large(exc: BaseException | None) -> bool:
    return fault(exc) is Fault.TOO_LARGE


def too_large() -> CatalogError:
    return limit_exceeded(
        "The request is too large for the database to evaluate (too many conditions or values in one statement); "
        "use fewer conditions or split the request."
    )


def unavailable() -> CatalogError:
    return CatalogError(ErrorCode.SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE)


def for_the_log(exc: BaseException | None) -> BaseException | None:
    """`exc` with the statement it carries (and its causes carry) cut to LOGGED_STATEMENT characters: a filter of
    thousands of conditions would otherwise log a megabyte of SQL per request (parameters SQLAlchemy cuts itself)."""
    seen = exc
    while seen is not None:
        statement = getattr(seen, "statement", None)
        if isinstance(seen, StatementError) and statement and len(statement) > LOGGED_STATEMENT:
            seen.statement = f"{statement[:LOGGED_STATEMENT]}... ({len(statement)} characters)"
        seen = seen.__cause__ or seen.__context__
    return exc
