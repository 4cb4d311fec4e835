"""Schema objects the table classes cannot declare, per dialect, as the current schema has them: datarow's sequence
(PostgreSQL), the full-text index, the embedding-generation triggers and the facet marking triggers.

`attach(metadata)` makes `metadata.create_all` build them once the tables exist (and only for tables it created).
Migrations never read these: each revision holds its own frozen copy of what it made, and
tests/migrations/test_frozen.py checks that the revisions, run one by one, end at exactly this schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import MetaData, event
from sqlalchemy.engine import Connection

from server.models.catalog import SEQUENCE_DDL
from server.models.facets import MARKING_DDL
from server.models.search import GENERATION_DDL, INDEX_DDL, INDEX_DROP

# The table whose creation brings each group, in the order they are made (the marking triggers last: they span
# datarow and the tables its facets are read from, and mark facetdirty).
AFTER_CREATE: dict[str, dict[str, tuple[str, ...]]] = {
    "datarow": {"postgresql": SEQUENCE_DDL},
    "searchdocument": INDEX_DDL,
    "datarowembedding": GENERATION_DDL,
    "facetdirty": MARKING_DDL,
}
BEFORE_DROP: dict[str, dict[str, tuple[str, ...]]] = {"searchdocument": INDEX_DROP}


def _run(groups: dict[str, dict[str, tuple[str, ...]]], conn: Connection, tables: Sequence[Any]) -> None:
    names = {table.name for table in tables}
    for table, statements in groups.items():
        if table in names:
            for statement in statements.get(conn.dialect.name, ()):
                conn.exec_driver_sql(statement)


def attach(metadata: MetaData) -> None:
    @event.listens_for(metadata, "after_create")
    def _after_create(target: MetaData, connection: Connection, tables: Sequence[Any] = (), **kw: Any) -> None:
        _run(AFTER_CREATE, connection, tables)

    @event.listens_for(metadata, "before_drop")
    def _before_drop(target: MetaData, connection: Connection, tables: Sequence[Any] = (), **kw: Any) -> None:
        _run(BEFORE_DROP, connection, tables)
