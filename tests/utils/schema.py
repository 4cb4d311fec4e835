"""What a database's schema is, as comparable data: tables, columns, constraints, indexes, triggers, functions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

# PostgreSQL objects the catalog's DDL makes beyond tables: each statement returns (name, definition) rows.
PG_OBJECTS = {
    "indexes": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    "triggers": (
        "SELECT t.tgname, pg_get_triggerdef(t.oid) || ' ENABLED ' || t.tgenabled::text FROM pg_trigger t"
        " JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND NOT t.tgisinternal"
    ),
    "functions": (
        "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'public'"
    ),
    "sequences": (
        "SELECT s.relname, coalesce(d.refobjid::regclass::text || '.' || a.attname, '') FROM pg_class s"
        " JOIN pg_namespace n ON n.oid = s.relnamespace"
        " LEFT JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')"
        " LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid"
        " WHERE s.relkind = 'S' AND n.nspname = 'public'"
    ),
}
SQLITE_OBJECTS = (
    "SELECT type || ' ' || name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL"
)
SKIPPED_TABLES = ("alembic_version",)


def _column(column: dict[str, Any]) -> tuple[str, ...]:
    computed = column.get("computed") or {}
    return (str(column["type"]), str(column["nullable"]), str(column["default"]), str(computed.get("sqltext", "")))


def _table(inspector: Any, name: str) -> dict[str, Any]:
    """Columns by name (their order is not compared: a revision adds a column at the end, a model declares it where
    it reads best), keys and constraints."""
    return {
        "columns": {c["name"]: _column(c) for c in inspector.get_columns(name)},
        "primary_key": inspector.get_pk_constraint(name)["constrained_columns"],
        "foreign_keys": sorted(
            (fk["constrained_columns"], fk["referred_table"], fk["referred_columns"])
            for fk in inspector.get_foreign_keys(name)
        ),
        "unique": sorted((u["name"] or "", u["column_names"]) for u in inspector.get_unique_constraints(name)),
        "indexes": sorted((i["name"] or "", i["column_names"], bool(i["unique"])) for i in inspector.get_indexes(name)),
    }


def schema_of(conn: Connection) -> dict[str, Any]:
    """Every table (but Alembic's own) and, per engine, the definitions of its indexes, triggers, functions and
    sequences (SQLite: the FTS5 table's `sql` too)."""
    inspector = inspect(conn)
    names = sorted(n for n in inspector.get_table_names() if n not in SKIPPED_TABLES)
    schema: dict[str, Any] = {"tables": {name: _table(inspector, name) for name in names}}
    if conn.dialect.name == "postgresql":
        for kind, sql in PG_OBJECTS.items():
            schema[kind] = dict(sorted(tuple(row) for row in conn.execute(text(sql))))
    else:
        virtual = "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'"
        schema["virtual_tables"] = dict(sorted(tuple(row) for row in conn.execute(text(virtual))))
        schema["objects"] = dict(sorted(tuple(row) for row in conn.execute(text(SQLITE_OBJECTS))))
    return schema
