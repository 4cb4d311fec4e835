"""PostgreSQL bulk writes: COPY in the caller's transaction, where allowed without the per-row foreign-key triggers.

A foreign key is enforced by a trigger per inserted row (a `SELECT … FOR KEY SHARE` of the parent); on the import's
COPY of data rows those two checks (organization, dataset) were ~20% of the backend's time. Under
`session_replication_role = replica` no trigger fires, so for a table in `unchecked` the COPY runs in that mode and
is followed by one query per foreign key over the batch's distinct values: the same check and the same parent-row
lock the triggers take, set-based; a missing parent raises IntegrityError as the trigger would. Only tables without
triggers of their own qualify (replica mode would skip those too), and only for a role allowed to set the mode
(a superuser, or one granted SET on it): `unchecked_tables` probes both.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

Records = list[tuple[Any, ...]]
USER_TRIGGERS = (  # those that replica mode would skip (an ALWAYS trigger fires there too: server.models.facets)
    "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
    " WHERE NOT t.tgisinternal AND t.tgenabled <> 'A'"
)


async def unchecked_tables(engine: AsyncEngine, tables: dict[str, Table]) -> frozenset[str]:
    """The names among `tables` whose COPY may skip triggers: none unless this role may set the replication role;
    never a table with triggers of its own."""
    async with engine.connect() as conn:
        try:
            await conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        except ProgrammingError:  # permission denied
            return frozenset()
        finally:
            await conn.rollback()
        triggered = set((await conn.exec_driver_sql(USER_TRIGGERS)).scalars())
    return frozenset(name for name, table in tables.items() if name not in triggered and _checkable(table))


def _checkable(table: Table) -> bool:
    """Every foreign key of one column that the records set or leave NULL (no server-side default to check)."""
    return all(
        len(fk.elements) == 1 and fk.elements[0].parent.server_default is None for fk in table.foreign_key_constraints
    )


async def copy_records(
    conn: AsyncConnection, table: Table, columns: list[str], records: Records, unchecked: frozenset[str] = frozenset()
) -> None:
    """COPY on the transaction's own connection; a constraint violation becomes IntegrityError like an INSERT's."""
    import asyncpg

    skip_triggers = table.name in unchecked
    # also opens the adapter's asyncpg transaction before the raw COPY; only a privileged role may SET the mode at all
    await conn.exec_driver_sql("SET LOCAL session_replication_role = replica" if skip_triggers else "SELECT 1")
    raw: Any = (await conn.get_raw_connection()).driver_connection  # asyncpg's (it ships no types)
    try:
        await raw.copy_records_to_table(table.name, records=records, columns=columns)
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise IntegrityError(f"COPY {table.name}", None, exc) from exc
    if skip_triggers:
        await conn.exec_driver_sql("SET LOCAL session_replication_role = origin")
        await _check_references(raw, table, columns, records)


async def _check_references(raw: Any, table: Table, columns: list[str], records: Records) -> None:
    """Each foreign key of the records: its distinct non-NULL values locked FOR KEY SHARE in the parent table (as
    the trigger does for one row), all of them found."""
    for fk in table.foreign_key_constraints:
        (element,) = fk.elements
        at = columns.index(element.parent.name) if element.parent.name in columns else None
        wanted = {record[at] for record in records} - {None} if at is not None else set()
        if not wanted:
            continue
        parent, key = element.column.table.name, element.column.name
        sql = f'SELECT "{key}" FROM "{parent}" WHERE "{key}" = ANY($1::text[]) FOR KEY SHARE'
        missing = wanted - {row[0] for row in await raw.fetch(sql, list(wanted))}
        if missing:
            column = element.parent.name
            message = (
                f'insert on table "{table.name}" violates its foreign key ({column}):'
                f' Key ({column})=({min(missing)}) is not present in table "{parent}".'
            )
            raise IntegrityError(f"COPY {table.name}", None, ValueError(message))
