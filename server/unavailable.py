"""Telling "the database is unreachable or locked" apart from bugs: those failures become SERVICE_UNAVAILABLE (503)."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from server.errors import CatalogError, ErrorCode

UNAVAILABLE_MESSAGE = "The database is unavailable right now; retry in a few seconds."


def is_unavailable(exc: BaseException | None) -> bool:
    """An outage rather than a bug: connection refused or reset, "database is locked", socket errors while
    connecting, pool timeouts; not integrity or programming errors."""
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)
    return isinstance(exc, OSError | PoolTimeout)


def unavailable() -> CatalogError:
    return CatalogError(ErrorCode.SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE)
