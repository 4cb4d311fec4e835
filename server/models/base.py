"""Shared column helpers: string ids, UTC timestamps, JSON-text payload columns."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, cast

from sqlalchemy import Column, MetaData, String, Table, Text
from sqlmodel import AutoString, Field, SQLModel

ID_LENGTH = 25

if TYPE_CHECKING:

    class TableModel(SQLModel):
        """What the type checker sees of a table model: SQLModel's metaclass sets `__table__` without declaring it."""

        __table__: ClassVar[Table]

else:
    TableModel = SQLModel


def new_id() -> str:
    """A 25-character lowercase id in the style of Labelbox's cuids (`c` + 24 hex chars)."""
    return "c" + secrets.token_hex(12)


def utcnow() -> datetime:
    """Naive UTC with millisecond precision: what every engine stores and prints identically."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def id_field(**kwargs: Any) -> str:
    return Field(default_factory=new_id, primary_key=True, max_length=ID_LENGTH, **kwargs)


def org_field() -> str:
    return Field(foreign_key="organization.id", index=True, max_length=ID_LENGTH)


def ref_field(target: str, *, nullable: bool = False, index: bool = True) -> str:
    """A foreign key to `target` (e.g. "dataset.id")."""
    default = None if nullable else ...
    return Field(default=default, foreign_key=target, index=index, max_length=ID_LENGTH, nullable=nullable)


STORED_JSON = "stored_json"  # the `info` key of a json_text column


def json_text(default: str = "null") -> str:
    """A payload kept as JSON text in export shape, spliced into NDJSON without parsing (the export encoder checks
    every column so marked, server.export.encode)."""
    return Field(
        default=default, sa_column=Column(Text, nullable=False, server_default=default, info={STORED_JSON: True})
    )


def is_stored_json(column: Any) -> bool:
    """Whether a selected column reads a json_text column (through labels and aliases)."""
    return any(isinstance(base, Column) and base.info.get(STORED_JSON, False) for base in column.base_columns)


def binary_collation(metadata: MetaData) -> None:
    """Compare and order every short string column byte-wise on PostgreSQL (COLLATE "C"), as SQLite does.

    Keyset cursors (`id > :after`), ORDER BY on ids, global keys and names, and range filters on strings
    then give the same order on both engines, whatever locale the PostgreSQL database was created with.
    Text payload columns are left alone. sqlmodel's AutoString becomes a plain String of the same length.
    """
    for table in metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, AutoString):
                length = cast(String, column.type.impl).length  # an instance once the column is made
                column.type = String(length).with_variant(String(length, collation="C"), "postgresql")
