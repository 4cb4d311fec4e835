"""Is the database at the migrations' head? Empty databases are brought there; out-of-date ones are refused."""

from __future__ import annotations

from enum import StrEnum

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from server.bulk_indexes import restore_indexes
from server.migrations import alembic_config
from server.migrations.raw_ddl import include_object
from server.models import metadata

# Serialises migrations of several processes starting at once; SQLite's single writer lock does the same there.
MIGRATION_LOCKS = {"postgresql": "SELECT pg_advisory_xact_lock(602214076)"}


class SchemaState(StrEnum):
    EMPTY = "empty"  # no tables at all
    CURRENT = "current"  # at the head revision
    OUTDATED = "outdated"  # an older (or unknown) revision
    UNTRACKED = "untracked"  # tables without migration history (made by create_all before migrations existed)


class SchemaError(Exception):
    """The database cannot be used or migrated as it is; the message says what to do."""


class SchemaOutOfDate(SchemaError):
    def __init__(self, current: tuple[str, ...], head: str | None) -> None:
        at = ", ".join(current) or "none (tables created before migrations)"
        super().__init__(
            f"The database schema is out of date (revision {at}; this version needs {head}). "
            "Run `catalog-export migrate` with the same DATABASE_URL, then start again."
        )


def connection_config(conn: Connection) -> Config:
    config = alembic_config(conn.engine.url.render_as_string(hide_password=False))
    config.attributes["connection"] = conn
    return config


def head_revision(config: Config) -> str | None:
    return ScriptDirectory.from_config(config).get_current_head()


def schema_state(conn: Connection) -> tuple[SchemaState, tuple[str, ...]]:
    current = tuple(MigrationContext.configure(conn).get_current_heads())
    if current:
        at_head = current == (head_revision(connection_config(conn)),)
        return (SchemaState.CURRENT if at_head else SchemaState.OUTDATED), current
    tables = set(inspect(conn).get_table_names())
    return (SchemaState.UNTRACKED if tables & set(metadata.tables) else SchemaState.EMPTY), current


def _lock(conn: Connection) -> None:
    statement = MIGRATION_LOCKS.get(conn.dialect.name)
    if statement:
        conn.execute(text(statement))


def _prepare(conn: Connection) -> None:
    _lock(conn)
    state, current = schema_state(conn)
    if state == SchemaState.EMPTY:
        command.upgrade(connection_config(conn), "head")
    elif state != SchemaState.CURRENT:
        raise SchemaOutOfDate(current, head_revision(connection_config(conn)))


def schema_differences(conn: Connection) -> list[object]:
    """What Alembic autogenerate would change to make the database match the models (empty when they match)."""
    return compare_metadata(
        MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object}), metadata
    )


def _migrate(conn: Connection) -> str:
    _lock(conn)
    state, current = schema_state(conn)
    config = connection_config(conn)
    if state == SchemaState.UNTRACKED:
        if differences := schema_differences(conn):
            raise SchemaError(
                f"The database has tables made before migrations existed that differ from the models ({differences[:3]}"
                "...); migrate cannot adopt them. Export the data, migrate an empty database and import it."
            )
        command.stamp(config, "head")
        return f"existing tables match the models: stamped {head_revision(config)}"
    try:
        command.upgrade(config, "head")
    except CommandError as exc:
        raise SchemaError(
            f"The database is at revision {', '.join(current)}, which this version does not know ({exc}); "
            "it was probably migrated by a newer version: run that version."
        ) from exc
    return f"database at {head_revision(config)} (was {', '.join(current) or 'empty'}){_restored(conn)}"


def _restored(conn: Connection) -> str:
    """Indexes an interrupted import left missing (server.bulk_indexes), built now."""
    built = restore_indexes(conn)
    plural = "es" if len(built) > 1 else ""
    return f"; built {len(built)} missing secondary index{plural} ({', '.join(built)})" if built else ""


async def prepare_schema(engine: AsyncEngine) -> None:
    """Bring an empty database to head; raise SchemaOutOfDate when it holds an older schema."""
    async with engine.begin() as conn:
        await conn.run_sync(_prepare)


async def create_all(engine: AsyncEngine) -> None:
    """Bring an empty database to the head migration, so every schema this code makes is tracked by Alembic."""
    await prepare_schema(engine)


async def migrate(engine: AsyncEngine) -> str:
    """`catalog-export migrate`: upgrade to head (adopting tables made before migrations when they match)."""
    async with engine.begin() as conn:
        return await conn.run_sync(_migrate)


async def new_revision(engine: AsyncEngine, message: str, rev_id: str | None = None) -> None:
    """Write a revision for what the models changed since head (`make migration`)."""

    def run(conn: Connection) -> None:
        config = connection_config(conn)
        command.upgrade(config, "head")
        command.revision(config, message=message, autogenerate=True, rev_id=rev_id)

    async with engine.begin() as conn:
        await conn.run_sync(run)
