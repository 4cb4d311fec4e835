"""What a command-line user is told when a command fails for a reason outside the program: one line, what is wrong
and what to do, instead of a traceback. `explain` returns None for anything else (a bug keeps its traceback)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError

from server.errors import CatalogError
from server.unavailable import NETWORK_ERRORS, is_unavailable, sqlstate_of


class CommandFailed(Exception):
    """A failure whose message already says what is wrong and what to do (e.g. a server that refused a request)."""


# PostgreSQL's SQLSTATE class of a refused login (no such role, wrong password); refusals that are outages (too many
# connections, starting up) are server.unavailable's decision
LOGIN_REFUSED_CLASS = "28"
MISSING_DATABASE = "3D000"


def shown_url(database_url: str) -> str:
    """The URL without its password."""
    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except ArgumentError:
        return database_url


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _missing_database(database_url: str) -> str:
    """SQLSTATE 3D000 (invalid catalog name): the server answers, the database is not there."""
    url = make_url(database_url)
    host, port, name = url.host or "127.0.0.1", url.port or 5432, url.database
    create = f"createdb -h {host} -p {port} -U {url.username or 'postgres'} {name}"
    return (
        f'PostgreSQL at {host}:{port} has no database "{name}": create it (`{create}`, or CREATE DATABASE {name}), '
        "or point --database-url / DATABASE_URL at one that exists."
    )


def _database(exc: BaseException, database_url: str) -> str | None:
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    sqlstate = sqlstate_of(exc) or ""
    if sqlstate == MISSING_DATABASE:
        return _missing_database(database_url)
    where = shown_url(database_url)
    if isinstance(exc, NETWORK_ERRORS):
        return f"cannot connect to the database {where}: {_first_line(exc)}. Is the server running and the URL right?"
    refused = sqlstate.startswith(LOGIN_REFUSED_CLASS) or (
        not isinstance(exc, OSError) and is_unavailable(exc)  # a file's OSError is _file's
    )
    if isinstance(exc, OperationalError | InterfaceError) or refused:
        return f"database {where}: {_first_line(cause)}"
    return None  # a failing statement (ProgrammingError, IntegrityError...) is a bug: it keeps its traceback


def _file(exc: BaseException, database_url: str) -> str | None:
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror or exc}"
    return None


EXPLAINERS: tuple[Callable[[BaseException, str], str | None], ...] = (
    lambda exc, _: str(exc) if isinstance(exc, CommandFailed) else None,
    lambda exc, _: f"{exc.code}: {exc.message}" if isinstance(exc, CatalogError) else None,
    _database,
    _file,
)


def explain(exc: BaseException, database_url: str) -> str | None:
    for explainer in EXPLAINERS:
        if (line := explainer(exc, database_url)) is not None:
            return line
    return None
