"""Autogenerate's view of the schema objects the models do not declare as tables or columns (server.models.ddl): the
SQLite FTS5 table and its shadow tables, PostgreSQL's generated tsvector column and its GIN index. `include_object`
hides them, so comparing a database with the models shows no spurious drops. A revision that changes such an object
(or a trigger, which autogenerate never sees) writes its DDL out in full: revisions never import model code.
"""

from __future__ import annotations

from typing import Any

HIDDEN_TABLE_PREFIX = "searchdocument_fts"  # the FTS5 table and its shadow tables (_data, _idx, _docsize, _config)
HIDDEN = {("column", "searchdocument", "tsv"), ("index", "searchdocument", "ix_searchdocument_tsv")}


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """False for the raw-DDL objects, which the models do not declare."""
    if type_ == "table":
        return not (name or "").startswith(HIDDEN_TABLE_PREFIX)
    table = getattr(getattr(obj, "table", None), "name", None)
    return (type_, table, name) not in HIDDEN
