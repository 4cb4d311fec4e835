"""DDL that autogenerate cannot see: the full-text index (SQLite FTS5 table + triggers, PostgreSQL generated tsvector
+ GIN) and the embedding-generation triggers. Per dialect, from server.models.search.

`process_revision_directives` puts a `run_raw_ddl(table)` call after the ops of a revision that creates one of these
tables (and `drop_raw_ddl(table)` before its drop), so `make initial-migration` keeps them when it regenerates 0001;
`include_object` hides the objects they make from autogenerate's comparison (no spurious drops, no diff).
"""

from __future__ import annotations

from typing import Any

from alembic import op
from alembic.autogenerate import renderers
from alembic.autogenerate.api import AutogenContext
from alembic.operations import ops

from server.models.search import GENERATION_DDL, INDEX_DDL

RAW_DDL: dict[str, dict[str, tuple[str, ...]]] = {"searchdocument": INDEX_DDL, "datarowembedding": GENERATION_DDL}
DROP_DDL: dict[str, dict[str, tuple[str, ...]]] = {
    "searchdocument": {"sqlite": ("DROP TABLE IF EXISTS searchdocument_fts",)}
}
HIDDEN_TABLE_PREFIX = "searchdocument_fts"  # the FTS5 table and its shadow tables (_data, _idx, _docsize, _config)
HIDDEN = {("column", "searchdocument", "tsv"), ("index", "searchdocument", "ix_searchdocument_tsv")}


def _execute(statements: dict[str, tuple[str, ...]]) -> None:
    for statement in statements.get(op.get_bind().dialect.name, ()):
        op.execute(statement)


def run_raw_ddl(table: str) -> None:
    """In a revision's upgrade, after `table` was created."""
    _execute(RAW_DDL[table])


def drop_raw_ddl(table: str) -> None:
    """In a revision's downgrade, before `table` is dropped (triggers go with their table)."""
    _execute(DROP_DDL.get(table, {}))


class RawDDLOp(ops.MigrateOperation):
    def __init__(self, function: str, table: str) -> None:
        self.function, self.table = function, table


@renderers.dispatch_for(RawDDLOp)
def _render(autogen_context: AutogenContext, operation: RawDDLOp) -> str:
    autogen_context.imports.add(f"from server.migrations.raw_ddl import {operation.function}")
    return f"{operation.function}({operation.table!r})"


def process_revision_directives(context: Any, revision: Any, directives: list[Any]) -> None:
    script = directives[0]
    for upgrade, downgrade in zip(script.upgrade_ops_list, script.downgrade_ops_list, strict=True):
        created = [o.table_name for o in upgrade.ops if isinstance(o, ops.CreateTableOp)]
        dropped = [o.table_name for o in downgrade.ops if isinstance(o, ops.DropTableOp)]
        upgrade.ops.extend(RawDDLOp("run_raw_ddl", t) for t in created if t in RAW_DDL)
        downgrade.ops[:0] = [RawDDLOp("drop_raw_ddl", t) for t in dropped if t in DROP_DDL]


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """False for the raw-DDL objects, which the models do not declare."""
    if type_ == "table":
        return not (name or "").startswith(HIDDEN_TABLE_PREFIX)
    table = getattr(getattr(obj, "table", None), "name", None)
    return (type_, table, name) not in HIDDEN
