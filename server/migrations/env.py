"""Alembic environment: SQLModel metadata as the target, the async engine of `server.db` when run stand-alone.

The models are read only by autogenerate (`make migration`); a revision runs the DDL written in it, nothing else.

Programmatic callers (server.schema_check) pass an open sync connection in `config.attributes["connection"]`,
so migrations run inside the caller's transaction and event loop.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from server.db import create_engine
from server.migrations.raw_ddl import include_object
from server.models import metadata
from server.settings import Settings

config = context.config


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async(url: str) -> None:
    engine = create_engine(Settings(database_url=url))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(run_with)
    finally:
        await engine.dispose()


def run_offline(url: str) -> None:
    context.configure(url=url, target_metadata=metadata, literal_binds=True, include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    url = config.get_main_option("sqlalchemy.url") or Settings.from_env().database_url
    connection = config.attributes.get("connection")
    if context.is_offline_mode():
        run_offline(url)
    elif connection is None:
        asyncio.run(run_async(url))
    else:
        run_with(connection)


main()
