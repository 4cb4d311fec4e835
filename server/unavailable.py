"""Telling "the database is unreachable or locked" apart from bugs: those failures become SERVICE_UNAVAILABLE (503);
a statement too large for the engine to evaluate is the request's shape, LIMIT_EXCEEDED, never an outage."""

from __future__ import annotations

import re

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from server.errors import CatalogError, ErrorCode, limit_exceeded

UNAVAILABLE_MESSAGE = "The database is unavailable right now; retry in a few seconds."
# What SQLite and PostgreSQL say of a statement beyond their own limits (expression depth, parameters, stack).
TOO_LARGE = re.compile(
    r"Expression tree is too large|too many SQL variables|parser stack overflow|too many terms in compound SELECT"
    r"|stack depth limit exceeded|number of query arguments cannot exceed|too many arguments|at most \d+ tables",
    re.IGNORECASE,
)
LOGGED_STATEMENT = 500  # characters of a failed statement kept in the log


def is_too_large(exc: BaseException | None) -> bool:
    return isinstance(exc, DBAPIError) and TOO_LARGE.search(str(exc.orig)) is not None


def too_large() -> CatalogError:
    return limit_exceeded(
        "The request is too large for the database to evaluate (too many conditions or values in one statement); "
        "use fewer conditions or split the request."
    )


def is_unavailable(exc: BaseException | None) -> bool:
    """An outage rather than a bug: connection refused or reset, "database is locked", socket errors while
    connecting, pool timeouts; not integrity or programming errors, nor a statement beyond the engine's limits."""
    if isinstance(exc, DBAPIError):
        if is_too_large(exc):
            return False
        return exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)
    return isinstance(exc, OSError | PoolTimeout)


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


def unavailable() -> CatalogError:
    return CatalogError(ErrorCode.SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE)
