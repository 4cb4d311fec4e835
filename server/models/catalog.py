"""Organizations, datasets, data rows, attachments and metadata."""

from __future__ import annotations

from enum import StrEnum

from pydantic import NaiveDatetime
from sqlalchemy import BigInteger, Column, Index, UniqueConstraint, text
from sqlmodel import Field

from server.models.base import TableModel, id_field, json_text, org_field, ref_field, utcnow


class MediaType(StrEnum):
    """A data row's (and a project's) `media_type`."""

    IMAGE = "IMAGE"
    VIDEO = "VIDEO"
    TEXT = "TEXT"
    CONVERSATIONAL = "CONVERSATIONAL"
    DOCUMENT = "DOCUMENT"
    AUDIO = "AUDIO"
    GEOSPATIAL = "GEOSPATIAL"
    DICOM = "DICOM"
    HTML = "HTML"


class MetadataKind(StrEnum):
    """A top-level metadata schema's `kind`; each option of an ENUM schema is a child schema of kind OPTION."""

    STRING = "STRING"
    NUMBER = "NUMBER"
    DATETIME = "DATETIME"
    ENUM = "ENUM"
    EMBEDDING = "EMBEDDING"


OPTION_KIND = "OPTION"  # the kind of an ENUM schema's option


class Organization(TableModel, table=True):
    id: str = id_field()
    name: str = Field(unique=True, max_length=200)
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class Dataset(TableModel, table=True):
    id: str = id_field()
    organization_id: str = org_field()
    name: str = Field(max_length=500)
    description: str | None = None
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    created_by: str | None = None


class DataRow(TableModel, table=True):
    """`seq` is the dense integer position of a row, by which the facet arrays (server.models.facets) hold it. It is
    not mapped: the ORM and the importers never set it. PostgreSQL draws it from a sequence (the column's default,
    SEQUENCE_DDL); SQLite has no sequence for a column that is not the rowid, so the column defaults to -1 and the
    insert trigger sets `max(seq) + 1` (an index keeps that one probe; the rowid itself may be renumbered by VACUUM).
    Either way a writer that names the column with NULL fails, never leaves a row outside the arrays."""

    __table_args__ = (
        Column("seq", BigInteger, nullable=False, server_default=text("-1")),
        Index("ix_datarow_seq", "seq", unique=True),
        UniqueConstraint("organization_id", "global_key", name="uq_datarow_org_global_key"),
        Index("ix_datarow_org_id", "organization_id", "id"),
        Index("ix_datarow_org_created", "organization_id", "created_at", "id"),
        Index("ix_datarow_org_updated", "organization_id", "updated_at", "id"),
        Index("ix_datarow_dataset_id", "dataset_id", "id"),
        Index("ix_datarow_org_dataset", "organization_id", "dataset_id", "id"),
        Index("ix_datarow_external_id", "organization_id", "external_id"),
        Index("ix_datarow_media_type", "organization_id", "media_type", "id"),
    )
    __mapper_args__ = {"exclude_properties": ["seq"]}
    id: str = id_field()
    organization_id: str = Field(foreign_key="organization.id", max_length=25)
    dataset_id: str = Field(foreign_key="dataset.id", max_length=25)
    global_key: str | None = Field(default=None, max_length=1000)
    external_id: str | None = Field(default=None, max_length=1000)
    row_data: str
    media_type: str = Field(max_length=32)  # a MediaType
    media_attributes: str = json_text("{}")
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    updated_at: NaiveDatetime = Field(default_factory=utcnow)
    created_by: str | None = None
    # the last change to the row, its labels, metadata or workflow; NULL reads as updated_at
    last_activity_at: NaiveDatetime | None = None


# PostgreSQL: `seq` numbered from a sequence of its own (dropped with the column).
SEQUENCE_DDL = (
    "CREATE SEQUENCE datarow_seq_seq OWNED BY datarow.seq",
    "ALTER TABLE datarow ALTER COLUMN seq SET DEFAULT nextval('datarow_seq_seq')",
)


class Attachment(TableModel, table=True):
    id: str = id_field()
    organization_id: str = org_field()
    data_row_id: str = ref_field("datarow.id")
    type: str = Field(max_length=64)
    value: str
    name: str | None = None
    position: int = 0


class MetadataSchema(TableModel, table=True):
    """A metadata field: kind is a MetadataKind; an enum's options are child schemas of kind OPTION_KIND."""

    __table_args__ = (UniqueConstraint("organization_id", "name", "parent_id", name="uq_metadataschema_name"),)
    id: str = id_field()
    organization_id: str = org_field()
    name: str = Field(max_length=200)
    kind: str = Field(max_length=16)
    parent_id: str | None = ref_field("metadataschema.id", nullable=True)


class MetadataValue(TableModel, table=True):
    """One metadata value of a data row; typed columns serve filters, `value_json` is the export payload."""

    __table_args__ = (
        Index("ix_metadatavalue_schema_string", "schema_id", "string_value"),
        Index("ix_metadatavalue_schema_number", "schema_id", "number_value"),
        Index("ix_metadatavalue_schema_datetime", "schema_id", "datetime_value"),
        Index("ix_metadatavalue_schema_option", "schema_id", "option_id"),
        # covering versions for the filter subqueries (they read data_row_id without touching the table)
        Index("ix_metadatavalue_string_row", "schema_id", "string_value", "data_row_id"),
        Index("ix_metadatavalue_number_row", "schema_id", "number_value", "data_row_id"),
        Index("ix_metadatavalue_datetime_row", "schema_id", "datetime_value", "data_row_id"),
        Index("ix_metadatavalue_option_row", "schema_id", "option_id", "data_row_id"),
    )
    id: str = id_field()
    organization_id: str = Field(foreign_key="organization.id", max_length=25)
    data_row_id: str = ref_field("datarow.id")
    schema_id: str = Field(foreign_key="metadataschema.id", max_length=25)
    string_value: str | None = None
    number_value: float | None = None
    datetime_value: NaiveDatetime | None = None
    option_id: str | None = Field(default=None, max_length=25)
    value_json: str = json_text()
    position: int = 0
